//! ONS population files: sub-national population projections (SNPP, the
//! CSV inside the published zip: `AREA_CODE, AREA_NAME, COMPONENT, SEX,
//! AGE_GROUP, 2022, 2023, …`, 2018-based and 2022-based releases, one file
//! each for males, females and persons) and mid-year estimates
//! (`ladcode23, laname23, country, sex, age, population_2011, …`).
//! Both become people by single year of age 0–90 (90: 90 and over), by
//! area and year.

use super::reader::{Csv, people};
use super::{OPEN_AGE, check_code};
use crate::error::{InputError, InputErrors, Location};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which release a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Projection,
    Estimates,
}

/// People by single year of age, `OPEN_AGE + 1` entries (the last is 90
/// and over); `None` where the file has no row.
pub type Ages = Vec<Option<f64>>;

/// One area's people by year and age.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaPopulation {
    pub code: String,
    pub name: String,
    pub years: BTreeMap<i32, Ages>,
}

/// A release read: every area in it, by year and single year of age, male
/// and female summed (or the persons rows where the file has them).
#[derive(Debug, Clone, PartialEq)]
pub struct Population {
    /// The files read (a projection may come as a males and a females file).
    pub paths: Vec<PathBuf>,
    pub kind: Kind,
    /// The first year of the file: a projection's base year (its release,
    /// "2022-based"), or the estimates' latest year.
    pub base_year: i32,
    /// Every year the file gives, in order.
    pub years: Vec<i32>,
    /// The boundaries the estimates' area codes are on (`ladcode23`: 2023).
    pub boundary_year: Option<i32>,
    pub areas: BTreeMap<String, AreaPopulation>,
}

impl Population {
    /// e.g. "2022-based" or "mid-2023 estimates, 2023 boundaries".
    pub fn vintage(&self) -> String {
        match (self.kind, self.boundary_year) {
            (Kind::Projection, _) => format!("{}-based", self.base_year),
            (Kind::Estimates, Some(b)) => format!("mid-{}, {b} boundaries", self.base_year),
            (Kind::Estimates, None) => format!("mid-{}", self.base_year),
        }
    }

    /// The area `code`, or a message naming the file and the areas it has.
    pub fn area(&self, code: &str) -> Result<&AreaPopulation, InputError> {
        check_code(code).map_err(|m| InputError::in_file(&self.paths[0], m))?;
        self.areas.get(code).ok_or_else(|| {
            let some: Vec<&str> = self.areas.keys().take(5).map(String::as_str).collect();
            InputError::in_file(
                &self.paths[0],
                format!(
                    "unknown area code `{code}`: not in this file, which has {} area{} ({}{}); check the code, and that the file covers the area and is on the same boundaries",
                    self.areas.len(),
                    if self.areas.len() == 1 { "" } else { "s" },
                    some.join(", "),
                    if self.areas.len() > some.len() { ", …" } else { "" }
                ),
            )
        })
    }
}

/// Male, female or both, as the files write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Male,
    Female,
    Persons,
}

fn sex(text: &str) -> Option<Sex> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "m" | "male" | "males" => Some(Sex::Male),
        "2" | "f" | "female" | "females" => Some(Sex::Female),
        "0" | "p" | "persons" | "person" | "all" | "all persons" => Some(Sex::Persons),
        _ => None,
    }
}

/// What one or more files of a release hold before the sexes are summed.
struct Raw {
    /// (area, sex) → year → ages, and the line of the area's first row.
    cells: BTreeMap<(String, u8), BTreeMap<i32, Ages>>,
    names: BTreeMap<String, (String, PathBuf, usize)>,
}

impl Raw {
    fn new() -> Self {
        Raw {
            cells: BTreeMap::new(),
            names: BTreeMap::new(),
        }
    }
}

const PROJECTION_LAYOUT: &str = "an ONS sub-national projection has columns AREA_CODE, AREA_NAME, COMPONENT, SEX, AGE_GROUP and then one column per year (2022, 2023, …)";
const ESTIMATES_LAYOUT: &str = "ONS mid-year estimates have columns ladcode<YY>, laname<YY>, country, sex, age and then population_<YYYY> per year";

/// Reads the files of one projection release (a persons file, or a males
/// and a females file). Files of different releases are refused.
pub fn read_projection(paths: &[PathBuf]) -> Result<Population, InputErrors> {
    let mut raw = Raw::new();
    let mut errors = Vec::new();
    let mut release: Option<(i32, Vec<i32>, PathBuf)> = None;
    for path in paths {
        let csv = Csv::read(path, "population projection")?;
        let columns = ["AREA_CODE", "AREA_NAME", "COMPONENT", "SEX", "AGE_GROUP"];
        let mut at = Vec::new();
        for c in columns {
            at.push(csv.require(c, PROJECTION_LAYOUT)?);
        }
        let year_columns = year_columns(
            &csv,
            |h| h.parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)),
            &at,
        )?;
        let years: Vec<i32> = year_columns.iter().map(|(_, y)| *y).collect();
        match &release {
            Some((first, _, earlier)) if *first != years[0] => {
                return Err(InputError::in_file(
                    path,
                    format!(
                        "mixed release years: this file is {}-based but {} is {first}-based; use the files of one release",
                        years[0],
                        earlier.display()
                    ),
                )
                .into());
            }
            Some((_, earlier_years, earlier)) if *earlier_years != years => {
                return Err(InputError::in_file(
                    path,
                    format!(
                        "its years ({}–{}) differ from those of {} ({}–{}); use the files of one release and variant",
                        years[0],
                        years[years.len() - 1],
                        earlier.display(),
                        earlier_years[0],
                        earlier_years[earlier_years.len() - 1]
                    ),
                )
                .into());
            }
            Some(_) => {}
            None => release = Some((years[0], years.clone(), path.clone())),
        }
        for (line, fields) in &csv.rows {
            if !fields[at[2]].eq_ignore_ascii_case("population") {
                continue; // other components (births, deaths, migration) are not people
            }
            let age_text = &fields[at[4]];
            if age_text.eq_ignore_ascii_case("all ages") {
                continue;
            }
            let age = match projection_age(age_text) {
                Some(a) => a,
                None => {
                    errors.push(InputError::new(
                        csv.at(*line, Some(at[4])),
                        format!("`{age_text}` is not an age group; valid: 0 to 89, `90 and over`, `All ages`"),
                    ));
                    continue;
                }
            };
            add_row(
                &csv,
                *line,
                fields,
                (at[0], at[1], at[3]),
                age,
                &year_columns,
                &mut raw,
                &mut errors,
            );
        }
    }
    let (base_year, years, _) = release.unwrap_or((0, Vec::new(), PathBuf::new()));
    finish(raw, errors, paths.to_vec(), Kind::Projection, base_year, years, None)
}

/// Reads a mid-year estimates file.
pub fn read_estimates(path: &Path) -> Result<Population, InputErrors> {
    let csv = Csv::read(path, "mid-year estimates file")?;
    let code_column = csv
        .header
        .iter()
        .position(|h| h.to_ascii_lowercase().starts_with("ladcode"))
        .ok_or_else(|| {
            InputError::new(
                Location::Row(path.to_path_buf(), 1, None),
                format!("no column `ladcode<YY>`; {ESTIMATES_LAYOUT}"),
            )
        })?;
    let suffix = &csv.header[code_column][7..];
    let boundary_year = suffix
        .parse::<i32>()
        .ok()
        .filter(|_| suffix.len() == 2)
        .map(|yy| 2000 + yy)
        .ok_or_else(|| {
            InputError::new(
                csv.at(1, Some(code_column)),
                format!(
                    "`{}` does not say its boundary year; {ESTIMATES_LAYOUT}",
                    csv.header[code_column]
                ),
            )
        })?;
    let name_column = csv.require(&format!("laname{suffix}"), ESTIMATES_LAYOUT)?;
    let sex_column = csv.require("sex", ESTIMATES_LAYOUT)?;
    let age_column = csv.require("age", ESTIMATES_LAYOUT)?;
    let country_column = csv.require("country", ESTIMATES_LAYOUT)?;
    let known = [code_column, name_column, sex_column, age_column, country_column];
    let year_columns = year_columns(
        &csv,
        |h| {
            h.to_ascii_lowercase()
                .strip_prefix("population_")
                .and_then(|y| y.parse::<i32>().ok())
                .filter(|y| (1900..=2200).contains(y))
        },
        &known,
    )?;
    let mut raw = Raw::new();
    let mut errors = Vec::new();
    for (line, fields) in &csv.rows {
        let age = match fields[age_column].parse::<usize>() {
            Ok(a) if a <= OPEN_AGE => a,
            _ => {
                errors.push(InputError::new(
                    csv.at(*line, Some(age_column)),
                    format!(
                        "`{}` is not an age; valid: 0 to 90 (90 means 90 and over)",
                        fields[age_column]
                    ),
                ));
                continue;
            }
        };
        add_row(
            &csv,
            *line,
            fields,
            (code_column, name_column, sex_column),
            age,
            &year_columns,
            &mut raw,
            &mut errors,
        );
    }
    let years: Vec<i32> = year_columns.iter().map(|(_, y)| *y).collect();
    let latest = years.last().copied().unwrap_or(0);
    finish(
        raw,
        errors,
        vec![path.to_path_buf()],
        Kind::Estimates,
        latest,
        years,
        Some(boundary_year),
    )
}

/// `0`…`89`, `90 and over` (or `90+`).
fn projection_age(text: &str) -> Option<usize> {
    let t = text.trim().to_ascii_lowercase();
    if t == "90 and over" || t == "90+" {
        return Some(OPEN_AGE);
    }
    t.parse::<usize>().ok().filter(|a| *a < OPEN_AGE)
}

/// The year columns: every column not in `known` must be one (as `year`
/// reads it), and the years must run one after another.
fn year_columns(
    csv: &Csv,
    year: impl Fn(&str) -> Option<i32>,
    known: &[usize],
) -> Result<Vec<(usize, i32)>, InputErrors> {
    let mut out: Vec<(usize, i32)> = Vec::new();
    for (i, h) in csv.header.iter().enumerate() {
        if known.contains(&i) {
            continue;
        }
        match year(h) {
            Some(y) => {
                if let Some((_, before)) = out.last()
                    && y != before + 1
                {
                    return Err(InputError::new(
                        Location::Row(csv.path.clone(), 1, Some(h.clone())),
                        format!("missing years: column {y} follows {before}; the file needs every year from its first to its last"),
                    )
                    .into());
                }
                out.push((i, y));
            }
            None => {
                return Err(InputError::new(
                    Location::Row(csv.path.clone(), 1, Some(h.clone())),
                    "is not a year column; after the area, sex and age columns every column is a year".to_string(),
                )
                .into());
            }
        }
    }
    if out.is_empty() {
        return Err(InputError::new(Location::Row(csv.path.clone(), 1, None), "has no year columns").into());
    }
    Ok(out)
}

/// One row's people into `raw`.
#[allow(clippy::too_many_arguments)]
fn add_row(
    csv: &Csv,
    line: usize,
    fields: &[String],
    (code_at, name_at, sex_at): (usize, usize, usize),
    age: usize,
    year_columns: &[(usize, i32)],
    raw: &mut Raw,
    errors: &mut Vec<InputError>,
) {
    let code = &fields[code_at];
    if let Err(m) = check_code(code) {
        errors.push(InputError::new(csv.at(line, Some(code_at)), m));
        return;
    }
    let Some(s) = sex(&fields[sex_at]) else {
        errors.push(InputError::new(
            csv.at(line, Some(sex_at)),
            format!(
                "`{}` is not a sex; valid: males, females, persons (or 1, 2)",
                fields[sex_at]
            ),
        ));
        return;
    };
    raw.names
        .entry(code.clone())
        .or_insert_with(|| (fields[name_at].clone(), csv.path.clone(), line));
    let by_year = raw.cells.entry((code.clone(), s as u8)).or_default();
    for &(column, year) in year_columns {
        let value = match people(&fields[column]) {
            Ok(v) => v,
            Err(m) => {
                errors.push(InputError::new(csv.at(line, Some(column)), m));
                continue;
            }
        };
        let slot = &mut by_year.entry(year).or_insert_with(|| vec![None; OPEN_AGE + 1])[age];
        if slot.is_some() {
            errors.push(InputError::new(
                csv.at(line, None),
                format!("area {code}, age {age}, year {year} is given twice for the same sex"),
            ));
            return;
        }
        *slot = Some(value);
    }
}

/// Sums the sexes (or takes the persons rows) into a `Population`.
fn finish(
    raw: Raw,
    mut errors: Vec<InputError>,
    paths: Vec<PathBuf>,
    kind: Kind,
    base_year: i32,
    years: Vec<i32>,
    boundary_year: Option<i32>,
) -> Result<Population, InputErrors> {
    let mut areas = BTreeMap::new();
    for (code, (name, path, line)) in raw.names {
        let get = |s: Sex| raw.cells.get(&(code.clone(), s as u8));
        let by_year = match (get(Sex::Persons), get(Sex::Male), get(Sex::Female)) {
            (Some(p), _, _) => p.clone(),
            (None, Some(m), Some(f)) => m
                .iter()
                .map(|(year, male)| {
                    let female = f.get(year);
                    let ages = (0..=OPEN_AGE)
                        .map(|a| match (male[a], female.and_then(|f| f[a])) {
                            (Some(x), Some(y)) => Some(x + y),
                            _ => None,
                        })
                        .collect();
                    (*year, ages)
                })
                .collect(),
            (None, m, _) => {
                let (has, lacks) = if m.is_some() {
                    ("male", "females")
                } else {
                    ("female", "males")
                };
                errors.push(InputError::new(
                    Location::Row(path, line, None),
                    format!("area {code} has only {has} rows; give the {lacks} file too, or the persons file"),
                ));
                continue;
            }
        };
        areas.insert(
            code.clone(),
            AreaPopulation {
                code,
                name,
                years: by_year,
            },
        );
    }
    if !errors.is_empty() {
        return Err(InputErrors::new(errors));
    }
    if areas.is_empty() {
        return Err(InputError::in_file(&paths[0], "has no population rows").into());
    }
    Ok(Population {
        paths,
        kind,
        base_year,
        years,
        boundary_year,
        areas,
    })
}
