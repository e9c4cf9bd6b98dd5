use crate::helpers::*;
use crate::on_both_databases;
use entity::shops;
use flywheel::shops::TokenCipher;
use sea_orm::EntityTrait;

on_both_databases!(
    full_install_stores_the_token_encrypted,
    install_refuses_foreign_domains,
    callback_refuses_tampering_stale_and_replayed_states,
    healthz_answers_when_the_database_does,
    admin_launch_renders_for_installed_and_redirects_new_shops,
);

async fn full_install_stores_the_token_encrypted(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = shop("install-me");
    let begin = app.get(&format!("/auth?shop={shop}")).await;
    assert_eq!(begin.status(), 302);
    let location = url::Url::parse(begin.headers()["location"].to_str().expect("location"))
        .expect("authorize url");
    assert_eq!(location.path(), "/admin/oauth/authorize");
    assert!(location.as_str().starts_with(&app.fake.url));
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], API_KEY);
    assert_eq!(
        query["scope"],
        flywheel::config::app_toml_scopes().expect("toml scopes")
    );
    assert_eq!(query["redirect_uri"], format!("{}/auth/callback", app.url));
    assert!(query["state"].len() >= 32);

    app.install(&shop).await;

    let stored = shops::Entity::find().all(&app.db).await.expect("shops");
    assert_eq!(stored.len(), 1);
    let row = &stored[0];
    let bytes = row.access_token_encrypted.clone().expect("token stored");
    assert!(
        !bytes
            .windows(INSTALLED_TOKEN.len())
            .any(|w| w == INSTALLED_TOKEN.as_bytes()),
        "the token is stored in clear"
    );
    let cipher = TokenCipher::new(&ENCRYPTION_KEY);
    assert_eq!(
        cipher.decrypt(shop.as_str(), &bytes).as_deref(),
        Ok(INSTALLED_TOKEN)
    );
    assert!(row.installed_at.is_some() && row.uninstalled_at.is_none());
    // The profile came from the Admin API, called with the new token.
    assert_eq!(row.name.as_deref(), Some("Test Boutique"));
    assert_eq!(row.currency, "EUR");
    assert_eq!(row.timezone, "Europe/Rome");
    let fake = app.fake.state.lock().expect("fake");
    assert_eq!(fake.code_grants.len(), 1);
    assert_eq!(fake.graphql_tokens, vec![INSTALLED_TOKEN.to_owned()]);
}

async fn install_refuses_foreign_domains(backend: Backend) {
    let app = spawn_app(backend).await;
    for bad in [
        "evil.com",
        "shop.myshopify.com.evil.com",
        "",
        "a%2Fb.myshopify.com",
    ] {
        let r = app.get(&format!("/auth?shop={bad}")).await;
        assert_eq!(r.status(), 400, "{bad}");
        let body: serde_json::Value = r.json().await.expect("json error");
        assert_eq!(body["error"], "invalid_shop");
    }
    assert_eq!(app.count("oauth_states").await, 0);
}

async fn begin(app: &TestApp, shop: &flywheel::shopify::ShopDomain) -> (String, String) {
    let r = app.get(&format!("/auth?shop={shop}")).await;
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .split(';')
        .next()
        .expect("cookie pair")
        .to_owned();
    let state = cookie.split_once('=').expect("name=value").1.to_owned();
    (cookie, state)
}

async fn callback(app: &TestApp, query: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(format!("{}/auth/callback?{query}", app.url));
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.expect("callback")
}

async fn callback_refuses_tampering_stale_and_replayed_states(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = shop("careful");
    let (cookie, state) = begin(&app, &shop).await;

    let good = app.callback_query(&shop, &state, "good-code", now());
    let tampered = good.replace("code=good-code", "code=evil-code");
    assert_eq!(callback(&app, &tampered, Some(&cookie)).await.status(), 401);
    let stale = app.callback_query(&shop, &state, "good-code", now() - 600);
    assert_eq!(callback(&app, &stale, Some(&cookie)).await.status(), 401);
    let unknown_state = app.callback_query(&shop, "not-a-state", "good-code", now());
    assert_eq!(
        callback(
            &app,
            &unknown_state,
            Some("flywheel_oauth_state=not-a-state")
        )
        .await
        .status(),
        401
    );
    let other_shop = app.callback_query(&crate::helpers::shop("other"), &state, "good-code", now());
    assert_eq!(
        callback(&app, &other_shop, Some(&cookie)).await.status(),
        401
    );
    assert_eq!(
        callback(&app, &good, None).await.status(),
        401,
        "no state cookie"
    );
    assert_eq!(
        app.count("shops").await,
        0,
        "nothing installed by a refused callback"
    );

    let done = callback(&app, &good, Some(&cookie)).await;
    assert_eq!(done.status(), 302);
    let location = done.headers()["location"].to_str().expect("location");
    assert_eq!(location, format!("{}/admin/apps/{API_KEY}", app.fake.url));
    assert_eq!(
        callback(&app, &good, Some(&cookie)).await.status(),
        401,
        "state is single-use"
    );
}

async fn healthz_answers_when_the_database_does(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status(), 200);
}

async fn admin_launch_renders_for_installed_and_redirects_new_shops(backend: Backend) {
    let app = spawn_app(backend).await;
    let shop = shop("launcher");
    let r = app
        .client
        .get(format!("{}/app?{}", app.url, app.launch_query(&shop, "en")))
        .send()
        .await
        .expect("app");
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        format!("/auth?shop={shop}").as_str()
    );

    app.install(&shop).await;
    for (locale, title) in [
        ("en", "customer retention"),
        ("it-IT", "fidelizzazione"),
        ("fr", "fidélisation"),
    ] {
        let r = app
            .client
            .get(format!(
                "{}/app?{}",
                app.url,
                app.launch_query(&shop, locale)
            ))
            .send()
            .await
            .expect("app");
        assert_eq!(r.status(), 200);
        let html = r.text().await.expect("html");
        assert!(html.contains(title), "{locale}: {html}");
    }
    let forged = app
        .launch_query(&shop, "en")
        .replace("locale=en", "locale=fr");
    let r = app.get(&format!("/app?{forged}")).await;
    assert_eq!(r.status(), 401);
    let r = app.get("/app").await;
    assert_eq!(r.status(), 401);
}
