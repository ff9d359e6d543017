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
    let loaded = upstream::scenario::load(&args.scenario)?;
    let model = &loaded.model;
    super::print_warnings(&loaded);
    // Every future `upstream run` would simulate at the inputs' means, in
    // every area, the cost table's leave-one-out futures included.
    let request = upstream::pipeline::Request {
        costs: true,
        ..upstream::pipeline::Request::futures_only(Vec::new())
    };
    upstream::pipeline::Run::new(model, request)
        .map_err(|e| CliError::Invalid(format!("{}: {e}", args.scenario.display())))?;
    let tables = loaded
        .sources
        .iter()
        .filter(|s| s.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .count();
    let mut parts = vec![
        format!(
            "{} × {}",
            count(model.bands.len(), "band"),
            count(model.levels.len(), "level")
        ),
        count(model.services.len(), "service"),
        count(model.interventions.len(), "intervention"),
        format!("{} (+ do-nothing)", count(model.scenarios.len(), "scenario")),
        format!(
            "{}–{} at {} a year",
            model.start_year,
            model.end_year(),
            count(model.steps_per_year as usize, "step")
        ),
    ];
    if tables > 0 {
        parts.push(count(tables, "CSV table"));
    }
    println!(
        "ok: {}: \"{}\", {}",
        args.scenario.display(),
        model.name,
        parts.join(", ")
    );
    Ok(())
}

/// `1 band`, `2 bands`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}
