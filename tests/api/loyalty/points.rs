//! Earning, reversals, debt, adjustments, boosts, activities and expiry.
use super::*;
use crate::on_both_databases;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

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
    pay(&app, &s, "w1", 601, "100.00", "2026-11-01T10:05:00Z").await;
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
    pay(&app, &s, "w-late", 701, "100.00", "2026-11-01T10:05:00Z").await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 50);
}

async fn cancel_reverses_the_order_points(backend: Backend) {
    let (app, s) = installed(backend, "loyal-cancel").await;
    pay(&app, &s, "w1", 801, "80.00", "2026-11-01T10:05:00Z").await;
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
    pay(&app, &s, "w4", 802, "30.00", "2026-11-03T10:00:00Z").await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 0);
}

async fn clawback_past_zero_is_kept_as_debt(backend: Backend) {
    let (app, s) = installed(backend, "loyal-debt").await;
    pay(&app, &s, "w1", 901, "100.00", "2026-11-01T10:05:00Z").await;
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
    assert_eq!(balance_and_debt(&view), (0, 80));
    // The next order pays the debt first.
    pay(&app, &s, "w2", 902, "50.00", "2026-11-02T10:05:00Z").await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(balance_and_debt(&view), (0, 30));
    pay(&app, &s, "w3", 903, "45.00", "2026-11-03T10:05:00Z").await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(balance_and_debt(&view), (15, 0));
}

async fn manual_adjustments_need_a_reason_and_are_audited(backend: Backend) {
    let (app, s) = installed(backend, "loyal-manual").await;
    pay(&app, &s, "w1", 1001, "10.00", "2026-11-01T10:05:00Z").await;
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

async fn shares_reviews_and_birthdays_earn_once(backend: Backend) {
    use chrono::Datelike;
    let (app, s) = installed(backend, "loyal-activity").await;
    pay(&app, &s, "w1", 1461, "10.00", "2026-11-01T10:05:00Z").await;
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

async fn points_expire_after_inactivity_with_a_reminder_first(backend: Backend) {
    let (app, s) = installed(backend, "loyal-expiry").await;
    pay(&app, &s, "w1", 1801, "70.00", "2026-11-01T10:05:00Z").await;
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

on_both_databases!(
    paid_order_credits_points_once,
    refund_claws_back_in_proportion,
    refund_before_payment_settles_when_the_order_arrives,
    cancel_reverses_the_order_points,
    clawback_past_zero_is_kept_as_debt,
    manual_adjustments_need_a_reason_and_are_audited,
    signup_and_boosts_earn_as_configured,
    shares_reviews_and_birthdays_earn_once,
    points_expire_after_inactivity_with_a_reminder_first,
);
