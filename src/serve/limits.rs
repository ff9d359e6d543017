//! What one workshop server lets its clients use at once: runs computing and
//! waiting their turn, memory for the runs' draws, connections, and how long
//! a client may take over a request.

use crate::charts::Figures;
use crate::model::Model;
use crate::montecarlo;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

const MIB: u64 = 1024 * 1024;

/// Memory a run holds whatever its draws: the page's model and its futures'
/// accounts, each worker thread's working space, the charts and the answer.
/// Measured on older-people: a run's peak above the idle server's, less
/// its draws' estimate, was 4 MiB (12 scenarios, no draws) to 10 MiB (12
/// scenarios, 20,000 draws: 169 MiB against an estimate of 159 + 16).
pub const RUN_BASE_BYTES: u64 = 16 * MIB;

/// The server's limits. Every field can be changed before the server starts
/// (tests set them small).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Runs computing at once (default: one per core).
    pub runs: usize,
    /// Runs waiting for their turn beyond those; a run that finds the line
    /// full is answered 503 with `Retry-After` (default: a room's worth of
    /// tabs, 32, or four per running run if that is more). A waiting run
    /// holds only its request.
    pub queued_runs: usize,
    /// Bytes the runs computing at once may hold between them, by their
    /// estimates; a run waits until its estimate fits, and a run whose
    /// estimate is more than all of it is refused with how many draws would
    /// fit (default: half the memory available when the server starts, or
    /// 1 GiB where that cannot be read).
    pub run_memory: u64,
    /// Connections open at once; more wait, unanswered, in the system's
    /// queue of the listening socket until one closes (default 256).
    pub connections: usize,
    /// Time a client has to send a request's header: from opening the
    /// connection, or from the first byte of a later request on it
    /// (default 10 s); then the connection is closed.
    pub header_timeout: Duration,
    /// Time a client has to send a request's body once its header is in
    /// (default 30 s); a slower one is answered 408 and the connection
    /// closed.
    pub body_timeout: Duration,
    /// Time a connection may stay open with nothing asked after an answer,
    /// and time a client has to take an answer (default 60 s).
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let runs = std::thread::available_parallelism().map_or(1, |n| n.get());
        Limits {
            runs,
            queued_runs: (4 * runs).max(32),
            // Half the room under the tightest limit (free memory, ulimit -v
            // or the container's), as the command-line runs' check reads it.
            run_memory: crate::memory::room(runs).map_or(1024 * MIB, |room| room.bytes / 2),
            connections: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Bytes the page's run of `draws` draws of `scenarios` scenarios of `model`
/// holds, by estimate: the draws' values of the rows the page reads (the
/// charts' and headline's, and each capacity's `over_capacity_by`), their
/// records and the statistics' work (see [`montecarlo::chosen_rows_bytes`]),
/// and [`RUN_BASE_BYTES`].
pub fn run_bytes(model: &Model, scenarios: usize, draws: u32) -> u64 {
    // With areas, every unit keeps at least one value per draw.
    let units = if model.areas.is_empty() {
        0
    } else {
        crate::results::area_units(model).len()
    };
    let rows = Figures::rows_read(model, scenarios) + super::capacity::rows_read(model, scenarios) + units;
    let threads = rayon::current_num_threads();
    RUN_BASE_BYTES + montecarlo::chosen_rows_bytes(model, scenarios, rows, draws, threads)
}

/// Why a run was not admitted.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// Runs are computing and the line of waiting runs is full.
    Busy,
    /// The run alone would need more than the whole memory budget.
    TooLarge { needed: u64, budget: u64 },
}

/// Admits runs: at most `runs` computing at once, at most `queued_runs`
/// more waiting (in the order they came), and only while the computing
/// runs' estimates fit in the memory budget. A waiting run holds no thread:
/// it is a future waiting on semaphores, and dropped with its request.
pub struct RunGate {
    /// A place in line or at work: `runs + queued_runs` of them.
    places: Arc<Semaphore>,
    running: Arc<Semaphore>,
    /// The budget in MiB.
    memory: Arc<Semaphore>,
    budget_mib: u32,
}

/// A run's admission: held until the run ends (it goes with the run onto
/// its thread, so a run whose client has gone still counts until it stops).
pub struct Admitted {
    _memory: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
    _place: OwnedSemaphorePermit,
}

impl RunGate {
    pub fn new(limits: &Limits) -> RunGate {
        let runs = limits.runs.max(1);
        let budget_mib = u32::try_from(limits.run_memory / MIB).unwrap_or(u32::MAX).max(1);
        RunGate {
            places: Arc::new(Semaphore::new(runs.saturating_add(limits.queued_runs))),
            running: Arc::new(Semaphore::new(runs)),
            memory: Arc::new(Semaphore::new(budget_mib as usize)),
            budget_mib,
        }
    }

    /// Waits for a turn for a run needing `bytes`; refuses at once a run
    /// that finds the line full or needs more than the whole budget.
    pub async fn admit(&self, bytes: u64) -> Result<Admitted, Refusal> {
        let mib = u32::try_from(bytes.div_ceil(MIB)).unwrap_or(u32::MAX).max(1);
        if mib > self.budget_mib {
            return Err(Refusal::TooLarge {
                needed: bytes,
                budget: u64::from(self.budget_mib) * MIB,
            });
        }
        let place = self.places.clone().try_acquire_owned().map_err(|_| Refusal::Busy)?;
        // The semaphores are never closed, so these waits end only with a
        // permit.
        let running = self.running.clone().acquire_owned().await.map_err(|_| Refusal::Busy)?;
        let memory = self
            .memory
            .clone()
            .acquire_many_owned(mib)
            .await
            .map_err(|_| Refusal::Busy)?;
        Ok(Admitted {
            _memory: memory,
            _running: running,
            _place: place,
        })
    }

    /// The most draws, up to `most`, of `scenarios` scenarios of `model`
    /// whose run fits in the whole budget (0 if not even a run without
    /// draws does).
    pub fn draws_that_fit(&self, model: &Model, scenarios: usize, most: u32) -> u32 {
        let budget = u64::from(self.budget_mib) * MIB;
        if run_bytes(model, scenarios, 0) > budget {
            return 0;
        }
        // The estimate grows with the draws: the largest that fits, by halving.
        let (mut fits, mut over) = (0u32, most.saturating_add(1));
        while over - fits > 1 {
            let mid = fits + (over - fits) / 2;
            if run_bytes(model, scenarios, mid) <= budget {
                fits = mid;
            } else {
                over = mid;
            }
        }
        fits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(runs: usize, queued_runs: usize, run_memory: u64) -> RunGate {
        RunGate::new(&Limits {
            runs,
            queued_runs,
            run_memory,
            ..Limits::default()
        })
    }

    #[tokio::test]
    async fn runs_beyond_the_line_are_refused_and_waiting_ones_admitted_in_turn() {
        let gate = gate(1, 1, 100 * MIB);
        let first = gate.admit(MIB).await.unwrap();
        // The second waits for the first; the third finds the line full.
        let mut second = Box::pin(gate.admit(MIB));
        assert!(futures_poll(&mut second).is_none());
        assert_eq!(gate.admit(MIB).await.err(), Some(Refusal::Busy));
        drop(first);
        let second = second.await.unwrap();
        // A place is free again once the second waits no more.
        let mut third = Box::pin(gate.admit(MIB));
        assert!(futures_poll(&mut third).is_none());
        drop(second);
        assert!(third.await.is_ok());
    }

    #[tokio::test]
    async fn the_memory_budget_holds_between_running_runs() {
        let gate = gate(4, 4, 10 * MIB);
        let big = gate.admit(6 * MIB).await.unwrap();
        let mut other = Box::pin(gate.admit(6 * MIB));
        assert!(futures_poll(&mut other).is_none(), "6 + 6 MiB is over 10");
        let small = gate.admit(4 * MIB);
        // Admission is in order: the small run waits behind the big one.
        let mut small = Box::pin(small);
        assert!(futures_poll(&mut small).is_none());
        drop(big);
        assert!(other.await.is_ok());
        assert_eq!(
            gate.admit(11 * MIB).await.err(),
            Some(Refusal::TooLarge {
                needed: 11 * MIB,
                budget: 10 * MIB
            })
        );
    }

    /// Polls a future once: its output if it is ready.
    fn futures_poll<F: std::future::Future + Unpin>(f: &mut F) -> Option<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match std::pin::Pin::new(f).poll(&mut cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }
    }
}
