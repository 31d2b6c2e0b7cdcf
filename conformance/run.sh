#!/usr/bin/env bash
# Checks fleetsim's fixtures against real OpenStack tooling: tempest's compute
# response schemas and client, and openstacksdk (see conformance/README.md).
#
# Builds a venv with the pinned requirements (once; again when
# requirements.txt changes), builds fleetsim, writes the fixtures of three
# scenarios into a temporary folder and runs check.py on them.
#
# Environment:
#   CONFORMANCE_VENV     the venv folder (default target/conformance-venv)
#   CONFORMANCE_PYTHON   the Python that creates it (default python3, >= 3.11)
#   CONFORMANCE_HORIZON  the fixtures' --horizon (default 1d)
#   CONFORMANCE_REPORT   the JSON report (default target/conformance-report.json)
#   FLEETSIM             a fleetsim binary to use instead of `cargo build --release`
#
# Exit status: 0 every check passed; 1 some failed (expected until the
# fixtures are API-complete); 2 nothing was checked (the venv, fleetsim or
# its fixtures could not be built).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv=${CONFORMANCE_VENV:-$root/target/conformance-venv}
python=${CONFORMANCE_PYTHON:-python3}
horizon=${CONFORMANCE_HORIZON:-1d}
report=${CONFORMANCE_REPORT:-$root/target/conformance-report.json}
scenarios=(baseline failure-storm capacity-crunch)

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
    "$fleetsim" fixtures "$root/scenarios/$scenario.toml" --horizon "$horizon" --out "$work/$scenario" >&2 ||
        fail "fleetsim could not write the fixtures of $scenario"
    folders+=("$work/$scenario")
done

mkdir -p "$(dirname "$report")"
status=0
"$venv/bin/python" "$here/check.py" --report "$report" "${folders[@]}" || status=$?
exit "$status"
