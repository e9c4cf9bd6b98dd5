//! A shop's lifecycle flows: each on or off, each with its timing, plus the
//! pacing every marketing email keeps to (the weekly cap per customer and the
//! send window in the shop's time zone) and who receives transactional mail.
//! Every field has a sensible default, so a new shop runs the whole series.
use crate::shops::Section;
use serde::{Deserialize, Serialize};

/// Every email the flows send, by what the customer would call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    PostPurchase,
    DeliveryCheckin,
    ReviewRequest,
    Survey,
    Replenishment,
    CompleteTheSet,
    WinBack,
    VipTier,
    VipTop,
    Birthday,
    Anniversary,
    LoyaltyLaunch,
    PointsExpiry,
    SupportReply,
    ReturnStatus,
}

impl Flow {
    pub const ALL: [Flow; 15] = [
        Flow::PostPurchase,
        Flow::DeliveryCheckin,
        Flow::ReviewRequest,
        Flow::Survey,
        Flow::Replenishment,
        Flow::CompleteTheSet,
        Flow::WinBack,
        Flow::VipTier,
        Flow::VipTop,
        Flow::Birthday,
        Flow::Anniversary,
        Flow::LoyaltyLaunch,
        Flow::PointsExpiry,
        Flow::SupportReply,
        Flow::ReturnStatus,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Flow::PostPurchase => "post_purchase",
            Flow::DeliveryCheckin => "delivery_checkin",
            Flow::ReviewRequest => "review_request",
            Flow::Survey => "survey",
            Flow::Replenishment => "replenishment",
            Flow::CompleteTheSet => "complete_the_set",
            Flow::WinBack => "win_back",
            Flow::VipTier => "vip_tier",
            Flow::VipTop => "vip_top",
            Flow::Birthday => "birthday",
            Flow::Anniversary => "anniversary",
            Flow::LoyaltyLaunch => "loyalty_launch",
            Flow::PointsExpiry => "points_expiry",
            Flow::SupportReply => "support_reply",
            Flow::ReturnStatus => "return_status",
        }
    }

    pub fn parse(key: &str) -> Option<Flow> {
        Flow::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The scheduler's job kind for this flow.
    pub fn job_kind(self) -> String {
        format!("flow.{}", self.key())
    }

    /// Marketing mail needs the customer's consent, is paced and carries a
    /// one-click unsubscribe; the rest is about an order or a case they opened.
    pub fn is_marketing(self) -> bool {
        !matches!(
            self,
            Flow::PostPurchase | Flow::DeliveryCheckin | Flow::SupportReply | Flow::ReturnStatus
        )
    }
}

/// Who receives transactional mail (confirmation, delivery check-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Every customer with an address: it is about their own order.
    #[default]
    All,
    /// Only customers who accepted marketing email.
    Subscribed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Toggle {
    pub enabled: bool,
}

impl Default for Toggle {
    fn default() -> Self {
        Toggle { enabled: true }
    }
}

/// A flow that waits some days after an event (a delivery), with its default.
macro_rules! timed {
    ($name:ident, $days:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            pub enabled: bool,
            pub days: u32,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    days: $days,
                }
            }
        }
    };
}

timed!(ReviewTiming, 7);
timed!(SurveyTiming, 3);

/// "Running low?" for a product, some days after it was bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplenishRule {
    pub product_id: i64,
    pub after_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Replenishment {
    pub enabled: bool,
    /// Whole percent off the reorder; 0 sends no code.
    pub discount_percent: u32,
    pub rules: Vec<ReplenishRule>,
}

impl Default for Replenishment {
    fn default() -> Self {
        Replenishment {
            enabled: true,
            discount_percent: 10,
            rules: Vec::new(),
        }
    }
}

/// Bought `product_id` but not `suggest_product_id`: suggest it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pairing {
    pub product_id: i64,
    pub suggest_product_id: i64,
    /// What the email calls the suggestion.
    pub suggest_title: String,
    /// Its page on the shop (`/products/handle`), linked from the email.
    #[serde(default)]
    pub suggest_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompleteTheSet {
    pub enabled: bool,
    pub after_days: u32,
    pub discount_percent: u32,
    pub pairs: Vec<Pairing>,
}

impl Default for CompleteTheSet {
    fn default() -> Self {
        CompleteTheSet {
            enabled: true,
            after_days: 14,
            discount_percent: 10,
            pairs: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WinBack {
    pub enabled: bool,
    /// None: learned from the shop's median time to a second purchase;
    /// else 30, 60 or 90 days, set by hand.
    pub lapse_days: Option<u32>,
    /// Customers in the top `high_value_percent` by spend are high-value.
    pub high_value_percent: u32,
    /// What high-value customers get: bonus points (with the loyalty
    /// program on; else early access to what is new).
    pub bonus_points: i64,
    /// What everybody else gets: a small discount, whole percent.
    pub discount_percent: u32,
}

impl Default for WinBack {
    fn default() -> Self {
        WinBack {
            enabled: true,
            lapse_days: None,
            high_value_percent: 20,
            bonus_points: 200,
            discount_percent: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vip {
    pub enabled: bool,
    /// The "top N% by spend" note.
    pub top_percent: u32,
}

impl Default for Vip {
    fn default() -> Self {
        Vip {
            enabled: true,
            top_percent: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlowSettings {
    pub transactional_audience: Audience,
    /// Marketing emails per customer in any seven days.
    pub weekly_cap: u32,
    /// Marketing mail goes out from this hour to this hour, shop time.
    pub send_from_hour: u32,
    pub send_until_hour: u32,
    pub post_purchase: Toggle,
    pub delivery_checkin: Toggle,
    pub review_request: ReviewTiming,
    pub survey: SurveyTiming,
    pub replenishment: Replenishment,
    pub complete_the_set: CompleteTheSet,
    pub win_back: WinBack,
    pub vip: Vip,
    pub birthday: Toggle,
    pub anniversary: Toggle,
    pub loyalty_launch: Toggle,
    pub points_expiry: Toggle,
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            transactional_audience: Audience::All,
            weekly_cap: 2,
            send_from_hour: 9,
            send_until_hour: 20,
            post_purchase: Toggle::default(),
            delivery_checkin: Toggle::default(),
            review_request: ReviewTiming::default(),
            survey: SurveyTiming::default(),
            replenishment: Replenishment::default(),
            complete_the_set: CompleteTheSet::default(),
            win_back: WinBack::default(),
            vip: Vip::default(),
            birthday: Toggle::default(),
            anniversary: Toggle::default(),
            loyalty_launch: Toggle::default(),
            points_expiry: Toggle::default(),
        }
    }
}

impl Section for FlowSettings {
    const SECTION: &'static str = "flows";
}

/// A setting out of bounds: the field and the locale key saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub key: &'static str,
}

impl FlowSettings {
    pub fn enabled(&self, flow: Flow) -> bool {
        match flow {
            Flow::PostPurchase => self.post_purchase.enabled,
            Flow::DeliveryCheckin => self.delivery_checkin.enabled,
            Flow::ReviewRequest => self.review_request.enabled,
            Flow::Survey => self.survey.enabled,
            Flow::Replenishment => self.replenishment.enabled,
            Flow::CompleteTheSet => self.complete_the_set.enabled,
            Flow::WinBack => self.win_back.enabled,
            Flow::VipTier | Flow::VipTop => self.vip.enabled,
            Flow::Birthday => self.birthday.enabled,
            Flow::Anniversary => self.anniversary.enabled,
            Flow::LoyaltyLaunch => self.loyalty_launch.enabled,
            Flow::PointsExpiry => self.points_expiry.enabled,
            // A shopper who asked for a return always hears where it stands.
            Flow::SupportReply | Flow::ReturnStatus => true,
        }
    }

    /// Every field out of bounds, so the merchant can fix them all at once.
    pub fn validate(&self) -> Vec<Invalid> {
        let mut bad = Vec::new();
        let mut check = |ok: bool, field: &str, key: &'static str| {
            if !ok {
                bad.push(Invalid {
                    field: field.to_owned(),
                    key,
                });
            }
        };
        check(
            (1..=14).contains(&self.weekly_cap),
            "weekly_cap",
            "flows.error.weekly_cap",
        );
        check(
            self.send_from_hour < self.send_until_hour && self.send_until_hour <= 24,
            "send_until_hour",
            "flows.error.window",
        );
        for (field, days) in [
            ("review_request.days", self.review_request.days),
            ("survey.days", self.survey.days),
            (
                "complete_the_set.after_days",
                self.complete_the_set.after_days,
            ),
        ] {
            check((1..=120).contains(&days), field, "flows.error.days");
        }
        for (field, percent) in [
            (
                "replenishment.discount_percent",
                self.replenishment.discount_percent,
            ),
            (
                "complete_the_set.discount_percent",
                self.complete_the_set.discount_percent,
            ),
            ("win_back.discount_percent", self.win_back.discount_percent),
        ] {
            check(percent <= 50, field, "flows.error.percent");
        }
        for (i, rule) in self.replenishment.rules.iter().enumerate() {
            check(
                rule.product_id > 0 && (7..=365).contains(&rule.after_days),
                &format!("replenishment.rules.{i}"),
                "flows.error.replenish_rule",
            );
        }
        for (i, pair) in self.complete_the_set.pairs.iter().enumerate() {
            check(
                pair.product_id > 0
                    && pair.suggest_product_id > 0
                    && pair.product_id != pair.suggest_product_id
                    && !pair.suggest_title.trim().is_empty()
                    && (pair.suggest_path.is_empty() || pair.suggest_path.starts_with('/')),
                &format!("complete_the_set.pairs.{i}"),
                "flows.error.pairing",
            );
        }
        check(
            self.win_back
                .lapse_days
                .is_none_or(|d| [30, 60, 90].contains(&d)),
            "win_back.lapse_days",
            "flows.error.lapse",
        );
        check(
            (1..=50).contains(&self.win_back.high_value_percent),
            "win_back.high_value_percent",
            "flows.error.share",
        );
        check(
            (0..=100_000).contains(&self.win_back.bonus_points),
            "win_back.bonus_points",
            "flows.error.points",
        );
        check(
            (1..=25).contains(&self.vip.top_percent),
            "vip.top_percent",
            "flows.error.share",
        );
        bad
    }

    /// The replenishment rule for a product, if the shop set one.
    pub fn replenish_rule(&self, product_id: i64) -> Option<&ReplenishRule> {
        self.replenishment
            .rules
            .iter()
            .find(|r| r.product_id == product_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_every_flow_and_are_valid() {
        let s = FlowSettings::default();
        assert!(Flow::ALL.iter().all(|f| s.enabled(*f)));
        assert_eq!(s.validate(), vec![]);
        assert_eq!((s.review_request.days, s.survey.days), (7, 3));
        assert_eq!(s.win_back.lapse_days, None, "learned by default");
    }

    #[test]
    fn a_partial_document_keeps_the_other_defaults() {
        let s: FlowSettings =
            serde_json::from_str(r#"{"survey": {"enabled": false}, "weekly_cap": 3}"#)
                .expect("parses");
        assert!(!s.survey.enabled);
        assert_eq!(s.survey.days, 3);
        assert_eq!(s.weekly_cap, 3);
        assert!(s.review_request.enabled);
        assert!(serde_json::from_str::<FlowSettings>(r#"{"nope": 1}"#).is_err());
    }

    #[test]
    fn out_of_bounds_fields_are_all_reported() {
        let mut s = FlowSettings {
            weekly_cap: 0,
            send_from_hour: 21,
            ..Default::default()
        };
        s.win_back.lapse_days = Some(45);
        s.replenishment.rules.push(ReplenishRule {
            product_id: 5,
            after_days: 2,
        });
        s.complete_the_set.pairs.push(Pairing {
            product_id: 1,
            suggest_product_id: 1,
            suggest_title: "x".into(),
            suggest_path: String::new(),
        });
        let fields: Vec<String> = s.validate().into_iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            [
                "weekly_cap",
                "send_until_hour",
                "replenishment.rules.0",
                "complete_the_set.pairs.0",
                "win_back.lapse_days"
            ]
        );
    }

    #[test]
    fn flows_know_their_kind_and_nature() {
        assert_eq!(Flow::parse("win_back"), Some(Flow::WinBack));
        assert_eq!(Flow::WinBack.job_kind(), "flow.win_back");
        assert!(!Flow::DeliveryCheckin.is_marketing());
        assert!(Flow::Survey.is_marketing());
        assert!(Flow::ALL.iter().all(|f| Flow::parse(f.key()) == Some(*f)));
    }
}
