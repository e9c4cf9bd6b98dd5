//! What only the merchant knows: their margins, what they spend to acquire
//! customers, and when they ran sales.
use crate::shops::Section;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SalePeriod {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// Gross margin on what the shop sells, whole percent.
    pub default_margin_percent: u32,
    /// Per product (the platform's product id) where it differs.
    pub product_margins: BTreeMap<i64, u32>,
    /// Acquisition spend (ads, influencers…) per month `YYYY-MM`, minor units.
    pub acquisition_spend: BTreeMap<String, i64>,
    pub sales: Vec<SalePeriod>,
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            default_margin_percent: 30,
            product_margins: BTreeMap::new(),
            acquisition_spend: BTreeMap::new(),
            sales: Vec::new(),
        }
    }
}

impl Section for MetricsSettings {
    const SECTION: &'static str = "metrics";
}

impl MetricsSettings {
    /// Fields out of bounds, with the locale key saying why.
    pub fn validate(&self) -> Vec<(String, &'static str)> {
        let mut bad = Vec::new();
        if self.default_margin_percent > 100 {
            bad.push(("default_margin_percent".to_owned(), "metrics.error.margin"));
        }
        for (product, margin) in &self.product_margins {
            if *margin > 100 {
                bad.push((format!("product_margins.{product}"), "metrics.error.margin"));
            }
        }
        for (month, spend) in &self.acquisition_spend {
            if super::period::Month::parse(month).is_none() {
                bad.push((format!("acquisition_spend.{month}"), "metrics.error.month"));
            } else if !(0..=1_000_000_000_000).contains(spend) {
                bad.push((format!("acquisition_spend.{month}"), "metrics.error.spend"));
            }
        }
        for (i, sale) in self.sales.iter().enumerate() {
            if sale.name.trim().is_empty() || sale.name.len() > 80 || sale.from > sale.to {
                bad.push((format!("sales.{i}"), "metrics.error.sale"));
            }
        }
        if self.sales.len() > 50 {
            bad.push(("sales".to_owned(), "metrics.error.sale"));
        }
        bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked() {
        assert!(MetricsSettings::default().validate().is_empty());
        let mut s = MetricsSettings {
            default_margin_percent: 101,
            ..Default::default()
        };
        s.acquisition_spend.insert("2026-13".into(), 5);
        s.acquisition_spend.insert("2026-01".into(), -5);
        s.sales.push(SalePeriod {
            name: "Black Friday".into(),
            from: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        });
        let fields: Vec<String> = s.validate().into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "default_margin_percent",
                "acquisition_spend.2026-01",
                "acquisition_spend.2026-13",
                "sales.0"
            ]
        );
    }
}
