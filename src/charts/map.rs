//! The map of the system (seed 004: "A map of the system is then built
//! up"), drawn from the model and one future's year with no hand layout:
//! the need levels as stocks from left to right, the moves between them,
//! entries and exits as arrows in people a year, the services hanging off
//! the levels that use them, the interventions on what they change, and
//! capacities and places with how full they are. Against do-nothing, each
//! figure also carries its change.

use crate::engine::{Figure, PlaceFigure, Trajectory, YearResult, service_figures};
use crate::format::short;
use crate::model::{Effect, Model, Tier};

/// One need level in the chosen year (summed over the bands shown).
#[derive(Debug, Clone, PartialEq)]
pub struct MapLevel {
    pub name: String,
    /// People at the year's end.
    pub people: f64,
    /// People entering the model into this level in the year.
    pub entries: f64,
    /// Deaths and moves away.
    pub exits: f64,
    /// People ageing past the last band's upper age (leaving the model).
    pub aged_out: f64,
    /// With one band shown: people ageing in from the band below, and out
    /// to the band above (zero when every band is shown: ageing then stays
    /// inside the level).
    pub ageing_in: f64,
    pub ageing_out: f64,
    /// Net migration added (+) or removed (−) by calibration.
    pub migration: f64,
    /// Its places, when it has a limited number: the places, the people in
    /// it and the people waiting for one at the year's end.
    pub places: Option<MapPlaces>,
    /// The interventions (indices into [`SystemMap::interventions`]) that
    /// change this level's exits or places, or a move from it nobody makes.
    pub tags: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPlaces {
    pub places: f64,
    pub occupied: f64,
    pub waiting: f64,
}

/// People moving from one level to another in the year.
#[derive(Debug, Clone, PartialEq)]
pub struct MapFlow {
    pub from: usize,
    pub to: usize,
    pub people: f64,
    /// The interventions that change this move.
    pub tags: Vec<usize>,
}

/// A service, hung off the level whose people use most of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapService {
    pub name: String,
    pub tier: Tier,
    /// The level whose people use the most of it (by person-years × use
    /// rate in the year), and each level's share of that use.
    pub level: usize,
    pub shares: Vec<f64>,
    /// Activity in the year, in the service's own unit (with one band
    /// shown, its share of the use at the file's use rates).
    pub activity: f64,
    /// With a capacity: the year's capacity and the demand asked of it.
    pub capacity: Option<(f64, f64)>,
    /// The interventions that change its use or capacity.
    pub tags: Vec<usize>,
}

/// One of the future's interventions and what it changes, in words
/// (`At risk → Substantial ×0.85`, `Home care capacity +40`).
#[derive(Debug, Clone, PartialEq)]
pub struct MapIntervention {
    pub name: String,
    pub effects: Vec<String>,
}

/// The map of one future in one year.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemMap {
    /// The future's title.
    pub future: String,
    pub year: i32,
    /// The band shown, or `None` for every band together.
    pub band: Option<String>,
    pub levels: Vec<MapLevel>,
    /// Every move between levels with anyone in it, in from × to order.
    pub flows: Vec<MapFlow>,
    pub services: Vec<MapService>,
    /// The future's interventions, each with its effects in words.
    pub interventions: Vec<MapIntervention>,
    /// Do-nothing's map of the same year and bands, for a scenario's
    /// difference view (its figures are the scenario's minus these).
    pub against: Option<Box<SystemMap>>,
}

/// What a map is drawn of: one future's trajectory in each area of a unit
/// (one for a model without areas), with the model each ran.
pub struct MapInput<'a> {
    pub title: &'a str,
    pub model: &'a Model,
    /// The interventions this future funds.
    pub plan: &'a [usize],
    pub trajectories: Vec<&'a Trajectory>,
}

impl<'a> MapInput<'a> {
    /// The input of `future` (one area's), titled as `figures` title it,
    /// with its trajectory in every area of the unit (`in_areas`, the
    /// same future in each).
    pub fn of(
        figures: &'a super::Figures,
        future: &'a crate::run::Future<'a>,
        in_areas: impl Iterator<Item = &'a crate::run::Future<'a>>,
    ) -> MapInput<'a> {
        MapInput {
            title: figures.title(&future.name),
            model: future.model,
            plan: &future.plan,
            trajectories: in_areas.map(|x| &x.trajectory).collect(),
        }
    }
}

impl SystemMap {
    /// The map of `input` in `year` (the last year when that is not
    /// simulated), of band `band` or of every band. With `against` (do-
    /// nothing's input), the map carries do-nothing's own for the
    /// difference view.
    pub fn new(input: &MapInput, year: i32, band: Option<usize>, against: Option<&MapInput>) -> SystemMap {
        let mut map = one(input, year, band);
        map.against = against.map(|a| Box::new(one(a, map.year, band)));
        map
    }

    /// The year shown of a model: `year` if it is simulated, else the last.
    pub fn year_of(model: &Model, year: Option<i32>) -> i32 {
        year.filter(|y| model.years().any(|s| s == *y))
            .unwrap_or_else(|| model.end_year())
    }

    /// The move `from → to`, if anyone made it.
    pub fn flow(&self, from: usize, to: usize) -> Option<&MapFlow> {
        self.flows.iter().find(|f| f.from == from && f.to == to)
    }

    /// The largest move, entry or exit (for the arrows' widths).
    pub fn largest(&self) -> f64 {
        let flows = self.flows.iter().map(|f| f.people);
        let ends = self.levels.iter().flat_map(|l| [l.into(), l.out()]);
        flows.chain(ends).fold(0.0, f64::max)
    }
}

impl MapLevel {
    /// Everyone arriving other than from another level: entries, ageing in
    /// and net migration in.
    pub fn into(&self) -> f64 {
        self.entries + self.ageing_in + self.migration.max(0.0)
    }

    /// Everyone leaving other than to another level: exits, ageing out of
    /// the model or the band, and net migration out.
    pub fn out(&self) -> f64 {
        self.exits + self.aged_out + self.ageing_out + (-self.migration).max(0.0)
    }
}

fn one(input: &MapInput, year: i32, band: Option<usize>) -> SystemMap {
    let model = input.model;
    let year = SystemMap::year_of(model, Some(year));
    let nl = model.levels.len();
    let bands: Vec<usize> = band.map_or_else(|| (0..model.bands.len()).collect(), |b| vec![b]);
    let rows: Vec<&YearResult> = input
        .trajectories
        .iter()
        .filter_map(|t| t.years.iter().find(|y| y.year == year))
        .collect();
    // A level as the outputs show it: its tunnels summed, by default.
    let shown = &model.output_levels;
    let of = model.output_level_of();
    let sum = |pick: &dyn Fn(&YearResult, usize) -> f64, o: usize| -> f64 {
        (shown[o].levels.clone())
            .map(|l| {
                rows.iter()
                    .map(|y| bands.iter().map(|&b| pick(y, b * nl + l)).sum::<f64>())
                    .sum::<f64>()
            })
            .sum()
    };
    let whole = band.is_none();
    let mut levels: Vec<MapLevel> = (0..shown.len())
        .map(|l| MapLevel {
            name: shown[l].name.clone(),
            people: sum(&|y, c| y.people_end[c], l),
            entries: sum(&|y, c| y.entries[c], l),
            exits: sum(&|y, c| y.exits[c], l),
            aged_out: sum(&|y, c| y.aged_out[c], l),
            ageing_in: if whole { 0.0 } else { sum(&|y, c| y.ageing_in[c], l) },
            ageing_out: if whole { 0.0 } else { sum(&|y, c| y.ageing_out[c], l) },
            migration: sum(&|y, c| y.migration[c], l),
            places: None,
            tags: Vec::new(),
        })
        .collect();
    let mut flows = Vec::new();
    for from in 0..shown.len() {
        for to in (0..shown.len()).filter(|&t| t != from) {
            let people: f64 = rows
                .iter()
                .map(|y| {
                    (bands.iter())
                        .map(|&b| shown[from].flow_to(&shown[to], &y.flows[b * nl * nl..(b + 1) * nl * nl], nl))
                        .sum::<f64>()
                })
                .sum();
            if people > 0.0 {
                flows.push(MapFlow {
                    from,
                    to,
                    people,
                    tags: Vec::new(),
                });
            }
        }
    }
    // Places and capacities are the whole level's and service's (never
    // one band's).
    let at = service_figures(model);
    for (i, limit) in model.places.iter().enumerate() {
        let figure = |which: PlaceFigure| -> f64 {
            rows.iter()
                .map(|y| y.supply[at + i * PlaceFigure::COUNT + which.index()])
                .sum()
        };
        levels[of[limit.level]].places = Some(MapPlaces {
            places: figure(PlaceFigure::Places),
            occupied: figure(PlaceFigure::Occupied),
            waiting: figure(PlaceFigure::WaitingEnd),
        });
    }
    let mut services = services(input, &rows, &bands, year);
    let interventions = tag(input, &mut levels, &mut flows, &mut services);
    SystemMap {
        future: input.title.to_string(),
        year,
        band: band.map(|b| model.bands[b].name.clone()),
        levels,
        flows,
        services,
        interventions,
        against: None,
    }
}

/// Each service with its activity in the year (of every band: activity is
/// kept per service, not per cell), the level using most of it by
/// person-years × use rate over the bands shown, and its capacity.
fn services(input: &MapInput, rows: &[&YearResult], bands: &[usize], year: i32) -> Vec<MapService> {
    let model = input.model;
    let nl = model.levels.len();
    let of = model.output_level_of();
    let capped = service_figures(model) > 0;
    model
        .services
        .iter()
        .enumerate()
        .map(|(s, service)| {
            // Use at the file's rates, per level, by the bands shown and by all.
            let mut shares = vec![0.0; model.output_levels.len()];
            let mut every = 0.0;
            for y in rows {
                for (c, rate) in service.use_rate.iter().enumerate() {
                    let used = y.person_years[c] * rate.at(year);
                    every += used;
                    if bands.contains(&(c / nl)) {
                        shares[of[c % nl]] += used;
                    }
                }
            }
            let total: f64 = shares.iter().sum();
            if total > 0.0 {
                shares.iter_mut().for_each(|x| *x /= total);
            }
            // Activity is kept per service, not per cell: one band's is
            // its share of the use at the file's rates.
            let part = if bands.len() == model.bands.len() || every <= 0.0 {
                1.0
            } else {
                total / every
            };
            let level = (0..shares.len()).fold(0, |best, l| if shares[l] > shares[best] { l } else { best });
            let figure =
                |which: Figure| -> f64 { rows.iter().map(|y| y.supply[s * Figure::COUNT + which.index()]).sum() };
            let capacity =
                (capped && service.capacity.is_some()).then(|| (figure(Figure::Capacity), figure(Figure::Demand)));
            MapService {
                name: service.name.clone(),
                tier: service.tier,
                level,
                shares,
                activity: part * rows.iter().map(|y| y.activity[s]).sum::<f64>(),
                capacity,
                tags: Vec::new(),
            }
        })
        .collect()
}

/// Hangs each effect of the future's interventions on what it changes: a
/// move's relative risk on that move (or on the level, when nobody makes
/// it), an exit's on the level, a use multiplier or capacity bought on the
/// service, places bought on the level. Returns the interventions with
/// their effects in words; the tags are indices into it.
fn tag(
    input: &MapInput,
    levels: &mut [MapLevel],
    flows: &mut [MapFlow],
    services: &mut [MapService],
) -> Vec<MapIntervention> {
    let model = input.model;
    let of = model.output_level_of();
    let name = |l: usize| model.output_levels[of[l]].name.as_str();
    let mut list = Vec::new();
    for &iv in input.plan {
        let intervention = &model.interventions[iv];
        let i = list.len();
        let mut effects = Vec::new();
        for effect in &intervention.effects {
            match *effect {
                Effect::Transition {
                    from,
                    to,
                    relative_risk,
                    ..
                } => {
                    // A level's tunnels: one effect each, shown once.
                    let to_name = to.map_or("exit", name);
                    effects.push(format!("{} → {to_name} ×{}", name(from), short(relative_risk)));
                    let (from, to) = (of[from], to.map(|t| of[t]));
                    match to.and_then(|to| flows.iter_mut().find(|f| f.from == from && f.to == to)) {
                        Some(flow) => flow.tags.push(i),
                        None => levels[from].tags.push(i),
                    }
                }
                Effect::Service { service, multiplier } => {
                    effects.push(format!(
                        "use of {} ×{}",
                        model.services[service].name,
                        short(multiplier)
                    ));
                    services[service].tags.push(i);
                }
                Effect::Capacity { service, add, .. } => {
                    effects.push(format!("{} capacity +{}", model.services[service].name, short(add)));
                    services[service].tags.push(i);
                }
                Effect::Places { level, add, .. } => {
                    effects.push(format!("{} places +{}", name(level), short(add)));
                    levels[of[level]].tags.push(i);
                }
                Effect::Utility { multiplier } => effects.push(format!("quality of life ×{}", short(multiplier))),
            }
        }
        effects.dedup();
        for tags in levels
            .iter_mut()
            .map(|l| &mut l.tags)
            .chain(flows.iter_mut().map(|f| &mut f.tags))
            .chain(services.iter_mut().map(|s| &mut s.tags))
        {
            tags.dedup();
        }
        list.push(MapIntervention {
            name: intervention.name.clone(),
            effects,
        });
    }
    list
}
