//! Reading scenario files: TOML (and the CSV tables it points at) into a
//! checked [`Model`], with what was read beside it ([`Loaded`]). Nothing
//! past this module sees unchecked input.

mod areas;
pub mod assumptions;
mod checks;
pub mod file;
pub mod overrides;
pub mod path;
pub mod provenance;
pub mod tables;
mod validate;

use crate::error::{InputError, InputErrors, Location};
use crate::model::{Model, SourceFile};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A scenario file as loaded: the model (simulation data only), and what
/// the report, the workbook and the page show beside it.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub model: Model,
    /// Every file read (the scenario file first, then its tables and
    /// assessments), with its SHA-256.
    pub sources: Vec<SourceFile>,
    /// Things in the file that are allowed but worth a planner's attention
    /// (e.g. an intervention applied outside the ages its evidence covers).
    pub warnings: Vec<InputError>,
    /// The scenario file's settings as written, with the author's comments.
    pub assumptions: Vec<assumptions::Section>,
    /// `[maturity]`: the self-assessments read beside the model.
    pub maturity: Option<MaturityLink>,
}

/// Self-assessments on the maturity matrix beside the model, and their
/// optional link to fidelity.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityLink {
    /// (file, assessment), oldest first.
    pub assessments: Vec<(PathBuf, crate::maturity::Assessment)>,
    /// When linked: the factor put on every intervention's fidelity, and the
    /// (unit, level) pairs of the current assessment it came from.
    pub fidelity: Option<(f64, Vec<(String, u8)>)>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads, parses and validates the scenario file at `path`, reporting every
/// problem found (a TOML syntax or type error stops at the first).
pub fn load(path: &Path) -> Result<Loaded, InputErrors> {
    let bytes =
        std::fs::read(path).map_err(|e| InputError::in_file(path, format!("cannot read the scenario file: {e}")))?;
    let sha = sha256_hex(&bytes);
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        InputError::new(
            Location::Line(path.to_path_buf(), line),
            "the file is not UTF-8 text (is it a spreadsheet or other binary file?); a scenario file is TOML saved as UTF-8",
        )
    })?;
    if text.trim().is_empty() {
        return Err(InputError::in_file(
            path,
            "the scenario file is empty; it needs at least [model], [[bands]] and a population",
        )
        .into());
    }
    parse(path, text, sha)
}

/// Parses and validates scenario text as if read from `path` (tables are
/// looked for beside `path`).
pub fn parse(path: &Path, text: &str, sha256: String) -> Result<Loaded, InputErrors> {
    // Where figures came from is for the assumptions table, read from the
    // text as written; the model is read with it taken out.
    if let Some((offset, message)) = provenance::problem(text) {
        let line = checks::Lines::new(text).line_of(offset);
        return Err(InputError::new(Location::Line(path.to_path_buf(), line), message).into());
    }
    let stripped = provenance::strip(text);
    let model_text = stripped.as_deref().unwrap_or(text);
    let file: file::ScenarioFile = toml::from_str(model_text).map_err(|e| {
        let lines = checks::Lines::new(text);
        let location = match e.span() {
            Some(span) => Location::Line(path.to_path_buf(), lines.line_of(span.start)),
            None => Location::File(path.to_path_buf()),
        };
        let mut message = plain_type_names(e.message().trim());
        if message == "duplicate key"
            && let Some(span) = e.span()
        {
            let line = text[..span.start.min(text.len())].rsplit('\n').next().unwrap_or("");
            let rest = &text[span.start.min(text.len())..];
            let key = rest.split(['=', '\n']).next().unwrap_or("").trim();
            let key = if key.is_empty() { line.trim() } else { key };
            message = format!("`{key}` is set twice in the same table; keep one");
        }
        if let Some(suggestion) = did_you_mean(&message) {
            message.push_str(&suggestion);
        }
        InputError::new(location, message)
    })?;
    validate::validate(file, path, text, sha256)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`", the closest
/// expected name, as " (did you mean `a`?)".
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (wrong, rest) = rest.split_once('`')?;
    let choices = rest.split_once("expected ")?.1;
    let best = choices
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|c| (edit_distance(&wrong.to_lowercase(), &c.to_lowercase()), c))
        .min_by_key(|(d, _)| *d)?;
    let limit = (wrong.chars().count() / 3).max(2);
    (best.0 <= limit).then(|| format!(" (did you mean `{}`?)", best.1))
}

/// Levenshtein distance between two short names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Serde names Rust types in its messages; say what a planner would write.
fn plain_type_names(message: &str) -> String {
    message
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace("expected a string", "expected text in quotes")
        .replace("invalid type: floating point", "invalid type: a decimal number")
        .replace("invalid type: integer", "invalid type: a whole number")
}
