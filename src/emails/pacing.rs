//! When a marketing email may go out: inside the shop's send window (9:00–20:00
//! in its time zone by default), at most the shop's weekly cap of marketing
//! emails per customer in any seven days (two by default), and only while the
//! customer's consent stands. Transactional email (confirmations, check-ins)
//! is not paced.
use super::{OUTBOX, SENT};
use crate::flows::FlowSettings;
use crate::shops::ShopSettings;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use entity::{customers, emails, shops};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// None inside the window (from `start` to `end` o'clock, shop time); else
/// the next opening, in UTC.
pub fn next_window(now: DateTime<Utc>, tz: Tz, start: u32, end: u32) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz);
    if (start..end).contains(&local.hour()) {
        return None;
    }
    let day = if local.hour() >= end {
        local.date_naive() + Duration::days(1)
    } else {
        local.date_naive()
    };
    let opening = day.and_time(NaiveTime::from_hms_opt(start.min(23), 0, 0)?);
    // A daylight-saving gap at 9:00 does not happen in practice; fall back an hour later.
    tz.from_local_datetime(&opening)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(opening + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

pub enum Pace {
    Now,
    Later(DateTime<Utc>, &'static str),
    Never(&'static str),
}

/// Whether the marketing `email` may go out at `now`.
pub async fn pace(
    db: &impl ConnectionTrait,
    email: &emails::Model,
    shop: Option<&shops::Model>,
    now: DateTime<Utc>,
) -> Result<Pace, DbErr> {
    if !email.marketing {
        return Ok(Pace::Now);
    }
    if let Some(customer_id) = email.customer_id {
        let consent = customers::Entity::find_by_id(customer_id)
            .one(db)
            .await?
            .map(|c| c.email_marketing_consent);
        if consent.as_deref() != Some("subscribed") {
            return Ok(Pace::Never("the customer's marketing consent is withdrawn"));
        }
    }
    let settings: FlowSettings = ShopSettings::load(db, email.shop_id).await?;
    let tz = shop.map_or(Tz::UTC, |s| crate::clock::shop_tz(&s.timezone));
    if let Some(at) = next_window(now, tz, settings.send_from_hour, settings.send_until_hour) {
        return Ok(Pace::Later(at, "outside the send window"));
    }
    let Some(customer_id) = email.customer_id else {
        return Ok(Pace::Now);
    };
    let recent = emails::Entity::find()
        .filter(emails::Column::ShopId.eq(email.shop_id))
        .filter(emails::Column::CustomerId.eq(customer_id))
        .filter(emails::Column::Marketing.eq(true))
        .filter(emails::Column::Status.is_in([SENT, OUTBOX]))
        .filter(emails::Column::SentAt.gt(now - Duration::days(7)))
        .order_by_asc(emails::Column::SentAt)
        .all(db)
        .await?;
    if recent.len() >= settings.weekly_cap as usize {
        let oldest = recent.first().and_then(|e| e.sent_at).unwrap_or(now);
        return Ok(Pace::Later(
            oldest + Duration::days(7) + Duration::minutes(1),
            "over the customer's weekly cap",
        ));
    }
    Ok(Pace::Now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_window_is_in_the_shops_time_zone() {
        let rome: Tz = "Europe/Rome".parse().expect("zone");
        // 10:00 in Rome (09:00 UTC): inside.
        assert_eq!(next_window(at("2026-11-23T09:00:00Z"), rome, 9, 20), None);
        // 22:30 in Rome: tomorrow at 9:00 Rome = 08:00 UTC.
        assert_eq!(
            next_window(at("2026-11-23T21:30:00Z"), rome, 9, 20),
            Some(at("2026-11-24T08:00:00Z"))
        );
        // 06:00 in Rome: today at 9:00.
        assert_eq!(
            next_window(at("2026-11-23T05:00:00Z"), rome, 9, 20),
            Some(at("2026-11-23T08:00:00Z"))
        );
        // Summer time: 9:00 in Rome is 07:00 UTC.
        assert_eq!(
            next_window(at("2026-07-01T03:00:00Z"), rome, 9, 20),
            Some(at("2026-07-01T07:00:00Z"))
        );
    }
}
