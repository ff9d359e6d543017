//! `results.xlsx` for finance teams (rust_xlsxwriter): Summary, Spend by
//! tier, Spend by funder, People by level, Supply (only for a model with
//! capacities), Places (only for a model with places), Interventions,
//! Assumptions and Run. Numbers are
//! written as numbers with formats (money to the pound, people whole,
//! returns to the penny), headers are frozen and columns sized. The
//! Summary's figures are exactly those of `summary.csv`.

use super::RunOutput;
use super::csv_files::significant;
use crate::charts::Figures;
use crate::model::Tier;
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};
use std::path::Path;

pub const SHEETS: [&str; 7] = [
    "Summary",
    "Spend by tier",
    "Spend by funder",
    "People by level",
    "Interventions",
    "Assumptions",
    "Run",
];

/// The sheet of the supply side, after People by level, in a workbook of a
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

pub fn write(path: &Path, output: &RunOutput, figures: &Figures) -> Result<(), XlsxError> {
    let f = Formats::new();
    let mut book = Workbook::new();
    summary(book.add_worksheet().set_name(SHEETS[0])?, &f, output, figures)?;
    spend_by_tier(book.add_worksheet().set_name(SHEETS[1])?, &f, output)?;
    spend_by_funder(book.add_worksheet().set_name(SHEETS[2])?, &f, output)?;
    people_by_level(book.add_worksheet().set_name(SHEETS[3])?, &f, output)?;
    if !figures.supply.is_empty() {
        supply(book.add_worksheet().set_name(SUPPLY_SHEET)?, &f, output, figures)?;
    }
    if !figures.places.is_empty() {
        places(book.add_worksheet().set_name(PLACES_SHEET)?, &f, output, figures)?;
    }
    if !output.deals.is_empty() {
        super::contracts::sheet(book.add_worksheet().set_name(super::contracts::SHEET)?, output)?;
    }
    interventions(book.add_worksheet().set_name(SHEETS[4])?, &f, output)?;
    assumptions(book.add_worksheet().set_name(SHEETS[5])?, &f, output)?;
    run(
        book.add_worksheet().set_name(SHEETS[6])?,
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
    let last = model.end_year();
    let column = |header: String, metric: &str, year: Option<i32>, stat: &str| SummaryColumn {
        header,
        source: (metric.to_string(), year, stat.to_string()),
    };
    let mut columns = vec![
        column(format!("Net saving, NPV ({cur})"), "npv", None, "value"),
        column(
            format!("Investment, discounted ({cur})"),
            "discounted_investment",
            None,
            "value",
        ),
        column(
            format!("Spend avoided, discounted ({cur})"),
            "discounted_gross_saving",
            None,
            "value",
        ),
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
            columns.push(column(format!("NPV {} ({cur})", up(lo)), "npv", None, lo));
            columns.push(column(format!("NPV {} ({cur})", up(hi)), "npv", None, hi));
        }
        columns.push(column(
            format!("Chance of break-even by {last}"),
            "prob_break_even_by_year",
            Some(last),
            "value",
        ));
    }
    for level in &model.levels {
        columns.push(column(
            format!("Change in {level} at end of {last} (people)"),
            &format!("diff_people_level:{level}"),
            Some(last),
            "value",
        ));
    }
    for funder in &model.funders {
        columns.push(column(
            format!("Net saving to {funder}, NPV ({cur})"),
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
        "{}: {} prices, discounted at {}% a year; net saving is against do-nothing. {}",
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
    Ok(())
}

fn spend_by_tier(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let cur = crate::format::currency_prefix(&output.model.currency)
        .trim()
        .to_string();
    let mut header = vec![("Scenario".to_string(), 26.0), ("Year".to_string(), 8.0)];
    for tier in Tier::ALL {
        header.push((format!("{} ({cur})", capitalised(tier.name())), 15.0));
    }
    for name in [
        "Preventative",
        "Acute",
        "of which services",
        "of which interventions",
        "Total",
    ] {
        header.push((format!("{name} ({cur})"), 15.0));
    }
    header.push(("Discount factor".into(), 11.0));
    headers(sheet, f, &header, 2)?;
    let mut r = 1;
    for a in &output.accounts {
        for (t, &year) in a.years.iter().enumerate() {
            sheet.write_string(r, 0, &a.scenario)?;
            sheet.write_number_with_format(r, 1, f64::from(year), &f.year)?;
            let mut values: Vec<f64> = a.spend_tier[t].to_vec();
            values.extend([
                a.spend_preventative[t],
                a.spend_acute[t],
                a.spend_services_total[t],
                a.intervention_cost_total[t],
                a.spend_total[t],
            ]);
            for (c, v) in values.into_iter().enumerate() {
                sheet.write_number_with_format(r, c as u16 + 2, v, &f.money)?;
            }
            sheet.write_number_with_format(r, 11, a.discount_factor[t], &f.factor)?;
            r += 1;
        }
    }
    sheet.autofilter(0, 0, r - 1, 11)?;
    Ok(())
}

fn spend_by_funder(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let cur = crate::format::currency_prefix(&model.currency).trim().to_string();
    let mut header = vec![("Scenario".to_string(), 26.0), ("Year".to_string(), 8.0)];
    for funder in &model.funders {
        header.push((format!("{funder}: spend ({cur})"), 15.0));
        header.push((format!("{funder}: of which interventions ({cur})"), 15.0));
        header.push((format!("{funder}: net saving vs do-nothing ({cur})"), 15.0));
    }
    headers(sheet, f, &header, 2)?;
    let mut r = 1;
    for (k, a) in output.accounts.iter().enumerate() {
        let comparison = k.checked_sub(1).map(|i| &output.comparisons[i]);
        for (t, &year) in a.years.iter().enumerate() {
            sheet.write_string(r, 0, &a.scenario)?;
            sheet.write_number_with_format(r, 1, f64::from(year), &f.year)?;
            for fi in 0..model.funders.len() {
                let c = 2 + 3 * fi as u16;
                sheet.write_number_with_format(r, c, a.spend_funder[t][fi], &f.money)?;
                sheet.write_number_with_format(r, c + 1, a.investment_funder[t][fi], &f.money)?;
                let net = comparison.map(|cmp| cmp.by_funder[fi].net_saving[t]);
                number(sheet, r, c + 2, net, &f.money)?;
            }
            r += 1;
        }
    }
    sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    Ok(())
}

fn people_by_level(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let mut header = vec![("Scenario".to_string(), 26.0), ("Year".to_string(), 8.0)];
    header.extend(model.levels.iter().map(|l| (format!("{l} (end of year)"), 14.0)));
    header.push(("Total".into(), 14.0));
    header.extend(
        model
            .levels
            .iter()
            .map(|l| (format!("{l}: change vs do-nothing"), 14.0)),
    );
    headers(sheet, f, &header, 2)?;
    let nl = model.levels.len();
    let baseline = &output.accounts[0];
    let mut r = 1;
    for (k, a) in output.accounts.iter().enumerate() {
        for (t, &year) in a.years.iter().enumerate() {
            sheet.write_string(r, 0, &a.scenario)?;
            sheet.write_number_with_format(r, 1, f64::from(year), &f.year)?;
            for l in 0..nl {
                sheet.write_number_with_format(r, 2 + l as u16, a.people_level[t][l], &f.people)?;
                let change = (k > 0).then(|| a.people_level[t][l] - baseline.people_level[t][l]);
                number(sheet, r, 3 + (nl + l) as u16, change, &f.people)?;
            }
            sheet.write_number_with_format(r, 2 + nl as u16, a.people_total[t], &f.people)?;
            r += 1;
        }
    }
    sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
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
    header.extend(table.names.iter().map(|n| (n.replace('_', " "), 14.0)));
    if drawn {
        header.push(("Chance of net harm".into(), 12.0));
        for name in ["net_saving", "return_per_pound"] {
            header.push((format!("{} P{}", name.replace('_', " "), p(lo)), 14.0));
            header.push((format!("{} P{}", name.replace('_', " "), p(hi)), 14.0));
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
            "Money in {cur}, {} prices, discounted except `cost`. Alone in a scenario an intervention is measured against do-nothing; in a package, against the package without it.",
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
                "Spend, people{} and funder sheets are the run at the inputs' means; the Summary adds the Monte Carlo ranges when there were draws.",
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

/// The Supply sheet's yearly columns after Scenario, Service and Year:
/// (header, summary.csv metric before `:SERVICE`).
pub fn supply_columns(currency: &str) -> Vec<(String, &'static str)> {
    let cur = crate::format::currency_prefix(currency).trim().to_string();
    vec![
        ("Capacity".into(), "capacity"),
        ("Demand".into(), "demand"),
        ("Served".into(), "served"),
        ("Unmet".into(), "unmet"),
        ("Utilisation (served ÷ capacity)".into(), "utilisation"),
        ("Waiting list (end of year)".into(), "waiting_list"),
        ("Mean wait (weeks)".into(), "mean_wait_weeks"),
        ("Share over target wait".into(), "share_over_target"),
        ("Diverted".into(), "diverted"),
        (format!("Diverted: cost at the receiver ({cur})"), "diverted_cost"),
        ("Lost".into(), "lost"),
    ]
}

/// Per future × service with a capacity × year, the supply rows of
/// `summary.csv` (a cell is empty where the service's `when_full` gives no
/// such row); below, per scenario and funder, the discounted cashable
/// saving beside the capacity released.
fn supply(sheet: &mut Worksheet, f: &Formats, output: &RunOutput, figures: &Figures) -> Result<(), XlsxError> {
    let model = output.model;
    let columns = supply_columns(&model.currency);
    let mut header = vec![
        ("Scenario".to_string(), 26.0),
        ("Service".to_string(), 24.0),
        ("Year".to_string(), 8.0),
    ];
    header.extend(columns.iter().map(|(name, _)| (name.clone(), 13.0)));
    headers(sheet, f, &header, 3)?;
    let values = named_rows(output);
    let mut r = 1;
    for (k, a) in output.accounts.iter().enumerate() {
        for service in &figures.supply {
            for &year in &a.years {
                sheet.write_string(r, 0, &a.scenario)?;
                sheet.write_string(r, 1, &service.name)?;
                sheet.write_number_with_format(r, 2, f64::from(year), &f.year)?;
                for (c, (_, metric)) in columns.iter().enumerate() {
                    let value = values
                        .get(&(k, year, format!("{metric}:{}", service.name)))
                        .copied()
                        .flatten();
                    let format = match *metric {
                        "utilisation" | "share_over_target" => &f.share,
                        "mean_wait_weeks" => &f.weeks,
                        "diverted_cost" => &f.money,
                        _ => &f.activity,
                    };
                    number(sheet, r, 3 + c as u16, value, format)?;
                }
                r += 1;
            }
        }
    }
    sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    released(sheet, f, output, figures, r + 2)
}

/// The yearly rows of `summary.csv` whose metric names a service or level
/// (`metric:NAME`), by future, year and metric.
fn named_rows(output: &RunOutput) -> std::collections::HashMap<(usize, i32, String), Option<f64>> {
    let mut values = std::collections::HashMap::new();
    crate::results::rows::visit_summary(
        output.model,
        &output.accounts,
        &output.comparisons,
        &mut |future, year, name, value| {
            if let Some(year) = year {
                let name = name();
                if name.contains(':') {
                    values.insert((future, year, name), value);
                }
            }
        },
    );
    values
}

/// The Places sheet's yearly columns after Scenario, Level and Year:
/// (header, summary.csv metric before `:LEVEL`).
pub const PLACES_COLUMNS: [(&str, &str); 8] = [
    ("Places", "places"),
    ("People in it (end of year)", "occupied"),
    ("Admitted", "admitted"),
    ("Waiting for a place (end of year)", "waiting_for_place"),
    ("Mean wait (weeks)", "place_mean_wait_weeks"),
    ("Left the queue unplaced", "left_queue"),
    ("Full (1 = someone waited)", "full"),
    ("Full by this year (1 = yes)", "full_by"),
];

/// Per future × level with places × year, the place rows of `summary.csv`.
fn places(sheet: &mut Worksheet, f: &Formats, output: &RunOutput, figures: &Figures) -> Result<(), XlsxError> {
    let mut header = vec![
        ("Scenario".to_string(), 26.0),
        ("Level".to_string(), 20.0),
        ("Year".to_string(), 8.0),
    ];
    header.extend(PLACES_COLUMNS.iter().map(|(name, _)| (name.to_string(), 14.0)));
    headers(sheet, f, &header, 3)?;
    let values = named_rows(output);
    let mut r = 1;
    for (k, a) in output.accounts.iter().enumerate() {
        for level in &figures.places {
            for &year in &a.years {
                sheet.write_string(r, 0, &a.scenario)?;
                sheet.write_string(r, 1, &level.name)?;
                sheet.write_number_with_format(r, 2, f64::from(year), &f.year)?;
                for (c, (_, metric)) in PLACES_COLUMNS.iter().enumerate() {
                    let value = values
                        .get(&(k, year, format!("{metric}:{}", level.name)))
                        .copied()
                        .flatten();
                    let format = match *metric {
                        "place_mean_wait_weeks" => &f.weeks,
                        "full" | "full_by" => &f.year,
                        _ => &f.people,
                    };
                    number(sheet, r, 3 + c as u16, value, format)?;
                }
                r += 1;
            }
        }
    }
    sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    Ok(())
}

/// The Supply sheet's table of cashable saving and capacity released, per
/// scenario in all and per funder, from row `top`.
fn released(
    sheet: &mut Worksheet,
    f: &Formats,
    output: &RunOutput,
    figures: &Figures,
    top: u32,
) -> Result<(), XlsxError> {
    let cur = crate::format::currency_prefix(&output.model.currency)
        .trim()
        .to_string();
    for (c, name) in [
        "Scenario".to_string(),
        "Funder".into(),
        format!("Cashable saving: spend avoided, discounted ({cur})"),
        format!("Capacity released, discounted ({cur})"),
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(top, c as u16, name, &f.header)?;
    }
    sheet.set_row_height(top, 48)?;
    let mut r = top + 1;
    for future in figures.futures.iter().skip(1) {
        let Some(c) = &future.comparison else { continue };
        let all = (
            "all".to_string(),
            c.discounted_gross_saving,
            c.discounted_capacity_released,
        );
        let funders = c
            .funders
            .iter()
            .map(|fu| (fu.name.clone(), fu.gross_saving, fu.capacity_released));
        for (funder, cashable, capacity) in std::iter::once(all).chain(funders) {
            sheet.write_string(r, 0, &future.key)?;
            sheet.write_string(r, 1, &funder)?;
            sheet.write_number_with_format(r, 2, cashable, &f.money)?;
            number(sheet, r, 3, capacity, &f.money)?;
            r += 1;
        }
    }
    sheet.write_string(
        r + 1,
        0,
        format!(
            "Against do-nothing, {} prices. Cashable: the fall in spend (served activity × unit cost). Capacity released: the fall in demand a full service could not serve ((demand − served) × unit cost), not cash: spend at a full service does not fall, its queue shortens.",
            output.model.price_base_year
        ),
    )?;
    Ok(())
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
