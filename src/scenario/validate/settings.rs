//! The file's settings beyond its people and flows: the evidence scale and
//! outcome domains of `[model]`, `[maturity]` and `[monte_carlo]`.

use crate::evidence::EvidenceScale;
use crate::model::{MonteCarloDefaults, SourceFile};
use crate::scenario::MaturityLink;
use crate::scenario::checks::Validator;
use crate::scenario::file::{RawMaturity, RawMonteCarlo};
use toml::Spanned;

/// The model's evidence scale: its own file, or the bundled one.
pub(super) fn evidence_scale_from(v: &mut Validator, file: Option<&Spanned<String>>) -> EvidenceScale {
    let Some(file) = file else {
        return EvidenceScale::default();
    };
    let path = v.dir.join(file.get_ref());
    let text = match std::fs::read(&path) {
        Err(e) => {
            v.err(
                &file.span(),
                format!(
                    "cannot read the evidence scale `{}` ({}: {e}); paths are relative to the scenario file's folder",
                    file.get_ref(),
                    path.display()
                ),
            );
            return EvidenceScale::default();
        }
        Ok(bytes) => bytes,
    };
    let sha256 = crate::scenario::sha256_hex(&text);
    let Ok(text) = String::from_utf8(text) else {
        v.err(
            &file.span(),
            format!("the evidence scale {} is not UTF-8 text", path.display()),
        );
        return EvidenceScale::default();
    };
    match EvidenceScale::parse(Some(&path), &text) {
        Ok(scale) => {
            v.sources.push(SourceFile { path, sha256 });
            scale
        }
        Err(e) => {
            v.errors.extend(e);
            EvidenceScale::default()
        }
    }
}

pub(super) fn domains_from(v: &mut Validator, raw: Option<&Spanned<Vec<String>>>) -> Vec<String> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let mut domains: Vec<String> = Vec::new();
    for d in raw.get_ref() {
        if d.trim().is_empty() || domains.contains(d) {
            v.err(
                &raw.span(),
                format!("domains: `{d}` is empty or listed twice; give each domain once"),
            );
        } else {
            domains.push(d.clone());
        }
    }
    domains
}

/// `[maturity]`: the assessments (checked against the bundled matrix) and
/// the optional fidelity link.
pub(super) fn maturity_from(v: &mut Validator, raw: &Spanned<RawMaturity>) -> Option<MaturityLink> {
    let matrix = crate::maturity::Matrix::default();
    let r = raw.get_ref();
    let span = raw.span();
    if r.assessments.is_empty() {
        v.err(
            &span,
            "[maturity] assessments is empty; list the assessment files, oldest first",
        );
        return None;
    }
    let mut assessments = Vec::new();
    for file in &r.assessments {
        let path = v.dir.join(file);
        match crate::maturity::Assessment::load(&path, &matrix) {
            Ok(a) => {
                if let Ok(bytes) = std::fs::read(&path) {
                    v.sources.push(SourceFile {
                        sha256: crate::scenario::sha256_hex(&bytes),
                        path: path.clone(),
                    });
                }
                assessments.push((path, a));
            }
            Err(e) => v.errors.extend(e),
        }
    }
    let fidelity = match &r.fidelity_by_level {
        None => {
            if r.fidelity_from.is_some() {
                v.err(
                    &span,
                    "[maturity] fidelity_from needs fidelity_by_level (the factor at levels 0 to 4)",
                );
            }
            None
        }
        Some(by_level) => {
            if by_level.len() != 5 || by_level.iter().any(|f| !(0.0..=1.0).contains(f)) {
                v.err(
                    &span,
                    "[maturity] fidelity_by_level needs five factors from 0 to 1, for levels 0 (not yet basic) to 4 (mature)",
                );
                return None;
            }
            let units = r
                .fidelity_from
                .clone()
                .unwrap_or_else(|| vec!["7.2".into(), "3".into()]);
            if units.is_empty() {
                v.err(
                    &span,
                    "[maturity] fidelity_from is empty; name the units whose level sets the factor, e.g. [\"7.2\", \"3\"]",
                );
                return None;
            }
            for u in &units {
                if matrix.unit(u).is_none() {
                    v.err(
                        &span,
                        format!("[maturity] fidelity_from names `{u}`, not a unit of the matrix"),
                    );
                    return None;
                }
            }
            let (_, current) = assessments.last()?;
            let levels: Vec<(String, u8)> = units.iter().map(|u| (u.clone(), current.level(&matrix, u))).collect();
            let lowest = levels.iter().map(|(_, l)| *l).min().unwrap_or(0);
            Some((by_level[usize::from(lowest)], levels))
        }
    };
    Some(MaturityLink { assessments, fidelity })
}

pub(super) fn monte_carlo_from(v: &mut Validator, raw: Option<&RawMonteCarlo>) -> MonteCarloDefaults {
    let mut mc = MonteCarloDefaults::default();
    let Some(raw) = raw else {
        return mc;
    };
    if let Some(d) = &raw.draws {
        match u32::try_from(*d.get_ref()) {
            Ok(n) if n <= 10_000_000 => mc.draws = n,
            _ => v.err(
                &d.span(),
                format!(
                    "draws is {}; give a whole number from 0 (deterministic) to 10000000",
                    d.get_ref()
                ),
            ),
        }
    }
    if let Some(s) = &raw.seed {
        match u64::try_from(*s.get_ref()) {
            Ok(seed) => mc.seed = seed,
            Err(_) => v.err(&s.span(), format!("seed is {}; give a whole number ≥ 0", s.get_ref())),
        }
    }
    if let Some(p) = &raw.percentiles {
        let list = p.get_ref();
        if list.is_empty()
            || list.iter().any(|x| !(x.is_finite() && *x > 0.0 && *x < 100.0))
            || list.windows(2).any(|w| w[0] >= w[1])
        {
            v.err(
                &p.span(),
                "percentiles must be ascending numbers between 0 and 100, e.g. [5, 25, 50, 75, 95]",
            );
        } else {
            mc.percentiles = list.clone();
        }
    }
    mc
}
