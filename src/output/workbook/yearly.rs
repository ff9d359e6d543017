//! The yearly sheets, one row per future × year (× service on Activity):
//! Spend by tier, Spend by funder, People by level and Activity. Money here
//! is undiscounted: each year's cash in price-base-year prices.

use super::{Formats, capitalised, headers, money_header, money_note, number};
use crate::model::Tier;
use crate::output::RunOutput;
use rust_xlsxwriter::{Worksheet, XlsxError};

pub(super) fn spend_by_tier(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let cur = &output.model.currency;
    let mut header = vec![("Scenario".to_string(), 26.0), ("Year".to_string(), 8.0)];
    for tier in Tier::ALL {
        header.push((
            money_header(&format!("{} tier", capitalised(tier.name())), cur, false),
            15.0,
        ));
    }
    // The acute tier is acute spend: it is not repeated.
    for name in [
        "Preventative: primary + secondary + tertiary",
        "Services",
        "Interventions",
        "Total: services + interventions",
    ] {
        header.push((money_header(name, cur, false), 15.0));
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
                a.spend_services_total[t],
                a.intervention_cost_total[t],
                a.spend_total[t],
            ]);
            for (c, v) in values.into_iter().enumerate() {
                sheet.write_number_with_format(r, c as u16 + 2, v, &f.money)?;
            }
            sheet.write_number_with_format(r, header.len() as u16 - 1, a.discount_factor[t], &f.factor)?;
            r += 1;
        }
    }
    sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    sheet.write_string(r + 1, 0, money_note(output.model, true))?;
    Ok(())
}

pub(super) fn spend_by_funder(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let cur = &model.currency;
    let mut header = vec![("Scenario".to_string(), 26.0), ("Year".to_string(), 8.0)];
    for funder in &model.funders {
        header.push((money_header(&format!("{funder}: spend"), cur, false), 15.0));
        header.push((
            money_header(&format!("{funder}: of which interventions"), cur, false),
            15.0,
        ));
        header.push((
            money_header(&format!("{funder}: net saving vs do-nothing"), cur, false),
            15.0,
        ));
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
    sheet.write_string(r + 1, 0, money_note(model, false))?;
    Ok(())
}

pub(super) fn people_by_level(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let mut header = vec![("Scenario".to_string(), 26.0), ("Year".to_string(), 8.0)];
    let levels = &model.output_levels;
    header.extend(levels.iter().map(|l| (format!("{} (end of year)", l.name), 14.0)));
    header.push(("Total".into(), 14.0));
    header.extend(
        levels
            .iter()
            .map(|l| (format!("{}: change vs do-nothing", l.name), 14.0)),
    );
    headers(sheet, f, &header, 2)?;
    let nl = levels.len();
    let baseline = &output.accounts[0];
    let mut r = 1;
    for (k, a) in output.accounts.iter().enumerate() {
        for (t, &year) in a.years.iter().enumerate() {
            sheet.write_string(r, 0, &a.scenario)?;
            sheet.write_number_with_format(r, 1, f64::from(year), &f.year)?;
            for (l, level) in levels.iter().enumerate() {
                let people = level.sum(&a.people_level[t]);
                sheet.write_number_with_format(r, 2 + l as u16, people, &f.people)?;
                let change = (k > 0).then(|| people - level.sum(&baseline.people_level[t]));
                number(sheet, r, 3 + (nl + l) as u16, change, &f.people)?;
            }
            sheet.write_number_with_format(r, 2 + nl as u16, a.people_total[t], &f.people)?;
            r += 1;
        }
    }
    sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    Ok(())
}

/// The Activity sheet's columns: one row per future × year × service.
pub const ACTIVITY_COLUMNS: [&str; 7] = [
    "Scenario",
    "Year",
    "Service (its unit of activity)",
    "Tier",
    "Funder",
    "Activity in the year (units)",
    "Change vs do-nothing (units)",
];

/// Per future × year × service, the activity (`activity:SERVICE` of
/// `summary.csv`: admissions, placements, contacts…, in the service's own
/// unit, which its name gives) and, for scenarios, the change against
/// do-nothing in the same year.
pub(super) fn activity(sheet: &mut Worksheet, f: &Formats, output: &RunOutput) -> Result<(), XlsxError> {
    let model = output.model;
    let widths = [26.0, 8.0, 28.0, 12.0, 12.0, 15.0, 15.0];
    let header: Vec<(String, f64)> = ACTIVITY_COLUMNS
        .iter()
        .zip(widths)
        .map(|(name, width)| (name.to_string(), width))
        .collect();
    headers(sheet, f, &header, 3)?;
    let baseline = &output.accounts[0];
    let mut r = 1;
    for (k, a) in output.accounts.iter().enumerate() {
        for (t, &year) in a.years.iter().enumerate() {
            for (s, service) in model.services.iter().enumerate() {
                sheet.write_string(r, 0, &a.scenario)?;
                sheet.write_number_with_format(r, 1, f64::from(year), &f.year)?;
                sheet.write_string(r, 2, &service.name)?;
                sheet.write_string(r, 3, capitalised(service.tier.name()))?;
                sheet.write_string(r, 4, &model.funders[service.funder])?;
                sheet.write_number_with_format(r, 5, a.activity[t][s], &f.activity)?;
                let change = (k > 0).then(|| a.activity[t][s] - baseline.activity[t][s]);
                number(sheet, r, 6, change, &f.activity)?;
                r += 1;
            }
        }
    }
    if r > 1 {
        sheet.autofilter(0, 0, r - 1, header.len() as u16 - 1)?;
    }
    sheet.write_string(
        r + 1,
        0,
        "Activity is person-years × use per person-year, in each service's own unit (its name: \
         an admission, a bed-day, an hour of home care…); at a service with a capacity, the activity served, \
         and at a service others divert to, with what it received. The change is the scenario's activity less do-nothing's in the same year.",
    )?;
    Ok(())
}
