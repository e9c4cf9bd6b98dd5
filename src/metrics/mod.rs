//! Capability 7, "you can't improve what you don't measure": whether the
//! flywheel turns. `engine` is the arithmetic over plain rows, `load` the SQL
//! that feeds it, `period` the shop's calendar, `charts` the SVG drawings.
pub mod cache;
pub mod charts;
pub mod dashboard;
pub mod engine;
pub mod export;
pub mod load;
pub mod period;
pub mod settings;

pub use dashboard::{Dashboard, dashboard};
pub use period::{Month, Period, PeriodError};
pub use settings::MetricsSettings;

use engine::{SegmentKey, SegmentRules};

/// The rule a segment was cut with, in the merchant's words.
pub fn rules_text(lang: &str, key: SegmentKey, rules: &SegmentRules, currency: &str) -> String {
    let days = rules.lapse_days.to_string();
    let orders = rules.loyal_orders.to_string();
    let percent = rules.vip_top_percent.to_string();
    let threshold = rules
        .vip_threshold_minor
        .map(|m| crate::money::Money::new(m, currency).with_currency())
        .unwrap_or_else(|| "—".to_owned());
    crate::i18n::tf(
        lang,
        &format!("metrics.rule.{}", key.key()),
        &[
            ("days", &days),
            ("orders", &orders),
            ("percent", &percent),
            ("threshold", &threshold),
        ],
    )
}
