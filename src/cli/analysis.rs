//! `upstream sensitivity` and `upstream goal-seek`.

use super::CliError;
use std::fmt::Write;
use std::path::PathBuf;
use upstream::analysis::goal_seek::{self, Goal, Side};
use upstream::analysis::{AnalysisError, Metric, sensitivity};
use upstream::format::{currency_prefix, money_exact, money_millions, short};
use upstream::model::Model;
use upstream::montecarlo;

impl From<AnalysisError> for CliError {
    fn from(e: AnalysisError) -> Self {
        CliError::Invalid(e.to_string())
    }
}

fn stem(path: &std::path::Path) -> String {
    path.file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned())
}

/// A metric's value for the terminal: money in millions, others short.
fn shown(model: &Model, metric: &str, v: Option<f64>) -> String {
    match v {
        None if metric.starts_with("break_even_year") => "none".into(),
        None => "–".into(),
        Some(x) if upstream::format::is_money_metric(metric) => money_millions(&currency_prefix(&model.currency), x),
        Some(x) if metric.starts_with("break_even_year") => format!("{x:.0}"),
        Some(x) => short(x),
    }
}

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

pub fn sensitivity(args: SensitivityArgs) -> Result<(), CliError> {
    let model = upstream::scenario::load(&args.scenario_file)?;
    super::print_warnings(&model);
    super::refuse_areas(&model, &args.scenario_file)?;
    let range = parse_range(&args.range)?;
    let metric = Metric {
        name: args.metric.clone(),
        year: args.year,
    };
    let run_dir = PathBuf::from("out").join(stem(&args.scenario_file));
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| upstream::output::analysis::default_dir(&run_dir, &args.scenario, &metric));
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
        let futures = upstream::analysis::futures_for(&model, &args.scenario)?;
        let rows = upstream::analysis::rows_of(&model, &futures).len() as u64;
        super::check_memory(rows, model.uncertain.len() + 4, draws, threads)?;
    }
    let one_way = pool.install(|| sensitivity::one_way(&model, &args.scenario, &metric, range))?;
    let rank = if draws > 0 {
        let options = montecarlo::Options {
            draws,
            seed,
            percentiles: model.monte_carlo.percentiles.clone(),
        };
        Some(pool.install(|| sensitivity::probabilistic(&model, &args.scenario, &metric, &options, &|_| {}))?)
    } else {
        None
    };
    upstream::output::analysis::write_sensitivity(&out, &model, &args.scenario_file, &one_way, rank.as_ref())
        .map_err(|e| super::write_failed(&out, e))?;

    let mut text = String::new();
    let (lo, hi) = range;
    let _ = writeln!(
        text,
        "{} in {}: {} with every input at its mean. One input at a time at its P{lo} and P{hi}, largest swing first:",
        metric,
        args.scenario,
        shown(&model, &metric.name, one_way.central)
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
            shown(&model, &metric.name, Some(r.swing))
        };
        rows.push(vec![
            r.label.clone(),
            shown(&model, &metric.name, r.output_low),
            shown(&model, &metric.name, r.output_high),
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

/// Find the value of one input at which a target is met, e.g. the reach
/// at which a scenario breaks even by 2030:
///   upstream goal-seek FILE --scenario NAME --vary "intervention.Falls prevention.reach" --target "break_even_year <= 2030"
/// The input is a path as in [scenarios.overrides]; it is varied over its
/// valid range (shares and probabilities 0–1, other numbers from 0). With
/// --draws, finds the value at which the target is met in a share
/// --probability of the draws. With --thresholds, prints each of the
/// scenario's interventions' highest cost per participant that still breaks
/// even by the horizon.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct GoalSeekArgs {
    /// The scenario file (TOML).
    scenario_file: PathBuf,
    /// The scenario to reach the target in.
    #[arg(long, value_name = "NAME")]
    scenario: String,
    /// The input to vary, e.g. "intervention.NAME.reach" or "intervention.NAME.cost_per_participant".
    #[arg(long, value_name = "PATH", required_unless_present = "thresholds")]
    vary: Option<String>,
    /// The target, "METRIC OP VALUE [by YEAR]", e.g. "npv >= 0" or "spend_acute <= 95m by 2035".
    #[arg(long, value_name = "TARGET", required_unless_present = "thresholds")]
    target: Option<String>,
    /// Monte Carlo draws: find the value at which the target is met with --probability [default: 0, deterministic]
    #[arg(long, value_name = "N", default_value_t = 0)]
    draws: u32,
    /// The share of draws that must meet the target (with --draws).
    #[arg(long, value_name = "P", default_value_t = 0.8)]
    probability: f64,
    /// Seed of the draws [default: the file's [monte_carlo] seed]
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Print the threshold table instead: per intervention, the highest cost per participant that breaks even by the horizon.
    #[arg(long, conflicts_with_all = ["vary", "target"])]
    thresholds: bool,
}

pub fn goal_seek(args: GoalSeekArgs) -> Result<(), CliError> {
    let model = upstream::scenario::load(&args.scenario_file)?;
    super::print_warnings(&model);
    super::refuse_areas(&model, &args.scenario_file)?;
    let (_, pool) = super::worker_pool(args.threads)?;
    let cur = currency_prefix(&model.currency);
    if args.thresholds {
        let table_rows = pool.install(|| goal_seek::thresholds(&model, &args.scenario))?;
        println!(
            "{}: the highest cost per participant at which it still breaks even by {} (NPV ≥ 0), each intervention's other figures and the rest of the scenario as they are:",
            args.scenario,
            model.end_year()
        );
        let mut rows = vec![vec![
            "intervention".to_string(),
            "cost per participant".into(),
            "break-even cost".into(),
            "headroom".into(),
        ]];
        for t in &table_rows {
            let (threshold, headroom) = match (t.matters, t.break_even_cost) {
                (false, _) => ("no participants".to_string(), "–".to_string()),
                (true, None) => ("none: not even at zero cost".into(), "–".into()),
                (true, Some(c)) if c.is_infinite() => ("any".into(), "–".into()),
                (true, Some(c)) => (
                    money_exact(&cur, c),
                    if t.cost_per_participant > 0.0 {
                        format!("{:+.0}%", 100.0 * (c / t.cost_per_participant - 1.0))
                    } else {
                        "–".into()
                    },
                ),
            };
            rows.push(vec![
                t.intervention.clone(),
                money_exact(&cur, t.cost_per_participant),
                threshold,
                headroom,
            ]);
        }
        print!("{}", upstream::output::table::plain(&rows));
        return Ok(());
    }
    let (Some(path), Some(target_text)) = (&args.vary, &args.target) else {
        return Err(CliError::Invalid(
            "give --vary PATH and --target \"METRIC OP VALUE\" (or --thresholds)".into(),
        ));
    };
    let target = Goal::parse(target_text).map_err(CliError::Invalid)?;
    let options = montecarlo::Options {
        draws: args.draws,
        seed: args.seed.unwrap_or(model.monte_carlo.seed),
        percentiles: model.monte_carlo.percentiles.clone(),
    };
    let probability = (args.draws > 0).then_some((args.probability, &options));
    let result = pool.install(|| goal_seek::goal_seek(&model, &args.scenario, path, &target, probability))?;
    let metric = &target.metric.name;
    let output = |v: Option<f64>| match probability {
        Some(_) => v.map_or("–".into(), |p| format!("{:.1}% of draws", p * 100.0)),
        None => shown(&model, metric, v),
    };
    let wanted = match result.probability {
        Some((p, draws, seed)) => format!("{target} in at least {:.0}% of {draws} draws (seed {seed})", p * 100.0),
        None => target.to_string(),
    };
    println!("Target: {wanted}, in {}, varying {path}.", args.scenario);
    println!(
        "Now: {path} = {} gives {} ({}).",
        short(result.current),
        output(result.current_output),
        if result.met_now { "met" } else { "not met" }
    );
    match &result.found {
        Some(f) => {
            let side = match f.side {
                Side::AtOrAbove => "at least",
                Side::AtOrBelow => "at most",
            };
            println!(
                "Met when {path} is {side} {} (there: {}).",
                short_precise(f.threshold),
                output(f.output_at_threshold)
            );
        }
        None => {
            println!(
                "No value of {path} from {} to {} meets it: {} at {}, {} at {}.",
                short(result.range.0),
                short(result.range.1),
                output(result.ends.0),
                short(result.range.0),
                output(result.ends.1),
                short(result.range.1)
            );
        }
    }
    println!("({} runs of the model.)", result.evaluations);
    if result.found.is_none() {
        return Err(CliError::Invalid(format!(
            "the target cannot be met by varying {path} alone"
        )));
    }
    Ok(())
}

/// A found value with enough digits to act on (6 significant).
fn short_precise(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let digits = (6 - 1 - x.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{x:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}
