//! Redeeming points for real discount codes, and what happens when the platform fails.
use super::*;
use crate::helpers::GraphqlReply;
use crate::on_both_databases;
use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};

async fn redemption_creates_a_real_code(backend: Backend) {
    let (app, s) = installed(backend, "loyal-redeem").await;
    pay(&app, &s, "w1", 1201, "600.00", "2026-11-01T10:05:00Z").await;
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
    assert_eq!(created["title"], "Flywheel reward: 5 EUR off");
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
    pay(&app, &s, "w1", 1301, "600.00", "2026-11-01T10:05:00Z").await;
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

async fn pending_redemption_is_finished_by_the_job(backend: Backend) {
    let (app, s) = installed(backend, "loyal-pending").await;
    pay(&app, &s, "w1", 1471, "600.00", "2026-11-01T10:05:00Z").await;
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

on_both_databases!(
    redemption_creates_a_real_code,
    failed_redemption_loses_no_points,
    pending_redemption_is_finished_by_the_job,
);
