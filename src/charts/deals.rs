//! The deals' cash-flow charts (README, "Paying for the shift"): for each
//! outcomes contract or pooled budget in each scenario, every party's
//! cumulative cash position year by year, at the inputs' means.

use super::{ChartError, DrawResult, Picture, png_of, svg_of};
use crate::contracts::DealResults;
use plotters::prelude::*;
use std::path::Path;

/// One deal in one scenario: each party's cumulative cash position.
#[derive(Debug, Clone, PartialEq)]
pub struct CashFlowChart {
    pub title: String,
    pub subtitle: Vec<String>,
    /// The money axis's label.
    pub axis: String,
    pub years: Vec<i32>,
    /// Per party: its name and its cumulative cash flow at each year's end
    /// (`cash_flow` rows summed: an investor's repayments less capital, a
    /// payer's saving less payments, a partner's share of the savings less
    /// its contribution).
    pub parties: Vec<(String, Vec<f64>)>,
    /// The file name's stem: `cash-flows-1`, `cash-flows-2`, … in order.
    pub stem: String,
}

impl Picture for CashFlowChart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult<DB> {
        super::draw::cash_flows(root, self)
    }

    fn name(&self) -> String {
        format!("the cash-flow chart of {}", self.title)
    }
}

impl CashFlowChart {
    pub fn svg(&self) -> Result<String, ChartError> {
        svg_of(self)
    }

    pub fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        png_of(self, path)
    }

    /// A chart per deal and scenario of `deals` (their yearly rows), in
    /// the order the rows come; money in `currency` at `price_year` prices.
    pub fn of_deals(deals: &DealResults, currency: &str, price_year: i32) -> Vec<CashFlowChart> {
        let mut charts: Vec<CashFlowChart> = Vec::new();
        let mut keys: Vec<(String, String)> = Vec::new();
        for row in deals.rows.iter().filter(|r| r.year.is_some()) {
            let flow = match (row.kind, row.party.as_str(), row.metric.as_str()) {
                (_, party, "cash_flow") if party != "all" => row.value,
                _ => None,
            };
            let Some(flow) = flow else { continue };
            let key = (row.deal.clone(), row.scenario.clone());
            let at = match keys.iter().position(|k| *k == key) {
                Some(at) => at,
                None => {
                    keys.push(key);
                    let what = if row.kind == "contract" {
                        "outcomes contract"
                    } else {
                        "pooled budget"
                    };
                    charts.push(CashFlowChart {
                        title: format!("{}: cash flows in {}", row.deal, row.scenario),
                        subtitle: vec![
                            format!("The {what}'s parties, each one's position so far at the inputs' means:"),
                            if row.kind == "contract" {
                                "the investor's repayments less its capital; each payer's saving against do-nothing less its payments".to_string()
                            } else {
                                "each partner's share of the savings less its contribution".to_string()
                            },
                        ],
                        axis: format!("{} thousand, {price_year} prices", currency.trim()),
                        years: Vec::new(),
                        parties: Vec::new(),
                        stem: format!("cash-flows-{}", charts.len() + 1),
                    });
                    charts.len() - 1
                }
            };
            let chart = &mut charts[at];
            let year = row.year.unwrap_or_default();
            if !chart.years.contains(&year) {
                chart.years.push(year);
            }
            match chart.parties.iter_mut().find(|(p, _)| *p == row.party) {
                Some((_, values)) => {
                    let so_far = values.last().copied().unwrap_or(0.0);
                    values.push(so_far + flow);
                }
                None => chart.parties.push((row.party.clone(), vec![flow])),
            }
        }
        charts
    }
}
