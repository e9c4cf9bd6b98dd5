//! The flows' arithmetic, pure: when a lapse begins (learned from the shop's
//! own time to a second purchase), who counts as high-value or top spender,
//! when an anniversary falls, and the local morning a timed email waits for.
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Below this many repeat customers the shop's own median says little.
pub const MIN_REPEAT_SAMPLE: usize = 20;
/// The lapse window when it cannot be learned yet.
pub const DEFAULT_LAPSE_DAYS: u32 = 60;

/// The median of `days` (each customer's days from first to second order).
pub fn median(days: &mut [i64]) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let mid = days.len() / 2;
    Some(if days.len().is_multiple_of(2) {
        (days[mid - 1] + days[mid]) as f64 / 2.0
    } else {
        days[mid] as f64
    })
}

/// The lapse window learned from the days to a second purchase: a customer
/// is lapsing once they have waited half again as long as the shop's typical
/// repeat buyer (1.5 × the median), kept between 21 and 180 days. With too
/// few repeat customers to learn from, the default.
pub fn learned_lapse_days(days_to_second: &mut [i64]) -> u32 {
    if days_to_second.len() < MIN_REPEAT_SAMPLE {
        return DEFAULT_LAPSE_DAYS;
    }
    let median = median(days_to_second).unwrap_or(f64::from(DEFAULT_LAPSE_DAYS));
    (median * 1.5).round().clamp(21.0, 180.0) as u32
}

/// The spend at or above which a customer is in the top `percent` of
/// `spends` (minor units, one per customer); None with no spenders.
pub fn top_threshold(spends: &mut [i64], percent: u32) -> Option<i64> {
    if spends.is_empty() || percent == 0 {
        return None;
    }
    spends.sort_unstable_by(|a, b| b.cmp(a));
    // At least one customer is in any top share.
    let n = ((spends.len() as f64) * f64::from(percent) / 100.0).ceil() as usize;
    spends.get(n.clamp(1, spends.len()) - 1).copied()
}

/// True when `today` is a whole number of years (≥ 1) after `first`
/// (29 February is celebrated on the 28th in common years).
pub fn is_anniversary(first: NaiveDate, today: NaiveDate) -> bool {
    let years = today.year() - first.year();
    if years < 1 {
        return false;
    }
    match first.with_year(today.year()) {
        Some(same_day) => same_day == today,
        None => first.month() == 2 && first.day() == 29 && today.month() == 2 && today.day() == 28,
    }
}

/// `hour`:00 on `date` in the shop's zone, in UTC (an hour later if a
/// daylight-saving gap swallows it).
pub fn local_time(date: NaiveDate, hour: u32, tz: Tz) -> DateTime<Utc> {
    let at = date.and_time(NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or_default());
    tz.from_local_datetime(&at)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(at + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| at.and_utc())
}

/// Whole days between two instants, never negative.
pub fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days().max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_lapse_window_is_learned_from_enough_repeat_buyers() {
        assert_eq!(learned_lapse_days(&mut [10, 20, 30]), DEFAULT_LAPSE_DAYS);
        let mut days: Vec<i64> = (0..21).map(|i| 20 + i * 2).collect(); // median 40
        assert_eq!(learned_lapse_days(&mut days), 60);
        let mut fast = vec![3; 25];
        assert_eq!(
            learned_lapse_days(&mut fast),
            21,
            "never shorter than three weeks"
        );
        let mut slow = vec![300; 25];
        assert_eq!(learned_lapse_days(&mut slow), 180);
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn top_spenders_are_at_or_above_the_threshold() {
        let mut spends: Vec<i64> = (1..=100).collect();
        assert_eq!(top_threshold(&mut spends, 5), Some(96));
        assert_eq!(top_threshold(&mut [7, 3], 5), Some(7), "one at least");
        assert_eq!(top_threshold(&mut [], 5), None);
    }

    #[test]
    fn anniversaries_fall_on_the_day_each_year() {
        assert!(is_anniversary(d("2025-03-14"), d("2026-03-14")));
        assert!(
            !is_anniversary(d("2026-03-14"), d("2026-03-14")),
            "not the day itself"
        );
        assert!(!is_anniversary(d("2025-03-14"), d("2026-03-15")));
        assert!(is_anniversary(d("2024-02-29"), d("2025-02-28")));
        assert!(is_anniversary(d("2024-02-29"), d("2028-02-29")));
    }

    #[test]
    fn local_mornings_follow_the_shops_zone() {
        let rome: Tz = "Europe/Rome".parse().expect("zone");
        assert_eq!(
            local_time(d("2026-12-03"), 10, rome).to_rfc3339(),
            "2026-12-03T09:00:00+00:00"
        );
        assert_eq!(
            local_time(d("2026-07-03"), 10, rome).to_rfc3339(),
            "2026-07-03T08:00:00+00:00"
        );
    }
}
