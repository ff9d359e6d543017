//! A prevalence indicator applied to a starter's need mix (`upstream new
//! --need LEVEL=FILE`). In every band its ages cover wholly, the share of an
//! area's people at `LEVEL` or a higher level becomes the indicator's value
//! for that area; the template's split among those levels, and among the
//! levels below, is kept in proportion. A prevalence counts everyone with
//! the condition whatever its severity, hence "at or above". Bands the ages
//! do not cover keep the template's mix. Several indicators apply in the
//! order given, each to the mix the one before left.

use super::bands::Band;
use super::fingertips::{Indicator, age_range};
use crate::error::{InputError, InputErrors, Location};

/// One `--need`: a level and its indicator for each area.
#[derive(Debug, Clone)]
pub struct Need {
    pub level: String,
    /// The indicator's row for each area, in the order of the starter's
    /// areas.
    pub by_area: Vec<Indicator>,
}

/// A band's need mix: (level, share), in the template's order.
pub type Mix = Vec<(String, f64)>;

/// Per area: each band's mix, and whether some need set it.
pub type Mixes = (Vec<Vec<Mix>>, Vec<Vec<bool>>);

/// Each area's mix by band (`[area][band]`): the template's `mixes` with
/// every need applied, and whether some need set it; or what is wrong with
/// a need (naming its file and row). `levels` are the template's, lowest
/// need first.
pub fn apply(
    needs: &[Need],
    levels: &[String],
    bands: &[Band],
    mixes: &[Mix],
    areas: usize,
) -> Result<Mixes, InputErrors> {
    let mut out = vec![mixes.to_vec(); areas];
    let mut set = vec![vec![false; bands.len()]; areas];
    let mut errors = Vec::new();
    for need in needs {
        let Some(at) = levels.iter().position(|l| *l == need.level) else {
            errors.push(InputError::new(
                file(need),
                format!(
                    "--need `{}`: not a level of the template (its levels: {}); write --need LEVEL=FILE",
                    need.level,
                    levels.join(", ")
                ),
            ));
            continue;
        };
        if at == 0 {
            errors.push(InputError::new(
                file(need),
                format!(
                    "--need `{}`: the lowest level, which everyone is at or above; name a higher level ({})",
                    need.level,
                    levels[1..].join(", ")
                ),
            ));
            continue;
        }
        let above = |name: &str| levels.iter().position(|l| l == name).is_some_and(|i| i >= at);
        for (a, indicator) in need.by_area.iter().enumerate() {
            let row = || Location::Row(indicator.path.clone(), indicator.line, Some("Age".to_string()));
            let Some((lower, upper)) = age_range(&indicator.age) else {
                errors.push(InputError::new(
                    row(),
                    format!(
                        "age `{}` is not one this reader understands: write it as Fingertips does (`All ages`, `65+ yrs`, `65-74 yrs`, `<75 yrs`)",
                        indicator.age
                    ),
                ));
                continue;
            };
            let covered: Vec<usize> = (0..bands.len())
                .filter(|&b| covers((lower, upper), &bands[b]))
                .collect();
            if covered.is_empty() {
                let names: Vec<&str> = bands.iter().map(|b| b.name.as_str()).collect();
                errors.push(InputError::new(
                    row(),
                    format!(
                        "age `{}` covers none of the model's bands ({}) wholly: use an indicator for ages that take in at least one band",
                        indicator.age,
                        names.join(", ")
                    ),
                ));
                continue;
            }
            for b in covered {
                set[a][b] = true;
                set_at_or_above(
                    &mut out[a][b],
                    &above,
                    (&need.level, &levels[0]),
                    indicator.value / 100.0,
                );
            }
        }
    }
    if errors.is_empty() {
        Ok((out, set))
    } else {
        Err(InputErrors::new(errors))
    }
}

/// The need's file (its first area's, the same file for every area).
fn file(need: &Need) -> Location {
    need.by_area
        .first()
        .map_or_else(|| Location::File("--need".into()), |i| Location::File(i.path.clone()))
}

/// Whether the ages `[lower, upper)` take in the whole of `band`.
fn covers((lower, upper): (f64, Option<f64>), band: &Band) -> bool {
    band.lower >= lower
        && match (band.upper, upper) {
            (_, None) => true,
            (Some(b), Some(u)) => b <= u,
            (None, Some(_)) => false,
        }
}

/// Sets the share of `mix` at `level` or above (`above`) to `share`, the
/// shares above and below each scaled in proportion; where one side has no
/// share to scale, it all goes to `level` (above) or to `lowest` (below).
fn set_at_or_above(mix: &mut Mix, above: &dyn Fn(&str) -> bool, (level, lowest): (&str, &str), share: f64) {
    let total: f64 = mix.iter().map(|m| m.1).sum();
    let high: f64 = mix.iter().filter(|m| above(&m.0)).map(|m| m.1).sum::<f64>() / total;
    let low = 1.0 - high;
    for (name, s) in mix.iter_mut() {
        let side = if above(name) { (high, share) } else { (low, 1.0 - share) };
        *s = if side.0 > 0.0 {
            *s / total / side.0 * side.1
        } else {
            0.0
        };
    }
    for (empty, name, part) in [(high <= 0.0, level, share), (low <= 0.0, lowest, 1.0 - share)] {
        if empty {
            match mix.iter_mut().find(|m| m.0 == name) {
                Some(m) => m.1 += part,
                None => mix.push((name.to_string(), part)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix(shares: &[(&str, f64)]) -> Mix {
        shares.iter().map(|&(n, s)| (n.to_string(), s)).collect()
    }

    #[test]
    fn the_share_at_or_above_becomes_the_indicator_and_the_splits_are_kept() {
        let levels = ["Healthy", "At risk", "Substantial", "Complex"];
        let above = |n: &str| levels.iter().position(|l| *l == n).unwrap() >= 1;
        let mut m = mix(&[
            ("Healthy", 0.6),
            ("At risk", 0.2),
            ("Substantial", 0.15),
            ("Complex", 0.05),
        ]);
        set_at_or_above(&mut m, &above, ("At risk", "Healthy"), 0.312);
        assert!((m[0].1 - 0.688).abs() < 1e-15);
        // 0.2 : 0.15 : 0.05 of 0.312.
        assert!((m[1].1 - 0.156).abs() < 1e-15, "{}", m[1].1);
        assert!((m[2].1 - 0.117).abs() < 1e-15);
        assert!((m[3].1 - 0.039).abs() < 1e-15);
        // A mix with nobody at or above the level puts the share on the level.
        let mut m = mix(&[("Healthy", 1.0)]);
        set_at_or_above(&mut m, &above, ("At risk", "Healthy"), 0.25);
        assert_eq!(m, mix(&[("Healthy", 0.75), ("At risk", 0.25)]));
    }

    #[test]
    fn ages_cover_whole_bands_only() {
        let band = |lower: f64, upper: Option<f64>| Band {
            name: String::new(),
            lower,
            upper,
        };
        let over65 = age_range("65+ yrs").unwrap();
        assert!(covers(over65, &band(65.0, Some(75.0))));
        assert!(covers(over65, &band(85.0, None)));
        assert!(!covers(over65, &band(60.0, Some(70.0))));
        let range = age_range("65-74 yrs").unwrap();
        assert_eq!(range, (65.0, Some(75.0)));
        assert!(covers(range, &band(65.0, Some(75.0))));
        assert!(!covers(range, &band(75.0, Some(85.0))));
        assert!(!covers(range, &band(65.0, None)));
        assert_eq!(age_range("All ages"), Some((0.0, None)));
        assert_eq!(age_range("<75 yrs"), Some((0.0, Some(75.0))));
        assert_eq!(age_range("Not applicable"), None);
    }
}
