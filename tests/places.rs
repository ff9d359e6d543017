//! Levels with a limited number of places (README, "Levels with a limited
//! number of places") against closed forms and an independent few-line
//! simulation: a level fills at its closed-form time and then admits
//! exactly its exits; the queue matches a hand-written simulation of the
//! same structure; places that never bind change nothing; people are
//! conserved and every flow is accounted for; lanes agree.

use proptest::prelude::*;
use std::path::Path;
use upstream::engine::{
    Calibration, LaneCalibration, LaneTrajectory, MatrixCache, PlaceFigure, Trajectory, service_figures, simulate,
    simulate_lanes,
};
use upstream::model::Model;
use upstream::params::Layout;

fn parse(text: &str) -> Model {
    upstream::scenario::parse(Path::new("places.toml"), text, String::new())
        .unwrap_or_else(|e| panic!("the test model does not parse:\n{e}\n---\n{text}"))
        .model
}

fn run(model: &Model, plan: &[usize]) -> Trajectory {
    simulate(model, plan, Calibration::None).unwrap_or_else(|e| panic!("simulation failed: {e}"))
}

#[track_caller]
fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance * expected.abs().max(1.0),
        "{what}: got {actual}, expected {expected} (difference {:e})",
        actual - expected
    );
}

/// Figure `f` of limited level `i` in year `k`.
fn place(model: &Model, t: &Trajectory, k: usize, i: usize, f: PlaceFigure) -> f64 {
    t.years[k].supply[service_figures(model) + i * PlaceFigure::COUNT + f.index()]
}

/// One open band: people at `Home` move to `Care home` and nobody leaves
/// home otherwise; `Care home` has `places` and people leave it (die) with
/// annual probability `leave`. `extra` is appended.
fn care_home_text(mode: &str, steps: u32, horizon: u32, home: f64, into: f64, entries: f64, extra: &str) -> String {
    format!(
        r#"
[model]
name = "Care home"
start_year = 2025
horizon_years = {horizon}
steps_per_year = {steps}
transition_mode = "{mode}"
levels = ["Home", "Care home"]

[[bands]]
name = "65+"
lower = 65

[[population]]
band = "65+"
counts = {{ Home = {home}, "Care home" = 0 }}

[[transitions]]
from = "Home"
to = "Care home"
probability = {into}

[[exits]]
levels = ["Care home"]
probability = 0.05

[entries]
people = {entries}
mix = {{ Home = 1 }}

[[services]]
name = "Care home place"
tier = "tertiary"
funder = "Council"
unit_cost = 40000
use = {{ "Care home" = 1 }}

[[places]]
level = "Care home"
places = 400
{extra}
"#
    )
}

#[test]
fn a_level_fills_at_its_closed_form_time_then_admits_exactly_its_exits() {
    // One step a year of the annual matrix as given: Home keeps E/p people
    // who are not waiting (E entries a year, a share p moving), so λ = E
    // people a year ask for a place. Care home occupancy O' = (1 − μ)O + λ
    // until full: O_n = (λ/μ)(1 − (1 − μ)^n), first full at
    // n* = ⌈ln(1 − Pμ/λ) / ln(1 − μ)⌉; then it admits μP a year and the
    // queue grows by λ − μP a year (nobody leaves home but to the care home).
    let (p, lambda, mu, places) = (0.1, 30.0, 0.05, 400.0);
    let model = parse(&care_home_text("annual_matrix", 1, 30, lambda / p, p, lambda, ""));
    let t = run(&model, &[]);
    let full_at = ((1.0 - places * mu / lambda).ln() / (1.0 - mu).ln()).ceil() as usize;
    assert_eq!(full_at, 22);
    let mut queue = 0.0;
    for (k, _) in t.years.iter().enumerate() {
        let n = k + 1;
        let f = |which: PlaceFigure| place(&model, &t, k, 0, which);
        if n < full_at {
            let expected = lambda / mu * (1.0 - (1.0 - mu).powi(n as i32));
            close(
                f(PlaceFigure::Occupied),
                expected,
                1e-12,
                &format!("occupied, year {n}"),
            );
            close(f(PlaceFigure::Admitted), lambda, 1e-12, &format!("admitted, year {n}"));
            assert_eq!(f(PlaceFigure::WaitingEnd), 0.0, "year {n}");
            assert_eq!(f(PlaceFigure::Full), 0.0, "year {n}");
        } else {
            close(f(PlaceFigure::Occupied), places, 1e-12, &format!("occupied, year {n}"));
            assert_eq!(f(PlaceFigure::Full), 1.0, "year {n}");
            if n > full_at {
                close(
                    f(PlaceFigure::Admitted),
                    mu * places,
                    1e-12,
                    &format!("admitted, year {n}"),
                );
            }
            queue += lambda - f(PlaceFigure::Admitted);
            close(f(PlaceFigure::WaitingEnd), queue, 1e-9, &format!("waiting, year {n}"));
        }
        // The people held are still at home.
        close(
            t.years[k].people_end[0],
            lambda / p + f(PlaceFigure::WaitingEnd),
            1e-12,
            &format!("home, year {n}"),
        );
    }
}

/// The same structure written out by hand, for `rates` mode: Home → Care
/// home at hazard a, Home exits at hazard e, Care home exits at hazard b;
/// the per-step shares are the closed form of the 2-state matrix
/// exponential. Returns per year (occupied, waiting, admitted, left the
/// queue) at the year end.
fn by_hand(
    (into, home_exit, leave): (f64, f64, f64),
    steps: usize,
    years: usize,
    (home, entries, places): (f64, f64, f64),
) -> Vec<(f64, f64, f64, f64)> {
    let dt = 1.0 / steps as f64;
    let (a, e, b) = (-(1.0 - into).ln(), -(1.0 - home_exit).ln(), -(1.0 - leave).ln());
    let stay_home = (-(a + e) * dt).exp();
    let move_in = a / (a + e - b) * ((-b * dt).exp() - (-(a + e) * dt).exp());
    let stay_in = (-b * dt).exp();
    let (mut h, mut w, mut o) = (home, 0.0_f64, 0.0_f64);
    let mut out = Vec::new();
    for _ in 0..years {
        let (mut admitted_year, mut left_year) = (0.0, 0.0);
        for _ in 0..steps {
            let asking = (h - w) * move_in;
            let still_waiting = w * (stay_home + move_in);
            left_year += w - still_waiting;
            h = h * (stay_home + move_in) + entries * dt;
            o *= stay_in;
            let admitted = (places - o).max(0.0).min(still_waiting + asking);
            o += admitted;
            h -= admitted;
            w = still_waiting + asking - admitted;
            admitted_year += admitted;
        }
        out.push((o, w, admitted_year, left_year));
    }
    out
}

#[test]
fn the_queue_matches_an_independent_simulation() {
    for steps in [4u32, 12, 52] {
        let extra = "";
        let text = care_home_text("rates", steps, 12, 5000.0, 0.04, 150.0, extra).replace(
            "[[exits]]\nlevels = [\"Care home\"]",
            "[[exits]]\nlevels = [\"Home\"]\nprobability = 0.03\n\n[[exits]]\nlevels = [\"Care home\"]",
        );
        let model = parse(&text);
        let t = run(&model, &[]);
        let hand = by_hand((0.04, 0.03, 0.05), steps as usize, 12, (5000.0, 150.0, 400.0));
        for (k, &(occupied, waiting, admitted, left)) in hand.iter().enumerate() {
            let f = |which: PlaceFigure| place(&model, &t, k, 0, which);
            let what = |s: &str| format!("{s}, {steps} steps, year {}", 2025 + k);
            close(f(PlaceFigure::Occupied), occupied, 1e-9, &what("occupied"));
            close(f(PlaceFigure::WaitingEnd), waiting, 1e-9, &what("waiting"));
            close(f(PlaceFigure::Admitted), admitted, 1e-9, &what("admitted"));
            close(f(PlaceFigure::LeftQueue), left, 1e-9, &what("left the queue"));
            close(t.years[k].people_end[1], occupied, 1e-9, &what("care home people"));
        }
        // It fills within the run, and people wait.
        assert!(hand.last().unwrap().1 > 10.0, "{steps} steps: nobody waits");
    }
}

/// The fixture: two bands that age, entries, three levels, and a use
/// multiplier while waiting.
fn fixture() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/places.toml");
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn places_that_never_bind_change_nothing() {
    let limited = parse(&fixture().replace("places = { 2025 = 300, 2029 = 320 }", "places = 1e12"));
    // Without the places, the intervention that adds to them, or its scenario.
    let text = fixture();
    let (places, building) = (
        text.find("[[places]]").unwrap(),
        text.find("[[interventions]]").unwrap(),
    );
    let (built, scenarios) = (
        text.find("[[interventions]]\nname = \"New care home\"").unwrap(),
        text.find("[[scenarios]]").unwrap(),
    );
    let build = text.find("[[scenarios]]\nname = \"build\"").unwrap();
    let free = parse(&format!(
        "{}{}{}",
        &text[..places],
        &text[building..built],
        &text[scenarios..build]
    ));
    assert!(free.places.is_empty() && limited.places.len() == 1);
    let (a, b) = (run(&limited, &[0]), run(&free, &[0]));
    for (x, y) in a.years.iter().zip(&b.years) {
        for (name, u, v) in [
            ("people", &x.people_end, &y.people_end),
            ("flows", &x.flows, &y.flows),
            ("exits", &x.exits, &y.exits),
            ("ageing out", &x.ageing_out, &y.ageing_out),
            ("activity", &x.activity, &y.activity),
        ] {
            for (c, (p, q)) in u.iter().zip(v).enumerate() {
                close(*p, *q, 1e-12, &format!("{name} [{c}], {}", x.year));
            }
        }
    }
}

/// Every cell's people at the year end are its start, plus entries, ageing
/// in and moves in, less exits, ageing out and moves out; every level's
/// people are summed from the cells; and nothing is negative.
fn accounted(model: &Model, t: &Trajectory) -> Result<(), TestCaseError> {
    for y in &t.years {
        for c in 0..model.cells() {
            let expected = y.people_start[c] + y.entries[c] + y.ageing_in[c] + y.moved_in[c]
                - y.exits[c]
                - y.ageing_out[c]
                - y.moved_out[c]
                + y.migration[c];
            prop_assert!(
                (y.people_end[c] - expected).abs() <= 1e-9 * expected.abs().max(1.0),
                "{} cell {c}: {} people, the flows give {expected}",
                y.year,
                y.people_end[c]
            );
            prop_assert!(y.people_end[c] >= -1e-9, "{} cell {c} is negative", y.year);
        }
    }
    Ok(())
}

#[test]
fn every_flow_is_accounted_for_with_a_full_level() {
    let model = parse(&fixture());
    for plan in [vec![], vec![0], vec![1]] {
        let t = run(&model, &plan);
        accounted(&model, &t).unwrap();
        // It is full, and people wait.
        assert!(place(&model, &t, 3, 0, PlaceFigure::WaitingEnd) > 1.0);
    }
}

#[test]
fn added_places_admit_more_and_cost_their_price() {
    let model = parse(&fixture());
    let (base, built) = (run(&model, &[]), run(&model, &[1]));
    // From 2027 (year 2) the home has 40 more places, and it is full either way.
    for k in 2..8 {
        let f = |t: &Trajectory, which| place(&model, t, k, 0, which);
        close(
            f(&built, PlaceFigure::Places),
            f(&base, PlaceFigure::Places) + 40.0,
            1e-12,
            "places",
        );
        assert!(f(&built, PlaceFigure::WaitingEnd) < f(&base, PlaceFigure::WaitingEnd));
        close(built.years[k].intervention_cost[1], 40.0 * 5000.0, 1e-12, "cost");
    }
    assert_eq!(built.years[1].intervention_cost[1], 0.0);
}

#[test]
fn waiting_people_use_more_of_a_service_by_its_multiplier() {
    // The same model with the multiplier at 1 uses less, by exactly the
    // waiting person-years × use × 0.5. (One step a year of the annual
    // matrix, so that only people at Frail move to the care home: finer
    // steps also move a few from Home through Frail within a step, and
    // they wait at Home.)
    let text = fixture().replace(
        "steps_per_year = 12",
        "steps_per_year = 1\ntransition_mode = \"annual_matrix\"",
    );
    let model = parse(&text);
    let plain = parse(&text.replace("multiplier = 1.5 }", "multiplier = 1 }"));
    let (t, u) = (run(&model, &[]), run(&plain, &[]));
    let admission = model
        .services
        .iter()
        .position(|s| s.name == "Emergency admission")
        .unwrap();
    let mut extra_seen = 0.0;
    for k in 0..t.years.len() {
        let extra = t.years[k].activity[admission] - u.years[k].activity[admission];
        let waiting_years = place(&model, &t, k, 0, PlaceFigure::WaitingYears);
        // People wait at Frail (use 0.4 a year) only.
        close(
            extra,
            waiting_years * 0.4 * 0.5,
            1e-9,
            &format!("extra admissions, {}", 2025 + k),
        );
        extra_seen += extra;
    }
    assert!(extra_seen > 10.0);
}

/// One open band, one step a year of the annual matrix as given: people
/// at Home move to the Care home (a share `into` a year) or recover to Well
/// (`recover`); the care home has `places` and loses a share 0.05 a year.
/// People waiting for a place recover `rr` times as often as others at Home.
fn recovering_text(rr: f64, places: f64) -> String {
    format!(
        r#"
[model]
name = "Care home"
start_year = 2025
horizon_years = 20
steps_per_year = 1
transition_mode = "annual_matrix"
levels = ["Home", "Care home", "Well"]

[[bands]]
name = "65+"
lower = 65

[[population]]
band = "65+"
counts = {{ Home = 3000, "Care home" = 0, Well = 0 }}

[[transitions]]
from = "Home"
to = "Care home"
probability = 0.1

[[transitions]]
from = "Home"
to = "Well"
probability = 0.06

[[exits]]
levels = ["Care home"]
probability = 0.05

[entries]
people = 300
mix = {{ Home = 1 }}

[[services]]
name = "Care home place"
tier = "tertiary"
funder = "Council"
unit_cost = 40000
use = {{ "Care home" = 1 }}

[[places]]
level = "Care home"
places = {places}
while_waiting = [{{ from = "Home", to = "Well", relative_risk = {rr} }}]
"#
    )
}

#[test]
fn waiting_people_move_by_their_own_relative_risk() {
    // By hand: at Home h people, w of them waiting; a year moves a share p
    // of those not waiting to ask for a place, and the waiting recover at
    // q·RR instead of q (everyone else at q); moves into the full care home
    // are held and admitted first come, first served.
    let (p, q, mu, places, entries) = (0.1, 0.06, 0.05, 500.0, 300.0);
    for rr in [0.5, 2.0, 5.0] {
        let model = parse(&recovering_text(rr, places));
        let t = run(&model, &[]);
        let (mut h, mut w, mut o, mut well) = (3000.0_f64, 0.0_f64, 0.0_f64, 0.0_f64);
        for (k, year) in t.years.iter().enumerate() {
            let asking = (h - w) * p;
            let recovered = (h - w) * q + w * q * rr;
            let still_waiting = w * (1.0 - q * rr);
            h = h - asking - recovered + asking + entries;
            well += recovered;
            o *= 1.0 - mu;
            let admitted = (places - o).max(0.0).min(still_waiting + asking);
            o += admitted;
            h -= admitted;
            w = still_waiting + asking - admitted;
            let what = |s: &str| format!("{s}, RR {rr}, year {}", 2025 + k);
            close(year.people_end[0], h, 1e-12, &what("home"));
            close(year.people_end[1], o, 1e-12, &what("care home"));
            close(year.people_end[2], well, 1e-12, &what("well"));
            close(
                place(&model, &t, k, 0, PlaceFigure::WaitingEnd),
                w,
                1e-12,
                &what("waiting"),
            );
        }
        assert!(w > 100.0, "RR {rr}: the care home fills and people wait ({w})");
        accounted(&model, &t).unwrap();
    }
    // A relative risk of 1 is the model without it, to the last bit.
    let one = run(&parse(&recovering_text(1.0, places)), &[]);
    let text = recovering_text(1.0, places);
    let without = text.replace(
        "while_waiting = [{ from = \"Home\", to = \"Well\", relative_risk = 1 }]",
        "",
    );
    assert_ne!(text, without);
    let none = run(&parse(&without), &[]);
    for (a, b) in one.years.iter().zip(&none.years) {
        assert_eq!(a.people_end, b.people_end);
        assert_eq!(a.flows, b.flows);
        assert_eq!(a.supply, b.supply);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(32) })]

    #[test]
    fn with_places_people_are_conserved_nothing_is_negative_and_lanes_agree(
        steps in prop::sample::select(vec![1u32, 4, 12]),
        into in 0.01..0.6f64,
        places in 0.0..900.0f64,
        cut in 0.0..900.0f64,
        annual_matrix in any::<bool>(),
    ) {
        // (An annual matrix of these moves has a root at one step a year only.)
        let (steps, mode) = if annual_matrix { (1, "annual_matrix") } else { (steps, "rates") };
        let text = fixture()
            .replace("steps_per_year = 12", &format!("steps_per_year = {steps}\ntransition_mode = \"{mode}\""))
            .replace("probability = 0.12", &format!("probability = {into}"))
            .replace("places = { 2025 = 300, 2029 = 320 }", &format!("places = {{ 2025 = {places}, 2029 = {cut} }}"));
        let model = parse(&text);
        let t = run(&model, &[1]);
        accounted(&model, &t)?;
        for k in 0..t.years.len() {
            let f = |which| place(&model, &t, k, 0, which);
            // Never more admitted than the places allow, unless it already held more.
            let held = t.years[k].people_end[2] + t.years[k].people_end[5];
            prop_assert!((f(PlaceFigure::Occupied) - held).abs() < 1e-9 * held.max(1.0));
            prop_assert!(f(PlaceFigure::WaitingEnd) >= -1e-9);
            if f(PlaceFigure::Full) > 0.0 && k > 0 {
                let before = place(&model, &t, k - 1, 0, PlaceFigure::Occupied);
                prop_assert!(held <= f(PlaceFigure::Places).max(before) + 1e-6);
            }
        }
        // Four lanes of the same numbers give the single run, bit for bit.
        let layout = Layout::new(&model);
        let params: Vec<[f64; 4]> = layout.central(&model).into_iter().map(|v| [v; 4]).collect();
        let mut cache = MatrixCache::<4>::new(&model);
        let mut lanes = LaneTrajectory::<4>::default();
        simulate_lanes(&model, &layout, &params, &[1], LaneCalibration::None, &mut cache, &mut lanes).unwrap();
        for lane in 0..4 {
            prop_assert!(lanes.lane(&model, lane) == t, "lane {lane} differs from the single run");
        }
    }
}

#[test]
fn waiting_use_of_a_service_with_a_capacity_is_asked_of_it_step_by_step() {
    // Emergency admissions with a capacity that never binds: the people
    // waiting ask for their extra admissions step by step, and the service
    // serves exactly what the same model without the capacity counts.
    let text = fixture();
    let capped = text.replace(
        "unit_cost = 3000\n",
        "unit_cost = 3000\ncapacity = 1e12\nwhen_full = { lost = 1 }\n",
    );
    assert_ne!(capped, text);
    let (free, limited) = (parse(&text), parse(&capped));
    let admission = free
        .services
        .iter()
        .position(|s| s.name == "Emergency admission")
        .unwrap();
    let figure = |which: upstream::engine::Figure| admission * upstream::engine::Figure::COUNT + which.index();
    for plan in [vec![], vec![0]] {
        let (a, b) = (run(&free, &plan), run(&limited, &plan));
        for (k, (x, y)) in a.years.iter().zip(&b.years).enumerate() {
            let what = format!("admissions, {}", 2025 + k);
            close(y.activity[admission], x.activity[admission], 1e-12, &what);
            close(
                y.supply[figure(upstream::engine::Figure::Demand)],
                x.activity[admission],
                1e-12,
                &what,
            );
            assert!(place(&limited, &b, k, 0, PlaceFigure::WaitingYears) > 0.0 || k == 0);
        }
    }
    // A capacity that binds: the waiting people's demand goes unmet too, so
    // more is unmet than without the extra use.
    let tight = |multiplier: &str| {
        parse(
            &capped
                .replace("capacity = 1e12", "capacity = 900")
                .replace("multiplier = 1.5 }", &format!("multiplier = {multiplier} }}")),
        )
    };
    let (more, plain) = (tight("3"), tight("1"));
    let (m, p) = (run(&more, &[]), run(&plain, &[]));
    let unmet = figure(upstream::engine::Figure::Unmet);
    let last = m.years.len() - 1;
    assert!(m.years[last].supply[unmet] > p.years[last].supply[unmet] + 1.0);
    assert!((m.years[last].activity[admission] - 900.0).abs() < 1e-6);
}

#[test]
fn places_converge_as_the_step_shrinks() {
    // The fixture (two bands that age, entries, a full care home, waiting
    // people's own moves and use) in rates mode: the people waiting and in
    // the care home in the last year converge as steps shrink.
    let at = |steps: u32| {
        let text = fixture().replace(
            "steps_per_year = 12",
            &format!("steps_per_year = {steps}\ntransition_mode = \"rates\""),
        );
        let model = parse(&text);
        let t = run(&model, &[]);
        let last = t.years.len() - 1;
        (
            place(&model, &t, last, 0, PlaceFigure::WaitingEnd),
            place(&model, &t, last, 0, PlaceFigure::Admitted),
        )
    };
    let (one, four, twelve, weekly) = (at(1), at(4), at(12), at(52));
    for (what, pick) in [("waiting", 0), ("admitted", 1)] {
        let v = |x: (f64, f64)| if pick == 0 { x.0 } else { x.1 };
        let gaps = [
            (v(one) - v(weekly)).abs(),
            (v(four) - v(weekly)).abs(),
            (v(twelve) - v(weekly)).abs(),
        ];
        assert!(
            gaps[0] > gaps[1] && gaps[1] > gaps[2],
            "{what}: gaps to weekly steps {gaps:?} do not shrink"
        );
        close(
            v(twelve),
            v(weekly),
            0.05,
            &format!("{what}: monthly against weekly steps"),
        );
    }
}
