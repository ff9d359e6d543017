//! `upstream check SCENARIO.toml`: validate a scenario file without writing anything.

use super::CliError;
use std::path::PathBuf;

/// Check a scenario file: parse and validate it (and the CSV tables it points
/// at), then simulate every future in memory to catch models that cannot run.
/// Writes nothing. Prints a one-line summary of the model and exits 0, or
/// prints every problem found (file and line, what is wrong, what is valid)
/// and exits 1.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    /// The scenario file (TOML) to check.
    scenario: PathBuf,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let model = upstream::scenario::load(&args.scenario)?;
    upstream::run::run_futures(&model, &[])?;
    let tables = model.sources.len() - 1;
    println!(
        "ok: {}: \"{}\", {} bands × {} levels, {} services, {} interventions, {} scenarios (+ do-nothing), {}–{} at {} step{} a year{}",
        args.scenario.display(),
        model.name,
        model.bands.len(),
        model.levels.len(),
        model.services.len(),
        model.interventions.len(),
        model.scenarios.len(),
        model.start_year,
        model.end_year(),
        model.steps_per_year,
        if model.steps_per_year == 1 { "" } else { "s" },
        if tables > 0 {
            format!(", {tables} CSV table{}", if tables == 1 { "" } else { "s" })
        } else {
            String::new()
        }
    );
    Ok(())
}
