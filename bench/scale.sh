#!/usr/bin/env bash
# How a site build grows: generated sites of 10, 100 and 1,000 notebooks (bench/gen_site.py:
# data, three cells and two charts each), built with 1 and with 2 rayon threads, each timed
# with the shared proctime.py (median of repeated runs after a warm-up: wall, cpu, peak RSS).
# Prints a Markdown table with the cost per page and a linearity check, and writes it to
# bench/out/scale-DATE.md.
#
#   bash bench/scale.sh
#   SIZES="10 100" RUNS=3 bash bench/scale.sh
#
# Environment (all optional):
#   SIZES="10 100 1000"  THREADS="1 2"  RUNS=5  WARMUP=1
#   LINEAR_TOL=0.25     per-page wall cost at 1000 may differ from that at 100 by this much
#   PEERS_DIR           where proctime.py is (default: <repo>/../shared/bench/peers)
#   BENCH_OUT           where the table goes (default: <repo>/bench/out)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_DIR="$(cd "${PEERS_DIR:-$ROOT/../shared/bench/peers}" && pwd)"
SIZES="${SIZES:-10 100 1000}"
THREADS="${THREADS:-1 2}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
LINEAR_TOL="${LINEAR_TOL:-0.25}"
BENCH_OUT="${BENCH_OUT:-$ROOT/bench/out}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nbrender-scale.XXXXXX")"
TABLE="$BENCH_OUT/scale-$(date +%Y-%m-%d-%H%M).md"
PY="$(command -v python3)"

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

build_nbrender "$ROOT" "$PY"

say "generating the sites and rendering each once"
for n in $SIZES; do
    "$PY" "$ROOT/bench/gen_site.py" "$n" "$WORK/site-$n"
    "$NB" -q "$WORK/site-$n" -o "$WORK/out-$n"
    pages=$(find "$WORK/out-$n" -mindepth 2 -maxdepth 2 -name index.html | wc -l)
    charts=$(find "$WORK/out-$n" -mindepth 2 -maxdepth 2 -name '*.svg' | wc -l)
    [ "$pages" = "$n" ] || die "site of $n notebooks rendered $pages pages"
    echo "   ok: $n notebooks -> $pages pages, $charts charts"
done

LOAD_BEFORE="$(uptime)"
say "load before: $LOAD_BEFORE"
: >"$WORK/scale.tsv"
for n in $SIZES; do
    for t in $THREADS; do
        label="nbrender site of $n, $t thread(s)"
        RAYON_NUM_THREADS="$t" "$PY" "$PEERS_DIR/proctime.py" --label "$label" -n "$RUNS" --warmup "$WARMUP" \
            --timeout 900 -- "$NB" -q "$WORK/site-$n" -o "$WORK/out-$n" \
            | tee -a /dev/stderr | grep -P '^RESULT\t' | cut -f2- | sed "s/^/$n\t$t\t/" >>"$WORK/scale.tsv"
    done
done 2>&1
LOAD_AFTER="$(uptime)"
say "load after: $LOAD_AFTER"

mkdir -p "$BENCH_OUT"
{
    echo "# nbrender site builds by size, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    machine_lines "$NB" "$ROOT"
    echo "sites from bench/gen_site.py; proctime.py, $RUNS runs after $WARMUP warm-up, medians."
    echo
    echo "- load before: \`$LOAD_BEFORE\`"
    echo "- load after: \`$LOAD_AFTER\`"
    echo
    "$PY" "$ROOT/bench/report.py" scale "$WORK/scale.tsv" "$LINEAR_TOL"
} >"$TABLE"

say "table ($TABLE)"
cat "$TABLE"
