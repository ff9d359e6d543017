//! Errors a user can cause, each carrying where it happened and what would be
//! valid, so that a planner can fix the file without reading code.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in the inputs something is wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A whole file (it could not be read, or something is missing from it).
    File(PathBuf),
    /// A line of a TOML file (1-based).
    Line(PathBuf, usize),
    /// A data row of a CSV file: the file's line number (1-based, counting the
    /// header as line 1) and the column name when one column is at fault.
    Row(PathBuf, usize, Option<String>),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Line(p, line) => write!(f, "{}:{line}", p.display()),
            Location::Row(p, line, None) => write!(f, "{}: row at line {line}", p.display()),
            Location::Row(p, line, Some(col)) => {
                write!(f, "{}: row at line {line}, column `{col}`", p.display())
            }
        }
    }
}

/// One problem found in the inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    pub location: Location,
    pub message: String,
}

impl InputError {
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Self {
            location,
            message: message.into(),
        }
    }

    pub fn in_file(path: &Path, message: impl Into<String>) -> Self {
        Self::new(Location::File(path.to_path_buf()), message)
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A TOML file that does not read as `what`: the problem at its line.
pub fn toml_problem(path: &Path, text: &str, e: &toml::de::Error, what: &str) -> InputError {
    let location = e.span().map_or(Location::File(path.to_path_buf()), |s| {
        Location::Line(path.to_path_buf(), line_of(text, s.start))
    });
    InputError::new(location, format!("not a valid {what}: {}", e.message()))
}

/// Every problem found in a set of inputs, in the order found. Never empty.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors(vec![e])
    }
}

/// Collects errors during validation so that all of them can be reported at once.
#[derive(Debug, Default)]
pub struct ErrorSink {
    errors: Vec<InputError>,
}

impl ErrorSink {
    pub fn push(&mut self, e: InputError) {
        self.errors.push(e);
    }

    pub fn at(&mut self, location: Location, message: impl Into<String>) {
        self.push(InputError::new(location, message));
    }

    pub fn extend(&mut self, errors: InputErrors) {
        self.errors.extend(errors.0);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish<T>(self, value: T) -> Result<T, InputErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(InputErrors(self.errors))
        }
    }
}
