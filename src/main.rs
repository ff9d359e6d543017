//! The `upstream` command: parses arguments, runs a subcommand, reports
//! errors. Exit codes: 0 success, 1 bad input, 2 internal error.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}
