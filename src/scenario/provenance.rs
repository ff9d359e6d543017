//! Where a number or table came from: `source`, `vintage` and `licence`.
//! A table of the file (`[entries]`, a `[[services]]` entry, …) may carry
//! them for all its figures; a number may carry its own, written
//! `{ value = 42, source = "…", vintage = "…", licence = "…" }` (a
//! distribution's table takes the three keys beside `dist`), and a table
//! file `{ file = "x.csv", source = "…" }`. Before the file is read as a
//! model these are taken out (the text is blanked in place, so every line
//! keeps its number); the assumptions table reads them.

use std::ops::Range;
use toml_edit::{Document, InlineTable, Item, Table, Value};

/// The keys that say where a figure came from.
pub const KEYS: [&str; 3] = ["source", "vintage", "licence"];

/// `text` with every provenance key blanked and every `{ value = … }` or
/// `{ file = … }` table replaced by its value, each line where it was; or
/// `None` when the text has none (or is not TOML: the loader says why).
pub(crate) fn strip(text: &str) -> Option<String> {
    let doc = Document::parse(text).ok()?;
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    table(doc.as_table(), text, &mut edits);
    if edits.is_empty() {
        return None;
    }
    edits.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, new) in edits {
        if range.start < at {
            continue;
        }
        out.push_str(&text[at..range.start]);
        let old = &text[range.clone()];
        out.push_str(&new);
        // Keep the length and the line breaks of what was replaced.
        for (i, c) in old.char_indices() {
            if i < new.len() {
                continue;
            }
            out.push(if c == '\n' { '\n' } else { ' ' });
        }
        if new.len() > old.len() {
            return None;
        }
        at = range.end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// The first misuse of the provenance keys, as (byte offset, message): a
/// key whose value is not text, or a `{ value = … }` table with keys other
/// than the three.
pub(crate) fn problem(text: &str) -> Option<(usize, String)> {
    let doc = Document::parse(text).ok()?;
    let mut found = None;
    find_problem(doc.as_table(), &mut found);
    found
}

fn find_problem(t: &Table, found: &mut Option<(usize, String)>) {
    for (key, item) in t.iter() {
        if found.is_some() {
            return;
        }
        let at = t.get_key_value(key).and_then(|(k, _)| k.span()).map_or(0, |s| s.start);
        match item {
            Item::Value(v) if KEYS.contains(&key) && !v.is_str() => {
                *found = Some((
                    at,
                    format!(
                        "`{key}` is text in quotes (where the figures came from), e.g. {key} = \"ONS, mid-year estimates\""
                    ),
                ));
            }
            Item::Value(Value::InlineTable(it)) if it.contains_key("value") || it.contains_key("file") => {
                let other: Vec<&str> = it
                    .iter()
                    .map(|(k, _)| k)
                    .filter(|k| !KEYS.contains(k) && *k != "value" && *k != "file")
                    .collect();
                if let Some(k) = other.first() {
                    *found = Some((
                        at,
                        format!(
                            "`{key}` = {{ value = … }} may have only `source`, `vintage` and `licence` beside `value` (or `file`), not `{k}`"
                        ),
                    ));
                } else if let Some((k, _)) = it.iter().find(|(k, v)| KEYS.contains(k) && !v.is_str()) {
                    *found = Some((at, format!("`{k}` is text in quotes (where the figure came from)")));
                }
            }
            Item::Table(t) => find_problem(t, found),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| find_problem(t, found)),
            _ => {}
        }
    }
}

fn span_text(text: &str, r: Option<Range<usize>>) -> Option<(Range<usize>, &str)> {
    let r = r?;
    Some((r.clone(), text.get(r)?))
}

fn table(t: &Table, text: &str, edits: &mut Vec<(Range<usize>, String)>) {
    for (key, item) in t.iter() {
        let Some((k, _)) = t.get_key_value(key) else {
            continue;
        };
        match item {
            Item::Value(v) if KEYS.contains(&key) && v.is_str() => {
                if let (Some(ks), Some(vs)) = (k.span(), v.span()) {
                    edits.push((ks.start..vs.end, String::new()));
                }
            }
            Item::Value(v) => value(v, text, edits),
            Item::Table(t) => table(t, text, edits),
            Item::ArrayOfTables(a) => a.iter().for_each(|t| table(t, text, edits)),
            Item::None => {}
        }
    }
}

fn value(v: &Value, text: &str, edits: &mut Vec<(Range<usize>, String)>) {
    match v {
        Value::InlineTable(t) => inline(t, v.span(), text, edits),
        Value::Array(a) => a.iter().for_each(|v| value(v, text, edits)),
        _ => {}
    }
}

fn inline(t: &InlineTable, span: Option<Range<usize>>, text: &str, edits: &mut Vec<(Range<usize>, String)>) {
    let has_provenance = t.iter().any(|(k, _)| KEYS.contains(&k));
    let inner = t.get("value").or_else(|| t.get("file"));
    let only_value = t.iter().all(|(k, _)| KEYS.contains(&k) || k == "value" || k == "file");
    match inner {
        Some(inner) if only_value => {
            if let (Some((range, _)), Some((_, raw))) = (span_text(text, span), span_text(text, inner.span())) {
                edits.push((range, raw.trim().to_string()));
            }
        }
        _ if has_provenance && t.contains_key("dist") => {
            let mut parts = Vec::new();
            for (k, v) in t.iter() {
                if KEYS.contains(&k) {
                    continue;
                }
                let Some((_, raw)) = span_text(text, v.span()) else {
                    return;
                };
                parts.push(format!("{k} = {}", raw.trim()));
            }
            if let Some((range, _)) = span_text(text, span) {
                edits.push((range, format!("{{ {} }}", parts.join(", "))));
            }
        }
        _ => t.iter().for_each(|(_, v)| value(v, text, edits)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_is_blanked_and_lines_kept() {
        let text = "a = { value = 42, source = \"ONS\" }\n[t]\nsource = \"to be replaced\"\nb = { dist = \"beta\", mean = 0.2, sd = 0.1, licence = \"OGL\" }\nc = { file = \"x.csv\", vintage = \"2022-based\" }\n";
        let out = strip(text).unwrap();
        assert_eq!(out.len(), text.len());
        assert_eq!(out.lines().count(), text.lines().count());
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(parsed["a"].as_integer(), Some(42));
        assert!(parsed["t"].get("source").is_none());
        assert_eq!(parsed["t"]["b"].as_table().unwrap().len(), 3);
        assert_eq!(parsed["t"]["c"].as_str(), Some("x.csv"));
        assert!(strip("a = 1\n[t]\nb = { dist = \"beta\", mean = 0.2, sd = 0.1 }\n").is_none());
    }
}
