//! Loyalty end to end: real signed webhooks in, points out through the admin
//! API and the app proxy, codes and tags on the fake platform. Both databases.
use crate::helpers::{Backend, GraphqlReply, TestApp, order_json, shop, spawn_app};
use crate::on_both_databases;
use chrono::{Duration, Utc};
use flywheel::shopify::ShopDomain;
use reqwest::Method;
use serde_json::{Value, json};

const CUSTOMER: i64 = 7_700_000_000_001;

/// A paid order of `subtotal` for `customer`, as the platform sends it.
fn order(id: i64, customer: i64, subtotal: &str, status: &str, updated_at: &str) -> Value {
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

fn refund(id: i64, order_id: i64, amount: &str) -> Value {
    json!({"id": id, "order_id": order_id, "created_at": "2026-11-10T10:00:00Z",
        "transactions": [{"amount": amount, "currency": "EUR", "kind": "refund", "status": "success"}]})
}

async fn loyalty(app: &TestApp, s: &ShopDomain, customer: i64) -> Value {
    let res = app
        .get_api(
            &format!("/api/customers/{customer}/loyalty"),
            &app.session_token(s),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("loyalty json")
}

async fn balance(app: &TestApp, s: &ShopDomain, customer: i64) -> i64 {
    loyalty(app, s, customer).await["points_balance"]
        .as_i64()
        .expect("balance")
}

async fn deliver(app: &TestApp, topic: &str, s: &ShopDomain, id: &str, body: &Value) {
    let res = app.webhook(topic, s, id, body).await;
    assert_eq!(res.status(), 200, "{topic} {id}: {:?}", res.text().await);
}

async fn installed(backend: Backend, name: &str) -> (TestApp, ShopDomain) {
    let app = spawn_app(backend).await;
    let s = shop(name);
    app.install(&s).await;
    (app, s)
}

async fn paid_order_credits_points_once(backend: Backend) {
    let (app, s) = installed(backend, "loyal-once").await;
    let paid = order(501, CUSTOMER, "59.80", "paid", "2026-11-01T10:05:00+01:00");
    // The platform retries the same delivery, and also reports the order as created and updated.
    deliver(&app, "orders/paid", &s, "w-paid", &paid).await;
    deliver(&app, "orders/paid", &s, "w-paid", &paid).await;
    deliver(&app, "orders/create", &s, "w-create", &paid).await;
    deliver(&app, "orders/updated", &s, "w-updated", &paid).await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["points_balance"], 59, "{view}");
    assert_eq!(view["lifetime_points"], 59);
    assert_eq!(view["tier"], "bronze");
    assert_eq!(view["member"], true);
    assert_eq!(view["referral_code"].as_str().map(str::len), Some(8));
    assert_eq!(view["recent_entries"][0]["reason"], "order");

    // An unpaid order earns nothing until it is paid.
    let pending = order(
        502,
        CUSTOMER,
        "40.00",
        "pending",
        "2026-11-02T10:00:00+01:00",
    );
    deliver(&app, "orders/create", &s, "w-pending", &pending).await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 59);
    let paid_later = order(502, CUSTOMER, "40.00", "paid", "2026-11-02T11:00:00+01:00");
    deliver(&app, "orders/paid", &s, "w-paid-later", &paid_later).await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 99);
}

async fn refund_claws_back_in_proportion(backend: Backend) {
    let (app, s) = installed(backend, "loyal-refund").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(601, CUSTOMER, "100.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 100);
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(9601, 601, "25.00"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 75);
    // A repeat delivery (new webhook id, same refund) takes nothing more.
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1-again",
        &refund(9601, 601, "25.00"),
    )
    .await;
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(9601, 601, "25.00"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 75);
    // The rest, shipping included, takes exactly what is left.
    deliver(
        &app,
        "refunds/create",
        &s,
        "r2",
        &refund(9602, 601, "80.00"),
    )
    .await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["points_balance"], 0);
    assert_eq!(view["lifetime_points"], 0);
    assert_eq!(view["points_debt"], 0);
}

async fn refund_before_payment_settles_when_the_order_arrives(backend: Backend) {
    let (app, s) = installed(backend, "loyal-early-refund").await;
    deliver(
        &app,
        "refunds/create",
        &s,
        "r-early",
        &refund(9701, 701, "50.00"),
    )
    .await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w-late",
        &order(701, CUSTOMER, "100.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 50);
}

async fn cancel_reverses_the_order_points(backend: Backend) {
    let (app, s) = installed(backend, "loyal-cancel").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(801, CUSTOMER, "80.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 80);
    let mut cancelled = order(801, CUSTOMER, "80.00", "paid", "2026-11-01T12:00:00Z");
    cancelled["cancelled_at"] = json!("2026-11-01T12:00:00Z");
    deliver(&app, "orders/cancelled", &s, "w2", &cancelled).await;
    deliver(&app, "orders/cancelled", &s, "w2-again", &cancelled).await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 0);
    // The refund that comes with a cancellation takes nothing more.
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(9801, 801, "80.00"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 0);

    // Out of order: the cancellation arrives before the older "paid" version.
    let mut cancelled_first = order(802, CUSTOMER, "30.00", "paid", "2026-11-03T12:00:00Z");
    cancelled_first["cancelled_at"] = json!("2026-11-03T12:00:00Z");
    deliver(&app, "orders/cancelled", &s, "w3", &cancelled_first).await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w4",
        &order(802, CUSTOMER, "30.00", "paid", "2026-11-03T10:00:00Z"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 0);
}

async fn clawback_past_zero_is_kept_as_debt(backend: Backend) {
    let (app, s) = installed(backend, "loyal-debt").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(901, CUSTOMER, "100.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let spend = app
        .send_api(
            Method::POST,
            &format!("/api/customers/{CUSTOMER}/loyalty/adjustments"),
            &s,
            &json!({"points": -80, "reason": "Goodwill reversal"}),
        )
        .await;
    assert_eq!(spend.status(), 200);
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(9901, 901, "100.00"),
    )
    .await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(
        (
            view["points_balance"].as_i64(),
            view["points_debt"].as_i64()
        ),
        (Some(0), Some(80))
    );
    // The next order pays the debt first.
    deliver(
        &app,
        "orders/paid",
        &s,
        "w2",
        &order(902, CUSTOMER, "50.00", "paid", "2026-11-02T10:05:00Z"),
    )
    .await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(
        (
            view["points_balance"].as_i64(),
            view["points_debt"].as_i64()
        ),
        (Some(0), Some(30))
    );
    deliver(
        &app,
        "orders/paid",
        &s,
        "w3",
        &order(903, CUSTOMER, "45.00", "paid", "2026-11-03T10:05:00Z"),
    )
    .await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(
        (
            view["points_balance"].as_i64(),
            view["points_debt"].as_i64()
        ),
        (Some(15), Some(0))
    );
}

async fn manual_adjustments_need_a_reason_and_are_audited(backend: Backend) {
    let (app, s) = installed(backend, "loyal-manual").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1001, CUSTOMER, "10.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let path = format!("/api/customers/{CUSTOMER}/loyalty/adjustments");
    let no_reason = app
        .send_api(
            Method::POST,
            &path,
            &s,
            &json!({"points": 50, "reason": " "}),
        )
        .await;
    assert_eq!(no_reason.status(), 422);
    let send = |key: &'static str| {
        let app = &app;
        let s = &s;
        let path = &path;
        async move {
            app.client
                .post(format!("{}{path}", app.url))
                .bearer_auth(app.session_token(s))
                .header("Idempotency-Key", key)
                .json(&json!({"points": 50, "reason": "Parcel lost in transit"}))
                .send()
                .await
                .expect("adjust")
        }
    };
    assert_eq!(send("k-1").await.status(), 200);
    assert_eq!(send("k-1").await.status(), 200);
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["points_balance"], 60);
    let entry = &view["recent_entries"][0];
    assert_eq!(entry["reason"], "manual");
    assert_eq!(entry["note"], "Parcel lost in transit");
    assert_eq!(entry["actor"], "1");
}

async fn signup_and_boosts_earn_as_configured(backend: Backend) {
    let (app, s) = installed(backend, "loyal-rules").await;
    let customer = json!({"id": CUSTOMER, "email": "new@example.com", "state": "enabled",
        "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z"});
    deliver(&app, "customers/create", &s, "c1", &customer).await;
    deliver(&app, "customers/update", &s, "c2", &customer).await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 50);
    // Double points on 1 November in the shop's time zone (Europe/Rome).
    let program: Value = app
        .get_api("/api/loyalty/program", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("program");
    let mut rules = program["rules"].clone();
    rules["boosts"] = json!([{"name": "Double weekend", "multiplier_percent": 200,
        "starts_on": "2026-11-01", "ends_on": "2026-11-01"}]);
    let bad = app.send_api(Method::PUT, "/api/loyalty/program", &s,
        &json!({"rules": {"boosts": [{"name": "x", "multiplier_percent": 50, "starts_on": "2026-11-01", "ends_on": "2026-11-01"}]}})).await;
    assert_eq!(bad.status(), 422);
    let saved = app
        .send_api(
            Method::PUT,
            "/api/loyalty/program",
            &s,
            &json!({"rules": rules}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    // 00:30 in Rome on 1 November is still 31 October in UTC.
    let mut boosted = order(1101, CUSTOMER, "20.00", "paid", "2026-11-01T10:05:00Z");
    boosted["processed_at"] = json!("2026-10-31T23:30:00Z");
    deliver(&app, "orders/paid", &s, "w1", &boosted).await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 90);
    let mut plain = order(1102, CUSTOMER, "20.00", "paid", "2026-11-02T10:05:00Z");
    plain["processed_at"] = json!("2026-11-01T23:30:00Z");
    deliver(&app, "orders/paid", &s, "w2", &plain).await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 110);
}

async fn reward(app: &TestApp, s: &ShopDomain, body: Value) -> i64 {
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

async fn redemption_creates_a_real_code(backend: Backend) {
    let (app, s) = installed(backend, "loyal-redeem").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1201, CUSTOMER, "600.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let fixed = reward(
        &app,
        &s,
        json!({"name": "5 EUR off", "kind": "fixed_amount", "value": 500, "points_cost": 500}),
    )
    .await;
    let bad = app
        .send_api(
            Method::POST,
            "/api/loyalty/rewards",
            &s,
            &json!({"name": "Too much", "kind": "percentage", "value": 150, "points_cost": 10}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let before = balance(&app, &s, CUSTOMER).await;
    let res = app
        .proxy_post(
            "/loyalty/redeem?locale=it",
            &s,
            Some(CUSTOMER),
            &json!({"reward_id": fixed}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let issued: Value = res.json().await.expect("issued");
    let code = issued["code"].as_str().expect("code").to_owned();
    assert!(
        issued["message"]
            .as_str()
            .is_some_and(|m| m.contains("pronto")),
        "{issued}"
    );
    assert_eq!(balance(&app, &s, CUSTOMER).await, before - 500);
    let created = app
        .fake
        .state
        .lock()
        .expect("fake")
        .discount_codes
        .get(&code)
        .cloned()
        .expect("code on the platform");
    assert_eq!(created["usageLimit"], 1);
    assert_eq!(
        created["customerGets"]["value"]["discountAmount"]["amount"],
        "5.00"
    );
    assert_eq!(
        created["context"]["customers"]["add"][0],
        format!("gid://shopify/Customer/{CUSTOMER}")
    );
    // Not enough points left for a second one: 409, nothing spent.
    let again = app
        .proxy_post(
            "/loyalty/redeem",
            &s,
            Some(CUSTOMER),
            &json!({"reward_id": fixed}),
        )
        .await;
    assert_eq!(again.status(), 409);
    assert_eq!(balance(&app, &s, CUSTOMER).await, before - 500);
    // Logged out: asked to log in.
    let anonymous = app
        .proxy_post("/loyalty/redeem", &s, None, &json!({"reward_id": fixed}))
        .await;
    assert_eq!(anonymous.status(), 401);
}

async fn failed_redemption_loses_no_points(backend: Backend) {
    let (app, s) = installed(backend, "loyal-redeem-fail").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1301, CUSTOMER, "600.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let shipping = reward(
        &app,
        &s,
        json!({"name": "Free shipping", "kind": "free_shipping", "points_cost": 400}),
    )
    .await;
    for failure in [GraphqlReply::Status(503), GraphqlReply::Throttled] {
        app.fake.script(std::iter::repeat_n(failure, 4));
        let res = app
            .proxy_post(
                "/loyalty/redeem?locale=fr",
                &s,
                Some(CUSTOMER),
                &json!({"reward_id": shipping}),
            )
            .await;
        assert_eq!(res.status(), 503);
        let body: Value = res.json().await.expect("error");
        assert_eq!(body["error"], "code_not_created");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("points")),
            "{body}"
        );
        assert_eq!(balance(&app, &s, CUSTOMER).await, 600);
    }
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["redemptions"][0]["status"], "failed");
    // The platform is back: the same reward now works.
    let res = app
        .proxy_post(
            "/loyalty/redeem",
            &s,
            Some(CUSTOMER),
            &json!({"reward_id": shipping}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(balance(&app, &s, CUSTOMER).await, 200);
}

async fn tiers_follow_spend_and_are_mirrored_as_tags(backend: Backend) {
    let (app, s) = installed(backend, "loyal-tiers").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1401, CUSTOMER, "200.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "bronze");
    deliver(
        &app,
        "orders/paid",
        &s,
        "w2",
        &order(1402, CUSTOMER, "100.00", "paid", "2026-11-02T10:05:00Z"),
    )
    .await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["tier"], "silver");
    // Silver multiplies points by 1.25 on orders paid once there.
    deliver(
        &app,
        "orders/paid",
        &s,
        "w3",
        &order(1403, CUSTOMER, "100.00", "paid", "2026-11-03T10:05:00Z"),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 200 + 100 + 125);
    let report = app.run_jobs(Utc::now()).await;
    assert_eq!(report.tiers_mirrored, 1);
    let gid = format!("gid://shopify/Customer/{CUSTOMER}");
    let tags = app
        .fake
        .state
        .lock()
        .expect("fake")
        .customer_tags
        .get(&gid)
        .cloned()
        .unwrap_or_default();
    assert!(tags.contains("flywheel-tier-silver"), "{tags:?}");
    // A refund drops the spend under the threshold: back to bronze, and the tag follows.
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(91401, 1402, "100.00"),
    )
    .await;
    deliver(
        &app,
        "refunds/create",
        &s,
        "r2",
        &refund(91402, 1403, "100.00"),
    )
    .await;
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "bronze");
    app.run_jobs(Utc::now()).await;
    let tags = app
        .fake
        .state
        .lock()
        .expect("fake")
        .customer_tags
        .get(&gid)
        .cloned()
        .unwrap_or_default();
    assert!(
        tags.contains("flywheel-tier-bronze") && !tags.contains("flywheel-tier-silver"),
        "{tags:?}"
    );
    let events: Value = app
        .get_api("/api/loyalty/events", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("events");
    assert!(
        events["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["kind"] == "tier_reached"))
    );
}

async fn tiers_drop_when_orders_leave_the_window(backend: Backend) {
    let (app, s) = installed(backend, "loyal-window").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1451, CUSTOMER, "300.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "silver");
    // Nothing changes while the order is inside the 365-day window…
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(30))
            .await
            .tiers_refreshed,
        0
    );
    // …and the member is back to Bronze once it has left it.
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(400))
            .await
            .tiers_refreshed,
        1
    );
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "bronze");
}

async fn shares_reviews_and_birthdays_earn_once(backend: Backend) {
    use chrono::Datelike;
    let (app, s) = installed(backend, "loyal-activity").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1461, CUSTOMER, "10.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    for _ in 0..2 {
        let shared = app
            .proxy_post(
                "/loyalty/share",
                &s,
                Some(CUSTOMER),
                &json!({"network": "whatsapp"}),
            )
            .await;
        assert_eq!(shared.status(), 200);
    }
    let odd = app
        .proxy_post(
            "/loyalty/share",
            &s,
            Some(CUSTOMER),
            &json!({"network": "myspace"}),
        )
        .await;
    assert_eq!(odd.status(), 422);
    assert_eq!(balance(&app, &s, CUSTOMER).await, 10 + 10);
    // The reviews capability credits through the same service, once per review.
    let shop_row = flywheel::shops::Shops::find(&app.db, &s)
        .await
        .expect("db")
        .expect("shop");
    let program = flywheel::loyalty::Programs::load(&app.db, &shop_row)
        .await
        .expect("program");
    let customer = flywheel::loyalty::members::Members::find_by_code(
        &app.db,
        shop_row.id,
        loyalty(&app, &s, CUSTOMER).await["referral_code"]
            .as_str()
            .expect("code"),
    )
    .await
    .expect("db")
    .expect("member")
    .customer_id;
    for activity in [
        flywheel::loyalty::Activity::Review { review_id: 5 },
        flywheel::loyalty::Activity::Review { review_id: 5 },
        flywheel::loyalty::Activity::PhotoReview { review_id: 5 },
    ] {
        flywheel::loyalty::Loyalty::credit_activity(
            &app.db,
            &program,
            customer,
            &activity,
            Utc::now(),
        )
        .await
        .expect("credit");
    }
    assert_eq!(balance(&app, &s, CUSTOMER).await, 20 + 25 + 50);
    // A birthday today (in the shop's time zone) earns its points on the day's job run, once.
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Rome)
        .date_naive();
    let body = json!({"month": today.month(), "day": today.day()});
    assert_eq!(
        app.proxy_post(
            "/loyalty/birthday",
            &s,
            Some(CUSTOMER),
            &json!({"month": 2, "day": 30})
        )
        .await
        .status(),
        422
    );
    assert_eq!(
        app.proxy_post("/loyalty/birthday", &s, Some(CUSTOMER), &body)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.proxy_post("/loyalty/birthday", &s, Some(CUSTOMER), &body)
            .await
            .status(),
        409
    );
    assert_eq!(app.run_jobs(Utc::now()).await.birthdays, 1);
    assert_eq!(app.run_jobs(Utc::now()).await.birthdays, 0);
    assert_eq!(balance(&app, &s, CUSTOMER).await, 95 + 100);
}

async fn pending_redemption_is_finished_by_the_job(backend: Backend) {
    let (app, s) = installed(backend, "loyal-pending").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1471, CUSTOMER, "600.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let fixed = reward(
        &app,
        &s,
        json!({"name": "5 off", "kind": "fixed_amount", "value": 500, "points_cost": 500}),
    )
    .await;
    // The platform takes the code but the answer is lost: every retry inside the request fails too.
    app.fake
        .script(std::iter::repeat_n(GraphqlReply::Status(502), 4));
    let res = app
        .proxy_post(
            "/loyalty/redeem",
            &s,
            Some(CUSTOMER),
            &json!({"reward_id": fixed}),
        )
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(balance(&app, &s, CUSTOMER).await, 600);
    // A redemption left pending by a crash is issued by the job, not lost and not refunded.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let failed = entity::loyalty_redemptions::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("row");
    let mut pending: entity::loyalty_redemptions::ActiveModel = failed.clone().into();
    pending.id = sea_orm::ActiveValue::NotSet;
    pending.code = Set("FLY-CRASHED01".into());
    pending.status = Set("pending".into());
    pending.updated_at = Set(Utc::now() - Duration::minutes(10));
    let pending = pending.insert(&app.db).await.expect("insert pending");
    let report = app.run_jobs(Utc::now()).await;
    assert_eq!(report.redemptions_settled, 1);
    let row = entity::loyalty_redemptions::Entity::find_by_id(pending.id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("row");
    assert_eq!(row.status, "issued");
    assert!(
        app.fake
            .state
            .lock()
            .expect("fake")
            .discount_codes
            .contains_key("FLY-CRASHED01")
    );
}

const FRIEND: i64 = 7_700_000_000_002;

async fn referral_code(app: &TestApp, s: &ShopDomain) -> String {
    deliver(
        app,
        "orders/paid",
        s,
        "w-referrer",
        &order(1500, CUSTOMER, "20.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    loyalty(app, s, CUSTOMER).await["referral_code"]
        .as_str()
        .expect("code")
        .to_owned()
}

async fn referral_is_rewarded_once_after_the_return_window(backend: Backend) {
    let (app, s) = installed(backend, "loyal-referral").await;
    let code = referral_code(&app, &s).await;
    let claim = app
        .proxy_post(
            "/loyalty/referrals",
            &s,
            None,
            &json!({"code": code, "email": "friend@example.com"}),
        )
        .await;
    assert_eq!(claim.status(), 200);
    let welcome = claim.json::<Value>().await.expect("welcome")["code"]
        .as_str()
        .expect("welcome code")
        .to_owned();
    assert!(
        app.fake
            .state
            .lock()
            .expect("fake")
            .discount_codes
            .contains_key(&welcome)
    );
    let mut first = order(1501, FRIEND, "40.00", "paid", "2026-11-05T10:05:00Z");
    first["email"] = json!("friend@example.com");
    first["discount_codes"] = json!([{"code": welcome, "amount": "4.00", "type": "percentage"}]);
    deliver(&app, "orders/paid", &s, "w-friend", &first).await;
    let before = balance(&app, &s, CUSTOMER).await;
    assert_eq!(
        app.run_jobs(Utc::now()).await.referrals_rewarded,
        0,
        "not before the window"
    );
    let later = Utc::now() + Duration::days(31);
    assert_eq!(app.run_jobs(later).await.referrals_rewarded, 1);
    assert_eq!(app.run_jobs(later).await.referrals_rewarded, 0);
    assert_eq!(balance(&app, &s, CUSTOMER).await, before + 500);
}

async fn referral_refused_for_each_fraud_signal(backend: Backend) {
    let (app, s) = installed(backend, "loyal-fraud").await;
    let code = referral_code(&app, &s).await;
    // Own email at claim time.
    let own = app
        .proxy_post(
            "/loyalty/referrals?locale=en",
            &s,
            None,
            &json!({"code": code, "email": format!("C{CUSTOMER}@Example.com")}),
        )
        .await;
    assert_eq!(own.status(), 422);
    let unknown = app
        .proxy_post(
            "/loyalty/referrals",
            &s,
            None,
            &json!({"code": "NOPE2345", "email": "x@example.com"}),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    // Orders arriving through the referral link (`?ref=`) from look-alikes.
    let referrer = order(1500, CUSTOMER, "20.00", "paid", "2026-11-01T10:05:00Z");
    let link = format!("/?ref={code}");
    let mut same_customer = order(1601, CUSTOMER, "30.00", "paid", "2026-11-06T10:00:00Z");
    same_customer["landing_site"] = json!(link);
    let mut same_address = order(1602, FRIEND, "30.00", "paid", "2026-11-06T10:00:00Z");
    same_address["landing_site"] = json!(link);
    same_address["shipping_address"] = referrer["shipping_address"].clone();
    let mut same_ip = order(1603, FRIEND + 1, "30.00", "paid", "2026-11-06T10:00:00Z");
    same_ip["landing_site"] = json!(link);
    same_ip["browser_ip"] = referrer["browser_ip"].clone();
    for (i, o) in [same_customer, same_address, same_ip].iter().enumerate() {
        deliver(&app, "orders/paid", &s, &format!("wf{i}"), o).await;
    }
    let list: Value = app
        .get_api("/api/loyalty/referrals", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("referrals");
    let mut reasons: Vec<String> = list["referrals"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["status"] == "refused")
        .filter_map(|r| r["refusal_reason"].as_str().map(str::to_owned))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        ["same_address", "same_customer", "same_email", "same_ip"]
    );
    let before = balance(&app, &s, CUSTOMER).await;
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(40))
            .await
            .referrals_rewarded,
        0
    );
    assert_eq!(balance(&app, &s, CUSTOMER).await, before);
}

async fn refunded_referral_is_not_rewarded(backend: Backend) {
    let (app, s) = installed(backend, "loyal-ref-refund").await;
    let code = referral_code(&app, &s).await;
    let mut first = order(1701, FRIEND, "40.00", "paid", "2026-11-05T10:05:00Z");
    first["landing_site"] = json!(format!("/products/mat?ref={code}"));
    deliver(&app, "orders/paid", &s, "w1", &first).await;
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(91701, 1701, "40.00"),
    )
    .await;
    let before = balance(&app, &s, CUSTOMER).await;
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(40))
            .await
            .referrals_rewarded,
        0
    );
    assert_eq!(balance(&app, &s, CUSTOMER).await, before);
    let list: Value = app
        .get_api("/api/loyalty/referrals", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("referrals");
    assert_eq!(list["referrals"][0]["refusal_reason"], "refunded");
}

async fn launch_enrols_everyone_with_a_bonus_once(backend: Backend) {
    let (app, s) = installed(backend, "loyal-launch").await;
    for i in 0..3 {
        let c = json!({"id": CUSTOMER + 10 + i, "email": format!("l{i}@example.com"),
            "updated_at": "2026-11-01T10:00:00Z",
            "email_marketing_consent": {"state": if i == 0 { "subscribed" } else { "not_subscribed" }}});
        deliver(&app, "customers/create", &s, &format!("c{i}"), &c).await;
    }
    let first = app
        .send_api(Method::POST, "/api/loyalty/launch", &s, &json!({}))
        .await;
    assert_eq!(first.status(), 200);
    let report: Value = first.json().await.expect("report");
    assert_eq!(
        (
            report["customers"].as_i64(),
            report["bonuses_granted"].as_i64()
        ),
        (Some(3), Some(3))
    );
    let again: Value = app
        .send_api(Method::POST, "/api/loyalty/launch", &s, &json!({}))
        .await
        .json()
        .await
        .expect("report");
    assert_eq!(again["bonuses_granted"], 0);
    assert_eq!(balance(&app, &s, CUSTOMER + 10).await, 100);
    // Early members who join after the launch get the bonus too.
    deliver(
        &app,
        "customers/create",
        &s,
        "c-late",
        &json!({"id": CUSTOMER + 20, "updated_at": "2026-11-01T10:00:00Z"}),
    )
    .await;
    assert_eq!(balance(&app, &s, CUSTOMER + 20).await, 100);
    let program: Value = app
        .get_api("/api/loyalty/program", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("program");
    assert!(
        program["launch_texts"]["it"]["email_subject"]
            .as_str()
            .is_some_and(|t| t.contains("100"))
    );
    assert!(program["launched_at"].is_string());
    let events: Value = app
        .get_api("/api/loyalty/events", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("events");
    let launch_emails = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["kind"] == "launch_email")
        .count();
    assert_eq!(launch_emails, 1, "only the consenting customer");
}

async fn points_expire_after_inactivity_with_a_reminder_first(backend: Backend) {
    let (app, s) = installed(backend, "loyal-expiry").await;
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1801, CUSTOMER, "70.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let reminder = app.run_jobs(Utc::now() + Duration::days(340)).await;
    assert_eq!(
        (reminder.expiry_reminders, reminder.expired_members),
        (1, 0)
    );
    assert_eq!(balance(&app, &s, CUSTOMER).await, 70);
    let expired = app.run_jobs(Utc::now() + Duration::days(370)).await;
    assert_eq!(expired.expired_members, 1);
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(371))
            .await
            .expired_members,
        0
    );
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["points_balance"], 0);
    assert_eq!(view["lifetime_points"], 70);
}

async fn storefront_banner_pitches_or_shows_points(backend: Backend) {
    let (app, s) = installed(backend, "loyal-proxy").await;
    let anonymous: Value = app
        .proxy_get("/loyalty?locale=fr", &s, None, crate::helpers::now())
        .await
        .json()
        .await
        .expect("pitch");
    assert_eq!(anonymous["logged_in"], false);
    assert_eq!(
        anonymous["pitch"]["headline"],
        "Gagnez des récompenses à chaque achat"
    );
    deliver(
        &app,
        "orders/paid",
        &s,
        "w1",
        &order(1901, CUSTOMER, "120.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    reward(
        &app,
        &s,
        json!({"name": "10% off", "kind": "percentage", "value": 10, "points_cost": 100}),
    )
    .await;
    reward(
        &app,
        &s,
        json!({"name": "Big", "kind": "fixed_amount", "value": 5000, "points_cost": 5000}),
    )
    .await;
    let me: Value = app
        .proxy_get("/loyalty", &s, Some(CUSTOMER), crate::helpers::now())
        .await
        .json()
        .await
        .expect("member");
    assert_eq!(me["points_balance"], 120);
    assert_eq!(me["tier"], "bronze");
    assert_eq!(me["rewards"][0]["affordable"], true);
    assert_eq!(me["rewards"][1]["affordable"], false);
    assert!(
        me["referral_url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&format!("https://{s}/?ref=")))
    );
    assert_eq!(me["progress_text"], "Spend 130.00 EUR more to reach Silver");
}

async fn shops_never_see_each_others_members(backend: Backend) {
    let (app, a) = installed(backend, "loyal-shop-a").await;
    let b = shop("loyal-shop-b");
    app.install(&b).await;
    deliver(
        &app,
        "orders/paid",
        &a,
        "w1",
        &order(2001, CUSTOMER, "50.00", "paid", "2026-11-01T10:05:00Z"),
    )
    .await;
    let from_b = app
        .get_api(
            &format!("/api/customers/{CUSTOMER}/loyalty"),
            &app.session_token(&b),
        )
        .await;
    assert_eq!(from_b.status(), 404);
    let adjust_from_b = app
        .send_api(
            Method::POST,
            &format!("/api/customers/{CUSTOMER}/loyalty/adjustments"),
            &b,
            &json!({"points": 1000, "reason": "steal"}),
        )
        .await;
    assert_eq!(adjust_from_b.status(), 404);
    let redeem_from_b = app
        .proxy_post(
            "/loyalty/redeem",
            &b,
            Some(CUSTOMER),
            &json!({"reward_id": 1}),
        )
        .await;
    assert_eq!(redeem_from_b.status(), 404);
    assert_eq!(balance(&app, &a, CUSTOMER).await, 50);
}

on_both_databases!(
    paid_order_credits_points_once,
    refund_claws_back_in_proportion,
    refund_before_payment_settles_when_the_order_arrives,
    cancel_reverses_the_order_points,
    clawback_past_zero_is_kept_as_debt,
    manual_adjustments_need_a_reason_and_are_audited,
    signup_and_boosts_earn_as_configured,
    redemption_creates_a_real_code,
    failed_redemption_loses_no_points,
    tiers_follow_spend_and_are_mirrored_as_tags,
    tiers_drop_when_orders_leave_the_window,
    shares_reviews_and_birthdays_earn_once,
    pending_redemption_is_finished_by_the_job,
    referral_is_rewarded_once_after_the_return_window,
    referral_refused_for_each_fraud_signal,
    refunded_referral_is_not_rewarded,
    launch_enrols_everyone_with_a_bonus_once,
    points_expire_after_inactivity_with_a_reminder_first,
    storefront_banner_pitches_or_shows_points,
    shops_never_see_each_others_members,
);
