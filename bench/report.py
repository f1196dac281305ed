#!/usr/bin/env python3
"""Turn the RESULT lines of proctime.py into the Markdown tables of bench/peers.sh and
bench/scale.sh.

    report.py peers NB_BEFORE.tsv NB_AFTER.tsv PEERS.tsv
    report.py scale SCALE.tsv

Each TSV line is `label runs wall_s cpu_s peak_mib exit_codes` (proctime.py's RESULT record
without its first field). The scale file adds two leading fields: notebooks and threads.
Standard library only.
"""

import sys

# Labels bench/peers.sh gives its nbrender rows.
NB_EQUIVALENT = "nbrender bench/mlops/mlops.md"
NB_SHIPPED = "nbrender notebooks/mlops.md"
NB_SITE = "site: nbrender"


def read_rows(path):
    """label -> (runs, wall, cpu, peak, codes); rows that did not finish are kept as None."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 6:
                continue
            label, runs, wall, cpu, peak, codes = fields[-6:]
            lead = fields[:-6]
            try:
                value = (int(runs), float(wall), float(cpu), float(peak), codes)
            except ValueError:
                value = None
            rows[tuple(lead) + (label,)] = value
    return rows


def find(rows, prefix):
    for key, value in rows.items():
        if key[-1].startswith(prefix):
            return key[-1], value
    return None, None


def ratio(peer, nb):
    if not peer or not nb or nb <= 0:
        return "-"
    r = peer / nb
    return f"{r:,.0f}x" if r >= 10 else f"{r:.1f}x"


def slower(a, b):
    """Of two sittings of the same command, the one with the larger median wall."""
    if a is None:
        return b
    if b is None:
        return a
    return a if a[1] >= b[1] else b


def short(label):
    return label.split(" (")[0]


def peers(before_path, after_path, peers_path):
    before, after, peer_rows = read_rows(before_path), read_rows(after_path), read_rows(peers_path)
    nb = {}
    for prefix in (NB_EQUIVALENT, NB_SHIPPED, NB_SITE):
        label, a = find(before, prefix)
        _, b = find(after, prefix)
        nb[prefix] = (label or prefix, a, b, slower(a, b))

    out = []
    out.append("### nbrender, timed before and after the peers (median wall s / cpu s / peak RSS MiB)")
    out.append("")
    out.append("| command | before | after |")
    out.append("|---|---|---|")
    for label, a, b, _ in nb.values():
        cell = lambda r: "did not finish" if r is None else f"{r[1]:.4f} / {r[2]:.4f} / {r[3]:.1f} ({r[0]} runs)"
        out.append(f"| {label} | {cell(a)} | {cell(b)} |")
    out.append("")
    out.append("Ratios below divide by the slower of the two nbrender sittings. A peak RSS at the timer's")
    out.append("floor (printed by proctime.py, about 13 MiB) is a bound: the real peak may be lower.")
    out.append("")

    eq, shipped, site = nb[NB_EQUIVALENT][3], nb[NB_SHIPPED][3], nb[NB_SITE][3]
    out.append("### One document")
    out.append("")
    out.append(
        "| command | runs | wall s | cpu s | peak RSS MiB "
        "| wall: peer / nbrender bench/mlops | cpu: peer / nbrender bench/mlops "
        "| wall: peer / nbrender notebooks/mlops.md |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    if eq:
        out.append(f"| {NB_EQUIVALENT} (equivalent notebook) | {eq[0]} | {eq[1]:.4f} | {eq[2]:.4f} | {eq[3]:.1f} | 1x | 1x | - |")
    if shipped:
        out.append(f"| {NB_SHIPPED} (shipped notebook) | {shipped[0]} | {shipped[1]:.4f} | {shipped[2]:.4f} | {shipped[3]:.1f} | - | - | 1x |")
    summary = []
    for (label,), r in peer_rows.items():
        if label.startswith("site:"):
            continue
        if r is None:
            out.append(f"| {label} | 0 | did not finish | | | | | |")
            continue
        w_eq = ratio(r[1], eq and eq[1])
        c_eq = ratio(r[2], eq and eq[2])
        w_sh = ratio(r[1], shipped and shipped[1])
        out.append(f"| {label} | {r[0]} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.1f} | {w_eq} | {c_eq} | {w_sh} |")
        summary.append(f"- {short(label)} / nbrender = {w_eq} wall, {c_eq} cpu (notebooks/mlops.md: {w_sh} wall)")
    out.append("")

    out.append("### Batch: 50 copies, one call per tool")
    out.append("")
    out.append("| command | runs | wall s | cpu s | peak RSS MiB | per document wall ms | wall: peer / nbrender | cpu: peer / nbrender |")
    out.append("|---|---|---|---|---|---|---|---|")
    copies = site_copies(peer_rows)
    if site:
        per = f"{site[1] / copies * 1000:.2f}" if copies else "-"
        out.append(f"| {nb[NB_SITE][0]} | {site[0]} | {site[1]:.4f} | {site[2]:.4f} | {site[3]:.1f} | {per} | 1x | 1x |")
    for (label,), r in peer_rows.items():
        if not label.startswith("site:"):
            continue
        if r is None:
            out.append(f"| {label} | 0 | did not finish | | | | | |")
            continue
        per = f"{r[1] / copies * 1000:.0f}" if copies else "-"
        w, c = ratio(r[1], site and site[1]), ratio(r[2], site and site[2])
        out.append(f"| {label} | {r[0]} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.1f} | {per} | {w} | {c} |")
        summary.append(f"- {short(label)} / nbrender site = {w} wall, {c} cpu")
    out.append("")
    out.append("### Ratios")
    out.append("")
    out.extend(summary)
    return "\n".join(out) + "\n"


def site_copies(peer_rows):
    """The batch size, read from run.sh's labels (`site: pandoc x50 ...`)."""
    for (label,) in peer_rows:
        for word in label.split():
            if word.startswith("x") and word[1:].isdigit():
                return int(word[1:])
    return 0


def scale(path, tolerance):
    rows = read_rows(path)
    out = []
    out.append(
        "| notebooks | threads | runs | wall s | cpu s | peak RSS MiB | wall per page ms | cpu per page ms |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    per_page = {}
    for (n, threads, _label), r in sorted(rows.items(), key=lambda kv: (int(kv[0][0]), int(kv[0][1]))):
        n_i, t_i = int(n), int(threads)
        if r is None:
            out.append(f"| {n} | {threads} | 0 | did not finish | | | | |")
            continue
        wall_pp, cpu_pp = r[1] / n_i * 1000, r[2] / n_i * 1000
        per_page[(n_i, t_i)] = (wall_pp, cpu_pp, r[1])
        out.append(
            f"| {n} | {threads} | {r[0]} | {r[1]:.3f} | {r[2]:.3f} | {r[3]:.1f} | {wall_pp:.3f} | {cpu_pp:.3f} |"
        )
    out.append("")
    out.append(f"Linearity: the cost per page at 1000 notebooks over that at 100, within {tolerance:.0%}")
    out.append("(cpu is the steadier of the two on a loaded machine):")
    out.append("")
    for t in sorted({t for (_, t) in per_page}):
        a, b = per_page.get((100, t)), per_page.get((1000, t))
        if not a or not b:
            out.append(f"- {t} thread(s): not measured")
            continue
        verdicts = []
        for name, i in (("wall", 0), ("cpu", 1)):
            r = b[i] / a[i]
            verdict = "linear" if abs(r - 1) <= tolerance else "NOT linear"
            verdicts.append(f"{name} {b[i]:.3f} / {a[i]:.3f} ms = {r:.2f} ({verdict})")
        # The marginal cost of a page, free of the fixed start-up cost.
        marginal = (b[2] - a[2]) / 900 * 1000
        out.append(f"- {t} thread(s): {'; '.join(verdicts)}; marginal wall 100 -> 1000: {marginal:.3f} ms per page")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) == 5 and argv[1] == "peers":
        sys.stdout.write(peers(argv[2], argv[3], argv[4]))
        return 0
    if len(argv) in (3, 4) and argv[1] == "scale":
        tolerance = float(argv[3]) if len(argv) == 4 else 0.25
        sys.stdout.write(scale(argv[2], tolerance))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
