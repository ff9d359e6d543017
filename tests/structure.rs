//! The shape of the code, as ARCHITECTURE.md states it: modules import
//! only modules listed above them, no source file is longer than about
//! 1,000 lines before its tests, and no function is over 150 lines unless
//! a comment says why it must stay whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The library's top-level modules, lowest first, as ARCHITECTURE.md
/// lists them (`evidence::scale`, the rating scale's data type, and
/// `contracts::terms`, the deals' checked terms, sit below `model`, which
/// imports them).
const LAYERS: &[&str] = &[
    "units",
    "error",
    "format",
    "timing",
    "memory",
    "linalg",
    "economics",
    "supply",
    "uncertainty",
    "maturity",
    "import",
    "evidence::scale",
    "contracts::terms",
    "model",
    "params",
    "engine",
    "run",
    "results",
    "montecarlo",
    "contracts",
    "evidence",
    "scenario",
    "pipeline",
    "analysis",
    "charts",
    "output",
    "serve",
];

fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out.sort();
    out
}

/// A file's text before its tests.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    match text.find("#[cfg(test)]") {
        Some(k) => text[..k].to_string(),
        None => text,
    }
}

/// The top-level module a file belongs to (`None` for the binary's files).
fn module_of(path: &Path) -> Option<String> {
    let rel = path
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .unwrap();
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts[0] == "cli" || parts[0] == "main.rs" || parts[0] == "lib.rs" {
        return None;
    }
    if parts == ["evidence", "scale.rs"] {
        return Some("evidence::scale".into());
    }
    if parts == ["contracts", "terms.rs"] {
        return Some("contracts::terms".into());
    }
    Some(parts[0].trim_end_matches(".rs").to_string())
}

#[test]
fn modules_import_only_modules_below_them() {
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in sources() {
        let Some(module) = module_of(&path) else {
            continue;
        };
        let at = rank(&module).unwrap_or_else(|| panic!("{module} is not in ARCHITECTURE.md's list"));
        let text = code(&path);
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if name.is_empty() {
                continue;
            }
            let target = if name == "evidence"
                && ["::scale", "::EvidenceScale", "::Rating"]
                    .iter()
                    .any(|s| rest[name.len()..].starts_with(s))
            {
                "evidence::scale".to_string()
            } else if name == "contracts" && rest[name.len()..].starts_with("::terms") {
                "contracts::terms".to_string()
            } else {
                name
            };
            if target == module || module.starts_with(&format!("{target}::")) {
                continue;
            }
            let to = rank(&target).unwrap_or_else(|| panic!("{target} is not in ARCHITECTURE.md's list"));
            if to >= at {
                wrong
                    .entry(format!("{} ({module})", path.display()))
                    .or_default()
                    .push(target);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports of modules at or above the importer's layer: {wrong:#?}"
    );
}

#[test]
fn files_and_functions_stay_short() {
    let mut long = Vec::new();
    for path in sources() {
        let text = code(&path);
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() > 1_000 {
            long.push(format!("{}: {} lines before its tests", path.display(), lines.len()));
        }
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "const fn ",
                "async fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !is_fn || trimmed.ends_with(';') {
                continue;
            }
            let end = format!("{indent}}}");
            let Some(length) = lines[i + 1..].iter().position(|l| *l == end) else {
                continue;
            };
            // A comment just above may say why it must stay whole.
            let why = lines[..i].iter().rev().take_while(|l| {
                let t = l.trim_start();
                t.starts_with("///") || t.starts_with("//") || t.starts_with("#[")
            });
            let explained = why
                .clone()
                .any(|l| l.contains("stay whole") || l.contains("stays whole"));
            if length + 2 > 150 && !explained {
                long.push(format!(
                    "{}:{}: a function of {} lines",
                    path.display(),
                    i + 1,
                    length + 2
                ));
            }
        }
    }
    assert!(long.is_empty(), "too long: {long:#?}");
}
