//! `upstream serve SCENARIO.toml`: the workshop page.

use super::CliError;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Start the workshop page: a local web server showing the scenarios side by
/// side with the report's charts and headline, with a slider for each
/// intervention's reach, effects, cost, start year and ramp, switches to
/// turn interventions on and off, "What if…" copies, and "Save as" to a new
/// scenario file. Every change re-runs the model. Open the address it
/// prints; Ctrl-C stops it.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, value_name = "P", default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Anything but loopback lets other machines on the network drive the page, and then the page needs the access token printed at start.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// A host name or address other machines use to reach the page (e.g. the machine's name on the network); repeat for several. The page answers to loopback, the --host address and these names only.
    #[arg(long, value_name = "NAME", value_parser = parse_host_name)]
    allow_host: Vec<String>,
    /// Let "Save as" replace the scenario file itself or another of its input files (by default it refuses, whatever the page asks).
    #[arg(long)]
    overwrite_original: bool,
    /// Monte Carlo draws the page starts with (it can change them).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    draws: u32,
    /// Folder "Save as" writes into [default: the scenario file's folder]
    #[arg(long, value_name = "DIR")]
    save_dir: Option<PathBuf>,
}

/// A host name as browsers send it: letters, digits, `-` and `.`, or an
/// IPv6 address, with no port.
fn parse_host_name(text: &str) -> Result<String, String> {
    let name = text.trim().to_ascii_lowercase();
    let plain = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
    if plain || name.parse::<std::net::Ipv6Addr>().is_ok() {
        Ok(name)
    } else {
        Err(format!(
            "`{}` is not a host name (letters, digits, - and ., e.g. workshop-pc.local or 192.168.1.20; no port or scheme)",
            text.escape_debug()
        ))
    }
}

pub fn run(args: Args) -> Result<(), CliError> {
    if args.draws > upstream::serve::edit::MAX_DRAWS {
        return Err(CliError::Invalid(format!(
            "--draws {} is more than a workshop re-run allows ({})",
            args.draws,
            upstream::serve::edit::MAX_DRAWS
        )));
    }
    let mut app = upstream::serve::App::load(&args.scenario, args.save_dir.clone()).map_err(CliError::Invalid)?;
    super::print_warnings(&app.loaded);
    app.draws = args.draws;
    app.overwrite_original = args.overwrite_original;
    let loopback = args.host.is_loopback();
    // Beyond loopback every request needs the token in the printed address.
    let token = (!loopback).then(upstream::serve::App::new_token);
    app.token = token.clone();
    let save_dir = app.save_dir.clone();
    let running = upstream::serve::start(app, SocketAddr::new(args.host, args.port), &args.allow_host, true)
        .map_err(|e| CliError::Invalid(format!("could not listen on {}:{}: {e}", args.host, args.port)))?;
    let port = running.addr.port();
    let query = token.as_ref().map_or(String::new(), |t| format!("?token={t}"));
    let shown = if loopback || args.host.is_unspecified() {
        format!("http://127.0.0.1:{port}/{query}")
    } else {
        format!("http://{}/{query}", running.addr)
    };
    if !loopback {
        eprintln!(
            "warning: listening on {}; anyone who has the address below, with its token, can use the page and save files into {}",
            args.host,
            save_dir.display()
        );
        let mut names: Vec<String> = args
            .allow_host
            .iter()
            .map(|h| format!("http://{h}:{port}/{query}"))
            .collect();
        if !args.host.is_unspecified() {
            names.insert(0, shown.clone());
        }
        if names.is_empty() {
            eprintln!(
                "listening on every network interface, but answering only to loopback names: add --allow-host NAME for each name or address other machines use to reach this one"
            );
        } else {
            eprintln!("other machines open: {}", names.join("  or  "));
        }
    }
    println!(
        "Workshop page: {shown}  (Ctrl-C to stop; Save as writes into {})",
        save_dir.display()
    );
    running
        .wait()
        .map_err(|e| CliError::Internal(format!("the server stopped: {e}")))
}
