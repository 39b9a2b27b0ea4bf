//! Making the interpreter's context: the one place a [`Context`] is built for the serf and the tools.

use crate::interpreter::Context;
use crate::stack::NockStack;

/// Native stack kept free below the interpreter's budget: whatever runs beneath its outermost entry, and the
/// deepest single jet. Half the stack on small threads.
const NATIVE_STACK_MARGIN: usize = 64 << 20;

/// A context for computing on the calling thread: a NockStack of `stack_bytes` (reserved, not committed), a memo
/// cache of `cache_entries`, and a native-stack budget fitted to this thread's stack.
pub fn new_context(stack_bytes: usize, cache_entries: usize) -> std::io::Result<Context> {
    let mut ctx = Context::new(NockStack::new(stack_bytes)?, cache_entries);
    if let Some(bytes) = thread_stack_bytes() {
        ctx.set_native_stack_budget(native_stack_budget(bytes));
    }
    Ok(ctx)
}

/// What nested interpreter entries may use of a thread stack of `bytes`.
fn native_stack_budget(bytes: usize) -> usize {
    bytes - (bytes / 2).min(NATIVE_STACK_MARGIN)
}

/// The size of the calling thread's stack, if the system says.
#[cfg(target_os = "linux")]
fn thread_stack_bytes() -> Option<usize> {
    // SAFETY: `attr` is initialised by pthread_getattr_np before it is read, destroyed exactly once, and the
    // out-parameters are plain locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        (rc == 0 && size > 0).then_some(size)
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_stack_bytes() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::{THREAD_STACK_BUDGET, THREAD_STACK_BYTES};

    #[test]
    fn budget_leaves_a_margin() {
        assert_eq!(native_stack_budget(THREAD_STACK_BYTES), THREAD_STACK_BUDGET);
        assert_eq!(native_stack_budget(2 << 20), 1 << 20);
    }

    #[test]
    fn the_thread_stack_is_measured() {
        let measured = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(thread_stack_bytes)
            .unwrap()
            .join()
            .unwrap();
        if cfg!(target_os = "linux") {
            let size = measured.expect("pthread_getattr_np");
            assert!((64 << 20..=65 << 20).contains(&size), "{size}");
        }
    }
}
