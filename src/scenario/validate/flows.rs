//! The flows between levels and in and out of the model: `[[transitions]]`
//! and `transitions_csv`, `[[exits]]` and `exits_csv`, `[entries]`; and the
//! check, once the model is whole, that no level's outflows overflow.

use super::cells::{band_levels_year, cell_number, cell_value, cell_year, lookup, row_location};
use super::names::{Names, at_year, band_list};
use super::values::{SeriesBuilder, by_year_points, shares};
use crate::error::Location;
use crate::model::{Entries, Model, Series, Target};
use crate::scenario::checks::{Validator, flow_problems_at};
use crate::scenario::file::{RawEntries, ScenarioFile};
use crate::uncertainty::Support;
use crate::units::AnnualProbability;
use std::collections::BTreeMap;
use toml::Spanned;

/// Where each of a key's values was given, by year (`None`: every year).
pub(super) type Places<K> = BTreeMap<K, Vec<(Option<i32>, Location)>>;

/// The probabilities of one kind of move (transitions or exits), laid out
/// as `Model` holds them, and where each key's values were given.
pub(super) struct Moves<K> {
    pub(super) probabilities: Vec<Series<AnnualProbability>>,
    pub(super) places: Places<K>,
}

/// Where each transition (band, from, to) and exit (band, level) was
/// given, so that a flow problem can name the line or row to fix.
pub(super) struct FlowPlaces {
    pub(super) transitions: Places<(usize, usize, usize)>,
    pub(super) exits: Places<(usize, usize)>,
}

/// Every band's transition probabilities, laid out as `Model.transitions`,
/// from the file's `[[transitions]]` then its `transitions_csv`.
pub(super) fn transitions_from(v: &mut Validator, file: &ScenarioFile, names: &Names) -> Moves<(usize, usize, usize)> {
    let mut builder = SeriesBuilder::<(usize, usize, usize)>::new();
    transition_lines(v, file, names, &mut builder);
    if let Some(csv) = &file.transitions_csv {
        transition_rows(v, csv, names, &mut builder);
    }
    let (nb, nl) = (names.bands.len(), names.levels.len());
    let zero = Series::constant(AnnualProbability::default());
    let mut transitions = vec![zero; nb * nl * nl];
    let places = builder.places();
    for ((b, f, t), s) in builder.build() {
        transitions[(b * nl + f) * nl + t] = s.map(|p| AnnualProbability::new(p).unwrap_or_default());
    }
    Moves {
        probabilities: transitions,
        places,
    }
}

/// `[[transitions]]`.
fn transition_lines(
    v: &mut Validator,
    file: &ScenarioFile,
    names: &Names,
    builder: &mut SeriesBuilder<(usize, usize, usize)>,
) {
    for t in &file.transitions {
        let raw = t.get_ref();
        let loc = v.loc(&t.span());
        let froms = match &raw.years_in_level {
            None => names.level_all(&raw.from).map(|ls| (ls, raw.from.clone())),
            Some(y) => names.tunnel_year(&raw.from, *y.get_ref()),
        };
        let resolved = (names.bands_or_all(&raw.bands), froms, names.level(&raw.to));
        let (bs, (froms, from_name), to) = match resolved {
            (Ok(b), Ok(f), Ok(to)) => (b, f, to),
            (b, f, to) => {
                for e in [b.err(), f.err(), to.err()].into_iter().flatten() {
                    v.errors.at(loc.clone(), e);
                }
                continue;
            }
        };
        if froms.contains(&to) {
            v.errors.at(loc, format!("a transition from `{}` to itself; give only moves between different levels (staying is what is left)", raw.from));
            continue;
        }
        for (year, number) in by_year_points(v, &t.span(), &raw.probability) {
            let point = year.unwrap_or(i32::MIN);
            let targets = bs
                .iter()
                .flat_map(|&band| {
                    froms
                        .iter()
                        .map(move |&from| Target::Transition { band, from, to, point })
                })
                .collect();
            let label = format!(
                "transition.{}.{}.{}{}",
                band_list(names, &bs),
                from_name,
                raw.to,
                at_year(year)
            );
            let what = format!("the probability of `{}` → `{}`", raw.from, raw.to);
            let Some(p) = v.resolve(number, loc.clone(), Support::Probability, &what, label, targets) else {
                continue;
            };
            for &b in &bs {
                for &from in &froms {
                    let what = format!(
                        "transition `{}` → `{}` in band `{}`",
                        names.display(from),
                        raw.to,
                        names.bands[b]
                    );
                    builder.add(&mut v.errors, (b, from, to), year, p, loc.clone(), &what);
                }
            }
        }
    }
}

/// `transitions_csv`: band,from,to,probability[,year][,rel_sd].
fn transition_rows(
    v: &mut Validator,
    csv: &Spanned<String>,
    names: &Names,
    builder: &mut SeriesBuilder<(usize, usize, usize)>,
) {
    let optional = ["year", "rel_sd", "years_in_level"];
    let Some(table) = v.table(csv, &["band", "from", "to", "probability"], &optional) else {
        return;
    };
    for row in &table.rows {
        // `*`: every band.
        let bs = match table.text(row, "band") {
            "*" => Some((0..names.bands.len()).collect::<Vec<_>>()),
            _ => lookup(v, &table, row, "band", |n| names.band(n)).map(|b| vec![b]),
        };
        let froms = from_levels(v, &table, row, names);
        let to = lookup(v, &table, row, "to", |n| names.level(n));
        let year = cell_year(v, &table, row);
        let (Some(bs), Some(froms), Some(to), Ok(year)) = (bs, froms, to, year) else {
            continue;
        };
        if froms.contains(&to) {
            v.errors.at(
                table.location(row, "to"),
                "a transition from a level to itself; give only moves between different levels",
            );
            continue;
        }
        let point = year.unwrap_or(i32::MIN);
        let targets = (bs.iter())
            .flat_map(|&band| {
                froms
                    .iter()
                    .map(move |&from| Target::Transition { band, from, to, point })
            })
            .collect();
        let from_name = match froms[..] {
            [f] => names.display(f),
            // One year's step tunnels: the year's name.
            [f, ..] if names.display(f) == names.display(froms[froms.len() - 1]) => names.display(f),
            _ => table.text(row, "from").to_string(),
        };
        let label = format!(
            "transition.{}.{}.{}{}",
            band_list(names, &bs),
            from_name,
            names.display(to),
            at_year(year)
        );
        let Some(p) = cell_value(
            v,
            &table,
            row,
            "probability",
            Support::Probability,
            "the probability",
            label,
            targets,
        ) else {
            continue;
        };
        for (&b, &f) in bs.iter().flat_map(|b| froms.iter().map(move |f| (b, f))) {
            let what = format!(
                "transition `{}` → `{}` in band `{}`",
                names.display(f),
                names.display(to),
                names.bands[b]
            );
            builder.add(&mut v.errors, (b, f, to), year, p, row_location(&table, row), &what);
        }
    }
}

/// A row's `from`: the level (every tunnel of a level with tunnels), or
/// with a `years_in_level` cell the tunnel of that year; `None` with the
/// problem recorded.
fn from_levels(
    v: &mut Validator,
    table: &crate::scenario::tables::Table,
    row: &crate::scenario::tables::TableRow,
    names: &Names,
) -> Option<Vec<usize>> {
    let from = table.text(row, "from");
    let years = table.has_column("years_in_level") && !table.text(row, "years_in_level").trim().is_empty();
    if !years {
        return (names.level_all(from))
            .map_err(|e| v.errors.at(table.location(row, "from"), e))
            .ok();
    }
    let y = cell_number(v, table, row, "years_in_level")?;
    let whole = if y.fract() == 0.0 && y.abs() < 1e9 {
        y as i64
    } else {
        -1
    };
    (names.tunnel_year(from, whole))
        .map(|(ls, _)| ls)
        .map_err(|e| v.errors.at(table.location(row, "years_in_level"), e))
        .ok()
}

/// Every band's exit probabilities, laid out as `Model.exits`, from the
/// file's `[[exits]]` then its `exits_csv`.
pub(super) fn exits_from(v: &mut Validator, file: &ScenarioFile, names: &Names) -> Moves<(usize, usize)> {
    let mut builder = SeriesBuilder::<(usize, usize)>::new();
    exit_lines(v, file, names, &mut builder);
    if let Some(csv) = &file.exits_csv {
        exit_rows(v, csv, names, &mut builder);
    }
    let (nb, nl) = (names.bands.len(), names.levels.len());
    let zero = Series::constant(AnnualProbability::default());
    let mut exits = vec![zero; nb * nl];
    let places = builder.places();
    for ((b, l), s) in builder.build() {
        exits[b * nl + l] = s.map(|p| AnnualProbability::new(p).unwrap_or_default());
    }
    Moves {
        probabilities: exits,
        places,
    }
}

/// `[[exits]]`.
fn exit_lines(v: &mut Validator, file: &ScenarioFile, names: &Names, builder: &mut SeriesBuilder<(usize, usize)>) {
    let nl = names.levels.len();
    for e in &file.exits {
        let raw = e.get_ref();
        let loc = v.loc(&e.span());
        let (bs, ls) = match (names.bands_or_all(&raw.bands), names.levels_or_all(&raw.levels)) {
            (Ok(b), Ok(l)) => (b, l),
            (b, l) => {
                for m in [b.err(), l.err()].into_iter().flatten() {
                    v.errors.at(loc.clone(), m);
                }
                continue;
            }
        };
        for (year, number) in by_year_points(v, &e.span(), &raw.probability) {
            let point = year.unwrap_or(i32::MIN);
            let targets = bs
                .iter()
                .flat_map(|&band| ls.iter().map(move |&level| Target::Exit { band, level, point }))
                .collect();
            let levels: Vec<usize> = ls.clone();
            let level_label = if levels.len() == nl && nl > 1 {
                "*".to_string()
            } else {
                // A year's step tunnels under its name, once.
                let mut shown: Vec<String> = levels.iter().map(|&l| names.display(l)).collect();
                shown.dedup();
                shown.join("+")
            };
            let label = format!("exit.{}.{level_label}{}", band_list(names, &bs), at_year(year));
            let Some(p) = v.resolve(
                number,
                loc.clone(),
                Support::Probability,
                "the exit probability",
                label,
                targets,
            ) else {
                continue;
            };
            for &b in &bs {
                for &l in &ls {
                    let what = format!(
                        "the exit probability of `{}` in band `{}`",
                        names.display(l),
                        names.bands[b]
                    );
                    builder.add(&mut v.errors, (b, l), year, p, loc.clone(), &what);
                }
            }
        }
    }
}

/// `exits_csv`: band,level,probability[,year][,rel_sd].
fn exit_rows(v: &mut Validator, csv: &Spanned<String>, names: &Names, builder: &mut SeriesBuilder<(usize, usize)>) {
    let Some(table) = v.table(csv, &["band", "level", "probability"], &["year", "rel_sd"]) else {
        return;
    };
    for row in &table.rows {
        let Some((b, ls, year)) = band_levels_year(v, names, &table, row) else {
            continue;
        };
        let point = year.unwrap_or(i32::MIN);
        let targets = (ls.iter())
            .map(|&level| Target::Exit { band: b, level, point })
            .collect();
        let label = format!("exit.{}.{}{}", names.bands[b], table.text(row, "level"), at_year(year));
        let what = "the exit probability";
        let Some(p) = cell_value(
            v,
            &table,
            row,
            "probability",
            Support::Probability,
            what,
            label,
            targets,
        ) else {
            continue;
        };
        for &l in &ls {
            let what = format!(
                "the exit probability of `{}` in band `{}`",
                names.display(l),
                names.bands[b]
            );
            builder.add(&mut v.errors, (b, l), year, p, row_location(&table, row), &what);
        }
    }
}

/// `[entries]`: people entering the first band each year, and their mix
/// of levels; `None` when there are none or they are at fault.
pub(super) fn entries_from(v: &mut Validator, raw: Option<&Spanned<RawEntries>>, names: &Names) -> Option<Entries> {
    let e = raw?;
    let raw = e.get_ref();
    let mut points = Vec::new();
    let loc = v.loc(&e.span());
    for (year, number) in by_year_points(v, &e.span(), &raw.people) {
        let point = year.unwrap_or(i32::MIN);
        let label = format!("entries.people{}", at_year(year));
        let targets = vec![Target::EntriesPeople { point }];
        if let Some(people) = v.resolve(
            number,
            loc.clone(),
            Support::NonNegative,
            "entries.people",
            label,
            targets,
        ) {
            points.push((point, people));
        }
    }
    let mix = shares(v, names, &raw.mix, &e.span(), "entries.mix", "entries.mix", |level| {
        Target::EntryShare { level }
    })?;
    (!points.is_empty()).then(|| Entries {
        people: if points.len() == 1 && points[0].0 == i32::MIN {
            Series::constant(points[0].1)
        } else {
            Series::by_year(points)
        },
        mix,
    })
}

/// Checks that no level's outflows in `model` overflow, unless earlier
/// sections had problems (the figures may then be stand-ins); each problem
/// is reported at the line or row that gave the value at fault, where one
/// did. Whether the flows are sound.
pub(super) fn check_base_flows(v: &mut Validator, model: &Model, places: &FlowPlaces, earlier_problems: bool) -> bool {
    let file_loc = Location::File(v.path.to_path_buf());
    let base_problems = if earlier_problems {
        vec![]
    } else {
        flow_problems_at(model, &[])
    };
    let base_flows_ok = base_problems.is_empty();
    for (site, problem) in base_problems {
        // The row or line that gave the value at fault, where one did.
        let places = match site.to {
            Some(to) => places.transitions.get(&(site.band, site.from, to)),
            None => places.exits.get(&(site.band, site.from)),
        };
        let place = places.and_then(|points| {
            points
                .iter()
                .filter(|(y, _)| y.is_none_or(|y| y <= site.year))
                .max_by_key(|(y, _)| *y)
                .or(points.first())
                .map(|(_, l)| l.clone())
        });
        v.errors.at(place.unwrap_or_else(|| file_loc.clone()), problem);
    }
    base_flows_ok
}
