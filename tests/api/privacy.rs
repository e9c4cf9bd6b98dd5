use crate::helpers::*;
use crate::on_both_databases;
use serde_json::{Value, json};

on_both_databases!(
    customer_redact_leaves_no_personal_field,
    shop_redact_leaves_no_row,
    data_request_exports_the_customers_data,
);

const A_ORDER: i64 = 5_400_000_000_000_000_001;
const A_CUSTOMER: i64 = 6_400_000_000_000_000_001;
const B_ORDER: i64 = 5_400_000_000_000_000_002;
const B_CUSTOMER: i64 = 6_400_000_000_000_000_002;

async fn two_customers(backend: Backend, name: &str) -> (TestApp, flywheel::shopify::ShopDomain) {
    let app = spawn_app(backend).await;
    let shop = shop(name);
    app.install(&shop).await;
    let a = order_json(
        A_ORDER,
        A_CUSTOMER,
        "giulia.verdi@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    let mut b = order_json(
        B_ORDER,
        B_CUSTOMER,
        "marc.dupont@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    b["customer"]["first_name"] = json!("Marc");
    b["customer"]["last_name"] = json!("Dupont");
    b["customer"]["phone"] = json!("+33612345678");
    b["shipping_address"] = json!({"name": "Marc Dupont", "address1": "12 rue de Rivoli", "city": "Paris", "zip": "75001", "country_code": "FR"});
    b["browser_ip"] = json!("192.0.2.99");
    app.deliver("orders/create", &shop, "a", &a).await;
    app.deliver("orders/create", &shop, "b", &b).await;
    (app, shop)
}

fn rows_containing(rows: &[(&str, Value)], needle: &str) -> Vec<String> {
    rows.iter()
        .filter(|(_, row)| row.to_string().contains(needle))
        .map(|(table, row)| format!("{table}: {row}"))
        .collect()
}

async fn customer_redact_leaves_no_personal_field(backend: Backend) {
    let (app, shop) = two_customers(backend, "forgetful").await;
    // An export made earlier holds personal data too.
    let request = json!({"shop_domain": shop.as_str(), "customer": {"id": A_CUSTOMER, "email": "giulia.verdi@example.com"},
        "orders_requested": [A_ORDER], "data_request": {"id": 9}});
    app.deliver("customers/data_request", &shop, "dr", &request)
        .await;

    // A review with a photo, written while logged in: name and email on it.
    let review = reqwest::multipart::Form::new()
        .text("product_id", "9007199254740993")
        .text("rating", "5")
        .text("body", "Comfortable and thick")
        .part(
            "photos",
            reqwest::multipart::Part::bytes(flywheel::media::photos::jpeg_with_gps_exif(200, 200))
                .file_name("me.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let res = app
        .proxy_multipart("/reviews", &shop, Some(A_CUSTOMER), review)
        .await;
    assert_eq!(res.status(), 201);
    assert!(!rows_containing(&app.all_rows().await, "Giulia V.").is_empty());

    let redact = json!({"shop_id": 1, "shop_domain": shop.as_str(),
        "customer": {"id": A_CUSTOMER, "email": "giulia.verdi@example.com", "phone": "+393331234567"},
        "orders_to_redact": [A_ORDER]});
    app.deliver("customers/redact", &shop, "red", &redact).await;
    app.run_review_jobs(chrono::Utc::now()).await;
    assert!(
        app.media_files().is_empty(),
        "the customer's photos are deleted"
    );

    let rows = app.all_rows().await;
    for personal in [
        "giulia.verdi@example.com",
        "Giulia",
        "Verdi",
        "+393331234567",
        "Via Garibaldi",
        "198.51.100.7",
        "10122",
    ] {
        let found = rows_containing(&rows, personal);
        assert!(found.is_empty(), "{personal} still stored: {found:?}");
    }
    // The other customer is untouched, and the figures stay for the metrics.
    for kept in [
        "marc.dupont@example.com",
        "Dupont",
        "12 rue de Rivoli",
        "192.0.2.99",
    ] {
        assert!(
            !rows_containing(&rows, kept).is_empty(),
            "{kept} was erased"
        );
    }
    let view: Value = app
        .get_api(&format!("/api/orders/{A_ORDER}"), &app.session_token(&shop))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["total_minor"], 6470);
    // A later update for the redacted customer does not bring the data back.
    let again = order_json(
        A_ORDER + 10,
        A_CUSTOMER,
        "giulia.verdi@example.com",
        "2026-11-20T10:00:00Z",
        "paid",
    );
    let update = again["customer"].clone();
    app.deliver("customers/update", &shop, "cu", &update).await;
    let rows = app.all_rows().await;
    assert!(rows_containing(&rows, "Verdi").is_empty());
}

async fn shop_redact_leaves_no_row(backend: Backend) {
    let (app, shop) = two_customers(backend, "closing-down").await;
    let other = crate::helpers::shop("staying");
    app.install(&other).await;
    let o = order_json(
        5_400_000_000_000_000_077,
        6_400_000_000_000_000_077,
        "stay@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    app.deliver("orders/create", &other, "o", &o).await;
    let fulfillment =
        json!({"id": 5_300_000_000_000_000_002i64, "order_id": A_ORDER, "status": "success"});
    app.deliver("fulfillments/create", &shop, "f", &fulfillment)
        .await;
    let shop_id = app
        .all_rows()
        .await
        .into_iter()
        .find(|(t, r)| *t == "shops" && r["domain"] == shop.as_str())
        .map(|(_, r)| r["id"].clone())
        .expect("shop row");

    app.deliver(
        "app/uninstalled",
        &shop,
        "u",
        &json!({"domain": shop.as_str()}),
    )
    .await;
    let r = app
        .webhook(
            "shop/redact",
            &shop,
            "sr",
            &json!({"shop_id": 1, "shop_domain": shop.as_str()}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let rows = app.all_rows().await;
    let left: Vec<_> = rows
        .iter()
        .filter(|(_, r)| {
            r.to_string().contains(shop.as_str())
                || r.get("shop_id") == Some(&shop_id)
                || (r.get("domain").is_some() && r["id"] == shop_id)
        })
        .collect();
    assert!(
        left.is_empty(),
        "rows of the redacted shop remain: {left:?}"
    );
    assert!(
        !rows_containing(&rows, "stay@example.com").is_empty(),
        "another shop's data was deleted"
    );
    assert!(
        rows.iter()
            .any(|(t, r)| *t == "shops" && r["domain"] == other.as_str())
    );
}

async fn data_request_exports_the_customers_data(backend: Backend) {
    let (app, shop) = two_customers(backend, "curious-customer").await;
    let request = json!({"shop_id": 1, "shop_domain": shop.as_str(),
        "customer": {"id": A_CUSTOMER, "email": "giulia.verdi@example.com", "phone": "+393331234567"},
        "orders_requested": [A_ORDER], "data_request": {"id": 9999}});
    app.deliver("customers/data_request", &shop, "dr", &request)
        .await;
    let body: Value = app
        .get_api("/api/privacy/exports", &app.session_token(&shop))
        .await
        .json()
        .await
        .expect("json");
    let exports = body["exports"].as_array().expect("exports");
    assert_eq!(exports.len(), 1);
    let export = &exports[0];
    assert_eq!(export["data_request_id"], 9999);
    let payload = &export["payload"];
    assert_eq!(payload["customer"]["email"], "giulia.verdi@example.com");
    assert_eq!(payload["customer"]["first_name"], "Giulia");
    assert_eq!(payload["orders"][0]["id"].as_i64(), Some(A_ORDER));
    assert_eq!(
        payload["orders"][0]["shipping"]["address1"],
        "Via Garibaldi 12"
    );
    assert!(
        !payload.to_string().contains("marc.dupont"),
        "another customer's data leaked into the export"
    );
}
