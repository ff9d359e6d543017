//! Names as the file gives them: checked to be usable, resolved to band
//! and level indices, and written back into the labels of uncertain numbers.

use crate::scenario::checks::{Span, Validator};

/// `a+b` for the bands of a row (`*` for every band), for labels.
pub(super) fn band_list(names: &Names, bands: &[usize]) -> String {
    if bands.len() == names.bands.len() && bands.len() > 1 {
        "*".into()
    } else {
        bands
            .iter()
            .map(|&b| names.bands[b].as_str())
            .collect::<Vec<_>>()
            .join("+")
    }
}

/// `@2030` for a by-year point, nothing for a constant.
pub(super) fn at_year(year: Option<i32>) -> String {
    year.map(|y| format!("@{y}")).unwrap_or_default()
}

/// Names must be non-empty, unique, and free of dots (which separate the parts of override paths).
pub(super) fn check_names<'n>(v: &mut Validator, kind: &str, names: impl Iterator<Item = (&'n str, Span)>) {
    let mut seen: Vec<&str> = Vec::new();
    for (name, span) in names {
        if name.trim().is_empty() {
            v.err(&span, format!("a {kind} has an empty name; give it a name"));
        } else if name.chars().any(char::is_control) {
            v.err(
                &span,
                format!(
                    "{kind} name `{}` has a control character (such as a tab, newline or escape); use plain text",
                    name.escape_debug()
                ),
            );
        } else if name.contains('.') {
            v.err(&span, format!("{kind} name `{name}` contains a dot; dots separate the parts of override paths, use another character"));
        } else if seen.contains(&name) {
            v.err(&span, format!("{kind} `{name}` is defined twice; names must be unique"));
        }
        seen.push(name);
    }
}

pub(super) fn list(names: &[String]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

pub(super) struct Names {
    /// The model's levels: a level with yearly tunnels is one per tunnel
    /// (one a step with finer steps than a year).
    pub(super) levels: Vec<String>,
    pub(super) bands: Vec<String>,
    /// Levels split into yearly tunnels (`[model] tunnels`).
    pub(super) tunnels: Vec<crate::model::Tunnel>,
}

impl Names {
    /// The level `name`; for a level with tunnels, its first (where people
    /// enter it: the `to` of a move, people at the start, entries); for
    /// one year of it, that year's first (people at the start in year K
    /// have been in it K − 1 years).
    pub(super) fn level(&self, name: &str) -> Result<usize, String> {
        if let Some(t) = self.tunnel(name) {
            return Ok(t.first);
        }
        if let Some(year) = self.year_named(name) {
            return Ok(year.start);
        }
        self.levels
            .iter()
            .position(|l| l == name)
            .ok_or_else(|| format!("unknown level `{name}`; the levels are {}", list(&self.file_levels())))
    }

    /// The level `name`, or every tunnel of a level with tunnels (what
    /// applies to the whole level: moves out of it, exits, use, weights),
    /// or every tunnel of one year of it (each step's alike).
    pub(super) fn level_all(&self, name: &str) -> Result<Vec<usize>, String> {
        match (self.tunnel(name), self.year_named(name)) {
            (Some(t), _) => Ok(t.levels().collect()),
            (None, Some(year)) => Ok(year.collect()),
            (None, None) => self.level(name).map(|l| vec![l]),
        }
    }

    /// The tunnels of `name`'s `years`-th year (1 for the first; the last
    /// for its years or more), and the year's name.
    pub(super) fn tunnel_year(&self, name: &str, years: i64) -> Result<(Vec<usize>, String), String> {
        let Some(t) = self.tunnel(name) else {
            return Err(format!(
                "`{name}` has no yearly tunnels, so years_in_level does not apply; give it `tunnels = {{ \"{name}\" = YEARS }}` in [model], or leave years_in_level out"
            ));
        };
        match usize::try_from(years) {
            Ok(y @ 1..) if y <= t.years => Ok((t.year(y).collect(), t.year_name(y))),
            _ => Err(format!(
                "years_in_level is {years}; `{name}` has {} yearly tunnels: give a whole number from 1 to {} (the last is for {} years or more)",
                t.years, t.years, t.years
            )),
        }
    }

    pub(super) fn tunnel(&self, name: &str) -> Option<&crate::model::Tunnel> {
        self.tunnels.iter().find(|t| t.name == name)
    }

    /// With finer steps than a year, the tunnels of the year of a level
    /// with tunnels that `name` names (`LEVEL (year K)`).
    fn year_named(&self, name: &str) -> Option<std::ops::Range<usize>> {
        crate::model::Tunnel::year_named(&self.tunnels, name)
    }

    /// Model level `l` as the file names it: with finer steps than a year
    /// a step tunnel by its year's name.
    pub(super) fn display(&self, l: usize) -> String {
        match self.tunnels.iter().find_map(|t| t.year_of(l).map(|y| (t, y))) {
            Some((t, y)) if t.steps > 1 => t.year_name(y),
            _ => self.levels[l].clone(),
        }
    }

    /// The levels as the file may name them: a level with tunnels by its
    /// years (each year's step tunnels under the year's name).
    pub(super) fn file_levels(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for l in 0..self.levels.len() {
            let name = self.display(l);
            if out.last() != Some(&name) {
                out.push(name);
            }
        }
        out
    }

    pub(super) fn band(&self, name: &str) -> Result<usize, String> {
        self.bands
            .iter()
            .position(|b| b == name)
            .ok_or_else(|| format!("unknown band `{name}`; the bands are {}", list(&self.bands)))
    }

    /// Bands named in an optional list (default: every band).
    pub(super) fn bands_or_all(&self, names: &Option<Vec<String>>) -> Result<Vec<usize>, String> {
        match names {
            None => Ok((0..self.bands.len()).collect()),
            Some(list) if list.is_empty() => Err("the list of bands is empty; leave it out to mean every band".into()),
            Some(list) => list.iter().map(|n| self.band(n)).collect(),
        }
    }

    pub(super) fn levels_or_all(&self, names: &Option<Vec<String>>) -> Result<Vec<usize>, String> {
        match names {
            None => Ok((0..self.levels.len()).collect()),
            Some(list) if list.is_empty() => {
                Err("the list of levels is empty; leave it out to mean every level".into())
            }
            Some(list) => {
                let each: Result<Vec<Vec<usize>>, String> = list.iter().map(|n| self.level_all(n)).collect();
                Ok(each?.concat())
            }
        }
    }
}
