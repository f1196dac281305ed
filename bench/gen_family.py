#!/usr/bin/env python3
"""Generate a site of one family (`pages:`) for benchmarks.

    python3 bench/gen_family.py N OUT_DIR

Writes OUT_DIR/family.md, a notebook whose `pages:` matrix makes N member pages, each the
same work as one notebook of bench/gen_site.py (a CSV of 8 rows, three cells, four computed
figures in prose, two band charts, a FAQ, two related cards), scaled by its parameter, plus
OUT_DIR/data/rows.csv and _site.yaml. Built beside `gen_site.py N`, it measures what a family
shares: one parse, one data load, one read of its calls, against N notebooks that do each.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import gen_site  # noqa: E402


def family(n: int) -> str:
    body = gen_site.notebook(1, 3).split("\n---\n", 1)[1]
    # Every figure scales with the member's parameter, so no two pages are the same.
    body = body.replace(
        'let base = band_of(column(rows, "base_lo") + column(rows, "base_hi"));',
        'let base = band_of(column(rows, "base_lo") + column(rows, "base_hi")) * (1.0 + k / 1000.0);',
    ).replace(
        'let tc = band_of(column(rows, "tc_lo") + column(rows, "tc_hi"));',
        'let tc = band_of(column(rows, "tc_lo") + column(rows, "tc_hi")) * (1.0 + k / 1000.0);',
    )
    values = ", ".join(str(k) for k in range(1, n + 1))
    return f"""---
title: Synthetic family
section: "1"
group: Levels
prefix: f
params:
  k: 1
data:
  rows: data/rows.csv
pages:
  slug: member-{{{{ k }}}}
  title: Synthetic member {{{{ k }}}}
  matrix:
    k: [{values}]
lede: "Generated member {{{{ k }}}}: total compensation {{{{ tc | money_k_band }}}}."
headline: "TC {{{{ tc | money_k_band }}}}"
related:
  - member-1
  - member-2
execute:
  echo: false
---
{body}"""


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "_site.yaml").write_text("title: Synthetic family\nbase_url: https://example.org\n")
    (out / "data" / "rows.csv").write_text(gen_site.rows_csv(0))
    (out / "family.md").write_text(family(n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
