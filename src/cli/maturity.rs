//! `upstream maturity new|rate|summary|compare`: the maturity matrix
//! self-assessment beside the model.

use super::CliError;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use upstream::charts::MaturityChart;
use upstream::maturity::{Assessment, Matrix, MaturitySummary, disagreements, summarise};

/// The maternity & early years maturity matrix: record a self-assessment
/// (who, when, individual or group, the criteria ticked, notes, barriers and
/// priority actions) in a plain TOML file, summarise it per unit and
/// dimension, and compare assessments (a baseline and its follow-up, or
/// several people's before a group discussion).
#[derive(Debug, clap::Args)]
#[command(long_about = None)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// A copy of the matrix with the full wording [default: the bundled
    /// data/maturity-matrix.toml, short summaries only]
    #[arg(long, value_name = "FILE", global = true)]
    matrix: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Start an assessment file listing every criterion to tick.
    New {
        file: PathBuf,
        /// Who is rating (a person, or the group).
        #[arg(long)]
        who: String,
        /// The date of the assessment, YYYY-MM-DD [default: today]
        #[arg(long)]
        date: Option<String>,
        /// A group's rating (default: an individual's).
        #[arg(long)]
        group: bool,
        /// The local area assessed.
        #[arg(long, default_value = "")]
        area: String,
    },
    /// Tick or untick criteria, and add notes, barriers and priority actions.
    Rate {
        file: PathBuf,
        /// Criteria to tick, e.g. 1.1a,1.1b,2a
        #[arg(long, value_delimiter = ',')]
        tick: Vec<String>,
        /// Criteria to untick.
        #[arg(long, value_delimiter = ',')]
        untick: Vec<String>,
        /// A note on a unit: UNIT=TEXT
        #[arg(long)]
        note: Vec<String>,
        /// A barrier to change: UNIT=TEXT
        #[arg(long)]
        barrier: Vec<String>,
        /// A priority action: UNIT:HORIZON=TEXT (horizon short, medium or long)
        #[arg(long)]
        action: Vec<String>,
    },
    /// Each unit's level and each dimension's mean; with several files, where
    /// their ratings differ. Writes maturity.csv, maturity.png and .svg.
    Summary {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Folder for the results [default: out/maturity/<first file's stem>]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// A baseline against a follow-up (e.g. 12 months on): change per unit.
    /// Writes maturity-compare.csv, maturity-compare.png and .svg.
    Compare {
        baseline: PathBuf,
        follow_up: PathBuf,
        /// Folder for the results [default: out/maturity/<baseline>-vs-<follow-up>]
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> Result<(), CliError> {
    let matrix = match &args.matrix {
        Some(p) => Matrix::load(p)?,
        None => Matrix::default(),
    };
    match args.command {
        Command::New {
            file,
            who,
            date,
            group,
            area,
        } => new(&matrix, &file, &who, date, group, &area),
        Command::Rate {
            file,
            tick,
            untick,
            note,
            barrier,
            action,
        } => rate(&matrix, &file, &tick, &untick, &note, &barrier, &action),
        Command::Summary { files, out } => summary(&matrix, &files, out),
        Command::Compare {
            baseline,
            follow_up,
            out,
        } => compare(&matrix, &baseline, &follow_up, out),
    }
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map_or_else(|| "assessment".into(), |s| s.to_string_lossy().into_owned())
}

fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    upstream::output::utc_timestamp(secs)[..10].to_string()
}

fn new(matrix: &Matrix, file: &Path, who: &str, date: Option<String>, group: bool, area: &str) -> Result<(), CliError> {
    if file.exists() {
        return Err(CliError::Invalid(format!(
            "{} already exists; rate it with `upstream maturity rate`, or give another file name",
            file.display()
        )));
    }
    let date = date.unwrap_or_else(today);
    let kind = if group { "group" } else { "individual" };
    let text = upstream::maturity::blank(matrix, who, &date, kind, area);
    // Checked before writing: the date in particular.
    let a: Assessment = toml::from_str(&text).map_err(|e| CliError::Internal(e.to_string()))?;
    let problems = a.problems(matrix);
    if !problems.is_empty() {
        return Err(CliError::Invalid(format!(
            "{}: {}",
            file.display(),
            problems.join("; ")
        )));
    }
    use std::io::Write as _;
    std::fs::File::create_new(file)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => CliError::Invalid(format!("{} already exists", file.display())),
            _ => CliError::Internal(format!("could not write {}: {e}", file.display())),
        })?;
    println!(
        "Wrote {}: {} units, {} criteria to tick. Next: upstream maturity rate {} --tick 1.1a,...",
        file.display(),
        matrix.units.len(),
        matrix.criteria.len(),
        file.display()
    );
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn rate(
    matrix: &Matrix,
    file: &Path,
    tick: &[String],
    untick: &[String],
    note: &[String],
    barrier: &[String],
    action: &[String],
) -> Result<(), CliError> {
    Assessment::load(file, matrix)?;
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Invalid(format!("{}: cannot read it: {e}", file.display())))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| CliError::Invalid(format!("{}: {e}", file.display())))?;
    let bad = |m: String| CliError::Invalid(format!("{}: {m}", file.display()));
    // Ticks, in the matrix's order.
    let mut ticked: Vec<String> = doc
        .get("ticked")
        .and_then(|t| t.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .unwrap_or_default();
    for code in tick {
        let code = code.trim();
        if !matrix.criteria.iter().any(|c| c.code == code) {
            return Err(bad(format!(
                "--tick {code}: not a criterion of the matrix (codes such as 1.1a, 2c, 10.2d)"
            )));
        }
        if !ticked.iter().any(|t| t == code) {
            ticked.push(code.to_string());
        }
    }
    ticked.retain(|t| !untick.iter().any(|u| u.trim() == t));
    ticked.sort_by_key(|t| matrix.criteria.iter().position(|c| &c.code == t).unwrap_or(usize::MAX));
    let mut array = toml_edit::Array::new();
    for t in &ticked {
        array.push(t.as_str());
    }
    doc["ticked"] = toml_edit::value(array);
    let split = |s: &str, what: &str| -> Result<(String, String), CliError> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| bad(format!("--{what} {s}: give UNIT=TEXT")))?;
        Ok((k.trim().to_string(), v.trim().to_string()))
    };
    for n in note {
        let (unit, text) = split(n, "note")?;
        if doc.get("notes").is_none() {
            doc["notes"] = toml_edit::table();
        }
        doc["notes"][unit.as_str()] = toml_edit::value(text);
    }
    let mut push = |key: &str, fields: Vec<(&str, String)>| {
        // Absent, or an inline array (e.g. `barriers = []` in a file the
        // workshop page saved): an array of tables, keeping what it held.
        if !doc.get(key).is_some_and(|i| i.is_array_of_tables()) {
            let mut tables = toml_edit::ArrayOfTables::new();
            if let Some(a) = doc.get(key).and_then(|i| i.as_array()) {
                for v in a.iter() {
                    if let Some(t) = v.as_inline_table() {
                        tables.push(t.clone().into_table());
                    }
                }
            }
            doc.remove(key);
            doc[key] = toml_edit::Item::ArrayOfTables(tables);
        }
        let mut t = toml_edit::Table::new();
        for (k, v) in fields {
            t[k] = toml_edit::value(v);
        }
        if let Some(a) = doc[key].as_array_of_tables_mut() {
            a.push(t);
        }
    };
    for b in barrier {
        let (unit, text) = split(b, "barrier")?;
        push("barriers", vec![("unit", unit), ("text", text)]);
    }
    for a in action {
        let (head, text) = split(a, "action")?;
        let (unit, horizon) = head.split_once(':').ok_or_else(|| {
            bad(format!(
                "--action {a}: give UNIT:HORIZON=TEXT, e.g. 7.2:short=train two more practitioners"
            ))
        })?;
        push(
            "actions",
            vec![
                ("unit", unit.to_string()),
                ("horizon", horizon.to_string()),
                ("text", text),
            ],
        );
    }
    let new_text = doc.to_string();
    let checked: Assessment = toml::from_str(&new_text).map_err(|e| bad(e.to_string()))?;
    let problems = checked.problems(matrix);
    if !problems.is_empty() {
        return Err(bad(problems.join("; ")));
    }
    let staging = file.with_extension("toml.partial");
    std::fs::write(&staging, &new_text)
        .and_then(|()| std::fs::rename(&staging, file))
        .map_err(|e| CliError::Internal(format!("could not write {}: {e}", file.display())))?;
    let s = summarise(matrix, &checked);
    let reached: Vec<String> = matrix
        .units
        .iter()
        .zip(&s.levels)
        .filter(|(u, _)| {
            tick.iter()
                .chain(untick)
                .any(|c| matrix.criteria.iter().any(|x| x.code == c.trim() && x.unit == u.code))
        })
        .map(|(u, &l)| format!("{} → {}", u.code, matrix.level_name(l)))
        .collect();
    println!(
        "Updated {}: {} criteria ticked{}.",
        file.display(),
        ticked.len(),
        if reached.is_empty() {
            String::new()
        } else {
            format!("; {}", reached.join(", "))
        }
    );
    Ok(())
}

/// Units × assessments as a text table.
fn table(matrix: &Matrix, summaries: &[MaturitySummary], assessments: &[Assessment]) -> String {
    let mut rows = vec![
        std::iter::once("unit".to_string())
            .chain(summaries.iter().map(|s| format!("{} {}", s.who, s.date)))
            .collect::<Vec<_>>(),
    ];
    for (u, unit) in matrix.units.iter().enumerate() {
        let mut row = vec![matrix.unit_label(unit)];
        for (s, a) in summaries.iter().zip(assessments) {
            let beyond = a.beyond(matrix, &unit.code);
            row.push(format!(
                "{}{}",
                matrix.level_name(s.levels[u]),
                if beyond > 0 {
                    format!(" (+{beyond})")
                } else {
                    String::new()
                }
            ));
        }
        rows.push(row);
    }
    let mut out = upstream::output::table::plain(&rows);
    let _ = writeln!(out, "\nMean level by dimension (0 = not yet basic, 4 = mature):");
    for (d, dim) in matrix.dimensions.iter().enumerate() {
        let means: Vec<String> = summaries
            .iter()
            .map(|s| format!("{:.1}", s.dimension_means[d]))
            .collect();
        let _ = writeln!(out, "  {:<9} {}", dim.name, means.join("  "));
    }
    out
}

fn load_all(matrix: &Matrix, files: &[PathBuf]) -> Result<Vec<Assessment>, CliError> {
    let mut all = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        match Assessment::load(f, matrix) {
            Ok(a) => all.push(a),
            Err(e) => errors.extend(e.errors),
        }
    }
    if errors.is_empty() {
        Ok(all)
    } else {
        Err(CliError::Input(upstream::error::InputErrors::new(errors)))
    }
}

fn write_results(out: &Path, name: &str, csv_rows: Vec<Vec<String>>, picture: &MaturityChart) -> Result<(), CliError> {
    upstream::output::replace_dir(out, |staging| {
        let mut w = csv::Writer::from_path(staging.join(format!("{name}.csv")))?;
        for r in &csv_rows {
            w.write_record(r)?;
        }
        w.flush()?;
        std::fs::write(
            staging.join(format!("{name}.svg")),
            picture.svg().map_err(std::io::Error::other)?,
        )?;
        picture
            .write_png(&staging.join(format!("{name}.png")))
            .map_err(std::io::Error::other)
    })
    .map_err(|e| super::write_failed(out, e))
}

fn summary(matrix: &Matrix, files: &[PathBuf], out: Option<PathBuf>) -> Result<(), CliError> {
    let assessments = load_all(matrix, files)?;
    let summaries: Vec<MaturitySummary> = assessments.iter().map(|a| summarise(matrix, a)).collect();
    let mut text = table(matrix, &summaries, &assessments);
    let mut csv_rows = vec![vec![
        "who".to_string(),
        "date".into(),
        "kind".into(),
        "area".into(),
        "dimension".into(),
        "element".into(),
        "unit".into(),
        "name".into(),
        "level".into(),
        "level_name".into(),
        "ticked_beyond_level".into(),
    ]];
    for (a, s) in assessments.iter().zip(&summaries) {
        for (u, unit) in matrix.units.iter().enumerate() {
            csv_rows.push(vec![
                a.who.clone(),
                a.date.clone(),
                a.kind.clone(),
                a.area.clone(),
                matrix.dimension_of(unit).name.clone(),
                matrix.element_of(unit).name.clone(),
                unit.code.clone(),
                unit.name.clone(),
                s.levels[u].to_string(),
                matrix.level_name(s.levels[u]).to_string(),
                a.beyond(matrix, &unit.code).to_string(),
            ]);
        }
    }
    if summaries.len() > 1 {
        let d = disagreements(&summaries);
        let _ = writeln!(
            text,
            "\nWhere the ratings differ ({} of {} units), widest first:",
            d.len(),
            matrix.units.len()
        );
        for (u, lo, hi) in d {
            let who: Vec<String> = summaries
                .iter()
                .map(|s| format!("{} {}", s.who, matrix.level_name(s.levels[u])))
                .collect();
            let _ = writeln!(
                text,
                "  {}: {} to {} ({})",
                matrix.unit_label(&matrix.units[u]),
                matrix.level_name(lo),
                matrix.level_name(hi),
                who.join(", ")
            );
        }
    }
    for a in &assessments {
        for b in &a.barriers {
            let _ = writeln!(text, "Barrier ({}, {}): {}", a.who, b.unit, b.text);
        }
        for x in &a.actions {
            let _ = writeln!(text, "Action ({}, {}, {}): {}", a.who, x.unit, x.horizon, x.text);
        }
    }
    let out = out.unwrap_or_else(|| PathBuf::from("out/maturity").join(stem(&files[0])));
    let series = summaries
        .iter()
        .map(|s| (format!("{} ({})", s.who, s.date), s.levels.clone()))
        .collect();
    let subtitle = vec![format!(
        "Level reached per unit: every criterion of that level and the ones below ticked; {}",
        if summaries.len() > 1 {
            "one bar per assessment"
        } else {
            "one assessment"
        }
    )];
    let picture = MaturityChart::of(matrix, "Maturity by unit", subtitle, series);
    write_results(&out, "maturity", csv_rows, &picture)?;
    print!("{text}");
    println!(
        "Results written to {}/ (maturity.csv, maturity.png, maturity.svg).",
        out.display()
    );
    Ok(())
}

fn compare(matrix: &Matrix, baseline: &Path, follow_up: &Path, out: Option<PathBuf>) -> Result<(), CliError> {
    let assessments = load_all(matrix, &[baseline.to_path_buf(), follow_up.to_path_buf()])?;
    let s: Vec<MaturitySummary> = assessments.iter().map(|a| summarise(matrix, a)).collect();
    let mut text = String::new();
    let mut rows = vec![vec![
        "unit".to_string(),
        format!("{} {}", s[0].who, s[0].date),
        format!("{} {}", s[1].who, s[1].date),
        "change".into(),
    ]];
    let mut csv_rows = vec![vec![
        "unit".to_string(),
        "name".into(),
        "dimension".into(),
        "baseline_level".into(),
        "follow_up_level".into(),
        "change".into(),
    ]];
    for (u, unit) in matrix.units.iter().enumerate() {
        let (a, b) = (s[0].levels[u], s[1].levels[u]);
        let change = i32::from(b) - i32::from(a);
        rows.push(vec![
            matrix.unit_label(unit),
            matrix.level_name(a).to_string(),
            matrix.level_name(b).to_string(),
            match change {
                0 => "=".into(),
                c => format!("{c:+}"),
            },
        ]);
        csv_rows.push(vec![
            unit.code.clone(),
            unit.name.clone(),
            matrix.dimension_of(unit).name.clone(),
            a.to_string(),
            b.to_string(),
            change.to_string(),
        ]);
    }
    text.push_str(&upstream::output::table::plain(&rows));
    let up = s[0].levels.iter().zip(&s[1].levels).filter(|(a, b)| b > a).count();
    let down = s[0].levels.iter().zip(&s[1].levels).filter(|(a, b)| b < a).count();
    let _ = writeln!(
        text,
        "\n{up} units moved up, {down} down, {} unchanged.",
        matrix.units.len() - up - down
    );
    let out =
        out.unwrap_or_else(|| PathBuf::from("out/maturity").join(format!("{}-vs-{}", stem(baseline), stem(follow_up))));
    let series = s
        .iter()
        .map(|x| (format!("{} ({})", x.who, x.date), x.levels.clone()))
        .collect();
    let picture = MaturityChart::of(
        matrix,
        "Maturity: baseline and follow-up",
        vec!["Level reached per unit at each assessment".into()],
        series,
    );
    write_results(&out, "maturity-compare", csv_rows, &picture)?;
    print!("{text}");
    println!(
        "Results written to {}/ (maturity-compare.csv, maturity-compare.png, maturity-compare.svg).",
        out.display()
    );
    Ok(())
}
