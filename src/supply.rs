//! The supply side's arithmetic, one step at a time and `W` lanes side by
//! side (README, "The supply side"): a service's waiting list kept by time
//! waited, served oldest first up to the step's capacity with the rest of
//! the capacity shared in proportion to new demand; what unmet demand does
//! (waits, is diverted to another service, or is lost); reneging; and the
//! order in which services that divert to each other are worked out.
//!
//! Pure numbers: no model, no I/O. The engine (`engine::supply`) calls it
//! each step for every service that has a capacity or receives diversions.

// Index loops over lanes are the plainest form here, as in the kernel.
#![allow(clippy::needless_range_loop)]

/// What a full service does with the demand it cannot serve: shares that
/// sum to 1, and where the diverted share goes.
#[derive(Debug, Clone, PartialEq)]
pub struct WhenFull {
    /// Joins the waiting list.
    pub wait: f64,
    /// Goes to `divert_to`.
    pub divert: f64,
    /// Is reported as unmet need, at no cost.
    pub lost: f64,
    /// The service that receives the diverted share (an index among the
    /// model's services).
    pub divert_to: Option<usize>,
    /// The receiver's activity per unit diverted (e.g. residential
    /// place-years per home care hour).
    pub divert_ratio: f64,
    /// The share of the list that leaves unserved each step (reneging: an
    /// annual probability `p` is `1 − (1 − p)^dt` a step).
    pub renege_per_step: f64,
}

impl WhenFull {
    /// Everything unmet waits, nobody reneges.
    pub fn wait() -> Self {
        WhenFull {
            wait: 1.0,
            divert: 0.0,
            lost: 0.0,
            divert_to: None,
            divert_ratio: 1.0,
            renege_per_step: 0.0,
        }
    }
}

/// An annual probability as the probability of the same event in a step of
/// `dt` years, for a constant hazard: `1 − (1 − p)^dt`.
pub fn per_step(annual: f64, dt: f64) -> f64 {
    1.0 - (1.0 - annual).powf(dt)
}

/// What one step of one service did, per lane, in the service's activity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step<const W: usize> {
    /// New demand this step (the cells' own and what was diverted in).
    pub demand: [f64; W],
    /// Served in all: from the list, then from new demand.
    pub served: [f64; W],
    /// Of `served`, what came off the waiting list.
    pub served_from_list: [f64; W],
    /// New demand not served: `demand − (served − served_from_list)`.
    pub unmet: [f64; W],
    /// Of `unmet`: joined the list, sent on (in this service's units) and lost.
    pub waited: [f64; W],
    pub diverted: [f64; W],
    pub lost: [f64; W],
    /// Left the list unserved this step.
    pub reneged: [f64; W],
}

impl<const W: usize> Step<W> {
    /// A step asked for `demand`, with nothing served, held or sent on yet.
    pub fn nothing_yet(demand: [f64; W]) -> Self {
        Step {
            demand,
            served: [0.0; W],
            served_from_list: [0.0; W],
            unmet: [0.0; W],
            waited: [0.0; W],
            diverted: [0.0; W],
            lost: [0.0; W],
            reneged: [0.0; W],
        }
    }
}

/// Each lane's sum of `bins`.
fn sum_bins<const W: usize>(bins: &[[f64; W]]) -> [f64; W] {
    let mut t = [0.0; W];
    for bin in bins {
        for l in 0..W {
            t[l] += bin[l];
        }
    }
    t
}

/// Everything in `bins` a step older (the last bin keeps what it had and
/// takes the one before), then `joining` in the first bin.
fn age_bins<const W: usize>(bins: &mut [[f64; W]], joining: [f64; W]) {
    let n = bins.len();
    if n > 1 {
        for l in 0..W {
            bins[n - 1][l] += bins[n - 2][l];
        }
        for k in (1..n - 1).rev() {
            bins[k] = bins[k - 1];
        }
        bins[0] = [0.0; W];
    }
    for l in 0..W {
        bins[0][l] += joining[l];
    }
}

/// A service's waiting list by time waited: at the start of a step,
/// `bins[k]` holds the activity that has been on the list for `k` whole
/// steps after the step it joined in; the last bin holds everything that
/// has waited at least that long.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingList<const W: usize> {
    bins: Vec<[f64; W]>,
}

impl<const W: usize> WaitingList<W> {
    /// An empty list that tells waits apart up to `bins − 1` steps (at least one bin).
    pub fn new(bins: usize) -> Self {
        WaitingList {
            bins: vec![[0.0; W]; bins.max(1)],
        }
    }

    /// What is waiting, per lane.
    pub fn total(&self) -> [f64; W] {
        sum_bins(&self.bins)
    }

    /// What has waited at least `steps` whole steps, per lane (`steps`
    /// beyond the last bin reads the last bin).
    pub fn waited_at_least(&self, steps: usize) -> [f64; W] {
        sum_bins(&self.bins[steps.min(self.bins.len() - 1)..])
    }

    /// What has waited longer than `steps` (a number of steps, not
    /// necessarily whole), per lane. Demand arises through a step and joins
    /// the list at its end, so what is in bin `k` has waited between `k`
    /// and `k + 1` steps, spread evenly: the share of it beyond `steps` is
    /// `k + 1 − steps`, between 0 and 1 (the last bin counts whole once it
    /// starts beyond `steps`).
    pub fn waited_longer_than(&self, steps: f64) -> [f64; W] {
        let mut t = [0.0; W];
        for (k, bin) in self.bins.iter().enumerate() {
            let share = (k as f64 + 1.0 - steps).clamp(0.0, 1.0);
            if share > 0.0 {
                for l in 0..W {
                    t[l] += bin[l] * share;
                }
            }
        }
        t
    }

    /// Puts `amount` on the list as having waited `steps` whole steps (for
    /// a list that starts full).
    pub fn add(&mut self, steps: usize, amount: [f64; W]) {
        let k = steps.min(self.bins.len() - 1);
        for l in 0..W {
            self.bins[k][l] += amount[l];
        }
    }

    /// One step: the list is served first, oldest first, up to `capacity`;
    /// then new `demand` up to what capacity is left; a share
    /// `rule.renege_per_step` of what is still waiting leaves; everything
    /// left on the list has waited one step more; the unmet new demand is
    /// split by `rule`, and its waiting share joins the list (bin 0).
    pub fn step(&mut self, demand: [f64; W], capacity: [f64; W], rule: &WhenFull) -> Step<W> {
        let mut out = Step::nothing_yet(demand);
        // Lane by lane the same operations in the same order, with the
        // lanes innermost so that they go together.
        // Oldest first.
        let mut left = capacity.map(|c| c.max(0.0));
        for bin in self.bins.iter_mut().rev() {
            for l in 0..W {
                let take = bin[l].min(left[l]);
                bin[l] -= take;
                left[l] -= take;
                out.served_from_list[l] += take;
            }
        }
        for l in 0..W {
            let new_served = demand[l].min(left[l]);
            out.served[l] = out.served_from_list[l] + new_served;
            out.unmet[l] = demand[l] - new_served;
        }
        for bin in self.bins.iter_mut() {
            for l in 0..W {
                let gone = bin[l] * rule.renege_per_step;
                bin[l] -= gone;
                out.reneged[l] += gone;
            }
        }
        for l in 0..W {
            out.waited[l] = out.unmet[l] * rule.wait;
            out.diverted[l] = out.unmet[l] * rule.divert;
            out.lost[l] = out.unmet[l] * rule.lost;
        }
        age_bins(&mut self.bins, out.waited);
        out
    }
}

/// Each cell's share of its demand that is met this step when a service
/// serves `served_new` of new demand `demand` (the same share for every
/// cell: capacity is shared in proportion to demand); 1 when nothing was
/// asked for.
pub fn met_share<const W: usize>(served_new: [f64; W], demand: [f64; W]) -> [f64; W] {
    std::array::from_fn(|l| {
        if demand[l] > 0.0 {
            (served_new[l] / demand[l]).clamp(0.0, 1.0)
        } else {
            1.0
        }
    })
}

/// The order in which to work out services that divert to one another:
/// every service before the one it diverts to. `Err` holds a cycle (the
/// services in it, in order, the first repeated at the end) when the
/// diversions form one.
pub fn diversion_order(divert_to: &[Option<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = divert_to.len();
    // Each service's diverters must come first: count them.
    let mut waiting = vec![0usize; n];
    for to in divert_to.iter().flatten() {
        waiting[*to] += 1;
    }
    let mut ready: Vec<usize> = (0..n).filter(|&s| waiting[s] == 0).rev().collect();
    let mut order = Vec::with_capacity(n);
    while let Some(s) = ready.pop() {
        order.push(s);
        if let Some(to) = divert_to[s] {
            waiting[to] -= 1;
            if waiting[to] == 0 {
                ready.push(to);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every service left is in a cycle or downstream of one: follow the
    // diversions from one of them until a service repeats.
    let start = (0..n).find(|s| !order.contains(s)).expect("a service not ordered");
    let mut path = vec![start];
    let mut at = start;
    while let Some(to) = divert_to[at] {
        if let Some(k) = path.iter().position(|&p| p == to) {
            let mut cycle = path[k..].to_vec();
            cycle.push(to);
            return Err(cycle);
        }
        path.push(to);
        at = to;
    }
    unreachable!("a service outside the order leads to a cycle")
}

/// One step of every service, in `order` ([`diversion_order`]): a
/// service's new demand is its cells' own (`demand[s]` on entry) plus what
/// the services diverting to it sent this step, times their
/// `divert_ratio` (`demand[s]` on return). A service with a capacity
/// (`capacity[s]`, this step's, and its `rules[s]` and `lists[s]`) serves
/// up to it; one without serves all it is asked. Each service's step is
/// written to `steps[s]` (nothing is allocated: the engine calls this
/// every step).
pub fn step_services<const W: usize>(
    order: &[usize],
    demand: &mut [[f64; W]],
    capacity: &[Option<[f64; W]>],
    rules: &[Option<WhenFull>],
    lists: &mut [Option<WaitingList<W>>],
    steps: &mut [Step<W>],
) {
    for &s in order {
        let step = match (&capacity[s], &rules[s], &mut lists[s]) {
            (Some(c), Some(rule), Some(list)) => list.step(demand[s], *c, rule),
            // No capacity: everything asked is served.
            _ => Step {
                served: demand[s],
                ..Step::nothing_yet(demand[s])
            },
        };
        if let Some(rule) = &rules[s]
            && let Some(to) = rule.divert_to
        {
            for l in 0..W {
                demand[to][l] += step.diverted[l] * rule.divert_ratio;
            }
        }
        steps[s] = step;
    }
}

/// The people waiting for a place in a level that is full, by the cell
/// they wait in (the one they would have left) and by time waited, `W`
/// lanes side by side: bin `k` holds those who have waited `k` whole steps
/// after the step they were held in (the last bin: at least that long).
///
/// Stored bin by bin (each bin's cells side by side, so that admitting a
/// bin and summing the cells read memory in order) in a ring: a step's
/// ageing moves where bin 0 starts rather than every bin. Every entry is
/// at least 0 (never −0), and the bins beyond the live ones are 0 in every
/// cell and lane.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceQueue<const W: usize> {
    /// `bins` rows of `cells` entries: bin `k`'s row is
    /// `(first + k) % bins`.
    waiting: Vec<[f64; W]>,
    cells: usize,
    bins: usize,
    /// The row that holds bin 0.
    first: usize,
    /// The bins that may hold anyone (those beyond are empty in every
    /// cell and lane), so that a short queue costs little.
    live: usize,
}

/// The row of the ring that holds bin `k` (`k < bins`) when bin 0 is in
/// row `first` (`first < bins`): `(first + k) % bins` without a division.
#[inline(always)]
fn ring_row(first: usize, k: usize, bins: usize) -> usize {
    let row = first + k;
    if row >= bins { row - bins } else { row }
}

/// What a step does to those waiting in one cell of a [`PlaceQueue`]
/// before admissions ([`PlaceQueue::leave_and_age`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellStep<const W: usize> {
    pub cell: usize,
    /// The share that leaves the queue (died, moved out or moved on).
    pub leave: [f64; W],
    /// Then what ages: nothing, a share into another cell (keeping their
    /// waits), or a share out of the queue.
    pub age: Ageing,
}

/// How those waiting in a cell age (see [`CellStep`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ageing {
    Stay,
    Into(usize, f64),
    Out(f64),
}

impl<const W: usize> PlaceQueue<W> {
    /// An empty queue for `cells` cells that tells waits apart up to
    /// `bins − 1` steps.
    pub fn new(cells: usize, bins: usize) -> Self {
        let bins = bins.max(1);
        PlaceQueue {
            waiting: vec![[0.0; W]; bins * cells],
            cells,
            bins,
            first: 0,
            live: 1,
        }
    }

    /// Bin `k`'s cells.
    fn bin(&self, k: usize) -> &[[f64; W]] {
        let row = ring_row(self.first, k, self.bins);
        &self.waiting[row * self.cells..(row + 1) * self.cells]
    }

    fn bin_mut(&mut self, k: usize) -> &mut [[f64; W]] {
        let row = ring_row(self.first, k, self.bins);
        &mut self.waiting[row * self.cells..(row + 1) * self.cells]
    }

    /// People waiting in `cell`, per lane.
    pub fn in_cell(&self, cell: usize) -> [f64; W] {
        let mut t = [0.0; W];
        for k in 0..self.live {
            let bin = self.bin(k)[cell];
            for l in 0..W {
                t[l] += bin[l];
            }
        }
        t
    }

    /// People waiting in each cell, per lane, into `out` (`cells` long):
    /// [`Self::in_cell`] of every cell, the same additions in the same
    /// order, all cells together.
    pub fn cell_totals(&self, out: &mut [[f64; W]]) {
        out.fill([0.0; W]);
        for k in 0..self.live {
            for (t, bin) in out.iter_mut().zip(self.bin(k)) {
                for l in 0..W {
                    t[l] += bin[l];
                }
            }
        }
    }

    /// People waiting, per lane.
    pub fn total(&self) -> [f64; W] {
        let mut t = [0.0; W];
        for c in 0..self.cells {
            let cell = self.in_cell(c);
            for l in 0..W {
                t[l] += cell[l];
            }
        }
        t
    }

    /// A share of those waiting in `cell` leaves the queue (they died,
    /// moved out or moved on while they waited), evenly across their waits.
    pub fn remove_share(&mut self, cell: usize, share: [f64; W]) {
        for k in 0..self.live {
            let bin = &mut self.bin_mut(k)[cell];
            for l in 0..W {
                bin[l] -= bin[l] * share[l];
            }
        }
    }

    /// A share of those waiting in `from` move to cell `to` (they aged
    /// into the next band while they waited), keeping their waits.
    pub fn move_share(&mut self, from: usize, to: usize, share: f64) {
        for k in 0..self.live {
            let bin = self.bin_mut(k);
            for l in 0..W {
                let moved = bin[from][l] * share;
                bin[from][l] -= moved;
                bin[to][l] += moved;
            }
        }
    }

    /// Each of `steps` in turn, bin by bin: a cell's leaving share
    /// ([`Self::remove_share`]), then its ageing ([`Self::move_share`], or
    /// `remove_share` of the share ageing out). For each bin the same
    /// operations in the same order as the calls one after another, as long
    /// as no cell is aged into after its own step (list the oldest first).
    pub fn leave_and_age(&mut self, steps: &[CellStep<W>]) {
        // Step by step over every live bin (each bin's operations are those
        // of a bin-by-bin pass, in the same order: bins are independent), so
        // that a step's shares and ageing are read once.
        let (cells, bins, first, live) = (self.cells, self.bins, self.first, self.live);
        let rows = || (0..live).map(move |k| ring_row(first, k, bins) * cells);
        for step in steps {
            let leave = step.leave;
            match step.age {
                Ageing::Stay => {
                    for row in rows() {
                        let v = &mut self.waiting[row + step.cell];
                        for l in 0..W {
                            v[l] -= v[l] * leave[l];
                        }
                    }
                }
                Ageing::Into(to, share) => {
                    for row in rows() {
                        let mut v = self.waiting[row + step.cell];
                        let mut into = self.waiting[row + to];
                        for l in 0..W {
                            v[l] -= v[l] * leave[l];
                            let moved = v[l] * share;
                            v[l] -= moved;
                            into[l] += moved;
                        }
                        self.waiting[row + step.cell] = v;
                        self.waiting[row + to] = into;
                    }
                }
                Ageing::Out(share) => {
                    for row in rows() {
                        let v = &mut self.waiting[row + step.cell];
                        for l in 0..W {
                            v[l] -= v[l] * leave[l];
                            v[l] -= v[l] * share;
                        }
                    }
                }
            }
        }
    }

    /// One step's admissions into a level with `spare` places free: first
    /// come, first served. Those waiting longest go first, then the next
    /// longest, and so on; the people newly moving this step (`new[cell]`)
    /// come last; people who have waited equally long are admitted in the
    /// same share. Everyone not admitted is held where they are, a step
    /// older. Writes the people admitted from each cell into `admitted`,
    /// and returns how many of them were already waiting and the share of
    /// the new that was admitted (the same in every cell), per lane.
    pub fn admit(&mut self, spare: [f64; W], new: &[[f64; W]], admitted: &mut [[f64; W]]) -> ([f64; W], [f64; W]) {
        let (bins, live) = (self.bins, self.live);
        admitted.fill([0.0; W]);
        let mut from_queue = [0.0; W];
        let mut left = spare.map(|s| s.max(0.0));
        // Those waiting, the longest first, every lane together: a lane
        // with no places left (or nobody in the bin) takes a share of 0,
        // which leaves every number as it is (they are never negative).
        for k in (0..live).rev() {
            if left.iter().all(|&v| v <= 0.0) {
                break;
            }
            let bin = self.bin_mut(k);
            let mut asked = [0.0; W];
            for cell in bin.iter() {
                for l in 0..W {
                    asked[l] += cell[l];
                }
            }
            let share: [f64; W] = std::array::from_fn(|l| {
                if left[l] > 0.0 && asked[l] > 0.0 {
                    (left[l] / asked[l]).min(1.0)
                } else {
                    0.0
                }
            });
            if share == [0.0; W] {
                continue;
            }
            for (cell, taken) in bin.iter_mut().zip(admitted.iter_mut()) {
                for l in 0..W {
                    let take = cell[l] * share[l];
                    cell[l] -= take;
                    taken[l] += take;
                }
            }
            for l in 0..W {
                if left[l] > 0.0 {
                    from_queue[l] += asked[l] * share[l];
                    // A bin only partly admitted took every place left (not
                    // the rounding left over from taking its share).
                    left[l] = if asked[l] > left[l] {
                        0.0
                    } else {
                        (left[l] - asked[l]).max(0.0)
                    };
                }
            }
        }
        // Then those newly moving.
        // (Every lane's sum in one pass, each in cell order.)
        let mut asked = [0.0; W];
        for n in new {
            for l in 0..W {
                asked[l] += n[l];
            }
        }
        let new_share: [f64; W] = std::array::from_fn(|l| {
            if asked[l] > 0.0 {
                (left[l] / asked[l]).min(1.0)
            } else {
                0.0
            }
        });
        for (taken, new) in admitted.iter_mut().zip(new) {
            for l in 0..W {
                taken[l] += new[l] * new_share[l];
            }
        }
        // Everyone still waiting is a step older (the last bin keeps what
        // it had and takes the one before; the bins beyond the live ones
        // are empty, so ageing the live ones and the next gives what
        // ageing them all gives); the newly held join bin 0.
        let aged = (live + 1).min(bins);
        if aged > 1 {
            // The last aged bin's sum goes where the bin before it is, which
            // becomes that bin when bin 0 moves back a row; the last aged
            // bin's own row becomes the first beyond them, empty (or, when
            // every bin is aged, the new bin 0).
            let cells = self.cells;
            let row = |k: usize| ring_row(self.first, k, bins) * cells;
            let (last, before) = (row(aged - 1), row(aged - 2));
            for c in 0..cells {
                // (The addition is the same either way round.)
                let (last, before) = (self.waiting[last + c], &mut self.waiting[before + c]);
                for l in 0..W {
                    before[l] += last[l];
                }
            }
            self.waiting[last..last + cells].fill([0.0; W]);
            self.first = (self.first + bins - 1) % bins;
        }
        for (cell, new) in self.bin_mut(0).iter_mut().zip(new) {
            for l in 0..W {
                cell[l] += new[l] * (1.0 - new_share[l]);
            }
        }
        // Bins left empty everywhere at the end are no longer live.
        self.live = aged;
        while self.live > 1 && self.bin(self.live - 1).iter().all(|cell| *cell == [0.0; W]) {
            self.live -= 1;
        }
        (from_queue, new_share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    /// Constant demand `d` and capacity `c` a year, `steps` a year, for `years`.
    fn run(d: f64, c: f64, steps: usize, years: usize, rule: &WhenFull, list: &mut WaitingList<1>) -> Vec<Step<1>> {
        let dt = 1.0 / steps as f64;
        (0..steps * years)
            .map(|_| list.step([d * dt], [c * dt], rule))
            .collect()
    }

    #[test]
    fn demand_above_capacity_grows_the_list_by_the_difference_each_year() {
        for steps in [1, 4, 12, 52] {
            let mut list = WaitingList::<1>::new(10);
            for year in 1..=5 {
                run(1200.0, 1000.0, steps, 1, &WhenFull::wait(), &mut list);
                assert!(
                    close(list.total()[0], 200.0 * year as f64),
                    "{steps} steps, year {year}"
                );
            }
        }
        // At demand = capacity the list stays empty.
        let mut list = WaitingList::<1>::new(10);
        let out = run(1000.0, 1000.0, 4, 3, &WhenFull::wait(), &mut list);
        assert_eq!(list.total()[0], 0.0);
        assert!(out.iter().all(|s| close(s.served[0], 250.0)));
    }

    #[test]
    fn spare_capacity_drains_the_list_at_the_difference() {
        let mut list = WaitingList::<1>::new(4);
        list.add(0, [300.0]);
        // Capacity 1000 against demand 800 a year, 12 steps: 200 a year off the list.
        // The list is served first, so new demand waits behind it while it
        // lasts: every step serves the whole capacity, and the list falls
        // by 200/12 a step.
        let mut before = list.total()[0];
        for k in 0..12 {
            let s = list.step([800.0 / 12.0], [1000.0 / 12.0], &WhenFull::wait());
            assert!(close(s.served[0], 1000.0 / 12.0), "step {k} serves the whole capacity");
            assert!(close(before - list.total()[0], 200.0 / 12.0), "step {k}");
            before = list.total()[0];
        }
        assert!(close(list.total()[0], 100.0));
        // Another half year empties it and then it stays empty.
        run(800.0, 1000.0, 12, 1, &WhenFull::wait(), &mut list);
        assert_eq!(list.total()[0], 0.0);
    }

    #[test]
    fn reneging_converges_to_its_closed_form_level() {
        // Per step: L' = (L − C)(1 − r) + (D − 0)… with the list at least a
        // step's capacity, every step serves C off the list and none of the
        // new demand D: L* = (D − C(1 − r)) / r, approached as (1 − r)^n.
        let (d, c, r) = (30.0, 20.0, 0.05);
        let rule = WhenFull {
            renege_per_step: r,
            ..WhenFull::wait()
        };
        let mut list = WaitingList::<1>::new(1);
        list.add(0, [100.0]);
        let star = (d - c * (1.0 - r)) / r;
        for n in 1..=400 {
            list.step([d], [c], &rule);
            let expected = star + (1.0 - r).powi(n) * (100.0 - star);
            assert!(
                close(list.total()[0], expected),
                "step {n}: {} vs {expected}",
                list.total()[0]
            );
        }
        assert!((list.total()[0] - star).abs() < 1e-6);
    }

    #[test]
    fn the_share_over_a_target_wait_follows_the_oldest_first_rule() {
        // 10 join a step, 6 served, oldest first; bins of one step, 3 bins
        // (0, 1, at least 2 steps). Hand-worked:
        // step 1: 6 of the 10 served, 4 wait → [4, 0, 0];
        // step 2: the 4 served, then 2 of the new, 8 wait → [8, 0, 0];
        // step 3: 6 of the 8 (2 left, a step older), 10 wait → [10, 2, 0];
        // step 4: the 2, then 4 of the 10 (6 left) → [10, 6, 0];
        // step 5: the 6 → [10, 10, 0]. The list grows by 4 a step.
        let mut list = WaitingList::<1>::new(3);
        let mut totals = Vec::new();
        for _ in 0..5 {
            list.step([10.0], [6.0], &WhenFull::wait());
            totals.push(list.total()[0]);
        }
        assert_eq!(totals, [4.0, 8.0, 12.0, 16.0, 20.0]);
        assert_eq!(list.bins, vec![[10.0], [10.0], [0.0]]);
        // Capacity below the newcomers alone: 10 join, 3 served a step.
        // step 1: 3 of the new served, 7 wait → [7, 0, 0];
        // step 2: 3 off the 7 (4 left, a step older), 10 wait → [10, 4, 0];
        // step 3: 3 off the oldest 4 (1 left, now two steps older), 10 wait → [10, 10, 1].
        let mut list = WaitingList::<1>::new(3);
        list.step([10.0], [3.0], &WhenFull::wait());
        assert_eq!(list.bins, vec![[7.0], [0.0], [0.0]]);
        list.step([10.0], [3.0], &WhenFull::wait());
        assert_eq!(list.bins, vec![[10.0], [4.0], [0.0]]);
        list.step([10.0], [3.0], &WhenFull::wait());
        assert_eq!(list.bins, vec![[10.0], [10.0], [1.0]]);
        assert_eq!(list.waited_at_least(2)[0], 1.0);
        // A fourth step: 3 off the oldest (the 1, then 2 of the 10 of step 2).
        list.step([10.0], [3.0], &WhenFull::wait());
        assert_eq!(list.bins, vec![[10.0], [10.0], [8.0]]);
        assert!(close(list.waited_at_least(2)[0] / list.total()[0], 8.0 / 28.0));
    }

    #[test]
    fn unmet_demand_is_split_and_every_unit_accounted_for() {
        let rule = WhenFull {
            wait: 0.6,
            divert: 0.3,
            lost: 0.1,
            divert_to: Some(1),
            divert_ratio: 0.5,
            renege_per_step: 0.0,
        };
        let mut list = WaitingList::<2>::new(4);
        let s = list.step([100.0, 50.0], [70.0, 80.0], &rule);
        assert_eq!(s.served, [70.0, 50.0]);
        assert_eq!(s.unmet, [30.0, 0.0]);
        assert!(close(s.waited[0], 18.0) && close(s.diverted[0], 9.0) && close(s.lost[0], 3.0));
        for l in 0..2 {
            let new_served = s.served[l] - s.served_from_list[l];
            assert!(close(new_served + s.waited[l] + s.diverted[l] + s.lost[l], s.demand[l]));
        }
        assert!(close(list.total()[0], 18.0));
        assert_eq!(list.total()[1], 0.0);
    }

    #[test]
    fn diversions_are_ordered_and_cycles_refused() {
        // 2 → 0 → 3, 1 alone.
        let order = diversion_order(&[Some(3), None, Some(0), None]).unwrap();
        let at = |s: usize| order.iter().position(|&x| x == s).unwrap();
        assert!(at(2) < at(0) && at(0) < at(3));
        assert_eq!(order.len(), 4);
        assert_eq!(diversion_order(&[Some(1), Some(2), Some(0)]), Err(vec![0, 1, 2, 0]));
        assert_eq!(diversion_order(&[None, Some(1)]), Err(vec![1, 1]));
        assert_eq!(
            diversion_order(&[Some(2), Some(2), None, Some(4), Some(3)]),
            Err(vec![3, 4, 3])
        );
    }

    #[test]
    fn a_step_probability_from_an_annual_one() {
        assert!(close(per_step(0.19, 0.5), 0.1));
        let r = per_step(0.3, 1.0 / 12.0);
        assert!(close(1.0 - (1.0 - r).powi(12), 0.3));
    }

    #[test]
    fn a_wait_beyond_a_target_counts_the_part_of_a_bin_past_it() {
        let mut list = WaitingList::<1>::new(4);
        for (k, amount) in [4.0, 3.0, 2.0, 1.0].into_iter().enumerate() {
            list.add(k, [amount]);
        }
        // Bin 0 waited 0-1 steps, bin 1 1-2 (half past 1.5), bins 2 and 3 all.
        assert!(close(list.waited_longer_than(1.5)[0], 3.0 * 0.5 + 2.0 + 1.0));
        assert!(close(list.waited_longer_than(2.0)[0], list.waited_at_least(2)[0]));
        assert_eq!(list.waited_longer_than(0.0)[0], 10.0);
    }

    #[test]
    fn the_met_share_is_one_without_demand() {
        assert_eq!(met_share([5.0, 0.0, 3.0], [10.0, 0.0, 3.0]), [0.5, 1.0, 1.0]);
    }

    #[test]
    fn diversion_chains_conserve_activity() {
        // Home care (0) diverts 40 % of what it cannot serve to residential
        // care (1) at 0.002 place-years an hour; residential care, full too,
        // sends 30 % of its own shortfall to acute bed-days (2) at 365 a
        // place-year; acute has no capacity. Service 3 diverts to nobody.
        let divert = |share: f64, to: usize, ratio: f64| WhenFull {
            wait: 1.0 - share,
            divert: share,
            lost: 0.0,
            divert_to: Some(to),
            divert_ratio: ratio,
            renege_per_step: 0.0,
        };
        let rules = vec![
            Some(divert(0.4, 1, 0.002)),
            Some(divert(0.3, 2, 365.0)),
            None,
            Some(WhenFull {
                wait: 0.0,
                lost: 1.0,
                ..WhenFull::wait()
            }),
        ];
        let order = diversion_order(&[Some(1), Some(2), None, None]).unwrap();
        let mut lists = vec![
            Some(WaitingList::<2>::new(2)),
            Some(WaitingList::new(2)),
            None,
            Some(WaitingList::new(2)),
        ];
        let own = [[10_000.0, 8_000.0], [30.0, 30.0], [500.0, 500.0], [5.0, 1.0]];
        let capacity = [Some([7_000.0, 9_000.0]), Some([25.0, 40.0]), None, Some([2.0, 2.0])];
        for k in 0..3 {
            let steps = step_all(&order, &own, &capacity, &rules, &mut lists);
            for l in 0..2 {
                for (s, step) in steps.iter().enumerate() {
                    // What each service was asked: its own, and what was sent to it.
                    let sent: f64 = (0..4)
                        .filter(|&r| rules[r].as_ref().and_then(|x| x.divert_to) == Some(s))
                        .map(|r| steps[r].diverted[l] * rules[r].as_ref().unwrap().divert_ratio)
                        .sum();
                    assert!(close(step.demand[l], own[s][l] + sent), "service {s}, lane {l}");
                    let new_served = step.served[l] - step.served_from_list[l];
                    assert!(
                        close(
                            new_served + step.waited[l] + step.diverted[l] + step.lost[l],
                            step.demand[l]
                        ),
                        "service {s}, lane {l}"
                    );
                }
                // Without a capacity, everything asked is served.
                assert!(close(steps[2].served[l], steps[2].demand[l]));
            }
            if k == 0 {
                // Lane 0: home care is 3,000 hours short; 1,200 go on as 2.4 places.
                assert!(close(steps[0].diverted[0], 1_200.0));
                assert!(close(steps[1].demand[0], 32.4));
            } else {
                // Later steps serve the 1,800 waiting hours first, so more is sent on.
                assert!(steps[0].diverted[0] > 1_200.0);
            }
        }
        // Lane 1 has spare home care: nothing is sent on from it.
        let steps = step_all(&order, &own, &capacity, &rules, &mut lists);
        assert_eq!(steps[0].diverted[1], 0.0);
    }

    /// [`step_services`] from each service's own demand, its steps returned.
    fn step_all<const W: usize>(
        order: &[usize],
        own: &[[f64; W]],
        capacity: &[Option<[f64; W]>],
        rules: &[Option<WhenFull>],
        lists: &mut [Option<WaitingList<W>>],
    ) -> Vec<Step<W>> {
        let mut demand = own.to_vec();
        let mut steps = vec![Step::nothing_yet([0.0; W]); own.len()];
        step_services(order, &mut demand, capacity, rules, lists, &mut steps);
        steps
    }

    /// The level of a care home with `places` places, each resident leaving
    /// with probability `leave` a step (a fixed mean stay), `flow` people a
    /// step needing a place: the occupancy and the queue step by step.
    fn care_home(places: f64, leave: f64, flow: f64, steps: usize) -> Vec<(f64, f64, f64)> {
        let mut queue = PlaceQueue::<1>::new(1, 4);
        let mut occupied = 0.0;
        (0..steps)
            .map(|_| {
                let exits = occupied * leave;
                occupied -= exits;
                let mut admitted = [[0.0]];
                queue.admit([places - occupied], &[[flow]], &mut admitted);
                let admitted = admitted[0][0];
                occupied += admitted;
                (occupied, admitted, queue.total()[0])
            })
            .collect()
    }

    #[test]
    fn a_level_fills_at_its_closed_form_time_then_admits_its_exits() {
        // Not yet full: O' = (1 − μ)O + λ, so O_n = (λ/μ)(1 − (1 − μ)^n),
        // and it is first full at the step n* = ln(1 − Pμ/λ) / ln(1 − μ)
        // (rounded up).
        let (places, leave, flow) = (900.0, 0.02, 30.0);
        let path = care_home(places, leave, flow, 400);
        let full_at = ((1.0 - places * leave / flow).ln() / (1.0 - leave).ln()).ceil() as usize;
        for (n, &(occupied, admitted, waiting)) in path.iter().enumerate() {
            let step = n + 1;
            if step < full_at {
                let expected = flow / leave * (1.0 - (1.0 - leave).powi(step as i32));
                assert!(close(occupied, expected), "step {step}: {occupied} vs {expected}");
                assert!(close(admitted, flow) && waiting == 0.0, "step {step}");
            } else {
                // Full: it admits exactly the step's exits (μP) and holds the rest.
                assert!(close(occupied, places), "step {step}");
                if step > full_at {
                    assert!(close(admitted, leave * places), "step {step}: {admitted}");
                }
            }
        }
        // The queue grows by λ − μP a step once full, against an independent count.
        let (mut independent, mut occupied) = (0.0_f64, 0.0_f64);
        for (n, &(_, _, waiting)) in path.iter().enumerate() {
            occupied -= occupied * leave;
            let spare = places - occupied;
            let asked = independent + flow;
            let admitted = asked.min(spare);
            occupied += admitted;
            independent = asked - admitted;
            assert!(
                close(waiting, independent),
                "step {}: {waiting} vs {independent}",
                n + 1
            );
        }
    }

    #[test]
    fn a_place_queue_admits_past_empty_bins_and_stops_when_places_run_out() {
        // Ten bins; 4 people held a step ago wait in the newest bin only,
        // the older bins empty: 10 places admit them all and 3 of the 8 new.
        let mut queue = PlaceQueue::<2>::new(1, 10);
        let mut admitted = [[0.0; 2]];
        queue.admit([0.0, 0.0], &[[4.0, 4.0]], &mut admitted);
        assert_eq!(queue.total(), [4.0, 4.0]);
        let (from_queue, new_share) = queue.admit([7.0, 2.0], &[[8.0, 8.0]], &mut admitted);
        // Lane 0: the 4 waiting, then 3 of the 8 new; lane 1: 2 of the 4
        // waiting and none of the new, whatever rounding a share leaves.
        assert_eq!(from_queue, [4.0, 2.0]);
        assert!(close(new_share[0], 3.0 / 8.0) && new_share[1] == 0.0);
        assert!(close(admitted[0][0], 7.0) && close(admitted[0][1], 2.0));
        assert!(close(queue.total()[0], 5.0) && close(queue.total()[1], 10.0));
    }

    #[test]
    fn places_go_first_come_first_served_across_cells() {
        // Two cells ask; one place a step frees up.
        let mut queue = PlaceQueue::<1>::new(2, 3);
        // Step 1: 3 from cell 0 and 1 from cell 1, 2 places: half of each.
        let mut a = vec![[0.0]; 2];
        queue.admit([2.0], &[[3.0], [1.0]], &mut a);
        assert_eq!(a, vec![[1.5], [0.5]]);
        assert_eq!((queue.in_cell(0), queue.in_cell(1)), ([1.5], [0.5]));
        // Step 2: 1 place; the 2 held since step 1 come before 5 new from cell 1.
        queue.admit([1.0], &[[0.0], [5.0]], &mut a);
        assert!(close(a[0][0], 0.75) && close(a[1][0], 0.25));
        assert!(close(queue.in_cell(0)[0], 0.75) && close(queue.in_cell(1)[0], 5.25));
        // Step 3: 2 places: the 1 left from step 1 first (0.75 and 0.25),
        // then 1 of the 5 held at step 2.
        queue.admit([2.0], &[[0.0], [0.0]], &mut a);
        assert!(close(a[0][0], 0.75) && close(a[1][0], 1.25), "{a:?}");
        // A death among those waiting in cell 1 leaves the queue.
        queue.remove_share(1, [0.5]);
        assert!(close(queue.in_cell(1)[0], 2.0));
        assert!(close(queue.total()[0], 2.0));
        // Half of cell 1's waiting age into cell 0, keeping their waits.
        queue.move_share(1, 0, 0.5);
        assert!(close(queue.in_cell(0)[0], 1.0) && close(queue.in_cell(1)[0], 1.0));
        assert!(close(queue.total()[0], 2.0));
    }

    #[test]
    fn leaving_and_ageing_in_one_pass_is_the_calls_one_after_another() {
        // Three cells in a chain (2 ages into 1, 1 into 0, 0 out), with
        // people in several bins, two lanes: bit for bit the same.
        let mut queue = PlaceQueue::<2>::new(3, 5);
        let mut admitted = vec![[0.0; 2]; 3];
        for new in [[1.3, 2.1], [0.7, 0.2], [5.0, 1.0]] {
            queue.admit([0.4, 0.0], &[new, [new[1], new[0]], [0.3, 0.9]], &mut admitted);
        }
        let steps = [
            CellStep {
                cell: 0,
                leave: [0.01, 0.02],
                age: Ageing::Out(0.1),
            },
            CellStep {
                cell: 1,
                leave: [0.03, 0.0],
                age: Ageing::Into(0, 0.2),
            },
            CellStep {
                cell: 2,
                leave: [0.005, 0.07],
                age: Ageing::Into(1, 0.3),
            },
        ];
        let mut by_calls = queue.clone();
        for step in &steps {
            by_calls.remove_share(step.cell, step.leave);
            match step.age {
                Ageing::Stay => {}
                Ageing::Into(to, share) => by_calls.move_share(step.cell, to, share),
                Ageing::Out(share) => by_calls.remove_share(step.cell, [share; 2]),
            }
        }
        queue.leave_and_age(&steps);
        assert_eq!(queue, by_calls);
        let mut totals = vec![[0.0; 2]; 3];
        queue.cell_totals(&mut totals);
        for (c, total) in totals.iter().enumerate() {
            assert_eq!(total.map(f64::to_bits), queue.in_cell(c).map(f64::to_bits));
        }
    }
}
