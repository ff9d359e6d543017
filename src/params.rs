//! Every number a Monte Carlo draw may change, laid out flat so that a draw
//! is one `Vec<f64>`: by-year values are expanded to one entry per simulated
//! year when some series of their kind changes over time (else one entry
//! serves every year). The engine reads its numbers from here, never from `Model` fields.

use crate::model::{Effect, Model, Reach, Target};

/// Where each number lives in a parameter vector.
#[derive(Debug, Clone)]
pub struct Layout {
    years: usize,
    /// Whether each kind of by-year number takes one entry per simulated
    /// year (some series of that kind changes over time in one of the
    /// models) or one entry for all years (every series is one value).
    transitions_by_year: bool,
    exits_by_year: bool,
    entries_by_year: bool,
    use_rates_by_year: bool,
    capacities_by_year: bool,
    places_by_year: bool,
    utilities_by_year: bool,
    levels: usize,
    cells: usize,
    start_year: i32,
    discount_rate: usize,
    transitions: usize,
    exits: usize,
    band_people: usize,
    band_level: usize,
    entries: usize,
    entry_share: usize,
    unit_cost: usize,
    use_rate: usize,
    services: usize,
    /// Per intervention: reach (share or places), fidelity, cost per
    /// participant, fixed cost, then one slot per effect (its relative
    /// risk, multiplier or capacity added).
    interventions: Vec<usize>,
    /// Each service's capacity (by year when some capacity changes over
    /// time); no entries at all when no service of the models has one, so
    /// that a model without capacities lays out exactly as before.
    capacity: usize,
    /// Each limited level's places (`Model::places`, by year when some
    /// changes over time); no entries without any.
    places: usize,
    places_count: usize,
    /// Each cell's quality weight (`[outcomes]`, by year when some weight
    /// changes over time); no entries without outcomes.
    utility: usize,
    /// Bands whose population is given as people × mix (the others as counts).
    mixed_bands: Vec<bool>,
    len: usize,
}

impl Layout {
    /// The layout of `model`'s numbers.
    pub fn new(model: &Model) -> Layout {
        Layout::for_models(model, std::iter::empty())
    }

    /// The layout of `model`'s numbers that also holds those of `others`
    /// (the same model's scenarios, which may make more numbers change by year).
    pub fn for_models<'m>(model: &'m Model, others: impl Iterator<Item = &'m Model>) -> Layout {
        let years = model.horizon_years as usize;
        let (nb, nl, ns) = (model.bands.len(), model.levels.len(), model.services.len());
        let cells = nb * nl;
        let (mut transitions_by_year, mut exits_by_year, mut entries_by_year, mut use_rates_by_year) =
            (false, false, false, false);
        let (mut capacities, mut capacities_by_year) = (false, false);
        let (mut places_by_year, mut utilities, mut utilities_by_year) = (false, false, false);
        for m in std::iter::once(model).chain(others) {
            transitions_by_year |= m.transitions.iter().any(|s| !s.is_constant());
            exits_by_year |= m.exits.iter().any(|s| !s.is_constant());
            entries_by_year |= m.entries.as_ref().is_some_and(|e| !e.people.is_constant());
            use_rates_by_year |= m
                .services
                .iter()
                .any(|service| service.use_rate.iter().any(|s| !s.is_constant()));
            for capacity in m.services.iter().filter_map(|s| s.capacity.as_ref()) {
                capacities = true;
                capacities_by_year |= !capacity.per_year.is_constant();
            }
            places_by_year |= m.places.iter().any(|p| !p.per_year.is_constant());
            if let Some(o) = &m.outcomes {
                utilities = true;
                utilities_by_year |= o.utility.iter().any(|s| !s.is_constant());
            }
        }
        let span = |by_year: bool| if by_year { years } else { 1 };
        let mut next = 0;
        let mut take = |n: usize| {
            let at = next;
            next += n;
            at
        };
        let discount_rate = take(1);
        let transitions = take(span(transitions_by_year) * nb * nl * nl);
        let exits = take(span(exits_by_year) * cells);
        let band_people = take(nb);
        let band_level = take(cells);
        let entries = take(span(entries_by_year));
        let entry_share = take(nl);
        let unit_cost = take(ns);
        let use_rate = take(span(use_rates_by_year) * ns * cells);
        let interventions = model
            .interventions
            .iter()
            .map(|iv| take(5 + iv.effects.len()))
            .collect();
        let capacity = take(if capacities { span(capacities_by_year) * ns } else { 0 });
        let places_count = model.places.len();
        let places = take(span(places_by_year) * places_count);
        let utility = take(if utilities { span(utilities_by_year) * cells } else { 0 });
        let mut mixed_bands = vec![false; nb];
        for u in &model.uncertain {
            for t in &u.targets {
                if let Target::BandPeople { band } = t {
                    mixed_bands[*band] = true;
                }
            }
        }
        Layout {
            years,
            transitions_by_year,
            exits_by_year,
            entries_by_year,
            use_rates_by_year,
            capacities_by_year,
            places_by_year,
            utilities_by_year,
            levels: nl,
            cells,
            start_year: model.start_year,
            discount_rate,
            transitions,
            exits,
            band_people,
            band_level,
            entries,
            entry_share,
            unit_cost,
            use_rate,
            services: ns,
            interventions,
            capacity,
            places,
            places_count,
            utility,
            mixed_bands,
            len: next,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline]
    pub fn discount_rate(&self) -> usize {
        self.discount_rate
    }

    /// Annual probability of `from → to` in band `band`, simulated year `y` (0-based).
    #[inline]
    pub fn transition(&self, y: usize, band: usize, from: usize, to: usize) -> usize {
        let y = if self.transitions_by_year { y } else { 0 };
        self.transitions + ((y * self.cells + band * self.levels + from) * self.levels) + to
    }

    #[inline]
    pub fn exit(&self, y: usize, cell: usize) -> usize {
        let y = if self.exits_by_year { y } else { 0 };
        self.exits + y * self.cells + cell
    }

    /// A band's total (NaN when the band's levels are counts).
    #[inline]
    pub fn band_people(&self, band: usize) -> usize {
        self.band_people + band
    }

    /// A level's share of its band (or its count).
    #[inline]
    pub fn band_level(&self, cell: usize) -> usize {
        self.band_level + cell
    }

    #[inline]
    pub fn entries(&self, y: usize) -> usize {
        self.entries + if self.entries_by_year { y } else { 0 }
    }

    #[inline]
    pub fn entry_share(&self, level: usize) -> usize {
        self.entry_share + level
    }

    #[inline]
    pub fn unit_cost(&self, service: usize) -> usize {
        self.unit_cost + service
    }

    #[inline]
    pub fn use_rate(&self, y: usize, service: usize, cell: usize) -> usize {
        let y = if self.use_rates_by_year { y } else { 0 };
        self.use_rate + (y * self.services + service) * self.cells + cell
    }

    #[inline]
    pub fn reach(&self, intervention: usize) -> usize {
        self.interventions[intervention]
    }

    #[inline]
    pub fn fidelity(&self, intervention: usize) -> usize {
        self.interventions[intervention] + 1
    }

    #[inline]
    pub fn cost_per_participant(&self, intervention: usize) -> usize {
        self.interventions[intervention] + 2
    }

    #[inline]
    pub fn fixed_cost(&self, intervention: usize) -> usize {
        self.interventions[intervention] + 3
    }

    #[inline]
    pub fn cost_at_start(&self, intervention: usize) -> usize {
        self.interventions[intervention] + 4
    }

    #[inline]
    pub fn effect(&self, intervention: usize, effect: usize) -> usize {
        self.interventions[intervention] + 5 + effect
    }

    /// A service's capacity (activity a year) in simulated year `y`; only
    /// for a layout of models of which some service has a capacity.
    #[inline]
    pub fn capacity(&self, y: usize, service: usize) -> usize {
        let y = if self.capacities_by_year { y } else { 0 };
        self.capacity + y * self.services + service
    }

    /// The places of `Model::places[index]` in simulated year `y`.
    #[inline]
    pub fn places(&self, y: usize, index: usize) -> usize {
        let y = if self.places_by_year { y } else { 0 };
        self.places + y * self.places_count + index
    }

    /// A cell's quality weight in simulated year `y`; only for a layout
    /// of models with `[outcomes]`.
    #[inline]
    pub fn utility(&self, y: usize, cell: usize) -> usize {
        let y = if self.utilities_by_year { y } else { 0 };
        self.utility + y * self.cells + cell
    }

    /// The people in each cell at the start, for `W` lanes of parameters
    /// (`params[i][lane]`).
    pub fn population_lanes<const W: usize>(&self, params: &[[f64; W]], out: &mut [[f64; W]]) {
        let nl = self.levels;
        for (b, &mixed) in self.mixed_bands.iter().enumerate() {
            let shares = &params[self.band_level + b * nl..self.band_level + (b + 1) * nl];
            for lane in 0..W {
                let total: f64 = shares.iter().map(|s| s[lane]).sum();
                let people = params[self.band_people + b][lane];
                for l in 0..nl {
                    out[b * nl + l][lane] = if !mixed {
                        shares[l][lane]
                    } else if total > 0.0 {
                        people * shares[l][lane] / total
                    } else {
                        0.0
                    };
                }
            }
        }
    }

    /// The parameter vector of `model`'s own values (the means of its distributions).
    pub fn central(&self, model: &Model) -> Vec<f64> {
        let mut p = vec![0.0; self.len];
        let nl = self.levels;
        p[self.discount_rate] = model.discount_rate;
        for (y, year) in model.years().enumerate() {
            for b in 0..model.bands.len() {
                for from in 0..nl {
                    for to in 0..nl {
                        if from != to {
                            p[self.transition(y, b, from, to)] =
                                model.transitions[model.transition_index(b, from, to)].at(year).value();
                        }
                    }
                }
            }
            for c in 0..self.cells {
                p[self.exit(y, c)] = model.exits[c].at(year).value();
            }
            p[self.entries(y)] = model.entries.as_ref().map_or(0.0, |e| e.people.at(year));
            for (s, service) in model.services.iter().enumerate() {
                for c in 0..self.cells {
                    p[self.use_rate(y, s, c)] = service.use_rate[c].at(year);
                }
                if let Some(capacity) = &service.capacity {
                    p[self.capacity(y, s)] = capacity.per_year.at(year);
                }
            }
            for (i, places) in model.places.iter().enumerate() {
                p[self.places(y, i)] = places.per_year.at(year);
            }
            if let Some(o) = &model.outcomes {
                for c in 0..self.cells {
                    p[self.utility(y, c)] = o.utility[c].at(year);
                }
            }
        }
        for (b, &mixed) in self.mixed_bands.iter().enumerate() {
            let cells = &model.population[b * nl..(b + 1) * nl];
            let total: f64 = cells.iter().sum();
            p[self.band_people + b] = if mixed { total } else { f64::NAN };
            for l in 0..nl {
                p[self.band_level + b * nl + l] = if mixed {
                    if total > 0.0 { cells[l] / total } else { 0.0 }
                } else {
                    cells[l]
                };
            }
        }
        if let Some(e) = &model.entries {
            for (l, share) in e.mix.iter().enumerate() {
                p[self.entry_share(l)] = *share;
            }
        }
        for (s, service) in model.services.iter().enumerate() {
            p[self.unit_cost(s)] = service.unit_cost;
        }
        for (i, iv) in model.interventions.iter().enumerate() {
            p[self.reach(i)] = match iv.reach {
                Reach::Share(x) | Reach::Places(x) => x,
            };
            p[self.fidelity(i)] = iv.fidelity;
            p[self.cost_per_participant(i)] = iv.cost_per_participant;
            p[self.fixed_cost(i)] = iv.fixed_cost;
            p[self.cost_at_start(i)] = iv.cost_at_start;
            for (k, effect) in iv.effects.iter().enumerate() {
                p[self.effect(i, k)] = match *effect {
                    Effect::Transition { relative_risk, .. } => relative_risk,
                    Effect::Service { multiplier, .. } | Effect::Utility { multiplier } => multiplier,
                    Effect::Capacity { add, .. } | Effect::Places { add, .. } => add,
                };
            }
        }
        p
    }

    /// The entries of a parameter vector that hold `target` (a by-year point
    /// covers the simulated years in which it is the value in force).
    pub fn indices(&self, model: &Model, target: &Target) -> Vec<usize> {
        let mut found = self.indices_by_year(model, target);
        // A series held once for all years gives one entry, not one per year.
        found.dedup();
        found
    }

    fn indices_by_year(&self, model: &Model, target: &Target) -> Vec<usize> {
        let years = |series_point_at: &dyn Fn(i32) -> i32, point: i32| -> Vec<usize> {
            (0..self.years)
                .filter(|&y| series_point_at(self.start_year + y as i32) == point)
                .collect()
        };
        let nl = self.levels;
        match *target {
            Target::DiscountRate => vec![self.discount_rate],
            Target::Transition { band, from, to, point } => {
                let series = &model.transitions[model.transition_index(band, from, to)];
                years(&|y| series.point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.transition(y, band, from, to))
                    .collect()
            }
            Target::Exit { band, level, point } => {
                let series = &model.exits[band * nl + level];
                years(&|y| series.point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.exit(y, band * nl + level))
                    .collect()
            }
            Target::BandPeople { band } => vec![self.band_people + band],
            Target::BandLevel { band, level } => vec![self.band_level + band * nl + level],
            Target::EntriesPeople { point } => match &model.entries {
                Some(e) => years(&|y| e.people.point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.entries(y))
                    .collect(),
                None => vec![],
            },
            Target::EntryShare { level } => vec![self.entry_share(level)],
            Target::UnitCost { service } => vec![self.unit_cost(service)],
            Target::UseRate {
                service,
                band,
                level,
                point,
            } => {
                let series = &model.services[service].use_rate[band * nl + level];
                years(&|y| series.point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.use_rate(y, service, band * nl + level))
                    .collect()
            }
            Target::Reach { intervention } => vec![self.reach(intervention)],
            Target::Fidelity { intervention } => vec![self.fidelity(intervention)],
            Target::CostPerParticipant { intervention } => vec![self.cost_per_participant(intervention)],
            Target::FixedCost { intervention } => vec![self.fixed_cost(intervention)],
            Target::CostAtStart { intervention } => vec![self.cost_at_start(intervention)],
            Target::Effect { intervention, effect } => vec![self.effect(intervention, effect)],
            Target::Capacity { service, point } => match &model.services[service].capacity {
                Some(c) => years(&|y| c.per_year.point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.capacity(y, service))
                    .collect(),
                None => vec![],
            },
            Target::Utility { band, level, point } => match &model.outcomes {
                Some(o) => years(&|y| o.utility[band * nl + level].point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.utility(y, band * nl + level))
                    .collect(),
                None => vec![],
            },
            Target::Places { index, point } => match model.places.get(index) {
                Some(p) => years(&|y| p.per_year.point_year_at(y), point)
                    .into_iter()
                    .map(|y| self.places(y, index))
                    .collect(),
                None => vec![],
            },
        }
    }
}
