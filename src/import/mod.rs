//! Importers for the official files a planner downloads to start a model of
//! their own area: ONS sub-national population projections and mid-year
//! estimates (`ons`), area lookups (`lookup`), and OHID Fingertips
//! indicators (`fingertips`); the mapping of single years of age onto a
//! model's bands (`bands`); and the starter scenario `upstream new` writes
//! from them (`starter`). Nothing here reads the network: the files are the
//! user's. Every problem names the file, the row, what is wrong and what
//! would be valid.
//!
//! Years: ONS figures are for 30 June of each year (mid-year). A starter
//! model's `start_year` is the estimates' year and each model year is read
//! as running from that mid-year point; the projection's `2025` column is
//! the projection table's year 2025.

pub mod bands;
pub mod fingertips;
pub mod lookup;
pub mod need;
pub mod ons;
mod reader;
pub mod starter;

/// Where a number or table came from, as a scenario file's `source`,
/// `vintage` and `licence` keys carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Provenance {
    /// The publisher and dataset, e.g. "ONS, subnational population projections for England".
    pub source: String,
    /// The release, e.g. "2022-based" or "mid-2023, 2023 boundaries".
    pub vintage: String,
    /// e.g. "Open Government Licence v3.0".
    pub licence: String,
}

/// The licence of ONS and OHID releases.
pub const OGL: &str = "Open Government Licence v3.0";

/// The last single year of age in the ONS files; it stands for that age and over.
pub const OPEN_AGE: usize = 90;

/// Whether `code` has the form of a GSS area code (a letter E, W, S or N
/// and eight digits, e.g. `E06000019`); `Err` says what is wrong.
pub fn check_code(code: &str) -> Result<(), String> {
    let mut chars = code.chars();
    let letter_ok = chars.next().is_some_and(|c| matches!(c, 'E' | 'W' | 'S' | 'N'));
    let digits: Vec<char> = chars.collect();
    if letter_ok && digits.len() == 8 && digits.iter().all(char::is_ascii_digit) {
        Ok(())
    } else {
        Err(format!(
            "`{code}` is not an area code: a GSS code is a capital letter (E, W, S or N) and eight digits, e.g. E06000019"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_are_a_letter_and_eight_digits() {
        assert!(check_code("E06000019").is_ok());
        assert!(check_code("W06000015").is_ok());
        for bad in ["E0600001", "e06000019", "X06000019", "E06000O19", "", "E060000190"] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }
}
