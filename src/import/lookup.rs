//! Area lookups in the ONS Open Geography layout: pairs of columns
//! `<TIER><YY>CD, <TIER><YY>NM` (e.g. `LTLA22CD, LTLA22NM, UTLA22CD,
//! UTLA22NM`, or `LAD22CD, LAD22NM, ICB22CD, ICB22NM`), one row per lower-tier
//! area (or per smaller area, repeated rows being the same pair). The lower
//! tier is the `LAD` or `LTLA` column; every other code column is a tier it
//! rolls up into. All of them must be on the same boundaries (the same
//! `<YY>`); small-area columns (`OA`, `LSOA`, `MSOA`) are ignored.

use super::check_code;
use super::reader::Csv;
use crate::error::{InputError, InputErrors, Location};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Lower-tier areas and the areas they roll up into.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    pub path: PathBuf,
    /// The year of the boundaries (`LTLA22CD`: 2022).
    pub boundary_year: i32,
    /// Lower-tier code → name.
    pub names: BTreeMap<String, String>,
    /// Upper code → (its name, its lower-tier codes in order).
    pub parents: BTreeMap<String, (String, Vec<String>)>,
}

const LAYOUT: &str = "a lookup has code and name columns per tier, e.g. LTLA22CD, LTLA22NM, UTLA22CD, UTLA22NM";

/// `LTLA22CD` → (`LTLA`, 22).
fn code_column(header: &str) -> Option<(String, i32)> {
    let h = header.to_ascii_uppercase();
    let stem = h.strip_suffix("CD")?;
    let digits = stem.len().checked_sub(2)?;
    let (tier, yy) = stem.split_at(digits);
    let yy = yy.parse::<i32>().ok()?;
    (!tier.is_empty() && tier.chars().all(|c| c.is_ascii_alphabetic())).then(|| (tier.to_string(), yy))
}

impl Lookup {
    pub fn read(path: &Path) -> Result<Lookup, InputErrors> {
        let csv = Csv::read(path, "area lookup")?;
        let columns: Vec<(usize, String, i32)> = csv
            .header
            .iter()
            .enumerate()
            .filter_map(|(i, h)| code_column(h).map(|(t, y)| (i, t, y)))
            // Small areas (a lookup built from LSOAs) are neither tier.
            .filter(|(_, t, _)| !matches!(t.as_str(), "OA" | "LSOA" | "MSOA"))
            .collect();
        let header_error =
            |m: String| InputErrors::from(InputError::new(Location::Row(path.to_path_buf(), 1, None), m));
        let Some(lower) = columns.iter().find(|(_, t, _)| t == "LAD" || t == "LTLA") else {
            return Err(header_error(format!(
                "no lower-tier code column (LAD<YY>CD or LTLA<YY>CD); {LAYOUT}"
            )));
        };
        if let Some(other) = columns.iter().find(|(_, _, y)| *y != lower.2) {
            return Err(header_error(format!(
                "mixed boundary vintages: `{}` is on 20{:02} boundaries but `{}` on 20{:02}; use a lookup of one vintage",
                csv.header[lower.0], lower.2, csv.header[other.0], other.2
            )));
        }
        let name_of = |tier: &str, yy: i32| csv.require(&format!("{tier}{yy:02}NM"), LAYOUT);
        let lower_name = name_of(&lower.1, lower.2)?;
        let mut uppers = Vec::new();
        for (i, tier, yy) in columns.iter().filter(|(i, _, _)| *i != lower.0) {
            uppers.push((*i, name_of(tier, *yy)?));
        }
        if uppers.is_empty() {
            return Err(header_error(format!(
                "no upper-tier code column to roll areas up into; {LAYOUT}"
            )));
        }
        let mut lookup = Lookup {
            path: path.to_path_buf(),
            boundary_year: 2000 + lower.2,
            names: BTreeMap::new(),
            parents: BTreeMap::new(),
        };
        let mut errors = Vec::new();
        for (line, fields) in &csv.rows {
            let code = &fields[lower.0];
            if let Err(m) = check_code(code) {
                errors.push(InputError::new(csv.at(*line, Some(lower.0)), m));
                continue;
            }
            lookup
                .names
                .entry(code.clone())
                .or_insert_with(|| fields[lower_name].clone());
            for &(at, name_at) in &uppers {
                let parent = &fields[at];
                if let Err(m) = check_code(parent) {
                    errors.push(InputError::new(csv.at(*line, Some(at)), m));
                    continue;
                }
                let entry = lookup
                    .parents
                    .entry(parent.clone())
                    .or_insert_with(|| (fields[name_at].clone(), Vec::new()));
                if !entry.1.contains(code) {
                    entry.1.push(code.clone());
                }
            }
        }
        if !errors.is_empty() {
            return Err(InputErrors::new(errors));
        }
        Ok(lookup)
    }

    /// The lower-tier areas of `code` (itself, if it is a lower-tier area),
    /// with their names; or a message naming the file.
    pub fn areas_of(&self, code: &str) -> Result<Vec<(String, String)>, InputError> {
        check_code(code).map_err(|m| InputError::in_file(&self.path, m))?;
        if let Some(name) = self.names.get(code) {
            return Ok(vec![(code.to_string(), name.clone())]);
        }
        let (_, lower) = self.parents.get(code).ok_or_else(|| {
            InputError::in_file(
                &self.path,
                format!(
                    "unknown area code `{code}`: neither a lower-tier area nor an area they roll up into in this lookup ({} boundaries)",
                    self.boundary_year
                ),
            )
        })?;
        Ok(lower.iter().map(|c| (c.clone(), self.names[c].clone())).collect())
    }

    /// The name of upper-tier `code`.
    pub fn parent_name(&self, code: &str) -> Option<&str> {
        self.parents.get(code).map(|(n, _)| n.as_str())
    }
}
