//! `results.xlsx` for finance teams (rust_xlsxwriter): Summary, Spend by
//! tier, Spend by funder, Budget profile, People by level, Activity, Supply
//! (only for a model with capacities), Places (only for a model with
//! places), Interventions, Assumptions and Run. Numbers are written as
//! numbers with formats (money to the pound, people whole, returns to the
//! penny), headers are frozen, filtered and columns sized, and no sheet has
//! two columns of the same header. Every money header says whether it is
//! discounted (`(£, discounted)`) or each year's cash (`(£, undiscounted)`),
//! and a note under the table says at which rate. The Summary's figures are
//! exactly those of `summary.csv`.

mod budget;
mod supply;
mod yearly;

pub use budget::{BUDGET_COLUMNS, year_header};
pub use supply::{PLACES_COLUMNS, supply_columns};
pub use yearly::ACTIVITY_COLUMNS;

use super::RunOutput;
use super::csv_files::significant;
use crate::charts::Figures;
use crate::model::Model;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::path::Path;

pub const SHEETS: [&str; 9] = [
    "Summary",
    "Spend by tier",
    "Spend by funder",
    "Budget profile",
    "People by level",
    "Activity",
    "Interventions",
    "Assumptions",
    "Run",
];

/// The sheet of the supply side, after Activity, in a workbook of a
/// model with capacities only.
pub const SUPPLY_SHEET: &str = "Supply";

/// The sheet of the levels with places, after Supply, in a workbook of a
/// model with places only.
pub const PLACES_SHEET: &str = "Places";

struct Formats {
    header: Format,
    money: Format,
    people: Format,
    ratio: Format,
    activity: Format,
    weeks: Format,
    year: Format,
    share: Format,
    factor: Format,
    wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Top)
                .set_background_color(0xE8EEF4)
                .set_border_bottom(FormatBorder::Thin),
            money: Format::new().set_num_format("#,##0;-#,##0"),
            people: Format::new().set_num_format("#,##0"),
            ratio: Format::new().set_num_format("0.00"),
            activity: Format::new().set_num_format("#,##0.0"),
            weeks: Format::new().set_num_format("0.0"),
            year: Format::new().set_num_format("0"),
            share: Format::new().set_num_format("0%"),
            factor: Format::new().set_num_format("0.0000"),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// A header row, frozen, with column widths.
fn headers(
    sheet: &mut Worksheet,
    f: &Formats,
    columns: &[(String, f64)],
    frozen_columns: u16,
) -> Result<(), XlsxError> {
    for (c, (name, width)) in columns.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, name, &f.header)?;
        sheet.set_column_width(c, *width)?;
    }
    sheet.set_row_height(0, 48)?;
    sheet.set_freeze_panes(1, frozen_columns)?;
    Ok(())
}

/// Writes a number, or leaves the cell empty when there is none.
fn number(sheet: &mut Worksheet, row: u32, col: u16, value: Option<f64>, format: &Format) -> Result<(), XlsxError> {
    match value {
        Some(v) if v.is_finite() => sheet.write_number_with_format(row, col, v, format).map(|_| ()),
        _ => Ok(()),
    }
}

/// A money column's header: `NAME (£, discounted)` or `NAME (£, undiscounted)`.
pub fn money_header(name: &str, currency: &str, discounted: bool) -> String {
    let cur = crate::format::currency_prefix(currency).trim().to_string();
    let how = if discounted { "discounted" } else { "undiscounted" };
    format!("{name} ({cur}, {how})")
}

/// The note under a sheet of money: what undiscounted and discounted mean,
/// at the model's prices, rate and timing; `factor_column` when the sheet
/// has the year's discount factor.
fn money_note(model: &Model, factor_column: bool) -> String {
    let cur = crate::format::currency_prefix(&model.currency).trim().to_string();
    let rate = crate::format::percent(model.discount_rate);
    let (exponent, timing) = match model.discount_timing {
        crate::model::DiscountTiming::End => ("t", "end"),
        crate::model::DiscountTiming::Start => ("t − 1", "start"),
        crate::model::DiscountTiming::Mid => ("t − ½", "mid"),
        crate::model::DiscountTiming::PerPoint => {
            return format!(
                "Money in {cur} at {} prices (real terms). Undiscounted: the year's cash at those prices. \
                 Discounted: at {rate}% a year, each time point τ years from the start of {} divided by \
                 (1 + {rate}%)^τ (discount_timing \"per_time_point\"): what person-years price point by \
                 point by the occupancy weights, a year's other figures at its end, costs at a start at that \
                 moment{}.",
                model.price_base_year,
                model.start_year,
                if factor_column {
                    "; the Discount factor column is the year's end factor, (1 + r)^−t, which a year's spend only \
                     approximately takes"
                } else {
                    ""
                }
            );
        }
    };
    format!(
        "Money in {cur} at {} prices (real terms). Undiscounted: the year's cash at those prices. \
         Discounted: at {rate}% a year, year t (t = 1 for {}) divided by (1 + {rate}%)^({exponent}) \
         (discount_timing \"{timing}\"){}.",
        model.price_base_year,
        model.start_year,
        if factor_column {
            "; the Discount factor column is that divisor's inverse, so an undiscounted figure × its factor is the discounted one"
        } else {
            ""
        }
    )
}

pub fn write(path: &Path, output: &RunOutput, figures: &Figures) -> Result<(), XlsxError> {
    let f = Formats::new();
    let mut book = Workbook::new();
    summary(book.add_worksheet().set_name(SHEETS[0])?, &f, output, figures)?;
    yearly::spend_by_tier(book.add_worksheet().set_name(SHEETS[1])?, &f, output)?;
    yearly::spend_by_funder(book.add_worksheet().set_name(SHEETS[2])?, &f, output)?;
    budget::profile(book.add_worksheet().set_name(SHEETS[3])?, &f, output)?;
    yearly::people_by_level(book.add_worksheet().set_name(SHEETS[4])?, &f, output)?;
    yearly::activity(book.add_worksheet().set_name(SHEETS[5])?, &f, output)?;
    if !figures.supply.is_empty() {
        supply::supply(book.add_worksheet().set_name(SUPPLY_SHEET)?, &f, output, figures)?;
    }
    if !figures.places.is_empty() {
        supply::places(book.add_worksheet().set_name(PLACES_SHEET)?, &f, output, figures)?;
    }
    if let Some(ce) = &output.cost_effectiveness {
        let name = super::cost_effectiveness::SHEET;
        super::cost_effectiveness::sheet(book.add_worksheet().set_name(name)?, ce)?;
    }
    if !output.deals.is_empty() {
        super::contracts::sheet(book.add_worksheet().set_name(super::contracts::SHEET)?, output)?;
    }
    interventions(book.add_worksheet().set_name(SHEETS[6])?, &f, output)?;
    assumptions(book.add_worksheet().set_name(SHEETS[7])?, &f, output)?;
    run(
        book.add_worksheet().set_name(SHEETS[8])?,
        &f,
        output,
        !figures.supply.is_empty(),
    )?;
    // Built in memory, then written: a full disk is then a plain write
    // error, not a half-finished archive that complains as it is dropped.
    let bytes = book.save_to_buffer()?;
    std::fs::write(path, bytes).map_err(XlsxError::IoError)
}

/// The Summary sheet's columns: (header, width, summary.csv metric and stat).
/// Shared with the tests through `summary_columns`.
pub struct SummaryColumn {
    pub header: String,
    /// `(metric, year, stat)` in summary.csv; `year` None = `all`.
    pub source: (String, Option<i32>, String),
}

/// The Summary sheet's number columns, after Scenario and Description.
pub fn summary_columns(output: &RunOutput) -> Vec<SummaryColumn> {
    let model = output.model;
    let cur = crate::format::currency_prefix(&model.currency).trim().to_string();
    let money = |name: &str| money_header(name, &model.currency, true);
    let last = model.end_year();
    let column = |header: String, metric: &str, year: Option<i32>, stat: &str| SummaryColumn {
        header,
        source: (metric.to_string(), year, stat.to_string()),
    };
    let mut columns = vec![
        column(money("Net saving, NPV"), "npv", None, "value"),
        column(money("Investment"), "discounted_investment", None, "value"),
        column(money("Spend avoided"), "discounted_gross_saving", None, "value"),
        column(format!("Return per {cur}1"), "return_per_pound", None, "value"),
        column("Break-even year".into(), "break_even_year", None, "value"),
    ];
    if let Some(mc) = &output.monte_carlo {
        let names: Vec<String> = mc
            .percentiles
            .iter()
            .map(|p| format!("p{}", super::csv_files::number(*p)))
            .collect();
        let (lo, hi) = (names.first(), names.last());
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let up = |s: &str| s.to_uppercase();
            columns.push(column(money(&format!("NPV {}", up(lo))), "npv", None, lo));
            columns.push(column(money(&format!("NPV {}", up(hi))), "npv", None, hi));
        }
        columns.push(column(
            format!("Chance of break-even by {last}"),
            "prob_break_even_by_year",
            Some(last),
            "value",
        ));
    }
    for level in model.output_levels.iter().map(|l| &l.name) {
        columns.push(column(
            format!("Change in {level} at end of {last} (people)"),
            &format!("diff_people_level:{level}"),
            Some(last),
            "value",
        ));
    }
    for funder in &model.funders {
        columns.push(column(
            money(&format!("Net saving to {funder}, NPV")),
            &format!("npv_funder:{funder}"),
            None,
            "value",
        ));
    }
    columns
}

fn summary(sheet: &mut Worksheet, f: &Formats, output: &RunOutput, figures: &Figures) -> Result<(), XlsxError> {
    let columns = summary_columns(output);
    let mut header = vec![("Scenario".to_string(), 26.0), ("Description".to_string(), 48.0)];
    header.extend(columns.iter().map(|c| (c.header.clone(), 17.0)));
    headers(sheet, f, &header, 1)?;
    let rows = super::csv_files::summary_rows(output);
    let last = output.model.end_year();
    for (k, scenario) in output.accounts.iter().skip(1).enumerate() {
        let r = k as u32 + 1;
        let future = k + 1;
        sheet.write_string(r, 0, &scenario.scenario)?;
        let description = output
            .model
            .scenarios
            .iter()
            .find(|s| s.name == scenario.scenario)
            .map_or("", |s| s.description.as_str());
        sheet.write_string_with_format(r, 1, description, &f.wrap)?;
        for (c, column) in columns.iter().enumerate() {
            let (metric, year, stat) = &column.source;
            let value = if metric == "prob_break_even_by_year" {
                output.monte_carlo.as_ref().and_then(|mc| {
                    mc.probabilities
                        .iter()
                        .find(|p| p.future == future && p.year == last && &p.metric == metric)
                        .map(|p| p.value)
                })
            } else {
                let i = rows
                    .iter()
                    .position(|row| row.scenario == scenario.scenario && &row.metric == metric && row.year == *year);
                match (i, stat.as_str()) {
                    (Some(i), "value") => rows[i].value,
                    (Some(i), stat) => output.monte_carlo.as_ref().and_then(|mc| {
                        let p = mc
                            .percentiles
                            .iter()
                            .position(|p| format!("p{}", super::csv_files::number(*p)) == stat)?;
                        mc.rows[i].percentiles[p].map(|v| significant(v, 7))
                    }),
                    (None, _) => None,
                }
            };
            let format = if metric == "return_per_pound" {
                &f.ratio
            } else if metric == "break_even_year" {
                &f.year
            } else if metric.starts_with("prob_") {
                &f.share
            } else if metric.starts_with("diff_people") {
                &f.people
            } else {
                &f.money
            };
            number(sheet, r, c as u16 + 2, value, format)?;
        }
    }
    let note_row = output.accounts.len() as u32 + 1;
    let note = format!(
        "{}: every money figure here is discounted (NPVs and sums over the horizon), {} prices, at {}% a year; net saving is against do-nothing. {}",
        figures.model_name,
        figures.price_base_year,
        crate::format::percent(figures.discount_rate),
        match (figures.draws, figures.seed) {
            (0, _) => "A deterministic run at the inputs' means.".to_string(),
            (n, Some(seed)) => format!("Ranges and chances over {n} Monte Carlo draws (seed {seed})."),
            (n, None) => format!("Ranges and chances over {n} Monte Carlo draws."),
        }
    );
    sheet.write_string(note_row, 0, &note)?;
    sheet.write_string(note_row + 1, 0, money_note(output.model, false))?;
    Ok(())
}

/// The intervention cost table (`interventions.csv`'s central figures and,
/// with draws, the range of net saving and return per £1), ranked.
fn interventions(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let table = &output.costs;
    let cur = crate::format::currency_prefix(&model.currency);
    let drawn = table.rows.iter().any(|r| r.stats.is_some());
    let (lo, hi) = (
        table.percentiles.first().copied().unwrap_or(5.0),
        table.percentiles.last().copied().unwrap_or(95.0),
    );
    let p = |x: f64| super::csv_files::number(x);
    let money_columns = [
        "cost",
        "cost_discounted",
        "acute_spend_avoided",
        "gross_saving",
        "net_saving",
    ];
    let mut header: Vec<(String, f64)> = vec![
        ("Rank".into(), 6.0),
        ("Scenario".into(), 24.0),
        ("Intervention".into(), 28.0),
        ("Measured against".into(), 30.0),
        ("Evidence rating".into(), 10.0),
        ("Reaches (ages × levels)".into(), 30.0),
        ("Funder".into(), 12.0),
    ];
    // The cost and the cost per participant are sums of each year's cash;
    // the other money figures are discounted (`evidence::costs`).
    let titled = |name: &str, text: String| {
        if money_columns.contains(&name) || name.starts_with("cost_per") {
            let discounted = !matches!(name, "cost" | "cost_per_participant");
            money_header(&text, &model.currency, discounted)
        } else {
            text
        }
    };
    // `cost_discounted` reads "cost (£, discounted)" beside "cost (£, undiscounted)".
    let plain = |n: &str| n.trim_end_matches("_discounted").replace('_', " ");
    header.extend((table.names.iter()).map(|n| (titled(n, plain(n)), 14.0)));
    if drawn {
        header.push(("Chance of net harm".into(), 12.0));
        for name in ["net_saving", "return_per_pound"] {
            for end in [lo, hi] {
                header.push((titled(name, format!("{} P{}", name.replace('_', " "), p(end))), 14.0));
            }
        }
    }
    headers(sheet, f, &header, 3)?;
    let mut r = 1;
    for (rank, row) in table.ranked().into_iter().enumerate() {
        let i = row.intervention;
        sheet.write_number(r, 0, (rank + 1) as f64)?;
        sheet.write_string(r, 1, &row.scenario)?;
        sheet.write_string(r, 2, &model.interventions[i].name)?;
        sheet.write_string(r, 3, &row.against)?;
        sheet.write_string(r, 4, super::evidence::rating_text(model, i))?;
        sheet.write_string(r, 5, super::evidence::position(model, i))?;
        sheet.write_string(r, 6, &model.funders[model.interventions[i].funder])?;
        let format_of = |name: &str| {
            if money_columns.contains(&name) || name.starts_with("cost_per") {
                &f.money
            } else if name.starts_with("return") {
                &f.ratio
            } else {
                &f.people
            }
        };
        for (j, name) in table.names.iter().enumerate() {
            number(sheet, r, 7 + j as u16, Some(row.central[j]), format_of(name))?;
        }
        if drawn {
            let mut c = 7 + table.names.len() as u16;
            number(sheet, r, c, row.prob_net_harm, &f.share)?;
            c += 1;
            for name in ["net_saving", "return_per_pound"] {
                let stats = row.stats.as_ref().map(|s| &s[table.index(name)]);
                for end in [
                    stats.and_then(|s| s.percentiles.first().copied().flatten()),
                    stats.and_then(|s| s.percentiles.last().copied().flatten()),
                ] {
                    number(sheet, r, c, end, format_of(name))?;
                    c += 1;
                }
            }
        }
        r += 1;
    }
    if r > 1 {
        sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    }
    sheet.write_string(
        r + 1,
        0,
        format!(
            "Money in {cur}, {} prices: discounted except the cost and the cost per participant (the sums of each year's cash). Alone in a scenario an intervention is measured against do-nothing; in a package, against the package without it.",
            model.price_base_year
        ),
    )?;
    Ok(())
}

fn assumptions(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let file = output.metadata.scenario_file.display().to_string();
    headers(
        sheet,
        f,
        &[
            ("Section".into(), 30.0),
            ("Setting".into(), 24.0),
            ("Value as written".into(), 40.0),
            ("Note in the scenario file".into(), 90.0),
            ("Source".into(), 40.0),
            ("Vintage".into(), 16.0),
            ("Licence".into(), 24.0),
            (format!("Line of {file}"), 10.0),
        ],
        2,
    )?;
    let mut r = 1;
    for section in output.loaded.assumptions.iter() {
        if !section.note.is_empty() {
            sheet.write_string_with_format(r, 0, &section.heading, &f.wrap)?;
            sheet.write_string_with_format(r, 3, &section.note, &f.wrap)?;
            sheet.write_number(r, 7, section.line as f64)?;
            r += 1;
        }
        for item in &section.items {
            sheet.write_string_with_format(r, 0, &section.heading, &f.wrap)?;
            sheet.write_string_with_format(r, 1, &item.key, &f.wrap)?;
            sheet.write_string_with_format(r, 2, &item.value, &f.wrap)?;
            sheet.write_string_with_format(r, 3, &item.note, &f.wrap)?;
            sheet.write_string_with_format(r, 4, &item.provenance.source, &f.wrap)?;
            sheet.write_string_with_format(r, 5, &item.provenance.vintage, &f.wrap)?;
            sheet.write_string_with_format(r, 6, &item.provenance.licence, &f.wrap)?;
            sheet.write_number(r, 7, item.line as f64)?;
            r += 1;
        }
    }
    if r > 1 {
        sheet.autofilter(0, 0, r - 1, 7)?;
    }
    Ok(())
}

fn run(sheet: &mut Worksheet, f: &Formats, output: &RunOutput, supplied: bool) -> Result<(), XlsxError> {
    let m = &output.metadata;
    headers(sheet, f, &[("Item".into(), 28.0), ("Value".into(), 90.0)], 0)?;
    let mut rows: Vec<(String, String)> = vec![
        ("Tool".into(), format!("{} {}", m.tool, m.version)),
        ("Model".into(), m.model_name.clone()),
        ("Scenario file".into(), m.scenario_file.display().to_string()),
        ("Run started (UTC)".into(), super::utc_timestamp(m.started_unix_seconds)),
        (
            "Years".into(),
            format!("{}–{}", m.start_year, m.start_year + m.horizon_years as i32 - 1),
        ),
        ("Steps a year".into(), m.steps_per_year.to_string()),
        (
            "Currency and prices".into(),
            format!("{}, {} prices", m.currency, m.price_base_year),
        ),
        (
            "Discount rate".into(),
            format!("{}% a year", crate::format::percent(m.discount_rate)),
        ),
        ("Futures".into(), m.futures.join(", ")),
        (
            "Monte Carlo draws".into(),
            if m.options.draws == 0 {
                "none (a run at the inputs' means)".into()
            } else {
                format!("{} (seed {})", m.options.draws, m.options.seed)
            },
        ),
        (
            "Sheets".into(),
            format!(
                "Spend, people, activity{} and funder sheets are the run at the inputs' means; the Summary and the Budget profile add the Monte Carlo ranges when there were draws.",
                if supplied { ", supply" } else { "" }
            ),
        ),
    ];
    for source in &m.inputs {
        rows.push((
            format!("Input {}", source.path.display()),
            format!("SHA-256 {}", source.sha256),
        ));
    }
    for (r, (item, value)) in rows.iter().enumerate() {
        sheet.write_string(r as u32 + 1, 0, item)?;
        sheet.write_string_with_format(r as u32 + 1, 1, value, &f.wrap)?;
    }
    Ok(())
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
