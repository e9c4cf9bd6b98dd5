//! Arrival ranges as shoppers read them in their language: "Arrives Mar 25–28",
//! "Arriva 25–28 mar", "Arrive du 25 au 28 mars". Month names and sentence
//! shapes live in the locale files.
use crate::i18n::{t, tf};
use chrono::{Datelike, NaiveDate};

fn month(locale: &str, date: NaiveDate) -> String {
    t(locale, &format!("date.month_short.{}", date.month()))
}

/// The sentence for an arrival between `earliest` and `latest`.
pub fn arrival_text(locale: &str, earliest: NaiveDate, latest: NaiveDate) -> String {
    let day = |d: NaiveDate| d.day().to_string();
    if earliest == latest {
        return tf(
            locale,
            "delivery.arrives_on",
            &[("day", &day(earliest)), ("month", &month(locale, earliest))],
        );
    }
    let key = if earliest.year() == latest.year() && earliest.month() == latest.month() {
        "delivery.arrives_same_month"
    } else {
        "delivery.arrives_across_months"
    };
    tf(
        locale,
        key,
        &[
            ("from", &day(earliest)),
            ("to", &day(latest)),
            ("month", &month(locale, latest)),
            ("from_month", &month(locale, earliest)),
            ("to_month", &month(locale, latest)),
        ],
    )
}

/// One day as people write it: "Mar 25", "25 mar", "25 mars".
pub fn date_text(locale: &str, date: NaiveDate) -> String {
    tf(
        locale,
        "date.day_month",
        &[
            ("day", &date.day().to_string()),
            ("month", &month(locale, date)),
        ],
    )
}

/// "Order within 3 h 20 min" for the time left before the cutoff.
pub fn cutoff_text(locale: &str, hours: i64, minutes: i64) -> String {
    if hours >= 24 {
        return String::new();
    }
    if hours == 0 {
        return tf(
            locale,
            "delivery.order_within_minutes",
            &[("minutes", &minutes.to_string())],
        );
    }
    tf(
        locale,
        "delivery.order_within",
        &[
            ("hours", &hours.to_string()),
            ("minutes", &minutes.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    #[test]
    fn ranges_read_naturally_in_each_language() {
        assert_eq!(arrival_text("en", d(3, 25), d(3, 28)), "Arrives Mar 25–28");
        assert_eq!(arrival_text("it", d(3, 25), d(3, 28)), "Arriva 25–28 mar");
        assert_eq!(
            arrival_text("fr", d(3, 25), d(3, 28)),
            "Arrive du 25 au 28 mars"
        );
    }

    #[test]
    fn ranges_across_months_name_both() {
        assert_eq!(
            arrival_text("en", d(3, 30), d(4, 2)),
            "Arrives Mar 30 – Apr 2"
        );
        assert_eq!(
            arrival_text("it", d(3, 30), d(4, 2)),
            "Arriva 30 mar – 2 apr"
        );
        assert_eq!(
            arrival_text("fr", d(3, 30), d(4, 2)),
            "Arrive du 30 mars au 2 avril"
        );
    }

    #[test]
    fn a_single_day_is_said_once() {
        assert_eq!(arrival_text("en", d(12, 1), d(12, 1)), "Arrives Dec 1");
        assert_eq!(arrival_text("it", d(12, 1), d(12, 1)), "Arriva il 1 dic");
        assert_eq!(
            arrival_text("fr", d(12, 1), d(12, 1)),
            "Arrive le 1 décembre"
        );
    }

    #[test]
    fn cutoff_counts_down() {
        assert_eq!(cutoff_text("en", 3, 20), "Order within 3 h 20 min");
        assert_eq!(cutoff_text("it", 0, 45), "Ordina entro 45 min");
        assert_eq!(cutoff_text("fr", 1, 5), "Commandez dans les 1 h 5 min");
        assert_eq!(cutoff_text("en", 30, 0), "");
    }
}
