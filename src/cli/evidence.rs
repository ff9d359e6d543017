//! `upstream pathways`: the pathway gap map of a file's interventions.

use super::CliError;
use std::path::PathBuf;
use upstream::evidence::pathways::PathwayMap;

/// The pathway gap map: which interventions reach each age band × need
/// level (and each outcome domain the interventions declare), with their
/// evidence ratings; cells nothing reaches are gaps, cells reached only by
/// interventions rated below the scale's `strong_from` are weak. Writes
/// pathways.csv, pathways.png and pathways.svg.
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct PathwaysArgs {
    /// The scenario file (TOML).
    scenario_file: PathBuf,
    /// Map only this scenario's interventions [default: every intervention in the file]
    #[arg(long, value_name = "NAME")]
    scenario: Option<String>,
    /// Folder for the results [default: out/<file stem>-pathways/<scenario or all>]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn pathways(args: PathwaysArgs) -> Result<(), CliError> {
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args
            .scenario_file
            .file_stem()
            .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from("out")
            .join(format!("{stem}-pathways"))
            .join(args.scenario.as_deref().unwrap_or("all"))
    });
    upstream::output::check_out_dir(&out).map_err(CliError::Invalid)?;
    let loaded = upstream::scenario::load(&args.scenario_file)?;
    let model = &loaded.model;
    super::print_warnings(&loaded);
    let map = match &args.scenario {
        None => PathwayMap::of_file(model),
        Some(name) => {
            let Some(s) = model.scenarios.iter().find(|s| &s.name == name) else {
                let known: Vec<String> = model.scenarios.iter().map(|s| format!("`{}`", s.name)).collect();
                return Err(CliError::Invalid(format!(
                    "there is no scenario named `{name}`; the scenarios are {}",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            PathwayMap::new(model, &s.interventions, &format!("scenario {name}"))
        }
    };
    upstream::output::evidence::write_pathways(&out, model, &map).map_err(|e| super::write_failed(&out, e))?;
    print!("{}", upstream::output::evidence::pathways_text(model, &map));
    println!(
        "Results written to {}/ (pathways.csv, pathways.png, pathways.svg).",
        out.display()
    );
    Ok(())
}
