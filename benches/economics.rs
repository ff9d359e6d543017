//! Decision-analysis timings on 10,000 draws and three strategies:
//! `cargo bench --bench economics`. EVPPI of one to four parameters at
//! the two default thresholds (the smoother built and fitted each time),
//! and the acceptability curves and EVPI on the default grid.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use upstream::economics::{DEFAULT_THRESHOLDS, Parameters, Psa, acceptability, default_grid, evppi};

/// 10,000 draws of four parameters on low-discrepancy sequences, and three
/// strategies whose QALYs and costs depend on them.
fn sample() -> (Psa, Parameters) {
    let draws = 10_000;
    let steps = [0.618_033_988_75, 0.754_877_666_2, 0.569_840_290_9, 0.453_397_651_5];
    let theta: Vec<Vec<f64>> = (0..draws)
        .map(|d| steps.iter().map(|s| (d as f64 * s).fract()).collect())
        .collect();
    let costs: Vec<Vec<f64>> = (theta.iter())
        .map(|t| vec![0.0, 1_000.0 + 300.0 * t[2], 2_000.0 + 200.0 * t[3] * t[3]])
        .collect();
    let effects: Vec<Vec<f64>> = (theta.iter())
        .map(|t| vec![0.0, 0.05 + 0.03 * t[0], 0.1 - 0.01 * t[1] + 0.02 * t[0]])
        .collect();
    let names = ["do nothing", "falls", "navigators"].map(String::from).to_vec();
    let parameters = ["p0", "p1", "p2", "p3"].map(String::from).to_vec();
    (
        Psa::new(names, &costs, &effects).unwrap(),
        Parameters::new(parameters, &theta).unwrap(),
    )
}

fn economics(c: &mut Criterion) {
    let (psa, parameters) = sample();
    for group in [
        &["p0"][..],
        &["p0", "p1"],
        &["p0", "p1", "p2"],
        &["p0", "p1", "p2", "p3"],
    ] {
        c.bench_function(&format!("EVPPI of {} parameter(s), 10,000 draws", group.len()), |b| {
            b.iter(|| evppi(black_box(&psa), &parameters, group, &DEFAULT_THRESHOLDS).unwrap())
        });
    }
    let grid = default_grid();
    c.bench_function("CEAC, CEAF and EVPI on 101 points, 10,000 draws", |b| {
        b.iter(|| acceptability(black_box(&psa), &grid))
    });
}

// Criterion's own plots are off, as in `benches/engine.rs`.
criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).without_plots();
    targets = economics
}
criterion_main!(benches);
