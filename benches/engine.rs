//! Kernel and whole-run timings: `cargo bench --bench engine`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use upstream::engine::{Calibration, simulate};
use upstream::results::Accounts;
use upstream::run::run_futures;

fn load(name: &str) -> upstream::model::Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    upstream::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn engine(c: &mut Criterion) {
    for file in ["scenarios/older-people.toml", "scenarios/early-years.toml"] {
        let model = load(file);
        let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
        c.bench_function(&format!("{stem}: baseline trajectory"), |b| {
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

criterion_group!(benches, engine);
criterion_main!(benches);
