//! `upstream goal-seek`: the value of one input at which a target is met.

use super::CliError;
use super::analysis::shown;
use std::path::PathBuf;
use upstream::analysis::goal_seek::{self, Goal, Side};
use upstream::format::{currency_prefix, money_exact, short};
use upstream::montecarlo;

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
    /// With [areas]: the area whose target it is (its code), a parent's name, or `all` for the whole model [default: all]; the input is set in every area
    #[arg(long, value_name = "AREA")]
    area: Option<String>,
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

pub fn run(args: GoalSeekArgs) -> Result<(), CliError> {
    let loaded = upstream::scenario::load(&args.scenario_file)?;
    let model = &loaded.model;
    super::print_warnings(&loaded);
    let (_, pool) = super::worker_pool(args.threads)?;
    let cur = currency_prefix(&model.currency);
    if args.thresholds {
        let table_rows = pool.install(|| goal_seek::thresholds(model, &args.scenario, args.area.as_deref()))?;
        println!(
            "{}: the highest cost per participant at which it still breaks even by {} (NPV ≥ 0), each intervention's other figures and the rest of the scenario as they are:",
            upstream::output::analysis::place(&args.scenario, args.area.as_deref()),
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
    let result =
        pool.install(|| goal_seek::goal_seek(model, &args.scenario, args.area.as_deref(), path, &target, probability))?;
    let metric = &target.metric.name;
    let output = |v: Option<f64>| match probability {
        Some(_) => v.map_or("–".into(), |p| format!("{:.1}% of draws", p * 100.0)),
        None => shown(model, metric, v),
    };
    let wanted = match result.probability {
        Some((p, draws, seed)) => format!("{target} in at least {:.0}% of {draws} draws (seed {seed})", p * 100.0),
        None => target.to_string(),
    };
    println!(
        "Target: {wanted}, in {}, varying {path}.",
        upstream::output::analysis::place(&args.scenario, args.area.as_deref())
    );
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
