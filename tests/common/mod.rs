//! What the cohort tests share (`mod common;` in each): a model parsed
//! from text, every summary row of its futures, a row's value, and numbers
//! compared within a relative tolerance.

// (Each test file uses what it needs.)
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use upstream::model::Model;
use upstream::results::rows::visit_summary;
use upstream::results::{Accounts, Comparison};
use upstream::run::run_futures;

/// Every summary row: (future, year or "all", metric) → value.
pub type Rows = BTreeMap<(usize, String, String), Option<f64>>;

/// The model in `text`, as if read from `path` (which messages name).
pub fn parse_at(path: &Path, text: &str) -> Model {
    upstream::scenario::parse(path, text, String::new())
        .unwrap_or_else(|e| panic!("the test model does not parse:\n{e}\n---\n{text}"))
        .model
}

/// Why the model in `text`, read as `path`, is refused.
pub fn parse_error_at(path: &Path, text: &str) -> String {
    match upstream::scenario::parse(path, text, String::new()) {
        Ok(_) => panic!("the model should be refused:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// Every summary row of every future, and each future's accounts.
pub fn summary_and_accounts(model: &Model) -> (Rows, Vec<Accounts>) {
    let futures = run_futures(model, &[]).expect("runs");
    let accounts: Vec<Accounts> = futures.iter().map(Accounts::of).collect();
    let comparisons: Vec<Comparison> = accounts[1..]
        .iter()
        .map(|a| Comparison::of(model, &accounts[0], a))
        .collect();
    let mut rows = BTreeMap::new();
    visit_summary(model, &accounts, &comparisons, &mut |f, year, name, value| {
        let year = year.map_or("all".to_string(), |y| y.to_string());
        rows.insert((f, year, name()), value);
    });
    (rows, accounts)
}

/// Every summary row of every future.
pub fn summary(model: &Model) -> Rows {
    summary_and_accounts(model).0
}

/// Row `name` of future `f` in `year` (a year, or "all").
pub fn value(rows: &Rows, f: usize, year: &str, name: &str) -> f64 {
    rows.get(&(f, year.to_string(), name.to_string()))
        .unwrap_or_else(|| panic!("no row {name} for future {f}, {year}"))
        .unwrap_or_else(|| panic!("row {name} for future {f}, {year} is empty"))
}

/// `actual` equals `expected` within `tolerance`, relative (absolute below 1).
#[track_caller]
pub fn close_within(actual: f64, expected: f64, tolerance: f64, what: &str) {
    let tolerance = tolerance * expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} (difference {:e})",
        actual - expected
    );
}

/// [`close_within`] 1e-12.
#[track_caller]
pub fn close(actual: f64, expected: f64, what: &str) {
    close_within(actual, expected, 1e-12, what);
}
