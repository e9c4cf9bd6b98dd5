//! Loyalty end to end: real signed webhooks in, points out through the admin
//! API and the app proxy, codes and tags on the fake platform. Both databases.
pub use crate::helpers::{Backend, shop};
use crate::helpers::{TestApp, order_json};
use flywheel::shopify::ShopDomain;
use reqwest::Method;
use serde_json::{Value, json};

pub const CUSTOMER: i64 = 7_700_000_000_001;
/// A paid order of `subtotal` for `customer`, as the platform sends it.
pub fn order(id: i64, customer: i64, subtotal: &str, status: &str, updated_at: &str) -> Value {
    let mut o = order_json(
        id,
        customer,
        &format!("c{customer}@example.com"),
        updated_at,
        status,
    );
    o["subtotal_price"] = json!(subtotal);
    o["total_price"] = json!(subtotal);
    o["browser_ip"] = json!(format!("198.51.100.{}", customer % 200));
    o["shipping_address"]["address1"] = json!(format!("Via Roma {}", customer % 1000));
    o
}
pub fn refund(id: i64, order_id: i64, amount: &str) -> Value {
    json!({"id": id, "order_id": order_id, "created_at": "2026-11-10T10:00:00Z",
        "transactions": [{"amount": amount, "currency": "EUR", "kind": "refund", "status": "success"}]})
}
pub async fn loyalty(app: &TestApp, s: &ShopDomain, customer: i64) -> Value {
    let res = app
        .get_api(
            &format!("/api/customers/{customer}/loyalty"),
            &app.session_token(s),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("loyalty json")
}
pub async fn balance(app: &TestApp, s: &ShopDomain, customer: i64) -> i64 {
    loyalty(app, s, customer).await["points_balance"]
        .as_i64()
        .expect("balance")
}
pub async fn deliver(app: &TestApp, topic: &str, s: &ShopDomain, id: &str, body: &Value) {
    app.deliver(topic, s, id, body).await
}
pub use crate::helpers::spawn_installed as installed;
pub async fn reward(app: &TestApp, s: &ShopDomain, body: Value) -> i64 {
    let res = app
        .send_api(Method::POST, "/api/loyalty/rewards", s, &body)
        .await;
    assert_eq!(res.status(), 201);
    let list: Value = res.json().await.expect("rewards");
    list["rewards"]
        .as_array()
        .and_then(|r| r.last())
        .and_then(|r| r["id"].as_i64())
        .expect("reward id")
}

mod points;
mod program;
mod referrals;
mod rewards;
mod tiers;

/// A paid order of `subtotal` from the main test customer.
pub async fn pay(
    app: &TestApp,
    s: &ShopDomain,
    webhook: &str,
    id: i64,
    subtotal: &str,
    updated_at: &str,
) {
    deliver(
        app,
        "orders/paid",
        s,
        webhook,
        &order(id, CUSTOMER, subtotal, "paid", updated_at),
    )
    .await;
}

pub fn balance_and_debt(view: &Value) -> (i64, i64) {
    (
        view["points_balance"].as_i64().unwrap_or(i64::MIN),
        view["points_debt"].as_i64().unwrap_or(i64::MIN),
    )
}
