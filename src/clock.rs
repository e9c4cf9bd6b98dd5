//! The one clock. Domain code takes `now` as a value; services ask a `Clock`.
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Parses a shop's stored IANA zone name, falling back to UTC for anything unknown.
pub fn shop_tz(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The calendar date at `at` in the shop's time zone.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}
