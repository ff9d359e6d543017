//! Reading scenario files: TOML (and the CSV tables it points at) into a
//! checked [`Model`]. Nothing past this module sees unchecked input.

pub mod assumptions;
pub mod file;
pub mod overrides;
pub mod tables;
mod validate;

use crate::error::{InputError, InputErrors, Location};
use crate::model::Model;
use sha2::{Digest, Sha256};
use std::path::Path;

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads, parses and validates the scenario file at `path`, reporting every
/// problem found (a TOML syntax or type error stops at the first).
pub fn load(path: &Path) -> Result<Model, InputErrors> {
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
pub fn parse(path: &Path, text: &str, sha256: String) -> Result<Model, InputErrors> {
    let file: file::ScenarioFile = toml::from_str(text).map_err(|e| {
        let lines = validate::Lines::new(text);
        let location = match e.span() {
            Some(span) => Location::Line(path.to_path_buf(), lines.line_of(span.start)),
            None => Location::File(path.to_path_buf()),
        };
        InputError::new(location, plain_type_names(e.message().trim()))
    })?;
    validate::validate(file, path, text, sha256)
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
