//! The maturity matrix: a system self-assessment beside the model. The
//! matrix's structure is data (`data/maturity-matrix.toml`, built in, or a
//! user's copy with the full wording); an assessment is a plain TOML file
//! (who, when, individual or group, the criteria ticked, notes, barriers and
//! priority actions); summaries give each unit's level, and comparisons show
//! change between assessments and disagreement between people.

use crate::error::{InputError, InputErrors, toml_problem};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The matrix bundled with upstream.
pub const BUNDLED: &str = include_str!("../../data/maturity-matrix.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub level: u8,
    pub name: String,
    pub seed_label: Option<String>,
    pub meaning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coded {
    pub code: String,
    pub meaning: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Element {
    pub code: String,
    pub dimension: String,
    pub name: String,
    pub focus: Option<String>,
}

/// What gets a rating: a sub-element, or a key element without any.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: String,
    pub element: String,
    pub name: String,
    #[serde(default)]
    pub supporting: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub code: String,
    pub unit: String,
    pub level: u8,
    /// A short paraphrase.
    pub summary: String,
    /// The full wording, from a user's own copy of the workbook.
    pub text: Option<String>,
    /// Why the source leaves the level unclear (the level is a best reading).
    pub ambiguous: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recording {
    notes_per_unit: Vec<String>,
    summary_per_unit: Vec<String>,
}

/// The whole matrix.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matrix {
    pub version: u32,
    pub source: String,
    pub levels: Vec<Level>,
    pub horizons: Vec<Coded>,
    #[serde(default)]
    assessments: Vec<Coded>,
    recording: Option<Recording>,
    pub dimensions: Vec<Dimension>,
    pub elements: Vec<Element>,
    pub units: Vec<Unit>,
    pub criteria: Vec<Criterion>,
}

impl Default for Matrix {
    fn default() -> Self {
        Matrix::parse(None, BUNDLED).expect("the bundled maturity matrix is valid")
    }
}

impl Matrix {
    /// Reads a matrix (`path` names it in messages; `None`: the bundled one)
    /// and checks that every reference resolves.
    pub fn parse(path: Option<&Path>, text: &str) -> Result<Matrix, InputErrors> {
        let shown = path.map_or_else(
            || PathBuf::from("data/maturity-matrix.toml (built in)"),
            Path::to_path_buf,
        );
        let m: Matrix = toml::from_str(text).map_err(|e| toml_problem(&shown, text, &e, "maturity matrix"))?;
        let mut problems = Vec::new();
        let levels: Vec<u8> = m.levels.iter().map(|l| l.level).collect();
        if levels != [1, 2, 3, 4] {
            problems.push("levels must be 1 to 4, in order".to_string());
        }
        for e in &m.elements {
            if !m.dimensions.iter().any(|d| d.code == e.dimension) {
                problems.push(format!(
                    "element {} names an unknown dimension `{}`",
                    e.code, e.dimension
                ));
            }
        }
        for u in &m.units {
            if !m.elements.iter().any(|e| e.code == u.element) {
                problems.push(format!("unit {} names an unknown element `{}`", u.code, u.element));
            }
        }
        for c in &m.criteria {
            if !m.units.iter().any(|u| u.code == c.unit) {
                problems.push(format!("criterion {} names an unknown unit `{}`", c.code, c.unit));
            }
            if !(1..=4).contains(&c.level) {
                problems.push(format!("criterion {} has level {}; give 1 to 4", c.code, c.level));
            }
        }
        let mut codes: Vec<&str> = m
            .units
            .iter()
            .map(|u| u.code.as_str())
            .chain(m.criteria.iter().map(|c| c.code.as_str()))
            .collect();
        codes.sort_unstable();
        for w in codes.windows(2) {
            if w[0] == w[1] {
                problems.push(format!("code {} is used twice", w[0]));
            }
        }
        for u in &m.units {
            if !m.criteria.iter().any(|c| c.unit == u.code && c.level == 1) {
                problems.push(format!("unit {} has no basic-level criterion", u.code));
            }
        }
        if problems.is_empty() {
            Ok(m)
        } else {
            Err(InputErrors::new(
                problems.into_iter().map(|p| InputError::in_file(&shown, p)).collect(),
            ))
        }
    }

    /// Reads a user's copy of the matrix (e.g. with the full wording).
    pub fn load(path: &Path) -> Result<Matrix, InputErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::in_file(path, format!("cannot read the maturity matrix: {e}")))?;
        Matrix::parse(Some(path), &text)
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    pub fn element_of(&self, unit: &Unit) -> &Element {
        self.elements.iter().find(|e| e.code == unit.element).expect("checked")
    }

    pub fn dimension_of(&self, unit: &Unit) -> &Dimension {
        let e = self.element_of(unit);
        self.dimensions.iter().find(|d| d.code == e.dimension).expect("checked")
    }

    pub fn criteria_of<'a>(&'a self, unit: &'a str) -> impl Iterator<Item = &'a Criterion> + 'a {
        self.criteria.iter().filter(move |c| c.unit == unit)
    }

    pub fn level_name(&self, level: u8) -> &str {
        match level {
            0 => "not yet basic",
            l => self.levels.get(usize::from(l) - 1).map_or("?", |x| x.name.as_str()),
        }
    }

    /// A unit's label: "1.1 Vision, strategy and plan".
    pub fn unit_label(&self, unit: &Unit) -> String {
        if unit.code == unit.element {
            format!("{} {}", unit.code, unit.name)
        } else {
            format!("{} {}: {}", unit.code, self.element_of(unit).name, unit.name)
        }
    }
}

/// A barrier to change noted against a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Barrier {
    pub unit: String,
    pub text: String,
}

/// A priority action against a unit, with its horizon (short, medium, long).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Action {
    pub unit: String,
    pub horizon: String,
    pub text: String,
}

/// One assessment, as its file holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assessment {
    pub who: String,
    pub date: String,
    /// `individual` or `group`.
    pub kind: String,
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub ticked: Vec<String>,
    #[serde(default)]
    pub notes: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub barriers: Vec<Barrier>,
    #[serde(default)]
    pub actions: Vec<Action>,
}

impl Assessment {
    /// Reads and checks an assessment against `matrix`: known codes, a
    /// known kind and horizons, a date as YYYY-MM-DD.
    pub fn load(path: &Path, matrix: &Matrix) -> Result<Assessment, InputErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::in_file(path, format!("cannot read the assessment: {e}")))?;
        let a: Assessment = toml::from_str(&text).map_err(|e| toml_problem(path, &text, &e, "assessment"))?;
        let problems = a.problems(matrix);
        if problems.is_empty() {
            Ok(a)
        } else {
            Err(InputErrors::new(
                problems.into_iter().map(|p| InputError::in_file(path, p)).collect(),
            ))
        }
    }

    /// What is wrong with it against `matrix`, if anything.
    pub fn problems(&self, matrix: &Matrix) -> Vec<String> {
        let mut p = Vec::new();
        if !matches!(self.kind.as_str(), "individual" | "group") {
            p.push(format!("kind is `{}`; give individual or group", self.kind));
        }
        if !valid_date(&self.date) {
            p.push(format!("date is `{}`; give a date as YYYY-MM-DD", self.date));
        }
        for code in &self.ticked {
            if !matrix.criteria.iter().any(|c| &c.code == code) {
                p.push(format!(
                    "ticked `{code}` is not a criterion of the matrix{}",
                    near(matrix, code)
                ));
            }
        }
        let units = self
            .notes
            .keys()
            .chain(self.barriers.iter().map(|b| &b.unit))
            .chain(self.actions.iter().map(|a| &a.unit));
        for u in units {
            if matrix.unit(u).is_none() {
                let known: Vec<&str> = matrix.units.iter().map(|u| u.code.as_str()).collect();
                p.push(format!("`{u}` is not a unit; the units are {}", known.join(", ")));
            }
        }
        for a in &self.actions {
            if !matrix.horizons.iter().any(|h| h.code == a.horizon) {
                let known: Vec<String> = matrix
                    .horizons
                    .iter()
                    .map(|h| format!("{} ({})", h.code, h.meaning))
                    .collect();
                p.push(format!("action horizon `{}`; give {}", a.horizon, known.join(", ")));
            }
        }
        p
    }

    /// A unit's level: the highest level whose criteria, and every lower
    /// level's, are all ticked (0: not every basic criterion is).
    pub fn level(&self, matrix: &Matrix, unit: &str) -> u8 {
        let mut reached = 0;
        for level in 1..=4u8 {
            let all = matrix
                .criteria_of(unit)
                .filter(|c| c.level == level)
                .all(|c| self.ticked.contains(&c.code));
            if !all {
                break;
            }
            reached = level;
        }
        reached
    }

    /// Criteria ticked above the unit's level (progress towards the next).
    pub fn beyond(&self, matrix: &Matrix, unit: &str) -> usize {
        let level = self.level(matrix, unit);
        matrix
            .criteria_of(unit)
            .filter(|c| c.level > level && self.ticked.contains(&c.code))
            .count()
    }
}

fn valid_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts[1].len() == 2
        && parts[2].len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        && (1..=12).contains(&parts[1].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&parts[2].parse::<u32>().unwrap_or(0))
}

/// " (did you mean 1.1a?)" for a code close to a criterion's.
fn near(matrix: &Matrix, code: &str) -> String {
    let lower = code.to_lowercase();
    matrix
        .criteria
        .iter()
        .find(|c| c.code.to_lowercase() == lower || c.code.replace('.', "") == lower.replace('.', ""))
        .map_or_else(String::new, |c| format!(" (did you mean {}?)", c.code))
}

/// One assessment summarised: each unit's level, and each dimension's mean.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturitySummary {
    pub who: String,
    pub date: String,
    /// Per unit (matrix order): level 0–4.
    pub levels: Vec<u8>,
    /// Per dimension (matrix order): mean level of its units.
    pub dimension_means: Vec<f64>,
}

pub fn summarise(matrix: &Matrix, a: &Assessment) -> MaturitySummary {
    let levels: Vec<u8> = matrix.units.iter().map(|u| a.level(matrix, &u.code)).collect();
    let dimension_means = matrix
        .dimensions
        .iter()
        .map(|d| {
            let of: Vec<f64> = matrix
                .units
                .iter()
                .zip(&levels)
                .filter(|(u, _)| matrix.dimension_of(u).code == d.code)
                .map(|(_, &l)| f64::from(l))
                .collect();
            of.iter().sum::<f64>() / of.len().max(1) as f64
        })
        .collect();
    MaturitySummary {
        who: a.who.clone(),
        date: a.date.clone(),
        levels,
        dimension_means,
    }
}

/// Units where several people's ratings differ, widest spread first:
/// (unit index, lowest, highest).
pub fn disagreements(summaries: &[MaturitySummary]) -> Vec<(usize, u8, u8)> {
    let Some(first) = summaries.first() else {
        return Vec::new();
    };
    let mut out: Vec<(usize, u8, u8)> = (0..first.levels.len())
        .filter_map(|u| {
            let lo = summaries.iter().map(|s| s.levels[u]).min()?;
            let hi = summaries.iter().map(|s| s.levels[u]).max()?;
            (hi > lo).then_some((u, lo, hi))
        })
        .collect();
    out.sort_by_key(|&(u, lo, hi)| (std::cmp::Reverse(hi - lo), u));
    out
}

/// A new, empty assessment file: every criterion listed, unit by unit, as a
/// comment to copy into `ticked`.
pub fn blank(matrix: &Matrix, who: &str, date: &str, kind: &str, area: &str) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let _ = writeln!(
        t,
        "# A maturity matrix self-assessment ({}), for `upstream maturity`.\n# Tick a criterion by adding its code to `ticked` (or: upstream maturity rate FILE --tick CODE).\n# A unit's level is the highest level whose criteria, and every lower level's, are all ticked.\n",
        matrix.source
    );
    let _ = writeln!(
        t,
        "who = {}\ndate = {}\nkind = {}   # individual or group\narea = {}\nticked = []\n",
        q(who),
        q(date),
        q(kind),
        q(area)
    );
    for u in &matrix.units {
        let _ = writeln!(t, "# {} ({})", matrix.unit_label(u), matrix.dimension_of(u).name);
        for c in matrix.criteria_of(&u.code) {
            let _ = writeln!(t, "#   {:<6} {:<21} {}", c.code, matrix.level_name(c.level), c.summary);
        }
    }
    let _ = writeln!(
        t,
        "\n# Notes per unit: [notes] \"1.1\" = \"...\"\n# Barriers: [[barriers]] unit = \"1.1\", text = \"...\"\n# Priority actions: [[actions]] unit = \"1.1\", horizon = \"short\" | \"medium\" | \"long\", text = \"...\""
    );
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_matrix_has_the_seeds_structure() {
        let m = Matrix::default();
        assert_eq!(m.dimensions.len(), 4);
        assert_eq!(m.elements.len(), 10);
        // 13 sub-elements and 4 elements without any: 17 rated units.
        assert_eq!(m.units.len(), 17);
        assert_eq!(m.units.iter().filter(|u| u.code != u.element).count(), 13);
        assert_eq!(m.criteria.len(), 123);
        let per_level: Vec<usize> = (1..=4)
            .map(|l| m.criteria.iter().filter(|c| c.level == l).count())
            .collect();
        assert_eq!(per_level, [18, 28, 46, 31]);
        assert!(m.criteria.iter().filter(|c| c.ambiguous.is_some()).count() >= 10);
    }

    fn assessment(ticked: &[&str]) -> Assessment {
        Assessment {
            who: "a".into(),
            date: "2026-01-31".into(),
            kind: "group".into(),
            area: String::new(),
            ticked: ticked.iter().map(|s| s.to_string()).collect(),
            notes: Default::default(),
            barriers: vec![],
            actions: vec![],
        }
    }

    #[test]
    fn a_level_needs_every_criterion_up_to_it() {
        let m = Matrix::default();
        let basic: Vec<&str> = m
            .criteria_of("2")
            .filter(|c| c.level == 1)
            .map(|c| c.code.as_str())
            .collect();
        let early: Vec<&str> = m
            .criteria_of("2")
            .filter(|c| c.level == 2)
            .map(|c| c.code.as_str())
            .collect();
        assert_eq!(assessment(&[]).level(&m, "2"), 0);
        assert_eq!(assessment(&basic).level(&m, "2"), 1);
        let both: Vec<&str> = basic.iter().chain(&early).copied().collect();
        assert_eq!(assessment(&both).level(&m, "2"), 2);
        // Early progress ticked without the basic level: still 0, one beyond.
        let a = assessment(&early[..1]);
        assert_eq!((a.level(&m, "2"), a.beyond(&m, "2")), (0, 1));
    }

    #[test]
    fn disagreements_are_listed_widest_first() {
        let s = |levels: Vec<u8>| MaturitySummary {
            who: String::new(),
            date: String::new(),
            levels,
            dimension_means: vec![],
        };
        let d = disagreements(&[s(vec![1, 2, 3]), s(vec![1, 4, 2])]);
        assert_eq!(d, vec![(1, 2, 4), (2, 2, 3)]);
    }

    #[test]
    fn problems_are_named() {
        let m = Matrix::default();
        let mut a = assessment(&["1.1A", "9.9z"]);
        a.kind = "team".into();
        a.date = "31/01/2026".into();
        a.actions.push(Action {
            unit: "1.1".into(),
            horizon: "soon".into(),
            text: "x".into(),
        });
        let p = a.problems(&m).join("\n");
        assert!(
            p.contains("ticked `1.1A` is not a criterion of the matrix (did you mean 1.1a?)"),
            "{p}"
        );
        assert!(p.contains("`9.9z` is not a criterion"));
        assert!(p.contains("kind is `team`") && p.contains("give a date as YYYY-MM-DD"));
        assert!(p.contains("action horizon `soon`; give short (next 6 months)"));
    }
}
