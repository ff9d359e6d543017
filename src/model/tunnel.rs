//! Tunnel levels (`[model] tunnels`): a level split into the time spent
//! in it, and the names the file gives its years.

use super::Model;

/// A level split into yearly tunnels (`[model] tunnels`), one tunnel a
/// step: levels `first ..` hold the people in their 1st, 2nd, … step in
/// it, `steps` a year for each of its first `years − 1` years, and the
/// last one level, those in it `years − 1` years or more (`LEVEL (year
/// N+)`). At each step those who stay move on to the next tunnel, so that
/// a year in the level moves them on to the next year's tunnels exactly;
/// moves into the level enter the first. With one step a year a tunnel is
/// a year.
#[derive(Debug, Clone, PartialEq)]
pub struct Tunnel {
    /// The level as the file names it.
    pub name: String,
    pub first: usize,
    /// At least 2.
    pub years: usize,
    /// Tunnels per year before the last: the model's steps per year.
    pub steps: usize,
}

impl Tunnel {
    /// Every tunnel of the level, as model levels.
    pub fn levels(&self) -> std::ops::Range<usize> {
        self.first..self.first + (self.years - 1) * self.steps + 1
    }

    /// The tunnels of the `year`-th year in the level (1 for the first;
    /// `years` for its years or more, one level), as model levels.
    pub fn year(&self, year: usize) -> std::ops::Range<usize> {
        debug_assert!((1..=self.years).contains(&year));
        let start = self.first + (year - 1) * self.steps;
        if year == self.years {
            start..start + 1
        } else {
            start..start + self.steps
        }
    }

    /// The `year`-th year's name as the file writes it: `LEVEL (year K)`,
    /// the last `LEVEL (year N+)`.
    pub fn year_name(&self, year: usize) -> String {
        if year == self.years {
            format!("{} (year {year}+)", self.name)
        } else {
            format!("{} (year {year})", self.name)
        }
    }

    /// With finer steps than a year, the tunnels of the year that `name`
    /// names (`LEVEL (year K)`) of one of `tunnels`. (With one step a year
    /// each year is a level of its own, found by its name.)
    pub fn year_named(tunnels: &[Tunnel], name: &str) -> Option<std::ops::Range<usize>> {
        (tunnels.iter())
            .filter(|t| t.steps > 1 && name.starts_with(t.name.as_str()))
            .find_map(|t| (1..=t.years).find(|&y| t.year_name(y) == name).map(|y| t.year(y)))
    }

    /// The year in the level (1, 2, …) whose tunnels hold model level `level`.
    pub fn year_of(&self, level: usize) -> Option<usize> {
        self.levels()
            .contains(&level)
            .then(|| ((level - self.first) / self.steps + 1).min(self.years))
    }
}

impl Model {
    /// The levels `name` names: a level (one), or with finer steps than a
    /// year one year of a level with tunnels by its name, `LEVEL (year K)`
    /// (that year's step tunnels; its first is where people enter it).
    pub fn levels_named(&self, name: &str) -> Option<std::ops::Range<usize>> {
        if let Some(l) = self.level_index(name) {
            return Some(l..l + 1);
        }
        Tunnel::year_named(&self.tunnels, name)
    }
}
