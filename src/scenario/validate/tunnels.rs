//! `[model] tunnels`: a level split into yearly tunnels, so that moves out
//! of it may depend on the years spent in it (README, "Time in a level").
//! Each tunnel is a level of the model: with one step a year a year,
//! named `LEVEL (year K)`, the last `LEVEL (year N+)`; with finer steps one
//! a step, `LEVEL (year K, step J)`, and the last year one level, `LEVEL
//! (year N+)`. The file names the level as a whole, one year of it by
//! its year's name (every step tunnel of the year), or one year with
//! `years_in_level`.

use crate::model::{Tunnel, TunnelOutputs};
use crate::scenario::checks::Validator;
use crate::scenario::file::RawModel;

/// The most tunnels a level may have.
const MOST: i64 = 100;

/// With finer steps than a year, the most levels the model may have with
/// its tunnels (a level of 60 years at 12 steps a year is 709; at 52
/// steps, 989 levels took 6 s and 700 MB to run 20 years).
const MOST_LEVELS: usize = 1_000;

/// The model's levels with each level given tunnels replaced, in place, by
/// its tunnels (one a step: `steps_per_year` for each year but the last);
/// and the tunnels.
pub(super) fn tunnels_from(
    v: &mut Validator,
    m: &RawModel,
    levels: Vec<String>,
    steps_per_year: u32,
) -> (Vec<String>, Vec<Tunnel>) {
    let Some(raw) = &m.tunnels else {
        return (levels, Vec::new());
    };
    let mut years_of = Vec::new();
    for (name, years) in raw.get_ref() {
        if !levels.contains(name) {
            v.err(
                &years.span(),
                format!(
                    "tunnels: unknown level `{name}`; the levels are {}",
                    super::names::list(&levels)
                ),
            );
            continue;
        }
        match *years.get_ref() {
            y @ 2..=MOST => years_of.push((name.clone(), y as usize)),
            y => v.err(
                &years.span(),
                format!("tunnels: `{name}` has {y} tunnels; give a whole number of years from 2 to {MOST} (the last tunnel holds those in the level that long or longer)"),
            ),
        }
    }
    let mut expanded = Vec::new();
    let mut tunnels = Vec::new();
    let levels_before = levels.clone();
    for level in levels {
        match years_of.iter().find(|(n, _)| *n == level) {
            None => expanded.push(level),
            Some((name, years)) => {
                let steps = steps_per_year as usize;
                tunnels.push(Tunnel {
                    name: name.clone(),
                    first: expanded.len(),
                    years: *years,
                    steps,
                });
                for k in 1..=*years {
                    let each = if k == *years { 1 } else { steps };
                    expanded.extend((1..=each).map(|j| tunnel_name(name, (k, *years), (j, each))));
                }
            }
        }
    }
    if steps_per_year > 1 && expanded.len() > MOST_LEVELS {
        v.err(
            &raw.span(),
            format!(
                "tunnels: at {steps_per_year} steps a year, a tunnel a step, the model would have {} levels; it may have at most {MOST_LEVELS} (its matrices are dense): give fewer years of tunnels or fewer steps a year",
                expanded.len()
            ),
        );
        return (levels_before, Vec::new());
    }
    // With finer steps the file also names a year (but the last, a level
    // of its own) by `LEVEL (year K)`.
    let years: Vec<String> = (tunnels.iter())
        .filter(|t| t.steps > 1)
        .flat_map(|t| (1..t.years).map(|y| t.year_name(y)))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    if let Some(clash) = expanded.iter().chain(&years).find(|l| !seen.insert(l.as_str())) {
        v.err(
            &raw.span(),
            format!("tunnels: the tunnel level `{clash}` has the name of another level; rename that level"),
        );
    }
    (expanded, tunnels)
}

/// `[model] tunnel_outputs`: "summed" (the default) or "each".
pub(super) fn outputs_from(v: &mut Validator, m: &RawModel) -> TunnelOutputs {
    let Some(raw) = &m.tunnel_outputs else {
        return TunnelOutputs::Summed;
    };
    match raw.get_ref().as_str() {
        "summed" => TunnelOutputs::Summed,
        "each" => TunnelOutputs::Each,
        other => {
            v.err(
                &raw.span(),
                format!("tunnel_outputs is `{other}`; give \"summed\" (the outputs show a level with tunnels as a whole, the default) or \"each\" (a level per year in it)"),
            );
            TunnelOutputs::Summed
        }
    }
}

/// The `j`-th of the `steps` tunnels of the `k`-th of `years` years of
/// `level`: the year's name alone when the year is one tunnel.
fn tunnel_name(level: &str, (k, years): (usize, usize), (j, steps): (usize, usize)) -> String {
    let plus = if k == years { "+" } else { "" };
    if steps == 1 {
        format!("{level} (year {k}{plus})")
    } else {
        format!("{level} (year {k}{plus}, step {j})")
    }
}

/// Refuses what tunnels do not work with yet: levels with places and
/// feedback from unmet demand, which move people between levels step by
/// step outside the per-step matrix that moves tunnels on; and contracts,
/// whose outcomes name levels one at a time.
pub(super) fn check_supported(v: &mut Validator, file: &crate::scenario::file::ScenarioFile) {
    let Some(raw) = &file.model.tunnels else { return };
    let feedback = (file.services.iter()).any(|s| s.get_ref().while_unmet.is_some());
    if !file.places.is_empty() || feedback || !file.contracts.is_empty() {
        v.err(
            &raw.span(),
            "tunnels do not work with [[places]], a service's while_unmet or [[contracts]] yet (the first two move people between levels outside the per-step matrix that moves tunnels on; a contract's outcomes name one level); remove one or the other",
        );
    }
}
