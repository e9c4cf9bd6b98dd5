//! Backfill from a Bulk Operations JSONL result.
use crate::helpers::*;
use crate::on_both_databases;
use entity::{customers, order_line_items, orders};
use flywheel::commerce::import::import_jsonl;
use sea_orm::{EntityTrait, PaginatorTrait};

on_both_databases!(bulk_jsonl_backfills_and_can_run_twice);

const JSONL: &str = r##"{"id":"gid://shopify/Customer/9007199254740993","email":"anna@example.com","firstName":"Anna","lastName":"Neri","createdAt":"2025-12-01T10:00:00Z","updatedAt":"2025-12-01T10:00:00Z","emailMarketingConsent":{"marketingState":"SUBSCRIBED"}}
{"id":"gid://shopify/Order/9007199254740995","name":"#1001","email":"anna@example.com","currencyCode":"EUR","createdAt":"2025-12-02T10:00:00Z","updatedAt":"2025-12-02T11:00:00Z","processedAt":"2025-12-02T10:00:00Z","cancelledAt":null,"displayFinancialStatus":"PAID","subtotalPriceSet":{"shopMoney":{"amount":"49.80","currencyCode":"EUR"}},"totalPriceSet":{"shopMoney":{"amount":"54.70","currencyCode":"EUR"}},"totalDiscountsSet":{"shopMoney":{"amount":"0.0","currencyCode":"EUR"}},"customer":{"id":"gid://shopify/Customer/9007199254740993","email":"anna@example.com","firstName":"Anna","lastName":"Neri"},"shippingAddress":{"name":"Anna Neri","address1":"Via Po 1","city":"Torino","zip":"10124","countryCodeV2":"IT"}}
{"id":"gid://shopify/LineItem/1","title":"Cork yoga mat","quantity":1,"product":{"id":"gid://shopify/Product/7"},"variant":{"id":"gid://shopify/ProductVariant/71"},"originalUnitPriceSet":{"shopMoney":{"amount":"29.90"}},"__parentId":"gid://shopify/Order/9007199254740995"}
{"id":"gid://shopify/LineItem/2","title":"Pet hair remover","quantity":1,"product":{"id":"gid://shopify/Product/8"},"variant":null,"originalUnitPriceSet":{"shopMoney":{"amount":"19.90"}},"__parentId":"gid://shopify/Order/9007199254740995"}
{"id":"gid://shopify/Order/9007199254740997","name":"#1002","email":"anna@example.com","currencyCode":"EUR","createdAt":"2026-02-02T10:00:00Z","updatedAt":"2026-02-02T10:00:00Z","displayFinancialStatus":"PARTIALLY_REFUNDED","subtotalPriceSet":{"shopMoney":{"amount":"29.90","currencyCode":"EUR"}},"totalPriceSet":{"shopMoney":{"amount":"34.80","currencyCode":"EUR"}},"customer":{"id":"gid://shopify/Customer/9007199254740993"}}
"##;

async fn bulk_jsonl_backfills_and_can_run_twice(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "history").await;
    let shop_id = app
        .all_rows()
        .await
        .into_iter()
        .find(|(t, _)| *t == "shops")
        .and_then(|(_, r)| r["id"].as_i64())
        .expect("shop id");
    for _ in 0..2 {
        let report = import_jsonl(&app.db, shop_id, JSONL.as_bytes(), chrono::Utc::now())
            .await
            .expect("import");
        assert_eq!(
            (report.customers, report.orders, report.line_items),
            (1, 2, 2)
        );
    }
    assert_eq!(
        customers::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        orders::Entity::find().count(&app.db).await.expect("count"),
        2
    );
    assert_eq!(
        order_line_items::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        2
    );
    let customer = customers::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("customer");
    assert_eq!(customer.shopify_customer_id, 9_007_199_254_740_993);
    assert_eq!(customer.email_marketing_consent, "subscribed");
    let view: serde_json::Value = app
        .get_api("/api/customers/9007199254740993", &app.session_token(&shop))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["orders_count"], 2);
    assert_eq!(view["orders"][0]["total_minor"], 5470);
    assert_eq!(view["orders"][1]["financial_status"], "partially_refunded");

    let broken = "{\"id\":\"gid://shopify/LineItem/3\",\"quantity\":1,\"__parentId\":\"gid://shopify/Order/1\"}\n";
    let err = import_jsonl(&app.db, shop_id, broken.as_bytes(), chrono::Utc::now())
        .await
        .expect_err("orphan line");
    assert!(err.to_string().contains("line 1"), "{err}");
}
