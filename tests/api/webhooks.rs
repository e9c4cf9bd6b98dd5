use crate::helpers::*;
use crate::on_both_databases;
use entity::{fulfillments, orders, refunds, shops};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

on_both_databases!(
    duplicate_delivery_has_one_effect,
    updated_before_create_settles_on_the_newest,
    bad_hmac_is_401_and_writes_nothing,
    malformed_json_is_400_and_writes_nothing,
    wrong_shape_is_422_and_writes_nothing,
    oversized_body_is_413,
    unknown_topic_is_recorded_and_ignored,
    refunds_and_fulfillments_arriving_early_are_linked,
    uninstall_forgets_the_token,
);

const ORDER: i64 = 5_100_000_000_000_000_001;
const CUSTOMER: i64 = 6_100_000_000_000_000_001;

use crate::helpers::spawn_installed as installed;

async fn duplicate_delivery_has_one_effect(backend: Backend) {
    let (app, shop) = installed(backend, "dupes").await;
    let order = order_json(
        ORDER,
        CUSTOMER,
        "giulia@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    let first = app.webhook("orders/create", &shop, "wh-1", &order).await;
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.expect("json");
    assert_eq!(body["status"], "processed");
    let again = app.webhook("orders/create", &shop, "wh-1", &order).await;
    assert_eq!(again.status(), 200);
    let body: Value = again.json().await.expect("json");
    assert_eq!(body["status"], "duplicate");
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("order_line_items").await, 1);
    assert_eq!(app.count("customers").await, 1);
    assert_eq!(app.count("webhook_events").await, 1);

    let stored = orders::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("order");
    assert_eq!(stored.shopify_order_id, ORDER, "ids above 2^53 stay exact");
    assert_eq!(stored.subtotal_minor, 5980);
    assert_eq!(stored.total_minor, 6470);
    assert_eq!(stored.currency, "EUR");

    // Concurrent repeats of one delivery still have one effect.
    let refund = json!({
        "id": 5_200_000_000_000_000_001i64, "order_id": ORDER, "created_at": "2026-11-05T10:00:00Z",
        "transactions": [{"amount": "10.00", "currency": "EUR", "kind": "refund", "status": "success"}]
    });
    let deliveries = (0..6).map(|_| app.webhook("refunds/create", &shop, "wh-refund", &refund));
    for r in futures_util::future::join_all(deliveries).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.count("refunds").await, 1);
    let refund = refunds::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("refund");
    assert_eq!(refund.amount_minor, 1000);
}

async fn updated_before_create_settles_on_the_newest(backend: Backend) {
    let (app, shop) = installed(backend, "out-of-order").await;
    let mut newer = order_json(
        ORDER,
        CUSTOMER,
        "giulia@example.com",
        "2026-11-02T10:00:00Z",
        "paid",
    );
    newer["line_items"][0]["quantity"] = json!(3);
    let older = order_json(
        ORDER,
        CUSTOMER,
        "giulia@example.com",
        "2026-11-01T10:00:00Z",
        "pending",
    );
    app.deliver("orders/updated", &shop, "wh-upd", &newer).await;
    app.deliver("orders/create", &shop, "wh-create", &older)
        .await;
    let all = orders::Entity::find().all(&app.db).await.expect("orders");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].financial_status, "paid");
    let token = app.session_token(&shop);
    let view: Value = app
        .get_api(&format!("/api/orders/{ORDER}"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["line_items"][0]["quantity"], 3);
    assert_eq!(
        view["line_items"][0]["product_id"].as_i64(),
        Some(9007199254740993)
    );

    // And the same two in the natural order reach the same state.
    let (app2, shop2) = installed(backend, "in-order").await;
    assert_eq!(
        app2.webhook("orders/create", &shop2, "wh-create", &older)
            .await
            .status(),
        200
    );
    assert_eq!(
        app2.webhook("orders/updated", &shop2, "wh-upd", &newer)
            .await
            .status(),
        200
    );
    let all2 = orders::Entity::find().all(&app2.db).await.expect("orders");
    assert_eq!(all2[0].financial_status, all[0].financial_status);
    assert_eq!(all2[0].platform_updated_at, all[0].platform_updated_at);
}

async fn bad_hmac_is_401_and_writes_nothing(backend: Backend) {
    let (app, shop) = installed(backend, "bad-hmac").await;
    let body = serde_json::to_vec(&order_json(
        ORDER,
        CUSTOMER,
        "x@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    ))
    .expect("json");
    let forged = flywheel::shopify::signature::sign_webhook(b"wrong-secret", &body);
    for hmac in [forged, "".into(), "not base64!".into()] {
        let r = app
            .webhook_raw("orders/create", &shop, "wh-bad", body.clone(), Some(hmac))
            .await;
        assert_eq!(r.status(), 401);
        let err: Value = r.json().await.expect("json");
        assert_eq!(err["error"], "invalid_hmac");
    }
    // A body changed after signing.
    let good = flywheel::shopify::signature::sign_webhook(API_SECRET.as_bytes(), &body);
    let mut changed = body.clone();
    changed.extend_from_slice(b" ");
    let r = app
        .webhook_raw("orders/create", &shop, "wh-bad", changed, Some(good))
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(app.count("webhook_events").await, 0);
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("customers").await, 0);
}

async fn malformed_json_is_400_and_writes_nothing(backend: Backend) {
    let (app, shop) = installed(backend, "malformed").await;
    let r = app
        .webhook_raw(
            "orders/create",
            &shop,
            "wh-m",
            b"{\"id\": 1, ".to_vec(),
            None,
        )
        .await;
    assert_eq!(r.status(), 400);
    let err: Value = r.json().await.expect("json");
    assert_eq!(err["error"], "malformed_json");
    assert!(err["message"].as_str().unwrap_or_default().contains("JSON"));
    assert_eq!(app.count("webhook_events").await, 0);
    assert_eq!(app.count("orders").await, 0);
}

async fn wrong_shape_is_422_and_writes_nothing(backend: Backend) {
    let (app, shop) = installed(backend, "shapeless").await;
    let r = app
        .webhook("orders/create", &shop, "wh-s", &json!({"hello": "world"}))
        .await;
    assert_eq!(r.status(), 422);
    let mut bad_money = order_json(
        ORDER,
        CUSTOMER,
        "x@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    bad_money["total_price"] = json!("twelve");
    let r = app
        .webhook("orders/create", &shop, "wh-s2", &bad_money)
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.count("webhook_events").await,
        0,
        "a rejected delivery can be retried"
    );
    assert_eq!(app.count("orders").await, 0);
    assert_eq!(app.count("customers").await, 0);
}

async fn oversized_body_is_413(backend: Backend) {
    let (app, shop) = installed(backend, "oversized").await;
    let padding = "x".repeat(2 * 1024 * 1024);
    let body =
        serde_json::to_vec(&json!({"id": 1, "currency": "EUR", "note": padding})).expect("json");
    let r = app
        .webhook_raw("orders/create", &shop, "wh-big", body, None)
        .await;
    assert_eq!(r.status(), 413);
    let err: Value = r.json().await.expect("json");
    assert_eq!(err["error"], "payload_too_large");
    assert_eq!(app.count("webhook_events").await, 0);
}

async fn unknown_topic_is_recorded_and_ignored(backend: Backend) {
    let (app, shop) = installed(backend, "curious").await;
    let r = app
        .webhook(
            "inventory_levels/update",
            &shop,
            "wh-p",
            &json!({"inventory_item_id": 1}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["status"], "ignored");
    assert_eq!(app.count("webhook_events").await, 1);
    app.deliver(
        "orders/create",
        &crate::helpers::shop("never-installed"),
        "wh-n",
        &order_json(1, 2, "a@b.c", "2026-11-01T10:00:00Z", "paid"),
    )
    .await;
    assert_eq!(app.count("orders").await, 0);
}

async fn refunds_and_fulfillments_arriving_early_are_linked(backend: Backend) {
    let (app, shop) = installed(backend, "early-birds").await;
    let refund = json!({"id": 5_200_000_000_000_000_009i64, "order_id": ORDER, "note": "damaged",
        "transactions": [{"amount": "5.50", "kind": "refund", "status": "success"},
                         {"amount": "99.00", "kind": "refund", "status": "failure"}]});
    let fulfillment = json!({"id": 5_300_000_000_000_000_001i64, "order_id": ORDER, "status": "success",
        "shipment_status": "delivered", "tracking_company": "Cainiao", "tracking_number": "LP1",
        "created_at": "2026-11-03T10:00:00Z", "updated_at": "2026-11-09T10:00:00Z"});
    app.deliver("refunds/create", &shop, "wh-r", &refund).await;
    app.deliver("fulfillments/update", &shop, "wh-f", &fulfillment)
        .await;
    let order = order_json(
        ORDER,
        CUSTOMER,
        "x@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    app.deliver("orders/create", &shop, "wh-o", &order).await;

    let order_id = orders::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("order")
        .id;
    let refund = refunds::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("refund");
    assert_eq!(refund.order_id, Some(order_id));
    assert_eq!(
        refund.amount_minor, 550,
        "failed transactions return nothing"
    );
    let f = fulfillments::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("fulfillment");
    assert_eq!(f.order_id, Some(order_id));
    assert_eq!(
        f.delivered_at.map(|d| d.to_rfc3339()),
        Some("2026-11-09T10:00:00+00:00".into())
    );
    let view: Value = app
        .get_api(&format!("/api/orders/{ORDER}"), &app.session_token(&shop))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["refunded_minor"], 550);
}

async fn uninstall_forgets_the_token(backend: Backend) {
    let (app, shop) = installed(backend, "leaving").await;
    app.deliver(
        "app/uninstalled",
        &shop,
        "wh-u",
        &json!({"id": 1, "domain": shop.as_str()}),
    )
    .await;
    let row = shops::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("shop");
    assert!(row.access_token_encrypted.is_none());
    assert!(row.uninstalled_at.is_some());
    // Storefront requests stop working for an uninstalled shop.
    assert_eq!(
        app.proxy_get("/session", &shop, None, now()).await.status(),
        404
    );
    // Reopening the app from the admin reinstalls it through token exchange.
    assert_eq!(
        app.get_api("/api/shop", &app.session_token(&shop))
            .await
            .status(),
        200
    );
    let row = shops::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("shop");
    assert!(row.access_token_encrypted.is_some() && row.uninstalled_at.is_none());
}

on_both_databases!(database_failure_is_5xx_and_the_retry_applies);

async fn database_failure_is_5xx_and_the_retry_applies(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let (app, shop) = installed(backend, "outage").await;
    let order = order_json(
        ORDER,
        CUSTOMER,
        "x@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    app.db
        .execute_unprepared("ALTER TABLE order_line_items RENAME TO order_line_items_away")
        .await
        .expect("break the table");
    let r = app
        .webhook("orders/create", &shop, "wh-outage", &order)
        .await;
    assert!(r.status().is_server_error(), "{}", r.status());
    app.db
        .execute_unprepared("ALTER TABLE order_line_items_away RENAME TO order_line_items")
        .await
        .expect("mend the table");
    assert_eq!(
        app.count("webhook_events").await,
        0,
        "the failed delivery left no trace"
    );
    assert_eq!(app.count("orders").await, 0, "half an order was not kept");
    // The platform retries the same delivery; now it applies.
    app.deliver("orders/create", &shop, "wh-outage", &order)
        .await;
    assert_eq!(app.count("orders").await, 1);
    assert_eq!(app.count("order_line_items").await, 1);
}
