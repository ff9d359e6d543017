//! `upstream serve SCENARIO.toml`: the workshop page.

use super::CliError;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
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
    /// Address to listen on. Anything but loopback lets other machines on the network drive the page.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Monte Carlo draws the page starts with (it can change them).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    draws: u32,
    /// Folder "Save as" writes into [default: the scenario file's folder]
    #[arg(long, value_name = "DIR")]
    save_dir: Option<PathBuf>,
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
    super::print_warnings(&app.model);
    super::refuse_areas(&app.model, &args.scenario)?;
    app.draws = args.draws;
    let loopback = args.host.is_loopback();
    let extra = (!loopback || args.host != IpAddr::V4(Ipv4Addr::LOCALHOST)).then(|| args.host.to_string());
    let extra = extra.map(|h| if h.contains(':') { format!("[{h}]") } else { h });
    let save_dir = app.save_dir.clone();
    let running = upstream::serve::start(app, SocketAddr::new(args.host, args.port), extra.as_deref(), true)
        .map_err(|e| CliError::Invalid(format!("could not listen on {}:{}: {e}", args.host, args.port)))?;
    if !loopback {
        eprintln!(
            "warning: listening on {} — anyone who can reach this machine on port {} can use the page and save files into {}",
            args.host,
            running.addr.port(),
            save_dir.display()
        );
    }
    let shown = if loopback || args.host.is_unspecified() {
        format!("http://127.0.0.1:{}/", running.addr.port())
    } else {
        format!("http://{}/", running.addr)
    };
    if args.host.is_unspecified() {
        eprintln!(
            "listening on every network interface: other machines use this machine's address with port {}",
            running.addr.port()
        );
    }
    println!(
        "Workshop page: {shown}  (Ctrl-C to stop; Save as writes into {})",
        save_dir.display()
    );
    running
        .wait()
        .map_err(|e| CliError::Internal(format!("the server stopped: {e}")))
}
