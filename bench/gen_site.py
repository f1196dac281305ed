#!/usr/bin/env python3
"""Generate a synthetic nbrender site for benchmarks.

    python3 bench/gen_site.py N OUT_DIR

Writes N notebooks into OUT_DIR (plus OUT_DIR/data/ and _site.yaml). Each notebook loads a
CSV of 8 rows, runs three cells, quotes four computed figures in prose, draws two band
charts, carries a FAQ with three questions and two related cards; every tenth notebook reads
another's results with results(). Deterministic: the same N gives the same files.
"""
import random
import sys
from pathlib import Path

GROUPS = ["Specialisations", "Employers", "Levels", "Locations", "Skills"]


def notebook(i: int, n: int) -> str:
    slug = f"section-{i:04d}"
    group = GROUPS[i % len(GROUPS)]
    related = [f"section-{(i + 1) % n:04d}", f"section-{(i + 7) % n:04d}"]
    depends = f"section-{(i // 10) * 10 - 10:04d}" if i % 10 == 0 and i >= 10 else None
    dep_cell = (
        f'\n```{{rhai}}\nlet other = results("{depends}");\nlet other_tc = other.tc;\n```\n\n'
        f"The section it builds on pays {{{{ other_tc | money_k_band }}}}.\n"
        if depends
        else ""
    )
    related_yaml = "\n".join(f"  - {r}" for r in related)
    return f"""---
title: "Synthetic section {i}"
section: "{i // 100 + 1}.{i % 100}"
group: {group}
prefix: s{i}
slug: {slug}
lede: "Generated page {i}: total compensation {{{{ tc | money_k_band }}}}."
headline: "TC {{{{ tc | money_k_band }}}}"
data:
  rows: data/rows-{i % 50:02d}.csv
related:
{related_yaml}
execute:
  echo: false
---

## Abstract {{.unnumbered}}

Base salary runs {{{{ base | money_band }}}} and total compensation {{{{ tc | money_band }}}},
a premium of {{{{ premium | pct_band }}}} over the baseline (@fig-tc).[^src]

[^src]: Synthetic data for benchmarks.

```{{rhai}}
//| output: false
let base = band_of(column(rows, "base_lo") + column(rows, "base_hi"));
let tc = band_of(column(rows, "tc_lo") + column(rows, "tc_hi"));
let premium = band(0.0, round_to(tc.hi / tc.lo - 1, 0.01));
assert(tc.lo <= tc.hi, "band order");
```

## Bands {{#sec-bands short="by employer"}}

| Tier | Note |
|---|---|
| A | first |
| B | second |

: tiers {{#tbl-tiers}}

```{{rhai}}
//| label: fig-tc
//| fig-cap: total compensation by tier
band_chart(rows, #{{ y: "tier", lo: "tc_lo", hi: "tc_hi", title: "TC by tier" }})
```

```{{rhai}}
//| label: fig-base
//| fig-cap: base salary by tier
band_chart(rows, #{{ y: "tier", lo: "base_lo", hi: "base_hi", title: "Base by tier" }})
```

See @sec-bands, @tbl-tiers and @fig-base.
{dep_cell}
## FAQ {{#sec-faq .faq short="questions"}}

### What is the total compensation?

It is {{{{ tc | money_band }}}}.

### What is the base?

It is {{{{ base | money_k_band }}}}.

### Is the premium large?

It is {{{{ premium | pct_band }}}}.
"""


def rows_csv(k: int) -> str:
    rnd = random.Random(k)
    lines = ["tier,base_lo,base_hi,tc_lo,tc_hi"]
    for t in range(8):
        lo = rnd.randrange(120, 220) * 1000
        hi = lo + rnd.randrange(20, 80) * 1000
        tlo = hi + rnd.randrange(10, 60) * 1000
        thi = tlo + rnd.randrange(50, 250) * 1000
        lines.append(f"Tier {t + 1},{lo},{hi},{tlo},{thi}")
    return "\n".join(lines) + "\n"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    (out / "data").mkdir(parents=True, exist_ok=True)
    (out / "_site.yaml").write_text(
        "title: Synthetic site\nbase_url: https://example.org\ngroups:\n" + "".join(f"  - {g}\n" for g in GROUPS)
    )
    for k in range(50):
        (out / "data" / f"rows-{k:02d}.csv").write_text(rows_csv(k))
    for i in range(n):
        (out / f"section-{i:04d}.md").write_text(notebook(i, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
