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
            message: short_numbers(message.into()),
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

/// `message` with every number written in more than 20 characters (a
/// value such as 1e308 prints as 309 digits) put in scientific form, so a
/// message stays readable whatever number it quotes.
pub fn short_numbers(message: String) -> String {
    let bytes = message.as_bytes();
    let number_char = |b: u8| b.is_ascii_digit() || b == b'.';
    // Most messages have no long number: return them as they are.
    let long = bytes.split(|&b| !number_char(b)).any(|run| run.len() > 20);
    if !long {
        return message;
    }
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < message.len() {
        let b = bytes[i];
        if number_char(b) {
            let end = bytes[i..]
                .iter()
                .position(|&c| !number_char(c))
                .map_or(bytes.len(), |n| i + n);
            let run = &message[i..end];
            match run.parse::<f64>() {
                Ok(x) if run.len() > 20 => out.push_str(&format!("{x:.6e}")),
                _ => out.push_str(run),
            }
            i = end;
        } else {
            let ch = message[i..].chars().next().expect("in bounds");
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
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

/// At most this many problems are kept and shown; the rest are counted.
/// (A table of a million bad rows would otherwise print a million lines.)
pub const SHOWN_PROBLEMS: usize = 50;

/// Every problem found in a set of inputs, in the order found: the first
/// [`SHOWN_PROBLEMS`] in full, and how many more there were. Never empty.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct InputErrors {
    pub errors: Vec<InputError>,
    /// Problems found beyond those in `errors`.
    pub more: usize,
}

impl InputErrors {
    /// The problems in `errors`, the first [`SHOWN_PROBLEMS`] kept.
    pub fn new(mut errors: Vec<InputError>) -> Self {
        let more = errors.len().saturating_sub(SHOWN_PROBLEMS);
        errors.truncate(SHOWN_PROBLEMS);
        InputErrors { errors, more }
    }

    /// How many problems were found, shown or not.
    pub fn count(&self) -> usize {
        self.errors.len() + self.more
    }
}

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        if self.more > 0 {
            write!(
                f,
                "\n… and {} more problem{} not shown (the first {} are above); fix these and check again",
                self.more,
                if self.more == 1 { "" } else { "s" },
                self.errors.len()
            )?;
        }
        Ok(())
    }
}

impl From<InputError> for InputErrors {
    fn from(e: InputError) -> Self {
        InputErrors::new(vec![e])
    }
}

/// Collects errors during validation so that all of them can be reported
/// at once: the first [`SHOWN_PROBLEMS`] kept, the rest counted, so that
/// collecting stays linear in the number of problems and small in memory.
#[derive(Debug, Default)]
pub struct ErrorSink {
    errors: Vec<InputError>,
    more: usize,
}

impl ErrorSink {
    pub fn push(&mut self, e: InputError) {
        if self.errors.len() < SHOWN_PROBLEMS {
            self.errors.push(e);
        } else {
            self.more += 1;
        }
    }

    pub fn at(&mut self, location: Location, message: impl Into<String>) {
        if self.errors.len() < SHOWN_PROBLEMS {
            self.push(InputError::new(location, message));
        } else {
            self.more += 1;
        }
    }

    pub fn extend(&mut self, errors: InputErrors) {
        for e in errors.errors {
            self.push(e);
        }
        self.more += errors.more;
    }

    /// Takes in every problem another sink collected.
    pub fn absorb(&mut self, other: ErrorSink) {
        for e in other.errors {
            self.push(e);
        }
        self.more += other.more;
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many problems were recorded, kept or counted.
    pub fn count(&self) -> usize {
        self.errors.len() + self.more
    }

    pub fn finish<T>(self, value: T) -> Result<T, InputErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(InputErrors {
                errors: self.errors,
                more: self.more,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_numbers_are_written_short() {
        let huge = format!("people would become negative ({}) in 2025", -1e308);
        assert_eq!(
            short_numbers(huge),
            "people would become negative (-1.000000e308) in 2025"
        );
        let plain = "0.123456789 of 2025; £1,000.5".to_string();
        assert_eq!(short_numbers(plain.clone()), plain);
        assert_eq!(short_numbers("x 1.00000000000000000000001 y".into()), "x 1.000000e0 y");
    }

    #[test]
    fn many_problems_keep_the_first_and_count_the_rest() {
        let mut sink = ErrorSink::default();
        for line in 1..=1000 {
            sink.at(Location::Line("m.toml".into(), line), "bad");
        }
        let errors = sink.finish(()).unwrap_err();
        assert_eq!(errors.errors.len(), SHOWN_PROBLEMS);
        assert_eq!(errors.count(), 1000);
        let text = errors.to_string();
        assert_eq!(text.lines().count(), SHOWN_PROBLEMS + 1);
        assert!(
            text.ends_with("… and 950 more problems not shown (the first 50 are above); fix these and check again")
        );
        let mut outer = ErrorSink::default();
        outer.at(Location::Line("a.toml".into(), 1), "first");
        outer.extend(errors);
        assert_eq!(outer.finish(()).unwrap_err().count(), 1001);
    }
}
