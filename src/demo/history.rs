//! A believable order history at any size, written as the platform's Bulk
//! Operations JSONL (orders with their customer, refunds and line items), so
//! it goes through the real importer. Deterministic for a given seed: the
//! tests and the dashboard benchmark generate the same shop every time.
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::io::Write;

/// A small, fast, seeded generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const PRODUCTS: [(&str, u64); 8] = [
    ("Bamboo phone stand", 1_990),
    ("LED desk lamp", 3_490),
    ("Cork yoga mat", 2_990),
    ("Pet hair remover", 1_490),
    ("Silicone food covers", 1_290),
    ("Posture corrector", 2_490),
    ("Magnetic cable clips", 990),
    ("Travel jewellery box", 2_290),
];

const SOURCES: [&str; 4] = ["web", "web", "instagram", "facebook"];
const UTM: [&str; 4] = ["", "tiktok", "google", "newsletter"];

/// What was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    pub orders: u64,
    pub line_items: u64,
    pub lines: u64,
}

/// Writes `orders` orders from up to `customers` customers over the
/// `months` months before `now`: most customers buy once, a few many times;
/// about 3% are cancelled, 2% still pending, 4% partly and 1% fully refunded.
pub fn write_jsonl(
    out: &mut impl Write,
    customers: u64,
    orders: u64,
    months: i64,
    now: DateTime<Utc>,
    seed: u64,
) -> std::io::Result<Generated> {
    let mut rng = Rng::new(seed);
    let span = Duration::days(30 * months).num_seconds().max(1);
    let step = (span / orders.max(1) as i64).max(1);
    let start = now - Duration::seconds(span);
    let mut written = Generated::default();
    for i in 0..orders {
        // Order times rise with `i`, never equal.
        let at = start + Duration::seconds(i as i64 * step + rng.below(step as u64) as i64);
        // Skewed towards low numbers: a long tail of one-time buyers, a core of regulars.
        let u = rng.below(1_000_000) as f64 / 1_000_000.0;
        let customer = 1 + ((u * u * u) * customers as f64) as u64 % customers.max(1);
        let order_id = 5_000_000_000 + i;
        let items = 1 + rng.below(3);
        let mut lines = Vec::new();
        let mut subtotal = 0u64;
        for k in 0..items {
            let (title, price) = PRODUCTS[rng.below(PRODUCTS.len() as u64) as usize];
            let quantity = 1 + rng.below(2);
            subtotal += price * quantity;
            let product =
                7_300_000_000_000 + PRODUCTS.iter().position(|p| p.0 == title).unwrap_or(0) as u64;
            lines.push(json!({
                "id": format!("gid://shopify/LineItem/{}", order_id * 4 + k),
                "title": title, "quantity": quantity,
                "product": {"id": format!("gid://shopify/Product/{product}")},
                "variant": {"id": format!("gid://shopify/ProductVariant/{}", product * 10 + 1)},
                "originalUnitPriceSet": {"shopMoney": {"amount": money(price)}},
                "__parentId": format!("gid://shopify/Order/{order_id}"),
            }));
        }
        let discounted = rng.chance(20);
        let discount = if discounted { subtotal / 10 } else { 0 };
        let total = subtotal - discount + 490;
        let roll = rng.below(100);
        let (status, cancelled, refund) = match roll {
            0..=2 => ("VOIDED", true, None),
            3..=4 => ("PENDING", false, None),
            5..=8 => ("PARTIALLY_REFUNDED", false, Some(total.min(1_000))),
            9 => ("REFUNDED", false, Some(total)),
            _ => ("PAID", false, None),
        };
        let stamp = at.to_rfc3339();
        let utm = UTM[rng.below(UTM.len() as u64) as usize];
        let order = json!({
            "id": format!("gid://shopify/Order/{order_id}"),
            "name": format!("#{}", 1000 + i),
            "email": format!("c{customer}@example.com"),
            "currencyCode": "EUR",
            "createdAt": stamp, "updatedAt": stamp, "processedAt": stamp,
            "cancelledAt": if cancelled { Some(stamp.clone()) } else { None },
            "displayFinancialStatus": status,
            "displayFulfillmentStatus": "FULFILLED",
            "sourceName": SOURCES[rng.below(SOURCES.len() as u64) as usize],
            "discountCodes": if discounted { vec!["WELCOME10"] } else { vec![] },
            "subtotalPriceSet": {"shopMoney": {"amount": money(subtotal)}},
            "totalPriceSet": {"shopMoney": {"amount": money(total)}},
            "totalDiscountsSet": {"shopMoney": {"amount": money(discount)}},
            "customer": {
                "id": format!("gid://shopify/Customer/{}", 8_000_000_000 + customer),
                "email": format!("c{customer}@example.com"),
                "firstName": "Customer", "lastName": format!("{customer}"),
            },
            "customerJourneySummary": if utm.is_empty() { serde_json::Value::Null } else {
                json!({"firstVisit": {"landingPage": format!("https://shop.example/?utm_source={utm}"), "referrerUrl": null}})
            },
            "refunds": refund.map(|amount| vec![json!({
                "id": format!("gid://shopify/Refund/{order_id}"),
                "createdAt": (at + Duration::days(9)).to_rfc3339(),
                "totalRefundedSet": {"shopMoney": {"amount": money(amount)}},
            })]).unwrap_or_default(),
        });
        writeln!(out, "{order}")?;
        for line in &lines {
            writeln!(out, "{line}")?;
        }
        written.orders += 1;
        written.line_items += lines.len() as u64;
        written.lines += 1 + lines.len() as u64;
    }
    Ok(written)
}

fn money(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_writes_the_same_shop() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 0, 0, 0).unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        let ga = write_jsonl(&mut a, 50, 200, 12, now, 7).unwrap();
        write_jsonl(&mut b, 50, 200, 12, now, 7).unwrap();
        assert_eq!(a, b);
        assert_eq!(ga.orders, 200);
        assert_eq!(
            ga.lines as usize,
            String::from_utf8(a).unwrap().lines().count()
        );
    }
}
