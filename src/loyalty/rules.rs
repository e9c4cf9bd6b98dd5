//! The program's rules as plain values, and the arithmetic of points: what an
//! order earns, what a refund takes back, what happens below zero, when points
//! expire, whose birthday it is. No database, no clock: `now` comes in.
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::tiers::TierRules;

/// Everything a merchant can configure, with the defaults a new shop starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgramRules {
    /// Points per whole unit of the shop's currency spent (subtotal after discounts).
    pub points_per_currency_unit: i64,
    pub signup_points: i64,
    pub review_points: i64,
    pub photo_review_points: i64,
    pub share_points: i64,
    pub birthday_points: i64,
    pub boosts: Vec<Boost>,
    pub negative_balance: NegativeBalance,
    pub expiry: ExpiryRules,
    pub tiers: TierRules,
    pub referral: ReferralRules,
    pub launch: LaunchRules,
}

impl Default for ProgramRules {
    fn default() -> Self {
        ProgramRules {
            points_per_currency_unit: 1,
            signup_points: 50,
            review_points: 25,
            photo_review_points: 50,
            share_points: 10,
            birthday_points: 100,
            boosts: Vec::new(),
            negative_balance: NegativeBalance::FloorWithDebt,
            expiry: ExpiryRules::default(),
            tiers: TierRules::default(),
            referral: ReferralRules::default(),
            launch: LaunchRules::default(),
        }
    }
}

/// A points multiplier over a date range in the shop's time zone, both days included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boost {
    pub name: String,
    /// 200 = double points.
    pub multiplier_percent: u32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// What a clawback does when it is larger than the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NegativeBalance {
    /// Stop at zero and remember the rest; later earnings pay it off first.
    FloorWithDebt,
    /// Stop at zero and forget the rest.
    Forgive,
    /// Let the balance go below zero.
    AllowNegative,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExpiryRules {
    /// Points expire after this many months without earning or redeeming; 0 = never.
    pub inactivity_months: u32,
    /// The reminder goes out this many days before.
    pub reminder_days: u32,
}

impl Default for ExpiryRules {
    fn default() -> Self {
        ExpiryRules {
            inactivity_months: 12,
            reminder_days: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// `value` is minor units of the shop's currency.
    FixedAmount,
    /// `value` is a whole percent, 1–100.
    Percentage,
    FreeShipping,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::FixedAmount => "fixed_amount",
            RewardKind::Percentage => "percentage",
            RewardKind::FreeShipping => "free_shipping",
        }
    }

    pub fn parse(s: &str) -> Option<RewardKind> {
        match s {
            "fixed_amount" => Some(RewardKind::FixedAmount),
            "percentage" => Some(RewardKind::Percentage),
            "free_shipping" => Some(RewardKind::FreeShipping),
            _ => None,
        }
    }

    /// Why `value` does not fit this kind, if it does not.
    pub fn check_value(self, value: i64) -> Result<(), String> {
        match self {
            RewardKind::FixedAmount if value <= 0 => {
                Err("a fixed amount off must be more than zero".into())
            }
            RewardKind::Percentage if !(1..=100).contains(&value) => {
                Err("a percentage off must be between 1 and 100".into())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralRules {
    pub referrer_points: i64,
    pub welcome_kind: RewardKind,
    pub welcome_value: i64,
    /// The referrer is rewarded once the referee's order is past this many days and not refunded.
    pub return_window_days: u32,
}

impl Default for ReferralRules {
    fn default() -> Self {
        ReferralRules {
            referrer_points: 500,
            welcome_kind: RewardKind::Percentage,
            welcome_value: 10,
            return_window_days: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LaunchRules {
    pub bonus_points: i64,
    /// Customers who join within this many days of the launch are early members too.
    pub early_member_days: u32,
}

impl Default for LaunchRules {
    fn default() -> Self {
        LaunchRules {
            bonus_points: 100,
            early_member_days: 30,
        }
    }
}

impl ProgramRules {
    /// Checks what a merchant submitted; the message names the first problem.
    pub fn validate(&self) -> Result<(), String> {
        let non_negative = [
            ("points_per_currency_unit", self.points_per_currency_unit),
            ("signup_points", self.signup_points),
            ("review_points", self.review_points),
            ("photo_review_points", self.photo_review_points),
            ("share_points", self.share_points),
            ("birthday_points", self.birthday_points),
            ("referral.referrer_points", self.referral.referrer_points),
            ("launch.bonus_points", self.launch.bonus_points),
        ];
        for (name, value) in non_negative {
            if !(0..=1_000_000).contains(&value) {
                return Err(format!("{name} must be between 0 and 1000000"));
            }
        }
        for boost in &self.boosts {
            if boost.name.trim().is_empty() {
                return Err("every boost needs a name".into());
            }
            if !(100..=1000).contains(&boost.multiplier_percent) {
                return Err(format!(
                    "boost `{}`: the multiplier must be between 100% and 1000%",
                    boost.name
                ));
            }
            if boost.ends_on < boost.starts_on {
                return Err(format!("boost `{}` ends before it starts", boost.name));
            }
        }
        self.referral
            .welcome_kind
            .check_value(self.referral.welcome_value)
            .map_err(|e| format!("referral welcome offer: {e}"))?;
        if self.expiry.inactivity_months > 120 {
            return Err("expiry.inactivity_months must be at most 120".into());
        }
        self.tiers.validate()
    }
}

pub use crate::clock::{local_date, shop_tz};

/// The multiplier of the boost running on `day` (the largest when several overlap), else 100.
pub fn boost_percent(boosts: &[Boost], day: NaiveDate) -> u32 {
    boosts
        .iter()
        .filter(|b| b.starts_on <= day && day <= b.ends_on)
        .map(|b| b.multiplier_percent)
        .max()
        .unwrap_or(100)
}

/// Points for an order: `subtotal_minor` (after discounts) in a currency with
/// `minor_digits` decimals, times the tier and boost multipliers, rounded down
/// once at the end so a shopper is never credited a point not earned.
pub fn order_points(
    subtotal_minor: i64,
    minor_digits: u32,
    points_per_unit: i64,
    tier_percent: u32,
    boost_percent: u32,
) -> i64 {
    if subtotal_minor <= 0 || points_per_unit <= 0 {
        return 0;
    }
    let unit = 10i128.pow(minor_digits);
    let raw = subtotal_minor as i128
        * points_per_unit as i128
        * tier_percent as i128
        * boost_percent as i128;
    (raw / (unit * 100 * 100)) as i64
}

/// How many of an order's `credited` points should have been taken back in
/// total, given everything refunded so far. Cumulative, so several partial
/// refunds never add up to more (or less) than one full refund.
pub fn clawback_target(
    credited: i64,
    subtotal_minor: i64,
    refunded_minor: i64,
    cancelled: bool,
) -> i64 {
    if credited <= 0 {
        return 0;
    }
    if cancelled || (refunded_minor > 0 && subtotal_minor <= 0) {
        return credited;
    }
    let refunded = refunded_minor.clamp(0, subtotal_minor);
    ((credited as i128 * refunded as i128) / subtotal_minor as i128) as i64
}

/// One movement as it lands: the change to the balance and to the debt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movement {
    pub delta: i64,
    pub debt_delta: i64,
}

/// Takes `amount` (positive) away from `balance` under the shop's policy.
pub fn debit(balance: i64, amount: i64, policy: NegativeBalance) -> Movement {
    let amount = amount.max(0);
    match policy {
        NegativeBalance::AllowNegative => Movement {
            delta: -amount,
            debt_delta: 0,
        },
        NegativeBalance::FloorWithDebt | NegativeBalance::Forgive => {
            let taken = amount.min(balance.max(0));
            Movement {
                delta: -taken,
                debt_delta: if policy == NegativeBalance::FloorWithDebt {
                    amount - taken
                } else {
                    0
                },
            }
        }
    }
}

/// How much of a fresh credit goes to paying off an outstanding debt.
pub fn debt_repayment(debt: i64, credit: i64) -> i64 {
    debt.max(0).min(credit.max(0))
}

/// When points expire: `inactivity_months` after the last activity (None = never).
pub fn expiry_date(last_activity: DateTime<Utc>, inactivity_months: u32) -> Option<DateTime<Utc>> {
    if inactivity_months == 0 {
        return None;
    }
    last_activity.checked_add_months(Months::new(inactivity_months))
}

/// True when a birthday of `month`/`day` falls on `today`; 29 February is
/// celebrated on the 28th in common years.
pub fn is_birthday(month: u32, day: u32, today: NaiveDate) -> bool {
    if month == 2 && day == 29 && NaiveDate::from_ymd_opt(today.year(), 2, 29).is_none() {
        return today.month() == 2 && today.day() == 28;
    }
    today.month() == month && today.day() == day
}

/// Checks a birthday a shopper typed (any year, so 29 February is allowed).
pub fn valid_birthday(month: u32, day: u32) -> bool {
    NaiveDate::from_ymd_opt(2000, month, day).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Tz;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    #[test]
    fn one_point_per_euro_rounds_down() {
        assert_eq!(order_points(4_999, 2, 1, 100, 100), 49);
        assert_eq!(order_points(5_000, 2, 1, 100, 100), 50);
        assert_eq!(order_points(99, 2, 1, 100, 100), 0);
        assert_eq!(order_points(0, 2, 1, 100, 100), 0);
        assert_eq!(order_points(-500, 2, 1, 100, 100), 0);
    }

    #[test]
    fn currency_precision_decides_the_unit() {
        // 1 point per yen-unit: ¥1,234 earns 1,234; 1.234 KWD earns 1.
        assert_eq!(order_points(1_234, 0, 1, 100, 100), 1_234);
        assert_eq!(order_points(1_234, 3, 1, 100, 100), 1);
        assert_eq!(order_points(10_000, 2, 5, 100, 100), 500);
    }

    #[test]
    fn tier_and_boost_multiply_before_rounding() {
        // 33.33 € × 1.5 × 2 = 99.99 → 99, not 33×1.5=49 → ×2 = 98.
        assert_eq!(order_points(3_333, 2, 1, 150, 200), 99);
        assert_eq!(order_points(10_000, 2, 1, 125, 100), 125);
        assert!(order_points(i64::MAX / 4, 2, 1, 1000, 1000) > 0);
    }

    #[test]
    fn boosts_apply_on_their_days_in_the_shop_time_zone() {
        let weekend = Boost {
            name: "Double weekend".into(),
            multiplier_percent: 200,
            starts_on: d(2026, 3, 28),
            ends_on: d(2026, 3, 29),
        };
        let boosts = [weekend];
        let rome: Tz = "Europe/Rome".parse().expect("zone");
        // 23:30 UTC on Friday is already Saturday 00:30 in Rome (UTC+1 in March).
        let friday_night = Utc.with_ymd_and_hms(2026, 3, 27, 23, 30, 0).unwrap();
        assert_eq!(boost_percent(&boosts, local_date(friday_night, rome)), 200);
        assert_eq!(
            boost_percent(&boosts, local_date(friday_night, Tz::UTC)),
            100
        );
        // Sunday 29 March 2026 is the DST change; 23:59 Rome is 21:59 UTC.
        let sunday_late = Utc.with_ymd_and_hms(2026, 3, 29, 21, 59, 0).unwrap();
        assert_eq!(boost_percent(&boosts, local_date(sunday_late, rome)), 200);
        let monday = Utc.with_ymd_and_hms(2026, 3, 29, 22, 0, 0).unwrap();
        assert_eq!(boost_percent(&boosts, local_date(monday, rome)), 100);
    }

    #[test]
    fn overlapping_boosts_take_the_largest_not_the_product() {
        let a = Boost {
            name: "a".into(),
            multiplier_percent: 150,
            starts_on: d(2026, 1, 1),
            ends_on: d(2026, 1, 31),
        };
        let b = Boost {
            name: "b".into(),
            multiplier_percent: 300,
            starts_on: d(2026, 1, 10),
            ends_on: d(2026, 1, 10),
        };
        assert_eq!(boost_percent(&[a.clone(), b.clone()], d(2026, 1, 10)), 300);
        assert_eq!(boost_percent(&[a, b], d(2026, 1, 11)), 150);
        assert_eq!(boost_percent(&[], d(2026, 1, 11)), 100);
    }

    #[test]
    fn refund_claws_back_in_proportion() {
        assert_eq!(clawback_target(100, 10_000, 2_500, false), 25);
        assert_eq!(clawback_target(100, 10_000, 10_000, false), 100);
        // Shipping refunded on top of the subtotal never takes more than was earned.
        assert_eq!(clawback_target(100, 10_000, 12_000, false), 100);
        assert_eq!(clawback_target(99, 10_000, 3_333, false), 32);
        assert_eq!(clawback_target(0, 10_000, 10_000, false), 0);
        assert_eq!(clawback_target(100, 10_000, 0, true), 100);
    }

    #[test]
    fn partial_refunds_add_up_to_a_full_one() {
        let credited = 97;
        let mut taken = 0;
        for cumulative in [3_000, 6_000, 9_000, 10_000] {
            let target = clawback_target(credited, 10_000, cumulative, false);
            assert!(target >= taken);
            taken = target;
        }
        assert_eq!(taken, credited);
    }

    #[test]
    fn debits_follow_the_negative_balance_policy() {
        assert_eq!(
            debit(30, 100, NegativeBalance::FloorWithDebt),
            Movement {
                delta: -30,
                debt_delta: 70
            }
        );
        assert_eq!(
            debit(30, 100, NegativeBalance::Forgive),
            Movement {
                delta: -30,
                debt_delta: 0
            }
        );
        assert_eq!(
            debit(30, 100, NegativeBalance::AllowNegative),
            Movement {
                delta: -100,
                debt_delta: 0
            }
        );
        assert_eq!(
            debit(500, 100, NegativeBalance::FloorWithDebt),
            Movement {
                delta: -100,
                debt_delta: 0
            }
        );
        assert_eq!(debit(-5, 10, NegativeBalance::FloorWithDebt).delta, 0);
        assert_eq!(debt_repayment(70, 50), 50);
        assert_eq!(debt_repayment(70, 500), 70);
        assert_eq!(debt_repayment(0, 500), 0);
    }

    #[test]
    fn points_expire_after_the_inactivity_period() {
        let last = Utc.with_ymd_and_hms(2025, 1, 31, 10, 0, 0).unwrap();
        assert_eq!(
            expiry_date(last, 12),
            Some(Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap())
        );
        // Month arithmetic clamps to the month's last day.
        assert_eq!(
            expiry_date(last, 1),
            Some(Utc.with_ymd_and_hms(2025, 2, 28, 10, 0, 0).unwrap())
        );
        assert_eq!(expiry_date(last, 0), None);
    }

    #[test]
    fn leap_day_birthdays_are_kept_in_common_years() {
        assert!(is_birthday(2, 29, d(2028, 2, 29)));
        assert!(!is_birthday(2, 29, d(2028, 2, 28)));
        assert!(is_birthday(2, 29, d(2027, 2, 28)));
        assert!(is_birthday(12, 31, d(2026, 12, 31)));
        assert!(!is_birthday(12, 31, d(2027, 1, 1)));
        assert!(valid_birthday(2, 29));
        assert!(!valid_birthday(2, 30));
        assert!(!valid_birthday(13, 1));
    }

    #[test]
    fn rules_reject_what_cannot_work() {
        assert!(ProgramRules::default().validate().is_ok());
        let mut rules = ProgramRules::default();
        rules.boosts.push(Boost {
            name: "x".into(),
            multiplier_percent: 200,
            starts_on: d(2026, 2, 2),
            ends_on: d(2026, 2, 1),
        });
        assert!(rules.validate().is_err());
        let mut rules = ProgramRules::default();
        rules.referral.welcome_value = 150;
        assert!(rules.validate().is_err());
        let rules = ProgramRules {
            signup_points: -1,
            ..Default::default()
        };
        assert!(rules.validate().is_err());
    }

    #[test]
    fn stored_rules_fill_missing_fields_with_defaults() {
        let rules: ProgramRules =
            serde_json::from_str(r#"{"signup_points": 75}"#).expect("partial rules parse");
        assert_eq!(rules.signup_points, 75);
        assert_eq!(rules.points_per_currency_unit, 1);
        assert_eq!(rules.expiry.inactivity_months, 12);
    }
}
