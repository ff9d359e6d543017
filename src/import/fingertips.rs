//! Indicators in the OHID Fingertips export layout (`Indicator ID,
//! Indicator Name, …, Area Code, Area Name, …, Sex, Age, …, Time period,
//! Value, Lower CI 95.0 limit, Upper CI 95.0 limit, …, Count, Denominator,
//! …`), for a prevalence or need-mix share.
//!
//! The value is read as a percentage (Fingertips gives proportions per 100).
//! Its 95% confidence interval becomes a beta distribution: mean the value
//! ÷ 100, standard deviation the interval's width ÷ (2 × 1.96) ÷ 100 (the
//! normal approximation the interval itself rests on). Without an interval
//! the share is a fixed number.

use super::check_code;
use super::reader::Csv;
use crate::error::{InputError, InputErrors, Location};
use std::path::{Path, PathBuf};

/// One area's figure for one indicator and period.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub path: PathBuf,
    pub line: usize,
    pub id: String,
    pub name: String,
    pub area_code: String,
    pub area_name: String,
    pub period: String,
    /// The Age column as written (for example `65+ yrs`).
    pub age: String,
    /// Per cent.
    pub value: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

const LAYOUT: &str = "a Fingertips export has columns Indicator ID, Indicator Name, Area Code, Area Name, Sex, Age, Time period, Value, Lower CI 95.0 limit, Upper CI 95.0 limit, Count, Denominator";

impl Indicator {
    /// The share as a scenario file's number: `{ dist = "beta", mean, sd }`
    /// from the interval, or the plain share without one.
    pub fn share_toml(&self) -> String {
        let mean = self.value / 100.0;
        match (self.lower, self.upper) {
            (Some(lo), Some(hi)) if hi > lo => {
                let sd = (hi - lo) / (2.0 * 1.96) / 100.0;
                format!("{{ dist = \"beta\", mean = {}, sd = {} }}", round(mean), round(sd))
            }
            _ => format!("{}", round(mean)),
        }
    }
}

/// The ages an indicator's Age column covers, `[lower, upper)` in years
/// (`upper` `None`: and over): `All ages`, `65+ yrs`, `65-74 yrs` (to 75),
/// `<75 yrs`, `85 yrs` (one year); `None` for anything else.
pub fn age_range(age: &str) -> Option<(f64, Option<f64>)> {
    let age = age.trim();
    if age.eq_ignore_ascii_case("all ages") {
        return Some((0.0, None));
    }
    let years = age.strip_suffix("yrs").or_else(|| age.strip_suffix("yr"))?.trim();
    let whole = |t: &str| t.trim().parse::<u16>().ok().map(f64::from);
    if let Some(lower) = years.strip_suffix('+') {
        return Some((whole(lower)?, None));
    }
    if let Some(upper) = years.strip_prefix('<') {
        return Some((0.0, Some(whole(upper)?)));
    }
    if let Some((lower, upper)) = years.split_once('-') {
        let (lower, upper) = (whole(lower)?, whole(upper)?);
        return (upper >= lower).then_some((lower, Some(upper + 1.0)));
    }
    whole(years).map(|a| (a, Some(a + 1.0)))
}

fn round(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The latest figure for `area` in the file (persons where the file splits
/// by sex; the last row of the area otherwise).
pub fn read(path: &Path, area: &str) -> Result<Indicator, InputErrors> {
    let csv = Csv::read(path, "indicator file")?;
    let mut at = Vec::new();
    for c in [
        "Indicator ID",
        "Indicator Name",
        "Area Code",
        "Area Name",
        "Sex",
        "Time period",
        "Age",
        "Value",
        "Lower CI 95.0 limit",
        "Upper CI 95.0 limit",
    ] {
        at.push(csv.require(c, LAYOUT)?);
    }
    check_code(area).map_err(|m| InputError::in_file(path, m))?;
    let mut best: Option<Indicator> = None;
    let mut errors = Vec::new();
    for (line, f) in &csv.rows {
        if f[at[2]] != area {
            continue;
        }
        let number = |i: usize| -> Result<Option<f64>, InputError> {
            let t = &f[at[i]];
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<f64>()
                .ok()
                .filter(|x| (0.0..=100.0).contains(x))
                .map(Some)
                .ok_or_else(|| {
                    InputError::new(
                        csv.at(*line, Some(at[i])),
                        format!("`{t}` is not a percentage (0 to 100)"),
                    )
                })
        };
        let (value, lower, upper) = match (number(7), number(8), number(9)) {
            (Ok(Some(v)), Ok(lo), Ok(hi)) => (v, lo, hi),
            (Ok(None), _, _) => continue, // suppressed or missing for this period
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                errors.push(e);
                continue;
            }
        };
        let persons = f[at[4]].eq_ignore_ascii_case("persons");
        if best.is_some() && !persons {
            continue;
        }
        best = Some(Indicator {
            path: path.to_path_buf(),
            line: *line,
            id: f[at[0]].clone(),
            name: f[at[1]].clone(),
            area_code: area.to_string(),
            area_name: f[at[3]].clone(),
            period: f[at[5]].clone(),
            age: f[at[6]].clone(),
            value,
            lower,
            upper,
        });
    }
    if !errors.is_empty() {
        return Err(InputErrors::new(errors));
    }
    best.ok_or_else(|| {
        InputError::new(
            Location::File(path.to_path_buf()),
            format!("unknown area code `{area}`: this indicator file has no value for it"),
        )
        .into()
    })
}
