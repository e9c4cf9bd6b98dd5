//! Money is an integer count of the currency's minor unit, never a float.
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Money {
    pub minor: i64,
    pub currency: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("`{0}` is not a decimal amount")]
    NotAnAmount(String),
    #[error("`{0}` is not an ISO 4217 currency code")]
    BadCurrency(String),
}

/// Digits after the decimal point for an ISO 4217 currency.
pub fn minor_unit_digits(currency: &str) -> u32 {
    match currency {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

impl Money {
    pub fn new(minor: i64, currency: &str) -> Self {
        Money {
            minor,
            currency: currency.to_owned(),
        }
    }

    /// Parses the platform's decimal strings ("199.90") exactly; digits beyond
    /// the currency's precision are rounded half away from zero.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(MoneyError::BadCurrency(currency.to_owned()));
        }
        let bad = || MoneyError::NotAnAmount(amount.to_owned());
        let text = amount.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let scale = minor_unit_digits(currency) as usize;
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut kept: String = frac.chars().take(scale).collect();
        while kept.len() < scale {
            kept.push('0');
        }
        let kept: i64 = if kept.is_empty() {
            0
        } else {
            kept.parse().map_err(|_| bad())?
        };
        let round_up = frac.as_bytes().get(scale).is_some_and(|d| *d >= b'5');
        let minor = whole
            .checked_mul(10i64.pow(scale as u32))
            .and_then(|m| m.checked_add(kept + i64::from(round_up)))
            .ok_or_else(bad)?;
        Ok(Money::new(if negative { -minor } else { minor }, currency))
    }

    /// The amount with its currency, as emails and pages show it ("199.90 EUR").
    pub fn with_currency(&self) -> String {
        format!("{} {}", self.to_decimal_string(), self.currency)
    }

    /// The amount as the platform writes it ("199.90").
    pub fn to_decimal_string(&self) -> String {
        let scale = minor_unit_digits(&self.currency);
        if scale == 0 {
            return self.minor.to_string();
        }
        let factor = 10i64.pow(scale);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / factor as u64,
            abs % factor as u64,
            width = scale as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_decimal_currencies_exactly() {
        assert_eq!(Money::parse("199.90", "EUR").map(|m| m.minor), Ok(19990));
        assert_eq!(Money::parse("0.1", "USD").map(|m| m.minor), Ok(10));
        assert_eq!(Money::parse("12", "USD").map(|m| m.minor), Ok(1200));
        assert_eq!(Money::parse("-3.50", "USD").map(|m| m.minor), Ok(-350));
    }

    #[test]
    fn respects_currency_precision() {
        assert_eq!(Money::parse("1500", "JPY").map(|m| m.minor), Ok(1500));
        assert_eq!(Money::parse("1.234", "KWD").map(|m| m.minor), Ok(1234));
        assert_eq!(Money::parse("1.005", "USD").map(|m| m.minor), Ok(101));
    }

    #[test]
    fn rejects_garbage() {
        assert!(Money::parse("abc", "USD").is_err());
        assert!(Money::parse("1.2.3", "USD").is_err());
        assert!(Money::parse("", "USD").is_err());
        assert!(Money::parse("1.00", "usd").is_err());
        assert!(Money::parse("99999999999999999999", "USD").is_err());
    }

    #[test]
    fn formats_back() {
        assert_eq!(Money::new(19990, "EUR").to_decimal_string(), "199.90");
        assert_eq!(Money::new(-5, "USD").to_decimal_string(), "-0.05");
        assert_eq!(Money::new(1500, "JPY").to_decimal_string(), "1500");
    }
}
