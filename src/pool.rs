//! The threads a build runs on: a rayon pool whose threads have stacks sized for the deepest
//! value the limits allow, so that dropping, cloning, converting or printing one cannot
//! overflow them. A build runs on the pool from start to end, its last drops included.

use std::sync::OnceLock;

use crate::exec::sandbox::STACK_BYTES;

static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();

/// Runs `f` on a thread of the pool, and its parallel work on the pool's threads. Should the
/// pool not start (no thread can be made), `f` runs here.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new().stack_size(STACK_BYTES).thread_name(|i| format!("nbrender-{i}")).build().ok()
    });
    match pool {
        // Already on it (a build inside a build): `install` would only add a hop.
        Some(pool) if pool.current_thread_index().is_none() => pool.install(f),
        _ => f(),
    }
}

/// Spawns a thread with the pool's stack size, for work outside the pool that holds a build's
/// values (`nbrender serve` keeps its last build to rebuild from).
pub fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> std::io::Result<std::thread::JoinHandle<T>> {
    std::thread::Builder::new().stack_size(STACK_BYTES).spawn(f)
}
