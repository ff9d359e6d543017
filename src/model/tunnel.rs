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
    /// The levels `name` names: a level (one); a level with tunnels as a
    /// whole, by the name the file gives it (every tunnel; the first is
    /// where people enter it); or with finer steps than a year one year of
    /// a level with tunnels by its name, `LEVEL (year K)` (that year's step
    /// tunnels; its first is where people enter it).
    pub fn levels_named(&self, name: &str) -> Option<std::ops::Range<usize>> {
        if let Some(l) = self.level_index(name) {
            return Some(l..l + 1);
        }
        if let Some(tunnel) = self.tunnels.iter().find(|t| t.name == name) {
            return Some(tunnel.levels());
        }
        Tunnel::year_named(&self.tunnels, name)
    }
}

/// An intervention's effects as the file gives them: an effect on the
/// moves out of a level with tunnels is one effect per tunnel in the
/// model, shown, set and read as one ([`Model::effect_groups`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EffectGroup {
    /// The first of the effects (whose value the group shows).
    pub first: usize,
    /// The intervention's effects in the group, in order.
    pub effects: Vec<usize>,
    /// Its path after `intervention.NAME.` and a label for people, as
    /// [`super::Effect::names`] gives them (the level with tunnels by the
    /// name the file gives it).
    pub path: String,
    pub label: String,
    /// For a relative risk on a move: the levels from and to as the path
    /// names them (`exit` for leaving).
    pub levels: Option<(String, String)>,
}

impl Model {
    /// The name of model level `level` where a path or a label may name a
    /// level with tunnels as a whole: the level's own name for its first
    /// tunnel (where people enter it), else the level's.
    fn entry_name(&self, level: usize) -> &str {
        match self.tunnels.iter().find(|t| t.first == level) {
            Some(t) => &t.name,
            None => &self.levels[level],
        }
    }

    /// Intervention `i`'s effects, those on the moves out of every tunnel
    /// of a level alike (to the same place, by the same number) together as
    /// one, named by the level as a whole; every other effect on its own,
    /// as [`super::Effect::names`] names it (a move into a level with
    /// tunnels named by the level, where people enter it). In the order of
    /// each group's first effect.
    pub fn effect_groups(&self, i: usize) -> Vec<EffectGroup> {
        let effects = &self.interventions[i].effects;
        let mut groups: Vec<EffectGroup> = Vec::new();
        let mut grouped = vec![false; effects.len()];
        for (k, effect) in effects.iter().enumerate() {
            if grouped[k] {
                continue;
            }
            let (members, path, label, levels) = match *effect {
                super::Effect::Transition { from, to, .. } => {
                    let to_name = to.map_or("exit", |t| self.entry_name(t));
                    let (members, from_name) = (self.moves_alike(effects, k, &grouped))
                        .unwrap_or_else(|| (vec![k], self.levels[from].as_str()));
                    (
                        members,
                        format!("relative_risk.{from_name}.{to_name}"),
                        format!("relative risk {from_name} → {to_name}"),
                        Some((from_name.to_string(), to_name.to_string())),
                    )
                }
                _ => {
                    let (path, label) = effect.names(self);
                    (vec![k], path, label, None)
                }
            };
            for &j in &members {
                grouped[j] = true;
            }
            groups.push(EffectGroup {
                first: k,
                effects: members,
                path,
                label,
                levels,
            });
        }
        groups
    }

    /// When `effects[k]` is a move out of a tunnel of a level with tunnels:
    /// the effects not yet `grouped` that move people out of the level's
    /// tunnels to the same place by the same number, with the level's
    /// name, if they cover every tunnel.
    fn moves_alike<'a>(
        &'a self,
        effects: &[super::Effect],
        k: usize,
        grouped: &[bool],
    ) -> Option<(Vec<usize>, &'a str)> {
        let super::Effect::Transition { from, to, .. } = effects[k] else {
            return None;
        };
        let tunnel = self.tunnels.iter().find(|t| t.levels().contains(&from))?;
        let value = effects[k].value().to_bits();
        // (Each effect alike with the tunnel it moves people out of.)
        let alike: Vec<(usize, usize)> = (k..effects.len())
            .filter(|&j| !grouped[j] && effects[j].value().to_bits() == value)
            .filter_map(|j| match effects[j] {
                super::Effect::Transition { from: f, to: t, .. } if t == to && tunnel.levels().contains(&f) => {
                    Some((j, f))
                }
                _ => None,
            })
            .collect();
        let mut froms: Vec<usize> = alike.iter().map(|&(_, f)| f).collect();
        froms.sort_unstable();
        froms.dedup();
        (froms.len() == tunnel.levels().len()).then(|| (alike.iter().map(|&(j, _)| j).collect(), tunnel.name.as_str()))
    }
}

/// How the output files show a level with tunnels (`[model]
/// tunnel_outputs`): as a whole, its tunnels summed (the default), or a
/// level per year in it (each year's step tunnels summed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TunnelOutputs {
    #[default]
    Summed,
    Each,
}

/// A level as the outputs show it (summary and detail rows, the workbook,
/// charts, the map of the system): its name and the model levels it sums,
/// in the model's order. Without tunnels, each level is one.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputLevel {
    pub name: String,
    pub levels: std::ops::Range<usize>,
}

impl OutputLevel {
    /// The output levels of a model's `levels`, with `tunnels` shown as
    /// `outputs` says.
    pub fn of(levels: &[String], tunnels: &[Tunnel], outputs: TunnelOutputs) -> Vec<OutputLevel> {
        let mut out = Vec::new();
        let mut l = 0;
        while l < levels.len() {
            match tunnels.iter().find(|t| t.first == l) {
                Some(t) => {
                    match outputs {
                        TunnelOutputs::Summed => out.push(OutputLevel {
                            name: t.name.clone(),
                            levels: t.levels(),
                        }),
                        TunnelOutputs::Each => out.extend((1..=t.years).map(|y| OutputLevel {
                            name: t.year_name(y),
                            levels: t.year(y),
                        })),
                    }
                    l = t.levels().end;
                }
                None => {
                    out.push(OutputLevel {
                        name: levels[l].clone(),
                        levels: l..l + 1,
                    });
                    l += 1;
                }
            }
        }
        out
    }

    /// The moves from this level to `to` in `row` (`from * nl + to`, model
    /// levels): every tunnel's to every tunnel's (a model level's own
    /// value, bit for bit, when each is one).
    pub fn flow_to(&self, to: &OutputLevel, row: &[f64], nl: usize) -> f64 {
        if self.levels.len() == 1 && to.levels.len() == 1 {
            row[self.levels.start * nl + to.levels.start]
        } else {
            (self.levels.clone())
                .map(|f| {
                    row[f * nl + to.levels.start..f * nl + to.levels.end]
                        .iter()
                        .sum::<f64>()
                })
                .sum()
        }
    }

    /// The sum of `row`'s entries for this level (a model level's own
    /// value, bit for bit, when it is one).
    pub fn sum(&self, row: &[f64]) -> f64 {
        if self.levels.len() == 1 {
            row[self.levels.start]
        } else {
            row[self.levels.clone()].iter().sum()
        }
    }
}

impl Model {
    /// Whether the outputs show every model level as it is (no tunnels
    /// summed).
    pub fn outputs_each_level(&self) -> bool {
        self.output_levels.len() == self.levels.len()
    }

    /// Shows the tunnels in the outputs as `outputs` says (as `[model]
    /// tunnel_outputs` would).
    pub fn set_tunnel_outputs(&mut self, outputs: TunnelOutputs) {
        self.output_levels = OutputLevel::of(&self.levels, &self.tunnels, outputs);
    }

    /// The names the outputs give model levels `levels` (in their order): a
    /// level with tunnels once, by its output level's name.
    pub fn shown_levels(&self, levels: &[usize]) -> Vec<&str> {
        let of = self.output_level_of();
        let mut shown: Vec<&str> = levels
            .iter()
            .map(|&l| self.output_levels[of[l]].name.as_str())
            .collect();
        shown.dedup();
        shown
    }

    /// For each model level, the output level (an index into
    /// `output_levels`) that holds it.
    pub fn output_level_of(&self) -> Vec<usize> {
        let mut of = vec![0; self.levels.len()];
        for (o, level) in self.output_levels.iter().enumerate() {
            for l in level.levels.clone() {
                of[l] = o;
            }
        }
        of
    }
}
