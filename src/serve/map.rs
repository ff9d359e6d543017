//! The map of the system on the page: one future's map (a scenario's
//! against do-nothing), of a year and of every band or one, redrawn with
//! every run.

use crate::charts::{Figures, MapInput, SystemMap};
use crate::pipeline::Run;
use serde::{Deserialize, Serialize};

/// Which map the page asks for; each part defaults when absent or unknown
/// (the first scenario, or do-nothing without one; every band; the last
/// year).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MapView {
    /// A scenario's name, or `do-nothing`.
    #[serde(default)]
    pub future: Option<String>,
    #[serde(default)]
    pub band: Option<String>,
    #[serde(default)]
    pub year: Option<i32>,
}

/// The map `view` asks for, from the futures of `unit` at the inputs'
/// means; `None` when the run kept no trajectories (many areas).
pub fn map(run: &Run, unit: usize, figures: &Figures, view: &MapView) -> Option<SystemMap> {
    let model = run.model;
    let areas: Vec<usize> = if run.units.is_empty() {
        vec![0]
    } else {
        run.units[unit].1.clone()
    };
    let first = &run.areas.get(*areas.first()?)?.futures;
    let input = |f: usize| -> Option<MapInput> {
        let in_areas = areas.iter().filter_map(move |&a| run.areas[a].futures.get(f));
        Some(MapInput::of(figures, first.get(f)?, in_areas))
    };
    let f = match view.future.as_deref() {
        Some(name) => first.iter().position(|x| x.name == name).unwrap_or(0),
        None => usize::from(first.len() > 1),
    };
    let band = view
        .band
        .as_deref()
        .and_then(|b| model.bands.iter().position(|x| x.name == b));
    let year = SystemMap::year_of(model, view.year);
    let baseline = input(0)?;
    Some(if f == 0 {
        SystemMap::new(&baseline, year, band, None)
    } else {
        SystemMap::new(&input(f)?, year, band, Some(&baseline))
    })
}
