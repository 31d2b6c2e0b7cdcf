#!/usr/bin/env bash
# Checks fleetsim's fixtures against real OpenStack tooling: tempest's compute
# response schemas and client, and openstacksdk (see conformance/README.md).
#
# Builds a venv with the pinned requirements (once; again when
# requirements.txt changes), builds fleetsim (or takes $FLEETSIM), writes
# the fixtures of four scenarios at each microversion (and poll views of
# one) into a temporary folder and runs check.py on them. .ci/run runs it.
#
# Environment:
#   CONFORMANCE_VENV     the venv folder (default target/conformance-venv)
#   CONFORMANCE_PYTHON   the Python that creates it (default python3, >= 3.11)
#   CONFORMANCE_HORIZON  the fixtures' --horizon (default 1d)
#   CONFORMANCE_MICROVERSIONS  the --microversion values (default "2.1 latest")
#   CONFORMANCE_REPORT   the JSON report (default target/conformance-report.json)
#   FLEETSIM             a fleetsim binary to use instead of `cargo build --release`
#
# Exit status: 0 every check passed; 1 some failed; 2 nothing was checked
# (the venv, fleetsim or its fixtures could not be built).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv=${CONFORMANCE_VENV:-$root/target/conformance-venv}
python=${CONFORMANCE_PYTHON:-python3}
horizon=${CONFORMANCE_HORIZON:-1d}
report=${CONFORMANCE_REPORT:-$root/target/conformance-report.json}
# The three shipped scenarios the issue names, and one of conformance's own
# whose first day has evacuations (auto-recovery from failed hosts).
scenarios=(scenarios/baseline.toml scenarios/failure-storm.toml scenarios/capacity-crunch.toml
    conformance/scenarios/host-failures.toml)
read -r -a microversions <<<"${CONFORMANCE_MICROVERSIONS:-2.1 latest}"

fail() {
    echo "conformance: $*" >&2
    exit 2
}

# The venv: rebuilt from scratch whenever requirements.txt differs from the
# copy it was built from.
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
    echo "conformance: building the venv $venv" >&2
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
        fail "$python is not Python >= 3.11 (openstacksdk 4.22 needs it); set CONFORMANCE_PYTHON"
    rm -rf "$venv"
    "$python" -m venv "$venv" || fail "cannot create a venv in $venv with $python"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" ||
        fail "cannot install conformance/requirements.txt into $venv (pip's message is above)"
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi
"$venv/bin/python" -c 'import jsonschema, openstack.cloud.meta, tempest.lib.services.compute.servers_client' ||
    fail "the venv $venv cannot import tempest, openstacksdk and jsonschema: delete it and run again"

if [[ -n ${FLEETSIM:-} ]]; then
    fleetsim=$FLEETSIM
else
    echo "conformance: cargo build --release" >&2
    (cd "$root" && cargo build --release --quiet) || fail "cargo build --release failed"
    fleetsim=$root/target/release/fleetsim
fi
[[ -x $fleetsim ]] || fail "no fleetsim binary at $fleetsim"

work=$(mktemp -d "${TMPDIR:-/tmp}/fleetsim-conformance.XXXXXX")
trap 'rm -rf "$work"' EXIT
folders=()
for scenario in "${scenarios[@]}"; do
    for version in "${microversions[@]}"; do
        out="$work/$(basename "$scenario" .toml)-$version"
        "$fleetsim" fixtures "$root/$scenario" --horizon "$horizon" \
            --microversion "$version" --out "$out" >&2 ||
            fail "fleetsim could not write the fixtures of $scenario at $version"
        folders+=("$out")
    done
done
# Poll views too: what a client polling every 10 minutes sees of 300
# servers of the baseline.
for version in "${microversions[@]}"; do
    out="$work/baseline-poll-$version"
    "$fleetsim" fixtures "$root/scenarios/baseline.toml" --horizon "$horizon" --mode poll \
        --poll-interval 10m --limit 300 --microversion "$version" --out "$out" >&2 ||
        fail "fleetsim could not write the poll-mode fixtures of baseline at $version"
    folders+=("$out")
done

mkdir -p "$(dirname "$report")"
status=0
"$venv/bin/python" "$here/check.py" --report "$report" "${folders[@]}" || status=$?
exit "$status"
