//! `upstream merge PART...`: join the parts of a run split with `--shard`
//! into exactly the results of the run made in one go.

use super::CliError;
use super::run::{Args, Mode, execute};
use std::path::PathBuf;

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
    let (first, raw) = upstream::pipeline::shard::read_parts(&args.parts).map_err(CliError::Invalid)?;
    let scenario_file = first.scenario_file.clone();
    let options = first.options.clone();
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
            per_person: false,
        },
        Mode::Merge(raw),
    )
}
