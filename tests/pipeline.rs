//! The run pipeline as a library: what `upstream run`, `merge`, the page
//! and the analyses all call.

use std::path::Path;
use upstream::montecarlo::{Raw, draw_range};
use upstream::pipeline::{Request, Run};

fn example(name: &str) -> upstream::model::Model {
    upstream::scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name))
        .unwrap()
        .model
}

fn request(draws: u32) -> Request {
    Request {
        scenarios: Vec::new(),
        draws,
        seed: 9,
        attribute: false,
        keep_parameters: true,
        detail: false,
        costs: true,
    }
}

#[test]
fn shards_of_a_run_join_into_its_draws_with_and_without_areas() {
    for (file, draws) in [("three-areas.toml", 30), ("early-years.toml", 21)] {
        let model = example(file);
        let run = Run::new(&model, request(draws)).unwrap();
        let whole = run.draw(draw_range(draws, 1, 1), &|_| {}).unwrap();
        let parts: Vec<Raw> = (1..=3)
            .rev()
            .map(|k| run.draw(draw_range(draws, k, 3), &|_| {}).unwrap())
            .collect();
        assert!(
            same(&Raw::join(parts).unwrap(), &whole),
            "{file}: the joined shards differ from the whole"
        );
        let results = run.finish(Some(whole)).unwrap();
        let mc = results.monte_carlo.unwrap();
        assert_eq!(mc.draws, draws);
        assert_eq!(mc.records.len(), draws as usize);
        // A roll-up per unit with areas, none without.
        assert_eq!(
            results.areas.len(),
            if model.areas.is_empty() { 0 } else { 6 },
            "{file}"
        );
    }
}

#[test]
fn a_model_without_areas_is_its_one_unit() {
    let model = example("early-years.toml");
    let run = Run::new(&model, request(0)).unwrap();
    assert!(!run.with_areas());
    let unit = run.unit(None).unwrap();
    assert_eq!(run.unit(Some("all")).unwrap(), unit);
    assert!(run.unit(Some("E03")).unwrap_err().contains("no [areas]"));
    let (accounts, comparisons) = run.unit_accounts(unit);
    assert_eq!(accounts.len(), run.accounts.len());
    for (a, b) in comparisons.iter().zip(&run.comparisons) {
        assert_eq!(a.total.npv.to_bits(), b.total.npv.to_bits());
    }
    // The page's statistics of a few rows equal the whole run's on those rows.
    let mut drawn = request(40);
    drawn.costs = false;
    let run = Run::new(&model, drawn).unwrap();
    let few = run
        .unit_statistics(unit, &|(_, _, name)| name == "npv", &|_| {})
        .unwrap();
    let all = run.finish(Some(run_all(&model))).unwrap().monte_carlo.unwrap();
    let mut compared = 0;
    for (a, b) in few.rows.iter().zip(&all.rows) {
        if a.mean.is_some() {
            assert_eq!(a, b);
            compared += 1;
        }
    }
    assert_eq!(compared, run_npv_rows(&model));
}

/// Two sets of draws bit for bit (NaN, a break-even year that never comes,
/// equal to itself).
fn same(a: &Raw, b: &Raw) -> bool {
    let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    a.first_draw == b.first_draw
        && a.names == b.names
        && a.units.len() == b.units.len()
        && a.units
            .iter()
            .zip(&b.units)
            .all(|(x, y)| x.slots == y.slots && x.width == y.width && bits32(&x.values) == bits32(&y.values))
        && a.records.len() == b.records.len()
        && a.records.iter().zip(&b.records).all(|(x, y)| {
            bits(&x.parameters) == bits(&y.parameters)
                && bits(&x.figures) == bits(&y.figures)
                && bits(&x.kept) == bits(&y.kept)
                && x.headline
                    .iter()
                    .flatten()
                    .map(|v| v.to_bits())
                    .eq(y.headline.iter().flatten().map(|v| v.to_bits()))
        })
}

/// Every draw of early-years with 40 draws, seed 9, as `run` draws them.
fn run_all(model: &upstream::model::Model) -> Raw {
    let run = Run::new(model, request(40)).unwrap();
    run.draw(draw_range(40, 1, 1), &|_| {}).unwrap()
}

/// How many `npv` rows a run of every scenario has: one per scenario.
fn run_npv_rows(model: &upstream::model::Model) -> usize {
    model.scenarios.len()
}
