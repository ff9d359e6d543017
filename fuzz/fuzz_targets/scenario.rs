//! Fuzzes the scenario parser and validator with arbitrary bytes, and runs
//! every model they accept (a dry run, as `upstream check` does). Any panic
//! is a bug: bad input must come back as an error. See fuzz/README.md.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Tables are looked for beside a scenario file in a folder that does not exist.
    let path = Path::new("/nonexistent-fuzz-folder/scenario.toml");
    let Ok(upstream::scenario::Loaded { model, .. }) = upstream::scenario::parse(path, text, String::new()) else {
        return;
    };
    // Keep each input quick: skip huge simulations (they are valid, just slow).
    let work = u64::from(model.horizon_years) * u64::from(model.steps_per_year) * model.cells() as u64;
    if work > 2_000_000 {
        return;
    }
    let _ = upstream::run::run_futures(&model, &[]);
});
