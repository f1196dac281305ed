#!/usr/bin/env bash
# A family of pages against papermill's parameter runs, on the same job: the shipped
# notebooks/mlops-levels.md (MLOps pay at L3 to L7 from data/mlops_levels.csv, one page per
# level, each with a table and a chart) against a Python notebook doing the same work, run by
# papermill once per level and rendered to HTML by nbconvert (what papermill users do).
#
#   bash bench/family_peers.sh          # RUNS=5 by default
#
# Needs the peers' venv (bash ../shared/bench/peers/setup.sh). Prints farm-bench's table:
# A is nbrender, B the peer, so B/A (1 / the A/B rows) is how many times longer the peer takes.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${PEERS_VENV:-$HOME/.cache/nbrender-peers/venv}"
RUNS="${RUNS:-5}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nbrender-family.XXXXXX")"
[ -x "$VENV/bin/papermill" ] || { echo "no papermill in $VENV: run ../shared/bench/peers/setup.sh" >&2; exit 2; }
(cd "$ROOT" && cargo build --release -q)
NB="$ROOT/target/release/nbrender"
cp "$ROOT/notebooks/data/mlops_levels.csv" "$WORK/"

# The same computation and chart in Python: the level's row, its bands, the step from the
# level below, and a horizontal band chart of the ladder.
"$VENV/bin/python" - "$WORK/levels.ipynb" <<'PY'
import sys, nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
params = new_code_cell("level = 'L5'")
params.metadata["tags"] = ["parameters"]
cells = [
    params,
    new_code_cell("""import csv
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
ladder = list(csv.DictReader(open("mlops_levels.csv")))
at = [r["level"] for r in ladder].index(level)
row = ladder[at]
mid = lambda r: (int(r["tc_lo"]) + int(r["tc_hi"])) / 2
step = mid(row) / mid(ladder[at - 1]) - 1 if at > 0 else None
print(f"{level}: base ${int(row['base_lo'])//1000}k to ${int(row['base_hi'])//1000}k, "
      f"total ${int(row['tc_lo'])//1000}k to ${int(row['tc_hi'])//1000}k")"""),
    new_markdown_cell("## The whole ladder"),
    new_code_cell("""from IPython.display import Markdown
Markdown("| Level | Base | Total |\\n|---|---|---|\\n" + "\\n".join(
    f"| {r['level']} | ${int(r['base_lo'])//1000}k to ${int(r['base_hi'])//1000}k | "
    f"${int(r['tc_lo'])//1000}k to ${int(r['tc_hi'])//1000}k |" for r in ladder))"""),
    new_code_cell("""fig, ax = plt.subplots(figsize=(7, 3))
for i, r in enumerate(ladder):
    ax.barh(i, int(r["tc_hi"]) - int(r["tc_lo"]), left=int(r["tc_lo"]))
ax.set_yticks(range(len(ladder)), [r["level"] for r in ladder])
ax.set_title("MLOps engineer total compensation by level")
plt.show()"""),
]
nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nbformat.write(nb, sys.argv[1])
PY

cat > "$WORK/peer.sh" <<SH
set -e
cd "$WORK"
for level in L3 L4 L5 L6 L7; do
  "$VENV/bin/papermill" --no-progress-bar levels.ipynb "run-\$level.ipynb" -p level "\$level" >/dev/null 2>&1
  "$VENV/bin/jupyter" nbconvert --to html "run-\$level.ipynb" >/dev/null 2>&1
done
SH
bash "$WORK/peer.sh"
ls "$WORK"/run-L7.html >/dev/null
cp -r "$ROOT/notebooks" "$WORK/notebooks"
farm-bench -n "$RUNS" --vs "bash $WORK/peer.sh" -- "$NB" "$WORK/notebooks/mlops-levels.md" -o "$WORK/out" -q
