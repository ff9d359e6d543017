//! CSV tables that a scenario file points at: read strictly, with every
//! problem named by file, line and column.

use crate::error::{ErrorSink, InputError, InputErrors, Location};
use std::path::{Path, PathBuf};

/// A CSV table whose header has been checked against the expected columns.
#[derive(Debug)]
pub struct Table {
    pub path: PathBuf,
    columns: Vec<String>,
    pub rows: Vec<TableRow>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Rows that could not be read at all (wrong number of fields, bad
    /// UTF-8); the other rows are still in `rows` so that their problems can
    /// be reported in the same pass.
    pub row_errors: ErrorSink,
}

#[derive(Debug)]
pub struct TableRow {
    /// 1-based line of the file (the header is line 1).
    pub line: usize,
    fields: Vec<String>,
}

impl Table {
    /// Reads `path`, which must have every column in `required`, may have those
    /// in `optional`, and nothing else. A UTF-8 byte-order mark and Windows
    /// line endings are accepted.
    pub fn read(path: &Path, required: &[&str], optional: &[&str]) -> Result<Table, InputErrors> {
        let bytes =
            std::fs::read(path).map_err(|e| InputError::in_file(path, format!("cannot read this CSV table: {e}")))?;
        let sha256 = crate::scenario::sha256_hex(&bytes);
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let expected = required.join(",");
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(InputError::in_file(
                path,
                format!("the table is empty; expected a header line `{expected}` and then one row per line"),
            )
            .into());
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(body);
        let header = reader
            .byte_headers()
            .map_err(|e| csv_error(path, body, &e, &mut Lines::default()))?
            .clone();
        let mut columns = Vec::new();
        for (i, field) in header.iter().enumerate() {
            match std::str::from_utf8(field) {
                Ok(s) => columns.push(s.to_string()),
                Err(_) => {
                    return Err(InputError::new(
                        Location::Row(path.to_path_buf(), 1, None),
                        format!(
                            "header column {} is not valid UTF-8 text; save the file as UTF-8 CSV",
                            i + 1
                        ),
                    )
                    .into());
                }
            }
        }
        let mut problems = Vec::new();
        for c in &columns {
            if !required.contains(&c.as_str()) && !optional.contains(&c.as_str()) {
                let mut valid: Vec<&str> = required.to_vec();
                valid.extend(optional);
                problems.push(format!("unknown column `{c}` (valid columns: {})", valid.join(", ")));
            }
        }
        for r in required {
            if !columns.iter().any(|c| c == r) {
                problems.push(format!("missing column `{r}`"));
            }
        }
        for (i, c) in columns.iter().enumerate() {
            if columns[..i].contains(c) {
                problems.push(format!("column `{c}` appears twice"));
            }
        }
        if !problems.is_empty() {
            return Err(InputError::new(
                Location::Row(path.to_path_buf(), 1, None),
                format!(
                    "{}; the header must be `{expected}`{}",
                    problems.join("; "),
                    optional_note(optional)
                ),
            )
            .into());
        }

        let mut rows = Vec::new();
        let mut errors = ErrorSink::default();
        let mut lines = Lines::default();
        for record in reader.byte_records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    errors.push(csv_error(path, body, &e, &mut lines));
                    continue;
                }
            };
            let line = record.position().map_or(1, |p| lines.at(body, p.byte()));
            if record.iter().all(|f| f.is_empty()) {
                continue;
            }
            // A header pasted again (two files joined) is not data.
            if record.len() == header.len() && record.iter().zip(header.iter()).all(|(a, b)| a.eq_ignore_ascii_case(b))
            {
                errors.at(
                    Location::Row(path.to_path_buf(), line, None),
                    format!("this row repeats the header `{expected}`; remove it (were two tables joined?)"),
                );
                continue;
            }
            let mut fields = Vec::with_capacity(record.len());
            let mut readable = true;
            for (i, field) in record.iter().enumerate() {
                match std::str::from_utf8(field) {
                    Ok(s) => fields.push(s.to_string()),
                    Err(_) => {
                        errors.push(InputError::new(
                            Location::Row(path.to_path_buf(), line, columns.get(i).cloned()),
                            "is not valid UTF-8 text; save the file as UTF-8 CSV",
                        ));
                        readable = false;
                    }
                }
            }
            if readable {
                rows.push(TableRow { line, fields });
            }
        }
        if rows.is_empty() && errors.is_empty() {
            return Err(InputError::in_file(path, "the table has a header but no rows").into());
        }
        Ok(Table {
            path: path.to_path_buf(),
            columns,
            rows,
            sha256,
            row_errors: errors,
        })
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }

    /// The text in `column` of `row` (empty if the table has no such column).
    pub fn text<'a>(&self, row: &'a TableRow, column: &str) -> &'a str {
        self.columns
            .iter()
            .position(|c| c == column)
            .and_then(|i| row.fields.get(i))
            .map_or("", String::as_str)
    }

    pub fn location(&self, row: &TableRow, column: &str) -> Location {
        Location::Row(self.path.clone(), row.line, Some(column.to_string()))
    }

    /// The number in `column` of `row`, or an error saying what is wrong with it.
    pub fn number(&self, row: &TableRow, column: &str) -> Result<f64, InputError> {
        parse_number(self.text(row, column)).map_err(|m| InputError::new(self.location(row, column), m))
    }

    /// A whole calendar year in `column`.
    pub fn year(&self, row: &TableRow, column: &str) -> Result<i32, InputError> {
        let text = self.text(row, column);
        text.parse::<i32>().map_err(|_| {
            InputError::new(
                self.location(row, column),
                format!("`{text}` is not a calendar year; write a whole year such as 2030"),
            )
        })
    }
}

fn optional_note(optional: &[&str]) -> String {
    if optional.is_empty() {
        String::new()
    } else {
        format!(" (optional: {})", optional.join(", "))
    }
}

/// 1-based line of a byte offset. (The csv crate's own line count is off by
/// one per line with Windows line endings, so lines are counted here.)
/// Lines of a file's records, counted on from the previous record rather
/// than from the start, so that reading a table stays linear in its size.
#[derive(Default)]
struct Lines {
    /// Bytes counted so far, and the newlines among them.
    counted: usize,
    newlines: usize,
}

impl Lines {
    /// The 1-based line of the record at `byte`.
    fn at(&mut self, body: &[u8], byte: u64) -> usize {
        let mut end = (byte as usize).min(body.len());
        // A record's position may point at the line ending before it.
        while end < body.len() && matches!(body[end], b'\r' | b'\n') {
            end += 1;
        }
        if end < self.counted {
            *self = Lines::default();
        }
        self.newlines += body[self.counted..end].iter().filter(|&&b| b == b'\n').count();
        self.counted = end;
        self.newlines + 1
    }
}

fn csv_error(path: &Path, body: &[u8], e: &csv::Error, lines: &mut Lines) -> InputError {
    let line = e.position().map_or(1, |p| lines.at(body, p.byte()));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => format!(
            "this row has {len} fields but the header has {expected_len}; check for a stray comma (thousands separators such as 12,000 must be written 12000)"
        ),
        _ => format!("cannot be read as CSV: {e}"),
    };
    InputError::new(Location::Row(path.to_path_buf(), line, None), message)
}

/// Parses a number as a person would type it in a spreadsheet, refusing the
/// forms that are easy to misread: percentages, thousands separators, blanks
/// and non-finite values.
pub fn parse_number(text: &str) -> Result<f64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is empty; a number is needed here".into());
    }
    if let Some(stripped) = t.strip_suffix('%') {
        let hint = stripped
            .trim()
            .parse::<f64>()
            .map(|v| format!(" ({t} → {})", v / 100.0))
            .unwrap_or_default();
        return Err(format!("`{t}` looks like a percentage; give it as a decimal{hint}"));
    }
    if t.contains(',') || t.contains('_') || (t.contains(' ') && t.chars().any(|c| c.is_ascii_digit())) {
        return Err(format!(
            "`{t}` has a thousands separator; write the number without one, e.g. 12000"
        ));
    }
    let stripped = t.trim_start_matches(['£', '$', '€']);
    if stripped != t {
        return Err(format!(
            "`{t}` has a currency sign; write the number alone, e.g. {stripped}"
        ));
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("`{t}` is not a finite number")),
        Err(_) => Err(format!("`{t}` is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_number;

    #[test]
    fn numbers_people_mistype_are_refused_with_a_reason() {
        assert_eq!(parse_number(" 12.5 "), Ok(12.5));
        assert!(parse_number("20%").unwrap_err().contains("0.2"));
        assert!(parse_number("12,000").unwrap_err().contains("thousands"));
        assert!(parse_number("NaN").unwrap_err().contains("finite"));
        assert!(parse_number("inf").unwrap_err().contains("finite"));
        assert!(parse_number("").unwrap_err().contains("empty"));
        assert!(parse_number("£40").unwrap_err().contains("currency"));
        assert!(parse_number("abc").unwrap_err().contains("not a number"));
    }
}
