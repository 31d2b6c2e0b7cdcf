#!/usr/bin/env bash
# The Slurm recipe, end to end, on a real (single-node) Slurm: installs
# slurm-wlm and munge if they are missing, starts munged, slurmctld and
# slurmd as root on a generated slurm.conf in a temporary folder, submits
# deploy/slurm/submit.sh for scenarios/whatif-mtbf.toml (4 points × 10
# replications) as an array of 4 shards plus the dependent merge, waits
# for both, and checks that the merged folder is byte-identical to a
# single `fleetsim run` of the study (manifest.json's wall_seconds and
# events_per_second aside). The daemons are stopped by PID on exit.
#
# It fails loudly, never skips: no root, no packages, a daemon that does
# not start, a job that fails or runs too long, or one byte of difference
# is exit 1, with the Slurm logs printed. .ci/run runs it.
#
# Environment:
#   FLEETSIM           the binary (default target/debug/fleetsim, which
#                      `cargo test` builds)
#   SLURM_TEST_HORIZON a --horizon for the study (default: the scenario's
#                      own 30 days, about 20 s here with the debug binary)
#   SLURM_TEST_TIMEOUT seconds to wait for the jobs (default 600)
#   SLURM_TEST_KEEP    set to keep the temporary folder
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
fleetsim=${FLEETSIM:-$root/target/debug/fleetsim}
timeout=${SLURM_TEST_TIMEOUT:-600}
scenario=scenarios/whatif-mtbf.toml
shards=4
study=()
if [[ -n ${SLURM_TEST_HORIZON:-} ]]; then
    study=(--horizon "$SLURM_TEST_HORIZON" --warmup 0s)
fi

say() { echo "slurm-test: $*" >&2; }
fail() {
    say "FAILED: $*"
    exit 1
}

[[ $(id -u) == 0 ]] || fail "must run as root (slurmd and munged run as root here)"
[[ -x $fleetsim ]] || fail "no fleetsim binary at $fleetsim: run cargo test (or cargo build) first, or set FLEETSIM"

# The packages, installed when missing: a fresh machine has neither.
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    say "installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    # The packages' own services must not start: this test starts its own
    # daemons on its own configuration, and stops them. (Container images
    # usually have this policy already.)
    policy=/usr/sbin/policy-rc.d
    added_policy=
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
    fi
    installed=0
    apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null && installed=1
    [[ -n $added_policy ]] && rm -f "$policy"
    ((installed)) || fail "apt-get install slurm-wlm munge failed (apt's message is above)"
fi
for cmd in slurmctld slurmd sbatch squeue sinfo scontrol munged python3; do
    command -v "$cmd" >/dev/null || fail "$cmd is not installed"
done

state=$(mktemp -d /tmp/fleetsim-slurm.XXXXXX)
# munged wants every folder above its socket searchable by all.
chmod 755 "$state"
mkdir -p "$state"/{state,spool,log,run,munge,shared}
export SLURM_CONF=$state/slurm.conf

# Every daemon is stopped by the PID it wrote, whatever happens.
pids=()
stop() {
    local status=$?
    # Stopping is not to be cut short by a second signal.
    trap '' INT TERM
    for f in "$state/run/slurmd.pid" "$state/run/slurmctld.pid" "$state/munge/munged.pid"; do
        if [[ -s $f ]]; then
            local pid
            pid=$(cat "$f")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -9 "$pid" 2>/dev/null || true
        fi
    done
    if ((status != 0)); then
        for log in "$state"/log/*.log "$state"/shared/logs/*.out "$state"/munge/munged.log; do
            [[ -f $log ]] || continue
            echo "----- $log (last 60 lines)" >&2
            tail -n 60 "$log" >&2
        done
    fi
    if [[ -z ${SLURM_TEST_KEEP:-} ]]; then
        rm -rf "$state"
    else
        say "kept $state"
    fi
    exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# munge: a key of its own, a socket in the temporary folder.
dd if=/dev/urandom of="$state/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$state/munge/munge.key"
munged --key-file="$state/munge/munge.key" --socket="$state/munge/munge.socket" \
    --pid-file="$state/munge/munged.pid" --log-file="$state/munge/munged.log" \
    --seed-file="$state/munge/seed" || fail "munged did not start"

# Two free TCP ports on the loopback, so that no other Slurm is in the way.
read -r ctld_port slurmd_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))
')
host=$(hostname -s)
cat >"$SLURM_CONF" <<EOF
ClusterName=fleetsim
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge/munge.socket
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=3600
NodeName=$host CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -c || fail "slurmctld did not start"
slurmd || fail "slurmd did not start"
for _ in $(seq 300); do
    [[ $(sinfo -h -o %T 2>/dev/null) == idle ]] && break
    sleep 0.1
done
[[ $(sinfo -h -o %T) == idle ]] || fail "the node is not idle after 30 s: $(sinfo -h -o '%T %E' 2>&1)"
say "single-node Slurm up on $host ($(sinfo --version))"

# The recipe, exactly as docs/guide.md gives it.
shared=$state/shared
merged=$state/merged
submitted=$(FLEETSIM=$fleetsim deploy/slurm/submit.sh "$scenario" "$shards" "$shared" "$merged" "${study[@]}") ||
    fail "submit.sh failed"
echo "$submitted" >&2
array=$(awk '/^array job/ {print $3}' <<<"$submitted")
merge=$(awk '/^merge job/ {print $3}' <<<"$submitted")
[[ -n $array && -n $merge ]] || fail "submit.sh did not print the two job ids"

# Meanwhile, the single run to compare with.
"$fleetsim" run "$scenario" "${study[@]}" --quiet --out "$state/single" >/dev/null ||
    fail "the single run failed"

waited=0
while [[ -n $(squeue -h -j "$array,$merge" -o %i 2>/dev/null) ]]; do
    ((waited < timeout)) || fail "the jobs were still queued or running after $timeout s: $(squeue -j "$array,$merge" 2>&1)"
    sleep 1
    waited=$((waited + 1))
done
say "jobs done after about $waited s"
# Every task and the merge must have completed (not failed, not cancelled).
states=$(scontrol -o show job "$array" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
merge_state=$(scontrol -o show job "$merge" | grep -o 'JobState=[A-Z_]*')
say "array: $(echo $states); merge: $merge_state"
[[ $(scontrol -o show job "$array" | grep -c 'JobState=COMPLETED') == "$shards" ]] ||
    fail "not every shard task completed: $states"
[[ $merge_state == JobState=COMPLETED ]] || fail "the merge job did not complete: $merge_state"
[[ -f $merged/manifest.json ]] || fail "the merge wrote no manifest.json in $merged"

# Byte for byte: the same files, the same bytes; manifests without their
# two wall-clock lines (pretty JSON, one key a line).
(cd "$state/single" && find . -type f | sort) >"$state/single.list"
(cd "$merged" && find . -type f | sort) >"$state/merged.list"
diff -u "$state/single.list" "$state/merged.list" >&2 || fail "the merged folder has other files than the single run's"
differ=0
while read -r f; do
    if [[ $(basename "$f") == manifest.json ]]; then
        cmp -s <(grep -v '"wall_seconds"\|"events_per_second"' "$state/single/$f") \
            <(grep -v '"wall_seconds"\|"events_per_second"' "$merged/$f") || {
            say "$f differs (wall-clock fields aside)"
            differ=1
        }
    else
        cmp -s "$state/single/$f" "$merged/$f" || {
            say "$f differs"
            differ=1
        }
    fi
done <"$state/single.list"
((differ == 0)) || fail "the merged folder is not the single run's"
say "ok: $shards shards on Slurm merged into $(wc -l <"$state/single.list") files, byte-identical to a single run"
