//! Command-line interface: one file per subcommand.

mod analysis;
mod bench;
mod check;
mod evidence;
mod goal_seek;
mod maturity;
mod merge;
mod new;
mod progress;
mod run;
mod sensitivity;
mod serve;

use clap::{Parser, Subcommand};
use std::fmt;
use upstream::error::InputErrors;

/// Whole-system stock-and-flow modelling: what happens to need and spend if we
/// invest upstream (prevention) instead of doing nothing — who pays, who saves,
/// and when.
#[derive(Debug, Parser)]
#[command(name = "upstream", version, about, long_about = None)]
#[command(
    after_help = "Exit codes: 0 success, 1 bad input (the message names the file and line), 2 internal error.\n\
Scenario file reference: docs/scenario-file.md; output columns: README.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(run::Args),
    Check(check::Args),
    New(new::Args),
    Sensitivity(sensitivity::SensitivityArgs),
    GoalSeek(goal_seek::GoalSeekArgs),
    Pathways(evidence::PathwaysArgs),
    Merge(merge::MergeArgs),
    Maturity(maturity::Args),
    Serve(serve::Args),
    Bench(bench::Args),
}

pub fn main() -> Result<(), CliError> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                        Err(CliError::Usage(String::new()))
                    } else {
                        Ok(())
                    }
                }
                _ => Err(CliError::Usage(e.render().to_string())),
            };
        }
    };
    if matches!(
        cli.command,
        Command::Run(_) | Command::Sensitivity(_) | Command::Pathways(_) | Command::Merge(_) | Command::Maturity(_)
    ) {
        // Ctrl-C, SIGTERM or SIGHUP: remove the half-written results folder,
        // keep any earlier one.
        let _ = ctrlc::set_handler(|| {
            upstream::output::interrupted();
            eprintln!("interrupted: nothing was written, and earlier results are as they were");
            std::process::exit(130);
        });
    }
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::New(args) => new::run(args),
        Command::Sensitivity(args) => sensitivity::run(args),
        Command::GoalSeek(args) => goal_seek::run(args),
        Command::Pathways(args) => evidence::pathways(args),
        Command::Merge(args) => merge::merge(args),
        Command::Maturity(args) => maturity::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Bench(args) => bench::run(args),
    }
}

/// What went wrong, and so the exit code.
#[derive(Debug)]
pub enum CliError {
    /// The command line itself was wrong (message already formatted by clap).
    Usage(String),
    /// The inputs are wrong: every problem found.
    Input(InputErrors),
    /// Something the user can fix that is not one file position (e.g. an
    /// unknown scenario name, or a model that cannot be simulated).
    Invalid(String),
    /// Our fault or the machine's (e.g. the output folder cannot be written).
    Internal(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Input(_) | CliError::Invalid(_) => 1,
            CliError::Internal(_) => 2,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) => write!(f, "{}", m.trim_end()),
            CliError::Input(errors) => {
                let n = errors.count();
                writeln!(f, "error: the input has {n} problem{}:", if n == 1 { "" } else { "s" })?;
                write!(f, "{errors}")
            }
            CliError::Invalid(m) => write!(f, "error: {}", upstream::error::short_numbers(m.clone())),
            CliError::Internal(m) => write!(f, "internal error: {}", upstream::error::short_numbers(m.clone())),
        }
    }
}

impl From<InputErrors> for CliError {
    fn from(e: InputErrors) -> Self {
        CliError::Input(e)
    }
}

impl From<upstream::run::RunError> for CliError {
    fn from(e: upstream::run::RunError) -> Self {
        CliError::Invalid(e.to_string())
    }
}

/// What a run needs besides its draws' values (the model, its futures, the
/// output being written), in bytes.
const RUN_OVERHEAD: u64 = 64 * 1024 * 1024;

/// Refuses, before any work, a Monte Carlo run whose per-draw values (every
/// summary row in single precision, plus `per_draw_numbers` doubles: the
/// sampled inputs and headline figures) would not fit in the memory it may
/// take with `threads` workers: the least of the free memory, the address
/// space left under `ulimit -v` and the room under the container's (cgroup)
/// limit. The message gives the estimate, names the limit and says how many
/// draws would fit.
pub(crate) fn check_memory(rows: u64, per_draw_numbers: usize, draws: u32, threads: usize) -> Result<(), CliError> {
    let per_draw = rows * 4 + per_draw_numbers as u64 * 8 + 64;
    let needed = per_draw * u64::from(draws) + RUN_OVERHEAD;
    let Some(room) = upstream::memory::room(threads) else {
        return Ok(());
    };
    // A fifth kept back: estimates are estimates, and the system needs some.
    let usable = room.bytes / 10 * 8;
    if needed <= usable {
        return Ok(());
    }
    let fits = usable.saturating_sub(RUN_OVERHEAD) / per_draw;
    let gib = |b: u64| b as f64 / (1024.0 * 1024.0 * 1024.0);
    let has = match room.limit {
        upstream::memory::Limit::FreeMemory => format!("this machine has {:.1} GiB of free memory", gib(room.bytes)),
        limit => format!("{limit} leaves {:.1} GiB", gib(room.bytes)),
    };
    let advice = if fits == 0 {
        "too little for one draw; run fewer scenarios with --scenario, or with more memory".to_string()
    } else {
        format!("run at most {fits} draws, or fewer scenarios with --scenario")
    };
    Err(CliError::Invalid(format!(
        "{draws} draws would need about {:.1} GiB ({rows} summary rows per draw), and {has}; {advice}",
        gib(needed)
    )))
}

/// The worker threads of a run: `threads`, or one per core.
fn worker_pool(threads: Option<u16>) -> Result<(usize, rayon::ThreadPool), CliError> {
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map(|pool| (threads, pool))
        .map_err(|e| CliError::Internal(format!("could not start {threads} worker threads: {e}")))
}

/// A results folder that could not be written: an `--out` refused as not
/// a results folder is the user's to fix (exit 1), anything else is the
/// machine's (exit 2).
pub(crate) fn write_failed(out: &std::path::Path, e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::InvalidInput {
        CliError::Invalid(e.to_string())
    } else {
        CliError::Internal(format!("could not write the results into {}: {e}", out.display()))
    }
}

/// Prints the model's warnings (allowed, but worth a look) on stderr.
pub fn print_warnings(loaded: &upstream::scenario::Loaded) {
    for w in &loaded.warnings {
        eprintln!("warning: {w}");
    }
}
