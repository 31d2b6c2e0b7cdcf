#!/usr/bin/env bash
# Submits a fleetsim study to Slurm in N shards plus their merge:
#
#   deploy/slurm/submit.sh SCENARIO N SHARED OUT [RUN OPTIONS...]
#
# an array job of N tasks (fleetsim-array.sbatch: task I runs
# `fleetsim run SCENARIO --shard I/N --out SHARED/shard-I RUN OPTIONS...`)
# and a merge job (fleetsim-merge.sbatch: `fleetsim merge OUT
# SHARED/shard-0 ... SHARED/shard-(N-1)`) that starts only once every task
# has succeeded (--dependency=afterok), and is cancelled if one fails.
# Prints the two job ids:
#
#   array job 1234
#   merge job 1235
#
# Run it from the folder SCENARIO is relative to (the jobs work there, and
# the merged manifest.json names SCENARIO as given). SHARED and OUT must be
# on storage every node sees. Each job's output goes to SHARED/logs/.
# $FLEETSIM is the binary the jobs run (default: fleetsim on the PATH);
# $SBATCH_OPTIONS, if set, is added to both sbatch command lines (e.g.
# "--partition=batch --mem=4G").
set -euo pipefail

if (($# < 4)); then
    echo "usage: $0 SCENARIO N SHARED OUT [RUN OPTIONS...]" >&2
    exit 2
fi
scenario=$1
n=$2
shared=$3
out=$4
shift 4
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
    echo "$0: N must be a whole number of shards, 1 or more; it is \"$n\"" >&2
    exit 2
fi
if [[ ! -f $scenario ]]; then
    echo "$0: $scenario is not a file (SCENARIO is read from $(pwd))" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$shared/logs"
shared=$(cd "$shared" && pwd)
case $out in
/*) ;;
*) out=$(pwd)/$out ;;
esac
# The jobs inherit this environment (sbatch --export=ALL, the default):
# an absolute path to the binary, so a job started elsewhere finds it.
fleetsim=${FLEETSIM:-$(command -v fleetsim || true)}
if [[ -z $fleetsim || ! -x $fleetsim ]]; then
    echo "$0: no fleetsim binary: put it on the PATH or set FLEETSIM" >&2
    exit 2
fi
export FLEETSIM
FLEETSIM=$(cd "$(dirname "$fleetsim")" && pwd)/$(basename "$fleetsim")
read -r -a extra <<<"${SBATCH_OPTIONS:-}"

array=$(sbatch --parsable "${extra[@]}" --array="0-$((n - 1))" \
    --output="$shared/logs/shard-%a.out" \
    "$here/fleetsim-array.sbatch" "$scenario" "$shared" "$@")
array=${array%%;*}
# --kill-on-invalid-dep: if a shard fails, the merge is cancelled rather
# than left pending for ever (DependencyNeverSatisfied).
merge=$(sbatch --parsable "${extra[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --output="$shared/logs/merge.out" \
    "$here/fleetsim-merge.sbatch" "$n" "$shared" "$out")
merge=${merge%%;*}
echo "array job $array"
echo "merge job $merge"
