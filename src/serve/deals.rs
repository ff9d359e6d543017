//! Outcomes contracts on the workshop page (README, "Workshop mode" and
//! "Paying for the shift"): a slider for each tariff's price and each of a
//! contract's caps, and what each contract pays in each future.
//!
//! The sliders are the page's, not a card's: a contract's terms are the
//! file's (`[[contracts]]`), the same in every future, so the page holds
//! one value per term, keyed `contract.NAME.tariff.N.price` (N counts the
//! contract's tariffs from 1, in the file's order), `contract.NAME.cap` and
//! `contract.NAME.cap_per_participant`. Only a term moved from the file's
//! value is sent; it is set in the model's deals, checked as the file's own
//! value is (a sum of money, finite and ≥ 0), and Save as and Export write
//! it into the file's `[[contracts]]` table.
//!
//! A contract's terms change only its arithmetic, never a future's
//! trajectories; the figures are those of `contracts::statistics`, the rows
//! of `contracts.csv`, so the page and a run of the saved file agree.

use super::edit::Control;
use crate::contracts::DealResults;
use crate::contracts::terms::{Outcome, OutcomesContract};
use crate::model::Model;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use toml_edit::{DocumentMut, Item, Table, Value};

/// An outcomes contract and its sliders.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContractControls {
    pub name: String,
    /// The intervention whose cost the investor pays.
    pub intervention: String,
    /// Each payer's name and share of every payment.
    pub payers: Vec<(String, f64)>,
    /// A slider per tariff's price, then the cap on the whole contract and
    /// the cap per participant (each only when the file gives it).
    pub controls: Vec<Control>,
}

/// Which term of a contract a slider moves.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Term {
    Price(usize),
    Cap,
    CapPerParticipant,
}

impl Term {
    /// The term's key on the page for contract `name`.
    fn path(self, name: &str) -> String {
        match self {
            Term::Price(t) => format!("contract.{name}.tariff.{}.price", t + 1),
            Term::Cap => format!("contract.{name}.cap"),
            Term::CapPerParticipant => format!("contract.{name}.cap_per_participant"),
        }
    }

    /// The term's value in `contract` (`None`: the file gives no such cap).
    fn value(self, contract: &OutcomesContract) -> Option<f64> {
        match self {
            Term::Price(t) => contract.tariffs.get(t).map(|x| x.price),
            Term::Cap => contract.cap,
            Term::CapPerParticipant => contract.cap_per_participant,
        }
    }

    fn set(self, contract: &mut OutcomesContract, value: f64) {
        match self {
            Term::Price(t) => {
                if let Some(tariff) = contract.tariffs.get_mut(t) {
                    tariff.price = value;
                }
            }
            Term::Cap => contract.cap = Some(value),
            Term::CapPerParticipant => contract.cap_per_participant = Some(value),
        }
    }
}

/// Every term of every contract that has a value in the file, as
/// (contract index, term).
fn terms(model: &Model) -> Vec<(usize, Term)> {
    let mut out = Vec::new();
    for (c, contract) in model.deals.contracts.iter().enumerate() {
        for t in 0..contract.tariffs.len() {
            out.push((c, Term::Price(t)));
        }
        for term in [Term::Cap, Term::CapPerParticipant] {
            if term.value(contract).is_some() {
                out.push((c, term));
            }
        }
    }
    out
}

/// One outcome a tariff pays for, in plain words.
fn outcome_words(model: &Model, outcome: &Outcome) -> String {
    match *outcome {
        Outcome::Moved { from, to } => format!("move from {} to {}", model.levels[from], model.levels[to]),
        Outcome::EntriesAvoided { level } => format!("entry to {} avoided", model.levels[level]),
        Outcome::ActivityAvoided { service } => {
            format!("unit of {} avoided", model.services[service].name)
        }
        Outcome::Sustained { level } => format!("person a year sustained in {}", model.levels[level]),
    }
}

/// A term's slider label (what it is and its unit) and the sentence under
/// it (the file's value and what it does).
fn words(model: &Model, contract: &OutcomesContract, term: Term, value: f64) -> (String, String) {
    let currency = crate::format::currency_prefix(&model.currency);
    let money = |x: f64| format!("{currency}{}", crate::format::short(x));
    match term {
        Term::Price(t) => {
            let outcome = outcome_words(model, &contract.tariffs[t].outcome);
            (
                format!("Price per outcome ({currency} per {outcome})"),
                format!(
                    "The file pays {} per {outcome} (the price of the contract's tariff {}).",
                    money(value),
                    t + 1
                ),
            )
        }
        Term::Cap => (
            format!("Cap on the whole contract ({currency} in all)"),
            format!(
                "The file's cap: {}, the most the contract pays in all, outcomes and any delivery fee.",
                money(value)
            ),
        ),
        Term::CapPerParticipant => (
            format!("Cap per participant ({currency} per participant a year)"),
            format!(
                "The file's cap per participant: {} per participant-year of {}, on outcome payments.",
                money(value),
                model.interventions[contract.intervention].name
            ),
        ),
    }
}

/// The sliders of every contract of `model` (none without contracts): from
/// 0 to three times the file's value, in steps that land on it.
pub fn controls(model: &Model) -> Vec<ContractControls> {
    let mut out: Vec<ContractControls> = model
        .deals
        .contracts
        .iter()
        .map(|c| ContractControls {
            name: c.name.clone(),
            intervention: model.interventions[c.intervention].name.clone(),
            payers: c.payers.iter().map(|p| (p.name.clone(), p.share)).collect(),
            controls: Vec::new(),
        })
        .collect();
    for (c, term) in terms(model) {
        let contract = &model.deals.contracts[c];
        let value = term.value(contract).unwrap_or(0.0);
        let (label, hint) = words(model, contract, term, value);
        let top = (3.0 * value).max(100.0);
        let step = super::capacity::step_for(top, &[value]);
        out[c].controls.push(Control {
            path: term.path(&contract.name),
            label,
            min: 0.0,
            max: (top / step).ceil() * step,
            step,
            kind: "money",
            hint: Some(hint),
            spread: None,
            note: None,
        });
    }
    out
}

/// Every term's value in the file, by its key on the page.
pub fn values(model: &Model) -> BTreeMap<String, f64> {
    terms(model)
        .into_iter()
        .filter_map(|(c, term)| {
            let contract = &model.deals.contracts[c];
            Some((term.path(&contract.name), term.value(contract)?))
        })
        .collect()
}

/// Sets the page's contract terms (`values`, by key) in `model`'s deals.
/// Every problem is a message for the page naming the term.
pub fn apply(model: &mut Model, values: &BTreeMap<String, f64>) -> Result<(), String> {
    if values.is_empty() {
        return Ok(());
    }
    let known = terms(model);
    for (key, &value) in values {
        let Some(&(c, term)) = known
            .iter()
            .find(|(c, term)| term.path(&model.deals.contracts[*c].name) == *key)
        else {
            let sliders: Vec<String> = known
                .iter()
                .map(|(c, t)| format!("`{}`", t.path(&model.deals.contracts[*c].name)))
                .collect();
            return Err(if sliders.is_empty() {
                format!("the file has no contract, so no term `{key}` to set")
            } else {
                format!(
                    "the file has no contract term `{key}`; the contracts' sliders are {}",
                    sliders.join(", ")
                )
            });
        };
        let contract = &mut model.deals.contracts[c];
        let what = match term {
            Term::Price(t) => format!("the price of tariff {} ({})", t + 1, contract.tariffs[t].label),
            Term::Cap => "the cap".to_string(),
            Term::CapPerParticipant => "the cap per participant".to_string(),
        };
        if !value.is_finite() {
            return Err(format!(
                "contract `{}`: {what} is {value}; it must be a sum of money, a finite number ≥ 0",
                contract.name
            ));
        }
        if value < 0.0 {
            return Err(format!(
                "contract `{}`: {what} is {value}; it must be a sum of money ≥ 0",
                contract.name
            ));
        }
        if value > 1e12 {
            return Err(format!(
                "contract `{}`: {what} is {value:e}, more than 10^12; is it a typo?",
                contract.name
            ));
        }
        term.set(contract, value);
    }
    Ok(())
}

/// Writes `model`'s contract terms into the file's `[[contracts]]` tables
/// of `doc` where they differ from the file's (matched by name; tariffs in
/// the file's order), keeping each number's comment and any `{ value = … }`
/// form. A file without contracts is left as it is.
pub fn write_terms(doc: &mut DocumentMut, model: &Model) {
    let Some(tables) = doc.get_mut("contracts").and_then(Item::as_array_of_tables_mut) else {
        return;
    };
    for table in tables.iter_mut() {
        let name = table.get("name").and_then(Item::as_str).map(str::to_string);
        let Some(contract) = model.deals.contracts.iter().find(|c| Some(&c.name) == name.as_ref()) else {
            continue;
        };
        if let Some(cap) = contract.cap {
            set_number(table, "cap", cap);
        }
        if let Some(cap) = contract.cap_per_participant {
            set_number(table, "cap_per_participant", cap);
        }
        match table.get_mut("tariffs") {
            Some(Item::ArrayOfTables(tariffs)) => {
                for (t, tariff) in contract.tariffs.iter().zip(tariffs.iter_mut()) {
                    set_number(tariff, "price", t.price);
                }
            }
            Some(Item::Value(Value::Array(tariffs))) => {
                for (t, tariff) in contract.tariffs.iter().zip(tariffs.iter_mut()) {
                    if let Value::InlineTable(inline) = tariff
                        && let Some(v) = inline.get_mut("price")
                    {
                        set_value(v, t.price);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Sets `table[key]` (a number, or a `{ value = … }` table) to `x` when it
/// holds another number.
fn set_number(table: &mut Table, key: &str, x: f64) {
    match table.get_mut(key) {
        Some(Item::Value(v)) => set_value(v, x),
        Some(Item::Table(t)) => {
            if let Some(Item::Value(v)) = t.get_mut("value") {
                set_value(v, x);
            }
        }
        _ => {}
    }
}

fn set_value(v: &mut Value, x: f64) {
    if let Value::InlineTable(t) = v {
        if let Some(inner) = t.get_mut("value") {
            set_value(inner, x);
        }
        return;
    }
    let now = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    if now == Some(x) {
        return;
    }
    let decor = v.decor().clone();
    // A whole sum is written as one, as a file would give it.
    *v = if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    };
    *v.decor_mut() = decor;
}

/// One whole-horizon figure of a contract in a future (a row of
/// `contracts.csv` with year `all`): at the inputs' means and, with draws,
/// its mean and outer percentiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealFigure {
    /// `all`, `investor` or a payer.
    pub party: String,
    pub metric: String,
    pub value: Option<f64>,
    pub mean: Option<f64>,
    /// The lowest and highest percentiles reported (P5 and P95 by default).
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A chance over the draws (`prob_investor_loses`, `prob_cap_binds`,
/// `prob_pays_more_than_saves`), for a party.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealChance {
    pub party: String,
    pub metric: String,
    pub value: f64,
}

/// What one contract pays in one future, as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractResult {
    pub contract: String,
    /// The future's name, and what the page calls it.
    pub future: String,
    pub title: String,
    pub figures: Vec<DealFigure>,
    /// With draws: the chances, in the order of `contracts.csv`.
    pub chances: Vec<DealChance>,
    /// The percentiles `low` and `high` are (empty without draws).
    pub percentiles: Vec<f64>,
}

/// Each contract in each future that funds its intervention, from the
/// deals' results of the run (empty without contracts).
pub fn results(model: &Model, deals: &DealResults) -> Vec<ContractResult> {
    let mut out: Vec<ContractResult> = Vec::new();
    let stats = deals.statistics.as_ref();
    for (j, row) in deals.horizon().filter(|(_, r)| r.kind == "contract") {
        let fresh = out
            .last()
            .is_none_or(|r| r.contract != row.deal || r.future != row.scenario);
        if fresh {
            out.push(ContractResult {
                contract: row.deal.clone(),
                future: row.scenario.clone(),
                title: model
                    .scenarios
                    .iter()
                    .find(|s| s.name == row.scenario)
                    .map_or_else(|| row.scenario.clone(), |s| s.title.clone()),
                figures: Vec::new(),
                chances: Vec::new(),
                percentiles: stats.map(|s| s.percentiles.clone()).unwrap_or_default(),
            });
        }
        let Some(result) = out.last_mut() else { continue };
        let row_stats = stats.and_then(|s| s.rows.get(j));
        result.figures.push(DealFigure {
            party: row.party.clone(),
            metric: row.metric.clone(),
            value: row.value,
            mean: row_stats.and_then(|r| r.mean),
            low: row_stats.and_then(|r| r.percentiles.first().copied().flatten()),
            high: row_stats.and_then(|r| r.percentiles.last().copied().flatten()),
        });
        for &(_, metric, p) in stats
            .iter()
            .flat_map(|s| &s.probabilities)
            .filter(|(at, _, _)| *at == j)
        {
            result.chances.push(DealChance {
                party: row.party.clone(),
                metric: metric.to_string(),
                value: p,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_number_keeps_its_comment_and_an_unchanged_one_its_text() {
        let mut doc: DocumentMut = "[[contracts]]\nname = \"A\"\ncap = 1_980_000 # the seed's\n\n[[contracts.tariffs]]\nprice = 11_000\n\n[[contracts.tariffs]]\nprice = { value = 5, source = \"x\" }\n"
            .parse()
            .unwrap();
        let mut table = Table::new();
        set_number(&mut table, "cap", 1.0);
        assert!(table.is_empty(), "no key, nothing written");
        {
            let tables = doc["contracts"].as_array_of_tables_mut().unwrap();
            let first = tables.iter_mut().next().unwrap();
            set_number(first, "cap", 1_500_000.0);
            let tariffs = first["tariffs"].as_array_of_tables_mut().unwrap();
            let mut each = tariffs.iter_mut();
            set_number(each.next().unwrap(), "price", 11_000.0);
            set_number(each.next().unwrap(), "price", 7.5);
        }
        assert_eq!(
            doc.to_string(),
            "[[contracts]]\nname = \"A\"\ncap = 1500000 # the seed's\n\n[[contracts.tariffs]]\nprice = 11_000\n\n[[contracts.tariffs]]\nprice = { value = 7.5, source = \"x\" }\n"
        );
    }
}
