//! VIP tiers as plain values: which tier a customer's spend or order count
//! over the rolling window reaches, how far the next one is, which perks apply.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    /// Net spend (subtotal after discounts, less refunds) over the window.
    Spend,
    /// Paid, not cancelled orders over the window.
    Orders,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Stable identifier, also the customer tag suffix (`flywheel-tier-gold`).
    pub key: String,
    pub name: String,
    /// Whole currency units of spend, or a number of orders, per `TierBasis`.
    pub threshold: i64,
    pub points_multiplier_percent: u32,
    /// Free shipping once the member has this many orders in the window.
    #[serde(default)]
    pub free_shipping_after_orders: Option<u32>,
    #[serde(default)]
    pub early_access: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TierRules {
    pub basis: TierBasis,
    pub window_days: u32,
    /// Ascending thresholds; the first is the entry tier at 0.
    pub tiers: Vec<Tier>,
}

impl Default for TierRules {
    fn default() -> Self {
        let tier = |key: &str, name: &str, threshold, pct, free_after, early| Tier {
            key: key.into(),
            name: name.into(),
            threshold,
            points_multiplier_percent: pct,
            free_shipping_after_orders: free_after,
            early_access: early,
        };
        TierRules {
            basis: TierBasis::Spend,
            window_days: 365,
            tiers: vec![
                tier("bronze", "Bronze", 0, 100, None, false),
                tier("silver", "Silver", 250, 125, None, false),
                tier("gold", "Gold", 750, 150, Some(3), true),
            ],
        }
    }
}

/// What a member has done over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub spend_minor: i64,
    pub orders: i64,
}

/// The way to the next tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub tier: String,
    pub tier_name: String,
    pub next_tier: Option<String>,
    pub next_tier_name: Option<String>,
    pub basis: TierBasis,
    /// Minor units of spend, or orders, still needed; 0 at the top tier.
    pub remaining: i64,
    /// 0–100 along the way from this tier's threshold to the next.
    pub percent: u8,
}

impl TierRules {
    pub fn validate(&self) -> Result<(), String> {
        let Some(first) = self.tiers.first() else {
            return Err("at least one tier is needed".into());
        };
        if first.threshold != 0 {
            return Err("the first tier must start at 0".into());
        }
        if self.window_days == 0 || self.window_days > 3660 {
            return Err("tiers.window_days must be between 1 and 3660".into());
        }
        let mut keys = std::collections::HashSet::new();
        for pair in self.tiers.windows(2) {
            if pair[1].threshold <= pair[0].threshold {
                return Err(format!(
                    "tier `{}` must need more than `{}`",
                    pair[1].key, pair[0].key
                ));
            }
        }
        for tier in &self.tiers {
            let key_ok = !tier.key.is_empty()
                && tier.key.len() <= 24
                && tier
                    .key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !key_ok {
                return Err(format!(
                    "tier key `{}` must be 1–24 lowercase letters, digits or dashes",
                    tier.key
                ));
            }
            if !keys.insert(tier.key.as_str()) {
                return Err(format!("tier key `{}` is used twice", tier.key));
            }
            if tier.name.trim().is_empty() {
                return Err(format!("tier `{}` needs a name", tier.key));
            }
            if !(100..=1000).contains(&tier.points_multiplier_percent) {
                return Err(format!(
                    "tier `{}`: the points multiplier must be between 100% and 1000%",
                    tier.key
                ));
            }
        }
        Ok(())
    }

    /// The threshold in the unit `standing` is measured in.
    fn threshold_of(&self, tier: &Tier, minor_digits: u32) -> i64 {
        match self.basis {
            TierBasis::Spend => tier.threshold.saturating_mul(10i64.pow(minor_digits)),
            TierBasis::Orders => tier.threshold,
        }
    }

    fn measure(&self, standing: Standing) -> i64 {
        match self.basis {
            TierBasis::Spend => standing.spend_minor,
            TierBasis::Orders => standing.orders,
        }
    }

    /// Index of the highest tier whose threshold the standing reaches.
    fn position(&self, standing: Standing, minor_digits: u32) -> usize {
        let measure = self.measure(standing);
        self.tiers
            .iter()
            .rposition(|t| measure >= self.threshold_of(t, minor_digits))
            .unwrap_or(0)
    }

    pub fn evaluate(&self, standing: Standing, minor_digits: u32) -> Option<&Tier> {
        self.tiers.get(self.position(standing, minor_digits))
    }

    /// The tier every member starts in.
    pub fn entry(&self) -> Option<&Tier> {
        self.tiers.first()
    }

    pub fn find(&self, key: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.key == key)
    }

    pub fn progress(&self, standing: Standing, minor_digits: u32) -> Option<Progress> {
        let at = self.position(standing, minor_digits);
        let current = self.tiers.get(at)?;
        let next = self.tiers.get(at + 1);
        let measure = self.measure(standing);
        let (remaining, percent) = match next {
            None => (0, 100),
            Some(next) => {
                let from = self.threshold_of(current, minor_digits);
                let to = self.threshold_of(next, minor_digits);
                let done = (measure - from).clamp(0, to - from);
                let percent = (done as i128 * 100 / (to - from).max(1) as i128) as u8;
                (to - measure, percent)
            }
        };
        Some(Progress {
            tier: current.key.clone(),
            tier_name: current.name.clone(),
            next_tier: next.map(|t| t.key.clone()),
            next_tier_name: next.map(|t| t.name.clone()),
            basis: self.basis,
            remaining,
            percent,
        })
    }
}

impl Tier {
    pub fn free_shipping_unlocked(&self, standing: Standing) -> bool {
        self.free_shipping_after_orders
            .is_some_and(|n| standing.orders >= i64::from(n))
    }
}

/// The customer tag that mirrors a tier on the platform.
pub fn tier_tag(key: &str) -> String {
    format!("flywheel-tier-{key}")
}

/// The customer tag for members whose tier gives them free shipping now.
pub const FREE_SHIPPING_TAG: &str = "flywheel-free-shipping";

#[cfg(test)]
mod tests {
    use super::*;

    fn spend(euros: i64) -> Standing {
        Standing {
            spend_minor: euros * 100,
            orders: 1,
        }
    }

    #[test]
    fn thresholds_are_reached_exactly_at_the_edge() {
        let rules = TierRules::default();
        let key = |s| rules.evaluate(s, 2).map(|t| t.key.clone());
        assert_eq!(key(spend(0)).as_deref(), Some("bronze"));
        assert_eq!(
            key(Standing {
                spend_minor: 24_999,
                orders: 3
            })
            .as_deref(),
            Some("bronze")
        );
        assert_eq!(key(spend(250)).as_deref(), Some("silver"));
        assert_eq!(
            key(Standing {
                spend_minor: 74_999,
                orders: 9
            })
            .as_deref(),
            Some("silver")
        );
        assert_eq!(key(spend(750)).as_deref(), Some("gold"));
        assert_eq!(key(spend(100_000)).as_deref(), Some("gold"));
        // Refunds can push net spend below zero: still the entry tier.
        assert_eq!(
            key(Standing {
                spend_minor: -500,
                orders: 0
            })
            .as_deref(),
            Some("bronze")
        );
    }

    #[test]
    fn order_count_basis_counts_orders() {
        let mut rules = TierRules {
            basis: TierBasis::Orders,
            ..Default::default()
        };
        rules.tiers[1].threshold = 3;
        rules.tiers[2].threshold = 6;
        let at = |orders| {
            rules
                .evaluate(
                    Standing {
                        spend_minor: 1_000_000,
                        orders,
                    },
                    2,
                )
                .map(|t| t.key.clone())
        };
        assert_eq!(at(2).as_deref(), Some("bronze"));
        assert_eq!(at(3).as_deref(), Some("silver"));
        assert_eq!(at(6).as_deref(), Some("gold"));
    }

    #[test]
    fn progress_shows_what_is_left() {
        let rules = TierRules::default();
        let p = rules.progress(spend(100), 2).expect("progress");
        assert_eq!(p.tier, "bronze");
        assert_eq!(p.next_tier.as_deref(), Some("silver"));
        assert_eq!(p.remaining, 15_000);
        assert_eq!(p.percent, 40);
        let p = rules.progress(spend(500), 2).expect("progress");
        assert_eq!(
            (p.tier.as_str(), p.percent, p.remaining),
            ("silver", 50, 25_000)
        );
        let top = rules.progress(spend(2_000), 2).expect("progress");
        assert_eq!((top.next_tier, top.remaining, top.percent), (None, 0, 100));
    }

    #[test]
    fn zero_decimal_currencies_scale_thresholds() {
        let rules = TierRules::default();
        let yen = Standing {
            spend_minor: 250,
            orders: 1,
        };
        assert_eq!(
            rules.evaluate(yen, 0).map(|t| t.key.as_str()),
            Some("silver")
        );
    }

    #[test]
    fn gold_ships_free_after_three_orders() {
        let rules = TierRules::default();
        let gold = rules.find("gold").expect("gold");
        let two = Standing {
            spend_minor: 80_000,
            orders: 2,
        };
        let three = Standing {
            spend_minor: 80_000,
            orders: 3,
        };
        assert!(!gold.free_shipping_unlocked(two));
        assert!(gold.free_shipping_unlocked(three));
        assert!(!rules.tiers[0].free_shipping_unlocked(three));
    }

    #[test]
    fn tier_rules_are_validated() {
        assert!(TierRules::default().validate().is_ok());
        let mut bad = TierRules::default();
        bad.tiers[2].threshold = 100;
        assert!(bad.validate().is_err());
        let mut bad = TierRules::default();
        bad.tiers[0].threshold = 10;
        assert!(bad.validate().is_err());
        let mut bad = TierRules::default();
        bad.tiers[1].key = "Silver Tier".into();
        assert!(bad.validate().is_err());
        let mut bad = TierRules::default();
        bad.tiers.clear();
        assert!(bad.validate().is_err());
    }
}
