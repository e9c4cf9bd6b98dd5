//! The returns portal and queue over HTTP, as a shopper and a merchant would
//! use them: the lookup that never tells a wrong email from a missing order,
//! the window, every legal and illegal move, the slip as a real PDF, and the
//! refund through the fake platform — failing, retried, and clawing back
//! loyalty points once through the platform's own webhook.
use crate::helpers::{Backend, GraphqlReply, TestApp};
use crate::on_both_databases;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use flywheel::shopify::ShopDomain;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

on_both_databases!(
    a_wrong_email_looks_like_a_missing_order_and_lookups_are_limited,
    a_return_goes_from_request_to_refund,
    outside_the_window_the_return_is_refused_with_the_date,
    store_credit_and_exchange_settle_through_the_platform,
    a_final_sale_product_cannot_go_back,
);

const ORDER: i64 = 9_940_001;
const CUSTOMER: i64 = 9_940_002;

/// A paid order delivered `days_ago`, with 2 cork mats.
async fn delivered_order(app: &TestApp, s: &ShopDomain, id: i64, days_ago: i64) -> DateTime<Utc> {
    let placed = Utc::now().trunc_subsecs(0) - Duration::days(days_ago + 6);
    let mut order = crate::helpers::order_json(
        id,
        id + 1,
        "giulia@example.com",
        &placed.to_rfc3339(),
        "paid",
    );
    order["created_at"] = json!(placed.to_rfc3339());
    order["processed_at"] = json!(placed.to_rfc3339());
    order["name"] = json!(format!("#{:04}", id % 10_000));
    app.deliver("orders/paid", s, &format!("paid-{id}"), &order)
        .await;
    let arrived = Utc::now().trunc_subsecs(0) - Duration::days(days_ago);
    let fulfillment = json!({"id": id + 50, "order_id": id, "status": "success", "shipment_status": "delivered",
        "tracking_company": "Cainiao", "tracking_number": "LP9", "created_at": placed.to_rfc3339(),
        "updated_at": arrived.to_rfc3339()});
    app.deliver("fulfillments/update", s, &format!("ful-{id}"), &fulfillment)
        .await;
    arrived
}

async fn lookup(
    app: &TestApp,
    s: &ShopDomain,
    number: &str,
    email: &str,
    lang: &str,
) -> reqwest::Response {
    let url = app.proxy_url(
        &format!("/returns/lookup?locale={lang}"),
        s,
        None,
        crate::helpers::now(),
    );
    app.client
        .post(url)
        .form(&[("number", number), ("email", email)])
        .send()
        .await
        .expect("lookup")
}

/// The return form's token and its first line's id.
fn form_parts(html: &str) -> (String, i64) {
    let token = html
        .split("name=\"t\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("token")
        .to_owned();
    let line = html
        .split("name=\"qty_")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|id| id.parse().ok())
        .expect("a returnable line");
    (token, line)
}

#[allow(clippy::too_many_arguments)]
async fn request_return(
    app: &TestApp,
    s: &ShopDomain,
    token: &str,
    line: i64,
    quantity: &str,
    reason: &str,
    outcome: &str,
    lang: &str,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new()
        .text("t", token.to_owned())
        .text(format!("qty_{line}"), quantity.to_owned())
        .text("reason", reason.to_owned())
        .text("comment", "Il bordo è rovinato.")
        .text("outcome", outcome.to_owned());
    if outcome == "exchange" {
        form = form.text("exchange_variant", "9007199254740995");
    }
    app.proxy_multipart(&format!("/returns?locale={lang}"), s, None, form)
        .await
}

async fn api(
    app: &TestApp,
    s: &ShopDomain,
    method: Method,
    path: &str,
    body: Value,
) -> reqwest::Response {
    app.send_api(method, path, s, &body).await
}

async fn the_return(app: &TestApp, s: &ShopDomain) -> Value {
    let list: Value = api(app, s, Method::GET, "/api/returns", json!(null))
        .await
        .json()
        .await
        .expect("json");
    let id = list["returns"][0]["id"].as_i64().expect("a return");
    api(
        app,
        s,
        Method::GET,
        &format!("/api/returns/{id}"),
        json!(null),
    )
    .await
    .json()
    .await
    .expect("json")
}

async fn a_wrong_email_looks_like_a_missing_order_and_lookups_are_limited(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "returns-lookup").await;
    delivered_order(&app, &s, ORDER, 3).await;
    let found = lookup(&app, &s, "#0001", "Giulia@Example.com", "it").await;
    assert_eq!(
        found.status(),
        200,
        "number with or without #, address in any case"
    );
    assert!(found.text().await.expect("html").contains("name=\"qty_"));
    let wrong_email = lookup(&app, &s, "0001", "someone@example.com", "it").await;
    let no_order = lookup(&app, &s, "7777", "giulia@example.com", "it").await;
    assert_eq!(
        (wrong_email.status(), no_order.status()),
        (
            reqwest::StatusCode::NOT_FOUND,
            reqwest::StatusCode::NOT_FOUND
        )
    );
    let (a, b) = (
        wrong_email.text().await.expect("html"),
        no_order.text().await.expect("html"),
    );
    assert_eq!(a, b, "the same answer: no way to tell which orders exist");
    assert!(a.contains("Non troviamo un ordine"));
    // Five tries per address an hour; the sixth is refused whatever it guesses.
    for guess in ["1", "2", "3"] {
        lookup(&app, &s, guess, "giulia@example.com", "it").await;
    }
    let limited = lookup(&app, &s, "0001", "giulia@example.com", "it").await;
    assert_eq!(limited.status(), 429);
    // The limit counts keyed hashes, never the addresses themselves.
    let rows = app.all_rows().await;
    assert!(
        rows.iter()
            .filter(|(t, _)| *t == "return_lookups")
            .all(|(_, r)| !r.to_string().contains("giulia"))
    );
}

async fn a_return_goes_from_request_to_refund(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "returns-flow").await;
    delivered_order(&app, &s, ORDER, 3).await;
    let page = lookup(&app, &s, "0001", "giulia@example.com", "it")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Puoi restituire gli articoli fino al"),
        "{page}"
    );
    let (token, line) = form_parts(&page);
    assert_eq!(
        request_return(&app, &s, &token, line, "3", "damaged", "refund", "it")
            .await
            .status(),
        200,
        "more than bought: the form again"
    );
    let created = request_return(&app, &s, &token, line, "2", "damaged", "refund", "it").await;
    assert_eq!(created.status(), 201);
    let html = created.text().await.expect("html");
    assert!(html.contains("R0001-1"), "{html}");
    // The same form sent again is the same return.
    assert_eq!(
        request_return(&app, &s, &token, line, "2", "damaged", "refund", "it")
            .await
            .status(),
        201
    );
    assert_eq!(app.count("return_requests").await, 1);

    let ret = the_return(&app, &s).await;
    let id = ret["id"].as_i64().expect("id");
    assert_eq!(
        (
            ret["status"].as_str(),
            ret["outcome"].as_str(),
            ret["shop_pays_label"].as_bool()
        ),
        (Some("requested"), Some("refund"), Some(true))
    );
    assert_eq!(ret["value_minor"], 5980);
    let status_path = ret["status_url"]
        .as_str()
        .expect("link")
        .split("/apps/flywheel")
        .nth(1)
        .expect("path")
        .to_owned();
    let shown = app
        .proxy_get(&status_path, &s, None, crate::helpers::now())
        .await;
    assert_eq!(shown.status(), 200);
    assert!(shown.text().await.expect("html").contains("richiesto"));
    let forged = status_path.replace("t=", "t=0");
    assert_eq!(
        app.proxy_get(&forged, &s, None, crate::helpers::now())
            .await
            .status(),
        404
    );

    let step = |action: &'static str, body: Value| {
        let app = &app;
        let s = &s;
        async move {
            api(
                app,
                s,
                Method::POST,
                &format!("/api/returns/{id}/{action}"),
                body,
            )
            .await
        }
    };
    assert_eq!(
        api(
            &app,
            &s,
            Method::POST,
            &format!("/api/returns/{id}/settle"),
            json!(null)
        )
        .await
        .status(),
        409,
        "not before it is back"
    );
    assert_eq!(step("receive", json!(null)).await.status(), 409);
    assert_eq!(
        step("reject", json!({})).await.status(),
        422,
        "a rejection needs its reason"
    );
    assert_eq!(step("approve", json!(null)).await.status(), 200);
    assert_eq!(
        step("approve", json!(null)).await.status(),
        409,
        "approved once"
    );
    // The slip is a real PDF carrying the RMA number.
    let pdf_path = status_path.replace("/returns/status?", "/returns/slip.pdf?");
    let pdf = app
        .proxy_get(&pdf_path, &s, None, crate::helpers::now())
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.expect("pdf");
    let document = lopdf::Document::load_mem(&bytes).expect("a valid PDF");
    let text = document.extract_text(&[1]).expect("text");
    assert!(text.contains("R0001-1"), "{text}");
    let slip = app
        .proxy_get(
            &status_path.replace("/returns/status?", "/returns/slip?"),
            &s,
            None,
            crate::helpers::now(),
        )
        .await;
    assert!(
        slip.text().await.expect("html").contains("<svg"),
        "the QR code"
    );
    assert_eq!(step("issue_label", json!(null)).await.status(), 200);
    assert_eq!(
        step("ship", json!({"tracking": "RR123IT"})).await.status(),
        200
    );
    assert_eq!(step("receive", json!(null)).await.status(), 200);

    // The platform fails: the return stays received with the reason, nothing lost.
    app.fake.script([
        GraphqlReply::Status(500),
        GraphqlReply::Status(500),
        GraphqlReply::Status(500),
        GraphqlReply::Status(500),
    ]);
    let failed = api(
        &app,
        &s,
        Method::POST,
        &format!("/api/returns/{id}/settle"),
        json!(null),
    )
    .await;
    assert_eq!(failed.status(), 502);
    let after: Value = api(
        &app,
        &s,
        Method::GET,
        &format!("/api/returns/{id}"),
        json!(null),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(after["status"], "received");
    assert!(after["last_error"].is_string());
    assert!(app.fake.state.lock().expect("fake").refunds.is_empty());
    // Retried: one of the two mats back (a partial refund by quantity).
    let item = after["items"][0]["id"].as_i64().expect("item");
    let settled = api(
        &app,
        &s,
        Method::POST,
        &format!("/api/returns/{id}/settle"),
        json!({"lines": [{"item_id": item, "quantity": 1}]}),
    )
    .await;
    assert_eq!(settled.status(), 200, "{:?}", settled.text().await);
    let done: Value = api(
        &app,
        &s,
        Method::GET,
        &format!("/api/returns/{id}"),
        json!(null),
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(done["status"], "refunded");
    assert!(done["last_error"].is_null());
    {
        let fake = app.fake.state.lock().expect("fake");
        assert_eq!(fake.refunds.len(), 1);
        let refund = &fake.refunds[0];
        assert_eq!(refund["refundLineItems"][0]["quantity"], 1);
        assert_eq!(
            refund["refundLineItems"][0]["lineItemId"],
            format!("gid://shopify/LineItem/{}", ORDER + 1)
        );
        assert_eq!(refund["transactions"][0]["amount"], "29.90");
        assert_eq!(
            refund["transactions"][0]["parentId"],
            "gid://shopify/OrderTransaction/9002"
        );
    }
    assert_eq!(
        step("approve", json!(null)).await.status(),
        409,
        "a refunded return is final"
    );
    let history: Vec<String> = done["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["to"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        history,
        [
            "requested",
            "approved",
            "label_issued",
            "in_transit",
            "received",
            "refunded"
        ]
    );
    assert!(
        done["history"]
            .as_array()
            .expect("history")
            .iter()
            .all(|e| e["actor"].is_string() && e["at"].is_string())
    );
    // Each step queued the shopper's status email, once.
    assert_eq!(
        entity::jobs::Entity::find()
            .all(&app.db)
            .await
            .expect("jobs")
            .iter()
            .filter(|j| j.kind == "flow.return_status")
            .count(),
        6
    );

    // The platform reports the refund: points come back once, however often it says so.
    let refund = json!({"id": 7_770_001, "order_id": ORDER, "created_at": Utc::now().to_rfc3339(),
        "transactions": [{"id": 1, "kind": "refund", "status": "success", "amount": "29.90", "currency": "EUR"}],
        "refund_line_items": [{"line_item_id": ORDER + 1, "quantity": 1, "subtotal": "29.90"}]});
    app.deliver("refunds/create", &s, "refund-1", &refund).await;
    app.deliver("refunds/create", &s, "refund-1-again", &refund)
        .await;
    let loyalty: Value = app
        .get_api(
            &format!("/api/customers/{CUSTOMER}/loyalty"),
            &app.session_token(&s),
        )
        .await
        .json()
        .await
        .expect("json");
    let clawbacks = loyalty["recent_entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["reason"] == "clawback")
        .count();
    assert_eq!(clawbacks, 1, "{loyalty}");
    // A case can be opened from the return.
    let case = api(
        &app,
        &s,
        Method::POST,
        &format!("/api/returns/{id}/case"),
        json!(null),
    )
    .await;
    assert_eq!(case.status(), 200);
    assert_eq!(app.count("support_cases").await, 1);
}

async fn outside_the_window_the_return_is_refused_with_the_date(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "returns-window").await;
    let arrived = delivered_order(&app, &s, ORDER, 40).await;
    let page = lookup(&app, &s, "0001", "giulia@example.com", "fr")
        .await
        .text()
        .await
        .expect("html");
    let closed =
        flywheel::delivery::format::date_text("fr", (arrived + Duration::days(30)).date_naive());
    assert!(
        page.contains("Le délai de retour de cette commande a pris fin le")
            && page.contains(&closed),
        "{page}"
    );
    assert!(!page.contains("name=\"qty_"), "nothing to choose");
}

async fn store_credit_and_exchange_settle_through_the_platform(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "returns-credit").await;
    delivered_order(&app, &s, ORDER, 2).await;
    delivered_order(&app, &s, ORDER + 100, 2).await;
    for (number, outcome) in [("0001", "store_credit"), ("0101", "exchange")] {
        let page = lookup(&app, &s, number, "giulia@example.com", "en")
            .await
            .text()
            .await
            .expect("html");
        let (token, line) = form_parts(&page);
        assert_eq!(
            request_return(&app, &s, &token, line, "1", "doesnt_fit", outcome, "en")
                .await
                .status(),
            201
        );
    }
    let list: Value = api(&app, &s, Method::GET, "/api/returns", json!(null))
        .await
        .json()
        .await
        .expect("json");
    for r in list["returns"].as_array().expect("returns") {
        let id = r["id"].as_i64().expect("id");
        assert_eq!(
            r["shop_pays_label"], false,
            "changing one's mind: the shopper pays the label"
        );
        for action in ["approve", "receive"] {
            assert_eq!(
                api(
                    &app,
                    &s,
                    Method::POST,
                    &format!("/api/returns/{id}/{action}"),
                    json!(null)
                )
                .await
                .status(),
                200
            );
        }
        let settled = api(
            &app,
            &s,
            Method::POST,
            &format!("/api/returns/{id}/settle"),
            json!(null),
        )
        .await;
        assert_eq!(settled.status(), 200, "{:?}", settled.text().await);
        let body: Value = settled.json().await.expect("json");
        match r["outcome"].as_str() {
            Some("store_credit") => {
                assert_eq!(body["status"], "credited");
                // 29.90 with the 10% bonus.
                assert_eq!(body["credit_minor"], 3289);
                let code = body["settled_reference"].as_str().expect("code").to_owned();
                let fake = app.fake.state.lock().expect("fake");
                assert_eq!(
                    fake.discount_codes[&code]["customerGets"]["value"]["discountAmount"]["amount"],
                    "32.89"
                );
            }
            _ => {
                assert_eq!(body["status"], "exchanged");
                let fake = app.fake.state.lock().expect("fake");
                assert_eq!(
                    fake.draft_orders[0]["lineItems"][0]["variantId"],
                    "gid://shopify/ProductVariant/9007199254740995"
                );
                assert_eq!(fake.completed_drafts.len(), 1);
            }
        }
    }
}

/// The portal's policy headline is word for word what the policy badge says.
#[test]
fn the_portal_and_the_badge_say_the_same_thing() {
    for (file, lang) in [("en.default", "en"), ("it", "it"), ("fr", "fr")] {
        let path = format!(
            "{}/theme-extension/locales/{file}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let theme: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("locale")).expect("json");
        let badge = theme["blocks"]["policy_badges"]["returns"]
            .as_str()
            .expect("badge")
            .replace("{{ days }}", "30");
        assert_eq!(
            flywheel::i18n::tf(lang, "returns.policy.badge", &[("days", "30")]),
            badge,
            "{lang}"
        );
    }
}

async fn a_final_sale_product_cannot_go_back(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "returns-final").await;
    delivered_order(&app, &s, ORDER, 2).await;
    let product = |tags: &str, updated: &str| {
        json!({"id": 9_007_199_254_740_993i64, "title": "Cork yoga mat", "tags": tags,
            "vendor": "Porto Cork Co.", "updated_at": updated})
    };
    app.deliver(
        "products/update",
        &s,
        "p-1",
        &product("summer, final-sale", "2026-11-20T10:00:00Z"),
    )
    .await;
    // An older version arriving late changes nothing.
    app.deliver(
        "products/update",
        &s,
        "p-0",
        &product("summer", "2026-11-10T10:00:00Z"),
    )
    .await;
    let page = lookup(&app, &s, "0001", "giulia@example.com", "en")
        .await
        .text()
        .await
        .expect("html");
    assert!(page.contains("final sale, not returnable"), "{page}");
    assert!(!page.contains("name=\"qty_"));
    app.deliver(
        "products/update",
        &s,
        "p-2",
        &product("summer", "2026-11-25T10:00:00Z"),
    )
    .await;
    let page = lookup(&app, &s, "0001", "giulia@example.com", "en")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("name=\"qty_"),
        "returnable again once the tag is gone"
    );
}
