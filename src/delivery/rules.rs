//! A shop's delivery rules as plain values: zones, suppliers and their SLAs,
//! which products each supplier ships, holidays, the under-promise buffer.
//! Estimating for a product or a cart is pure given `now`.
use super::engine::{
    Calendar, Estimate, REST_OF_WORLD, Supplier, Zone, ZoneTransit, combine, zone_of,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Which supplier ships a product: by explicit product id, by tag, or by vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierMapping {
    #[serde(default)]
    pub product_id: Option<i64>,
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub vendor: Option<String>,
    pub supplier: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryRules {
    pub zones: Vec<Zone>,
    pub suppliers: Vec<Supplier>,
    /// Ships whatever no mapping names.
    pub default_supplier: String,
    pub mappings: Vec<SupplierMapping>,
    /// Days nothing is dispatched (the shop's and its suppliers' holidays).
    pub holidays: Vec<NaiveDate>,
    /// Extra carrier days added to the latest date: under-promise, over-deliver.
    pub buffer_days: u32,
    /// Used when the storefront does not say where the shopper is.
    pub default_country: String,
}

impl Default for DeliveryRules {
    fn default() -> Self {
        let zone = |key: &str, name: &str, countries: &[&str]| Zone {
            key: key.into(),
            name: name.into(),
            countries: countries.iter().map(|c| (*c).to_owned()).collect(),
        };
        let transit = |zone: &str, min_days, max_days| ZoneTransit {
            zone: zone.into(),
            min_days,
            max_days,
        };
        DeliveryRules {
            zones: vec![
                zone(
                    "eu",
                    "European Union",
                    &[
                        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR",
                        "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK",
                        "SI", "ES", "SE",
                    ],
                ),
                zone("uk", "United Kingdom", &["GB"]),
                zone("north_america", "North America", &["US", "CA"]),
            ],
            suppliers: vec![Supplier {
                key: "default".into(),
                name: "Main supplier".into(),
                processing_days_avg: 2,
                processing_days_worst: 4,
                cutoff: NaiveTime::from_hms_opt(14, 0, 0).unwrap_or_default(),
                working_days: vec![1, 2, 3, 4, 5],
                transit: vec![
                    transit("eu", 6, 10),
                    transit("uk", 7, 12),
                    transit("north_america", 8, 14),
                    transit(REST_OF_WORLD, 12, 22),
                ],
            }],
            default_supplier: "default".into(),
            mappings: Vec::new(),
            holidays: Vec::new(),
            buffer_days: 1,
            default_country: "US".into(),
        }
    }
}

/// What the storefront knows about a product.
#[derive(Debug, Clone, Default)]
pub struct ProductRef {
    pub product_id: Option<i64>,
    pub vendor: Option<String>,
    pub tags: Vec<String>,
}

impl DeliveryRules {
    pub fn validate(&self) -> Result<(), String> {
        if self.suppliers.is_empty() {
            return Err("at least one supplier is needed".into());
        }
        if self.supplier(&self.default_supplier).is_none() {
            return Err(format!(
                "the default supplier `{}` is not in the list",
                self.default_supplier
            ));
        }
        for s in &self.suppliers {
            if s.key.trim().is_empty() || s.name.trim().is_empty() {
                return Err("every supplier needs a key and a name".into());
            }
            if s.working_days.is_empty() || s.working_days.iter().any(|d| !(1..=7).contains(d)) {
                return Err(format!(
                    "supplier `{}`: working days are 1 (Monday) to 7 (Sunday), at least one",
                    s.key
                ));
            }
            if s.processing_days_worst < s.processing_days_avg {
                return Err(format!(
                    "supplier `{}`: the worst case cannot be faster than the average",
                    s.key
                ));
            }
            if s.processing_days_worst > 60 {
                return Err(format!(
                    "supplier `{}`: processing days must be at most 60",
                    s.key
                ));
            }
            if s.transit.iter().all(|t| t.zone != REST_OF_WORLD) {
                return Err(format!(
                    "supplier `{}` needs a `{REST_OF_WORLD}` transit time",
                    s.key
                ));
            }
            for t in &s.transit {
                if t.max_days < t.min_days || t.max_days > 120 {
                    return Err(format!(
                        "supplier `{}`, zone `{}`: transit days must be min ≤ max ≤ 120",
                        s.key, t.zone
                    ));
                }
            }
        }
        for m in &self.mappings {
            if self.supplier(&m.supplier).is_none() {
                return Err(format!(
                    "a mapping names the unknown supplier `{}`",
                    m.supplier
                ));
            }
        }
        if self.buffer_days > 30 {
            return Err("buffer_days must be at most 30".into());
        }
        if self.default_country.len() != 2 {
            return Err("default_country must be a two-letter country code".into());
        }
        Ok(())
    }

    pub fn supplier(&self, key: &str) -> Option<&Supplier> {
        self.suppliers.iter().find(|s| s.key == key)
    }

    /// The supplier for a product: explicit product mapping first, then tag, then vendor.
    pub fn supplier_for(&self, product: &ProductRef) -> Option<&Supplier> {
        let by_product = self
            .mappings
            .iter()
            .find(|m| m.product_id.is_some() && m.product_id == product.product_id);
        let by_tag = || {
            self.mappings.iter().find(|m| {
                m.tag.as_ref().is_some_and(|tag| {
                    product
                        .tags
                        .iter()
                        .any(|t| t.trim().eq_ignore_ascii_case(tag))
                })
            })
        };
        let by_vendor = || {
            self.mappings.iter().find(|m| {
                m.vendor
                    .as_ref()
                    .zip(product.vendor.as_ref())
                    .is_some_and(|(a, b)| a.trim().eq_ignore_ascii_case(b.trim()))
            })
        };
        by_product
            .or_else(by_tag)
            .or_else(by_vendor)
            .and_then(|m| self.supplier(&m.supplier))
            .or_else(|| self.supplier(&self.default_supplier))
    }

    /// The range for these products shipped to `country`, ordered at `now`.
    pub fn estimate(
        &self,
        now: DateTime<Utc>,
        tz: Tz,
        country: &str,
        products: &[ProductRef],
    ) -> Option<Estimate> {
        let zone = zone_of(&self.zones, country);
        let calendar = Calendar {
            tz,
            holidays: &self.holidays,
            buffer_days: self.buffer_days,
        };
        let estimates: Vec<Estimate> = if products.is_empty() {
            // Nothing named (a cart we cannot see): the slowest supplier, to stay honest.
            self.suppliers
                .iter()
                .filter_map(|s| s.estimate(now, zone, calendar))
                .collect()
        } else {
            products
                .iter()
                .filter_map(|p| self.supplier_for(p))
                .filter_map(|s| s.estimate(now, zone, calendar))
                .collect()
        };
        combine(&estimates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rules() -> DeliveryRules {
        let mut rules = DeliveryRules::default();
        let mut slow = rules.suppliers[0].clone();
        slow.key = "porto".into();
        slow.name = "Porto Cork Co.".into();
        slow.processing_days_worst = 8;
        rules.suppliers.push(slow);
        rules.mappings.push(SupplierMapping {
            product_id: None,
            tag: None,
            vendor: Some("Porto Cork Co.".into()),
            supplier: "porto".into(),
        });
        rules.mappings.push(SupplierMapping {
            product_id: Some(42),
            tag: None,
            vendor: None,
            supplier: "default".into(),
        });
        rules
    }

    #[test]
    fn defaults_are_valid() {
        assert!(DeliveryRules::default().validate().is_ok());
        assert!(rules().validate().is_ok());
        let mut bad = rules();
        bad.mappings[0].supplier = "nobody".into();
        assert!(bad.validate().is_err());
        let mut bad = rules();
        bad.suppliers[0].processing_days_avg = 9;
        assert!(bad.validate().is_err());
    }

    #[test]
    fn products_map_to_suppliers_by_id_then_tag_then_vendor() {
        let r = rules();
        let cork = ProductRef {
            product_id: Some(7),
            vendor: Some("porto cork co.".into()),
            tags: vec![],
        };
        assert_eq!(r.supplier_for(&cork).map(|s| s.key.as_str()), Some("porto"));
        let pinned = ProductRef {
            product_id: Some(42),
            vendor: Some("Porto Cork Co.".into()),
            tags: vec![],
        };
        assert_eq!(
            r.supplier_for(&pinned).map(|s| s.key.as_str()),
            Some("default")
        );
        assert_eq!(
            r.supplier_for(&ProductRef::default())
                .map(|s| s.key.as_str()),
            Some("default")
        );
    }

    #[test]
    fn a_cart_we_cannot_see_gets_the_slowest_promise() {
        let r = rules();
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 8, 0, 0).unwrap();
        let rome: Tz = "Europe/Rome".parse().expect("tz");
        let fast = r
            .estimate(now, rome, "IT", &[ProductRef::default()])
            .expect("fast");
        let whole = r.estimate(now, rome, "IT", &[]).expect("whole");
        assert!(whole.latest > fast.latest);
        assert_eq!(whole.zone, "eu");
        let us = r
            .estimate(now, rome, "US", &[ProductRef::default()])
            .expect("us");
        assert_eq!(us.zone, "north_america");
        let far = r
            .estimate(now, rome, "JP", &[ProductRef::default()])
            .expect("far");
        assert_eq!(far.zone, REST_OF_WORLD);
        assert!(far.latest > us.latest);
    }
}
