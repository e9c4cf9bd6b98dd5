//! Returns, pure: the shop's return policy (window, exclusions, reasons, who
//! pays the return label, the store-credit bonus), what an order's lines
//! allow, the return's state machine, and the money a return gives back.
use crate::shops::Section;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

pub const REQUESTED: &str = "requested";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";
pub const LABEL_ISSUED: &str = "label_issued";
pub const IN_TRANSIT: &str = "in_transit";
pub const RECEIVED: &str = "received";
pub const REFUNDED: &str = "refunded";
pub const CREDITED: &str = "credited";
pub const EXCHANGED: &str = "exchanged";

pub const STATUSES: [&str; 9] = [
    REQUESTED,
    APPROVED,
    REJECTED,
    LABEL_ISSUED,
    IN_TRANSIT,
    RECEIVED,
    REFUNDED,
    CREDITED,
    EXCHANGED,
];

/// Where a return ends: nothing more can happen to it.
pub fn is_final(status: &str) -> bool {
    matches!(status, REJECTED | REFUNDED | CREDITED | EXCHANGED)
}

/// A move on a return, by its name in the API.
pub const ACTIONS: [(&str, &[&str], &str); 8] = [
    ("approve", &[REQUESTED], APPROVED),
    ("reject", &[REQUESTED], REJECTED),
    ("issue_label", &[APPROVED], LABEL_ISSUED),
    // The shopper may ship with the shop's label or their own.
    ("ship", &[APPROVED, LABEL_ISSUED], IN_TRANSIT),
    ("receive", &[APPROVED, LABEL_ISSUED, IN_TRANSIT], RECEIVED),
    ("refund", &[RECEIVED], REFUNDED),
    ("credit", &[RECEIVED], CREDITED),
    ("exchange", &[RECEIVED], EXCHANGED),
];

/// The state `action` leads to from `status`, or None when it is not allowed.
pub fn next(status: &str, action: &str) -> Option<&'static str> {
    ACTIONS
        .iter()
        .find(|(name, from, _)| *name == action && from.contains(&status))
        .map(|(_, _, to)| *to)
}

/// What the shopper would like back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Refund,
    StoreCredit,
    Exchange,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Refund, Outcome::StoreCredit, Outcome::Exchange];
    pub fn key(self) -> &'static str {
        match self {
            Outcome::Refund => "refund",
            Outcome::StoreCredit => "store_credit",
            Outcome::Exchange => "exchange",
        }
    }
    pub fn parse(key: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.key() == key)
    }
    /// The action that settles a received return with this outcome.
    pub fn action(self) -> &'static str {
        match self {
            Outcome::Refund => "refund",
            Outcome::StoreCredit => "credit",
            Outcome::Exchange => "exchange",
        }
    }
}

/// Who pays for sending a return back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ReturnShipping {
    /// The shopper sends it at their cost.
    Customer,
    /// The shop pays when the item is faulty or wrong; otherwise the shopper.
    #[default]
    ShopIfFaulty,
    /// The shop always pays.
    Shop,
}

/// How store credit is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CreditForm {
    /// A single-use discount code for the amount.
    #[default]
    Code,
    /// Loyalty points, `points_per_unit` per whole currency unit.
    Points,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnAddress {
    pub name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub zip: String,
    pub country: String,
}

impl ReturnAddress {
    /// The address as printed on the slip, empty lines left out.
    pub fn lines(&self) -> Vec<String> {
        let city = format!("{} {}", self.zip, self.city).trim().to_owned();
        [
            self.name.clone(),
            self.line1.clone(),
            self.line2.clone(),
            city,
            self.country.clone(),
        ]
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect()
    }
}

/// The reasons a shopper can give, by key (texts in the locale files).
pub const REASONS: [&str; 6] = [
    "doesnt_fit",
    "not_as_described",
    "damaged",
    "wrong_item",
    "changed_mind",
    "other",
];

/// Reasons that make the shop pay the return under `ShopIfFaulty`.
pub const FAULTY: [&str; 3] = ["not_as_described", "damaged", "wrong_item"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReturnPolicy {
    /// Days to ask for a return, counted from delivery (or fulfilment, or
    /// the order itself when nothing else is known).
    pub window_days: u32,
    pub non_returnable_product_ids: Vec<i64>,
    /// Final-sale items: shown, never returnable.
    pub final_sale_product_ids: Vec<i64>,
    /// Orders carrying one of these tags are not returnable.
    pub non_returnable_order_tags: Vec<String>,
    /// Products carrying one of these tags are not returnable.
    pub non_returnable_product_tags: Vec<String>,
    /// Products carrying one of these tags are final sale.
    pub final_sale_product_tags: Vec<String>,
    /// The reasons offered, a subset of `REASONS`, in order.
    pub reasons: Vec<String>,
    pub return_shipping: ReturnShipping,
    /// Extra value, whole percent, when the shopper takes store credit.
    pub store_credit_bonus_percent: u32,
    pub credit_form: CreditForm,
    pub points_per_unit: u32,
    pub allow_refund: bool,
    pub allow_store_credit: bool,
    pub allow_exchange: bool,
    pub return_address: ReturnAddress,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        ReturnPolicy {
            window_days: 30,
            non_returnable_product_ids: Vec::new(),
            final_sale_product_ids: Vec::new(),
            non_returnable_order_tags: vec!["final-sale".into()],
            non_returnable_product_tags: Vec::new(),
            final_sale_product_tags: vec!["final-sale".into()],
            reasons: REASONS.iter().map(|r| (*r).to_owned()).collect(),
            return_shipping: ReturnShipping::ShopIfFaulty,
            store_credit_bonus_percent: 10,
            credit_form: CreditForm::Code,
            points_per_unit: 10,
            allow_refund: true,
            allow_store_credit: true,
            allow_exchange: true,
            return_address: ReturnAddress::default(),
        }
    }
}

impl Section for ReturnPolicy {
    const SECTION: &'static str = "returns";
}

/// Why a line cannot be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "why", content = "date")]
pub enum NotReturnable {
    FinalSale,
    Excluded,
    /// The window closed on this day.
    WindowClosed(NaiveDate),
    AlreadyReturned,
}

impl ReturnPolicy {
    pub fn validate(&self) -> Vec<(&'static str, &'static str)> {
        let mut bad = Vec::new();
        if !(1..=365).contains(&self.window_days) {
            bad.push(("window_days", "returns.error.window"));
        }
        if self.store_credit_bonus_percent > 50 {
            bad.push(("store_credit_bonus_percent", "returns.error.bonus"));
        }
        if self.reasons.is_empty() || self.reasons.iter().any(|r| !REASONS.contains(&r.as_str())) {
            bad.push(("reasons", "returns.error.reasons"));
        }
        if !(self.allow_refund || self.allow_store_credit || self.allow_exchange) {
            bad.push(("allow_refund", "returns.error.outcomes"));
        }
        if !(1..=1000).contains(&self.points_per_unit) {
            bad.push(("points_per_unit", "returns.error.points"));
        }
        bad
    }

    /// The last day a return may be asked for.
    pub fn deadline(&self, counted_from: NaiveDate) -> NaiveDate {
        counted_from + Duration::days(i64::from(self.window_days))
    }

    /// Whether a line may be returned on `today`; `returned` is how many of
    /// it earlier returns already took, `quantity` how many were bought;
    /// the tags are comma-separated, as the platform sends them.
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        &self,
        product_id: Option<i64>,
        product_tags: &str,
        quantity: i32,
        returned: i32,
        order_tags: &str,
        deadline: NaiveDate,
        today: NaiveDate,
    ) -> Result<i32, NotReturnable> {
        let product = product_id.unwrap_or_default();
        let has = |tags: &str, wanted: &[String]| {
            tags.split(',')
                .map(str::trim)
                .any(|t| wanted.iter().any(|w| w.eq_ignore_ascii_case(t)))
        };
        if self.final_sale_product_ids.contains(&product)
            || has(product_tags, &self.final_sale_product_tags)
        {
            return Err(NotReturnable::FinalSale);
        }
        let excluded = has(order_tags, &self.non_returnable_order_tags)
            || has(product_tags, &self.non_returnable_product_tags)
            || self.non_returnable_product_ids.contains(&product);
        if excluded {
            return Err(NotReturnable::Excluded);
        }
        if today > deadline {
            return Err(NotReturnable::WindowClosed(deadline));
        }
        let left = quantity - returned;
        if left <= 0 {
            return Err(NotReturnable::AlreadyReturned);
        }
        Ok(left)
    }

    pub fn allows(&self, outcome: Outcome) -> bool {
        match outcome {
            Outcome::Refund => self.allow_refund,
            Outcome::StoreCredit => self.allow_store_credit,
            Outcome::Exchange => self.allow_exchange,
        }
    }

    /// Who pays the label for a return given for `reason`.
    pub fn shop_pays_label(&self, reason: &str) -> bool {
        match self.return_shipping {
            ReturnShipping::Shop => true,
            ReturnShipping::Customer => false,
            ReturnShipping::ShopIfFaulty => FAULTY.contains(&reason),
        }
    }

    /// Store credit for a refund worth `refund_minor`: the bonus on top.
    pub fn credit_for(&self, refund_minor: i64) -> i64 {
        refund_minor + refund_minor * i64::from(self.store_credit_bonus_percent) / 100
    }
}

/// What the returned lines are worth: each line's share of what was paid
/// for it (unit price less its share of the order's discounts), rounded down.
pub fn line_value(unit_price_minor: i64, quantity: i32, paid_ratio: (i64, i64)) -> i64 {
    let (paid, listed) = paid_ratio;
    let gross = unit_price_minor * i64::from(quantity.max(0));
    if listed <= 0 {
        return gross;
    }
    gross * paid.clamp(0, listed) / listed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn every_legal_move_and_no_other() {
        assert_eq!(next(REQUESTED, "approve"), Some(APPROVED));
        assert_eq!(next(REQUESTED, "reject"), Some(REJECTED));
        assert_eq!(next(APPROVED, "issue_label"), Some(LABEL_ISSUED));
        assert_eq!(next(LABEL_ISSUED, "ship"), Some(IN_TRANSIT));
        assert_eq!(next(APPROVED, "ship"), Some(IN_TRANSIT));
        assert_eq!(next(IN_TRANSIT, "receive"), Some(RECEIVED));
        assert_eq!(next(RECEIVED, "refund"), Some(REFUNDED));
        assert_eq!(next(RECEIVED, "credit"), Some(CREDITED));
        assert_eq!(next(RECEIVED, "exchange"), Some(EXCHANGED));
        assert_eq!(
            next(REQUESTED, "refund"),
            None,
            "nothing is refunded before it is back"
        );
        assert_eq!(next(REJECTED, "approve"), None);
        assert_eq!(next(REFUNDED, "refund"), None);
        for status in STATUSES.iter().filter(|s| is_final(s)) {
            assert!(
                ACTIONS.iter().all(|(a, _, _)| next(status, a).is_none()),
                "{status} is final"
            );
        }
    }

    #[test]
    fn lines_follow_the_policy() {
        let policy = ReturnPolicy {
            final_sale_product_ids: vec![9],
            non_returnable_product_ids: vec![8],
            ..ReturnPolicy::default()
        };
        let deadline = policy.deadline(d("2026-11-01"));
        assert_eq!(deadline, d("2026-12-01"));
        let today = d("2026-11-20");
        assert_eq!(policy.line(Some(1), "", 2, 0, "", deadline, today), Ok(2));
        assert_eq!(policy.line(Some(1), "", 2, 1, "", deadline, today), Ok(1));
        assert_eq!(
            policy.line(Some(1), "", 2, 2, "", deadline, today),
            Err(NotReturnable::AlreadyReturned)
        );
        assert_eq!(
            policy.line(Some(9), "", 1, 0, "", deadline, today),
            Err(NotReturnable::FinalSale)
        );
        assert_eq!(
            policy.line(Some(8), "", 1, 0, "", deadline, today),
            Err(NotReturnable::Excluded)
        );
        assert_eq!(
            policy.line(Some(1), "", 1, 0, "vip, Final-Sale", deadline, today),
            Err(NotReturnable::Excluded)
        );
        assert_eq!(
            policy.line(Some(1), "", 1, 0, "", deadline, d("2026-12-01")),
            Ok(1),
            "the last day counts"
        );
        assert_eq!(
            policy.line(Some(1), "", 1, 0, "", deadline, d("2026-12-02")),
            Err(NotReturnable::WindowClosed(d("2026-12-01")))
        );
        assert_eq!(
            policy.line(Some(1), "summer, Final-Sale", 1, 0, "", deadline, today),
            Err(NotReturnable::FinalSale)
        );
        let strict = ReturnPolicy {
            non_returnable_product_tags: vec!["hygiene".into()],
            ..ReturnPolicy::default()
        };
        assert_eq!(
            strict.line(Some(1), "hygiene", 1, 0, "", deadline, today),
            Err(NotReturnable::Excluded)
        );
    }

    #[test]
    fn money_back_and_credit() {
        // 2 × 29.90 on an order that paid 53.82 of 59.80 listed (10% off).
        assert_eq!(line_value(2990, 2, (5382, 5980)), 5382);
        assert_eq!(line_value(2990, 1, (0, 0)), 2990);
        let policy = ReturnPolicy::default();
        assert_eq!(policy.credit_for(5000), 5500);
        assert!(policy.shop_pays_label("damaged") && !policy.shop_pays_label("changed_mind"));
        assert!(policy.validate().is_empty());
        let bad = ReturnPolicy {
            window_days: 0,
            reasons: vec!["nope".into()],
            ..ReturnPolicy::default()
        };
        assert_eq!(bad.validate().len(), 2);
    }
}
