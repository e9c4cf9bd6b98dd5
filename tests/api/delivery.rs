//! Delivery promises end to end: the storefront's estimate through the app
//! proxy in three languages, the shop's rules, and the range recorded per
//! order next to the real shipping and delivery dates.
use crate::helpers::{Backend, now, order_json, spawn_installed};
use crate::on_both_databases;
use reqwest::Method;
use serde_json::{Value, json};

async fn estimate_in_three_languages(backend: Backend) {
    let (app, s) = spawn_installed(backend, "delivery-langs").await;
    let ask = |q: &'static str| {
        let app = &app;
        let s = &s;
        async move {
            app.proxy_get(&format!("/delivery-estimate?{q}"), s, None, now())
                .await
        }
    };
    let it: Value = ask("product_id=7&country=IT&locale=it")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        it["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Arriva ")),
        "{it}"
    );
    assert_eq!(it["zone"], "eu");
    assert!(it["earliest"].as_str().expect("earliest") <= it["latest"].as_str().expect("latest"));
    let fr: Value = ask("product_id=7&country=FR&locale=fr")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        fr["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Arrive ")),
        "{fr}"
    );
    let en: Value = ask("product_id=7&country=JP&locale=en")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        en["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Arrives ")),
        "{en}"
    );
    assert_eq!(en["zone"], "rest_of_world");
    assert!(en["latest"].as_str().expect("latest") > it["latest"].as_str().expect("latest"));
    // No country: the shop's default; a cart with nothing named: the slowest supplier.
    assert_eq!(ask("cart=1").await.status(), 200);
    let bad = ask("product_id=7&country=Italy").await;
    assert_eq!(bad.status(), 400);
    let bad_ids = ask("product_ids=1,x").await;
    assert_eq!(bad_ids.status(), 400);
    let body: Value = bad_ids.json().await.expect("error json");
    assert_eq!(body["error"], "invalid_product");
}

async fn merchant_rules_change_the_promise(backend: Backend) {
    let (app, s) = spawn_installed(backend, "delivery-rules").await;
    let current: Value = app
        .get_api("/api/delivery/settings", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("settings");
    let mut rules = current["rules"].clone();
    let mut slow = rules["suppliers"][0].clone();
    slow["key"] = json!("porto");
    slow["name"] = json!("Porto Cork Co.");
    slow["processing_days_worst"] = json!(15);
    rules["suppliers"]
        .as_array_mut()
        .expect("suppliers")
        .push(slow);
    rules["mappings"] = json!([{"vendor": "Porto Cork Co.", "supplier": "porto"}]);
    let mut invalid = rules.clone();
    invalid["mappings"][0]["supplier"] = json!("nobody");
    let refused = app
        .send_api(Method::PUT, "/api/delivery/settings", &s, &invalid)
        .await;
    assert_eq!(refused.status(), 422);
    let saved = app
        .send_api(Method::PUT, "/api/delivery/settings", &s, &rules)
        .await;
    assert_eq!(saved.status(), 200);
    let plain: Value = app
        .proxy_get(
            "/delivery-estimate?product_id=7&country=IT",
            &s,
            None,
            now(),
        )
        .await
        .json()
        .await
        .expect("plain");
    let cork: Value = app
        .proxy_get(
            "/delivery-estimate?product_id=8&vendor=Porto%20Cork%20Co.&country=IT",
            &s,
            None,
            now(),
        )
        .await
        .json()
        .await
        .expect("cork");
    assert!(
        cork["latest"].as_str().expect("latest") > plain["latest"].as_str().expect("latest"),
        "{cork} vs {plain}"
    );
}

async fn orders_keep_their_promise_and_the_actual_dates(backend: Backend) {
    let (app, s) = spawn_installed(backend, "delivery-promises").await;
    let order = order_json(
        4242,
        77,
        "g@example.com",
        "2026-11-01T10:05:00+01:00",
        "paid",
    );
    for id in ["o1", "o1-again", "o2"] {
        app.deliver("orders/create", &s, id, &order).await;
    }
    assert_eq!(app.count("delivery_promises").await, 1);
    let fulfillment = json!({"id": 5151, "order_id": 4242, "status": "success",
        "shipment_status": "delivered", "tracking_company": "Cainiao", "tracking_number": "LP1",
        "created_at": "2026-11-03T09:00:00Z", "updated_at": "2026-11-09T15:00:00Z"});
    app.deliver("fulfillments/update", &s, "f1", &fulfillment)
        .await;
    let list: Value = app
        .get_api("/api/delivery/promises", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("promises");
    let promise = &list["promises"][0];
    assert_eq!(promise["order_id"], 4242);
    assert_eq!(promise["country"], "IT");
    // Placed 1 November, Rome: the default supplier ships within 4 working days, 6–10 days in the EU.
    assert!(
        promise["promised_earliest"]
            .as_str()
            .expect("promised_earliest")
            >= "2026-11-07",
        "{promise}"
    );
    assert!(
        promise["promised_latest"]
            .as_str()
            .expect("promised_latest")
            <= "2026-11-30",
        "{promise}"
    );
    assert_eq!(promise["shipped_at"], "2026-11-03T09:00:00Z");
    assert_eq!(promise["delivered_at"], "2026-11-09T15:00:00Z");
    assert_eq!(promise["on_time"], true);
}

on_both_databases!(
    estimate_in_three_languages,
    merchant_rules_change_the_promise,
    orders_keep_their_promise_and_the_actual_dates,
);
