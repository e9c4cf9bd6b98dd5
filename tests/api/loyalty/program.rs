//! The program as a whole: launch, the storefront banner, shop isolation.
use super::*;
use crate::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

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
    pay(&app, &s, "w1", 1901, "120.00", "2026-11-01T10:05:00Z").await;
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
    launch_enrols_everyone_with_a_bonus_once,
    storefront_banner_pitches_or_shows_points,
    shops_never_see_each_others_members,
);
