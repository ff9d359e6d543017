//! The three CSV files the SAVI web tool (Sheffield Accelerated Value of
//! Information, savi.shef.ac.uk) reads, so that its EVPPI can be checked
//! against ours or taken further: the parameters (one column per
//! parameter), the costs and the effects (one column per strategy, the
//! comparator first); each with a header row of names and then one row per
//! draw, in the same order in all three. Numbers are written in Rust's
//! shortest form that reads back to the same value; names are quoted where
//! CSV needs it.

use super::{EconomicsError, Parameters, Psa};
use std::io::Write;

/// The three files' text.
#[derive(Debug, Clone, PartialEq)]
pub struct SaviFiles {
    /// `parameters.csv`: one column per parameter.
    pub parameters: String,
    /// `costs.csv`: one column per strategy.
    pub costs: String,
    /// `effects.csv`: one column per strategy (QALYs).
    pub effects: String,
}

/// The three files of `psa` and the `parameters` drawn with it.
pub fn savi_files(psa: &Psa, parameters: &Parameters) -> Result<SaviFiles, EconomicsError> {
    if parameters.draws() != psa.draws() {
        return Err(EconomicsError::Draws {
            parameters: parameters.draws(),
            psa: psa.draws(),
        });
    }
    let text = |write: &dyn Fn(&mut Vec<u8>) -> Result<(), EconomicsError>| {
        let mut out = Vec::new();
        write(&mut out)?;
        String::from_utf8(out).map_err(|e| EconomicsError::Write(e.to_string()))
    };
    Ok(SaviFiles {
        parameters: text(&|out| {
            write_matrix(out, parameters.names(), parameters.draws(), |d, p| {
                parameters.value(d, p)
            })
        })?,
        costs: text(&|out| write_matrix(out, psa.names(), psa.draws(), |d, s| psa.cost(d, s)))?,
        effects: text(&|out| write_matrix(out, psa.names(), psa.draws(), |d, s| psa.effect(d, s)))?,
    })
}

/// One of SAVI's files to `out`: a header of `names`, then `draws` rows of
/// `value(draw, column)`.
pub fn write_matrix(
    out: impl Write,
    names: &[String],
    draws: usize,
    value: impl Fn(usize, usize) -> f64,
) -> Result<(), EconomicsError> {
    let error = |e: csv::Error| EconomicsError::Write(e.to_string());
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(names).map_err(error)?;
    for d in 0..draws {
        csv.write_record((0..names.len()).map(|c| value(d, c).to_string()))
            .map_err(error)?;
    }
    csv.flush().map_err(|e| EconomicsError::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_files_one_row_per_draw_in_the_same_order() {
        let psa = Psa::new(
            vec!["do nothing".into(), "falls, reablement".into()],
            &[vec![0.0, 1_234.5], vec![10.0, 0.1 + 0.2]],
            &[vec![0.0, 0.05], vec![1.0, 1e-7]],
        )
        .unwrap();
        let parameters = Parameters::new(
            vec!["p_fall".into(), "cost \"visit\"".into()],
            &[vec![0.2, 35.0], vec![0.25, 40.0]],
        )
        .unwrap();
        let files = savi_files(&psa, &parameters).unwrap();
        assert_eq!(files.parameters, "p_fall,\"cost \"\"visit\"\"\"\n0.2,35\n0.25,40\n");
        assert_eq!(
            files.costs,
            "do nothing,\"falls, reablement\"\n0,1234.5\n10,0.30000000000000004\n"
        );
        assert_eq!(files.effects, "do nothing,\"falls, reablement\"\n0,0.05\n1,0.0000001\n");
        // Every number reads back exactly.
        let back: f64 = files
            .costs
            .lines()
            .nth(2)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(back, 0.1 + 0.2);
        let one = Parameters::new(vec!["x".into()], &[vec![1.0]]).unwrap();
        assert_eq!(
            savi_files(&psa, &one),
            Err(EconomicsError::Draws { parameters: 1, psa: 2 })
        );
    }
}
