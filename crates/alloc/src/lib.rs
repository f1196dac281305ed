//! nbrender's global allocator: another allocator (mimalloc, in the binary) with a count of
//! the bytes each thread has allocated and not freed, so that the cells of a notebook can be
//! stopped when they hold more memory than their limit.
//!
//! This is the one place of nbrender with `unsafe` code: implementing [`GlobalAlloc`] is
//! unsafe by definition. Each method passes its arguments on to the inner allocator unchanged
//! and only adds a number to a thread-local counter, which never allocates: a `const`
//! thread-local `Cell<isize>` has no lazy initialisation and no destructor to register.
//!
//! The library reads the counter with [`held`]. Without this allocator installed (the
//! library's own tests, a fuzz target), the counter stays at zero and no memory limit applies.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
}

/// Wraps the allocator `A`, counting the bytes each thread allocates and frees.
pub struct Counting<A>(pub A);

fn count(bytes: isize) {
    // `try_with`: a thread that is being torn down has no counter any more; its last frees
    // are not counted.
    let _ = HELD.try_with(|held| held.set(held.get().wrapping_add(bytes)));
}

/// A size as a signed count. No allocation is larger than `isize::MAX` bytes (`Layout`
/// guarantees it), so this never saturates in practice.
fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

// SAFETY: every method forwards to the inner allocator with the arguments it was given, so
// the inner allocator's guarantees hold unchanged; the counting beside it touches only a
// thread-local integer and never allocates.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract for `layout`.
        let ptr = unsafe { self.0.alloc(layout) };
        if !ptr.is_null() {
            count(signed(layout.size()));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { self.0.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(signed(layout.size()));
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller passes a block this allocator gave out, with its layout.
        unsafe { self.0.dealloc(ptr, layout) };
        count(-signed(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `realloc`'s contract for `ptr`, `layout` and `new_size`.
        let new = unsafe { self.0.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(signed(new_size).wrapping_sub(signed(layout.size())));
        }
        new
    }
}

/// Bytes this thread has allocated and not freed since it started, less what it freed of
/// memory other threads allocated. Compare two readings on the same thread to see what was
/// allocated between them.
pub fn held() -> isize {
    HELD.try_with(Cell::get).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[global_allocator]
    static ALLOCATOR: Counting<std::alloc::System> = Counting(std::alloc::System);

    #[test]
    fn a_thread_counts_what_it_holds() {
        let before = held();
        let block = vec![0u8; 1 << 20];
        assert!(held() - before >= 1 << 20);
        let mut grown = block;
        grown.resize(2 << 20, 1);
        assert!(held() - before >= 2 << 20);
        drop(grown);
        assert!(held() - before < 1 << 10);
    }

    #[test]
    fn other_threads_count_their_own() {
        let before = held();
        let other = std::thread::spawn(|| {
            let start = held();
            let block = vec![1u8; 1 << 20];
            (held() - start, block)
        });
        let (theirs, block) = other.join().unwrap_or_default();
        assert!(theirs >= 1 << 20);
        assert!(held() - before < 1 << 16, "this thread did not allocate the block");
        drop(block);
        assert!(held() - before < -(1 << 19), "freeing another thread's block counts here");
    }
}
