//! `upstream bench`: the reference workloads of the design, timed on this
//! machine and set beside their targets.

use super::CliError;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Time the reference workloads on this machine: the workshop run
/// (older-people, 1,000 draws, every future, statistics for every summary
/// row) and the reference run
/// (`upstream run bench-national.toml --draws 10000`, every output written,
/// as a user runs it), with the reference run's peak memory, and the same
/// with capacities (`bench-national-capacity.toml`) and with a level of
/// limited places (`bench-national-places.toml`) beside it, and the EVPPI
/// of ten single inputs over the draws of the same with quality weights
/// (`bench-national-outcomes.toml`). Prints each
/// figure as it is measured, beside the design's target. Writes nothing
/// that stays (the reference run's results go to a temporary folder).
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    /// The folder holding older-people.toml and bench-national.toml.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    dir: PathBuf,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// A quick look instead of the full measure: fewer repeats, and the
    /// reference run with 1,000 draws (its target is for 10,000).
    #[arg(long)]
    quick: bool,
}

/// The design's targets (DESIGN.md, "Performance").
const WORKSHOP_TARGET: Duration = Duration::from_millis(50);
const REFERENCE_TARGET: Duration = Duration::from_millis(750);
const MEMORY_TARGET_KIB: u64 = 1024 * 1024;
/// The reference run with capacities, against the run without (issue 21).
const CAPACITY_RATIO_TARGET: f64 = 1.3;

/// How the reference runs are timed: this program, in a child process, as
/// a user runs it, `runs` times, its results written to a temporary folder.
struct Reference<'a> {
    exe: &'a Path,
    draws: &'a str,
    threads: String,
    runs: usize,
}

impl Reference<'_> {
    /// The wall times of the runs of `path`, sorted.
    fn time(&self, path: &Path) -> Result<Vec<Duration>, CliError> {
        let out = std::env::temp_dir().join(format!("upstream-bench-{}", std::process::id()));
        let mut times = Vec::new();
        for _ in 0..self.runs {
            let started = Instant::now();
            let result = Command::new(self.exe)
                .arg("run")
                .arg(path)
                .args(["--draws", self.draws, "--threads", &self.threads, "--out"])
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output();
            let elapsed = started.elapsed();
            let _ = std::fs::remove_dir_all(&out);
            let result =
                result.map_err(|e| CliError::Internal(format!("could not start {}: {e}", self.exe.display())))?;
            if !result.status.success() {
                return Err(CliError::Internal(format!(
                    "the reference run of {} failed: {}",
                    path.display(),
                    String::from_utf8_lossy(&result.stderr).trim()
                )));
            }
            times.push(elapsed);
        }
        times.sort();
        Ok(times)
    }

    /// The times as the table shows them: the median and best of several.
    fn figure(&self, times: &[Duration]) -> String {
        if self.runs > 1 {
            format!(
                "{} wall (median of {}; best {})",
                duration(median(times)),
                self.runs,
                duration(times[0])
            )
        } else {
            format!("{} wall", duration(times[0]))
        }
    }
}

pub fn run(args: Args) -> Result<(), CliError> {
    let file = |name: &str| -> Result<PathBuf, CliError> {
        let path = args.dir.join(name);
        if path.is_file() {
            Ok(path)
        } else {
            Err(CliError::Invalid(format!(
                "{} not found: `upstream bench` times the bundled examples; run it from the project's folder, or give --dir with the folder holding older-people.toml and bench-national.toml",
                path.display()
            )))
        }
    };
    let (older_path, national_path) = (file("older-people.toml")?, file("bench-national.toml")?);
    let capacity_path = file("bench-national-capacity.toml")?;
    let places_path = file("bench-national-places.toml")?;
    let outcomes_path = file("bench-national-outcomes.toml")?;
    let older = upstream::scenario::load(&older_path)?.model;
    // (Checked here, so that a bad file is reported with its line.)
    upstream::scenario::load(&national_path)?;
    let (threads, pool) = super::worker_pool(args.threads)?;
    let (repeats, reference_draws) = if args.quick { (3, 1000) } else { (9, 10_000) };

    let build = if cfg!(debug_assertions) {
        "debug build: these figures are not the product's; use `cargo run --release -- bench`"
    } else {
        "release build"
    };
    println!(
        "upstream bench: {build}, {threads} worker threads, models from {}",
        args.dir.display()
    );
    println!();

    // The workshop run: compute only, in this process as the page's server
    // runs it, with statistics for every row (the page asks for fewer); the
    // first run not counted.
    let request = upstream::pipeline::Request {
        draws: 1000,
        seed: older.monte_carlo.seed,
        ..upstream::pipeline::Request::futures_only(Vec::new())
    };
    let run =
        upstream::pipeline::Run::new(&older, request).map_err(|e| CliError::Invalid(format!("older-people: {e}")))?;
    let whole = run.unit(None).map_err(CliError::Invalid)?;
    let workshop = || {
        pool.install(|| run.unit_statistics(whole, &|_| true, &|_| {}))
            .map(drop)
            .map_err(|e| CliError::Invalid(format!("older-people: {e}")))
    };
    workshop()?;
    let times = repeat(repeats, workshop)?;
    line(
        &format!(
            "workshop run: older-people, 1,000 draws, {} futures, statistics for every row",
            run.specs().len()
        ),
        &format!(
            "{} (median of {repeats}; best {})",
            duration(median(&times)),
            duration(times[0])
        ),
        Some((median(&times) <= WORKSHOP_TARGET, "≤ 50 ms")),
    );

    // The reference run, as a user runs it: this program in a child process,
    // its results written to a temporary folder.
    let exe =
        std::env::current_exe().map_err(|e| CliError::Internal(format!("cannot find this program to run it: {e}")))?;
    let draws = reference_draws.to_string();
    let runs = if args.quick { 1 } else { 3 };
    let reference = Reference {
        exe: &exe,
        draws: &draws,
        threads: threads.to_string(),
        runs,
    };
    let times = reference.time(&national_path)?;
    let full = reference_draws == 10_000;
    line(
        &format!(
            "reference run: upstream run {} --draws {draws}, every output written",
            short_name(&national_path)
        ),
        &reference.figure(&times),
        full.then(|| (median(&times) <= REFERENCE_TARGET, "≤ 0.75 s")),
    );
    // The same with three capacities (waiting, diversion, feedback): the
    // supply side's cost.
    let with_capacities = reference.time(&capacity_path)?;
    let ratio = median(&with_capacities).as_secs_f64() / median(&times).as_secs_f64();
    line(
        &format!(
            "  with capacities: upstream run {} --draws {draws}",
            short_name(&capacity_path)
        ),
        &format!("{} ({ratio:.2}× without)", reference.figure(&with_capacities)),
        Some((ratio <= CAPACITY_RATIO_TARGET, "≤ 1.3× without")),
    );
    match children_peak_kib() {
        Some(kib) => line(
            "reference run, peak memory",
            &format!("{} MiB", kib / 1024),
            full.then_some((kib <= MEMORY_TARGET_KIB, "≤ 1 GiB")),
        ),
        None => line("reference run, peak memory", "not measured on this system", None),
    }
    // The same with a level of limited places (no target is set for it;
    // after the peak memory, which is the reference run's).
    let with_places = reference.time(&places_path)?;
    let ratio = median(&with_places).as_secs_f64() / median(&times).as_secs_f64();
    line(
        &format!(
            "reference run with places: upstream run {} --draws {draws}",
            short_name(&places_path)
        ),
        &format!("{} ({ratio:.2}× without)", reference.figure(&with_places)),
        None,
    );
    // EVPPI of single inputs over the reference run's draws (issue 25): the
    // regressions alone, after the draws and their analysis.
    let (evppi_times, evppi_draws) = time_evppi(&outcomes_path, reference_draws, &pool, repeats)?;
    line(
        &format!(
            "EVPPI: {EVPPI_INPUTS} single inputs over {evppi_draws} draws of {}, at £20,000 and £30,000 a QALY",
            short_name(&outcomes_path)
        ),
        &format!(
            "{} (median of {repeats}; best {})",
            duration(median(&evppi_times)),
            duration(evppi_times[0])
        ),
        full.then(|| (median(&evppi_times) < EVPPI_TARGET, "< 2 s")),
    );
    if !full {
        println!();
        println!("(--quick: the targets are for 10,000 draws; run `upstream bench` for the full measure)");
    }
    println!();
    println!("The NumPy peer's comparison needs Python: benches/compare.sh. Targets: DESIGN.md, \"Performance\".");
    Ok(())
}

/// How many inputs' EVPPI is timed, and the target for them over 10,000
/// draws of the reference workload (issue 25).
const EVPPI_INPUTS: usize = 10;
const EVPPI_TARGET: Duration = Duration::from_secs(2);

/// The reference workload with quality weights (`path`), `draws` draws and
/// their cost-effectiveness analysis (not timed), then the EVPPI of its
/// first [`EVPPI_INPUTS`] uncertain inputs, one at a time, at the default
/// thresholds, timed `repeats` times: the sorted times and the draws used.
fn time_evppi(
    path: &Path,
    draws: u32,
    pool: &rayon::ThreadPool,
    repeats: usize,
) -> Result<(Vec<Duration>, u32), CliError> {
    let model = upstream::scenario::load(path)?.model;
    let invalid = |e: &dyn std::fmt::Display| CliError::Invalid(format!("{}: {e}", short_name(path)));
    let request = upstream::pipeline::Request {
        draws,
        seed: model.monte_carlo.seed,
        ..upstream::pipeline::Request::futures_only(Vec::new())
    };
    let run = upstream::pipeline::Run::new(&model, request).map_err(|e| invalid(&e))?;
    let raw = pool
        .install(|| run.draw(upstream::montecarlo::draw_range(draws, 1, 1), &|_| {}))
        .map_err(|e| invalid(&e))?;
    let results = run.finish(Some(raw)).map_err(|e| invalid(&e))?;
    let under_draws = (results.cost_effectiveness.as_ref())
        .and_then(|ce| ce.draws.as_ref())
        .ok_or_else(|| invalid(&"no cost-effectiveness analysis under draws (the file needs [outcomes])"))?;
    let names: Vec<&str> = (under_draws.parameters.names().iter())
        .take(EVPPI_INPUTS)
        .map(String::as_str)
        .collect();
    let thresholds = upstream::economics::DEFAULT_THRESHOLDS;
    let times = repeat(repeats, || {
        for name in &names {
            upstream::economics::evppi(&under_draws.psa, &under_draws.parameters, &[name], &thresholds)
                .map_err(|e| invalid(&e))?;
        }
        Ok(())
    })?;
    Ok((times, draws))
}

/// `n` timed calls of `f`, sorted.
fn repeat(n: usize, mut f: impl FnMut() -> Result<(), CliError>) -> Result<Vec<Duration>, CliError> {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        f()?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

/// The middle of sorted `times`.
fn median(times: &[Duration]) -> Duration {
    times[times.len() / 2]
}

/// A duration in the unit that reads best: µs, ms or s, three figures.
fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn short_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// One figure: what was measured, the figure, and the target if it has one.
fn line(what: &str, figure: &str, target: Option<(bool, &str)>) {
    let verdict = match target {
        Some((true, t)) => format!("   target {t}: met"),
        Some((false, t)) => format!("   target {t}: NOT met"),
        None => String::new(),
    };
    println!("  {what}\n      {figure}{verdict}");
}

/// The largest peak memory (resident set) of this process's finished
/// children, in KiB.
#[cfg(unix)]
fn children_peak_kib() -> Option<u64> {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) } == 0;
    // Linux reports kilobytes; macOS reports bytes.
    let kib = if cfg!(target_os = "macos") {
        usage.ru_maxrss as u64 / 1024
    } else {
        usage.ru_maxrss as u64
    };
    (ok && kib > 0).then_some(kib)
}

#[cfg(not(unix))]
fn children_peak_kib() -> Option<u64> {
    None
}
