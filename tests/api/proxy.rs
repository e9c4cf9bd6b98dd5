use crate::helpers::*;
use crate::on_both_databases;
use serde_json::Value;

on_both_databases!(app_proxy_requests_are_verified);

async fn app_proxy_requests_are_verified(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "proxied").await;

    let r = app
        .proxy_get("/session", &shop, Some(7_000_000_000_000_000_123), now())
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["shop"], shop.as_str());
    assert_eq!(body["logged_in"], true);
    assert_eq!(
        body["customer_id"].as_i64(),
        Some(7_000_000_000_000_000_123)
    );

    let r = app.proxy_get("/session", &shop, None, now()).await;
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["logged_in"], false);

    // Stale timestamp.
    let r = app
        .proxy_get("/session", &shop, Some(1), now() - 3600)
        .await;
    assert_eq!(r.status(), 401);
    // Not installed.
    let r = app
        .proxy_get(
            "/session",
            &crate::helpers::shop("stranger"),
            Some(1),
            now(),
        )
        .await;
    assert_eq!(r.status(), 404);

    // A shopper who edits the customer id loses the signature.
    let ts = now().to_string();
    let mut query = pairs(&[
        ("shop", shop.as_str()),
        ("logged_in_customer_id", "1"),
        ("path_prefix", "/apps/flywheel"),
        ("timestamp", &ts),
    ]);
    let signature = flywheel::shopify::signature::sign_app_proxy(API_SECRET.as_bytes(), &query);
    query[1].1 = "2".into();
    query.push(("signature".into(), signature));
    let r = app
        .client
        .get(format!(
            "{}/proxy/session?{}",
            app.url,
            encode_query(&query)
        ))
        .send()
        .await
        .expect("proxy");
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "invalid_signature");
    let r = app.get("/proxy/session").await;
    assert_eq!(r.status(), 401);
}
