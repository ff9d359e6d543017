//! `upstream run SCENARIO.toml`: run the do-nothing baseline and the scenarios,
//! write the results, print a summary.

use super::CliError;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};
use upstream::output::{self, RunMetadata, RunOptions, RunOutput};
use upstream::results::{Accounts, Comparison};

/// Run the do-nothing baseline and every scenario (or those named with
/// --scenario), write summary.csv, detail.csv and run.json into the output
/// folder, and print a summary table: people in each need level at the
/// horizon, acute and preventative spend, net saving against do-nothing
/// (discounted), return per £1 and break-even year.
///
/// The output folder is replaced whole, and only once the new run is
/// complete: a bad input or failed run leaves an earlier run untouched.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    /// The scenario file (TOML) to run.
    scenario: PathBuf,
    /// Folder for the results [default: out/<scenario file name without .toml>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only this scenario (repeat for several); the baseline always runs.
    #[arg(long = "scenario", value_name = "NAME")]
    scenarios: Vec<String>,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let started = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let model = upstream::scenario::load(&args.scenario)?;
    let futures = upstream::run::run_futures(&model, &args.scenarios)?;
    let accounts: Vec<Accounts> = futures.iter().map(Accounts::of).collect();
    let comparisons: Vec<Comparison> = futures[1..]
        .iter()
        .zip(&accounts[1..])
        .map(|(f, a)| Comparison::of(f.model, &accounts[0], a))
        .collect();
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .scenario
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("out").join(stem)
    });
    let output = RunOutput {
        model: &model,
        accounts,
        comparisons,
        metadata: RunMetadata {
            tool: "upstream",
            version: env!("CARGO_PKG_VERSION"),
            scenario_file: args.scenario.clone(),
            inputs: model.sources.clone(),
            model_name: model.name.clone(),
            start_year: model.start_year,
            horizon_years: model.horizon_years,
            steps_per_year: model.steps_per_year,
            currency: model.currency.clone(),
            price_base_year: model.price_base_year,
            discount_rate: model.discount_rate,
            futures: futures.iter().map(|f| f.name.clone()).collect(),
            options: RunOptions {
                scenarios: args.scenarios.clone(),
                out: out.clone(),
            },
            started_unix_seconds: started,
        },
    };
    output::write_run(&out, &output, &futures)
        .map_err(|e| CliError::Internal(format!("could not write the results to {}: {e}", out.display())))?;
    print!("{}", output::table::summary_table(&output));
    println!(
        "Results written to {}/ (summary.csv, detail.csv, run.json)",
        out.display()
    );
    Ok(())
}
