//! Levels with a limited number of places in the year loop (README, "Levels
//! with a limited number of places"). A model with any runs step by step.
//! After each step's moves (and entries), every move into a limited level
//! is first taken back: the people stay in the cell they would have left,
//! as if the step's matrix kept them there. They are then admitted first
//! come, first served ([`PlaceQueue::admit`]) up to the places free after
//! the step (places − the people the level holds), those already waiting
//! before those newly asking; whoever is not admitted waits in the cell
//! they are in. Someone waiting is otherwise like everyone else in that
//! cell: they die, leave and move to other levels at its rates (and then
//! leave the queue), age with their band, and use its services (times any
//! `while_waiting` multiplier). Nobody is moved out of a level that holds
//! more than its places (a cut in places, or migration): it admits no one
//! until it is below them.

// Index loops over lanes, levels and cells are the plainest form here, as
// in the kernel.
#![allow(clippy::needless_range_loop)]

use super::LaneTrajectory;
use super::step::add_lanes;
use crate::model::{Effect, Model};
use crate::params::Layout;
use crate::supply::{Ageing, CellStep, PlaceQueue};

/// How many steps of waiting a queue tells apart (first come, first
/// served): those who have waited longer share the last bin, and are
/// admitted first, in proportion.
const WAIT_BINS_YEARS: usize = 10;

/// The figures kept for each limited level and year, after the services'
/// figures in [`LaneTrajectory::supply`], in people (or person-years).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceFigure {
    /// The places this year (with any intervention's addition).
    Places,
    /// The people the level holds at the year end.
    Occupied,
    /// People admitted over the year.
    Admitted,
    /// People who asked for a place and were held (joined the queue).
    Held,
    /// People who left the queue unplaced (died, left, moved to another level).
    LeftQueue,
    /// People waiting at the year end.
    WaitingEnd,
    /// Person-years spent waiting in the year.
    WaitingYears,
    /// 1 when someone was left waiting after some step of the year (the
    /// level was full), else 0.
    Full,
}

impl PlaceFigure {
    /// Every figure, in the order they are kept.
    pub const ALL: [PlaceFigure; 8] = [
        PlaceFigure::Places,
        PlaceFigure::Occupied,
        PlaceFigure::Admitted,
        PlaceFigure::Held,
        PlaceFigure::LeftQueue,
        PlaceFigure::WaitingEnd,
        PlaceFigure::WaitingYears,
        PlaceFigure::Full,
    ];

    /// How many figures a limited level has each year.
    pub const COUNT: usize = PlaceFigure::ALL.len();

    /// The figure's place among a level's figures.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The working memory for limited levels, kept in the kernel's between runs.
#[derive(Debug, Clone, Default)]
pub struct PlacesWork<const W: usize> {
    /// Whether the model has any limited level (else nothing here runs).
    pub(super) on: bool,
    /// Per limited level: those waiting for it, by cell and time waited.
    queues: Vec<PlaceQueue<W>>,
    /// Per limited level × cell: those waiting after the last step's
    /// admissions (what the queue holds until the next).
    waiting: Vec<[f64; W]>,
    /// The step's leaving and ageing of those waiting, per cell, the
    /// oldest band first (scratch).
    cell_steps: Vec<CellStep<W>>,
    /// Per limited level: this year's places.
    places: Vec<[f64; W]>,
    /// Per cell: the step's people newly asking for a place (scratch), and
    /// of them those who asked in the band below and aged up within the step.
    asking: Vec<[f64; W]>,
    carried: Vec<[f64; W]>,
    /// Per cell: the step's people admitted (scratch).
    admitted: Vec<[f64; W]>,
    /// Per limited level × cell: this year's person-years waiting (only
    /// for levels with `while_waiting` multipliers).
    waiting_years: Vec<[f64; W]>,
    /// This year's moves taken back (−) and admissions (+), per band ×
    /// from × to, for the year's flows.
    moves: Vec<[f64; W]>,
    /// This year's figures, per limited level × [`PlaceFigure`].
    year: Vec<[f64; W]>,
}

impl<const W: usize> PlacesWork<W> {
    /// Sized afresh for a run of `model` in steps of `dt` years: nobody waiting.
    pub(super) fn prepare(&mut self, model: &Model, dt: f64) {
        let zero = [0.0; W];
        self.on = !model.places.is_empty();
        if !self.on {
            return;
        }
        let cells = model.cells();
        let nl = model.levels.len();
        let bins = ((WAIT_BINS_YEARS as f64 / dt).round() as usize).max(1) + 1;
        self.queues.clear();
        self.queues.resize(model.places.len(), PlaceQueue::new(cells, bins));
        for v in [&mut self.asking, &mut self.carried, &mut self.admitted] {
            v.clear();
            v.resize(cells, zero);
        }
        self.places.clear();
        self.places.resize(model.places.len(), zero);
        self.waiting_years.clear();
        self.waiting_years.resize(model.places.len() * cells, zero);
        self.waiting.clear();
        self.waiting.resize(model.places.len() * cells, zero);
        self.moves.clear();
        self.moves.resize(model.bands.len() * nl * nl, zero);
        self.year.clear();
        self.year.resize(model.places.len() * PlaceFigure::COUNT, zero);
    }

    /// The start of year `k` (`year`): each limited level's places this
    /// year (`params` through `layout`, with what the interventions in
    /// `plan` add, times their scale that year), and the year's figures and
    /// moves zeroed.
    pub(super) fn start_year(
        &mut self,
        model: &Model,
        layout: &Layout,
        params: &[[f64; W]],
        plan: &[usize],
        (k, year): (usize, i32),
    ) {
        let zero = [0.0; W];
        self.year.fill(zero);
        self.moves.fill(zero);
        self.waiting_years.fill(zero);
        for (i, limit) in model.places.iter().enumerate() {
            let mut places = params[layout.places(k, i)];
            for &iv in plan {
                let intervention = &model.interventions[iv];
                let scale = intervention.scale_in(year);
                if scale <= 0.0 {
                    continue;
                }
                for (n, effect) in intervention.effects.iter().enumerate() {
                    if matches!(*effect, Effect::Places { level, .. } if level == limit.level) {
                        let add = params[layout.effect(iv, n)];
                        for lane in 0..W {
                            places[lane] += add[lane] * scale;
                        }
                    }
                }
            }
            self.places[i] = places;
            self.year[i * PlaceFigure::COUNT + PlaceFigure::Places.index()] = places;
        }
    }

    /// After the step from `x` to `next` by `matrices` (entries added; the
    /// two as `people`):
    /// moves into each limited level taken back and admitted first come,
    /// first served (see the module's notes). `ageing_share[b]` is the
    /// share of band `b` that ages up a step; `ageing_out` (the year's, by
    /// cell) is corrected for the people who age while held.
    pub(super) fn hold(
        &mut self,
        model: &Model,
        matrices: &[Vec<[f64; W]>],
        ageing_share: &[f64],
        (x, next): (&[[f64; W]], &mut [[f64; W]]),
        ageing_out: &mut [[f64; W]],
        dt: f64,
    ) {
        let (nb, nl) = (model.bands.len(), model.levels.len());
        let w = nl + 1;
        let zero = [0.0; W];
        let cells = model.cells();
        for (i, limit) in model.places.iter().enumerate() {
            let to = limit.level;
            let queue = &mut self.queues[i];
            let figures = &mut self.year[i * PlaceFigure::COUNT..(i + 1) * PlaceFigure::COUNT];
            let waiting_in = &mut self.waiting[i * cells..(i + 1) * cells];
            self.asking.fill(zero);
            self.carried.fill(zero);
            self.cell_steps.clear();
            // Take back every move into the level, as if each band's matrix
            // had kept those people where they were (its share of them that
            // aged up kept with them). Those waiting leave the queue at the
            // rates everyone else leaves their cell.
            for b in 0..nb {
                let m = &matrices[b];
                let a = ageing_share[b];
                for from in (0..nl).filter(|&l| l != to) {
                    let c = b * nl + from;
                    let (into, stay) = (m[from * w + to], m[from * w + from]);
                    let waiting = waiting_in[c];
                    // A cell nobody moves in from and nobody waits in has
                    // nothing to take back or hold (most of a model's cells).
                    if into.iter().chain(&waiting).all(|&v| v == 0.0) {
                        continue;
                    }
                    // Each figure for every lane at once, then each cell
                    // changed once (the same operations, lane by lane, as
                    // one lane at a time: no two of these cells are one).
                    let people = x[c];
                    let back: [f64; W] = std::array::from_fn(|l| people[l] * into[l]);
                    let asked: [f64; W] = std::array::from_fn(|l| (people[l] - waiting[l]).max(0.0) * into[l]);
                    let moved: [f64; W] = back.map(|v| v * a);
                    let kept: [f64; W] = std::array::from_fn(|l| back[l] - moved[l]);
                    sub_lanes(&mut next[b * nl + to], kept);
                    add_lanes(&mut next[c], kept);
                    sub_lanes(&mut ageing_out[b * nl + to], moved);
                    add_lanes(&mut ageing_out[c], moved);
                    if b + 1 < nb {
                        let up = asked.map(|v| v * a);
                        sub_lanes(&mut next[(b + 1) * nl + to], moved);
                        add_lanes(&mut next[(b + 1) * nl + from], moved);
                        add_lanes(&mut self.asking[(b + 1) * nl + from], up);
                        add_lanes(&mut self.carried[(b + 1) * nl + from], up);
                    }
                    add_lanes(&mut self.asking[c], asked.map(|v| v * (1.0 - a)));
                    sub_lanes(&mut self.moves[c * nl + to], back);
                    let mut leave: [f64; W] = std::array::from_fn(|l| (1.0 - stay[l] - into[l]).clamp(0.0, 1.0));
                    if limit.waiting_moves.iter().any(|mv| mv.from == from) {
                        let at = (b, from, nl);
                        waiting_moves(
                            &limit.waiting_moves,
                            at,
                            (m, w),
                            waiting,
                            &mut leave,
                            next,
                            &mut self.moves,
                        );
                    }
                    for lane in 0..W {
                        figures[PlaceFigure::LeftQueue.index()][lane] += waiting[lane] * leave[lane];
                    }
                    // Those waiting age with their band (out of a closed
                    // last band they leave).
                    let age = if a <= 0.0 {
                        Ageing::Stay
                    } else if b + 1 < nb {
                        Ageing::Into(c + nl, a)
                    } else {
                        Ageing::Out(a)
                    };
                    self.cell_steps.push(CellStep { cell: c, leave, age });
                }
            }
            // Every cell's leaving then ageing, the oldest band first (so
            // that nobody moves twice, and each cell's people leave and age
            // before those from the band below join them).
            self.cell_steps.reverse();
            queue.leave_and_age(&self.cell_steps);
            // Admit up to the places free, the longest waiting first.
            let mut spare = self.places[i];
            for b in 0..nb {
                for lane in 0..W {
                    spare[lane] -= next[b * nl + to][lane];
                }
            }
            let (from_queue, new_share) = queue.admit(spare, &self.asking, &mut self.admitted);
            let (admitted, asked) = enter(
                (nb, nl, to),
                [&self.admitted, &self.asking, &self.carried],
                new_share,
                next,
                (&mut self.moves, ageing_out),
            );
            queue.cell_totals(waiting_in);
            let mut waiting = zero;
            for cell in waiting_in.iter() {
                for lane in 0..W {
                    waiting[lane] += cell[lane];
                }
            }
            for lane in 0..W {
                // Held: those who asked this step and were not admitted.
                let held = (asked[lane] - (admitted[lane] - from_queue[lane])).max(0.0);
                let f = |which: PlaceFigure| which.index();
                figures[f(PlaceFigure::Admitted)][lane] += admitted[lane];
                figures[f(PlaceFigure::Held)][lane] += held;
                figures[f(PlaceFigure::WaitingYears)][lane] += waiting[lane] * dt;
                figures[f(PlaceFigure::WaitingEnd)][lane] = waiting[lane];
                // Full: someone is left waiting for want of a place.
                if waiting[lane] > 0.0 {
                    figures[f(PlaceFigure::Full)][lane] = 1.0;
                }
                let occupied: f64 = (0..nb).map(|b| next[b * nl + to][lane]).sum();
                figures[f(PlaceFigure::Occupied)][lane] = occupied;
            }
            if !limit.while_waiting.is_empty() {
                let years = &mut self.waiting_years[i * cells..(i + 1) * cells];
                for (y, waiting) in years.iter_mut().zip(waiting_in.iter()) {
                    for lane in 0..W {
                        y[lane] += waiting[lane] * dt;
                    }
                }
            }
        }
    }

    /// The step's extra demand from the people waiting for a place, for the
    /// services with a capacity that a `while_waiting` use names: the people
    /// waiting at the step's end in each cell × the cell's use rate
    /// (`use_rate[s * cells + cell]`) × (multiplier − 1) × `dt`, added to
    /// `demand[s]` for the services to serve.
    pub(super) fn waiting_demand(&self, model: &Model, use_rate: &[[f64; W]], dt: f64, demand: &mut [[f64; W]]) {
        let cells = model.cells();
        for (i, limit) in model.places.iter().enumerate() {
            for u in limit
                .while_waiting
                .iter()
                .filter(|u| model.services[u.service].capacity.is_some())
            {
                let rates = &use_rate[u.service * cells..(u.service + 1) * cells];
                let d = &mut demand[u.service];
                for (c, rate) in rates.iter().enumerate() {
                    // (The step's end: summed after its admissions.)
                    let waiting = self.waiting[i * cells + c];
                    if waiting.iter().all(|&v| v == 0.0) {
                        continue;
                    }
                    for lane in 0..W {
                        d[lane] += waiting[lane] * rate[lane] * (u.multiplier - 1.0) * dt;
                    }
                }
            }
        }
    }

    /// The end of year `k`: the year's figures into `out.supply` (after the
    /// services' `services_figures`), the `while_waiting` use added to the
    /// services' activity (`use_rate[s * cells + cell]`), and the moves
    /// taken back and admitted added to the year's flows (`year_cells`: its
    /// first cell).
    pub(super) fn end_year(
        &mut self,
        model: &Model,
        k: usize,
        year_cells: usize,
        use_rate: &[[f64; W]],
        out: &mut LaneTrajectory<W>,
    ) {
        let (ns, nl, nb, cells) = (
            model.services.len(),
            model.levels.len(),
            model.bands.len(),
            model.cells(),
        );
        let per_year = super::supply_figures(model);
        let at = k * per_year + (per_year - self.year.len());
        out.supply[at..at + self.year.len()].copy_from_slice(&self.year);
        for (i, limit) in model.places.iter().enumerate() {
            let years = &self.waiting_years[i * cells..(i + 1) * cells];
            // (A service with a capacity was asked for it step by step,
            // and its activity is what it served.)
            for u in limit
                .while_waiting
                .iter()
                .filter(|u| model.services[u.service].capacity.is_none())
            {
                let rates = &use_rate[u.service * cells..(u.service + 1) * cells];
                let activity = &mut out.activity[k * ns + u.service];
                for c in 0..cells {
                    for lane in 0..W {
                        activity[lane] += years[c][lane] * rates[c][lane] * (u.multiplier - 1.0);
                    }
                }
            }
        }
        // (Band by band, from level to level: the moves' order.)
        let mut moves = self.moves.iter();
        for b in 0..nb {
            for from in 0..nl {
                for to in 0..nl {
                    let moved = *moves.next().expect("a move per band, level from and level to");
                    super::supply::add_move_at(out, (k, nb, nl), year_cells, (b, from, to), moved);
                }
            }
        }
    }
}

/// `sum -= value`, lane by lane (operands by value, as [`add_lanes`], so
/// that it vectorises).
#[inline(always)]
fn sub_lanes<const W: usize>(sum: &mut [f64; W], value: [f64; W]) {
    let mut out = *sum;
    for lane in 0..W {
        out[lane] -= value[lane];
    }
    *sum = out;
}

/// Moves the people admitted from each cell of `admitted` into the limited
/// level `to` of their band within `next` (no more than the cell holds) and
/// records the moves: those admitted the step they asked in the band below
/// (`carried` × `new_share`) moved there, then aged up at the new level.
/// Returns the people admitted and those who asked (`asking`), in all.
fn enter<const W: usize>(
    (nb, nl, to): (usize, usize, usize),
    [admitted, asking, carried]: [&[[f64; W]]; 3],
    new_share: [f64; W],
    next: &mut [[f64; W]],
    (moves, ageing_out): (&mut [[f64; W]], &mut [[f64; W]]),
) -> ([f64; W], [f64; W]) {
    let mut all = [0.0; W];
    let mut asked = [0.0; W];
    for b in 0..nb {
        for from in (0..nl).filter(|&l| l != to) {
            let c = b * nl + from;
            let (enter, ask) = (admitted[c], asking[c]);
            if enter.iter().chain(&ask).chain(&carried[c]).all(|&v| v == 0.0) {
                continue;
            }
            // Every lane at once, each cell changed once (as in `hold`).
            let people = next[c];
            let enter: [f64; W] = std::array::from_fn(|l| enter[l].min(people[l]));
            sub_lanes(&mut next[c], enter);
            add_lanes(&mut next[b * nl + to], enter);
            let up: [f64; W] = std::array::from_fn(|l| carried[c][l] * new_share[l]);
            add_lanes(&mut moves[c * nl + to], std::array::from_fn(|l| enter[l] - up[l]));
            if b > 0 {
                let below = c - nl;
                add_lanes(&mut moves[below * nl + to], up);
                sub_lanes(&mut ageing_out[below], up);
                add_lanes(&mut ageing_out[(b - 1) * nl + to], up);
            }
            add_lanes(&mut all, enter);
            add_lanes(&mut asked, ask);
        }
    }
    (all, asked)
}

/// The people waiting in band `b`'s cell of level `from` who move by the
/// `while_waiting` relative risks `moves` (README, "Levels with a limited
/// number of places"): moved within `next` and recorded in the year's
/// `recorded` moves, their share added to `leave`. `m` is the band's step
/// matrix, `w` its width.
fn waiting_moves<const W: usize>(
    moves: &[crate::model::WaitingMove],
    (b, from, nl): (usize, usize, usize),
    (m, w): (&[[f64; W]], usize),
    waiting: [f64; W],
    leave: &mut [f64; W],
    next: &mut [[f64; W]],
    recorded: &mut [[f64; W]],
) {
    let c = b * nl + from;
    let scale = waiting_scale(moves, from, m, w, leave);
    for mv in moves.iter().filter(|mv| mv.from == from) {
        let (t, p) = (b * nl + mv.to, m[from * w + mv.to]);
        for lane in 0..W {
            let share = p[lane] * (mv.relative_risk - 1.0);
            let share = if share > 0.0 { share * scale[lane] } else { share };
            // (No more than the cell holds, nor more back than the move took.)
            let amount = (waiting[lane] * share).min(next[c][lane]).max(-next[t][lane]);
            next[c][lane] -= amount;
            next[t][lane] += amount;
            recorded[c * nl + mv.to][lane] += amount;
        }
    }
}

/// The waiting people's own moves out of level `from` (README, "Levels
/// with a limited number of places"): each of `moves` from `from` moves a
/// share `m[from → to] · (RR − 1)` of them beyond the step's own (`m` the
/// band's step matrix, `w` its width). Adds the shares to `leave` (the
/// share of them leaving the queue this step) and returns, per lane, the
/// scale on the positive shares that keeps `leave` within 1.
fn waiting_scale<const W: usize>(
    moves: &[crate::model::WaitingMove],
    from: usize,
    m: &[[f64; W]],
    w: usize,
    leave: &mut [f64; W],
) -> [f64; W] {
    std::array::from_fn(|lane| {
        let (mut more, mut fewer) = (0.0, 0.0);
        for mv in moves.iter().filter(|mv| mv.from == from) {
            let share = m[from * w + mv.to][lane] * (mv.relative_risk - 1.0);
            if share > 0.0 {
                more += share;
            } else {
                fewer += share;
            }
        }
        let room = (1.0 - leave[lane] - fewer).max(0.0);
        let scale = if more > room { room / more } else { 1.0 };
        leave[lane] = (leave[lane] + fewer + more * scale).clamp(0.0, 1.0);
        scale
    })
}
