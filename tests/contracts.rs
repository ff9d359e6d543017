//! Paying for the shift (README, "Paying for the shift"): outcomes
//! contracts worked by hand to the penny (two outcomes, a cap, a lag, a
//! delivery fee, a cap per participant), the investor's IRR against a
//! closed form, caps never exceeded (proptest), payer shares and pooled
//! budgets adding up, the Worcestershire example against its seed's own
//! arithmetic, the Troubled Families example against its published rate
//! card (worked by hand to the penny), and both examples run end to end.

use proptest::prelude::*;
use std::path::Path;
use upstream::contracts::{ContractFigures, all_figures, contract_figures, irr::irr, pool_figures};
use upstream::model::Model;
use upstream::results::{Accounts, Comparison};

/// A two-level model with one service and one intervention, and `deals`
/// (TOML) appended.
fn model_with(deals: &str) -> Model {
    let text = format!(
        r#"
[model]
name = "Contract test"
start_year = 2025
horizon_years = 5
steps_per_year = 1
levels = ["Well", "Unwell"]

[[bands]]
name = "all"
lower = 0

[[population]]
band = "all"
counts = {{ Well = 1000, Unwell = 100 }}

[[transitions]]
from = "Well"
to = "Unwell"
probability = 0.1

[[services]]
name = "Admission"
tier = "acute"
funder = "NHS"
unit_cost = 1000
use = {{ Unwell = 0.5 }}

[[services]]
name = "Home care"
tier = "tertiary"
funder = "Council"
unit_cost = 100
use = {{ Unwell = 10 }}

[[interventions]]
name = "Coaching"
funder = "Council"
tier = "secondary"
target_levels = ["Well"]
reach = 0.5
start_year = 2025
cost_per_participant = 10

[[interventions.effects]]
from = "Well"
to = "Unwell"
relative_risk = 0.8

[[scenarios]]
name = "coaching"
interventions = ["Coaching"]
{deals}
"#
    );
    upstream::scenario::parse(Path::new("contract.toml"), &text, String::new())
        .unwrap_or_else(|e| panic!("the test model does not parse:\n{e}"))
        .model
}

/// The hand-worked contract: two outcomes (entries to Unwell avoided,
/// claimed once, £250; admissions avoided, repeated, £1,000), 2026–2028,
/// paid a year late, capped at £10,000, a quarter from the council.
const HAND_WORKED: &str = r#"
[[contracts]]
name = "Hand-worked"
intervention = "Coaching"
start_year = 2026
years = 3
payment_lag_years = 1
cap = 10000
payers = { Council = 0.25, "Central fund" = 0.75 }

[[contracts.tariffs]]
outcome = "entries_avoided"
level = "Unwell"
price = 250

[[contracts.tariffs]]
outcome = "activity_avoided"
service = "Admission"
price = 1000
claim = "repeated"
"#;

/// Accounts of 2025–2029 with the given Well→Unwell flows, admissions,
/// participants and intervention cost (the intervention is index 0).
fn accounts(
    model: &Model,
    entries: [f64; 5],
    admissions: [f64; 5],
    participants: [f64; 5],
    cost: [f64; 5],
) -> Accounts {
    let mut a = Accounts::default();
    a.scenario = "s".into();
    a.plan = vec![0];
    a.years = (2025..2030).collect();
    a.discount_factor = (1..=5).map(|t| 1.035f64.powi(-t)).collect();
    let nl = model.levels.len();
    a.flows.reset(nl * nl);
    a.activity.reset(model.services.len());
    a.people_level.reset(nl);
    a.participants.reset(1);
    a.intervention_cost.reset(1);
    for t in 0..5 {
        a.flows.push_zeros()[1] = entries[t];
        a.activity.push_zeros()[0] = admissions[t];
        a.people_level.push_zeros();
        a.participants.push_zeros()[0] = participants[t];
        a.intervention_cost.push_zeros()[0] = cost[t];
    }
    a
}

fn comparison(model: &Model) -> Comparison {
    Comparison {
        scenario: "s".into(),
        total: Default::default(),
        by_funder: vec![Default::default(); model.funders.len()],
    }
}

fn hand_worked(model: &Model) -> ContractFigures {
    let baseline = accounts(model, [100.0; 5], [50.0; 5], [0.0; 5], [0.0; 5]);
    let scenario = accounts(
        model,
        [100.0, 90.0, 104.0, 80.0, 100.0],
        [50.0, 47.0, 45.0, 52.0, 40.0],
        [0.0, 10.0, 10.0, 10.0, 0.0],
        [0.0, 3000.0, 3000.0, 3000.0, 0.0],
    );
    contract_figures(model, 0, 1, &baseline, &scenario, &comparison(model))
}

#[test]
fn a_hand_worked_contract_to_the_penny() {
    let model = model_with(HAND_WORKED);
    let c = hand_worked(&model);
    // Entries avoided 0, 10, -4, 20, 0; in 2026-2028, once: running totals
    // 10, 6, 26 pay for 10, 0, 16 (the 4 lost in 2027 made up first).
    assert_eq!(c.outcomes[0], vec![0.0, 10.0, 0.0, 16.0, 0.0]);
    // Admissions avoided 0, 3, 5, -2, 10; repeated, in the window: 3, 5, 0.
    assert_eq!(c.outcomes[1], vec![0.0, 3.0, 5.0, 0.0, 0.0]);
    // £250 × 10 + £1,000 × 3 = £5,500; £1,000 × 5 = £5,000; £250 × 16 = £4,000.
    assert_eq!(c.earned_uncapped, vec![0.0, 5500.0, 5000.0, 4000.0, 0.0]);
    // The £10,000 cap leaves £4,500 in 2027 and nothing in 2028.
    assert_eq!(c.earned, vec![0.0, 5500.0, 4500.0, 0.0, 0.0]);
    assert!(c.cap_binds);
    assert_eq!(c.outcome_cap, Some(10000.0));
    // Paid a year later.
    assert_eq!(c.paid, vec![0.0, 0.0, 5500.0, 4500.0, 0.0]);
    // Payers in name order: the central fund's three quarters, the council's quarter.
    assert_eq!(c.paid_by[0], vec![0.0, 0.0, 4125.0, 3375.0, 0.0]);
    assert_eq!(c.paid_by[1], vec![0.0, 0.0, 1375.0, 1125.0, 0.0]);
    let names: Vec<&str> = model.deals.contracts[0]
        .payers
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["Central fund", "Council"]);
    // The investor: £3,000 a year in, £5,500 and £4,500 back.
    assert_eq!(c.capital, vec![0.0, 3000.0, 3000.0, 3000.0, 0.0]);
    let window = c.investor_window(&model.deals.contracts[0]);
    assert_eq!(window, vec![-3000.0, 2500.0, 1500.0, 0.0]);
    assert_eq!(c.total_paid(), 10000.0);
    assert_eq!(c.money_multiple(), Some(10000.0 / 9000.0));
    assert_eq!(c.maximum_loss(), 9000.0);
    // IRR: -3000 + 2500 x + 1500 x² = 0 with x = 1 / (1 + r).
    let x = (-2500.0 + (2500.0f64.powi(2) + 4.0 * 1500.0 * 3000.0).sqrt()) / (2.0 * 1500.0);
    let r = irr(&window).unwrap();
    assert!((r - (1.0 / x - 1.0)).abs() < 1e-10, "{r}");
}

#[test]
fn the_shares_are_the_file_s_and_the_council_pays_a_quarter() {
    let model = model_with(HAND_WORKED);
    let payers = &model.deals.contracts[0].payers;
    assert_eq!((payers[0].share, payers[0].funder), (0.75, None));
    assert_eq!(
        (payers[1].share, payers[1].funder),
        (0.25, model.funders.iter().position(|f| f == "Council"))
    );
}

#[test]
fn a_delivery_fee_is_paid_whatever_the_outcomes_and_counts_against_the_cap() {
    let model = model_with(&HAND_WORKED.replace("cap = 10000", "cap = 10000\ndelivery_fee_share = 0.3"));
    let c = hand_worked(&model);
    // £3,000 of fee, £1,000 a year without lag; £7,000 left for outcomes.
    assert_eq!(c.fee, vec![0.0, 1000.0, 1000.0, 1000.0, 0.0]);
    assert_eq!(c.outcome_cap, Some(7000.0));
    assert_eq!(c.earned, vec![0.0, 5500.0, 1500.0, 0.0, 0.0]);
    assert_eq!(c.paid, vec![0.0, 1000.0, 6500.0, 2500.0, 0.0]);
    assert_eq!(c.total_paid(), 10000.0);
    assert_eq!(c.maximum_loss(), 6000.0);
}

#[test]
fn a_cap_per_participant_caps_outcome_payments() {
    let model = model_with(&HAND_WORKED.replace("cap = 10000", "cap_per_participant = 200"));
    let c = hand_worked(&model);
    // 30 participant-years × £200 = £6,000.
    assert_eq!(c.outcome_cap, Some(6000.0));
    assert_eq!(c.earned, vec![0.0, 5500.0, 500.0, 0.0, 0.0]);
    assert!(c.cap_binds);
}

#[test]
fn a_fixed_baseline_replaces_do_nothing() {
    // Entries to Unwell against a historical 95 a year, not do-nothing's 100:
    // avoided 95 - (100, 90, 104, 80, 100) = -5, 5, -9, 15, -5; in 2026-2028,
    // once: running totals 5, -4, 11 pay for 5, 0, 6.
    let deals = HAND_WORKED.replace(
        "level = \"Unwell\"\nprice = 250",
        "level = \"Unwell\"\nprice = 250\nbaseline = 95",
    );
    let model = model_with(&deals);
    assert_eq!(model.deals.contracts[0].tariffs[0].against, Some(95.0));
    let c = hand_worked(&model);
    assert_eq!(c.outcomes[0], vec![0.0, 5.0, 0.0, 6.0, 0.0]);
    // The admissions tariff still counts against do-nothing.
    assert_eq!(c.outcomes[1], vec![0.0, 3.0, 5.0, 0.0, 0.0]);
    assert_eq!(c.earned_uncapped, vec![0.0, 4250.0, 5000.0, 1500.0, 0.0]);
}

#[test]
fn without_a_cap_everything_earned_is_paid() {
    let model = model_with(&HAND_WORKED.replace("cap = 10000\n", ""));
    let c = hand_worked(&model);
    assert_eq!(c.outcome_cap, None);
    assert!(!c.cap_binds);
    assert_eq!(c.total_paid(), 14500.0);
}

#[test]
fn irr_of_a_bond_like_cash_flow() {
    // -1000 now, 50 a year for 9 years, 1050 in the tenth: a 5 % coupon
    // bond bought at par yields exactly 5 %.
    let mut flows = vec![-1000.0];
    flows.extend(std::iter::repeat_n(50.0, 9));
    flows.push(1050.0);
    let r = irr(&flows).unwrap();
    assert!((r - 0.05).abs() < 1e-12, "{r}");
}

proptest! {
    /// Whatever the outcomes, prices and caps: payments never exceed the
    /// cap, payers' payments add up to the total, and nothing is negative.
    #[test]
    fn payments_never_exceed_the_cap(
        entries in proptest::collection::vec(0.0f64..200.0, 5),
        admissions in proptest::collection::vec(0.0f64..100.0, 5),
        cap in 0.0f64..50_000.0,
        fee in 0.0f64..1.0,
        share in 0.0f64..1.0,
        lag in 0u32..2,
    ) {
        let deals = HAND_WORKED
            .replace("cap = 10000", &format!("cap = {cap}\ndelivery_fee_share = {fee}"))
            .replace("payment_lag_years = 1", &format!("payment_lag_years = {lag}"))
            .replace("Council = 0.25, \"Central fund\" = 0.75", &format!("Council = {share}, \"Central fund\" = {}", 1.0 - share));
        let model = model_with(&deals);
        let baseline = accounts(&model, [100.0; 5], [50.0; 5], [0.0; 5], [0.0; 5]);
        let e: [f64; 5] = entries.try_into().unwrap();
        let a: [f64; 5] = admissions.try_into().unwrap();
        let scenario = accounts(&model, e, a, [10.0; 5], [1000.0; 5]);
        let c = contract_figures(&model, 0, 1, &baseline, &scenario, &comparison(&model));
        let total = c.total_paid();
        prop_assert!(total <= cap * (1.0 + 1e-12) + 1e-9, "paid {total} over the cap {cap}");
        prop_assert!(c.paid.iter().all(|&p| p >= 0.0));
        let by_payers: f64 = c.paid_by.iter().flatten().sum();
        prop_assert!((by_payers - total).abs() <= 1e-9 * (1.0 + total));
        for t in 0..5 {
            let year: f64 = c.paid_by.iter().map(|p| p[t]).sum();
            prop_assert!((year - c.paid[t]).abs() <= 1e-9 * (1.0 + c.paid[t]));
        }
    }
}

/// Runs the Worcestershire example at the inputs' means.
fn worcestershire() -> (upstream::scenario::Loaded, Vec<Accounts>, Vec<Comparison>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/worcestershire-sib.toml");
    let loaded = upstream::scenario::load(&path).unwrap();
    let run =
        upstream::pipeline::Run::new(&loaded.model, upstream::pipeline::Request::futures_only(Vec::new())).unwrap();
    let (accounts, comparisons) = (run.accounts.clone(), run.comparisons.clone());
    (loaded, accounts, comparisons)
}

#[test]
fn a_pooled_budget_shares_back_exactly_the_realised_savings() {
    let (loaded, accounts, comparisons) = worcestershire();
    let model = &loaded.model;
    let pool = pool_figures(model, 0, 1, &accounts[1], &comparisons[0]);
    let realised = pool.realised_savings();
    assert!(realised > 0.0);
    for t in 0..pool.years.len() {
        let shared: f64 = pool.shared_back.iter().map(|s| s[t]).sum();
        let saved: f64 = pool.own_saving.iter().map(|s| s[t]).sum();
        assert!(
            (shared - saved).abs() <= 1e-9 * saved.abs().max(1.0),
            "{t}: {shared} vs {saved}"
        );
        let paid: f64 = pool.contribution.iter().map(|c| c[t]).sum();
        assert!((paid - pool.cost[t]).abs() <= 1e-9 * pool.cost[t].max(1.0));
    }
    // Partners fund every pooled intervention, so the deal only moves money
    // between them: the positions after add up to those before.
    let (before, after) = (pool.before(), pool.after());
    let (b, a): (f64, f64) = (before.iter().sum(), after.iter().sum());
    assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
    // Pro rata: each partner's share of the savings is its share of the cost.
    for k in 0..2 {
        let share = model.deals.pools[0].contributions[k];
        let back: f64 = pool.shared_back[k].iter().sum();
        let all: f64 = pool.own_saving.iter().flatten().sum();
        assert!((back - share * all).abs() <= 1e-9 * all.abs());
    }
}

#[test]
fn fixed_savings_shares_are_kept() {
    let deals = r#"
[[pooled_budgets]]
name = "Pool"
interventions = ["Coaching"]
contributions = { Council = 0.5, NHS = 0.5 }
share_savings = "fixed"
savings_shares = { Council = 0.2, NHS = 0.8 }
"#;
    let model = model_with(deals);
    let run = upstream::pipeline::Run::new(&model, upstream::pipeline::Request::futures_only(Vec::new())).unwrap();
    let (_, pools) = all_figures(&model, &run.accounts, &run.comparisons);
    assert_eq!(pools.len(), 1);
    let all: f64 = pools[0].own_saving.iter().flatten().sum();
    let council: f64 = pools[0].shared_back[0].iter().sum();
    let nhs: f64 = pools[0].shared_back[1].iter().sum();
    assert!(all > 0.0);
    assert!((council - 0.2 * all).abs() <= 1e-9 * all && (nhs - 0.8 * all).abs() <= 1e-9 * all);
}

/// The seed's own cost–benefit arithmetic for the Worcestershire SIB
/// (seed 004, "Anticipated outcome / Projected value / Basis of
/// calculation", ll. 2914–2917, and the value per point, ll. 2925–2936),
/// recomputed from its unit costs and counts.
#[test]
fn worcestershire_cost_benefit_arithmetic_as_the_seed_gives_it() {
    // l. 2914: "9 entries to residential care avoided 0-5 years £405,000 9 x £433/wk x 104 wks".
    let residential: f64 = 9.0 * 433.0 * 104.0;
    assert_eq!(residential, 405_288.0);
    assert_eq!((residential / 1000.0).round() * 1000.0, 405_000.0);
    // l. 2916: "c. 0.25 A&E visits avoided per person x 180 people ... x 2 year
    // measurement period x £108" = 90 visits (the seed's table says 92), £10,000.
    let ae_visits: f64 = 0.25 * 180.0 * 2.0;
    assert_eq!(ae_visits, 90.0);
    assert_eq!(ae_visits * 108.0, 9_720.0);
    assert_eq!(92.0 * 108.0, 9_936.0);
    assert_eq!(((ae_visits * 108.0) / 10_000.0f64).round() * 10_000.0, 10_000.0);
    // l. 2917: "0.07 admissions avoided per person x 180 people ... x 2 year
    // measurement period x £800" = 25.2 admissions (the table says 26), £21,000.
    let admissions: f64 = 0.07 * 180.0 * 2.0;
    assert!((admissions - 25.2).abs() < 1e-12);
    assert!((admissions * 800.0 - 20_160.0).abs() < 1e-9);
    assert_eq!(26.0 * 800.0, 20_800.0);
    assert_eq!((26.0 * 800.0 / 1000.0f64).round() * 1000.0, 21_000.0);
    // l. 2915: "c. 6 GP visits avoided per person x 180 people ... x 2 year" = 2,160 (table: 2,175).
    assert_eq!(6.0 * 180.0 * 2.0, 2_160.0);
    // ll. 2925-2936: 3,000 points at £1,045 (£325 QALYs + £720 to health
    // and care, of which £135 council and £165 NHS in years 0-5, £420 later)
    // is about £3.1 million.
    assert_eq!(325 + 720, 1_045);
    assert_eq!(135 + 165 + 420, 720);
    assert_eq!(3_000 * 1_045, 3_135_000);
    // The example's tariff per move between groups: 3,000 points at £660
    // (l. 2875) over the 180 people moving (ll. 2915-2917).
    assert_eq!(3_000.0 * 660.0 / 180.0, 11_000.0);
}

/// The example file's numbers are the seed's, converted as its comments say.
#[test]
fn the_worcestershire_example_holds_the_seed_s_figures() {
    let (loaded, _, _) = worcestershire();
    let model = &loaded.model;
    let level = |name: &str| model.level_index(name).unwrap();
    let nl = model.levels.len();
    let care = level("Residential care");
    // Four-year probabilities of entering care (l. 2914) as annual ones.
    for (from, four_years) in [
        ("Low loneliness", 0.02),
        ("Moderate loneliness", 0.035),
        ("High loneliness", 0.07),
    ] {
        let annual = model.transitions[level(from) * nl + care].at(2025).value();
        let expected = 1.0 - (1.0f64 - four_years).powf(0.25);
        assert!((annual - expected).abs() < 5e-6, "{from}: {annual} vs {expected}");
    }
    let service = |name: &str| &model.services[model.service_index(name).unwrap()];
    assert_eq!(service("Residential care week").unit_cost, 433.0);
    assert_eq!(service("A&E visit").unit_cost, 108.0);
    assert_eq!(service("Emergency admission").unit_cost, 800.0);
    let contract = &model.deals.contracts[0];
    assert_eq!(contract.years, 3);
    assert!(contract.tariffs.iter().all(|t| t.price == 11_000.0));
    let central = contract.payers.iter().find(|p| p.funder.is_none()).unwrap();
    assert!((1.0 / 3.0..=0.5).contains(&central.share));
    let council = contract.payers.iter().find(|p| p.name == "Council").unwrap().share;
    let nhs = contract.payers.iter().find(|p| p.name == "NHS").unwrap().share;
    assert!((council / nhs - 135.0 / 165.0).abs() < 1e-12);
}

#[test]
fn the_worcestershire_contract_pays_for_the_moves_the_model_makes() {
    let (loaded, accounts, comparisons) = worcestershire();
    let model = &loaded.model;
    let (contracts, pools) = all_figures(model, &accounts, &comparisons);
    assert_eq!((contracts.len(), pools.len()), (1, 1));
    let c = &contracts[0];
    // Every payment is £11,000 a move, a year after it, within 2026-2028.
    let moves: f64 = c.outcomes.iter().flatten().sum();
    assert!(moves > 0.0);
    assert!((c.total_paid() - 11_000.0 * moves).abs() < 1e-6 * c.total_paid());
    assert_eq!(c.paid[0], 0.0);
    assert!(c.paid[4..].iter().all(|&p| p == 0.0));
    // The capital is the service's three years of cost.
    let cost: f64 = (0..3).map(|t| accounts[1].intervention_cost[t][0]).sum();
    assert!((c.total_capital() - cost).abs() < 1e-6 * cost);
}

/// Runs the binary with `args` in the repository's folder.
fn upstream(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// The example end to end: contracts.csv with its documented columns, the
/// whole-horizon rows' statistics and chances, the same figures from one
/// thread as from two, the workbook's sheet, the charts and the report's
/// section; and a file without deals gets none of them.
#[test]
fn the_example_writes_contracts_csv_the_sheet_the_charts_and_the_report_section() {
    use calamine::{Reader, Xlsx, open_workbook};
    let tmp = tempfile::tempdir().unwrap();
    let run = |threads: &str, dir: &str| {
        let out = tmp.path().join(dir);
        let args = [
            "run",
            "scenarios/worcestershire-sib.toml",
            "--draws",
            "40",
            "--threads",
            threads,
            "--report",
            "--out",
            out.to_str().unwrap(),
        ];
        let o = upstream(&args);
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("contracts.csv"));
        out
    };
    let (one, two) = (run("1", "one"), run("2", "two"));
    let csv = std::fs::read_to_string(one.join("contracts.csv")).unwrap();
    assert_eq!(csv, std::fs::read_to_string(two.join("contracts.csv")).unwrap());
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("deal,kind,scenario,year,party,metric,stat,value"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let find = |party: &str, metric: &str, stat: &str| -> f64 {
        rows.iter()
            .find(|r| {
                r[0] == "Maintaining Health SIB" && r[3] == "all" && r[4] == party && r[5] == metric && r[6] == stat
            })
            .unwrap_or_else(|| panic!("no row {party} {metric} {stat}"))[7]
            .parse()
            .unwrap()
    };
    let loses = find("investor", "prob_investor_loses", "value");
    assert!((0.0..=1.0).contains(&loses));
    let paid = find("all", "paid", "value");
    let received = find("investor", "received", "value");
    assert_eq!(paid, received);
    // The payers' payments add up to what is paid; the cap holds in every draw.
    let payers: f64 = ["Central outcomes fund", "Council", "NHS"]
        .iter()
        .map(|p| find(p, "paid", "value"))
        .sum();
    assert!((payers - paid).abs() < 1e-6 * paid);
    assert!(find("all", "paid", "p95") <= 1_980_000.0);
    // Every year's payments have their distribution too.
    let yearly = |stat: &str| -> f64 {
        rows.iter()
            .find(|r| {
                r[0] == "Maintaining Health SIB" && r[3] == "2026" && r[4] == "all" && r[5] == "paid" && r[6] == stat
            })
            .unwrap_or_else(|| panic!("no 2026 paid {stat}"))[7]
            .parse()
            .unwrap()
    };
    assert!(yearly("p5") <= yearly("p50") && yearly("p50") <= yearly("p95"));
    assert!(yearly("mean") > 0.0);
    for p in ["Council", "NHS"] {
        assert!((0.0..=1.0).contains(&find(p, "prob_pays_more_than_saves", "value")));
    }
    let mut book: Xlsx<_> = open_workbook(one.join("results.xlsx")).unwrap();
    assert!(book.sheet_names().contains(&"Contracts".to_string()));
    let sheet = book.worksheet_range("Contracts").unwrap();
    assert!(sheet.rows().any(|r| r.iter().any(|c| *c == "prob_investor_loses")));
    for n in [1, 2] {
        assert!(one.join(format!("charts/cash-flows-{n}.png")).is_file());
        assert!(one.join(format!("charts/cash-flows-{n}.svg")).is_file());
    }
    let report = std::fs::read_to_string(one.join("report.html")).unwrap();
    assert!(report.contains("<section id=\"contracts\">") && report.contains("Maintaining Health SIB: cash flows"));
    // Without deals: no contracts.csv, sheet, charts or section.
    let plain = tmp.path().join("plain");
    let o = upstream(&[
        "run",
        "scenarios/early-years.toml",
        "--report",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!plain.join("contracts.csv").exists() && !plain.join("charts/cash-flows-1.png").exists());
    let book: Xlsx<_> = open_workbook(plain.join("results.xlsx")).unwrap();
    assert!(!book.sheet_names().contains(&"Contracts".to_string()));
    assert!(
        !std::fs::read_to_string(plain.join("report.html"))
            .unwrap()
            .contains("id=\"contracts\"")
    );
}

/// The Troubled Families example's file (scenarios/troubled-families-pbr.toml).
fn troubled_families_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/troubled-families-pbr.toml");
    std::fs::read_to_string(path).unwrap()
}

/// What the Troubled Families contract pays in the scenario of `text` (the
/// example's file or a variant of it), run at the inputs' means.
fn troubled_families_contract(text: &str) -> (Model, ContractFigures) {
    let model = upstream::scenario::parse(Path::new("troubled-families-pbr.toml"), text, String::new())
        .unwrap_or_else(|e| panic!("the example does not parse:\n{e}"))
        .model;
    let run = upstream::pipeline::Run::new(&model, upstream::pipeline::Request::futures_only(Vec::new())).unwrap();
    let (contracts, _) = all_figures(&model, &run.accounts, &run.comparisons);
    assert_eq!(contracts.len(), 1);
    let c = contracts[0].clone();
    (model, c)
}

/// The phase one rate card's sums, as its published sources give them (the
/// letters are the file's: [A] Local Government Lawyer, [B] the
/// "Programme Explained" slides, [C] LocalGov, [D] CYP Now).
#[test]
fn troubled_families_rate_card_arithmetic_as_the_sources_give_it() {
    // [B], [C]: the attachment fee in 2012/13 is 80 % of [A-D]'s £4,000.
    let fee = 0.8 * 4_000.0;
    assert_eq!(fee, 3_200.0);
    // [A]: £3,900 for the crime, anti-social behaviour and school results is
    // the fee and [B]'s £700; its £4,000 for continuous work is the fee and
    // [B]'s £800, [B]'s "Maximum Claim Per Family"; with [A]'s and [B]'s £100
    // for progress to work the other results reach the same maximum.
    assert_eq!(fee + 700.0, 3_900.0);
    assert_eq!(fee + 800.0, 4_000.0);
    assert_eq!(fee + 700.0 + 100.0, 4_000.0);
    // [C]: "Birmingham stands to receive just under £14m for supporting 4,180
    // troubled families, Lancashire around £8.8m for 2,630 households and
    // Sheffield £5.6m for 1,680": £4,000 for five families in six [A].
    let payable = |families: f64| families * 5.0 / 6.0 * 4_000.0;
    assert!((payable(4_180.0) - 13_933_333.33).abs() < 0.005);
    assert!(payable(4_180.0) < 14_000_000.0 && payable(4_180.0) > 13_900_000.0);
    assert_eq!((payable(2_630.0) / 100_000.0).round() * 100_000.0, 8_800_000.0);
    assert_eq!(payable(1_680.0), 5_600_000.0);
    // [A], [C]: councils meet the other £6,000 of the average £10,000, 60 %.
    assert_eq!((10_000.0 - 4_000.0) / 10_000.0, 0.6);
    // [D]: £9bn a year for 120,000 families, £75,000 a family.
    assert_eq!(9e9 / 120_000.0, 75_000.0);
    // The example's cohort: a third a year [B] of Sheffield's 1,680, 560;
    // five in six payable: a cap of £1,866,666.67, £800 a family of it
    // for results.
    assert_eq!(1_680.0 / 3.0, 560.0);
    assert!((payable(560.0) - 1_866_666.67).abs() < 0.005);
    assert!((payable(560.0) * 0.2 - 800.0 * 560.0 * 5.0 / 6.0).abs() < 1e-6);
}

/// The example file holds the rate card as the sums above give it.
#[test]
fn the_troubled_families_example_holds_the_rate_card() {
    let (model, _) = troubled_families_contract(&troubled_families_text());
    let contract = &model.deals.contracts[0];
    assert_eq!(contract.name, "Troubled Families PbR 2012/13");
    assert_eq!(
        (contract.start_year, contract.years, contract.payment_lag_years),
        (2012, 1, 1)
    );
    assert_eq!(contract.cap, Some(1_866_666.67));
    assert_eq!(contract.delivery_fee_share, 0.8);
    assert_eq!(contract.cap_per_participant, Some(800.0));
    let prices: Vec<(&str, f64, Option<f64>)> = contract
        .tariffs
        .iter()
        .map(|t| (t.label.as_str(), t.price, t.against))
        .collect();
    assert_eq!(
        prices,
        [
            ("moved:Troubled->Turned around", 700.0, Some(0.0)),
            ("moved:Troubled->In work", 800.0, Some(0.0)),
        ]
    );
    assert_eq!(contract.payers.len(), 1);
    assert_eq!((contract.payers[0].share, contract.payers[0].funder), (1.0, None));
    let intervention = &model.interventions[contract.intervention];
    assert_eq!(intervention.cost_per_participant, 10_000.0);
    assert_eq!((intervention.start_year, intervention.end_year), (2012, Some(2012)));
    assert_eq!(model.services[0].unit_cost, 75_000.0);
}

/// The contract in the example worked by hand to the penny: at the means
/// the family intervention multiplies the 10 % a year who turn around by
/// 2.5 and the 4 % who find work by 2, in 560 families.
#[test]
fn the_troubled_families_contract_to_the_penny() {
    let (_, c) = troubled_families_contract(&troubled_families_text());
    let penny = |a: f64, b: f64| assert!((a - b).abs() < 0.005, "{a} vs {b}");
    // 560 × 0.10 × 2.5 = 140 families turned around, 560 × 0.04 × 2 = 44.8 in work.
    penny(c.outcomes[0][0], 140.0);
    penny(c.outcomes[1][0], 44.8);
    assert!(c.outcomes.iter().all(|o| o[1..].iter().all(|&x| x == 0.0)));
    // 140 × £700 + 44.8 × £800 = £98,000 + £35,840 = £133,840.
    penny(c.earned_uncapped[0], 133_840.0);
    // The fee, 80 % of £1,866,666.67 = £1,493,333.336, in 2012; what is left
    // for results, £373,333.334, is below £800 × 560 participant-years.
    penny(c.fee[0], 1_493_333.336);
    penny(c.outcome_cap.unwrap(), 373_333.334);
    assert!(!c.cap_binds);
    // The results are paid a year late: £1,493,333.34 in 2012, £133,840 in 2013.
    penny(c.paid[0], 1_493_333.336);
    penny(c.paid[1], 133_840.0);
    assert!(c.paid[2..].iter().all(|&p| p == 0.0));
    penny(c.total_paid(), 1_627_173.336);
    // The council, the investor, pays £10,000 × 560 = £5.6m and gets back
    // £2,905.67 a family: its net is −£3,972,826.66.
    penny(c.capital[0], 5_600_000.0);
    penny(c.total_paid() - c.total_capital(), -3_972_826.664);
    penny(c.total_paid() / 560.0, 2_905.666_671);
}

/// Paid on results, not against a comparison group: the rate card pays for
/// the families who would have turned around anyway. Against do-nothing
/// (56 and 22.4 of them) it would pay £57,120 less; with no effect at all
/// (the national evaluation's finding) it still pays that £57,120; and if
/// most families found work the five-in-six cap would bind.
#[test]
fn the_troubled_families_rate_card_pays_for_results_the_model_would_have_anyway() {
    let text = troubled_families_text();
    let penny = |a: f64, b: f64| assert!((a - b).abs() < 0.005, "{a} vs {b}");
    let (_, gross) = troubled_families_contract(&text);
    let (_, net) = troubled_families_contract(&text.replace("baseline = 0\n", ""));
    // Do-nothing: 560 × 0.10 = 56 and 560 × 0.04 = 22.4.
    penny(net.outcomes[0][0], 140.0 - 56.0);
    penny(net.outcomes[1][0], 44.8 - 22.4);
    penny(net.earned_uncapped[0], 84.0 * 700.0 + 22.4 * 800.0);
    penny(
        gross.earned_uncapped[0] - net.earned_uncapped[0],
        56.0 * 700.0 + 22.4 * 800.0,
    );
    penny(56.0 * 700.0 + 22.4 * 800.0, 57_120.0);
    let no_effect = text
        .replace("{ dist = \"pert\", min = 1.0, mode = 2.5, max = 4.0 }", "1.0")
        .replace("{ dist = \"pert\", min = 1.0, mode = 2.0, max = 3.0 }", "1.0");
    let (_, none) = troubled_families_contract(&no_effect);
    penny(none.earned_uncapped[0], 57_120.0);
    penny(none.paid[1], 57_120.0);
    // 70 % finding work a year without the programme, and the programme
    // adding no work effect: 392 × £800 + 140 × £700 = £411,600
    // earned, above the £373,333.33 left under the cap: it binds, and the
    // council is paid the cap, £1,866,666.67, in all.
    let busy = text
        .replace("probability = 0.04", "probability = 0.7")
        .replace("{ dist = \"pert\", min = 1.0, mode = 2.0, max = 3.0 }", "1.0");
    let (_, capped) = troubled_families_contract(&busy);
    penny(capped.earned_uncapped[0], 411_600.0);
    assert!(capped.cap_binds);
    penny(capped.earned[0], 373_333.334);
    penny(capped.total_paid(), 1_866_666.67);
}

/// The example checks and runs from the command line and writes its
/// contract to contracts.csv, the draws' 95th percentile of payments within
/// the cap.
#[test]
fn the_troubled_families_example_checks_runs_and_writes_contracts_csv() {
    let o = upstream(&["check", "scenarios/troubled-families-pbr.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("tf");
    let o = upstream(&[
        "run",
        "scenarios/troubled-families-pbr.toml",
        "--draws",
        "40",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(out.join("contracts.csv")).unwrap();
    let value = |party: &str, metric: &str, stat: &str| -> f64 {
        csv.lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|r| {
                r[0] == "Troubled Families PbR 2012/13"
                    && r[3] == "all"
                    && r[4] == party
                    && r[5] == metric
                    && r[6] == stat
            })
            .unwrap_or_else(|| panic!("no row {party} {metric} {stat}"))[7]
            .parse()
            .unwrap()
    };
    assert!((value("all", "paid", "value") - 1_627_173.336).abs() < 0.01);
    assert!(value("all", "paid", "p95") <= 1_866_666.67 + 1e-6);
    assert!(value("all", "paid", "p5") >= 1_493_333.336 + 57_120.0 - 0.01);
    assert!((value("investor", "capital", "value") - 5_600_000.0).abs() < 1e-6);
    assert_eq!(value("investor", "prob_investor_loses", "value"), 1.0);
}
