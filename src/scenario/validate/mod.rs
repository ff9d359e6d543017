//! From a parsed `ScenarioFile` to a checked `Model`: every name resolved,
//! every number in range, every problem collected and reported at once.

mod cells;
mod interventions;
mod names;
mod population;
mod projection;
mod services;
mod settings;
mod values;

use super::checks::*;
use super::file::*;
use super::overrides;
use crate::error::{ErrorSink, InputErrors, Location};
use crate::model::*;
use crate::uncertainty::Support;
use crate::units::AnnualProbability;
use cells::{cell_value, cell_year, lookup, row_location};
use interventions::{InterventionContext, intervention_from};
use names::{Names, at_year, band_list, check_names, list};
use population::population_from;
use projection::projection_from;
use services::service_use;
use settings::{domains_from, evidence_scale_from, maturity_from, monte_carlo_from};
use std::path::Path;
use values::{SeriesBuilder, by_year_points, shares, to_year};

pub(crate) fn validate(file: ScenarioFile, path: &Path, text: &str, own_sha: String) -> Result<Model, InputErrors> {
    let mut v = Validator {
        path,
        dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        lines: Lines::new(text),
        errors: ErrorSink::default(),
        sources: vec![SourceFile {
            path: path.to_path_buf(),
            sha256: own_sha,
        }],
        uncertain: Vec::new(),
    };

    // ---- [model]
    let m = &file.model;
    let start_year = to_year(&mut v, &m.start_year, "start_year");
    let horizon_years = match *m.horizon_years.get_ref() {
        h @ 1..=200 => h as u32,
        h => {
            v.err(
                &m.horizon_years.span(),
                format!("horizon_years is {h}; give a whole number of years from 1 to 200"),
            );
            1
        }
    };
    let steps_per_year = match m.steps_per_year.as_ref().map(|s| (*s.get_ref(), s.span())) {
        None => 1,
        Some((s @ (1 | 4 | 12 | 52), _)) => s as u32,
        Some((s, span)) => {
            v.err(&span, format!("steps_per_year is {s}; it must be 1, 4, 12 or 52"));
            1
        }
    };
    let price_base_year = m
        .price_base_year
        .as_ref()
        .map_or(start_year, |y| to_year(&mut v, y, "price_base_year"));
    let discount_rate = match &m.discount_rate {
        None => 0.035,
        Some(r) => {
            let loc = v.loc(&r.span());
            let label = "discount_rate".to_string();
            v.resolve(
                r.get_ref(),
                loc,
                Support::Rate,
                "discount_rate",
                label,
                vec![Target::DiscountRate],
            )
            .unwrap_or(0.035)
        }
    };
    if m.name.chars().any(char::is_control) {
        v.errors.at(
            Location::File(path.to_path_buf()),
            format!(
                "[model] name `{}` has a control character (such as a tab, newline or escape); it is shown in the terminal, charts and report: use plain text",
                m.name.escape_debug()
            ),
        );
    }
    let level_names: Vec<String> = m.levels.get_ref().iter().map(|l| l.get_ref().clone()).collect();
    if level_names.is_empty() {
        v.err(
            &m.levels.span(),
            "levels is empty; give the need levels in order, least need first",
        );
    }
    check_names(
        &mut v,
        "level",
        m.levels.get_ref().iter().map(|l| (l.get_ref().as_str(), l.span())),
    );
    if let Some(l) = m.levels.get_ref().iter().find(|l| l.get_ref() == "exit") {
        v.err(
            &l.span(),
            "`exit` is reserved for the exit sink; name the level something else",
        );
    }

    // ---- bands
    if file.bands.is_empty() {
        v.errors.at(
            Location::File(path.to_path_buf()),
            "no [[bands]] are given; add at least one age band",
        );
    }
    check_names(
        &mut v,
        "band",
        file.bands.iter().map(|b| (b.get_ref().name.as_str(), b.span())),
    );
    let dt = 1.0 / f64::from(steps_per_year);
    let mut bands = Vec::new();
    for (i, b) in file.bands.iter().enumerate() {
        let raw = b.get_ref();
        let last = i + 1 == file.bands.len();
        if !raw.lower.is_finite() {
            v.err(
                &b.span(),
                format!("band `{}` has lower age {}; give a finite age", raw.name, raw.lower),
            );
        }
        match raw.upper {
            None if !last => v.err(&b.span(), format!("band `{}` has no upper age; only the last band may be open-ended", raw.name)),
            Some(u) if !(u.is_finite() && u > raw.lower) => {
                v.err(&b.span(), format!("band `{}` has upper age {u} not above its lower age {}", raw.name, raw.lower))
            }
            Some(u) if u - raw.lower < dt - 1e-12 => v.err(
                &b.span(),
                format!(
                    "band `{}` is {} years wide, narrower than one step ({dt} years); use more steps_per_year or a wider band",
                    raw.name,
                    u - raw.lower
                ),
            ),
            _ => {}
        }
        if let Some(prev) = file.bands.get(i.wrapping_sub(1)).map(|p| p.get_ref())
            && let Some(pu) = prev.upper
            && (pu - raw.lower).abs() > 1e-9
        {
            v.err(
                &b.span(),
                format!(
                    "band `{}` starts at age {} but the band before it ends at {pu}; bands must be contiguous",
                    raw.name, raw.lower
                ),
            );
        }
        bands.push(AgeBand {
            name: raw.name.clone(),
            lower: raw.lower,
            upper: raw.upper,
        });
    }
    let names = Names {
        levels: level_names.clone(),
        bands: bands.iter().map(|b| b.name.clone()).collect(),
    };
    let nl = level_names.len();
    let nb = bands.len();

    // ---- population
    let mut population = vec![0.0; nb * nl];
    population_from(&mut v, &file, &names, &mut population);

    // ---- transitions
    let mut transitions_b = SeriesBuilder::<(usize, usize, usize)>::new();
    for t in &file.transitions {
        let raw = t.get_ref();
        let loc = v.loc(&t.span());
        let resolved = (
            names.bands_or_all(&raw.bands),
            names.level(&raw.from),
            names.level(&raw.to),
        );
        let (bs, from, to) = match resolved {
            (Ok(b), Ok(f), Ok(to)) => (b, f, to),
            (b, f, to) => {
                for e in [b.err(), f.err(), to.err()].into_iter().flatten() {
                    v.errors.at(loc.clone(), e);
                }
                continue;
            }
        };
        if from == to {
            v.errors.at(loc, format!("a transition from `{}` to itself; give only moves between different levels (staying is what is left)", raw.from));
            continue;
        }
        for (year, number) in by_year_points(&mut v, &t.span(), &raw.probability) {
            let point = year.unwrap_or(i32::MIN);
            let targets = bs
                .iter()
                .map(|&band| Target::Transition { band, from, to, point })
                .collect();
            let label = format!(
                "transition.{}.{}.{}{}",
                band_list(&names, &bs),
                raw.from,
                raw.to,
                at_year(year)
            );
            let what = format!("the probability of `{}` → `{}`", raw.from, raw.to);
            let Some(p) = v.resolve(number, loc.clone(), Support::Probability, &what, label, targets) else {
                continue;
            };
            for &b in &bs {
                let what = format!("transition `{}` → `{}` in band `{}`", raw.from, raw.to, names.bands[b]);
                transitions_b.add(&mut v.errors, (b, from, to), year, p, loc.clone(), &what);
            }
        }
    }
    if let Some(csv) = &file.transitions_csv
        && let Some(table) = v.table(csv, &["band", "from", "to", "probability"], &["year", "rel_sd"])
    {
        for row in &table.rows {
            let b = lookup(&mut v, &table, row, "band", |n| names.band(n));
            let f = lookup(&mut v, &table, row, "from", |n| names.level(n));
            let to = lookup(&mut v, &table, row, "to", |n| names.level(n));
            let year = cell_year(&mut v, &table, row);
            let (Some(b), Some(f), Some(to), Ok(year)) = (b, f, to, year) else {
                continue;
            };
            if f == to {
                v.errors.at(
                    table.location(row, "to"),
                    "a transition from a level to itself; give only moves between different levels",
                );
                continue;
            }
            let point = year.unwrap_or(i32::MIN);
            let targets = vec![Target::Transition {
                band: b,
                from: f,
                to,
                point,
            }];
            let label = format!(
                "transition.{}.{}.{}{}",
                names.bands[b],
                names.levels[f],
                names.levels[to],
                at_year(year)
            );
            let Some(p) = cell_value(
                &mut v,
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
            let what = format!(
                "transition `{}` → `{}` in band `{}`",
                names.levels[f], names.levels[to], names.bands[b]
            );
            transitions_b.add(&mut v.errors, (b, f, to), year, p, row_location(&table, row), &what);
        }
    }
    let zero = Series::constant(AnnualProbability::default());
    let mut transitions = vec![zero.clone(); nb * nl * nl];
    let transition_places = transitions_b.places();
    for ((b, f, t), s) in transitions_b.build() {
        transitions[(b * nl + f) * nl + t] = s.map(|p| AnnualProbability::new(p).unwrap_or_default());
    }

    // ---- exits
    let mut exits_b = SeriesBuilder::<(usize, usize)>::new();
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
        for (year, number) in by_year_points(&mut v, &e.span(), &raw.probability) {
            let point = year.unwrap_or(i32::MIN);
            let targets = bs
                .iter()
                .flat_map(|&band| ls.iter().map(move |&level| Target::Exit { band, level, point }))
                .collect();
            let levels: Vec<usize> = ls.clone();
            let level_label = if levels.len() == nl && nl > 1 {
                "*".to_string()
            } else {
                levels
                    .iter()
                    .map(|&l| names.levels[l].as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            };
            let label = format!("exit.{}.{level_label}{}", band_list(&names, &bs), at_year(year));
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
                        names.levels[l], names.bands[b]
                    );
                    exits_b.add(&mut v.errors, (b, l), year, p, loc.clone(), &what);
                }
            }
        }
    }
    if let Some(csv) = &file.exits_csv
        && let Some(table) = v.table(csv, &["band", "level", "probability"], &["year", "rel_sd"])
    {
        for row in &table.rows {
            let b = lookup(&mut v, &table, row, "band", |n| names.band(n));
            let l = lookup(&mut v, &table, row, "level", |n| names.level(n));
            let year = cell_year(&mut v, &table, row);
            let (Some(b), Some(l), Ok(year)) = (b, l, year) else {
                continue;
            };
            let point = year.unwrap_or(i32::MIN);
            let targets = vec![Target::Exit {
                band: b,
                level: l,
                point,
            }];
            let label = format!("exit.{}.{}{}", names.bands[b], names.levels[l], at_year(year));
            let what = "the exit probability";
            let Some(p) = cell_value(
                &mut v,
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
            let what = format!(
                "the exit probability of `{}` in band `{}`",
                names.levels[l], names.bands[b]
            );
            exits_b.add(&mut v.errors, (b, l), year, p, row_location(&table, row), &what);
        }
    }
    let mut exits = vec![zero; nb * nl];
    let exit_places = exits_b.places();
    for ((b, l), s) in exits_b.build() {
        exits[b * nl + l] = s.map(|p| AnnualProbability::new(p).unwrap_or_default());
    }

    // ---- entries
    let entries = file.entries.as_ref().and_then(|e| {
        let raw = e.get_ref();
        let mut points = Vec::new();
        let loc = v.loc(&e.span());
        for (year, number) in by_year_points(&mut v, &e.span(), &raw.people) {
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
        let mix = shares(
            &mut v,
            &names,
            &raw.mix,
            &e.span(),
            "entries.mix",
            "entries.mix",
            |level| Target::EntryShare { level },
        )?;
        (!points.is_empty()).then(|| Entries {
            people: if points.len() == 1 && points[0].0 == i32::MIN {
                Series::constant(points[0].1)
            } else {
                Series::by_year(points)
            },
            mix,
        })
    });

    // ---- projection
    let projection = file
        .projection_csv
        .as_ref()
        .and_then(|csv| projection_from(&mut v, csv, &names));

    // ---- services
    check_names(
        &mut v,
        "service",
        file.services.iter().map(|s| (s.get_ref().name.as_str(), s.span())),
    );
    let mut funders: Vec<String> = Vec::new();
    let mut funder_index = |name: &str| match funders.iter().position(|f| f == name) {
        Some(i) => i,
        None => {
            funders.push(name.to_string());
            funders.len() - 1
        }
    };
    let mut services = Vec::new();
    for s in &file.services {
        let raw = s.get_ref();
        let service = services.len();
        let loc = v.loc(&raw.unit_cost.span());
        let what = format!("the unit cost of `{}`", raw.name);
        let label = format!("service.{}.unit_cost", raw.name);
        let targets = vec![Target::UnitCost { service }];
        let unit_cost = v
            .resolve(
                raw.unit_cost.get_ref(),
                loc,
                Support::NonNegative,
                &what,
                label,
                targets,
            )
            .unwrap_or(0.0);
        let use_rate = service_use(&mut v, &names, s, service);
        services.push(Service {
            name: raw.name.clone(),
            tier: raw.tier,
            funder: funder_index(&raw.funder),
            unit_cost,
            use_rate,
        });
    }

    // ---- interventions
    check_names(
        &mut v,
        "intervention",
        file.interventions.iter().map(|i| (i.get_ref().name.as_str(), i.span())),
    );
    let service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let evidence_scale = evidence_scale_from(&mut v, m.evidence_scale.as_ref());
    let domains = domains_from(&mut v, m.domains.as_ref());
    let mut warnings = Vec::new();
    let mut interventions = Vec::new();
    for i in &file.interventions {
        let index = interventions.len();
        let context = InterventionContext {
            names: &names,
            services: &service_names,
            scale: &evidence_scale,
            domains: &domains,
            bands: &bands,
        };
        if let Some(iv) = intervention_from(&mut v, &context, i, index, &mut funder_index, &mut warnings) {
            interventions.push(iv);
        }
    }

    let mut model = Model {
        name: m.name.clone(),
        start_year,
        horizon_years,
        steps_per_year,
        currency: m.currency.clone().unwrap_or_else(|| "GBP".into()),
        price_base_year,
        discount_rate,
        discount_timing: m.discount_timing.unwrap_or(DiscountTiming::End),
        occupancy: m.occupancy.unwrap_or(Occupancy::HalfCycle),
        transition_mode: m.transition_mode.unwrap_or(TransitionMode::Rates),
        levels: level_names,
        bands,
        population,
        transitions,
        exits,
        entries,
        projection,
        funders,
        services,
        interventions,
        domains,
        evidence_scale: std::sync::Arc::new(evidence_scale),
        areas: Vec::new(),
        area_scales: Vec::new(),
        maturity: None,
        warnings,
        scenarios: Vec::new(),
        sources: std::mem::take(&mut v.sources),
        assumptions: std::sync::Arc::new(crate::scenario::assumptions::read(text)),
        uncertain: std::mem::take(&mut v.uncertain),
        monte_carlo: monte_carlo_from(&mut v, file.monte_carlo.as_ref()),
    };
    if let Some(raw) = &file.maturity {
        model.maturity = maturity_from(&mut v, raw);
        model.sources.extend(std::mem::take(&mut v.sources));
        if let Some(link) = &model.maturity
            && let Some((factor, _)) = link.fidelity
        {
            for iv in &mut model.interventions {
                iv.maturity_factor = factor;
            }
        }
    }
    let earlier_problems = !v.errors.is_empty();

    // Whole-model checks that need everything resolved.
    let file_loc = Location::File(path.to_path_buf());
    let base_problems = if earlier_problems {
        vec![]
    } else {
        flow_problems_at(&model, &[])
    };
    let base_flows_ok = base_problems.is_empty();
    for (site, problem) in base_problems {
        // The row or line that gave the value at fault, where one did.
        let places = match site.to {
            Some(to) => transition_places.get(&(site.band, site.from, to)),
            None => exit_places.get(&(site.band, site.from)),
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

    // ---- scenarios
    check_names(
        &mut v,
        "scenario",
        file.scenarios.iter().map(|s| (s.get_ref().name.as_str(), s.span())),
    );
    let mut scenarios = Vec::new();
    for s in &file.scenarios {
        let raw = s.get_ref();
        if raw.name == BASELINE {
            v.err(
                &s.span(),
                format!("`{BASELINE}` is the implicit baseline; give this scenario another name"),
            );
            continue;
        }
        let mut chosen = Vec::new();
        for name in &raw.interventions {
            match model.intervention_index(name) {
                Some(i) if chosen.contains(&i) => v.err(
                    &s.span(),
                    format!("scenario `{}` lists intervention `{name}` twice", raw.name),
                ),
                Some(i) => chosen.push(i),
                None => {
                    let known: Vec<String> = model.interventions.iter().map(|i| i.name.clone()).collect();
                    v.err(
                        &s.span(),
                        format!(
                            "scenario `{}` lists unknown intervention `{name}`; the interventions are {}",
                            raw.name,
                            list(&known)
                        ),
                    );
                }
            }
        }
        if earlier_problems {
            // Overrides and flows are checked once the model itself is sound.
            continue;
        }
        let mut scenario_model = model.clone();
        let mut written = Vec::new();
        for (key, value) in &raw.overrides {
            written.push((key.clone(), *value.get_ref()));
            if let Err(problem) = overrides::apply(&mut scenario_model, key, *value.get_ref()) {
                v.err(
                    &value.span(),
                    format!("scenario `{}`, override `{key}`: {problem}", raw.name),
                );
            }
        }
        let scenario_problems = if base_flows_ok {
            flow_problems(&scenario_model, &chosen)
        } else {
            vec![]
        };
        for problem in scenario_problems {
            v.err(&s.span(), format!("scenario `{}`: {problem}", raw.name));
        }
        scenarios.push(Scenario {
            name: raw.name.clone(),
            description: raw.description.clone().unwrap_or_default(),
            interventions: chosen,
            model: Box::new(scenario_model),
            overrides: written,
        });
    }
    model.scenarios = scenarios;
    if let Some(areas) = &file.areas
        && v.errors.is_empty()
    {
        model.areas = crate::scenario::areas::areas_from(&mut v, areas, &model);
        model.sources.extend(std::mem::take(&mut v.sources));
        let nl = model.levels.len();
        model.population = vec![0.0; model.bands.len() * nl];
        for a in &model.areas {
            for (p, x) in model.population.iter_mut().zip(&a.model.population) {
                *p += x;
            }
        }
    }
    v.errors.finish(model)
}
