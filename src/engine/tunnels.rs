//! Yearly tunnels (`[model] tunnels`): a level split into time spent in
//! it, one tunnel a step (a year's `steps_per_year` tunnels share the
//! year's transitions and exits, the file's of that year in the level).
//! Here each band's per-step matrix moves the share that stays in a tunnel
//! on to the next one, so that after the step it is a step further in
//! and after a year's steps in the next year's tunnels, exactly; the last
//! tunnel keeps its own.

use crate::model::Model;

/// Moves, in the per-step `matrix` (`levels` rows of `levels + 1` entries,
/// lane-last), each tunnel's stay to the next tunnel. Applying it twice
/// changes nothing more (a stay moved is zero).
pub(super) fn move_on<const W: usize>(model: &Model, matrix: &mut [[f64; W]]) {
    let n = model.levels.len() + 1;
    for t in &model.tunnels {
        let tunnels = t.levels();
        for k in tunnels.start..tunnels.end - 1 {
            let stay = std::mem::replace(&mut matrix[k * n + k], [0.0; W]);
            for (next, s) in matrix[k * n + k + 1].iter_mut().zip(stay) {
                *next += s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stay_moves_on_and_the_last_tunnel_holds() {
        let mut model = crate::scenario::load(std::path::Path::new("scenarios/hiv-cohort.toml"))
            .expect("the bundled example loads")
            .model;
        // A, B, C: B and C read as a level's two yearly tunnels.
        model.tunnels = vec![crate::model::Tunnel {
            name: "B".into(),
            first: 1,
            years: 2,
            steps: 1,
        }];
        let row = |a: f64, b: f64, c: f64, exit: f64| [[a; 1], [b; 1], [c; 1], [exit; 1]];
        let mut m: Vec<[f64; 1]> = [
            row(0.7, 0.2, 0.05, 0.05),
            row(0.0, 0.6, 0.3, 0.1),
            row(0.0, 0.0, 0.75, 0.25),
        ]
        .concat();
        move_on(&model, &mut m);
        let once = m.clone();
        assert_eq!(&m[4..8], &row(0.0, 0.0, 0.8999999999999999, 0.1)[..]);
        assert_eq!(&m[8..12], &row(0.0, 0.0, 0.75, 0.25)[..]);
        assert_eq!(&m[0..4], &row(0.7, 0.2, 0.05, 0.05)[..]);
        move_on(&model, &mut m);
        assert_eq!(m, once);
    }
}
