//! "Make it right", pure: the shop's response standards and remedy menu,
//! the timers a case runs against, and which moves a case allows.
use crate::shops::Section;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What went wrong, as the shopper picks it.
pub const CATEGORIES: [&str; 5] = ["damaged", "wrong_item", "missing", "late", "other"];

pub const OPEN: &str = "open";
pub const ANSWERED: &str = "answered";
pub const RESOLVED: &str = "resolved";
pub const STATUSES: [&str; 3] = [OPEN, ANSWERED, RESOLVED];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A scratch, a late parcel: a small credit says sorry.
    Minor,
    /// Broken, wrong or missing: a replacement or part of the money back.
    Major,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Major => "major",
        }
    }
    pub fn parse(key: &str) -> Option<Severity> {
        match key {
            "minor" => Some(Severity::Minor),
            "major" => Some(Severity::Major),
            _ => None,
        }
    }
    /// The severity a category suggests until the merchant says otherwise.
    pub fn suggested(category: &str) -> Severity {
        match category {
            "damaged" | "wrong_item" | "missing" => Severity::Major,
            _ => Severity::Minor,
        }
    }
}

/// One remedy the merchant can give with one click.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemedyKind {
    /// Loyalty points, credited through the ledger.
    Points,
    /// A single-use discount code for a fixed amount (store credit).
    StoreCredit,
    /// The order sent again, as a free draft order completed on the platform.
    Replacement,
    /// A share of the order's total refunded through the platform.
    PartialRefund,
}

impl RemedyKind {
    pub const ALL: [RemedyKind; 4] = [
        RemedyKind::Points,
        RemedyKind::StoreCredit,
        RemedyKind::Replacement,
        RemedyKind::PartialRefund,
    ];
    pub fn key(self) -> &'static str {
        match self {
            RemedyKind::Points => "points",
            RemedyKind::StoreCredit => "store_credit",
            RemedyKind::Replacement => "replacement",
            RemedyKind::PartialRefund => "partial_refund",
        }
    }
    pub fn parse(key: &str) -> Option<RemedyKind> {
        RemedyKind::ALL.into_iter().find(|k| k.key() == key)
    }
    /// Remedies that act on the order need one.
    pub fn needs_order(self) -> bool {
        matches!(self, RemedyKind::Replacement | RemedyKind::PartialRefund)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportSettings {
    /// First reply within this many hours of the case opening.
    pub first_reply_hours: u32,
    /// Resolved within this many hours.
    pub resolution_hours: u32,
    /// Show the standards on the storefront contact block.
    pub show_on_storefront: bool,
    /// Minor issue: points…
    pub minor_points: i64,
    /// …or store credit, in minor units of the shop's currency.
    pub minor_credit_minor: i64,
    /// Major issue: a replacement (on/off)…
    pub major_replacement: bool,
    /// …or this share of the order total refunded.
    pub major_refund_percent: u32,
}

impl Default for SupportSettings {
    fn default() -> Self {
        SupportSettings {
            first_reply_hours: 2,
            resolution_hours: 24,
            show_on_storefront: true,
            minor_points: 200,
            minor_credit_minor: 500,
            major_replacement: true,
            major_refund_percent: 30,
        }
    }
}

impl Section for SupportSettings {
    const SECTION: &'static str = "support";
}

/// A remedy on the menu, with its value filled in from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Remedy {
    pub kind: RemedyKind,
    /// Points, minor units, or percent; 0 for a replacement.
    pub value: i64,
}

impl SupportSettings {
    /// Out-of-bounds fields, with the locale key saying why.
    pub fn validate(&self) -> Vec<(&'static str, &'static str)> {
        let mut bad = Vec::new();
        if !(1..=72).contains(&self.first_reply_hours) {
            bad.push(("first_reply_hours", "support.error.hours"));
        }
        if !(self.first_reply_hours..=720).contains(&self.resolution_hours) {
            bad.push(("resolution_hours", "support.error.resolution"));
        }
        if !(0..=100_000).contains(&self.minor_points) {
            bad.push(("minor_points", "support.error.points"));
        }
        if !(0..=10_000_000).contains(&self.minor_credit_minor) {
            bad.push(("minor_credit_minor", "support.error.credit"));
        }
        if self.major_refund_percent > 100 {
            bad.push(("major_refund_percent", "support.error.percent"));
        }
        bad
    }

    /// The remedies offered for a case of `severity` (both lists when the
    /// merchant has not judged it yet); those set to zero are left out.
    pub fn menu(&self, severity: Option<Severity>) -> Vec<Remedy> {
        let minor = [
            Remedy {
                kind: RemedyKind::Points,
                value: self.minor_points,
            },
            Remedy {
                kind: RemedyKind::StoreCredit,
                value: self.minor_credit_minor,
            },
        ];
        let major = [
            Remedy {
                kind: RemedyKind::Replacement,
                value: i64::from(self.major_replacement),
            },
            Remedy {
                kind: RemedyKind::PartialRefund,
                value: i64::from(self.major_refund_percent),
            },
        ];
        let offered: Vec<Remedy> = match severity {
            Some(Severity::Minor) => minor.to_vec(),
            Some(Severity::Major) => major.to_vec(),
            None => minor.into_iter().chain(major).collect(),
        };
        offered
            .into_iter()
            .filter(|r| r.value > 0)
            .map(|r| match r.kind {
                RemedyKind::Replacement => Remedy { value: 0, ..r },
                _ => r,
            })
            .collect()
    }

    /// When a case opened at `opened` is due its first reply and its resolution.
    pub fn due(&self, opened: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            opened + Duration::hours(i64::from(self.first_reply_hours)),
            opened + Duration::hours(i64::from(self.resolution_hours)),
        )
    }
}

/// One response timer as the merchant reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timer {
    pub due: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    /// Done late, or not done and past due.
    pub breached: bool,
    /// Minutes left before it is due (negative: overdue); None once met.
    pub minutes_left: Option<i64>,
}

pub fn timer(due: DateTime<Utc>, met_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Timer {
    Timer {
        due,
        met_at,
        breached: met_at.unwrap_or(now) > due,
        minutes_left: met_at.is_none().then(|| (due - now).num_minutes()),
    }
}

/// What a case may do next from `status`.
pub fn allows(status: &str, action: &str) -> bool {
    match action {
        "reply" | "remedy" | "severity" => status != RESOLVED,
        "resolve" => status != RESOLVED,
        "reopen" => status == RESOLVED,
        // A shopper writing again reopens a resolved case.
        "customer_message" => true,
        _ => false,
    }
}

/// The share of `total_minor` a partial refund gives back, rounded down.
pub fn refund_amount(total_minor: i64, percent: u32) -> i64 {
    total_minor.max(0) * i64::from(percent.min(100)) / 100
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
    fn standards_default_to_two_hours_and_a_day() {
        let s = SupportSettings::default();
        let (reply, resolve) = s.due(at("2026-12-01T10:00:00Z"));
        assert_eq!(reply, at("2026-12-01T12:00:00Z"));
        assert_eq!(resolve, at("2026-12-02T10:00:00Z"));
        assert!(s.validate().is_empty());
    }

    #[test]
    fn timers_flag_breaches_met_or_not() {
        let due = at("2026-12-01T12:00:00Z");
        let on_time = timer(
            due,
            Some(at("2026-12-01T11:00:00Z")),
            at("2026-12-02T00:00:00Z"),
        );
        assert!(!on_time.breached && on_time.minutes_left.is_none());
        let late = timer(
            due,
            Some(at("2026-12-01T12:30:00Z")),
            at("2026-12-02T00:00:00Z"),
        );
        assert!(late.breached);
        let running = timer(due, None, at("2026-12-01T11:15:00Z"));
        assert_eq!((running.breached, running.minutes_left), (false, Some(45)));
        let overdue = timer(due, None, at("2026-12-01T13:00:00Z"));
        assert_eq!((overdue.breached, overdue.minutes_left), (true, Some(-60)));
    }

    #[test]
    fn the_menu_follows_the_severity() {
        let s = SupportSettings::default();
        let kinds = |sev| -> Vec<RemedyKind> { s.menu(sev).iter().map(|r| r.kind).collect() };
        assert_eq!(
            kinds(Some(Severity::Minor)),
            [RemedyKind::Points, RemedyKind::StoreCredit]
        );
        assert_eq!(
            kinds(Some(Severity::Major)),
            [RemedyKind::Replacement, RemedyKind::PartialRefund]
        );
        assert_eq!(kinds(None).len(), 4);
        let no_points = SupportSettings {
            minor_points: 0,
            major_replacement: false,
            ..s.clone()
        };
        assert_eq!(no_points.menu(None).len(), 2);
        assert_eq!(Severity::suggested("damaged"), Severity::Major);
        assert_eq!(Severity::suggested("late"), Severity::Minor);
    }

    #[test]
    fn resolved_cases_take_no_remedy_until_reopened() {
        assert!(allows(OPEN, "remedy") && allows(ANSWERED, "resolve"));
        assert!(!allows(RESOLVED, "reply") && !allows(RESOLVED, "remedy"));
        assert!(allows(RESOLVED, "reopen") && !allows(OPEN, "reopen"));
        assert_eq!(refund_amount(6470, 30), 1941);
        assert_eq!(refund_amount(6470, 150), 6470);
    }
}
