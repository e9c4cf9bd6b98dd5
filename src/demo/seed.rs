//! Seeds the demo shop once; a second run finds its orders and does nothing.
use crate::commerce::Commerce;
use crate::commerce::payload::{
    AddressPayload, CustomerPayload, DiscountCodePayload, FulfillmentPayload, LineItemPayload,
    MarketingConsent, OrderPayload, RefundPayload, TransactionPayload,
};
use crate::delivery::DeliveryPromises;
use crate::delivery::rules::{DeliveryRules, SupplierMapping};
use crate::money::Money;
use crate::shopify::ShopDomain;
use crate::shops::{ShopProfile, Shops, TokenCipher};
use chrono::{DateTime, Duration, Utc};
use entity::orders;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionTrait,
};

pub const DEMO_SHOP: &str = "flywheel-demo.myshopify.com";
const CUSTOMERS: i64 = 260;
/// Ids above 2^53, like the platform's.
const CUSTOMER_ID_BASE: i64 = 8_200_000_000_000_000;
const ORDER_ID_BASE: i64 = 9_100_000_000_000_000;

/// A product of the demo catalogue.
pub struct Product {
    pub id: i64,
    pub title: &'static str,
    pub vendor: &'static str,
    pub price_minor: i64,
}

impl Product {
    /// The URL handle, as the platform derives it from the title.
    pub fn handle(&self) -> String {
        self.title
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join("-")
    }
}

pub const PRODUCTS: [Product; 8] = [
    Product {
        id: 7_300_000_000_001,
        title: "Bamboo phone stand",
        vendor: "Shenzhen Gadgets",
        price_minor: 1990,
    },
    Product {
        id: 7_300_000_000_002,
        title: "Posture corrector",
        vendor: "Guangzhou Wellness",
        price_minor: 2990,
    },
    Product {
        id: 7_300_000_000_003,
        title: "LED desk lamp",
        vendor: "Shenzhen Gadgets",
        price_minor: 3990,
    },
    Product {
        id: 7_300_000_000_004,
        title: "Silicone kitchen set",
        vendor: "Yiwu Home",
        price_minor: 2490,
    },
    Product {
        id: 7_300_000_000_005,
        title: "Pet hair remover",
        vendor: "Yiwu Home",
        price_minor: 1490,
    },
    Product {
        id: 7_300_000_000_006,
        title: "Portable blender",
        vendor: "Guangzhou Wellness",
        price_minor: 3490,
    },
    Product {
        id: 7_300_000_000_007,
        title: "Magnetic cable organiser",
        vendor: "Shenzhen Gadgets",
        price_minor: 990,
    },
    Product {
        id: 7_300_000_000_008,
        title: "Cork yoga mat",
        vendor: "Porto Cork Co.",
        price_minor: 2790,
    },
];

const FIRST: [&str; 16] = [
    "Giulia", "Marco", "Chiara", "Luca", "Camille", "Louis", "Emma", "Hugo", "Olivia", "James",
    "Sofia", "Léa", "Matteo", "Noah", "Alice", "Thomas",
];
const LAST: [&str; 12] = [
    "Rossi", "Bianchi", "Ferrari", "Martin", "Bernard", "Dubois", "Smith", "Jones", "Taylor",
    "Romano", "Moreau", "Brown",
];
const PLACES: [(&str, &str, &str); 5] = [
    ("IT", "Milano", "20121"),
    ("IT", "Roma", "00184"),
    ("FR", "Lyon", "69002"),
    ("FR", "Paris", "75011"),
    ("GB", "London", "E1 6AN"),
];

/// The demo's suppliers: gadgets from Shenzhen are quick, cork from Porto is
/// close to Europe, the home goods wholesaler is slow.
fn demo_delivery_rules() -> DeliveryRules {
    let mut rules = DeliveryRules {
        default_country: "IT".into(),
        ..Default::default()
    };
    let base = rules.suppliers[0].clone();
    let supplier = |key: &str, name: &str, avg, worst, eu: (u32, u32)| {
        let mut s = base.clone();
        s.key = key.into();
        s.name = name.into();
        s.processing_days_avg = avg;
        s.processing_days_worst = worst;
        for t in &mut s.transit {
            if t.zone == "eu" {
                (t.min_days, t.max_days) = eu;
            }
        }
        s
    };
    rules.suppliers = vec![
        supplier("shenzhen", "Shenzhen Gadgets", 1, 3, (7, 12)),
        supplier("guangzhou", "Guangzhou Wellness", 2, 4, (8, 14)),
        supplier("yiwu", "Yiwu Home", 3, 6, (9, 16)),
        supplier("porto", "Porto Cork Co.", 1, 2, (2, 4)),
    ];
    rules.default_supplier = "shenzhen".into();
    rules.mappings = [
        ("Guangzhou Wellness", "guangzhou"),
        ("Yiwu Home", "yiwu"),
        ("Porto Cork Co.", "porto"),
    ]
    .iter()
    .map(|(vendor, supplier)| SupplierMapping {
        product_id: None,
        tag: None,
        vendor: Some((*vendor).into()),
        supplier: (*supplier).into(),
    })
    .collect();
    rules
}

fn money(minor: i64) -> String {
    Money::new(minor, "EUR").to_decimal_string()
}

/// Seeds the demo shop unless it already has orders. Returns the number of orders written.
pub async fn seed(
    db: &DatabaseConnection,
    cipher: &TokenCipher,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let domain = ShopDomain::from_stored(DEMO_SHOP.to_owned());
    let txn = db.begin().await?;
    let shop = match Shops::find(&txn, &domain).await? {
        Some(shop) if shop.uninstalled_at.is_none() && shop.access_token_encrypted.is_some() => {
            shop
        }
        _ => {
            let shop = Shops::install(
                &txn,
                cipher,
                &domain,
                "demo-offline-token",
                "read_orders",
                now - Duration::days(366),
            )
            .await?;
            let profile = ShopProfile {
                name: Some("Bottega Flywheel (demo)".into()),
                email: Some("owner@flywheel-demo.example".into()),
                currency: Some("EUR".into()),
                timezone: Some("Europe/Rome".into()),
                locale: Some("en".into()),
            };
            Shops::update_profile(&txn, shop, profile, now).await?
        }
    };
    let existing = orders::Entity::find()
        .filter(orders::Column::ShopId.eq(shop.id))
        .count(&txn)
        .await?;
    if existing > 0 {
        txn.commit().await?;
        return Ok(0);
    }

    let points = super::loyalty::DemoLoyalty::start(&txn, &shop, now).await?;
    DeliveryPromises::save_rules(&txn, shop.id, &demo_delivery_rules(), now).await?;
    let mut rng = StdRng::seed_from_u64(2026);
    let mut order_seq = 0i64;
    let mut refund_seq = 0i64;
    let to_err = |e: crate::commerce::CommerceError| DbErr::Custom(e.to_string());
    for n in 0..CUSTOMERS {
        let first = FIRST[rng.gen_range(0..FIRST.len())];
        let last = LAST[rng.gen_range(0..LAST.len())];
        let (country, city, zip) = PLACES[rng.gen_range(0..PLACES.len())];
        let locale = match country {
            "IT" => "it",
            "FR" => "fr",
            _ => "en",
        };
        let signed_up = now
            - Duration::days(rng.gen_range(20..365))
            - Duration::minutes(rng.gen_range(0..1440));
        let customer = CustomerPayload {
            id: CUSTOMER_ID_BASE + n,
            email: Some(format!(
                "{}.{}{}@example.com",
                first.to_lowercase().replace('é', "e"),
                last.to_lowercase(),
                n
            )),
            first_name: Some(first.into()),
            last_name: Some(last.into()),
            phone: None,
            locale: Some(locale.into()),
            tags: Some(String::new()),
            created_at: Some(signed_up),
            updated_at: Some(signed_up),
            email_marketing_consent: Some(MarketingConsent {
                state: Some(
                    if rng.gen_bool(0.6) {
                        "subscribed"
                    } else {
                        "not_subscribed"
                    }
                    .into(),
                ),
            }),
            state: Some("enabled".into()),
        };
        // Repeat buyers come back after a few weeks; about a third never do (lapsed).
        let mut placed = signed_up + Duration::minutes(rng.gen_range(5..600));
        let mut orders_for_customer = 0;
        // One customer in twenty is a big spender: the demo needs Gold members too.
        let vip = n % 20 == 7;
        let max_orders = if vip { 12 } else { 6 };
        while placed < now && orders_for_customer < max_orders {
            order_seq += 1;
            orders_for_customer += 1;
            let order_id = ORDER_ID_BASE + order_seq;
            let mut line_items = Vec::new();
            let mut subtotal = 0;
            for li in 0..rng.gen_range(1..=3) {
                let p = &PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
                let qty = if vip {
                    rng.gen_range(2..=4)
                } else if rng.gen_bool(0.15) {
                    2
                } else {
                    1
                };
                subtotal += p.price_minor * qty as i64;
                line_items.push(LineItemPayload {
                    id: order_id * 10 + li,
                    product_id: Some(p.id),
                    variant_id: Some(p.id * 10 + 1),
                    title: Some(p.title.into()),
                    variant_title: None,
                    vendor: Some(p.vendor.into()),
                    sku: None,
                    quantity: qty,
                    price: money(p.price_minor),
                });
            }
            let discount = if rng.gen_bool(0.2) { subtotal / 10 } else { 0 };
            let subtotal = subtotal - discount;
            let total = subtotal + 490;
            let cancelled = rng.gen_bool(0.02);
            let order = OrderPayload {
                id: order_id,
                name: Some(format!("#{}", 1000 + order_seq)),
                email: customer.email.clone(),
                contact_email: None,
                currency: "EUR".into(),
                subtotal_price: Some(money(subtotal)),
                total_price: Some(money(total)),
                total_discounts: Some(money(discount)),
                financial_status: Some(if cancelled { "voided" } else { "paid" }.into()),
                fulfillment_status: None,
                cancelled_at: cancelled.then(|| placed + Duration::hours(5)),
                processed_at: Some(placed),
                created_at: Some(placed),
                updated_at: Some(placed + Duration::hours(6)),
                customer: Some(customer.clone()),
                shipping_address: Some(AddressPayload {
                    name: Some(format!("{first} {last}")),
                    first_name: Some(first.into()),
                    last_name: Some(last.into()),
                    address1: Some(format!("Via Demo {}", rng.gen_range(1..200))),
                    city: Some(city.into()),
                    zip: Some(zip.into()),
                    country_code: Some(country.into()),
                }),
                browser_ip: Some(format!("203.0.113.{}", rng.gen_range(1..255))),
                source_name: Some(
                    if rng.gen_bool(0.7) {
                        "web"
                    } else {
                        "instagram"
                    }
                    .into(),
                ),
                // Where the visit came from, spread without drawing from the generator
                // (the rest of the demo stays the same shop).
                referring_site: match order_id % 7 {
                    0 | 1 => Some("https://www.instagram.com/".into()),
                    2 => Some("https://www.google.com/".into()),
                    _ => None,
                },
                landing_site: Some(
                    match order_id % 5 {
                        0 => "/?utm_source=tiktok&utm_medium=paid",
                        1 => "/?utm_source=newsletter&utm_medium=email",
                        _ => "/",
                    }
                    .into(),
                ),
                customer_locale: Some(locale.into()),
                tags: Some(String::new()),
                line_items,
                discount_codes: if discount > 0 {
                    vec![DiscountCodePayload {
                        code: if order_id % 2 == 0 {
                            "WELCOME10"
                        } else {
                            "SPRING10"
                        }
                        .into(),
                    }]
                } else {
                    Vec::new()
                },
            };
            let stored = Commerce::upsert_order(&txn, shop.id, &order, now)
                .await
                .map_err(to_err)?;
            let row = orders::Entity::find_by_id(stored.id())
                .one(&txn)
                .await?
                .ok_or_else(|| DbErr::RecordNotFound(format!("order {order_id}")))?;
            points.order(&txn, &row, placed).await?;
            DeliveryPromises::on_order(&txn, &shop, &row, placed).await?;
            if !cancelled {
                let shipped = placed + Duration::days(rng.gen_range(1..5));
                let delivered = shipped + Duration::days(rng.gen_range(6..16));
                if shipped < now {
                    let fulfillment = FulfillmentPayload {
                        id: order_id + 500_000,
                        order_id,
                        status: Some("success".into()),
                        shipment_status: Some(
                            if delivered < now {
                                "delivered"
                            } else {
                                "in_transit"
                            }
                            .into(),
                        ),
                        tracking_company: Some("Cainiao".into()),
                        tracking_number: Some(format!("LP{:012}", order_seq)),
                        created_at: Some(shipped),
                        updated_at: Some(if delivered < now { delivered } else { shipped }),
                    };
                    Commerce::upsert_fulfillment(&txn, shop.id, &fulfillment, now).await?;
                    DeliveryPromises::on_fulfillment(&txn, shop.id, order_id, now).await?;
                }
                if rng.gen_bool(0.06) && delivered < now {
                    refund_seq += 1;
                    let amount = if rng.gen_bool(0.5) {
                        total
                    } else {
                        subtotal / 2
                    };
                    let refund = RefundPayload {
                        id: ORDER_ID_BASE + 800_000 + refund_seq,
                        order_id,
                        note: Some("Arrived damaged".into()),
                        created_at: Some(delivered + Duration::days(2)),
                        transactions: vec![TransactionPayload {
                            amount: money(amount),
                            currency: Some("EUR".into()),
                            kind: Some("refund".into()),
                            status: Some("success".into()),
                        }],
                    };
                    Commerce::record_refund(&txn, shop.id, "EUR", &refund, now)
                        .await
                        .map_err(to_err)?;
                    points
                        .refund(&txn, order_id, delivered + Duration::days(2))
                        .await?;
                }
            }
            if !vip && !rng.gen_bool(0.42) {
                break;
            }
            let gap = if vip { 12..40 } else { 14..110 };
            placed += Duration::days(rng.gen_range(gap)) + Duration::minutes(rng.gen_range(0..600));
        }
    }
    txn.commit().await?;
    super::loyalty::finish(db, &shop, now).await?;
    Ok(order_seq as u64)
}
