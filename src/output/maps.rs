//! The map of the system for each future of a run
//! (`charts/system-map.{png,svg}` for do-nothing, and
//! `charts/system-map-SCENARIO.{png,svg}` for each scenario against it).

use crate::charts::{Figures, MapInput, SystemMap};
use crate::run::Future;
use std::fs;
use std::io;
use std::path::Path;

/// The maps of a run in its last year, every band, summed over areas:
/// do-nothing's, then each scenario's against it, each with its file stem.
/// Empty when the run kept no trajectories (many areas without `--detail`).
pub fn maps(detail: &[(Option<&str>, &[Future])], figures: &Figures, year: Option<i32>) -> Vec<(String, SystemMap)> {
    let Some((_, first)) = detail.first() else {
        return Vec::new();
    };
    let input = |f: usize| -> Option<MapInput> {
        let in_areas = detail.iter().filter_map(move |(_, fs)| fs.get(f));
        Some(MapInput::of(figures, first.get(f)?, in_areas))
    };
    let Some(baseline) = input(0) else {
        return Vec::new();
    };
    let year = SystemMap::year_of(baseline.model, year);
    let mut maps = vec![("system-map".to_string(), SystemMap::new(&baseline, year, None, None))];
    for (f, future) in first.iter().enumerate().skip(1) {
        if let Some(scenario) = input(f) {
            let stem = format!("system-map-{}", file_safe(&future.name));
            maps.push((stem, SystemMap::new(&scenario, year, None, Some(&baseline))));
        }
    }
    maps
}

/// A scenario's name as part of a file name: letters, digits, `-` and `_`
/// kept, anything else a `-`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Writes each map as `STEM.png` and `STEM.svg` into `dir` (drawn in parallel).
pub fn write_maps(dir: &Path, maps: &[(String, SystemMap)]) -> io::Result<()> {
    use rayon::prelude::*;
    fs::create_dir_all(dir)?;
    maps.par_iter().try_for_each(|(stem, map)| {
        map.write_png(&dir.join(format!("{stem}.png")))
            .map_err(io::Error::other)?;
        fs::write(dir.join(format!("{stem}.svg")), map.svg().map_err(io::Error::other)?)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn scenario_names_become_safe_file_names() {
        assert_eq!(super::file_safe("falls-and-reablement"), "falls-and-reablement");
        assert_eq!(super::file_safe("a b/c"), "a-b-c");
    }
}
