//! The table of assumptions: every setting of a scenario file as written,
//! with its line and the comments the author put beside or above it, for the
//! report and the workbook. Read with `toml_edit`, which keeps comments.

use std::ops::Range;
use toml_edit::{Decor, Document, InlineTable, Item, RawString, Table, Value};

/// One setting, e.g. `discount_rate = 0.035  # HM Treasury Green Book rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumption {
    /// The key within its section (dotted for keys of inline tables).
    pub key: String,
    /// The value as written; a distribution reads e.g. `pert (min 0.1, mode 0.2, max 0.4)`.
    pub value: String,
    /// The author's comment: the paragraph just above the key and the comment after it.
    pub note: String,
    pub line: usize,
    /// Where the figure came from: its own `source`, `vintage` and
    /// `licence`, or its table's (README, "Where figures come from").
    pub provenance: Provenance,
}

/// Where a figure came from, as the file says; empty where it does not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub source: String,
    pub vintage: String,
    pub licence: String,
}

/// How far a figure is the area's own evidence, as its source or its
/// comment says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Marked "to be replaced": a placeholder from a template.
    ToBeReplaced,
    /// Marked "illustrative".
    Illustrative,
    /// Neither.
    Given,
}

impl Assumption {
    /// Its standing: from its source where it has one (its own or its
    /// table's), else from its comment or the comment above its table
    /// (`section_note`).
    pub fn standing(&self, section_note: &str) -> Standing {
        let texts = if self.provenance.source.is_empty() {
            [self.note.as_str(), section_note]
        } else {
            [self.provenance.source.as_str(), ""]
        };
        let says = |w: &str| texts.iter().any(|t| t.to_lowercase().contains(w));
        if says("to be replaced") {
            Standing::ToBeReplaced
        } else if says("illustrative") {
            Standing::Illustrative
        } else {
            Standing::Given
        }
    }

    /// Whether it is a figure: a number, distribution or table of numbers,
    /// not text, a list of names, or the model's frame (`[model]`,
    /// `[monte_carlo]`, `[[bands]]`).
    pub fn is_figure(&self, heading: &str) -> bool {
        let frame = heading == "model" || heading == "monte_carlo" || heading.starts_with("bands");
        !frame
            && !self.value.starts_with('"')
            && !self.value.starts_with("[\"")
            && self.value.chars().any(|c| c.is_ascii_digit())
    }
}

/// The figures of `sections` by standing: (to be replaced, illustrative, all).
pub fn standing_counts(sections: &[Section]) -> (usize, usize, usize) {
    let mut counts = (0, 0, 0);
    for s in sections {
        for a in s.items.iter().filter(|a| a.is_figure(&s.heading)) {
            counts.2 += 1;
            match a.standing(&s.note) {
                Standing::ToBeReplaced => counts.0 += 1,
                Standing::Illustrative => counts.1 += 1,
                Standing::Given => {}
            }
        }
    }
    counts
}

/// A table's own provenance keys over `inherited`.
fn provenance_of<'a>(pairs: impl Iterator<Item = (&'a str, Option<&'a str>)>, inherited: &Provenance) -> Provenance {
    let mut p = inherited.clone();
    let mut own = Provenance::default();
    let mut any = false;
    for (k, v) in pairs {
        let Some(v) = v else { continue };
        match k {
            "source" => own.source = v.to_string(),
            "vintage" => own.vintage = v.to_string(),
            "licence" => own.licence = v.to_string(),
            _ => continue,
        }
        any = true;
    }
    if any {
        p = own;
    }
    p
}

/// A table of the file (`[model]`, one `[[services]]` entry, …) and its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// e.g. `model`, `services: GP appointments`, `transitions 3`.
    pub heading: String,
    /// The comment paragraph just above the table's header.
    pub note: String,
    pub line: usize,
    pub items: Vec<Assumption>,
}

/// Every setting of `text` (a scenario file's TOML), by section in file
/// order. Text that is not TOML gives no sections (the loader reports it).
pub fn read(text: &str) -> Vec<Section> {
    let Ok(doc) = Document::parse(text) else {
        return Vec::new();
    };
    let reader = Reader::new(text);
    let mut sections = Vec::new();
    reader.table(
        doc.as_table(),
        ("settings".to_string(), 1, String::new()),
        &Provenance::default(),
        &mut sections,
    );
    sections.retain(|s| !s.items.is_empty());
    sections.sort_by_key(|s| s.line);
    for s in &mut sections {
        s.items.sort_by_key(|a| a.line);
    }
    sections
}

struct Reader<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Reader { text, line_starts }
    }

    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn slice(&self, span: Option<Range<usize>>) -> &'a str {
        span.and_then(|s| self.text.get(s)).unwrap_or("")
    }

    fn raw(&self, raw: Option<&RawString>) -> &'a str {
        self.slice(raw.and_then(RawString::span))
    }

    /// The last paragraph of comment lines in a prefix, as one line of text
    /// (rules of dashes and the `#` marks dropped).
    fn comment_paragraph(&self, decor: &Decor) -> String {
        let prefix = self.raw(decor.prefix());
        let mut lines: Vec<&str> = Vec::new();
        for line in prefix.lines().rev() {
            let line = line.trim();
            if line.is_empty() {
                if lines.is_empty() {
                    continue;
                }
                break;
            }
            lines.push(line.trim_start_matches('#').trim());
        }
        lines.reverse();
        lines.retain(|l| !l.is_empty() && !l.chars().all(|c| matches!(c, '-' | '=' | '*' | '#')));
        lines.join(" ")
    }

    fn trailing_comment(&self, decor: &Decor) -> String {
        let suffix = self.raw(decor.suffix()).trim();
        suffix.trim_start_matches('#').trim().to_string()
    }

    fn value_text(&self, value: &Value) -> String {
        match value {
            Value::InlineTable(t) if t.contains_key("value") || t.contains_key("file") => {
                let inner = t.get("value").or_else(|| t.get("file"));
                inner.map_or_else(String::new, |v| self.value_text(v))
            }
            Value::InlineTable(t) => self.inline_table(t),
            other => self.slice(other.span()).trim().to_string(),
        }
    }

    /// A distribution as `kind (a 1, b 2)`; another inline table as `k = v, …`.
    fn inline_table(&self, t: &InlineTable) -> String {
        let kind = t.get("dist").and_then(Value::as_str);
        let parts: Vec<String> = t
            .iter()
            .filter(|(k, _)| (kind.is_none() || *k != "dist") && !super::provenance::KEYS.contains(k))
            .map(|(k, v)| match kind {
                Some(_) => format!("{k} {}", self.value_text(v)),
                None => format!("{k} = {}", self.value_text(v)),
            })
            .collect();
        match kind {
            Some(kind) => format!("{kind} ({})", parts.join(", ")),
            None => parts.join(", "),
        }
    }

    fn table(
        &self,
        table: &Table,
        (heading, line, note): (String, usize, String),
        inherited: &Provenance,
        out: &mut Vec<Section>,
    ) {
        let here = provenance_of(table.iter().map(|(k, i)| (k, i.as_str())), inherited);
        let mut section = Section {
            heading: heading.clone(),
            note,
            line,
            items: Vec::new(),
        };
        for (key, item) in table.iter() {
            let Some((k, _)) = table.get_key_value(key) else {
                continue;
            };
            let key_line = k.span().map_or(line, |s| self.line(s.start));
            match item {
                Item::Value(_) if super::provenance::KEYS.contains(&key) => {}
                Item::Value(value) => {
                    let before = self.comment_paragraph(k.leaf_decor());
                    let after = self.trailing_comment(value.decor());
                    let note = match (before.is_empty(), after.is_empty()) {
                        (false, false) => format!("{before} {after}"),
                        (true, _) => after,
                        (false, true) => before,
                    };
                    section.items.push(Assumption {
                        key: key.to_string(),
                        value: self.value_text(value),
                        note,
                        line: key_line,
                        provenance: match value {
                            Value::InlineTable(t) => provenance_of(t.iter().map(|(k, v)| (k, v.as_str())), &here),
                            _ => here.clone(),
                        },
                    });
                }
                Item::Table(t) => {
                    let child = if heading == "settings" {
                        key.to_string()
                    } else {
                        format!("{heading} › {key}")
                    };
                    let at = t.span().map_or(key_line, |s| self.line(s.start));
                    self.table(t, (child, at, self.comment_paragraph(t.decor())), &here, out);
                }
                Item::ArrayOfTables(array) => {
                    for (i, t) in array.iter().enumerate() {
                        let name = t.get("name").and_then(Item::as_str);
                        let label = match name {
                            Some(name) => format!("{key}: {name}"),
                            None => format!("{key} {}", i + 1),
                        };
                        let child = if heading == "settings" {
                            label
                        } else {
                            format!("{heading} › {label}")
                        };
                        let at = t.span().map_or(key_line, |s| self.line(s.start));
                        self.table(t, (child, at, self.comment_paragraph(t.decor())), &here, out);
                    }
                }
                Item::None => {}
            }
        }
        out.push(section);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_keep_their_lines_values_and_comments() {
        let text = "\
# Top of file.

# Where the projection comes from.
projection_csv = \"p.csv\"

# ----------
# The model.
# ----------
[model]
name = \"Test\"
discount_rate = 0.035   # Green Book

[[services]]
name = \"GP\"
# Illustrative.
unit_cost = { dist = \"gamma\", mean = 42, sd = 6 }
mix = { Healthy = 0.6, \"At risk\" = 0.4 }

[[services]]
name = \"A&E\"

[[interventions]]
name = \"Falls\"
[[interventions.effects]]
service = \"GP\"
multiplier = 0.9
";
        let sections = read(text);
        let headings: Vec<&str> = sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(
            headings,
            [
                "settings",
                "model",
                "services: GP",
                "services: A&E",
                "interventions: Falls",
                "interventions: Falls › effects 1"
            ]
        );
        let top = &sections[0].items[0];
        assert_eq!(
            (top.key.as_str(), top.value.as_str(), top.note.as_str(), top.line),
            ("projection_csv", "\"p.csv\"", "Where the projection comes from.", 4)
        );
        assert_eq!(sections[1].note, "The model.");
        assert_eq!(sections[1].line, 9);
        let rate = &sections[1].items[1];
        assert_eq!((rate.value.as_str(), rate.note.as_str()), ("0.035", "Green Book"));
        let cost = &sections[2].items[1];
        assert_eq!(cost.value, "gamma (mean 42, sd 6)");
        assert_eq!(cost.note, "Illustrative.");
        assert_eq!(cost.line, 16);
        assert_eq!(sections[2].items[2].value, "Healthy = 0.6, At risk = 0.4");
        assert_eq!(sections[5].items[1].value, "0.9");
    }

    #[test]
    fn text_that_is_not_toml_gives_nothing() {
        assert!(read("[model\nname = ").is_empty());
    }
}
