//! Writing a run: tidy CSV, run metadata and the terminal summary. Outputs
//! read only results.

pub mod csv_files;
pub mod table;

use crate::charts::{Chart, Figures};
use crate::model::Model;
use crate::results::{Accounts, Comparison};
use serde::Serialize;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Everything a run produced, ready to write.
pub struct RunOutput<'a> {
    pub model: &'a Model,
    pub accounts: Vec<Accounts>,
    /// One per scenario after the baseline (same order as `accounts[1..]`).
    pub comparisons: Vec<Comparison>,
    /// Statistics over the draws, when the run had draws.
    pub monte_carlo: Option<crate::montecarlo::Summary>,
    /// Labels of the uncertain parameters (the columns of `draws.csv`).
    pub parameter_labels: Vec<String>,
    /// Write `draws.csv` (per-draw headline figures and sampled values).
    pub write_draws: bool,
    pub metadata: RunMetadata,
}

/// `run.json`: what is needed to know how a run was made.
#[derive(Debug, Clone, Serialize)]
pub struct RunMetadata {
    pub tool: &'static str,
    pub version: &'static str,
    pub scenario_file: PathBuf,
    pub inputs: Vec<crate::model::SourceFile>,
    pub model_name: String,
    pub start_year: i32,
    pub horizon_years: u32,
    pub steps_per_year: u32,
    pub currency: String,
    pub price_base_year: i32,
    pub discount_rate: f64,
    pub futures: Vec<String>,
    pub options: RunOptions,
    /// Seconds since 1970-01-01 UTC when the run started.
    pub started_unix_seconds: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunOptions {
    pub scenarios: Vec<String>,
    pub out: PathBuf,
    /// Monte Carlo draws (0 = a deterministic run at the inputs' means).
    pub draws: u32,
    pub seed: u64,
    pub percentiles: Vec<f64>,
    /// Worker threads (results do not depend on it).
    pub threads: usize,
    pub draws_csv: bool,
}

/// Writes `summary.csv`, `detail.csv` and `run.json` into `dir`. The files
/// are written into a fresh sibling folder which then replaces `dir` whole,
/// so `dir` never holds a half-written run and an earlier run is only
/// replaced once the new one is complete.
pub fn write_run(dir: &Path, output: &RunOutput, futures: &[crate::run::Future]) -> io::Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent)?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging)?;
    }
    fs::create_dir(&staging)?;
    let written = (|| -> io::Result<()> {
        csv_files::write_summary(&staging.join("summary.csv"), output)?;
        csv_files::write_detail(&staging.join("detail.csv"), output.model, futures)?;
        if output.write_draws
            && let Some(mc) = &output.monte_carlo
        {
            csv_files::write_draws(&staging.join("draws.csv"), output, mc)?;
        }
        write_charts(&staging.join("charts"), output)?;
        let json = serde_json::to_string_pretty(&output.metadata).map_err(io::Error::other)?;
        fs::write(staging.join("run.json"), json + "\n")?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    if dir.exists() {
        let previous = parent.join(format!(".{name}.previous-{}", std::process::id()));
        fs::rename(dir, &previous)?;
        if let Err(e) = fs::rename(&staging, dir) {
            let _ = fs::rename(&previous, dir);
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        fs::remove_dir_all(&previous)?;
    } else {
        fs::rename(&staging, dir)?;
    }
    Ok(())
}

/// The run's figures, as the charts, report and workbook show them.
pub fn figures(output: &RunOutput) -> Figures {
    Figures::new(
        output.model,
        &output.accounts,
        &output.comparisons,
        output.monte_carlo.as_ref(),
    )
}

/// Writes every chart as `NAME.png` and `NAME.svg` into `dir`.
fn write_charts(dir: &Path, output: &RunOutput) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let figures = figures(output);
    for chart in Chart::ALL {
        let stem = chart.file_stem();
        chart
            .write_png(&figures, &dir.join(format!("{stem}.png")))
            .map_err(io::Error::other)?;
        let svg = chart.svg(&figures).map_err(io::Error::other)?;
        fs::write(dir.join(format!("{stem}.svg")), svg)?;
    }
    Ok(())
}
