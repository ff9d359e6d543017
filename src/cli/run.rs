//! `upstream run SCENARIO.toml`: run the do-nothing baseline and the scenarios,
//! with Monte Carlo draws if asked, write the results, print a summary.

use super::CliError;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use upstream::evidence::costs;
use upstream::montecarlo::{self, FutureSpec};
use upstream::output::{self, RunMetadata, RunOptions, RunOutput};

/// Run the do-nothing baseline and every scenario (or those named with
/// --scenario), write summary.csv, detail.csv and run.json into the output
/// folder, and print a summary table: people in each need level at the
/// horizon, acute and preventative spend, net saving against do-nothing
/// (discounted), return per £1 and break-even year.
///
/// With --draws N (or `[monte_carlo] draws` in the file), every uncertain
/// number is sampled N times; each draw runs every future (common random
/// numbers), and summary.csv gains the mean, sd and percentiles of every
/// metric and the probability of breaking even. The same seed gives the same
/// numbers whatever the thread count.
///
/// The output folder is replaced whole, and only once the new run is
/// complete: a bad input or failed run leaves an earlier run untouched.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    /// The scenario file (TOML) to run.
    #[arg(required_unless_present = "replay")]
    scenario: Option<PathBuf>,
    /// Run again exactly as recorded in a run's run.json (same file, scenarios,
    /// draws, seed and outputs), refusing if any input file has changed since.
    #[arg(long, value_name = "RUN.JSON", conflicts_with_all = ["scenario", "scenarios", "draws", "seed", "draws_csv", "report", "attribute"])]
    replay: Option<PathBuf>,
    /// Folder for the results [default: out/<scenario file name without .toml>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only this scenario (repeat for several); the baseline always runs.
    #[arg(long = "scenario", value_name = "NAME")]
    scenarios: Vec<String>,
    /// Monte Carlo draws; 0 for a single run at the inputs' means [default: the file's [monte_carlo] draws, else 0]
    #[arg(long, value_name = "N")]
    draws: Option<u32>,
    /// Seed of the random draws [default: the file's [monte_carlo] seed, else 20251]
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Also write draws.csv: every draw's sampled inputs and headline results.
    #[arg(long)]
    draws_csv: bool,
    /// With draws, also run each scenario of several interventions without
    /// each of them, so that every intervention's figures in interventions.csv
    /// carry uncertainty (adds one future per intervention of such a
    /// scenario); without it those rows are at the inputs' means only.
    #[arg(long)]
    attribute: bool,
    /// Also write report.html: the headline, every chart, the assumptions
    /// with the file's comments and the run's details, in one page that
    /// opens with no network.
    #[arg(long)]
    report: bool,
}

/// What `--replay` reads back from run.json.
#[derive(Debug, serde::Deserialize)]
struct Recorded {
    version: String,
    scenario_file: PathBuf,
    inputs: Vec<upstream::model::SourceFile>,
    options: RecordedOptions,
}

#[derive(Debug, serde::Deserialize)]
struct RecordedOptions {
    scenarios: Vec<String>,
    out: PathBuf,
    draws: u32,
    seed: u64,
    draws_csv: bool,
    #[serde(default)]
    report: bool,
    #[serde(default)]
    attribute: bool,
}

/// The arguments of the run recorded in `path`, after checking that every
/// input file is still byte for byte the one that run read.
fn replayed(path: &std::path::Path, args: &Args) -> Result<Args, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Invalid(format!("{}: cannot read it: {e}", path.display())))?;
    let recorded: Recorded = serde_json::from_str(&text).map_err(|e| {
        CliError::Invalid(format!(
            "{}: not a run.json written by `upstream run` ({e})",
            path.display()
        ))
    })?;
    for input in &recorded.inputs {
        let bytes = std::fs::read(&input.path).map_err(|e| {
            CliError::Invalid(format!(
                "{}: the run read {}, which cannot be read now ({e}); replay from the folder the run was made in",
                path.display(),
                input.path.display()
            ))
        })?;
        let now = upstream::scenario::sha256_hex(&bytes);
        if now != input.sha256 {
            return Err(CliError::Invalid(format!(
                "{} has changed since the run recorded in {} (SHA-256 then {}, now {}); a replay needs the same inputs",
                input.path.display(),
                path.display(),
                input.sha256,
                now
            )));
        }
    }
    if recorded.version != env!("CARGO_PKG_VERSION") {
        eprintln!(
            "warning: the run was made with upstream {}, this is {}; its numbers may differ",
            recorded.version,
            env!("CARGO_PKG_VERSION")
        );
    }
    let o = recorded.options;
    Ok(Args {
        scenario: Some(recorded.scenario_file),
        replay: None,
        out: args.out.clone().or(Some(o.out)),
        scenarios: o.scenarios,
        draws: Some(o.draws),
        seed: Some(o.seed),
        threads: args.threads,
        draws_csv: o.draws_csv,
        report: o.report,
        attribute: o.attribute,
    })
}

pub fn run(args: Args) -> Result<(), CliError> {
    let args = match &args.replay {
        Some(path) => replayed(path, &args)?,
        None => args,
    };
    let Some(scenario) = args.scenario.clone() else {
        return Err(CliError::Invalid(
            "give the scenario file to run (or --replay RUN.JSON)".into(),
        ));
    };
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let model = upstream::scenario::load(&scenario)?;
    super::print_warnings(&model);
    let draws = args.draws.unwrap_or(model.monte_carlo.draws);
    let seed = args.seed.unwrap_or(model.monte_carlo.seed);
    let (threads, pool) = super::worker_pool(args.threads)?;
    if args.draws_csv && draws == 0 {
        return Err(CliError::Invalid(
            "--draws-csv needs Monte Carlo draws; add --draws N (or `[monte_carlo] draws` in the file)".into(),
        ));
    }

    let engine_error = |e: upstream::run::RunError| match e {
        upstream::run::RunError::Engine { .. } => CliError::Invalid(format!("{}: {e}", scenario.display())),
        other => other.into(),
    };
    // With areas: every area's futures; the whole model's accounts are their sums.
    let area_futures = upstream::run::run_areas(&model, &args.scenarios).map_err(engine_error)?;
    let futures = if area_futures.is_empty() {
        upstream::run::run_futures(&model, &args.scenarios).map_err(engine_error)?
    } else {
        Vec::new()
    };
    let names_of: &[upstream::run::Future] = if area_futures.is_empty() {
        &futures
    } else {
        &area_futures[0]
    };
    let per_area: Vec<Vec<upstream::results::Accounts>> = area_futures
        .iter()
        .map(|fs| upstream::results::account_futures(fs).0)
        .collect();
    let units = if model.areas.is_empty() {
        Vec::new()
    } else {
        upstream::results::area_units(&model)
    };
    let (accounts, comparisons) = if units.is_empty() {
        upstream::results::account_futures(&futures)
    } else {
        upstream::results::sum_areas(&model, &per_area, &units[units.len() - 1].1)
    };
    let specs: Vec<FutureSpec> = names_of.iter().map(FutureSpec::from).collect();
    let (extra, pairs) = costs::attributions(&specs);
    let central = {
        let run_error = |e| CliError::Invalid(format!("{}: {e}", scenario.display()));
        let mut all: Vec<upstream::results::Accounts> = accounts.clone();
        if area_futures.is_empty() {
            all.extend(costs::account_extra(&futures[0], &extra).map_err(run_error)?);
        } else {
            // Each area's leave-one-out futures, summed over the areas.
            let mut sums = vec![upstream::results::Accounts::default(); extra.len()];
            for fs in &area_futures {
                let area_specs: Vec<FutureSpec> = fs.iter().map(FutureSpec::from).collect();
                let (area_extra, _) = costs::attributions(&area_specs);
                for (sum, a) in sums
                    .iter_mut()
                    .zip(costs::account_extra(&fs[0], &area_extra).map_err(run_error)?)
                {
                    sum.add(&a);
                }
            }
            all.extend(sums);
        }
        costs::values_of(&model, &pairs, &all)
    };
    // Pairs drawn: every one with --attribute, else those against do-nothing
    // (none with areas: their intervention figures are at the means).
    let with_areas = !units.is_empty();
    let drawn = |p: &costs::Attribution| !with_areas && (args.attribute || p.without == 0);
    let drawn_pairs: Vec<costs::Attribution> = pairs.iter().filter(|p| drawn(p)).cloned().collect();

    if draws > 0 {
        let mut rows = 0u64;
        upstream::results::rows::visit_summary(&model, &accounts, &comparisons, &mut |_, _, _, _| rows += 1);
        super::check_memory(
            rows * units.len().max(1) as u64,
            model.uncertain.len() + 3 * comparisons.len(),
            draws,
        )?;
    }
    let options = montecarlo::Options {
        draws,
        seed,
        percentiles: model.monte_carlo.percentiles.clone(),
    };
    let bar = ProgressBar::new(u64::from(draws));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} draws, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    // Shown only on a terminal, and only once the run has taken a moment.
    let shown = std::time::Instant::now();
    bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    let progress = |n: u64| {
        bar.inc(n);
        if bar.is_hidden() && shown.elapsed().as_millis() > 300 && std::io::IsTerminal::is_terminal(&std::io::stderr())
        {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    };
    let draw_error = |e: montecarlo::DrawError| CliError::Invalid(format!("{}: {e}", scenario.display()));
    let mut unit_summaries: Vec<Option<montecarlo::Summary>> = vec![None; units.len()];
    let monte_carlo = if draws > 0 && with_areas {
        bar.set_message(format!("{} areas × {} futures", model.areas.len(), specs.len()));
        let area_specs: Vec<Vec<FutureSpec>> = area_futures
            .iter()
            .map(|fs| fs.iter().map(FutureSpec::from).collect())
            .collect();
        let summaries = pool
            .install(|| montecarlo::run_areas(&model, &area_specs, &units, &options, &progress))
            .map_err(draw_error)?;
        bar.finish_and_clear();
        unit_summaries = summaries.into_iter().map(Some).collect();
        unit_summaries.last().cloned().flatten()
    } else if draws > 0 {
        let mut specs = specs.clone();
        if args.attribute {
            specs.extend(extra.iter().cloned());
        }
        bar.set_message(format!("{} futures", specs.len()));
        let figures = |accounts: &[upstream::results::Accounts]| costs::values_of(&model, &drawn_pairs, accounts);
        let work = montecarlo::Extra {
            reported: names_of.len(),
            figures: &figures,
        };
        let summary = pool
            .install(|| montecarlo::run_extra(&model, &specs, &options, &work, &progress))
            .map_err(draw_error)?;
        bar.finish_and_clear();
        Some(summary)
    } else {
        None
    };
    let areas: Vec<output::AreaOutput> = units
        .iter()
        .zip(unit_summaries)
        .map(|((label, members), mc)| {
            let (accounts, comparisons) = upstream::results::sum_areas(&model, &per_area, members);
            let one = (members.len() == 1 && model.areas[members[0]].code == *label).then(|| &model.areas[members[0]]);
            output::AreaOutput {
                label: label.clone(),
                name: one.map_or_else(|| label.clone(), |a| a.name.clone()),
                parent: one.and_then(|a| a.parent.clone()),
                is_area: one.is_some(),
                people_start: members
                    .iter()
                    .map(|&a| model.areas[a].model.population.iter().sum::<f64>())
                    .sum(),
                accounts,
                comparisons,
                monte_carlo: mc,
            }
        })
        .collect();

    let out = args.out.clone().unwrap_or_else(|| {
        let stem = scenario
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("out").join(stem)
    });
    let per_draw: Option<Vec<Vec<f64>>> = monte_carlo
        .as_ref()
        .map(|mc| mc.records.iter().map(|r| r.figures.clone()).collect());
    let cost_table = costs::CostTable::new(
        &model,
        &specs,
        &extra,
        &pairs,
        &central,
        per_draw
            .as_deref()
            .map(|d| (d, model.monte_carlo.percentiles.as_slice())),
        &drawn,
    );
    let output = RunOutput {
        model: &model,
        areas,
        costs: cost_table,
        accounts,
        comparisons,
        monte_carlo,
        parameter_labels: model.uncertain.iter().map(|u| u.label.clone()).collect(),
        write_draws: args.draws_csv,
        metadata: RunMetadata {
            tool: "upstream",
            version: env!("CARGO_PKG_VERSION"),
            scenario_file: scenario.clone(),
            inputs: model.sources.clone(),
            model_name: model.name.clone(),
            start_year: model.start_year,
            horizon_years: model.horizon_years,
            steps_per_year: model.steps_per_year,
            currency: model.currency.clone(),
            price_base_year: model.price_base_year,
            discount_rate: model.discount_rate,
            futures: names_of.iter().map(|f| f.name.clone()).collect(),
            options: RunOptions {
                scenarios: args.scenarios.clone(),
                out: out.clone(),
                draws,
                seed,
                percentiles: model.monte_carlo.percentiles.clone(),
                threads,
                draws_csv: args.draws_csv,
                report: args.report,
                attribute: args.attribute,
            },
            started_unix_seconds: started,
        },
    };
    let detail: Vec<(Option<&str>, &[upstream::run::Future])> = if area_futures.is_empty() {
        vec![(None, &futures[..])]
    } else {
        model
            .areas
            .iter()
            .zip(&area_futures)
            .map(|(a, fs)| (Some(a.code.as_str()), &fs[..]))
            .collect()
    };
    output::write_run(&out, &output, &detail)
        .map_err(|e| CliError::Internal(format!("could not write the results to {}: {e}", out.display())))?;
    print!("{}", output::table::summary_table(&output));
    let mut files = vec!["summary.csv", "detail.csv", "interventions.csv"];
    if !output.areas.is_empty() {
        files.push("areas.csv");
    }
    if args.draws_csv {
        files.push("draws.csv");
    }
    files.extend(["run.json", "results.xlsx", "charts/"]);
    if args.report {
        files.push("report.html");
    }
    let files = files.join(", ");
    println!("Results written to {}/ ({files})", out.display());
    Ok(())
}
