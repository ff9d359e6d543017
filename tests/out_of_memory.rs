//! What runs when an allocation has failed must not allocate: this test
//! binary's allocator counts the allocations a thread makes while it asks
//! it to.
#![cfg(target_os = "linux")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fs;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if COUNTING.with(Cell::get) {
        COUNT.with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every call goes to `System` as it came.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, memory: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: as the caller's.
        unsafe { System.realloc(memory, layout, new_size) }
    }
    unsafe fn dealloc(&self, memory: *mut u8, layout: Layout) {
        // SAFETY: as the caller's.
        unsafe { System.dealloc(memory, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations this thread makes in `f`.
fn allocations(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    COUNT.with(Cell::get)
}

/// The staging folder of a run being written, files and a folder of charts
/// in it, is removed with no allocation; the results folder is not made.
#[test]
fn the_staging_folder_is_removed_without_allocating() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("res");
    let mut count = None;
    let written = upstream::output::replace_dir(&out, |staging| {
        fs::write(staging.join("summary.csv"), "metric,value\n")?;
        fs::create_dir(staging.join("charts"))?;
        for n in 0..300 {
            // Enough names to take several reads of the folder.
            fs::write(
                staging.join(format!("charts/chart-with-a-long-name-{n:03}.svg")),
                "<svg/>",
            )?;
        }
        count = Some(allocations(upstream::output::out_of_memory));
        assert!(!staging.exists());
        Err(std::io::Error::other("ran out"))
    });
    assert!(written.is_err());
    assert_eq!(count, Some(0));
    assert!(!out.exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

/// The line said when memory runs out is put together with no allocation.
#[test]
fn the_out_of_memory_line_is_made_without_allocating() {
    let mut line = [0u8; 256];
    let mut length = 0;
    let count = allocations(|| length = upstream::memory::out_of_memory_line(1 << 30, &mut line));
    assert_eq!(count, 0);
    assert!(
        std::str::from_utf8(&line[..length])
            .unwrap()
            .contains("1073741824 bytes, 1024.0 MiB")
    );
}
