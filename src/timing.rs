//! Phase timings for performance work: with `UPSTREAM_TIMINGS=1` in the
//! environment, [`mark`] prints the seconds since the first mark and since
//! the previous one to stderr; otherwise it does nothing.

use std::sync::Mutex;
use std::time::Instant;

static LAST: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);

/// Ends the phase `name` (a no-op unless `UPSTREAM_TIMINGS` is set).
pub fn mark(name: &str) {
    if std::env::var_os("UPSTREAM_TIMINGS").is_none() {
        return;
    }
    let now = Instant::now();
    let Ok(mut last) = LAST.lock() else { return };
    let (first, previous) = last.get_or_insert((now, now));
    eprintln!(
        "timing: {name:<24} {:>8.3} s (total {:.3} s)",
        (now - *previous).as_secs_f64(),
        (now - *first).as_secs_f64()
    );
    *previous = now;
}
