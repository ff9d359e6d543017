//! `[model] tunnels`: a level split into yearly tunnels, so that moves out
//! of it may depend on the years spent in it (README, "Time in a level").
//! Each tunnel is a level of the model, named `LEVEL (year K)`, the last
//! `LEVEL (year N+)`; the file names the level as a whole, or one year of
//! it with `years_in_level`.

use crate::model::Tunnel;
use crate::scenario::checks::Validator;
use crate::scenario::file::RawModel;

/// The most tunnels a level may have.
const MOST: i64 = 100;

/// The model's levels with each level given tunnels replaced, in place, by
/// its tunnels; and the tunnels. One step a year is required: a tunnel is
/// a year.
pub(super) fn tunnels_from(
    v: &mut Validator,
    m: &RawModel,
    levels: Vec<String>,
    steps_per_year: u32,
) -> (Vec<String>, Vec<Tunnel>) {
    let Some(raw) = &m.tunnels else {
        return (levels, Vec::new());
    };
    if steps_per_year != 1 {
        v.err(
            &raw.span(),
            format!("tunnels are yearly: they need steps_per_year = 1 (it is {steps_per_year}); a finer step would move people on to the next tunnel more than once a year"),
        );
        return (levels, Vec::new());
    }
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
    for level in levels {
        match years_of.iter().find(|(n, _)| *n == level) {
            None => expanded.push(level),
            Some((name, years)) => {
                tunnels.push(Tunnel {
                    name: name.clone(),
                    first: expanded.len(),
                    years: *years,
                });
                expanded.extend((1..=*years).map(|k| tunnel_name(name, k, *years)));
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(clash) = expanded.iter().find(|l| !seen.insert(l.as_str())) {
        v.err(
            &raw.span(),
            format!("tunnels: the tunnel level `{clash}` has the name of another level; rename that level"),
        );
    }
    (expanded, tunnels)
}

/// The `k`-th of `years` tunnels of `level`.
pub(crate) fn tunnel_name(level: &str, k: usize, years: usize) -> String {
    if k == years {
        format!("{level} (year {k}+)")
    } else {
        format!("{level} (year {k})")
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
            "tunnels do not work with [[places]], a service's while_unmet or [[contracts]] yet (the first two move people between levels outside the yearly step that moves tunnels on; a contract's outcomes name one level); remove one or the other",
        );
    }
}
