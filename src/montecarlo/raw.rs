//! Draws before statistics, and the parts of one run joined into the whole.

use super::{DrawRecord, RowKey};

/// Draws before statistics: per unit (the whole model, or every area and
/// roll-up) the values of its statistics rows, draw by draw, and each draw's
/// record. The parts of one run made as shards join into the whole
/// ([`Raw::join`]), from which [`super::statistics`] gives exactly the
/// statistics of the run made in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct Raw {
    pub first_draw: u64,
    pub names: Vec<RowKey>,
    pub units: Vec<RawUnit>,
    pub records: Vec<DrawRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawUnit {
    /// Where each row's values sit among `width` per draw (`None`: no statistics).
    pub slots: Vec<Option<usize>>,
    pub width: usize,
    /// Draw-major values, single precision.
    pub values: Vec<f32>,
}

impl Raw {
    pub fn draws(&self) -> usize {
        self.records.len()
    }

    /// The parts of one run, in any order, joined into the whole: they must
    /// have the same rows and cover the draws from 0 exactly once.
    pub fn join(mut parts: Vec<Raw>) -> Result<Raw, String> {
        // An empty part (more shards than batches) sorts before the part
        // that starts where it does.
        parts.sort_by_key(|p| (p.first_draw, p.draws()));
        let mut whole = parts.first().cloned().ok_or("no parts to join")?;
        if whole.first_draw != 0 {
            return Err(format!(
                "the first part starts at draw {}, not 0: a part is missing",
                whole.first_draw
            ));
        }
        for part in &parts[1..] {
            let expected = whole.first_draw + whole.draws() as u64;
            if part.first_draw != expected {
                return Err(format!(
                    "a part starts at draw {} where draw {expected} was due: parts overlap or one is missing",
                    part.first_draw
                ));
            }
            if part.names != whole.names
                || part.units.len() != whole.units.len()
                || part
                    .units
                    .iter()
                    .zip(&whole.units)
                    .any(|(a, b)| a.slots != b.slots || a.width != b.width)
            {
                return Err(
                    "the parts have different summary rows: they were not made from the same inputs and options".into(),
                );
            }
            for (w, p) in whole.units.iter_mut().zip(&part.units) {
                w.values.extend_from_slice(&p.values);
            }
            whole.records.extend(part.records.iter().cloned());
        }
        Ok(whole)
    }
}
