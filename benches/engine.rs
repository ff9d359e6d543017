//! Kernel and whole-run timings: `cargo bench --bench engine`.
//! The Monte Carlo group measures the library at 1,000 draws; the
//! "reference run" group times the whole command on the reference workload
//! (10,000 draws, every output written), as a user runs it;
//! `benches/compare.sh` sets that beside the NumPy peer.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use upstream::engine::{Calibration, simulate};
use upstream::montecarlo::{self, FutureSpec};
use upstream::results::Accounts;
use upstream::run::run_futures;

fn load(name: &str) -> upstream::model::Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    upstream::scenario::load(&path).unwrap_or_else(|e| panic!("{e}")).model
}

fn engine(c: &mut Criterion) {
    for file in [
        "scenarios/older-people.toml",
        "scenarios/early-years.toml",
        "scenarios/bench-national.toml",
        "scenarios/bench-national-capacity.toml",
    ] {
        let model = load(file);
        let stem = Path::new(file).file_stem().unwrap().to_string_lossy().into_owned();
        c.bench_function(&format!("{stem}: one trajectory (kernel)"), |b| {
            b.iter(|| simulate(black_box(&model), &[], Calibration::ToProjection).unwrap())
        });
        if model.services.iter().any(|s| s.capacity.is_some()) {
            // The same capacities without their feedback to people: the
            // year runs band by band and the services serve after it.
            let mut open_loop = model.clone();
            for capacity in open_loop.services.iter_mut().filter_map(|s| s.capacity.as_mut()) {
                capacity.while_unmet.clear();
            }
            c.bench_function(&format!("{stem}, no feedback: one trajectory (kernel)"), |b| {
                b.iter(|| simulate(black_box(&open_loop), &[], Calibration::ToProjection).unwrap())
            });
        }
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
            b.iter(|| {
                montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
                    .run(black_box(&model))
                    .map(|mut s| s.remove(0))
                    .unwrap()
            })
        });
    }
    group.finish();
}

/// Drawing: what charts add to a run, and what a live page re-draws.
fn charts(c: &mut Criterion) {
    use upstream::charts::{Chart, Figures};
    let mut group = c.benchmark_group("charts");
    group.sample_size(10);
    let model = load("scenarios/older-people.toml");
    let futures = run_futures(&model, &[]).unwrap();
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let specs: Vec<FutureSpec> = futures.iter().map(FutureSpec::from).collect();
    let options = montecarlo::Options {
        draws: 1000,
        seed: 1,
        percentiles: vec![5.0, 25.0, 50.0, 75.0, 95.0],
    };
    let mc = montecarlo::Request::new(montecarlo::Futures::One(&specs), &options)
        .run(&model)
        .map(|mut s| s.remove(0))
        .unwrap();
    group.bench_function("older-people: figures from 1000 draws", |b| {
        b.iter(|| Figures::new(black_box(&model), &accounts, &comparisons, Some(&mc)))
    });
    let figures = Figures::new(&model, &accounts, &comparisons, Some(&mc));
    group.bench_function("older-people: all 6 charts as SVG", |b| {
        b.iter(|| {
            Chart::ALL
                .iter()
                .map(|chart| chart.svg(black_box(&figures)).unwrap().len())
                .sum::<usize>()
        })
    });
    let dir = std::env::temp_dir().join(format!("upstream-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    group.bench_function("older-people: all 6 charts as PNG files", |b| {
        b.iter(|| {
            for chart in Chart::ALL {
                chart
                    .write_png(black_box(&figures), &dir.join(format!("{}.png", chart.file_stem())))
                    .unwrap();
            }
        })
    });
    // The map of the system of each future (do-nothing's, then each
    // scenario's against it), as a run draws them.
    let detail = [(None, &futures[..])];
    let maps = upstream::output::maps::maps(&detail, &figures, None);
    group.bench_function("older-people: the 7 maps of the system, built and drawn as SVG", |b| {
        b.iter(|| {
            upstream::output::maps::maps(black_box(&detail), &figures, None)
                .iter()
                .map(|(_, m)| m.svg().unwrap().len())
                .sum::<usize>()
        })
    });
    group.bench_function("older-people: the 7 maps of the system as PNG files", |b| {
        b.iter(|| {
            for (stem, map) in black_box(&maps) {
                map.write_png(&dir.join(format!("{stem}.png"))).unwrap();
            }
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    // The workshop page's re-run: build the page's scenarios, 1000 draws, headline, 6 SVG charts and the maps.
    let info = upstream::serve::edit::model_info(&model, 1000);
    let request = upstream::serve::edit::RunRequest {
        area: None,
        draws: 1000,
        scenarios: info.scenarios,
        presenter: false,
        map: Default::default(),
        deals: Default::default(),
    };
    group.bench_function(
        "older-people: workshop re-run (1000 draws, headline, 6 SVG charts and the maps)",
        |b| b.iter(|| upstream::serve::compute(black_box(&model), &request).unwrap()),
    );
    group.finish();
}

/// The reference run as a user makes it: the release binary on
/// `scenarios/bench-national.toml` with 10,000 draws, every file written.
fn reference_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference run");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(30));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("upstream-bench-{}", std::process::id()));
    group.bench_function("upstream run scenarios/bench-national.toml --draws 10000", |b| {
        b.iter(|| {
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
                .arg("run")
                .arg(root.join("scenarios/bench-national.toml"))
                .args(["--draws", "10000", "--out"])
                .arg(&out)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("the upstream binary runs");
            assert!(status.success());
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&out);
}

// Criterion's own plots are off: the crate's plotters draws text with the
// bundled font only, which criterion's report pages do not register.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = engine, monte_carlo, charts, reference_run
}
criterion_main!(benches);
