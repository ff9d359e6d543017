//! `[model]` and `[[bands]]`: the run's years, steps, prices and discount
//! rate, the need levels and the age bands.

use super::names::check_names;
use super::values::to_year;
use crate::error::Location;
use crate::model::{AgeBand, Target, Tunnel, TunnelOutputs};
use crate::scenario::checks::Validator;
use crate::scenario::file::{RawBand, RawModel};
use crate::uncertainty::Support;
use toml::Spanned;

/// What `[model]` sets that the checks of later sections need, checked.
pub(super) struct ModelTable {
    pub(super) start_year: i32,
    pub(super) horizon_years: u32,
    pub(super) steps_per_year: u32,
    pub(super) price_base_year: i32,
    /// Its mean, when uncertain.
    pub(super) discount_rate: f64,
    /// The need levels, least need first; a level with tunnels one per tunnel.
    pub(super) levels: Vec<String>,
    pub(super) tunnels: Vec<Tunnel>,
    pub(super) tunnel_outputs: TunnelOutputs,
}

/// Checks `[model]`; a value at fault is reported and replaced by a
/// stand-in so that the other sections can still be checked.
pub(super) fn model_table_from(v: &mut Validator, m: &RawModel) -> ModelTable {
    let start_year = to_year(v, &m.start_year, "start_year");
    let horizon_years = match *m.horizon_years.get_ref() {
        h @ 1..=200 => h as u32,
        h => {
            v.err(
                &m.horizon_years.span(),
                format!("horizon_years is {h}; give a whole number of years from 1 to 200"),
            );
            1
        }
    };
    let steps_per_year = match m.steps_per_year.as_ref().map(|s| (*s.get_ref(), s.span())) {
        None => 1,
        Some((s @ (1 | 4 | 12 | 52), _)) => s as u32,
        Some((s, span)) => {
            v.err(&span, format!("steps_per_year is {s}; it must be 1, 4, 12 or 52"));
            1
        }
    };
    let price_base_year = m
        .price_base_year
        .as_ref()
        .map_or(start_year, |y| to_year(v, y, "price_base_year"));
    let discount_rate = match &m.discount_rate {
        None => 0.035,
        Some(r) => {
            let loc = v.loc(&r.span());
            let label = "discount_rate".to_string();
            v.resolve(
                r.get_ref(),
                loc,
                Support::Rate,
                "discount_rate",
                label,
                vec![Target::DiscountRate],
            )
            .unwrap_or(0.035)
        }
    };
    if m.name.chars().any(char::is_control) {
        v.errors.at(
            Location::File(v.path.to_path_buf()),
            format!(
                "[model] name `{}` has a control character (such as a tab, newline or escape); it is shown in the terminal, charts and report: use plain text",
                m.name.escape_debug()
            ),
        );
    }
    let file_levels = levels_from(v, m);
    let (levels, tunnels) = super::tunnels::tunnels_from(v, m, file_levels, steps_per_year);
    let tunnel_outputs = super::tunnels::outputs_from(v, m);
    ModelTable {
        start_year,
        horizon_years,
        steps_per_year,
        price_base_year,
        discount_rate,
        levels,
        tunnels,
        tunnel_outputs,
    }
}

/// `[model] levels`: named, unique, not `exit`.
fn levels_from(v: &mut Validator, m: &RawModel) -> Vec<String> {
    let level_names: Vec<String> = m.levels.get_ref().iter().map(|l| l.get_ref().clone()).collect();
    if level_names.is_empty() {
        v.err(
            &m.levels.span(),
            "levels is empty; give the need levels in order, least need first",
        );
    }
    check_names(
        v,
        "level",
        m.levels.get_ref().iter().map(|l| (l.get_ref().as_str(), l.span())),
    );
    if let Some(l) = m.levels.get_ref().iter().find(|l| l.get_ref() == "exit") {
        v.err(
            &l.span(),
            "`exit` is reserved for the exit sink; name the level something else",
        );
    }
    level_names
}

/// `[[bands]]`: contiguous age bands, each at least one step wide, only the
/// last open-ended.
pub(super) fn bands_from(v: &mut Validator, raw_bands: &[Spanned<RawBand>], steps_per_year: u32) -> Vec<AgeBand> {
    if raw_bands.is_empty() {
        v.errors.at(
            Location::File(v.path.to_path_buf()),
            "no [[bands]] are given; add at least one age band",
        );
    }
    check_names(
        v,
        "band",
        raw_bands.iter().map(|b| (b.get_ref().name.as_str(), b.span())),
    );
    let dt = 1.0 / f64::from(steps_per_year);
    let mut bands = Vec::new();
    for (i, b) in raw_bands.iter().enumerate() {
        let raw = b.get_ref();
        let last = i + 1 == raw_bands.len();
        if !raw.lower.is_finite() {
            v.err(
                &b.span(),
                format!("band `{}` has lower age {}; give a finite age", raw.name, raw.lower),
            );
        }
        match raw.upper {
            None if !last => v.err(&b.span(), format!("band `{}` has no upper age; only the last band may be open-ended", raw.name)),
            Some(u) if !(u.is_finite() && u > raw.lower) => {
                v.err(&b.span(), format!("band `{}` has upper age {u} not above its lower age {}", raw.name, raw.lower))
            }
            Some(u) if u - raw.lower < dt - 1e-12 => v.err(
                &b.span(),
                format!(
                    "band `{}` is {} years wide, narrower than one step ({dt} years); use more steps_per_year or a wider band",
                    raw.name,
                    u - raw.lower
                ),
            ),
            _ => {}
        }
        if let Some(prev) = raw_bands.get(i.wrapping_sub(1)).map(|p| p.get_ref())
            && let Some(pu) = prev.upper
            && (pu - raw.lower).abs() > 1e-9
        {
            v.err(
                &b.span(),
                format!(
                    "band `{}` starts at age {} but the band before it ends at {pu}; bands must be contiguous",
                    raw.name, raw.lower
                ),
            );
        }
        bands.push(AgeBand {
            name: raw.name.clone(),
            lower: raw.lower,
            upper: raw.upper,
        });
    }
    bands
}
