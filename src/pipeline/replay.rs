//! `run --replay RUN.JSON`: what a run recorded, read back and checked
//! against the input files as they are now.

use std::path::{Path, PathBuf};

/// What a replay reads back from run.json.
#[derive(Debug, serde::Deserialize)]
pub struct Recorded {
    pub version: String,
    pub scenario_file: PathBuf,
    pub inputs: Vec<crate::model::SourceFile>,
    pub options: RecordedOptions,
}

#[derive(Debug, serde::Deserialize)]
pub struct RecordedOptions {
    pub scenarios: Vec<String>,
    pub out: PathBuf,
    pub draws: u32,
    pub seed: u64,
    pub draws_csv: bool,
    #[serde(default)]
    pub report: bool,
    #[serde(default)]
    pub attribute: bool,
    #[serde(default)]
    pub detail: bool,
}

/// What a problem with a replay is: the inputs cannot be read or have
/// changed (the user's to fix), or the model they give is not valid.
#[derive(Debug)]
pub enum ReplayError {
    Invalid(String),
    Input(crate::error::InputErrors),
}

/// The run recorded in `path`, after checking that every input file is
/// still byte for byte the one that run read, and that every file the
/// model reads now is one the run recorded.
pub fn recorded(path: &Path) -> Result<Recorded, ReplayError> {
    let invalid = ReplayError::Invalid;
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(format!("{}: cannot read it: {e}", path.display())))?;
    let recorded: Recorded = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "{}: not a run.json written by `upstream run` ({e})",
            path.display()
        ))
    })?;
    for input in &recorded.inputs {
        let bytes = std::fs::read(&input.path).map_err(|e| {
            invalid(format!(
                "{}: the run read {}, which cannot be read now ({e}); replay from the folder the run was made in",
                path.display(),
                input.path.display()
            ))
        })?;
        let now = crate::scenario::sha256_hex(&bytes);
        if now != input.sha256 {
            return Err(invalid(format!(
                "{} has changed since the run recorded in {} (SHA-256 then {}, now {}); a replay needs the same inputs",
                input.path.display(),
                path.display(),
                input.sha256,
                now
            )));
        }
    }
    // Every file the model reads now must be one the run recorded, with
    // its hash: an edited run.json cannot skip the check.
    let loaded = crate::scenario::load(&recorded.scenario_file).map_err(ReplayError::Input)?;
    let mut read_now: Vec<&Path> = vec![&recorded.scenario_file];
    read_now.extend(loaded.sources.iter().map(|s| s.path.as_path()));
    for file in read_now {
        if !recorded.inputs.iter().any(|i| i.path == file) {
            return Err(invalid(format!(
                "{}: the run's inputs do not list {} with its SHA-256, so a replay cannot check it; the file was edited or damaged: run the scenario file again instead",
                path.display(),
                file.display()
            )));
        }
    }
    Ok(recorded)
}
