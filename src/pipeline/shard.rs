//! A run split over machines: each shard's draws are written as a part
//! (`part.json`, what it was made from; `draws.bin`, its draws before
//! statistics), and the parts of one run are checked and joined into
//! exactly the draws of the run made in one go.

use crate::montecarlo::{DrawRecord, Raw, RawUnit, RowKey};
use std::path::{Path, PathBuf};

/// `part.json`: what a shard was made from, for `upstream merge` to check.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Clone)]
pub struct Part {
    pub tool: String,
    pub version: String,
    pub scenario_file: PathBuf,
    pub inputs: Vec<crate::model::SourceFile>,
    pub shard: u32,
    pub shards: u32,
    pub first_draw: u64,
    pub draws_in_part: u64,
    pub options: PartOptions,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq, Clone)]
pub struct PartOptions {
    pub scenarios: Vec<String>,
    pub draws: u32,
    pub seed: u64,
    pub attribute: bool,
}

/// The parts in `dirs` (one folder per shard, in any order), checked to be
/// every shard of one run made from the inputs as they are now, and their
/// draws joined: the first part's record of what the run was made from,
/// and the whole run's draws.
pub fn read_parts(dirs: &[PathBuf]) -> Result<(Part, Raw), String> {
    let mut parts: Vec<(Part, Raw)> = Vec::new();
    for dir in dirs {
        let meta = dir.join("part.json");
        let text = std::fs::read_to_string(&meta).map_err(|e| {
            format!(
                "{}: cannot read it ({e}); give the folders `upstream run --shard` wrote",
                meta.display()
            )
        })?;
        let part: Part = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: not a part.json written by `upstream run --shard` ({e})",
                meta.display()
            )
        })?;
        let raw =
            read_draws(&dir.join("draws.bin")).map_err(|e| format!("{}: {e}", dir.join("draws.bin").display()))?;
        if raw.first_draw != part.first_draw || raw.draws() as u64 != part.draws_in_part {
            return Err(format!(
                "{}: draws.bin does not hold the draws part.json says",
                dir.display()
            ));
        }
        parts.push((part, raw));
    }
    let first = &parts[0].0;
    for (p, _) in &parts[1..] {
        let same = p.tool == first.tool
            && p.version == first.version
            && p.scenario_file == first.scenario_file
            && p.inputs == first.inputs
            && p.options == first.options
            && p.shards == first.shards;
        if !same {
            return Err(format!(
                "shard {} and shard {} were made from different inputs, options or versions of upstream; merge only the parts of one run",
                first.shard, p.shard
            ));
        }
    }
    let mut seen: Vec<u32> = parts.iter().map(|(p, _)| p.shard).collect();
    seen.sort_unstable();
    let expected: Vec<u32> = (1..=first.shards).collect();
    if seen != expected {
        let missing: Vec<String> = expected
            .iter()
            .filter(|s| !seen.contains(s))
            .map(|s| s.to_string())
            .collect();
        let mut repeated: Vec<String> = seen
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0].to_string())
            .collect();
        repeated.dedup();
        return Err(format!(
            "the parts are not shards 1 to {} once each (missing: {}; repeated: {})",
            first.shards,
            if missing.is_empty() {
                "none".into()
            } else {
                missing.join(", ")
            },
            if repeated.is_empty() {
                "none".into()
            } else {
                repeated.join(", ")
            }
        ));
    }
    if first.version != env!("CARGO_PKG_VERSION") {
        return Err(format!(
            "the parts were made with upstream {}, this is {}; merge with the same version",
            first.version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    for input in &first.inputs {
        let bytes = std::fs::read(&input.path).map_err(|e| {
            format!(
                "the parts read {}, which cannot be read now ({e}); merge from the folder the parts were made in",
                input.path.display()
            )
        })?;
        let now = crate::scenario::sha256_hex(&bytes);
        if now != input.sha256 {
            return Err(format!(
                "{} has changed since the parts were made (SHA-256 then {}, now {now}); make the parts again",
                input.path.display(),
                input.sha256
            ));
        }
    }
    let made = parts[0].0.clone();
    let raw = Raw::join(parts.into_iter().map(|(_, r)| r).collect())?;
    Ok((made, raw))
}

/// Writes a shard's part into `staging`: part.json and draws.bin.
pub fn write_part(staging: &Path, part: &Part, raw: &Raw) -> std::io::Result<()> {
    write_draws(raw, &staging.join("draws.bin"))?;
    let json = serde_json::to_string_pretty(part).map_err(std::io::Error::other)?;
    std::fs::write(staging.join("part.json"), json + "\n")
}

/// Writes the draws to `path` (a small JSON header, then the numbers in
/// little-endian binary).
pub fn write_draws(raw: &Raw, path: &std::path::Path) -> std::io::Result<()> {
    let shape = |r: &DrawRecord| (r.parameters.len(), r.headline.len(), r.kept.len(), r.figures.len());
    let record_shape = raw.records.first().map_or((0, 0, 0, 0), shape);
    if raw.records.iter().any(|r| shape(r) != record_shape) {
        return Err(std::io::Error::other("draw records of different shapes"));
    }
    let header = serde_json::json!({
        "first_draw": raw.first_draw,
        "draws": raw.draws(),
        "names": raw.names.iter().map(|(f, y, n)| serde_json::json!([f, y, n])).collect::<Vec<_>>(),
        "units": raw.units.iter().map(|u| serde_json::json!({
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
    for u in &raw.units {
        for v in &u.values {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    for r in &raw.records {
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

/// Reads draws written by [`write_draws`].
pub fn read_draws(path: &std::path::Path) -> Result<Raw, String> {
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

const RAW_MAGIC: &[u8] = b"UPSTREAM-DRAWS-1\n";
