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
    #[arg(long, value_name = "RUN.JSON", conflicts_with_all = ["scenario", "scenarios", "draws", "seed", "draws_csv", "report", "attribute", "shard"])]
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
    /// With [areas]: write detail.csv even when there are more than 10 areas
    /// (it has a row per area, future, year, band and level).
    #[arg(long)]
    detail: bool,
    /// Run only shard I of N of the draws (e.g. 3/8) and write a part into
    /// --out, to be joined with the other parts by `upstream merge` into
    /// exactly the result of the whole run (see README, "Scale-out").
    #[arg(long, value_name = "I/N", conflicts_with_all = ["report", "draws_csv"])]
    shard: Option<String>,
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
    #[serde(default)]
    detail: bool,
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
    // Every file the model reads now must be one the run recorded, with
    // its hash: an edited run.json cannot skip the check.
    let model = upstream::scenario::load(&recorded.scenario_file)?;
    let mut read_now: Vec<&std::path::Path> = vec![&recorded.scenario_file];
    read_now.extend(model.sources.iter().map(|s| s.path.as_path()));
    for file in read_now {
        if !recorded.inputs.iter().any(|i| i.path == file) {
            return Err(CliError::Invalid(format!(
                "{}: the run's inputs do not list {} with its SHA-256, so a replay cannot check it; the file was edited or damaged: run the scenario file again instead",
                path.display(),
                file.display()
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
        shard: None,
        detail: o.detail,
    })
}

/// Up to this many areas, every metric gets statistics in every area and
/// detail.csv is written; beyond, an area's statistics are its whole-horizon
/// metrics (roll-ups always get every metric's) and detail.csv is written
/// on request (`--detail`), so memory and files stay bounded.
const FULL_AREA_STATISTICS: usize = 10;

/// What a run does with its draws.
enum Mode {
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

fn execute(args: Args, mode: Mode) -> Result<(), CliError> {
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
    let model = upstream::scenario::load(&scenario)?;
    upstream::timing::mark("load");
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
    // With many areas detail.csv is large (a row per area, future, year,
    // band and level): written on request only, and then the areas'
    // trajectories are kept for it.
    let write_detail = model.areas.len() <= FULL_AREA_STATISTICS || args.detail;
    let run_error = |e| CliError::Invalid(format!("{}: {e}", scenario.display()));
    // With areas: area by area, each one's futures, accounts and leave-one-out
    // accounts; the whole model's accounts are their sums.
    let mut area_futures: Vec<Vec<upstream::run::Future>> = Vec::new();
    let mut area_specs: Vec<Vec<FutureSpec>> = Vec::new();
    let mut per_area: Vec<Vec<upstream::results::Accounts>> = Vec::new();
    let mut area_extra_sums: Vec<upstream::results::Accounts> = Vec::new();
    for area in &model.areas {
        let fs = upstream::run::run_futures(&area.model, &args.scenarios).map_err(|e| match e {
            upstream::run::RunError::Engine { future, source } => engine_error(upstream::run::RunError::Engine {
                future: format!("area `{}`, {future}", area.code),
                source,
            }),
            other => engine_error(other),
        })?;
        per_area.push(upstream::results::account_futures(&fs).0);
        let specs: Vec<FutureSpec> = fs.iter().map(FutureSpec::from).collect();
        let (area_extra, _) = costs::attributions(&specs);
        let extra_accounts = costs::account_extra(&fs[0], &area_extra).map_err(run_error)?;
        area_extra_sums.resize_with(extra_accounts.len(), Default::default);
        for (sum, a) in area_extra_sums.iter_mut().zip(&extra_accounts) {
            sum.add(a);
        }
        area_specs.push(specs);
        if write_detail {
            area_futures.push(fs);
        }
    }
    let futures = if model.areas.is_empty() {
        upstream::run::run_futures(&model, &args.scenarios).map_err(engine_error)?
    } else {
        Vec::new()
    };
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
    let specs: Vec<FutureSpec> = if units.is_empty() {
        futures.iter().map(FutureSpec::from).collect()
    } else {
        area_specs[0].clone()
    };
    let (extra, pairs) = costs::attributions(&specs);
    let central = {
        let mut all: Vec<upstream::results::Accounts> = accounts.clone();
        if units.is_empty() {
            all.extend(costs::account_extra(&futures[0], &extra).map_err(run_error)?);
        } else {
            all.extend(area_extra_sums);
        }
        costs::values_of(&model, &pairs, &all)
    };
    // Pairs drawn: every one with --attribute, else those against do-nothing
    // (none with areas: their intervention figures are at the means).
    let with_areas = !units.is_empty();
    if with_areas && args.attribute && draws > 0 {
        eprintln!(
            "warning: --attribute is not used with [areas]: an intervention's figures within a package are at the inputs' means"
        );
    }
    // With areas, the pairs against do-nothing are drawn from the whole
    // model's per-draw sums; leave-one-out futures are not run per area.
    let drawn = |p: &costs::Attribution| p.without == 0 || (args.attribute && !with_areas);
    let drawn_pairs: Vec<costs::Attribution> = pairs.iter().filter(|p| drawn(p)).cloned().collect();

    if draws > 0 {
        // Values kept per draw: every row of each roll-up (or of the model),
        // and an area's rows (only its whole-horizon ones beyond 10 areas).
        let (mut rows, mut horizon_rows) = (0u64, 0u64);
        upstream::results::rows::visit_summary(&model, &accounts, &comparisons, &mut |_, year, _, _| {
            rows += 1;
            horizon_rows += u64::from(year.is_none());
        });
        let areas = model.areas.len() as u64;
        let per_draw = if units.is_empty() {
            rows
        } else {
            let area_rows = if model.areas.len() <= FULL_AREA_STATISTICS {
                rows
            } else {
                horizon_rows
            };
            rows * (units.len() as u64 - areas) + area_rows * areas
        };
        // A shard keeps only its own draws.
        let kept = match &mode {
            Mode::Shard { shard, shards } => montecarlo::draw_range(draws, *shard, *shards).len() as u32,
            _ => draws,
        };
        super::check_memory(per_draw, model.uncertain.len() + 3 * comparisons.len(), kept, threads)?;
    }
    upstream::timing::mark("deterministic futures");
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
    // A roll-up gets statistics for every row, an area for its yearly rows
    // too only up to 10 areas.
    let every_row = |u: usize, (_, year, _): &montecarlo::RowKey| {
        let (label, members) = &units[u];
        let single = members.len() == 1 && model.areas[members[0]].code == *label;
        !single || model.areas.len() <= FULL_AREA_STATISTICS || year.is_none()
    };
    let draw = |range: std::ops::Range<usize>| -> Result<montecarlo::Raw, CliError> {
        bar.set_length(range.len() as u64);
        let raw = if with_areas {
            bar.set_message(format!("{} areas × {} futures", model.areas.len(), specs.len()));
            pool.install(|| {
                let figures =
                    |accounts: &[upstream::results::Accounts]| costs::values_of(&model, &drawn_pairs, accounts);
                let extra = montecarlo::Extra {
                    reported: area_specs[0].len(),
                    figures: &figures,
                    keep_parameters: args.draws_csv || matches!(mode, Mode::Shard { .. }),
                };
                montecarlo::Request {
                    range,
                    rows: montecarlo::Rows::Chosen(&every_row),
                    extra: Some(&extra),
                    progress: &progress,
                    ..montecarlo::Request::new(
                        montecarlo::Futures::Areas {
                            areas: &area_specs,
                            units: &units,
                        },
                        &options,
                    )
                }
                .draw(&model)
            })
        } else {
            let reported = specs.len();
            let mut specs = specs.clone();
            if args.attribute {
                specs.extend(extra.iter().cloned());
            }
            bar.set_message(format!("{} futures", specs.len()));
            let figures = |accounts: &[upstream::results::Accounts]| costs::values_of(&model, &drawn_pairs, accounts);
            let work = montecarlo::Extra {
                reported,
                figures: &figures,
                // A shard keeps them: the merge may be asked for draws.csv.
                keep_parameters: args.draws_csv || matches!(mode, Mode::Shard { .. }),
            };
            let request = montecarlo::Request {
                range,
                extra: Some(&work),
                progress: &progress,
                ..montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
            };
            pool.install(|| request.draw(&model))
        }
        .map_err(draw_error)?;
        bar.finish_and_clear();
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
            let part = Part {
                tool: "upstream".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                scenario_file: scenario.clone(),
                inputs: model.sources.clone(),
                shard,
                shards,
                first_draw: first as u64,
                draws_in_part: (last - first) as u64,
                options: PartOptions {
                    scenarios: args.scenarios.clone(),
                    draws,
                    seed,
                    attribute: args.attribute,
                },
            };
            output::replace_dir(&out, |staging| {
                raw.write(&staging.join("draws.bin"))?;
                let json = serde_json::to_string_pretty(&part).map_err(std::io::Error::other)?;
                std::fs::write(staging.join("part.json"), json + "\n")
            })
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
    let summaries: Vec<montecarlo::Summary> = match raw {
        None => Vec::new(),
        Some(raw) => {
            if raw.draws() != draws as usize {
                return Err(CliError::Invalid(format!(
                    "the parts hold {} draws, not the {draws} they were made for",
                    raw.draws()
                )));
            }
            let reported: &[FutureSpec] = if with_areas { &area_specs[0] } else { &specs };
            pool.install(|| montecarlo::statistics(&model, reported, &options, raw))
        }
    };
    upstream::timing::mark("statistics");
    let mut unit_summaries: Vec<Option<montecarlo::Summary>> = vec![None; units.len()];
    let monte_carlo = if with_areas {
        if !summaries.is_empty() {
            unit_summaries = summaries.into_iter().map(Some).collect();
        }
        unit_summaries.last().cloned().flatten()
    } else {
        summaries.into_iter().next()
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
            futures: specs.iter().map(|f| f.name.clone()).collect(),
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
                detail: args.detail,
            },
            started_unix_seconds: started,
        },
    };
    let detail: Vec<(Option<&str>, &[upstream::run::Future])> = if !write_detail {
        Vec::new()
    } else if model.areas.is_empty() {
        vec![(None, &futures[..])]
    } else {
        model
            .areas
            .iter()
            .zip(&area_futures)
            .map(|(a, fs)| (Some(a.code.as_str()), &fs[..]))
            .collect()
    };
    output::write_run(&out, &output, &detail).map_err(|e| super::write_failed(&out, e))?;
    upstream::timing::mark("outputs written");
    print!("{}", output::table::summary_table(&output));
    let mut files = vec!["summary.csv"];
    if write_detail {
        files.push("detail.csv");
    }
    files.push("interventions.csv");
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
    if !write_detail {
        println!(
            "(detail.csv left out: {} areas would give a row per area, future, year, band and level; add --detail to write it)",
            model.areas.len()
        );
    }
    Ok(())
}

/// `part.json`: what a shard was made from, for `upstream merge` to check.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Part {
    tool: String,
    version: String,
    scenario_file: PathBuf,
    inputs: Vec<upstream::model::SourceFile>,
    shard: u32,
    shards: u32,
    first_draw: u64,
    draws_in_part: u64,
    options: PartOptions,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Clone)]
struct PartOptions {
    scenarios: Vec<String>,
    draws: u32,
    seed: u64,
    attribute: bool,
}

/// Join the parts made by `upstream run ... --shard I/N` (one folder per
/// shard, in any order) into exactly the results the whole run would write:
/// the same summary.csv byte for byte. Refuses parts made from different
/// inputs or options, a missing or repeated shard, and input files that
/// have changed since.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct MergeArgs {
    /// The part folders (each with part.json and draws.bin).
    #[arg(required = true, value_name = "PART")]
    parts: Vec<PathBuf>,
    /// Folder for the results [default: out/<scenario file name without .toml>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also write draws.csv.
    #[arg(long)]
    draws_csv: bool,
    /// Also write report.html.
    #[arg(long)]
    report: bool,
    /// With [areas]: write detail.csv even with more than 10 areas.
    #[arg(long)]
    detail: bool,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
}

pub fn merge(args: MergeArgs) -> Result<(), CliError> {
    let mut parts: Vec<(Part, montecarlo::Raw)> = Vec::new();
    for dir in &args.parts {
        let meta = dir.join("part.json");
        let text = std::fs::read_to_string(&meta).map_err(|e| {
            CliError::Invalid(format!(
                "{}: cannot read it ({e}); give the folders `upstream run --shard` wrote",
                meta.display()
            ))
        })?;
        let part: Part = serde_json::from_str(&text).map_err(|e| {
            CliError::Invalid(format!(
                "{}: not a part.json written by `upstream run --shard` ({e})",
                meta.display()
            ))
        })?;
        let raw = montecarlo::Raw::read(&dir.join("draws.bin"))
            .map_err(|e| CliError::Invalid(format!("{}: {e}", dir.join("draws.bin").display())))?;
        if raw.first_draw != part.first_draw || raw.draws() as u64 != part.draws_in_part {
            return Err(CliError::Invalid(format!(
                "{}: draws.bin does not hold the draws part.json says",
                dir.display()
            )));
        }
        parts.push((part, raw));
    }
    let first = &parts[0].0;
    for (p, _) in &parts[1..] {
        let same = p.tool == first.tool
            && p.version == first.version
            && p.scenario_file == first.scenario_file
            && p.inputs == first.inputs
            && p.options == first.options
            && p.shards == first.shards;
        if !same {
            return Err(CliError::Invalid(format!(
                "shard {} and shard {} were made from different inputs, options or versions of upstream; merge only the parts of one run",
                first.shard, p.shard
            )));
        }
    }
    let mut seen: Vec<u32> = parts.iter().map(|(p, _)| p.shard).collect();
    seen.sort_unstable();
    let expected: Vec<u32> = (1..=first.shards).collect();
    if seen != expected {
        let missing: Vec<String> = expected
            .iter()
            .filter(|s| !seen.contains(s))
            .map(|s| s.to_string())
            .collect();
        let mut repeated: Vec<String> = seen
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0].to_string())
            .collect();
        repeated.dedup();
        return Err(CliError::Invalid(format!(
            "the parts are not shards 1 to {} once each (missing: {}; repeated: {})",
            first.shards,
            if missing.is_empty() {
                "none".into()
            } else {
                missing.join(", ")
            },
            if repeated.is_empty() {
                "none".into()
            } else {
                repeated.join(", ")
            }
        )));
    }
    if first.version != env!("CARGO_PKG_VERSION") {
        return Err(CliError::Invalid(format!(
            "the parts were made with upstream {}, this is {}; merge with the same version",
            first.version,
            env!("CARGO_PKG_VERSION")
        )));
    }
    for input in &first.inputs {
        let bytes = std::fs::read(&input.path).map_err(|e| {
            CliError::Invalid(format!(
                "the parts read {}, which cannot be read now ({e}); merge from the folder the parts were made in",
                input.path.display()
            ))
        })?;
        let now = upstream::scenario::sha256_hex(&bytes);
        if now != input.sha256 {
            return Err(CliError::Invalid(format!(
                "{} has changed since the parts were made (SHA-256 then {}, now {now}); make the parts again",
                input.path.display(),
                input.sha256
            )));
        }
    }
    let scenario_file = first.scenario_file.clone();
    let options = first.options.clone();
    let raw = montecarlo::Raw::join(parts.into_iter().map(|(_, r)| r).collect()).map_err(CliError::Invalid)?;
    execute(
        Args {
            scenario: Some(scenario_file),
            replay: None,
            out: args.out,
            scenarios: options.scenarios,
            draws: Some(options.draws),
            seed: Some(options.seed),
            threads: args.threads,
            draws_csv: args.draws_csv,
            attribute: options.attribute,
            report: args.report,
            shard: None,
            detail: args.detail,
        },
        Mode::Merge(raw),
    )
}
