//! The CSV files of official releases, read loosely enough for their
//! layouts (a byte-order mark, Windows line endings, spaces around fields)
//! and strictly about their content: every row keeps its line for messages.

use crate::error::{InputError, InputErrors, Location};
use std::path::{Path, PathBuf};

/// A CSV file's header and rows, each row with its 1-based line.
pub(crate) struct Csv {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Csv {
    pub fn read(path: &Path, what: &str) -> Result<Csv, InputErrors> {
        let bytes =
            std::fs::read(path).map_err(|e| InputError::in_file(path, format!("cannot read this {what}: {e}")))?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let Ok(text) = std::str::from_utf8(body) else {
            return Err(
                InputError::in_file(path, format!("not UTF-8 text; the {what} is a CSV file saved as UTF-8")).into(),
            );
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut header = Vec::new();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                InputError::new(
                    Location::Row(path.to_path_buf(), line, None),
                    format!("not readable as CSV: {e}"),
                )
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let fields: Vec<String> = record.iter().map(str::to_string).collect();
            if fields.iter().all(String::is_empty) {
                continue;
            }
            if header.is_empty() {
                header = fields;
            } else if fields.len() != header.len() {
                return Err(InputError::new(
                    Location::Row(path.to_path_buf(), line, None),
                    format!("has {} fields but the header has {}", fields.len(), header.len()),
                )
                .into());
            } else {
                rows.push((line, fields));
            }
        }
        if header.is_empty() {
            return Err(InputError::in_file(path, format!("the {what} is empty")).into());
        }
        Ok(Csv {
            path: path.to_path_buf(),
            header,
            rows,
        })
    }

    /// The index of the column named `name` (any case).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h.eq_ignore_ascii_case(name))
    }

    /// The index of column `name`, or a message that says which columns the layout has.
    pub fn require(&self, name: &str, layout: &str) -> Result<usize, InputError> {
        self.column(name).ok_or_else(|| {
            InputError::new(
                Location::Row(self.path.clone(), 1, None),
                format!("no column `{name}`; {layout}"),
            )
        })
    }

    pub fn at(&self, line: usize, column: Option<usize>) -> Location {
        Location::Row(self.path.clone(), line, column.map(|c| self.header[c].clone()))
    }
}

/// A number of people as the releases write it (`1234.567`, `1,234`).
pub(crate) fn people(text: &str) -> Result<f64, String> {
    let clean: String = text.chars().filter(|c| *c != ',').collect();
    match clean.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Ok(_) => Err(format!("`{text}` is not a number of people (0 or more)")),
        Err(_) if text.is_empty() => Err("is empty; every year needs a number of people".to_string()),
        Err(_) => Err(format!("`{text}` is not a number of people (write e.g. 1234.5)")),
    }
}
