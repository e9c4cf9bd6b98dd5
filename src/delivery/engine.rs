//! The delivery-date engine: when an order placed `now` arrives, from the
//! supplier's processing days (average and worst), the order cutoff in the
//! shop's time zone, the days the supplier ships, the shop's holidays, the
//! transit range to the destination zone and an under-promise buffer. Pure:
//! no database, no clock. The promise is honest: its latest date comes from
//! the worst case plus the buffer, never from the average.
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What one supplier promises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supplier {
    pub key: String,
    pub name: String,
    /// Working days from order to dispatch, usually and at worst.
    pub processing_days_avg: u32,
    pub processing_days_worst: u32,
    /// Orders after this local time count from the next working day.
    pub cutoff: NaiveTime,
    /// Days the supplier dispatches (Monday = 1 … Sunday = 7).
    pub working_days: Vec<u8>,
    /// Transit per zone key; a zone missing here uses `rest_of_world`.
    pub transit: Vec<ZoneTransit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneTransit {
    pub zone: String,
    pub min_days: u32,
    pub max_days: u32,
}

/// A destination zone: a named list of ISO country codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Zone {
    pub key: String,
    pub name: String,
    pub countries: Vec<String>,
}

pub const REST_OF_WORLD: &str = "rest_of_world";

/// The earliest and latest arrival, and what they were built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    pub earliest: NaiveDate,
    pub latest: NaiveDate,
    /// The worst-case dispatch day.
    pub dispatch_by: NaiveDate,
    /// The instant the current cutoff passes: "order within …" counts down to it.
    pub cutoff_at: Option<DateTime<Utc>>,
    pub zone: String,
}

/// Where an order ships from and to, and the calendar around it.
#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    pub tz: Tz,
    pub holidays: &'a [NaiveDate],
    pub buffer_days: u32,
}

/// The zone a country belongs to, else the rest of the world.
pub fn zone_of<'a>(zones: &'a [Zone], country: &str) -> &'a str {
    let country = country.trim().to_ascii_uppercase();
    zones
        .iter()
        .find(|z| z.countries.iter().any(|c| c.eq_ignore_ascii_case(&country)))
        .map_or(REST_OF_WORLD, |z| z.key.as_str())
}

impl Supplier {
    fn ships_on(&self, day: NaiveDate, holidays: &[NaiveDate]) -> bool {
        let weekday = day.weekday().number_from_monday() as u8;
        self.working_days.contains(&weekday) && !holidays.contains(&day)
    }

    /// The next day (from `day` on) the supplier works, within a year.
    fn next_working_day(&self, mut day: NaiveDate, holidays: &[NaiveDate]) -> Option<NaiveDate> {
        for _ in 0..366 {
            if self.ships_on(day, holidays) {
                return Some(day);
            }
            day = day.succ_opt()?;
        }
        None
    }

    /// `n` working days after `day` (a working day itself).
    fn add_working_days(
        &self,
        mut day: NaiveDate,
        n: u32,
        holidays: &[NaiveDate],
    ) -> Option<NaiveDate> {
        for _ in 0..n {
            day = self.next_working_day(day.succ_opt()?, holidays)?;
        }
        Some(day)
    }

    fn transit_to(&self, zone: &str) -> Option<&ZoneTransit> {
        self.transit
            .iter()
            .find(|t| t.zone == zone)
            .or_else(|| self.transit.iter().find(|t| t.zone == REST_OF_WORLD))
    }

    /// When an order placed at `now` to `zone` arrives.
    pub fn estimate(
        &self,
        now: DateTime<Utc>,
        zone: &str,
        calendar: Calendar<'_>,
    ) -> Option<Estimate> {
        let local = now.with_timezone(&calendar.tz);
        let today = local.date_naive();
        let before_cutoff = local.time() < self.cutoff;
        let counts_today = before_cutoff && self.ships_on(today, calendar.holidays);
        let first_day = if counts_today {
            today
        } else {
            self.next_working_day(today.succ_opt()?, calendar.holidays)?
        };
        let transit = self.transit_to(zone)?;
        let dispatch_avg =
            self.add_working_days(first_day, self.processing_days_avg, calendar.holidays)?;
        let worst = self.processing_days_worst.max(self.processing_days_avg);
        let dispatch_worst = self.add_working_days(first_day, worst, calendar.holidays)?;
        let earliest = add_carrier_days(dispatch_avg, transit.min_days)?;
        let latest = add_carrier_days(
            dispatch_worst,
            transit.max_days.max(transit.min_days) + calendar.buffer_days,
        )?;
        let cutoff_at = first_day
            .and_time(self.cutoff)
            .and_local_timezone(calendar.tz)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .filter(|t| *t > now);
        Some(Estimate {
            earliest,
            latest,
            dispatch_by: dispatch_worst,
            cutoff_at,
            zone: zone.to_owned(),
        })
    }
}

/// Carriers move parcels Monday to Saturday; nothing arrives on a Sunday.
fn add_carrier_days(mut day: NaiveDate, n: u32) -> Option<NaiveDate> {
    for _ in 0..n {
        day = day.succ_opt()?;
        if day.weekday() == Weekday::Sun {
            day = day.succ_opt()?;
        }
    }
    if day.weekday() == Weekday::Sun {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// The range an order with several items gets: it arrives when the last one does.
pub fn combine(estimates: &[Estimate]) -> Option<Estimate> {
    let mut all = estimates.iter();
    let first = all.next()?.clone();
    Some(all.fold(first, |acc, e| Estimate {
        earliest: acc.earliest.max(e.earliest),
        latest: acc.latest.max(e.latest),
        dispatch_by: acc.dispatch_by.max(e.dispatch_by),
        cutoff_at: match (acc.cutoff_at, e.cutoff_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        zone: acc.zone,
    }))
}

/// Whole days and minutes left until `cutoff`, for "order within 3 h 20 min".
pub fn time_left(now: DateTime<Utc>, cutoff: DateTime<Utc>) -> Option<(i64, i64)> {
    let left = cutoff - now;
    (left > Duration::zero()).then(|| (left.num_hours(), left.num_minutes() % 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn supplier() -> Supplier {
        Supplier {
            key: "shenzhen".into(),
            name: "Shenzhen Gadgets".into(),
            processing_days_avg: 1,
            processing_days_worst: 3,
            cutoff: NaiveTime::from_hms_opt(14, 0, 0).expect("time"),
            working_days: vec![1, 2, 3, 4, 5],
            transit: vec![
                ZoneTransit {
                    zone: "eu".into(),
                    min_days: 5,
                    max_days: 8,
                },
                ZoneTransit {
                    zone: REST_OF_WORLD.into(),
                    min_days: 10,
                    max_days: 15,
                },
            ],
        }
    }

    fn rome() -> Tz {
        "Europe/Rome".parse().expect("zone")
    }

    fn cal(holidays: &[NaiveDate], buffer: u32) -> Calendar<'_> {
        Calendar {
            tz: rome(),
            holidays,
            buffer_days: buffer,
        }
    }

    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        rome()
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .expect("local time")
            .with_timezone(&Utc)
    }

    #[test]
    fn before_the_cutoff_today_counts() {
        // Tuesday 10 March 2026, 13:59 in Rome.
        let e = supplier()
            .estimate(at(2026, 3, 10, 13, 59), "eu", cal(&[], 0))
            .expect("estimate");
        // Avg: dispatch Wed 11 + 5 carrier days = Tue 17 (Sunday skipped).
        assert_eq!(e.earliest, d(2026, 3, 17));
        // Worst: dispatch Fri 13 + 8 carrier days = Mon 23.
        assert_eq!(e.dispatch_by, d(2026, 3, 13));
        assert_eq!(e.latest, d(2026, 3, 23));
        assert_eq!(e.cutoff_at, Some(at(2026, 3, 10, 14, 0)));
    }

    #[test]
    fn after_the_cutoff_counts_from_the_next_working_day() {
        let before = supplier()
            .estimate(at(2026, 3, 10, 13, 59), "eu", cal(&[], 0))
            .expect("before");
        let after = supplier()
            .estimate(at(2026, 3, 10, 14, 0), "eu", cal(&[], 0))
            .expect("after");
        assert!(after.latest > before.latest);
        assert_eq!(after.dispatch_by, d(2026, 3, 16));
        assert_eq!(after.cutoff_at, Some(at(2026, 3, 11, 14, 0)));
    }

    #[test]
    fn cutoff_is_in_the_shop_time_zone() {
        // 13:30 UTC is 14:30 in Rome in March (UTC+1): already past the cutoff there.
        let utc_noonish = Utc.with_ymd_and_hms(2026, 3, 10, 13, 30, 0).unwrap();
        let e = supplier()
            .estimate(utc_noonish, "eu", cal(&[], 0))
            .expect("estimate");
        assert_eq!(e.dispatch_by, d(2026, 3, 16));
        let utc_calendar = Calendar {
            tz: Tz::UTC,
            holidays: &[],
            buffer_days: 0,
        };
        let e = supplier()
            .estimate(utc_noonish, "eu", utc_calendar)
            .expect("estimate");
        assert_eq!(e.dispatch_by, d(2026, 3, 13));
    }

    #[test]
    fn weekends_do_not_count_as_processing_days() {
        // Friday 13 March after the cutoff: processing starts Monday 16.
        let e = supplier()
            .estimate(at(2026, 3, 13, 18, 0), "eu", cal(&[], 0))
            .expect("estimate");
        assert_eq!(e.dispatch_by, d(2026, 3, 19));
        // Saturday morning: same as Friday evening.
        let sat = supplier()
            .estimate(at(2026, 3, 14, 9, 0), "eu", cal(&[], 0))
            .expect("estimate");
        assert_eq!(sat.dispatch_by, d(2026, 3, 19));
    }

    #[test]
    fn holidays_ship_nothing() {
        let holidays = [d(2026, 3, 11), d(2026, 3, 12)];
        let e = supplier()
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&holidays, 0))
            .expect("estimate");
        // Working days after Tue 10: Fri 13, Mon 16, Tue 17.
        assert_eq!(e.dispatch_by, d(2026, 3, 17));
        // An order placed on a holiday counts from the next working day.
        let on_holiday = supplier()
            .estimate(at(2026, 3, 11, 9, 0), "eu", cal(&holidays, 0))
            .expect("estimate");
        assert_eq!(on_holiday.dispatch_by, d(2026, 3, 18));
    }

    #[test]
    fn unknown_countries_fall_back_to_the_rest_of_the_world() {
        let zones = vec![Zone {
            key: "eu".into(),
            name: "Europe".into(),
            countries: vec!["IT".into(), "FR".into()],
        }];
        assert_eq!(zone_of(&zones, "fr"), "eu");
        assert_eq!(zone_of(&zones, "US"), REST_OF_WORLD);
        let mut s = supplier();
        s.transit.retain(|t| t.zone == REST_OF_WORLD);
        let e = s
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 0))
            .expect("falls back");
        assert_eq!(e.earliest, d(2026, 3, 23));
        s.transit.clear();
        assert!(
            s.estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 0))
                .is_none()
        );
    }

    #[test]
    fn the_promise_comes_from_the_worst_case_plus_the_buffer() {
        let plain = supplier()
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 0))
            .expect("plain");
        let buffered = supplier()
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 2))
            .expect("buffered");
        assert_eq!(plain.earliest, buffered.earliest);
        assert_eq!(buffered.latest, d(2026, 3, 25));
        let mut optimistic = supplier();
        optimistic.processing_days_worst = 0;
        // A worst case below the average is read as the average.
        let e = optimistic
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 0))
            .expect("estimate");
        assert!(e.latest >= e.earliest);
        assert_eq!(e.dispatch_by, d(2026, 3, 11));
    }

    #[test]
    fn dst_change_days_keep_the_local_cutoff() {
        // Sunday 29 March 2026 clocks go forward in Rome; Monday 30 at 13:59 local is 11:59 UTC.
        let s = supplier();
        let monday = s
            .estimate(at(2026, 3, 30, 13, 59), "eu", cal(&[], 0))
            .expect("estimate");
        assert_eq!(
            monday.cutoff_at,
            Some(Utc.with_ymd_and_hms(2026, 3, 30, 12, 0, 0).unwrap())
        );
        assert_eq!(monday.dispatch_by, d(2026, 4, 2));
        // Sunday 25 October 2026 clocks go back (02:30 happens twice); an order that
        // night, 01:30 UTC, counts from Monday, whose cutoff is 13:00 UTC in winter time.
        let night = Utc.with_ymd_and_hms(2026, 10, 25, 1, 30, 0).unwrap();
        let sunday = s.estimate(night, "eu", cal(&[], 0)).expect("estimate");
        assert_eq!(sunday.dispatch_by, d(2026, 10, 29));
        assert_eq!(
            sunday.cutoff_at,
            Some(Utc.with_ymd_and_hms(2026, 10, 26, 13, 0, 0).unwrap())
        );
    }

    #[test]
    fn year_end_rolls_over_with_its_holidays() {
        let holidays = [d(2026, 12, 25), d(2026, 12, 26), d(2027, 1, 1)];
        let e = supplier()
            .estimate(at(2026, 12, 24, 15, 0), "eu", cal(&holidays, 0))
            .expect("estimate");
        // After the cutoff on the 24th: working days Mon 28, Tue 29, Wed 30, Thu 31.
        assert_eq!(e.dispatch_by, d(2026, 12, 31));
        // + 8 carrier days over New Year: Jan 1,2,(3 Sun skipped)4,5,6,7,8,9.
        assert_eq!(e.latest, d(2027, 1, 9));
        assert_eq!(e.latest.year(), 2027);
    }

    #[test]
    fn nothing_arrives_on_a_sunday() {
        assert_eq!(add_carrier_days(d(2026, 3, 14), 0), Some(d(2026, 3, 14)));
        assert_eq!(add_carrier_days(d(2026, 3, 14), 1), Some(d(2026, 3, 16)));
        assert_eq!(add_carrier_days(d(2026, 3, 15), 0), Some(d(2026, 3, 16)));
    }

    #[test]
    fn an_order_arrives_with_its_slowest_item() {
        let fast = supplier()
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 0))
            .expect("fast");
        let mut slow_supplier = supplier();
        slow_supplier.processing_days_worst = 6;
        let slow = slow_supplier
            .estimate(at(2026, 3, 10, 9, 0), "eu", cal(&[], 0))
            .expect("slow");
        let both = combine(&[fast.clone(), slow.clone()]).expect("combined");
        assert_eq!(both.latest, slow.latest);
        assert_eq!(both.earliest, fast.earliest.max(slow.earliest));
        assert!(combine(&[]).is_none());
    }

    #[test]
    fn time_left_counts_down_to_the_cutoff() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 9, 40, 0).unwrap();
        let cutoff = Utc.with_ymd_and_hms(2026, 3, 10, 13, 0, 0).unwrap();
        assert_eq!(time_left(now, cutoff), Some((3, 20)));
        assert_eq!(time_left(cutoff, now), None);
    }
}
