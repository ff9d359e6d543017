//! Draws before statistics, and the parts of one run joined into the whole.

use super::{DrawRecord, RowKey};

/// Draws before statistics: per unit (the whole model, or every area and
/// roll-up) the values of its statistics rows, draw by draw, and each draw's
/// record. The parts of one run made as shards join into the whole
/// ([`Raw::join`]), from which [`summarise_raw`] gives exactly the
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

    /// Writes the draws to `path` (a small JSON header, then the numbers in
    /// little-endian binary).
    pub fn write(&self, path: &std::path::Path) -> std::io::Result<()> {
        let shape = |r: &DrawRecord| (r.parameters.len(), r.headline.len(), r.kept.len(), r.figures.len());
        let record_shape = self.records.first().map_or((0, 0, 0, 0), shape);
        if self.records.iter().any(|r| shape(r) != record_shape) {
            return Err(std::io::Error::other("draw records of different shapes"));
        }
        let header = serde_json::json!({
            "first_draw": self.first_draw,
            "draws": self.draws(),
            "names": self.names.iter().map(|(f, y, n)| serde_json::json!([f, y, n])).collect::<Vec<_>>(),
            "units": self.units.iter().map(|u| serde_json::json!({
                "width": u.width,
                "slots": u.slots.iter().map(|s| s.map_or(-1, |k| k as i64)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "record": [record_shape.0, record_shape.1, record_shape.2, record_shape.3],
        });
        let header = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
        let mut out = Vec::with_capacity(header.len() + 16);
        out.extend_from_slice(RAW_MAGIC);
        out.extend_from_slice(&(header.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        for u in &self.units {
            for v in &u.values {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        for r in &self.records {
            let numbers = r
                .parameters
                .iter()
                .chain(r.headline.iter().flatten())
                .chain(&r.kept)
                .chain(&r.figures);
            for v in numbers {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        std::fs::write(path, out)
    }

    /// Reads draws written by [`Raw::write`].
    pub fn read(path: &std::path::Path) -> Result<Raw, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let bad = || "not a part written by `upstream run --shard` (or it is damaged)".to_string();
        let rest = bytes.strip_prefix(RAW_MAGIC).ok_or_else(bad)?;
        let (len, rest) = rest.split_at_checked(8).ok_or_else(bad)?;
        let len = u64::from_le_bytes(len.try_into().map_err(|_| bad())?) as usize;
        let (header, mut body) = rest.split_at_checked(len).ok_or_else(bad)?;
        let header: serde_json::Value = serde_json::from_slice(header).map_err(|_| bad())?;
        let number = |v: &serde_json::Value| v.as_u64().ok_or_else(bad);
        let draws = number(&header["draws"])? as usize;
        let names = header["names"]
            .as_array()
            .ok_or_else(bad)?
            .iter()
            .map(|n| {
                Ok((
                    number(&n[0])? as usize,
                    n[1].as_i64().map(|y| y as i32),
                    n[2].as_str().ok_or_else(bad)?.to_string(),
                ))
            })
            .collect::<Result<Vec<RowKey>, String>>()?;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let (a, b) = body.split_at_checked(n).ok_or_else(bad)?;
            body = b;
            Ok(a)
        };
        let mut units = Vec::new();
        for u in header["units"].as_array().ok_or_else(bad)? {
            let width = number(&u["width"])? as usize;

            let slots = u["slots"]
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(|s| s.as_i64().map(|k| usize::try_from(k).ok()).ok_or_else(bad))
                .collect::<Result<Vec<_>, String>>()?;
            let bytes = draws
                .checked_mul(width)
                .and_then(|n| n.checked_mul(4))
                .ok_or_else(bad)?;
            let values = take(bytes)?
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            units.push(RawUnit { slots, width, values });
        }
        let shape: Vec<usize> = (0..4)
            .map(|k| number(&header["record"][k]).map(|x| x as usize))
            .collect::<Result<_, _>>()?;
        let per_record = shape[1]
            .checked_mul(3)
            .and_then(|h| h.checked_add(shape[0]))
            .and_then(|n| n.checked_add(shape[2]))
            .and_then(|n| n.checked_add(shape[3]))
            .ok_or_else(bad)?;
        let record_bytes = per_record.checked_mul(8).ok_or_else(bad)?;
        let mut records = Vec::with_capacity(draws.min(1 << 16));
        for _ in 0..draws {
            let v: Vec<f64> = take(record_bytes)?
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            let (parameters, rest) = v.split_at(shape[0]);
            let (headline, rest) = rest.split_at(3 * shape[1]);
            let (kept, figures) = rest.split_at(shape[2]);
            records.push(DrawRecord {
                parameters: parameters.to_vec(),
                headline: headline.chunks_exact(3).map(|h| [h[0], h[1], h[2]]).collect(),
                kept: kept.to_vec(),
                figures: figures.to_vec(),
            });
        }
        if !body.is_empty() {
            return Err(bad());
        }
        Ok(Raw {
            first_draw: number(&header["first_draw"])?,
            names,
            units,
            records,
        })
    }
}

const RAW_MAGIC: &[u8] = b"UPSTREAM-DRAWS-1\n";
