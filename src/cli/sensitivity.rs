//! `upstream sensitivity`: what drives an output.

use super::CliError;
use super::analysis::{shown, stem};
use std::fmt::Write;
use std::path::PathBuf;
use upstream::analysis::{Metric, sensitivity};
use upstream::montecarlo;

/// One-way sensitivity of an output to every uncertain input (each moved
/// to its P10 and P90 with the others at their means), ranked by swing,
/// with a tornado chart; with draws, also the rank correlation of each
/// sampled input with the output. Writes one-way.csv, tornado.png/.svg,
/// rank-correlation.csv/.png/.svg and sensitivity.json; a later
/// `upstream run FILE --report` shows them in its report.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct SensitivityArgs {
    /// The scenario file (TOML).
    scenario_file: PathBuf,
    /// The scenario whose output is analysed (or do-nothing).
    #[arg(long, value_name = "NAME")]
    scenario: String,
    /// With [areas]: the area analysed (its code), a parent's name, or `all` for the whole model [default: all]
    #[arg(long, value_name = "AREA")]
    area: Option<String>,
    /// The output, a summary.csv metric: npv, return_per_pound, break_even_year, spend_acute, … [default: npv]
    #[arg(long, value_name = "METRIC", default_value = "npv")]
    metric: String,
    /// The year of a yearly metric (e.g. spend_acute in 2035).
    #[arg(long, value_name = "Y")]
    year: Option<i32>,
    /// The percentiles each input is moved to.
    #[arg(long, value_name = "LO,HI", default_value = "10,90")]
    range: String,
    /// Monte Carlo draws for rank correlations; 0 for the one-way analysis only [default: the file's [monte_carlo] draws]
    #[arg(long, value_name = "N")]
    draws: Option<u32>,
    /// Seed of the draws [default: the file's [monte_carlo] seed]
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Folder for the results [default: out/<file stem>-sensitivity/<scenario>--<metric>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

fn parse_range(text: &str) -> Result<(f64, f64), CliError> {
    let bad = || {
        CliError::Invalid(format!(
            "--range {text} is not two percentiles LO,HI with 0 < LO < HI < 100 (e.g. 10,90)"
        ))
    };
    let (lo, hi) = text.split_once(',').ok_or_else(bad)?;
    let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
    if !(lo > 0.0 && lo < hi && hi < 100.0) {
        return Err(bad());
    }
    Ok((lo, hi))
}

pub fn run(args: SensitivityArgs) -> Result<(), CliError> {
    let loaded = upstream::scenario::load(&args.scenario_file)?;
    let model = &loaded.model;
    super::print_warnings(&loaded);
    let range = parse_range(&args.range)?;
    let metric = Metric {
        name: args.metric.clone(),
        year: args.year,
    };
    let run_dir = PathBuf::from("out").join(stem(&args.scenario_file));
    let out = args.out.clone().unwrap_or_else(|| {
        upstream::output::analysis::default_dir(&run_dir, &args.scenario, args.area.as_deref(), &metric)
    });
    upstream::output::check_out_dir(&out).map_err(CliError::Invalid)?;
    if model.uncertain.is_empty() {
        return Err(CliError::Invalid(format!(
            "{} has no uncertain numbers to vary: give some inputs a distribution (docs/scenario-file.md, Uncertainty)",
            args.scenario_file.display()
        )));
    }
    let draws = args.draws.unwrap_or(model.monte_carlo.draws);
    let seed = args.seed.unwrap_or(model.monte_carlo.seed);
    let (threads, pool) = super::worker_pool(args.threads)?;
    if draws > 0 {
        // Each draw keeps its sampled inputs and the output's value (in
        // every area and roll-up, with areas).
        let units = upstream::results::area_units(model).len().max(1) as u64;
        super::check_memory(units, model.uncertain.len() + 4, draws, threads)?;
    }
    let one_way = pool.install(|| sensitivity::one_way(model, &args.scenario, args.area.as_deref(), &metric, range))?;
    let rank = if draws > 0 {
        let options = montecarlo::Options {
            draws,
            seed,
            percentiles: model.monte_carlo.percentiles.clone(),
        };
        Some(pool.install(|| {
            sensitivity::probabilistic(model, &args.scenario, args.area.as_deref(), &metric, &options, &|_| {})
        })?)
    } else {
        None
    };
    upstream::output::analysis::write_sensitivity(
        &out,
        model,
        &loaded.sources,
        &args.scenario_file,
        &one_way,
        rank.as_ref(),
    )
    .map_err(|e| super::write_failed(&out, e))?;

    let mut text = String::new();
    let (lo, hi) = range;
    let _ = writeln!(
        text,
        "{} in {}: {} with every input at its mean. One input at a time at its P{lo} and P{hi}, largest swing first:",
        metric,
        args.scenario,
        shown(model, &metric.name, one_way.central)
    );
    let mut rows = vec![vec![
        "input".to_string(),
        format!("at P{lo}"),
        format!("at P{hi}"),
        "swing".to_string(),
    ]];
    for r in one_way.rows.iter().take(10) {
        let swing = if r.swing.is_nan() {
            "–".to_string()
        } else if metric.name.starts_with("break_even_year") {
            format!("{:.0} years", r.swing)
        } else {
            shown(model, &metric.name, Some(r.swing))
        };
        rows.push(vec![
            r.label.clone(),
            shown(model, &metric.name, r.output_low),
            shown(model, &metric.name, r.output_high),
            swing,
        ]);
    }
    text.push_str(&upstream::output::table::plain(&rows));
    if one_way.rows.len() > 10 {
        let _ = writeln!(text, "… and {} more in one-way.csv", one_way.rows.len() - 10);
    }
    if let Some(rc) = &rank {
        let _ = writeln!(
            text,
            "\nRank correlation with {metric} over {} draws (seed {}), strongest first:",
            rc.draws, rc.seed
        );
        let mut rows = vec![vec!["input".to_string(), "Spearman".into(), "partial".into()]];
        for r in rc.rows.iter().take(10) {
            rows.push(vec![
                r.label.clone(),
                format!("{:+.2}", r.spearman),
                r.prcc.map_or("–".into(), |p| format!("{p:+.2}")),
            ]);
        }
        text.push_str(&upstream::output::table::plain(&rows));
        if let Some(note) = &rc.prcc_note {
            let _ = writeln!(text, "({note})");
        }
    }
    let _ = writeln!(
        text,
        "Results written to {}/ (one-way.csv, tornado.png, tornado.svg{}, sensitivity.json); `upstream run {} --report` adds them to the report.",
        out.display(),
        if rank.is_some() {
            ", rank-correlation.csv, rank-correlation.png, rank-correlation.svg"
        } else {
            ""
        },
        args.scenario_file.display()
    );
    print!("{text}");
    Ok(())
}
