//! "Save as": the page's scenarios written into a copy of the scenario
//! file (everything else, comments included, as it was), checked by loading
//! it back, and written atomically, never over an existing file unless
//! asked, and only into the allowed folder under a plain file name.

use crate::model::Model;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

/// Why a save was refused.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The request is wrong (a 4xx for the page).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Conflict(String),
    /// The disk said no.
    #[error("{0}")]
    Failed(String),
}

/// A file name the page may save under: letters, digits, spaces, `-`, `_`
/// and `.`, ending `.toml`, with no path in it.
pub fn check_name(name: &str) -> Result<(), SaveError> {
    let ok = name.len() <= 100
        && name.ends_with(".toml")
        && name.len() > ".toml".len()
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if ok {
        Ok(())
    } else {
        Err(SaveError::Refused(format!(
            "`{}` is not a file name the workshop saves under: use letters, digits, spaces, - and _, ending .toml (e.g. workshop-2026-11.toml), with no folder",
            name.escape_debug()
        )))
    }
}

/// The scenario file's text with its `[[scenarios]]` replaced by `model`'s,
/// its contracts' terms set to `model`'s and `[monte_carlo] draws` set to `draws`. Table paths ending `.csv` are
/// made absolute when the copy goes to another folder than the original.
pub fn document(original: &str, model: &Model, draws: u32, csv_base: Option<&Path>) -> Result<String, SaveError> {
    let mut doc: DocumentMut = original
        .parse()
        .map_err(|e| SaveError::Failed(format!("the scenario file no longer parses: {e}")))?;
    doc.remove("scenarios");
    let mut scenarios = ArrayOfTables::new();
    for s in &model.scenarios {
        let mut t = Table::new();
        t.insert("name", value(s.name.as_str()));
        if s.title != s.name {
            t.insert("title", value(s.title.as_str()));
        }
        if !s.description.is_empty() {
            t.insert("description", value(s.description.as_str()));
        }
        let mut names = toml_edit::Array::new();
        for &i in &s.interventions {
            names.push(model.interventions[i].name.as_str());
        }
        t.insert("interventions", value(names));
        if !s.overrides.is_empty() {
            let mut o = Table::new();
            for over in &s.overrides {
                if over.keeps_spread {
                    let mut mean = toml_edit::InlineTable::new();
                    mean.insert("mean", over.value.into());
                    o.insert(&over.path, value(mean));
                } else {
                    o.insert(&over.path, value(over.value));
                }
            }
            t.insert("overrides", Item::Table(o));
        }
        scenarios.push(t);
    }
    doc.insert("scenarios", Item::ArrayOfTables(scenarios));
    super::deals::write_terms(&mut doc, model);
    if !doc.contains_key("monte_carlo") {
        doc.insert("monte_carlo", Item::Table(Table::new()));
    }
    doc["monte_carlo"]["draws"] = value(i64::from(draws));
    if let Some(base) = csv_base {
        absolute_tables(doc.as_table_mut(), base);
    }
    let header = "# Saved from an `upstream serve` workshop: the scenarios below are the page's.\n";
    Ok(format!("{header}{doc}"))
}

fn absolute_tables(table: &mut Table, base: &Path) {
    for (_, item) in table.iter_mut() {
        match item {
            Item::Value(v) => {
                if let Some(s) = v.as_str()
                    && s.ends_with(".csv")
                    && Path::new(s).is_relative()
                {
                    let absolute = base.join(s);
                    *v = absolute.display().to_string().into();
                }
            }
            Item::Table(t) => absolute_tables(t, base),
            Item::ArrayOfTables(a) => {
                for t in a.iter_mut() {
                    absolute_tables(t, base);
                }
            }
            Item::None => {}
        }
    }
}

/// Writes `text` to `dir/name` atomically (a temporary file in `dir`,
/// then renamed in); refuses an existing file unless `overwrite`. Checks the
/// result loads as a scenario file before it is put in place.
pub fn write(dir: &Path, name: &str, text: &str, overwrite: bool) -> Result<PathBuf, SaveError> {
    write_checked(dir, name, text, overwrite, &|target, text| {
        crate::scenario::parse(target, text, String::new())
            .map(|_| ())
            .map_err(|e| format!("the saved scenarios would not load: {e}"))
    })
}

/// [`write`] with the check of the text given (`check(target, text)`).
pub fn write_checked(
    dir: &Path,
    name: &str,
    text: &str,
    overwrite: bool,
    check: &dyn Fn(&Path, &str) -> Result<(), String>,
) -> Result<PathBuf, SaveError> {
    check_name(name)?;
    let target = dir.join(name);
    if target.exists() && !overwrite {
        return Err(SaveError::Conflict(format!(
            "{name} already exists; choose another name, or tick \"overwrite\" to replace it"
        )));
    }
    let temp = dir.join(format!(".{name}.saving-{}", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = fs::File::create_new(&temp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(SaveError::Failed(format!(
            "could not write into {}: {e}",
            dir.display()
        )));
    }
    // The copy must load as the original did (tables are looked for beside it).
    if let Err(e) = check(&target, text) {
        let _ = fs::remove_file(&temp);
        return Err(SaveError::Failed(e));
    }
    let placed = if overwrite {
        fs::rename(&temp, &target)
    } else {
        // A hard link fails if the name was taken meanwhile: never clobber.
        fs::hard_link(&temp, &target).and_then(|()| fs::remove_file(&temp))
    };
    if let Err(e) = placed {
        let _ = fs::remove_file(&temp);
        return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
            SaveError::Conflict(format!("{name} already exists; choose another name"))
        } else {
            SaveError::Failed(format!("could not save {}: {e}", target.display()))
        });
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_accepted() {
        for good in ["workshop.toml", "older people 2026-11.toml", "a_b.v2.toml"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "../x.toml",
            "/etc/x.toml",
            "x/y.toml",
            "x\\y.toml",
            ".hidden.toml",
            "x.txt",
            ".toml",
            "x.toml\0",
            "con:x.toml",
            "",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
