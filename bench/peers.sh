#!/usr/bin/env bash
# nbrender against the tools a reader would otherwise use, on the same MLOps article, in one
# sitting: installs the peers when missing, builds nbrender (release), renders each page once
# and checks it, times everything with the shared proctime.py (median of repeated runs after
# a warm-up: wall, cpu, peak RSS) and writes a Markdown table with the peer:nbrender ratios.
#
#   bash bench/peers.sh                      # the full set (15 to 30 minutes, mostly nbconvert)
#   RUNS=3 SITE_RUNS=1 bash bench/peers.sh   # quicker, noisier
#
# The peers themselves are rendered and timed by the shared run.sh (../shared/bench/peers,
# beside the repository), so their commands are exactly those of its RESULTS.md. nbrender is
# timed just before and just after it, with the same timer.
#
# Environment (all optional):
#   PEERS_DIR   the shared peers folder            (default: <repo>/../shared/bench/peers)
#   PEERS_VENV  the venv setup.sh makes            (default: ~/.cache/nbrender-peers/venv)
#   RUNS=5 WARMUP=1 SITE_N=50 SITE_RUNS=3          passed to run.sh for the peers
#   NB_RUNS=21 NB_WARMUP=2                         counted / uncounted nbrender runs
#   BENCH_OUT   where the table goes               (default: <repo>/bench/out)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_DIR="$(cd "${PEERS_DIR:-$ROOT/../shared/bench/peers}" && pwd)"
export PEERS_VENV="${PEERS_VENV:-$HOME/.cache/nbrender-peers/venv}"
export RUNS="${RUNS:-5}" WARMUP="${WARMUP:-1}" SITE_N="${SITE_N:-50}" SITE_RUNS="${SITE_RUNS:-3}"
NB_RUNS="${NB_RUNS:-21}"
NB_WARMUP="${NB_WARMUP:-2}"
BENCH_OUT="${BENCH_OUT:-$ROOT/bench/out}"
STAMP="$(date +%Y-%m-%d-%H%M)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nbrender-bench.XXXXXX")"
TABLE="$BENCH_OUT/peers-$STAMP.md"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# ---------------------------------------------------------------- 1. the peers
peers_ready() {
    [ -x "$PEERS_VENV/bin/jupyter" ] && [ -x "$PEERS_VENV/bin/papermill" ] \
        && [ -f "$PEERS_VENV/share/jupyter/kernels/python3/kernel.json" ] \
        && command -v pandoc >/dev/null 2>&1
}
if peers_ready; then
    say "peers already installed in $PEERS_VENV"
else
    say "installing the peers: $PEERS_DIR/setup.sh"
    bash "$PEERS_DIR/setup.sh"
fi
PY="$PEERS_VENV/bin/python"
TIMER=("$PY" "$PEERS_DIR/proctime.py")

# ---------------------------------------------------------------- 2. nbrender, release
build_nbrender "$ROOT" "$PY"

# ---------------------------------------------------------------- 3. inputs, rendered once and checked
N="$WORK/nbrender"
mkdir -p "$N/site"
for i in $(seq -w 1 "$SITE_N"); do cp "$ROOT/bench/mlops/mlops.md" "$N/site/mlops-$i.md"; done

# Each nbrender command, by the label its timing row gets.
EQUIVALENT=("$NB" -q "$ROOT/bench/mlops/mlops.md" -o "$N/out-equivalent")
SHIPPED=("$NB" -q "$ROOT/notebooks/mlops.md" -o "$N/out-shipped")
SITE=("$NB" -q "$N/site" -o "$N/out-site")

has_figure() { [ -f "$1" ] && grep -qF '$190,000' "$1"; }
say "render once with nbrender and check the pages"
"${EQUIVALENT[@]}" && has_figure "$N/out-equivalent/mlops/index.html" \
    || die "bench/mlops/mlops.md: no page with \$190,000"
"${SHIPPED[@]}" && has_figure "$N/out-shipped/mlops-engineer/index.html" \
    || die "notebooks/mlops.md: no page with \$190,000"
"${SITE[@]}"
pages=0
for f in "$N"/out-site/mlops-*/index.html; do has_figure "$f" && pages=$((pages + 1)); done
[ "$pages" = "$SITE_N" ] || die "site of $SITE_N copies: $pages pages with \$190,000"
echo "   ok: both pages and all $SITE_N site pages carry \$190,000"

# time_nb FILE LABEL CMD...: times one nbrender command, its RESULT record appended to FILE.
time_nb() {
    local file="$1" label="$2"; shift 2
    "${TIMER[@]}" --label "$label" -n "$NB_RUNS" --warmup "$NB_WARMUP" --timeout 300 -- "$@" \
        | tee -a /dev/stderr | grep -P '^RESULT\t' | cut -f2- >>"$file"
}

# nbrender_rows FILE: the three nbrender commands.
nbrender_rows() {
    : >"$1"
    time_nb "$1" "nbrender bench/mlops/mlops.md" "${EQUIVALENT[@]}"
    time_nb "$1" "nbrender notebooks/mlops.md" "${SHIPPED[@]}"
    time_nb "$1" "site: nbrender x$SITE_N (one call)" "${SITE[@]}"
}

# ---------------------------------------------------------------- 4. one sitting
LOAD_BEFORE="$(uptime)"
say "load before: $LOAD_BEFORE"
say "time nbrender (before the peers)"
nbrender_rows "$WORK/nbrender-before.tsv" 2>&1

say "time the peers: $PEERS_DIR/run.sh (RUNS=$RUNS WARMUP=$WARMUP SITE_N=$SITE_N SITE_RUNS=$SITE_RUNS)"
peers_status=0
PEERS_WORK="$WORK/peers" bash "$PEERS_DIR/run.sh" || peers_status=$?

say "time nbrender (after the peers)"
nbrender_rows "$WORK/nbrender-after.tsv" 2>&1
LOAD_AFTER="$(uptime)"
say "load after: $LOAD_AFTER"

# ---------------------------------------------------------------- 5. the table
mkdir -p "$BENCH_OUT"
{
    echo "# nbrender and its peers, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    machine_lines "$NB" "$ROOT"
    echo "Timer: proctime.py; nbrender rows: $NB_RUNS runs after $NB_WARMUP warm-up;"
    echo "peers: $RUNS runs after $WARMUP warm-up, batch rows $SITE_RUNS runs. Medians."
    echo
    echo "- load before: \`$LOAD_BEFORE\`"
    echo "- load after: \`$LOAD_AFTER\`"
    echo
    echo "Peer versions:"
    echo
    echo '```'
    cat "$WORK/peers/versions.txt" 2>/dev/null || echo "(run.sh wrote no versions)"
    echo '```'
    echo
    "$PY" "$ROOT/bench/report.py" peers "$WORK/nbrender-before.tsv" "$WORK/nbrender-after.tsv" \
        "$WORK/peers/summary.tsv"
    if [ "$peers_status" != 0 ]; then
        echo
        echo "**run.sh reported failed checks (exit $peers_status); see $WORK/peers/bench.log.**"
    fi
} >"$TABLE"

say "table ($TABLE)"
cat "$TABLE"
echo
echo "scratch files and logs: $WORK"
exit "$peers_status"
