#!/usr/bin/env bash
# Opens fleetsim's report.html in a real browser: headless Chromium loads the
# reports of baseline and capacity-plan (and a plan's, and a comparison's of
# baseline with failure-storm, and fit_report.html of `fleetsim fit --report`
# on baseline's trace) from disk with the network off, at 1280x2000, and
# check.py fails on any console error, any request, a blank or near-uniform
# screenshot, or an SVG count that differs from the page's (and, for the
# comparison, from its two charts, ECS and BMS; for the fit, from the
# fitted durations fit_report.csv lists). .ci/run runs it; it never skips.
#
# Installs what it needs when it is missing, and fails (exit 2) when it
# cannot: Debian's chromium (apt-get, as root) and a venv with the pinned
# tests/browser/requirements.txt (Pillow, for the screenshot check; rebuilt
# when that file changes).
#
# Usage: tests/browser/check.sh [--docs]
#   --docs  run the full scenarios (their own horizons and replications) and
#           copy the baseline, capacity-plan and baseline fit screenshots to
#           docs/images/
#
# Environment:
#   FLEETSIM        a fleetsim binary to use instead of `cargo build --release`
#   CHROMIUM        the browser (default /usr/bin/chromium)
#   BROWSER_VENV    the venv folder (default target/browser-venv)
#   BROWSER_PYTHON  the Python that creates it (default python3)
#   BROWSER_OUT     where the reports and screenshots go (default target/browser-check)
#
# Exit status: 0 every check passed; 1 some failed; 2 nothing was checked
# (chromium, the venv, fleetsim or the reports could not be had).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
venv=${BROWSER_VENV:-$root/target/browser-venv}
python=${BROWSER_PYTHON:-python3}
out=${BROWSER_OUT:-$root/target/browser-check}
docs=false
[[ ${1:-} == --docs ]] && docs=true

fail() {
    echo "browser check: $*" >&2
    exit 2
}

# Chromium, from Debian's packages.
if [[ ! -x $chromium ]]; then
    [[ $chromium == /usr/bin/chromium ]] || fail "no browser at CHROMIUM=$chromium"
    command -v apt-get >/dev/null || fail "no $chromium, and no apt-get to install Debian's chromium with"
    [[ $(id -u) == 0 ]] || fail "no $chromium; install Debian's chromium (apt-get install chromium) as root"
    echo "browser check: installing Debian's chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || fail "apt-get update failed (its message is above)"
    apt-get install -y -qq chromium >/dev/null || fail "apt-get install chromium failed (its message is above)"
    [[ -x $chromium ]] || fail "apt-get installed chromium, but there is no $chromium"
fi

# The venv: rebuilt from scratch whenever requirements.txt differs from the
# copy it was built from.
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
    echo "browser check: building the venv $venv" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv" || fail "cannot create a venv in $venv with $python"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" ||
        fail "cannot install tests/browser/requirements.txt into $venv (pip's message is above)"
    cp "$here/requirements.txt" "$venv/requirements.txt"
fi
"$venv/bin/python" -c 'import PIL' || fail "the venv $venv cannot import Pillow: delete it and run again"

if [[ -n ${FLEETSIM:-} ]]; then
    fleetsim=$FLEETSIM
else
    echo "browser check: cargo build --release" >&2
    (cd "$root" && cargo build --release --quiet) || fail "cargo build --release failed"
    fleetsim=$root/target/release/fleetsim
fi
[[ -x $fleetsim ]] || fail "no fleetsim binary at $fleetsim"

# The reports. In CI, short studies (the page is the same page); with
# --docs, the studies as the README runs them.
if $docs; then
    short=()
    sweep_short=()
    plan_short=()
    compare_runs=(--replications 10)
else
    short=(--horizon 7d)
    sweep_short=(--horizon 40d --replications 3)
    plan_short=(--horizon 40d --min 60 --max 120)
    compare_runs=(--horizon 7d --replications 3)
fi
rm -rf "$out"
mkdir -p "$out"
cd "$root"
"$fleetsim" run scenarios/baseline.toml "${short[@]}" --quiet --report --out "$out/baseline" >/dev/null ||
    fail "fleetsim could not write the baseline's report"
"$fleetsim" run scenarios/capacity-plan.toml "${sweep_short[@]}" --quiet --report --out "$out/capacity-plan" >/dev/null ||
    fail "fleetsim could not write capacity-plan's report"
"$fleetsim" plan scenarios/capacity-plan.toml --pool general --target "blocked_share <= 0.01" \
    "${plan_short[@]}" --quiet --report --out "$out/capacity-plan-plan" >/dev/null ||
    fail "fleetsim could not write the plan's report"
# A comparison: two studies with the same seed and replications (paired).
for name in baseline failure-storm; do
    "$fleetsim" run "scenarios/$name.toml" "${compare_runs[@]}" --quiet --out "$out/compared/$name" >/dev/null ||
        fail "fleetsim could not run $name for the comparison"
done
"$fleetsim" compare "$out/compared/baseline" "$out/compared/failure-storm" --report \
    --out "$out/compare-baseline-vs-failure-storm" >/dev/null ||
    fail "fleetsim could not write the comparison's report"
# A fit of baseline's trace, with its page.
"$fleetsim" run scenarios/baseline.toml "${short[@]}" --trace --quiet --out "$out/fit-run" >/dev/null ||
    fail "fleetsim could not run baseline with --trace for the fit"
"$fleetsim" fit "$out/fit-run/transitions.csv" --out "$out/fit-baseline/fitted.toml" --report >/dev/null ||
    fail "fleetsim could not write the fit's report"
# Its charts: one per duration with a family (not fixed) in fit_report.csv, the time to
# fault's Weibull (.weibull) drawn on the time to fault's chart.
fit_charts=$(awk -F, 'NR > 1 && $8 != "" && $8 != "fixed" { k = $1; sub(/\.weibull$/, "", k); if (!(k in seen)) { seen[k] = 1; n++ } } END { print n + 0 }' \
    "$out/fit-baseline/fit_report.csv") || fail "cannot read the fit's fit_report.csv"
[[ $(head -1 "$out/fit-baseline/fit_report.csv" | cut -d, -f1,8) == estimate,family ]] ||
    fail "fit_report.csv's first and eighth columns are no longer estimate and family: update this script"

status=0
"$venv/bin/python" "$here/check.py" --chromium "$chromium" --out "$out" \
    "$out/baseline/report.html" "$out/capacity-plan/report.html" \
    "$out/capacity-plan-plan/report.html" \
    "$out/compare-baseline-vs-failure-storm/report.html=2" \
    "$out/fit-baseline/fit_report.html=$fit_charts" || status=$?
if [[ $status == 0 ]] && $docs; then
    mkdir -p "$root/docs/images"
    for name in baseline capacity-plan; do
        cp "$out/$name.png" "$root/docs/images/report-$name.png"
    done
    cp "$out/fit-baseline.png" "$root/docs/images/fit-report-baseline.png"
    echo "browser check: copied the screenshots to docs/images/" >&2
fi
exit "$status"
