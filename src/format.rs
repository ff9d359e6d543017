//! How numbers read in the terminal, the charts and the report: money in
//! millions (or, in the terminal's table, billions once a column reaches
//! one) with the currency's sign, people with thousands separators, rates as
//! percentages.

/// The currency's sign where one is well known, else its code and a space.
pub fn currency_prefix(currency: &str) -> String {
    match currency {
        "GBP" | "£" => "£".into(),
        "EUR" | "€" => "€".into(),
        "USD" | "$" => "$".into(),
        other => format!("{other} "),
    }
}

/// Money in millions with one decimal (e.g. `£12.3m`, `-£0.4m`).
pub fn money_millions(prefix: &str, x: f64) -> String {
    let m = x / 1e6;
    let sign = if m < -0.05 { "-" } else { "" };
    let tenths = (m.abs() * 10.0).round();
    format!(
        "{sign}{prefix}{}.{}m",
        people(tenths.div_euclid(10.0)),
        tenths.rem_euclid(10.0)
    )
}

/// The unit a column of money is shown in: millions with one decimal
/// (`£12.3m`), or, once a figure of the column reaches a billion, billions
/// (`£1.41bn`, `£842.8bn`) with two decimals below ten billion and one
/// above, so the largest figure keeps at least three significant digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyUnit {
    Millions,
    Billions { decimals: u8 },
}

impl MoneyUnit {
    /// The unit for a column holding `figures` (non-finite ones ignored).
    pub fn for_figures(figures: impl IntoIterator<Item = f64>) -> MoneyUnit {
        let largest = figures
            .into_iter()
            .filter(|x| x.is_finite())
            .fold(0.0, |m: f64, x| m.max(x.abs()));
        // From the figure that would read £1,000.0m in millions.
        if largest < 999.95e6 {
            MoneyUnit::Millions
        } else if largest < 9.995e9 {
            MoneyUnit::Billions { decimals: 2 }
        } else {
            MoneyUnit::Billions { decimals: 1 }
        }
    }

    /// `x` in this unit with the currency's sign.
    pub fn show(self, prefix: &str, x: f64) -> String {
        match self {
            MoneyUnit::Millions => money_millions(prefix, x),
            MoneyUnit::Billions { decimals } => {
                let scale = 10f64.powi(i32::from(decimals));
                let steps = (x.abs() / 1e9 * scale).round();
                let sign = if x < 0.0 && steps > 0.0 { "-" } else { "" };
                let whole = (steps / scale).trunc();
                let fraction = (steps - whole * scale) as u64;
                let width = usize::from(decimals);
                format!("{sign}{prefix}{}.{fraction:0width$}bn", people(whole))
            }
        }
    }
}

/// A rate as a percentage with at most two decimals (0.035 → `3.5`).
pub fn percent(rate: f64) -> String {
    let text = format!("{:.2}", rate * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A whole number with thousands separators, for people.
pub fn people(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Whether a summary metric is money (shown in millions of the currency):
/// spend, savings, investment, NPV and their differences.
pub fn is_money_metric(metric: &str) -> bool {
    const MONEY: [&str; 8] = [
        "npv",
        "spend",
        "gross_saving",
        "investment",
        "net_saving",
        "discounted_",
        "intervention_cost",
        "diff_spend",
    ];
    MONEY.iter().any(|m| metric.starts_with(m))
}

/// Money to the penny with thousands separators (`£1,425.31`).
pub fn money_exact(prefix: &str, x: f64) -> String {
    let pennies = (x.abs() * 100.0).round();
    let sign = if x < 0.0 && pennies > 0.0 { "-" } else { "" };
    format!(
        "{sign}{prefix}{}.{:02}",
        people((pennies / 100.0).trunc()),
        (pennies % 100.0) as u32
    )
}

/// A number in a few significant digits for reading (22516 → `22,516`,
/// 0.0351 → `0.0351`, 42 → `42`).
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.abs() >= 1000.0 {
        return people(x);
    }
    let text = format!("{:.4}", x);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" || text.is_empty() {
        "0".into()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(people(1234567.4), "1,234,567");
        assert_eq!(people(-999.6), "-1,000");
        assert_eq!(money_millions("£", 12_345_678.0), "£12.3m");
        assert_eq!(money_millions("£", -2_500_000.0), "-£2.5m");
        assert_eq!(money_millions("£", 1_387_249_000.0), "£1,387.2m");
        assert_eq!(money_millions("£", 49_990.0), "£0.0m");
        assert_eq!(percent(0.035), "3.5");
        assert_eq!(percent(0.0), "0");
        assert_eq!(short(22516.4), "22,516");
        assert_eq!(money_exact("£", 1425.314), "£1,425.31");
        assert_eq!(money_exact("£", -0.004), "£0.00");
        assert_eq!(money_exact("£", 130.5154), "£130.52");
        assert_eq!(short(0.0351), "0.0351");
        assert_eq!(short(42.0), "42");
        assert_eq!(short(-0.00001), "0");
    }

    #[test]
    fn money_in_billions_once_a_figure_reaches_one() {
        let unit = MoneyUnit::for_figures([12e6, -999.9e6]);
        assert_eq!(unit, MoneyUnit::Millions);
        assert_eq!(unit.show("£", -999.9e6), "-£999.9m");
        let unit = MoneyUnit::for_figures([1_387_249_000.0, 7.7e6, f64::NAN]);
        assert_eq!(unit, MoneyUnit::Billions { decimals: 2 });
        assert_eq!(unit.show("£", 1_387_249_000.0), "£1.39bn");
        assert_eq!(unit.show("£", 7.7e6), "£0.01bn");
        assert_eq!(unit.show("£", -2e6), "£0.00bn");
        let unit = MoneyUnit::for_figures([842_789.0e6, -7_282.7e6]);
        assert_eq!(unit, MoneyUnit::Billions { decimals: 1 });
        assert_eq!(unit.show("£", 1_278_666.9e6), "£1,278.7bn");
        assert_eq!(unit.show("£", -7_282.7e6), "-£7.3bn");
        assert_eq!(unit.show("£", -942.6e6), "-£0.9bn");
        assert_eq!(MoneyUnit::for_figures([999.96e6]).show("£", 999.96e6), "£1.00bn");
    }
}
