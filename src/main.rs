//! The `nbrender` binary: everything happens in the library's `cli` module.

/// mimalloc instead of the system allocator: a site build allocates from two threads at
/// once, and glibc's per-thread arenas spent a fifth of a 1,000-notebook build in malloc,
/// free and growing their heaps (`bench/RESULTS.md`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    nbrender::cli::main()
}
