//! Periods and months in the shop's time zone: a period is a span of local
//! days (both ends included); a month is a calendar month of the shop's clock.
use crate::flows::rules::local_time;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use chrono_tz::Tz;

/// The longest period one request may ask for.
pub const MAX_DAYS: i64 = 3 * 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(at: DateTime<Utc>, tz: Tz) -> Month {
        let local = at.with_timezone(&tz);
        Month {
            year: local.year(),
            month: local.month(),
        }
    }

    pub fn of_date(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// `YYYY-MM`.
    pub fn parse(key: &str) -> Option<Month> {
        let (y, m) = key.split_once('-')?;
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        (y.len() == 4 && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Whole months from `self` to `later` (negative when `later` is earlier).
    pub fn months_until(self, later: Month) -> i32 {
        (later.year - self.year) * 12 + later.month as i32 - self.month as i32
    }

    /// Local midnight on the 1st, in UTC.
    pub fn start_utc(self, tz: Tz) -> DateTime<Utc> {
        local_time(self.first_day(), 0, tz)
    }

    /// Local midnight on the 1st of the next month, in UTC.
    pub fn end_utc(self, tz: Tz) -> DateTime<Utc> {
        self.next().start_utc(tz)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`{0}` is not a date (YYYY-MM-DD)")]
    NotADate(String),
    #[error("`from` is after `to`")]
    Reversed,
    #[error("a period may span at most {MAX_DAYS} days")]
    TooLong,
}

impl PeriodError {
    /// The locale key saying what is wrong, for the merchant's pages.
    pub fn key(&self) -> &'static str {
        match self {
            PeriodError::NotADate(_) => "metrics.error.not_a_date",
            PeriodError::Reversed => "metrics.error.reversed",
            PeriodError::TooLong => "metrics.error.too_long",
        }
    }
}

impl Period {
    /// From the 1st of the month eleven months ago to today: twelve calendar months.
    pub fn last_twelve_months(now: DateTime<Utc>, tz: Tz) -> Period {
        let today = now.with_timezone(&tz).date_naive();
        let this_month = Month::of_date(today).first_day();
        Period {
            from: this_month
                .checked_sub_months(Months::new(11))
                .unwrap_or(this_month),
            to: today,
        }
    }

    /// The query's `from` and `to` (either may be missing: the default fills it).
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        now: DateTime<Utc>,
        tz: Tz,
    ) -> Result<Period, PeriodError> {
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .filter(|d| (2000..=2100).contains(&d.year()))
                .ok_or_else(|| PeriodError::NotADate(s.to_owned()))
        };
        let default = Period::last_twelve_months(now, tz);
        let to = to.map(date).transpose()?.unwrap_or(default.to);
        let from = match from {
            Some(f) => date(f)?,
            None => Month::of_date(to)
                .first_day()
                .checked_sub_months(Months::new(11))
                .unwrap_or(to),
        };
        if from > to {
            return Err(PeriodError::Reversed);
        }
        if (to - from).num_days() > MAX_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(Period { from, to })
    }

    pub fn start_utc(&self, tz: Tz) -> DateTime<Utc> {
        local_time(self.from, 0, tz)
    }

    /// Local midnight after the last day.
    pub fn end_utc(&self, tz: Tz) -> DateTime<Utc> {
        local_time(self.to.succ_opt().unwrap_or(self.to), 0, tz)
    }

    /// The calendar months the period touches, oldest first.
    pub fn months(&self) -> Vec<Month> {
        let last = Month::of_date(self.to);
        let mut out = Vec::new();
        let mut m = Month::of_date(self.from);
        while m <= last {
            out.push(m);
            m = m.next();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_are_local() {
        let rome: Tz = "Europe/Rome".parse().unwrap();
        // 23:30 UTC on 31 January is already February in Rome.
        let at = Utc.with_ymd_and_hms(2026, 1, 31, 23, 30, 0).unwrap();
        assert_eq!(Month::of(at, rome).key(), "2026-02");
        assert_eq!(Month::of(at, chrono_tz::UTC).key(), "2026-01");
        assert_eq!(
            Month {
                year: 2026,
                month: 2
            }
            .start_utc(rome),
            Utc.with_ymd_and_hms(2026, 1, 31, 23, 0, 0).unwrap()
        );
    }

    #[test]
    fn periods_parse_and_default() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        let p = Period::parse(None, None, now, chrono_tz::UTC).unwrap();
        assert_eq!(p.from, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(p.to, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(p.months().len(), 12);
        assert_eq!(
            Period::parse(Some("2026-03-02"), Some("2026-03-01"), now, chrono_tz::UTC),
            Err(PeriodError::Reversed)
        );
        assert!(matches!(
            Period::parse(Some("March"), None, now, chrono_tz::UTC),
            Err(PeriodError::NotADate(_))
        ));
        assert_eq!(
            Period::parse(Some("2020-01-01"), Some("2026-01-01"), now, chrono_tz::UTC),
            Err(PeriodError::TooLong)
        );
        assert!(matches!(
            Period::parse(Some("-262144-01-01"), None, now, chrono_tz::UTC),
            Err(PeriodError::NotADate(_))
        ));
        assert_eq!(Month::parse("2026-13"), None);
        assert_eq!(
            Month {
                year: 2025,
                month: 11
            }
            .months_until(Month {
                year: 2026,
                month: 2
            }),
            3
        );
    }
}
