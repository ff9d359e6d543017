//! The pathway gap map: which interventions reach each age band × need level
//! (and, where interventions declare them, each outcome domain), with what
//! evidence; cells nothing reaches are gaps, cells reached only by weakly
//! evidenced interventions are flagged as weak.

use crate::model::Model;

/// How well a cell is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Reached by at least one intervention rated at the scale's `strong_from` or above.
    Strong,
    /// Reached only by interventions rated lower, or not rated.
    Weak,
    /// Reached by nothing.
    Gap,
}

impl Coverage {
    pub fn name(self) -> &'static str {
        match self {
            Coverage::Strong => "strong",
            Coverage::Weak => "weak",
            Coverage::Gap => "gap",
        }
    }
}

/// One cell of the map.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub band: usize,
    /// The level as the outputs show it (an index into the model's
    /// `output_levels`: a level with tunnels as a whole by default).
    pub level: usize,
    /// The interventions that reach it (any of its tunnels, for a level with
    /// tunnels; indices into the model's), in file order.
    pub reached_by: Vec<usize>,
    /// The highest rating among them (`None`: none reach it, or none is rated).
    pub best_rating: Option<u8>,
    pub coverage: Coverage,
    /// People in the cell at the start (do-nothing; a level's tunnels
    /// summed), for weighing a gap.
    pub people: f64,
}

/// The map for one outcome domain (or for all of them).
#[derive(Debug, Clone, PartialEq)]
pub struct PathwayGrid {
    /// `None`: every intervention, whatever its domains.
    pub domain: Option<usize>,
    /// Band-major: `cells[band * levels + level]`, by the model's output levels.
    pub cells: Vec<Cell>,
}

/// A pathway map of a set of interventions.
#[derive(Debug, Clone, PartialEq)]
pub struct PathwayMap {
    /// What was mapped: a scenario's name, or "every intervention in the file".
    pub scope: String,
    pub interventions: Vec<usize>,
    pub strong_from: u8,
    /// The whole map first, then one per declared domain.
    pub grids: Vec<PathwayGrid>,
}

impl PathwayMap {
    /// Maps `interventions` of `model` (`scope` names them).
    pub fn new(model: &Model, interventions: &[usize], scope: &str) -> PathwayMap {
        let strong_from = model.evidence_scale.strong_from;
        let (nl, shown) = (model.levels.len(), &model.output_levels);
        let domains = std::iter::once(None).chain((0..model.domains.len()).map(Some));
        let grids = domains
            .map(|domain| {
                let cells = (0..model.bands.len() * shown.len())
                    .map(|cell| {
                        let (band, level) = (cell / shown.len(), cell % shown.len());
                        let tunnels = shown[level].levels.clone();
                        let reached_by: Vec<usize> = interventions
                            .iter()
                            .copied()
                            .filter(|&i| {
                                let iv = &model.interventions[i];
                                tunnels.clone().any(|l| iv.targets(band, l))
                                    && domain.is_none_or(|d| iv.domains.contains(&d))
                            })
                            .collect();
                        let best_rating = reached_by.iter().filter_map(|&i| model.interventions[i].rating).max();
                        let coverage = match (reached_by.is_empty(), best_rating) {
                            (true, _) => Coverage::Gap,
                            (false, Some(r)) if r >= strong_from => Coverage::Strong,
                            (false, _) => Coverage::Weak,
                        };
                        Cell {
                            band,
                            level,
                            reached_by,
                            best_rating,
                            coverage,
                            people: shown[level].sum(&model.population[band * nl..(band + 1) * nl]),
                        }
                    })
                    .collect();
                PathwayGrid { domain, cells }
            })
            .collect();
        PathwayMap {
            scope: scope.to_string(),
            interventions: interventions.to_vec(),
            strong_from,
            grids,
        }
    }

    /// The map of every intervention in the file.
    pub fn of_file(model: &Model) -> PathwayMap {
        let all: Vec<usize> = (0..model.interventions.len()).collect();
        PathwayMap::new(model, &all, "every intervention in the file")
    }

    /// The whole map (all domains together).
    pub fn whole(&self) -> &PathwayGrid {
        &self.grids[0]
    }

    /// How many cells of the whole map are strong, weak and gaps.
    pub fn counts(&self) -> [usize; 3] {
        let mut n = [0; 3];
        for c in &self.whole().cells {
            n[c.coverage as usize] += 1;
        }
        n
    }
}

/// A domain's name, or "all domains".
pub fn domain_name(model: &Model, domain: Option<usize>) -> &str {
    domain.map_or("all domains", |d| model.domains[d].as_str())
}

/// An intervention as a map lists it: `name (rating 3)` or `name (not rated)`.
pub fn labelled(model: &Model, intervention: usize) -> String {
    let iv = &model.interventions[intervention];
    match iv.rating {
        Some(r) => format!("{} (rating {r})", iv.name),
        None => format!("{} (not rated)", iv.name),
    }
}
