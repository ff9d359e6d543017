//! Single years of age onto a model's bands. A band `[lower, upper)` takes
//! the ages `lower` to `upper − 1`; an open last band takes every age from
//! its `lower`, "90 and over" included. The ONS files stop at "90 and
//! over", so a closed band cannot reach past 90 and an open one cannot
//! start past it. A band that starts before birth (the early-years
//! antenatal band, from −0.75) is taken as that many years of births:
//! its people are `−lower` × the people aged 0 (its ages 0 and over as
//! usual). Band bounds must be whole years otherwise.

use super::OPEN_AGE;
use super::ons::Ages;

/// A model's band, as `[[bands]]` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub name: String,
    pub lower: f64,
    pub upper: Option<f64>,
}

/// The people of each band, or what about the ages is wrong (for a message
/// that names the file, area and year).
pub fn band_totals(ages: &Ages, bands: &[Band]) -> Result<Vec<f64>, String> {
    bands.iter().map(|b| band_total(ages, b)).collect()
}

fn band_total(ages: &Ages, band: &Band) -> Result<f64, String> {
    let whole = |x: f64| x.fract() == 0.0;
    let before_birth = (-band.lower).max(0.0);
    let first = band.lower.max(0.0);
    if !whole(first) || band.upper.is_some_and(|u| !whole(u)) {
        return Err(format!(
            "band `{}` does not start and end on whole years of age; the files give single years",
            band.name
        ));
    }
    let first = first as usize;
    let last = match band.upper {
        Some(u) if u <= 0.0 => None,
        Some(u) if u as usize > OPEN_AGE => {
            return Err(format!(
                "ages do not cover band `{}`: it needs single ages up to {}, but the files stop at `90 and over`; make the last band open (no `upper`) from 90 or younger",
                band.name,
                u - 1.0
            ));
        }
        Some(u) => Some(u as usize - 1),
        None if first > OPEN_AGE => {
            return Err(format!(
                "ages do not cover band `{}`: it starts at {first}, but the files give `90 and over` as one age; start the last band at 90 or younger",
                band.name
            ));
        }
        None => Some(OPEN_AGE),
    };
    let mut total = 0.0;
    let age = |a: usize| {
        ages[a].ok_or_else(|| {
            let label = if a == OPEN_AGE {
                "`90 and over`".to_string()
            } else {
                format!("age {a}")
            };
            format!(
                "ages do not cover band `{}`: the file has no row for {label}",
                band.name
            )
        })
    };
    if before_birth > 0.0 {
        total += before_birth * age(0)?;
    }
    if let Some(last) = last {
        for a in first..=last {
            total += age(a)?;
        }
    }
    Ok(total)
}

/// People entering the first band in a year: the single-year cohort just
/// below it (aged `lower − 1`, turning `lower`), or for a first band from
/// birth or before, a year of births (the people aged 0).
pub fn entering(ages: &Ages, first: &Band) -> Result<f64, String> {
    let age = if first.lower >= 1.0 {
        first.lower as usize - 1
    } else {
        0
    };
    ages.get(age).copied().flatten().ok_or_else(|| {
        format!(
            "the file has no row for age {age}, the people entering band `{}`",
            first.name
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(name: &str, lower: f64, upper: Option<f64>) -> Band {
        Band {
            name: name.into(),
            lower,
            upper,
        }
    }

    #[test]
    fn single_ages_sum_into_bands_and_ninety_and_over_into_the_open_one() {
        let ages: Ages = (0..=OPEN_AGE).map(|a| Some(a as f64)).collect();
        let bands = [band("50-64", 50.0, Some(65.0)), band("85+", 85.0, None)];
        let totals = band_totals(&ages, &bands).unwrap();
        assert_eq!(
            totals,
            vec![(50..65).sum::<usize>() as f64, (85..=90).sum::<usize>() as f64]
        );
    }

    #[test]
    fn a_band_before_birth_is_years_of_births() {
        let ages: Ages = (0..=OPEN_AGE).map(|_| Some(100.0)).collect();
        let totals = band_totals(
            &ages,
            &[band("antenatal", -0.75, Some(0.0)), band("3-5", 3.0, Some(5.0))],
        )
        .unwrap();
        assert_eq!(totals, vec![75.0, 200.0]);
    }

    #[test]
    fn bands_past_ninety_or_missing_ages_are_refused() {
        let mut ages: Ages = (0..=OPEN_AGE).map(|_| Some(1.0)).collect();
        assert!(
            band_totals(&ages, &[band("90-94", 90.0, Some(95.0))])
                .unwrap_err()
                .contains("make the last band open")
        );
        assert!(
            band_totals(&ages, &[band("95+", 95.0, None)])
                .unwrap_err()
                .contains("start the last band at 90")
        );
        ages[OPEN_AGE] = None;
        assert_eq!(
            band_totals(&ages, &[band("85+", 85.0, None)]).unwrap_err(),
            "ages do not cover band `85+`: the file has no row for `90 and over`"
        );
    }
}
