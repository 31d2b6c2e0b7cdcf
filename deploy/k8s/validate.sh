#!/usr/bin/env bash
# Checks the Kubernetes recipe of this folder without a cluster: builds a
# venv with kubernetes-validate (PyPI, pinned in requirements.txt; once,
# and again when requirements.txt changes) and runs check.py, which
# validates every manifest against the Kubernetes API schema, checks that
# they agree with one another, and runs their command lines through
# fleetsim. .ci/run runs it; it fails, never skips, when the validator
# cannot be installed.
#
# Environment:
#   FLEETSIM     the binary (default target/debug/fleetsim)
#   K8S_VENV     the venv folder (default target/k8s-venv)
#   K8S_PYTHON   the Python that creates it (default python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${K8S_VENV:-$root/target/k8s-venv}
python=${K8S_PYTHON:-python3}
fleetsim=${FLEETSIM:-$root/target/debug/fleetsim}

fail() {
    echo "k8s: $*" >&2
    exit 1
}
[[ -x $fleetsim ]] || fail "no fleetsim binary at $fleetsim: run cargo test (or cargo build) first, or set FLEETSIM"
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
    echo "k8s: building the venv $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv" || fail "cannot create a venv in $venv with $python"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" ||
        fail "cannot install deploy/k8s/requirements.txt into $venv (pip's message is above)"
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi
"$venv/bin/python" "$here/check.py" "$fleetsim"
