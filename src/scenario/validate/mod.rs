//! From a parsed `ScenarioFile` to a checked `Model`: every name resolved,
//! every number in range, every problem collected and reported at once.
//! Each part of the file has its own module; `validate` calls them in the
//! file's order, so that problems are reported in that order.

mod budgets;
mod capacity;
mod cells;
mod deals;
mod flows;
mod interventions;
mod life_table;
mod model_table;
mod names;
mod outcomes;
mod places;
mod population;
mod projection;
mod scenarios;
mod services;
mod settings;
mod tunnels;
mod values;
mod within_cycle;

use super::Loaded;
use super::checks::{Lines, Validator};
use super::file::ScenarioFile;
use crate::error::{ErrorSink, InputErrors};
use crate::model::{Model, SourceFile, TransitionMode};
use budgets::budgets_from;
use flows::{FlowPlaces, check_base_flows, entries_from, exits_from, transitions_from};
use interventions::interventions_from;
use model_table::model_table_from;
use names::Names;
use places::places_from;
use population::population_from;
use projection::{align_to_start, alignment_warning, projection_from};
use scenarios::scenarios_from;
use services::services_from;
use settings::{maturity_from, monte_carlo_from};
use std::path::Path;

pub(crate) fn validate(file: ScenarioFile, path: &Path, text: &str, own_sha: String) -> Result<Loaded, InputErrors> {
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
    let m = &file.model;
    let table = model_table_from(&mut v, m);
    let (bands, life_table) = life_table::bands_of(&mut v, &file, table.steps_per_year);
    let names = Names {
        levels: table.levels.clone(),
        bands: bands.iter().map(|b| b.name.clone()).collect(),
        tunnels: table.tunnels.clone(),
    };
    let mut population = vec![0.0; bands.len() * table.levels.len()];
    population_from(&mut v, &file, &names, &mut population);
    let transitions = transitions_from(&mut v, &file, &names);
    let mut exits = exits_from(&mut v, &file, &names);
    if let Some(t) = &life_table {
        t.add_exits(&mut v, &file, &names, &mut exits.probabilities);
    }
    let entries = entries_from(&mut v, file.entries.as_ref(), &names);
    let projection = file
        .projection_csv
        .as_ref()
        .and_then(|csv| projection_from(&mut v, csv, &names));
    let mut funders: Vec<String> = Vec::new();
    let services = services_from(&mut v, &file.services, &names, &mut funders);
    let places = places_from(&mut v, &file.places, &names, &services);
    tunnels::check_supported(&mut v, &file);
    // The levels given places, whether or not their figures were valid (an
    // intervention adding to one is checked against the level named).
    let limited: Vec<usize> = (file.places.iter())
        .filter_map(|p| names.level(p.get_ref().level.get_ref()).ok())
        .collect();
    let interventions = interventions_from(&mut v, &file, &names, &services, &limited, &bands, &mut funders);
    let budgets = budgets_from(&mut v, &file.budgets, &funders);
    let deals = deals::deals_from(
        &mut v,
        &file.contracts,
        &file.pooled_budgets,
        &deals::Parts {
            names: &names,
            services: &services,
            interventions: &interventions.interventions,
            funders: &funders,
            start_year: table.start_year,
            end_year: table.start_year + table.horizon_years as i32 - 1,
        },
    );

    let (occupancy, point_weights) = within_cycle::occupancy_from(&mut v, m, &table);
    let outcomes = outcomes::outcomes_from(&mut v, &file, &names, &bands, table.discount_rate);
    let mut model = Model {
        name: m.name.clone(),
        start_year: table.start_year,
        horizon_years: table.horizon_years,
        steps_per_year: table.steps_per_year,
        currency: m.currency.clone().unwrap_or_else(|| "GBP".into()),
        price_base_year: table.price_base_year,
        discount_rate: table.discount_rate,
        discount_timing: within_cycle::discount_timing_from(&mut v, &file),
        occupancy,
        point_weights,
        transition_mode: m.transition_mode.unwrap_or(TransitionMode::Rates),
        transitions_given_survival: given_survival(&mut v, m),
        output_levels: crate::model::OutputLevel::of(&table.levels, &table.tunnels, table.tunnel_outputs),
        levels: table.levels,
        bands,
        population,
        transitions: transitions.probabilities,
        exits: exits.probabilities,
        entries,
        projection,
        funders,
        services,
        interventions: interventions.interventions,
        budgets,
        places,
        domains: interventions.domains,
        evidence_scale: std::sync::Arc::new(interventions.evidence_scale),
        areas: Vec::new(),
        area_scales: Vec::new(),
        scenarios: Vec::new(),
        uncertain: std::mem::take(&mut v.uncertain),
        monte_carlo: monte_carlo_from(&mut v, file.monte_carlo.as_ref()),
        deals,
        outcomes,
        tunnels: table.tunnels,
    };
    let mut sources = std::mem::take(&mut v.sources);
    let mut maturity = None;
    if let Some(raw) = &file.maturity {
        maturity = maturity_from(&mut v, raw);
        sources.extend(std::mem::take(&mut v.sources));
        if let Some(link) = &maturity
            && let Some((factor, _)) = link.fidelity
        {
            for iv in &mut model.interventions {
                iv.maturity_factor = factor;
            }
        }
    }
    let earlier_problems = !v.errors.is_empty();
    // Whole-model checks that need everything resolved.
    let places = FlowPlaces {
        transitions: transitions.places,
        exits: exits.places,
    };
    let base_flows_ok = check_base_flows(&mut v, &model, &places, earlier_problems);
    model.scenarios = scenarios_from(&mut v, &file, &model, earlier_problems, base_flows_ok);
    if let Some(areas) = &file.areas
        && v.errors.is_empty()
    {
        model.areas = super::areas::areas_from(&mut v, areas, &model);
        sources.extend(std::mem::take(&mut v.sources));
        // The model's people are its areas' people, summed.
        let nl = model.levels.len();
        model.population = vec![0.0; model.bands.len() * nl];
        for a in &model.areas {
            for (p, x) in model.population.iter_mut().zip(&a.model.population) {
                *p += x;
            }
        }
    }
    let mut warnings = interventions.warnings;
    if v.errors.is_empty() {
        align_projections(&mut model, &file, path, &mut warnings);
    }
    v.errors.finish(Loaded {
        model,
        sources,
        warnings,
        assumptions: super::assumptions::read(text),
        maturity,
    })
}

/// The start and the projection made to agree, in the model and in every
/// area (see `align_to_start`), with a warning where they differed by much.
fn align_projections(
    model: &mut Model,
    file: &ScenarioFile,
    path: &Path,
    warnings: &mut Vec<crate::error::InputError>,
) {
    let dir = path.parent().unwrap_or(Path::new(""));
    if let Some(csv) = &file.projection_csv {
        let changed = align_to_start(model);
        warnings.extend(alignment_warning(&dir.join(csv.get_ref()), "", &changed));
    }
    let area_csv = file.areas.as_ref().and_then(|a| a.get_ref().projection_csv.as_ref());
    if let Some(csv) = area_csv {
        for area in &mut model.areas {
            let changed = align_to_start(&mut area.model);
            let label = format!("area `{}`: ", area.code);
            warnings.extend(alignment_warning(&dir.join(csv.get_ref()), &label, &changed));
            for s in &mut area.model.scenarios {
                s.model.projection.clone_from(&area.model.projection);
            }
        }
    }
    for s in &mut model.scenarios {
        s.model.projection.clone_from(&model.projection);
    }
}

/// `[model] transitions_given_survival`: only with the one-year matrix.
fn given_survival(v: &mut Validator, m: &crate::scenario::file::RawModel) -> bool {
    let Some(given) = &m.transitions_given_survival else {
        return false;
    };
    if *given.get_ref() && m.transition_mode != Some(TransitionMode::AnnualMatrix) {
        v.err(
            &given.span(),
            "transitions_given_survival = true reads the one-year matrix's moves as probabilities among those who do not exit; it needs transition_mode = \"annual_matrix\" (in `rates` mode every move and exit is already a hazard of its own)",
        );
        return false;
    }
    *given.get_ref()
}
