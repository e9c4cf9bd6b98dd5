//! Referrals: rewarded once after the return window, refused for fraud or refunds.
use super::*;
use crate::on_both_databases;
use chrono::{Duration, Utc};
use serde_json::{Value, json};

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

on_both_databases!(
    referral_is_rewarded_once_after_the_return_window,
    referral_refused_for_each_fraud_signal,
    refunded_referral_is_not_rewarded,
);
