//! `[[population]]` and `population_csv`: the baseline people by band and
//! level.

use super::cells::{cell_value, lookup, row_location};
use super::names::Names;
use super::values::shares;
use crate::error::Location;
use crate::model::Target;
use crate::scenario::checks::Validator;
use crate::scenario::file::ScenarioFile;
use crate::uncertainty::Support;
use std::collections::BTreeMap;

pub(super) fn population_from(v: &mut Validator, file: &ScenarioFile, names: &Names, population: &mut [f64]) {
    if let Some(areas) = &file.areas {
        if !file.population.is_empty() || file.population_csv.is_some() {
            v.err(
                &areas.span(),
                "with [areas], each area's people are in [areas] population_csv; remove [[population]] / population_csv",
            );
        }
        return;
    }
    let nl = names.levels.len();
    let mut given = vec![false; names.bands.len()];
    if !file.population.is_empty() && file.population_csv.is_some() {
        v.errors.at(
            Location::File(v.path.to_path_buf()),
            "the population is given both inline ([[population]]) and as population_csv; give one of them",
        );
        return;
    }
    for p in &file.population {
        let raw = p.get_ref();
        let b = match names.band(&raw.band) {
            Ok(b) => b,
            Err(e) => {
                v.err(&p.span(), e);
                continue;
            }
        };
        if given[b] {
            v.err(
                &p.span(),
                format!("the population of band `{}` is given twice", raw.band),
            );
            continue;
        }
        given[b] = true;
        match (&raw.people, &raw.mix, &raw.counts) {
            (Some(people), Some(mix), None) => {
                let loc = v.loc(&people.span());
                let what = format!("the population of band `{}`", raw.band);
                let label = format!("population.{}.people", raw.band);
                let targets = vec![Target::BandPeople { band: b }];
                let Some(people) = v.resolve(people.get_ref(), loc, Support::NonNegative, &what, label, targets) else {
                    continue;
                };
                let what = format!("the mix of band `{}`", raw.band);
                let label = format!("population.{}.mix", raw.band);
                let target = |level| Target::BandLevel { band: b, level };
                if let Some(shares) = shares(v, names, mix, &p.span(), &what, &label, target) {
                    for (l, s) in shares.iter().enumerate() {
                        population[b * nl + l] = people * s;
                    }
                }
            }
            (None, None, Some(counts)) => {
                for (level, count) in counts {
                    match names.level(level) {
                        Err(e) => v.err(&count.span(), e),
                        Ok(l) => {
                            let loc = v.loc(&count.span());
                            let what = format!("the number of `{level}` people in band `{}`", raw.band);
                            let label = format!("population.{}.counts.{level}", raw.band);
                            let targets = vec![Target::BandLevel { band: b, level: l }];
                            if let Some(n) =
                                v.resolve(count.get_ref(), loc, Support::NonNegative, &what, label, targets)
                            {
                                population[b * nl + l] = n;
                            }
                        }
                    }
                }
            }
            _ => v.err(
                &p.span(),
                format!(
                    "the population of band `{}` needs either `people` and `mix`, or `counts`",
                    raw.band
                ),
            ),
        }
    }
    if let Some(csv) = &file.population_csv {
        let Some(table) = v.table(csv, &["band", "level", "people"], &["rel_sd"]) else {
            return;
        };
        let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        for row in &table.rows {
            let b = lookup(v, &table, row, "band", |n| names.band(n));
            let l = lookup(v, &table, row, "level", |n| names.level(n));
            let (Some(b), Some(l)) = (b, l) else {
                continue;
            };
            let label = format!("population.{}.counts.{}", names.bands[b], names.display(l));
            let targets = vec![Target::BandLevel { band: b, level: l }];
            let what = "the number of people";
            let Some(n) = cell_value(v, &table, row, "people", Support::NonNegative, what, label, targets) else {
                continue;
            };
            if let Some(first) = seen.insert((b, l), row.line) {
                v.errors.at(
                    row_location(&table, row),
                    format!(
                        "band `{}`, level `{}` is given twice (first at line {first})",
                        names.bands[b],
                        names.display(l)
                    ),
                );
            }
            given[b] = true;
            population[b * nl + l] = n;
        }
    }
    if !v.errors.is_empty() {
        return;
    }
    // A life table's bands are its ages: those not given start empty.
    for (b, name) in names.bands.iter().enumerate() {
        if !given[b] && file.life_table.is_none() {
            v.errors.at(
                Location::File(v.path.to_path_buf()),
                format!("no baseline population is given for band `{name}`; every band needs one (give 0 people if it starts empty)"),
            );
        }
    }
    if population.iter().all(|&p| p == 0.0) && file.entries.is_none() {
        v.errors.at(
            Location::File(v.path.to_path_buf()),
            "the population is empty and there are no [entries]; the model would have no one in it",
        );
    }
}
