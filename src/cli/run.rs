//! `upstream run SCENARIO.toml`: run the do-nothing baseline and the scenarios,
//! with Monte Carlo draws if asked, write the results, print a summary.

use super::CliError;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use upstream::montecarlo;
use upstream::output::{self, RunMetadata, RunOptions, RunOutput};
use upstream::pipeline::{self, Run, shard};

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
    pub(super) scenario: Option<PathBuf>,
    /// Run again exactly as recorded in a run's run.json (same file, scenarios,
    /// draws, seed and outputs), refusing if any input file has changed since.
    #[arg(long, value_name = "RUN.JSON", conflicts_with_all = ["scenario", "scenarios", "draws", "seed", "draws_csv", "report", "attribute", "shard"])]
    pub(super) replay: Option<PathBuf>,
    /// Folder for the results [default: out/<scenario file name without .toml>]
    #[arg(long, value_name = "DIR")]
    pub(super) out: Option<PathBuf>,
    /// Run only this scenario (repeat for several); the baseline always runs.
    #[arg(long = "scenario", value_name = "NAME")]
    pub(super) scenarios: Vec<String>,
    /// Monte Carlo draws; 0 for a single run at the inputs' means [default: the file's [monte_carlo] draws, else 0]
    #[arg(long, value_name = "N")]
    pub(super) draws: Option<u32>,
    /// Seed of the random draws [default: the file's [monte_carlo] seed, else 20251]
    #[arg(long, value_name = "S")]
    pub(super) seed: Option<u64>,
    /// Worker threads [default: one per core]; results do not depend on it.
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(super) threads: Option<u16>,
    /// Also write draws.csv: every draw's sampled inputs and headline results.
    #[arg(long)]
    pub(super) draws_csv: bool,
    /// With draws, also run each scenario of several interventions without
    /// each of them, so that every intervention's figures in interventions.csv
    /// carry uncertainty (adds one future per intervention of such a
    /// scenario); without it those rows are at the inputs' means only.
    #[arg(long)]
    pub(super) attribute: bool,
    /// With [areas]: write detail.csv even when there are more than 10 areas
    /// (it has a row per area, future, year, band and level).
    #[arg(long)]
    pub(super) detail: bool,
    /// Show the table printed after the run per person at the start of
    /// the horizon (spend, net saving and, with [outcomes], QALYs gained);
    /// the files are unchanged.
    #[arg(long)]
    pub(super) per_person: bool,
    /// Run only shard I of N of the draws (e.g. 3/8) and write a part into
    /// --out, to be joined with the other parts by `upstream merge` into
    /// exactly the result of the whole run (see README, "Scale-out").
    #[arg(long, value_name = "I/N", conflicts_with_all = ["report", "draws_csv"])]
    pub(super) shard: Option<String>,
    /// Also write report.html: the headline, every chart, the assumptions
    /// with the file's comments and the run's details, in one page that
    /// opens with no network.
    #[arg(long)]
    pub(super) report: bool,
}

/// The arguments of the run recorded in `path`, after checking that every
/// input file is still byte for byte the one that run read.
fn replayed(path: &std::path::Path, args: &Args) -> Result<Args, CliError> {
    let recorded = pipeline::replay::recorded(path).map_err(|e| match e {
        pipeline::replay::ReplayError::Invalid(m) => CliError::Invalid(m),
        pipeline::replay::ReplayError::Input(e) => CliError::Input(e),
    })?;
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
        shard: None,
        detail: o.detail,
        per_person: args.per_person,
    })
}

/// What a run does with its draws.
pub(super) enum Mode {
    /// All the draws, then the results.
    Whole,
    /// One shard of the draws, written as a part.
    Shard { shard: u32, shards: u32 },
    /// The draws of joined parts, then the results.
    Merge(montecarlo::Raw),
}

fn parse_shard(text: &str) -> Result<(u32, u32), CliError> {
    let bad = || CliError::Invalid(format!("--shard {text} is not I/N with 1 ≤ I ≤ N (e.g. 3/8)"));
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (u32, u32) = (
        i.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

pub fn run(args: Args) -> Result<(), CliError> {
    let args = match &args.replay {
        Some(path) => replayed(path, &args)?,
        None => args,
    };
    let mode = match &args.shard {
        None => Mode::Whole,
        Some(text) => {
            let (shard, shards) = parse_shard(text)?;
            Mode::Shard { shard, shards }
        }
    };
    execute(args, mode)
}

/// Loads the model, runs it through the library's pipeline, and writes the
/// results (or, for a shard, the part) into the output folder.
pub(super) fn execute(args: Args, mode: Mode) -> Result<(), CliError> {
    let Some(scenario) = args.scenario.clone() else {
        return Err(CliError::Invalid(
            "give the scenario file to run (or --replay RUN.JSON)".into(),
        ));
    };
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = scenario
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        match mode {
            Mode::Shard { shard, shards } => PathBuf::from("out").join(format!("{stem}-part-{shard}-of-{shards}")),
            _ => PathBuf::from("out").join(stem),
        }
    });
    // Before any work: an --out that is a file or someone's folder is refused.
    output::check_out_dir(&out).map_err(CliError::Invalid)?;
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    upstream::timing::mark("start");
    let loaded = upstream::scenario::load(&scenario)?;
    let model = &loaded.model;
    upstream::timing::mark("load");
    super::print_warnings(&loaded);
    let draws = args.draws.unwrap_or(model.monte_carlo.draws);
    let seed = args.seed.unwrap_or(model.monte_carlo.seed);
    let (threads, pool) = super::worker_pool(args.threads)?;
    if args.draws_csv && draws == 0 {
        return Err(CliError::Invalid(
            "--draws-csv needs Monte Carlo draws; add --draws N (or `[monte_carlo] draws` in the file)".into(),
        ));
    }
    let run_error = |e: upstream::run::RunError| match e {
        upstream::run::RunError::Engine { .. } => CliError::Invalid(format!("{}: {e}", scenario.display())),
        other => other.into(),
    };
    let request = pipeline::Request {
        scenarios: args.scenarios.clone(),
        draws,
        seed,
        attribute: args.attribute,
        // A shard keeps them: the merge may be asked for draws.csv.
        keep_parameters: args.draws_csv || matches!(mode, Mode::Shard { .. }),
        detail: args.detail,
        costs: true,
    };
    let run = Run::new(model, request).map_err(run_error)?;
    if run.with_areas() && args.attribute && draws > 0 {
        eprintln!(
            "warning: --attribute is not used with [areas]: an intervention's figures within a package are at the inputs' means"
        );
    }
    if draws > 0 {
        let (values, numbers) = run.per_draw();
        // A shard keeps only its own draws.
        let kept = match &mode {
            Mode::Shard { shard, shards } => montecarlo::draw_range(draws, *shard, *shards).len() as u32,
            _ => draws,
        };
        super::check_memory(values, numbers, kept, threads)?;
    }
    upstream::timing::mark("deterministic futures");
    let draw = |range: std::ops::Range<usize>| -> Result<montecarlo::Raw, CliError> {
        let message = if run.with_areas() {
            format!("{} areas × {} futures", model.areas.len(), run.futures_per_draw())
        } else {
            format!("{} futures", run.futures_per_draw())
        };
        let bar = super::progress::Bar::new(range.len() as u64, message);
        let raw = pool
            .install(|| run.draw(range, &|n| bar.inc(n)))
            .map_err(|e| CliError::Invalid(format!("{}: {e}", scenario.display())))?;
        bar.finish();
        Ok(raw)
    };
    let raw = match mode {
        Mode::Whole => (draws > 0)
            .then(|| draw(montecarlo::draw_range(draws, 1, 1)))
            .transpose()?,
        Mode::Merge(raw) => Some(raw),
        Mode::Shard { shard, shards } => {
            if draws == 0 {
                return Err(CliError::Invalid(
                    "--shard splits the Monte Carlo draws; add --draws N (or `[monte_carlo] draws` in the file)".into(),
                ));
            }
            let range = montecarlo::draw_range(draws, shard, shards);
            let (first, last) = (range.start, range.end);
            let raw = draw(range)?;
            let part = shard::Part {
                tool: "upstream".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                scenario_file: scenario.clone(),
                inputs: loaded.sources.clone(),
                shard,
                shards,
                first_draw: first as u64,
                draws_in_part: (last - first) as u64,
                options: shard::PartOptions {
                    scenarios: args.scenarios.clone(),
                    draws,
                    seed,
                    attribute: args.attribute,
                },
            };
            output::replace_dir(&out, |staging| shard::write_part(staging, &part, &raw))
                .map_err(|e| super::write_failed(&out, e))?;
            let which = if last > first {
                format!("draws {}–{} of {draws}", first + 1, last)
            } else {
                format!(
                    "no draws (more shards than batches of {} of the {draws} draws)",
                    montecarlo::LANES
                )
            };
            println!(
                "Shard {shard} of {shards}: {which} written to {}/ (part.json, draws.bin); join the parts with `upstream merge PART-FOLDERS... --out DIR`.",
                out.display()
            );
            return Ok(());
        }
    };
    upstream::timing::mark("draws");
    let results = pool.install(|| run.finish(raw)).map_err(run_error)?;
    let options = RunOptions {
        scenarios: args.scenarios.clone(),
        out: out.clone(),
        draws,
        seed,
        percentiles: model.monte_carlo.percentiles.clone(),
        threads,
        draws_csv: args.draws_csv,
        report: args.report,
        attribute: args.attribute,
        detail: args.detail,
    };
    write(&scenario, &out, &loaded, (results, args.per_person), options, started)
}

/// Writes the results into `out` (replacing it whole) and prints the
/// summary table and what was written.
fn write(
    scenario: &std::path::Path,
    out: &std::path::Path,
    loaded: &upstream::scenario::Loaded,
    (results, per_person): (pipeline::Results, bool),
    options: RunOptions,
    started: u64,
) -> Result<(), CliError> {
    let pipeline::Results {
        model,
        accounts,
        comparisons,
        monte_carlo,
        areas,
        costs,
        deals,
        cost_effectiveness,
        futures,
        detail,
    } = results;
    let write_draws = options.draws_csv;
    let report = options.report;
    let output = RunOutput {
        model,
        loaded,
        areas,
        costs,
        deals,
        cost_effectiveness,
        accounts,
        comparisons,
        monte_carlo,
        parameter_labels: model.uncertain.iter().map(|u| u.label.clone()).collect(),
        write_draws,
        per_person,
        metadata: RunMetadata {
            tool: "upstream",
            version: env!("CARGO_PKG_VERSION"),
            scenario_file: scenario.to_path_buf(),
            inputs: loaded.sources.clone(),
            model_name: model.name.clone(),
            start_year: model.start_year,
            horizon_years: model.horizon_years,
            steps_per_year: model.steps_per_year,
            currency: model.currency.clone(),
            price_base_year: model.price_base_year,
            discount_rate: model.discount_rate,
            futures,
            options,
            started_unix_seconds: started,
        },
    };
    let detail = pipeline::labelled(model, &detail);
    output::write_run(out, &output, &detail).map_err(|e| super::write_failed(out, e))?;
    upstream::timing::mark("outputs written");
    print!("{}", output::table::summary_table(&output));
    let write_detail = !detail.is_empty();
    let mut files = vec!["summary.csv"];
    if write_detail {
        files.push("detail.csv");
    }
    files.push("interventions.csv");
    if !output.deals.is_empty() {
        files.push("contracts.csv");
    }
    if let Some(ce) = &output.cost_effectiveness {
        files.push("cost-effectiveness.csv");
        if ce.savi_draws().is_some() {
            files.push("savi/");
        }
    }
    if !output.areas.is_empty() {
        files.push("areas.csv");
    }
    if write_draws {
        files.push("draws.csv");
    }
    files.extend(["run.json", "results.xlsx", "charts/"]);
    if report {
        files.push("report.html");
    }
    // On lines of at most the table's width: the folder, then its files.
    println!("Results written to {}/:", out.display());
    for line in output::table::wrap(&files.join(", "), output::table::WIDTH - 2) {
        println!("  {line}");
    }
    if !write_detail {
        let note = format!(
            "(detail.csv left out: {} areas would give a row per area, future, year, band and level; add --detail to write it)",
            model.areas.len()
        );
        for line in output::table::wrap(&note, output::table::WIDTH) {
            println!("{line}");
        }
    }
    Ok(())
}
