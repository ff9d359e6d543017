//! The `upstream` command: parses arguments, runs a subcommand, reports
//! errors. Exit codes: 0 success, 1 bad input, 2 internal error (a failed
//! allocation included).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// The system's allocator, with one change: an allocation that fails ends
/// the process with exit code 2 and one plain line of advice, rather than
/// Rust's abort (exit 134 and a backtrace). Runs that would not fit are
/// refused up front (`check_memory`); this catches the rest.
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: ExitOnFailure = ExitOnFailure;

#[cfg(unix)]
struct ExitOnFailure;

// SAFETY: every call is passed to `System` as it came; a null answer never
// returns, it ends the process.
#[cfg(unix)]
unsafe impl std::alloc::GlobalAlloc for ExitOnFailure {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: the caller keeps `GlobalAlloc::alloc`'s contract.
        let memory = unsafe { std::alloc::System.alloc(layout) };
        if memory.is_null() {
            ran_out(layout.size());
        }
        memory
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let memory = unsafe { std::alloc::System.alloc_zeroed(layout) };
        if memory.is_null() {
            ran_out(layout.size());
        }
        memory
    }

    #[inline]
    unsafe fn realloc(&self, old: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`; `old` came from this allocator, so from `System`.
        let memory = unsafe { std::alloc::System.realloc(old, layout, new_size) };
        if memory.is_null() {
            ran_out(new_size);
        }
        memory
    }

    #[inline]
    unsafe fn dealloc(&self, memory: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: `memory` came from this allocator, so from `System`.
        unsafe { std::alloc::System.dealloc(memory, layout) }
    }
}

/// Says that memory ran out, removes any half-written results folder and
/// exits with code 2, allocating nothing on the way. A second thread that
/// runs out meanwhile waits for the exit.
#[cfg(unix)]
#[cold]
#[inline(never)]
fn ran_out(size: usize) -> ! {
    use std::sync::atomic::{AtomicBool, Ordering};
    static ONCE: AtomicBool = AtomicBool::new(false);
    if ONCE.swap(true, Ordering::SeqCst) {
        loop {
            // SAFETY: pause only waits for a signal.
            unsafe { libc::pause() };
        }
    }
    let mut line = [0u8; 256];
    // On a terminal, start from a clear line: the progress bar may be on it.
    // SAFETY: isatty only asks about the descriptor.
    let start = if unsafe { libc::isatty(2) } == 1 {
        line[..4].copy_from_slice(b"\r\x1b[K");
        4
    } else {
        0
    };
    let length = start + upstream::memory::out_of_memory_line(size, &mut line[start..]);
    let mut written = 0;
    while written < length {
        // SAFETY: the bytes from `written` to `length` are in `line`.
        let n = unsafe { libc::write(2, line[written..].as_ptr().cast(), length - written) };
        match usize::try_from(n) {
            Ok(n) if n > 0 => written += n,
            _ => break,
        }
    }
    upstream::output::out_of_memory();
    // SAFETY: _exit ends the process at once, running nothing that could allocate.
    unsafe { libc::_exit(2) }
}
