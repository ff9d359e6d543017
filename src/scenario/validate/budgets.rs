//! `[[budgets]]`: each funder's money a year, against which its spend is
//! reported (README, "The supply side", "Budgets").

use super::names::list;
use super::values::money_by_year;
use crate::error::Location;
use crate::model::Budget;
use crate::scenario::checks::Validator;
use crate::scenario::file::RawBudget;
use toml::Spanned;

/// Every budget of the file. Each names a funder that a service or an
/// intervention names (`funders`), at most once; its money a year is plain
/// numbers (a budget is decided, not uncertain), each ≥ 0 and within 10^12.
pub(super) fn budgets_from(v: &mut Validator, raw_budgets: &[Spanned<RawBudget>], funders: &[String]) -> Vec<Budget> {
    let mut budgets: Vec<Budget> = Vec::new();
    // Where each funder's budget was first given, for a second one.
    let mut first: Vec<(usize, Location)> = Vec::new();
    for b in raw_budgets {
        let raw = b.get_ref();
        let name = raw.funder.get_ref();
        let Some(funder) = funders.iter().position(|f| f == name) else {
            let known = if funders.is_empty() {
                "the file names no funder (services and interventions each name theirs)".to_string()
            } else {
                format!("the funders its services and interventions name are {}", list(funders))
            };
            v.err(
                &raw.funder.span(),
                format!("a budget for unknown funder `{name}`; {known}"),
            );
            continue;
        };
        let here = v.loc(&raw.funder.span());
        if let Some((_, at)) = first.iter().find(|(f, _)| *f == funder) {
            v.err(
                &raw.funder.span(),
                format!(
                    "funder `{name}` has two budgets; it was already given one at {at}; give one `[[budgets]]` per funder, with values by year if it changes"
                ),
            );
            continue;
        }
        first.push((funder, here));
        let what = |year: Option<i32>| match year {
            Some(y) => format!("the budget of `{name}` in {y}"),
            None => format!("the budget of `{name}`"),
        };
        if let Some(per_year) = money_by_year(v, &raw.per_year, what, "{ 2025 = 12000000, 2030 = 13000000 }") {
            budgets.push(Budget { funder, per_year });
        }
    }
    budgets
}

#[cfg(test)]
mod tests {
    use crate::model::{Budget, Model, Series};
    use std::path::Path;

    fn load(relative: &str, extra: &str, edit: impl Fn(String) -> String) -> Model {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        let text = edit(std::fs::read_to_string(&path).unwrap()) + extra;
        crate::scenario::parse(&path, &text, String::new()).unwrap().model
    }

    #[test]
    fn budgets_name_funders_by_index() {
        let model = load("tests/fixtures/capacity-full.toml", "", |t| t);
        let council = model.funders.iter().position(|f| f == "Council").unwrap();
        let nhs = model.funders.iter().position(|f| f == "NHS").unwrap();
        assert_eq!(
            model.budgets,
            vec![
                Budget {
                    funder: council,
                    per_year: Series::by_year(vec![(2025, 12e6), (2030, 13e6)]),
                },
                Budget {
                    funder: nhs,
                    per_year: Series::constant(40e6),
                },
            ]
        );
    }

    /// Every area's model is the file's with its own people: it keeps the
    /// file's budgets and capacities, as it keeps its unit costs and
    /// interventions.
    #[test]
    fn areas_keep_the_budgets_and_capacities() {
        let budgets = "\n[[budgets]]\nfunder = \"Council\"\nper_year = 30_000_000\n";
        let model = load("scenarios/three-areas.toml", budgets, |t| {
            t.replacen(
                "name = \"Home care\"\n",
                "name = \"Home care\"\ncapacity = { 2025 = 900000, 2030 = 1000000 }\n",
                1,
            )
        });
        let s = model.service_index("Home care").unwrap();
        assert_eq!(model.budgets.len(), 1);
        assert!(model.services[s].capacity.is_some());
        assert_eq!(model.areas.len(), 3);
        for area in &model.areas {
            assert_eq!(area.model.budgets, model.budgets, "{}", area.code);
            assert_eq!(
                area.model.services[s].capacity, model.services[s].capacity,
                "{}",
                area.code
            );
            for scenario in &area.model.scenarios {
                assert_eq!(scenario.model.budgets, model.budgets, "{} {}", area.code, scenario.name);
            }
        }
    }
}
