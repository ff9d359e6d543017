//! `upstream new --area CODE --projection FILE`: write a starter scenario
//! for an area from the official population files.

use super::CliError;
use std::path::{Path, PathBuf};
use upstream::import::{fingertips, lookup::Lookup, need::Need, ons, starter};

/// Write a starter scenario for your area: its people by age band from the
/// ONS mid-year estimates (or the projection's first year), the ONS
/// sub-national projection as the table the do-nothing run is calibrated
/// to, and every other figure from a bundled example, marked "to be
/// replaced" with the local data that would replace it. Several --area
/// codes, or an upper-tier code with --lookup, give a model with [areas].
/// Writes the scenario file and its tables beside it, never over existing
/// files. See README, "Model your own area".
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    /// Area code (GSS, e.g. E06000019); repeat, or separate with commas, for several.
    #[arg(long = "area", value_name = "CODE", required = true, value_delimiter = ',')]
    areas: Vec<String>,
    /// The ONS sub-national projection CSV (persons; or repeat for the males and females files).
    #[arg(long = "projection", value_name = "FILE", required = true)]
    projections: Vec<PathBuf>,
    /// The ONS mid-year estimates CSV: the starting population [default: the projection's first year].
    #[arg(long, value_name = "FILE")]
    estimates: Option<PathBuf>,
    /// An area lookup CSV (e.g. LTLA22CD,LTLA22NM,UTLA22CD,UTLA22NM): an upper-tier
    /// --area becomes its lower-tier areas, as [areas].
    #[arg(long, value_name = "FILE")]
    lookup: Option<PathBuf>,
    /// An OHID Fingertips indicator export (CSV): each area's latest value is
    /// quoted in the starter as a share (a beta from its 95% interval), to
    /// put where it belongs. Repeat for several.
    #[arg(long = "indicator", value_name = "FILE")]
    indicators: Vec<PathBuf>,
    /// An OHID Fingertips prevalence indicator applied to the need mix, as
    /// LEVEL=FILE: in the bands its Age covers wholly, the share of each
    /// area's people at LEVEL or a higher level becomes the area's value,
    /// the template's split above and below LEVEL kept in proportion (README,
    /// "Model your own area"). Repeat for other levels; applied in order.
    #[arg(long = "need", value_name = "LEVEL=FILE")]
    need: Vec<String>,
    /// The bundled example whose structure and figures the starter takes.
    #[arg(long, value_enum, default_value = "older-people")]
    template: TemplateArg,
    /// The scenario file to write [default: <first area code>.toml]; its tables go beside it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum TemplateArg {
    OlderPeople,
    EarlyYears,
}

pub fn run(args: Args) -> Result<(), CliError> {
    let projection = ons::read_projection(&args.projections)?;
    let estimates = args.estimates.as_deref().map(ons::read_estimates).transpose()?;
    let lookup = args.lookup.as_deref().map(Lookup::read).transpose()?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.toml", args.areas[0])));
    let stem = out
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            CliError::Invalid(format!(
                "--out {}: give a file name such as my-area.toml",
                out.display()
            ))
        })?
        .to_string();
    let request = starter::Request {
        codes: args.areas.clone(),
        projection: &projection,
        estimates: estimates.as_ref(),
        lookup: lookup.as_ref(),
        template: match args.template {
            TemplateArg::OlderPeople => starter::Template::OlderPeople,
            TemplateArg::EarlyYears => starter::Template::EarlyYears,
        },
        stem,
        indicators: Vec::new(),
        need: Vec::new(),
    };
    let mut request = request;
    let codes = if args.indicators.is_empty() && args.need.is_empty() {
        Vec::new()
    } else {
        starter::area_codes(&request).map_err(CliError::Input)?
    };
    for path in &args.indicators {
        for code in &codes {
            request.indicators.push(fingertips::read(path, code)?);
        }
    }
    for given in &args.need {
        let Some((level, path)) = given.split_once('=').filter(|(l, p)| !l.is_empty() && !p.is_empty()) else {
            return Err(CliError::Invalid(format!(
                "--need `{given}`: write it as LEVEL=FILE, for example --need \"At risk=fingertips-ltc.csv\""
            )));
        };
        let by_area = codes
            .iter()
            .map(|code| fingertips::read(Path::new(path), code))
            .collect::<Result<Vec<_>, _>>()?;
        request.need.push(Need {
            level: level.to_string(),
            by_area,
        });
    }
    let built = starter::build(&request).map_err(CliError::Input)?;
    let dir = out.parent().map(Path::to_path_buf).unwrap_or_default();
    write_all(&dir, &built.files)?;
    println!(
        "wrote {} and {} table{} beside it: {} area{}, {}–{}",
        out.display(),
        built.files.len() - 1,
        if built.files.len() == 2 { "" } else { "s" },
        built.areas.len(),
        if built.areas.len() == 1 { "" } else { "s" },
        built.start_year,
        i64::from(built.start_year) + built.horizon_years - 1
    );
    println!(
        "next: upstream check {}, then replace the figures marked \"to be replaced\"",
        out.display()
    );
    Ok(())
}

/// Writes every file or none: each is written beside its place and moved
/// in only when all are written; an existing file is never replaced.
fn write_all(dir: &Path, files: &[(String, String)]) -> Result<(), CliError> {
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| dir.join(name))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(CliError::Invalid(format!(
            "{} already exist{}; nothing was written (choose another --out, or move them away)",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    let staged: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .map(|(name, _)| (dir.join(format!(".{name}.{}.new", std::process::id())), dir.join(name)))
        .collect();
    let clean = |upto: usize| {
        for (tmp, _) in &staged[..upto] {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (i, ((tmp, _), (_, text))) in staged.iter().zip(files).enumerate() {
        if let Err(e) = std::fs::write(tmp, text) {
            clean(i + 1);
            return Err(CliError::Internal(format!("could not write {}: {e}", tmp.display())));
        }
    }
    for (i, (tmp, dest)) in staged.iter().enumerate() {
        if let Err(e) = std::fs::rename(tmp, dest) {
            clean(staged.len());
            for (_, done) in &staged[..i] {
                let _ = std::fs::remove_file(done);
            }
            return Err(CliError::Internal(format!("could not write {}: {e}", dest.display())));
        }
    }
    Ok(())
}
