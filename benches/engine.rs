//! Kernel and whole-run timings: `cargo bench --bench engine`.
//! The reference Monte Carlo run (10,000 draws) takes seconds, so it is
//! measured here at 1,000 draws; `benches/compare.sh` times the full run.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use upstream::engine::{Calibration, simulate};
use upstream::montecarlo::{self, FutureSpec};
use upstream::results::Accounts;
use upstream::run::run_futures;

fn load(name: &str) -> upstream::model::Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    upstream::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn engine(c: &mut Criterion) {
    for file in [
        "scenarios/older-people.toml",
        "scenarios/early-years.toml",
        "scenarios/bench-national.toml",
    ] {
        let model = load(file);
        let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
        c.bench_function(&format!("{stem}: one trajectory (kernel)"), |b| {
            b.iter(|| simulate(black_box(&model), &[], Calibration::ToProjection).unwrap())
        });
        c.bench_function(&format!("{stem}: all futures with accounts"), |b| {
            b.iter(|| {
                let futures = run_futures(black_box(&model), &[]).unwrap();
                futures.iter().map(Accounts::of).collect::<Vec<_>>()
            })
        });
    }
}

fn monte_carlo(c: &mut Criterion) {
    let mut group = c.benchmark_group("monte carlo");
    group.sample_size(10);
    for (file, draws) in [
        ("scenarios/older-people.toml", 1000),
        ("scenarios/bench-national.toml", 1000),
    ] {
        let model = load(file);
        let futures = run_futures(&model, &[]).unwrap();
        let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
        let options = montecarlo::Options {
            draws,
            seed: 1,
            percentiles: vec![5.0, 25.0, 50.0, 75.0, 95.0],
        };
        let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
        group.bench_function(format!("{stem}: {draws} draws, all futures, statistics"), |b| {
            b.iter(|| montecarlo::run(black_box(&model), &specs, &options, &|_| {}).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, engine, monte_carlo);
criterion_main!(benches);
