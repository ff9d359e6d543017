//! The progress bar of a long run of draws: on a terminal only, and only
//! once the run has taken a moment.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Instant;

pub struct Bar {
    bar: ProgressBar,
    started: Instant,
}

impl Bar {
    /// A bar of `len` draws, hidden until it has run 300 ms on a terminal.
    pub fn new(len: u64, message: String) -> Bar {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} draws, {eta} left")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_draw_target(ProgressDrawTarget::hidden());
        bar.set_message(message);
        Bar {
            bar,
            started: Instant::now(),
        }
    }

    /// `n` more draws done.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        if self.bar.is_hidden()
            && self.started.elapsed().as_millis() > 300
            && std::io::IsTerminal::is_terminal(&std::io::stderr())
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
