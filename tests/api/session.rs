use crate::helpers::*;
use crate::on_both_databases;
use flywheel::shopify::session_token::{SessionClaims, sign, sign_claims};
use serde_json::{Value, json};

on_both_databases!(
    session_tokens_are_checked,
    token_exchange_installs_an_embedded_shop,
    refused_token_exchange_is_401,
    one_shop_never_sees_another,
);

fn claims(iss_shop: &str, dest_shop: &str, aud: &str, exp_in: i64) -> SessionClaims {
    SessionClaims {
        iss: format!("https://{iss_shop}/admin"),
        dest: format!("https://{dest_shop}"),
        aud: aud.into(),
        sub: Some("42".into()),
        exp: now() + exp_in,
        nbf: now() - 5,
        iat: now() - 5,
        jti: None,
        sid: None,
    }
}

async fn session_tokens_are_checked(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "session-shop").await;

    let good = app.session_token(&shop);
    let r = app.get_api("/api/shop", &good).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["domain"], shop.as_str());

    let expired = sign(&shop, API_KEY, API_SECRET.as_bytes(), now() - 3600, 60);
    let wrong_audience = sign(&shop, "someone-elses-app", API_SECRET.as_bytes(), now(), 60);
    let wrong_secret = sign(&shop, API_KEY, b"not-our-secret", now(), 60);
    let wrong_shop = sign_claims(
        &claims(
            "session-shop.myshopify.com",
            "victim.myshopify.com",
            API_KEY,
            60,
        ),
        API_SECRET.as_bytes(),
    );
    let not_a_shop = sign_claims(
        &claims("evil.example.com", "evil.example.com", API_KEY, 60),
        API_SECRET.as_bytes(),
    );
    for (name, token) in [
        ("expired", expired),
        ("wrong audience", wrong_audience),
        ("wrong secret", wrong_secret),
        ("wrong shop", wrong_shop),
        ("not a shop", not_a_shop),
        ("garbage", "not.a.jwt".into()),
    ] {
        let r = app.get_api("/api/shop", &token).await;
        assert_eq!(r.status(), 401, "{name}");
        let body: Value = r.json().await.expect("json error");
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{name}: {body}"
        );
    }
    let r = app.get("/api/shop").await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.fake.state.lock().expect("fake").token_exchanges.len(),
        0
    );
}

async fn token_exchange_installs_an_embedded_shop(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = shop("embedded-first");
    let token = app.session_token(&shop);
    let r = app.get_api("/api/shop", &token).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["name"], "Test Boutique");
    {
        let fake = app.fake.state.lock().expect("fake");
        assert_eq!(fake.token_exchanges.len(), 1);
        let grant = &fake.token_exchanges[0];
        assert_eq!(grant["subject_token"], token);
        assert_eq!(
            grant["subject_token_type"],
            "urn:ietf:params:oauth:token-type:id_token"
        );
        assert_eq!(
            grant["requested_token_type"],
            "urn:shopify:params:oauth:token-type:offline-access-token"
        );
    }
    // Installed now: the next request needs no exchange.
    let r = app.get_api("/api/shop", &app.session_token(&shop)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.fake.state.lock().expect("fake").token_exchanges.len(),
        1
    );
}

async fn refused_token_exchange_is_401(backend: Backend) {
    let app = spawn_app(backend).await;
    app.fake.state.lock().expect("fake").refuse_token_exchange = true;
    let shop = shop("refused");
    let r = app.get_api("/api/shop", &app.session_token(&shop)).await;
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"], "shop_not_installed");
    assert_eq!(app.count("shops").await, 0);
}

async fn one_shop_never_sees_another(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, b) = (shop("shop-a"), shop("shop-b"));
    app.install(&a).await;
    app.install(&b).await;
    let order_b = order_json(
        5_000_000_000_000_000_001,
        6_000_000_000_000_000_001,
        "b@example.com",
        "2026-11-01T10:00:00Z",
        "paid",
    );
    app.deliver("orders/create", &b, "b-1", &order_b).await;

    let token_a = app.session_token(&a);
    let token_b = app.session_token(&b);
    assert_eq!(
        app.get_api("/api/customers/6000000000000000001", &token_b)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_api("/api/orders/5000000000000000001", &token_b)
            .await
            .status(),
        200
    );
    for path in [
        "/api/customers/6000000000000000001",
        "/api/orders/5000000000000000001",
    ] {
        let r = app.get_api(path, &token_a).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    let overview: Value = app
        .get_api("/api/overview", &token_a)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(overview["orders"], json!(0));
    assert_eq!(overview["customers"], json!(0));
    let overview: Value = app
        .get_api("/api/overview", &token_b)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(overview["orders"], json!(1));
}
