# Shared by bench/peers.sh and bench/scale.sh (sourced, not run).

say() { printf '\n== %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# build_nbrender ROOT PYTHON: sets NB to a release binary of the repository at ROOT, built
# with --locked; NBRENDER_BIN names one already built instead.
build_nbrender() {
    if [ -n "${NBRENDER_BIN:-}" ]; then
        NB="$NBRENDER_BIN"
        say "using $NB (NBRENDER_BIN), not building"
    else
        say "building nbrender (release)"
        (cd "$1" && cargo build --release --locked --quiet)
        local target
        target="$(cd "$1" && cargo metadata --format-version 1 --no-deps \
            | "$2" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
        NB="$target/release/nbrender"
    fi
    [ -x "$NB" ] || die "no nbrender binary at $NB"
    # The source the binary was built from: the tree may move on while a long run goes.
    if [ -n "${NBRENDER_BIN:-}" ]; then
        NB_SOURCE="an unknown tree (NBRENDER_BIN=$NBRENDER_BIN)"
    else
        NB_SOURCE="$(git -C "$1" describe --always --dirty 2>/dev/null || echo '(no git)')"
    fi
}

# machine_lines NB ROOT: the Markdown lines naming the machine and the build.
machine_lines() {
    echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM."
    echo "nbrender $("$1" --version | awk '{print $2}') built from ${NB_SOURCE:-?}."
}
