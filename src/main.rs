//! The `nbrender` binary: everything happens in the library's `cli` module.

/// mimalloc instead of the system allocator: a site build allocates from two threads at
/// once, and glibc's per-thread arenas spent a fifth of a 1,000-notebook build in malloc,
/// free and growing their heaps (`bench/RESULTS.md`). Built without transparent huge pages
/// (`no_thp`): with them, the 1,000-notebook build peaked at 195 MB instead of 121 MB, and
/// zeroing the huge pages took a sixth of its samples. Wrapped in `nbrender_alloc::Counting`,
/// which counts the bytes each thread holds, so that the cells of a notebook are stopped at
/// their memory limit (`limits: memory_bytes`).
#[global_allocator]
static ALLOCATOR: nbrender_alloc::Counting<mimalloc::MiMalloc> = nbrender_alloc::Counting(mimalloc::MiMalloc);

fn main() -> std::process::ExitCode {
    nbrender::cli::main()
}
