#!/usr/bin/env python3
"""Replays the attacks of issue 12 ("Hostile input, round two") against an nbrender binary and
prints, for each, how the binary answered (exit code, the first error line), the wall time and
the peak resident memory of the process. The numbers of the issue's closing note come from here.

    python3 bench/attacks.py [path/to/nbrender]     # default: target/release/nbrender
    ITEMS=13,16 python3 bench/attacks.py            # only the attacks of these items

Each attack runs in a fresh temporary folder, under a timeout (60 s) and an address-space cap
(8 GiB), so that a binary that has the old bugs is stopped rather than taking the machine down:
for those, the table says "timeout" or shows the signal.
"""

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/nbrender"))
TIMEOUT = 60
ADDRESS_SPACE = 8 << 30


def notebook(script, front="", prose="Text."):
    return f"---\ntitle: Attack\n{front}---\n```{{rhai}}\n{script}\n```\n\n{prose}\n"


def write(folder, rel, text):
    path = os.path.join(folder, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode) as f:
        f.write(text)


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    os.setsid()


def run(folder, args):
    """Runs the binary in `folder`; returns (exit, first error line, seconds, peak MiB)."""
    report = os.path.join(folder, ".rusage")
    start = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", report, BIN, *args], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "NO_COLOR": "1"}, preexec_fn=limit_memory)
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        code = "timeout"
    seconds = time.monotonic() - start
    try:
        with open(report) as f:
            peak_mib = int(f.read().split()[-1]) / 1024
    except (OSError, ValueError, IndexError):
        peak_mib = None
    lines = [l for l in err.decode("utf-8", "replace").splitlines() if l.strip()]
    first = next((l for l in lines if l.startswith(("error", "warning"))), lines[0] if lines else "")
    if isinstance(code, int) and code > 128:
        code = f"signal {code - 128}"
    return code, first, seconds, peak_mib


def attacks():
    """Each attack: (item, name, setup(folder) -> args)."""
    out = []

    def cell(item, name, script, front="", prose="Text.", site=None):
        def setup(d):
            write(d, "nb/a.md", notebook(script, front, prose))
            if site:
                write(d, "nb/_site.yaml", site)
            return ["nb/", "-o", "out"]
        out.append((item, name, setup))

    cell(1, "value nested 200,000 deep", "let a = []; for i in 0..200000 { a = [a]; } 1")
    cell(1, "function pointer curried 200,000 deep",
         'fn f(x) { x } let p = Fn("f"); for i in 0..200000 { p = Fn("f").curry(p); } 1')
    cell(2, "sleep(100000)", "sleep(100000);")
    cell(2, "sleep through Fn(\"sleep\")", 'let f = Fn("sleep"); f.call(100000);')
    cell(3, "600 prints of 1 MiB", 'let s = "x"; s.pad(1048576, "x"); for i in 0..600 { print(s); }')
    cell(4, "strings curried into function pointers",
         'fn f(x) { x } let s = "x"; s.pad(1000000, "x"); let a = []; '
         'for i in 0..2000 { a.push(Fn("f").curry(s + i)); }')
    cell(4, "strings captured by closures",
         'let a = []; for i in 0..2000 { let s = "x"; s.pad(1000000, "x"); a.push(|| s); }')
    cell(4, "map() piling up 1 MiB strings",
         'let a = []; a.pad(100000, 0); let b = "x"; b.pad(1000000, "x"); let c = a.map(|x| b + x);')
    cell(4, "replace() of 1 MiB by 1 MiB",
         'let s = "a"; s.pad(1000000, "a"); let b = "b"; b.pad(1000000, "b"); s.replace("a", b);')

    def link_out(d):
        write(d, "nb/a.md", notebook("1"))
        write(d, "out/.nbrender", "")
        os.makedirs(os.path.join(d, "elsewhere"))
        os.symlink(os.path.join(d, "elsewhere"), os.path.join(d, "out/a"))
        os.symlink(os.path.join(d, "elsewhere"), os.path.join(d, "out/assets"))
        return ["nb/a.md", "-o", "out"]
    out.append((5, "one-page build into out/a -> elsewhere", link_out))

    def tmp_link(d):
        write(d, "nb/a.md", notebook("1"))
        write(d, "out/.nbrender", "")
        write(d, "precious.txt", "precious")
        os.makedirs(os.path.join(d, "out/a"))
        os.symlink(os.path.join(d, "precious.txt"), os.path.join(d, "out/a/index.html.nbrender-tmp"))
        return ["nb/a.md", "-o", "out"]
    out.append((5, "link planted at the temporary name", tmp_link))

    def theme_out(d):
        write(d, "nb/a.md", notebook("1"))
        write(d, "home/.ssh/id_rsa", "secret")
        write(d, "nb/_site.yaml", f"theme: {os.path.join(d, 'home/.ssh')}\n")
        return ["nb/", "-o", "out"]
    out.append((6, "theme: an absolute path in _site.yaml", theme_out))

    def yaml_nest(d):
        write(d, "nb/a.md", "---\ntitle: Attack\nx: " + "[" * 100000 + "]" * 100000 + "\n---\nText.\n")
        return ["nb/", "-o", "out"]
    out.append((7, "frontmatter nested 100,000 deep", yaml_nest))

    def csv_columns(d):
        write(d, "nb/a.md", notebook("rows.len()", "data:\n  rows: data/wide.csv\n"))
        write(d, "nb/data/wide.csv", ",".join(f"c{i}" for i in range(100000)) + "\n")
        return ["nb/", "-o", "out"]
    out.append((8, "CSV with 100,000 columns", csv_columns))

    def emphasis(d):
        body = "*a* " * (16_000_000 // 4)
        write(d, "nb/a.md", "---\ntitle: Attack\n---\n" + body + "\n")
        return ["nb/", "-o", "out"]
    out.append((9, "16 MB notebook of `*a* `", emphasis))

    def big_csv(d):
        rows = ["a,b,c,d,e,f,g,h"] + [",".join(["1"] * 8) for _ in range(240000)]
        write(d, "nb/data/big.csv", "\n".join(rows) + "\n")
        write(d, "nb/a.md", notebook("rows.len()", "data:\n  rows: data/big.csv\n"))
        return ["nb/", "-o", "out"]
    out.append((9, "CSV of 240,000 rows x 8", big_csv))

    def wide_data(d):
        header = ",".join(f"c{c}" for c in range(20))
        rows = [header] + [",".join(f"text {r}-{c}" for c in range(20)) for r in range(6000)]
        write(d, "nb/data/wide.csv", "\n".join(rows) + "\n")
        write(d, "nb/a.md", notebook('let copy = rows; let s = sort_by(rows, "c1"); copy.len()',
                                     "data:\n  rows: data/wide.csv\n"))
        return ["nb/", "-o", "out"]
    out.append((10, "6,000 x 20 CSV used in a cell", wide_data))

    cell(11, "1.0 / 0.0", "let x = 1.0 / 0.0;", prose="{{ x | money }}")
    cell(11, "overflow to infinity shown", "let x = 1e308 * 10.0;", prose="{{ x | money_k }}")
    cell(11, "median with NaN", "median([1.0, 2.0, sqrt(-1.0)])")

    def yaml_nan(d):
        write(d, "nb/data/t.yaml", "- lo: .nan\n")
        write(d, "nb/a.md", notebook("t.len()", "data:\n  t: data/t.yaml\n"))
        return ["nb/", "-o", "out"]
    out.append((11, "YAML .nan in data", yaml_nan))

    def theme_loop(d):
        write(d, "nb/a.md", notebook("1"))
        write(d, "theme/page.html", "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}")
        return ["nb/", "-o", "out", "--theme", "theme"]
    out.append((12, "theme page.html with two range(100000) loops", theme_loop))

    def fifo(d):
        write(d, "nb/a.md", notebook("rows.len()", "data:\n  rows: data/pipe.csv\n"))
        os.makedirs(os.path.join(d, "nb/data"))
        os.mkfifo(os.path.join(d, "nb/data/pipe.csv"))
        return ["nb/", "-o", "out"]
    out.append((13, "data file that is a FIFO", fifo))

    def device(d):
        write(d, "nb/a.md", notebook("rows.len()", "data:\n  rows: data/zero.csv\n"))
        os.makedirs(os.path.join(d, "nb/data"))
        # A device node inside the folder (as /dev/zero): root may make one; others cannot.
        os.mknod(os.path.join(d, "nb/data/zero.csv"), 0o644 | __import__("stat").S_IFCHR, os.makedev(1, 5))
        return ["nb/", "-o", "out"]
    if os.geteuid() == 0:
        out.append((13, "data file that is a device node (/dev/zero's)", device))

    def escapes(d):
        write(d, "nb/a.md", '---\ntitle: Attack\nslug: "x\\e]0;PWNED\\a"\n---\nText.\n')
        return ["nb/", "-o", "out"]
    out.append((15, "slug with a terminal title escape", escapes))

    def out_link(d):
        write(d, "nb/a.md", notebook("1"))
        os.makedirs(os.path.join(d, "real"))
        os.symlink(os.path.join(d, "real"), os.path.join(d, "link"))
        return ["nb/", "-o", "link/"]
    out.append((16, "-o link/", out_link))

    def out_dot(d):
        write(d, "nb/a.md", notebook("1"))
        return ["nb/", "-o", "."]
    out.append((16, "-o .", out_dot))
    return out


def main():
    if not os.path.exists(BIN):
        sys.exit(f"no binary at {BIN}: build it with cargo build --release")
    print(f"binary: {BIN}\n")
    print("| item | attack | exit | seconds | peak MiB | first line of the answer |")
    print("|---|---|---|---|---|---|")
    only = {int(i) for i in os.environ.get("ITEMS", "").split(",") if i.strip()}
    for item, name, setup in attacks():
        if only and item not in only:
            continue
        folder = tempfile.mkdtemp(prefix="nbrender-attack-")
        try:
            args = setup(folder)
            code, first, seconds, peak = run(folder, args)
            escaped = first.replace("|", "\\|").replace("\x1b", "\\e").replace("\x07", "\\a")
            peak_text = f"{peak:.0f}" if peak is not None else "?"
            print(f"| {item} | {name} | {code} | {seconds:.2f} | {peak_text} | {escaped[:110]} |")
            sys.stdout.flush()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
