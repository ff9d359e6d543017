//! The supply side's sheets: Supply (a model with capacities) with its
//! table of cashable saving beside capacity released, and Places (a model
//! with levels with places).

use super::{Formats, headers, money_header, money_note, number};
use crate::charts::Figures;
use crate::output::RunOutput;
use rust_xlsxwriter::{Worksheet, XlsxError};

/// The Supply sheet's yearly columns after Scenario, Service and Year:
/// (header, summary.csv metric before `:SERVICE`).
pub fn supply_columns(currency: &str) -> Vec<(String, &'static str)> {
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
        (
            money_header("Diverted: cost at the receiver", currency, false),
            "diverted_cost",
        ),
        ("Lost".into(), "lost"),
    ]
}

/// Per future × service with a capacity × year, the supply rows of
/// `summary.csv` (a cell is empty where the service's `when_full` gives no
/// such row); below, per scenario and funder, the discounted cashable
/// saving beside the capacity released.
pub(super) fn supply(
    sheet: &mut Worksheet,
    f: &Formats,
    output: &RunOutput,
    figures: &Figures,
) -> Result<(), XlsxError> {
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
pub(super) fn places(
    sheet: &mut Worksheet,
    f: &Formats,
    output: &RunOutput,
    figures: &Figures,
) -> Result<(), XlsxError> {
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
    let cur = &output.model.currency;
    for (c, name) in [
        "Scenario".to_string(),
        "Funder".into(),
        money_header("Cashable saving: spend avoided", cur, true),
        money_header("Capacity released", cur, true),
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
    sheet.write_string(r + 1, 0, money_note(output.model, false))?;
    sheet.write_string(
        r + 2,
        0,
        format!(
            "Against do-nothing, {} prices. Cashable: the fall in spend (served activity × unit cost). Capacity released: the fall in demand a full service could not serve ((demand − served) × unit cost), not cash: spend at a full service does not fall, its queue shortens.",
            output.model.price_base_year
        ),
    )?;
    Ok(())
}
