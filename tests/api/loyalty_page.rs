//! `/app/loyalty`: the embedded page where the merchant sets up the program.
use crate::helpers::*;
use crate::on_both_databases;
use flywheel::shopify::session_token::sign;
use serde_json::{Value, json};

on_both_databases!(
    loyalty_page_renders_the_program_in_the_merchants_language,
    loyalty_page_needs_the_admin,
);

/// The query the admin adds when it opens the app, signed with `hmac`.
async fn send(app: &TestApp, method: &str, path: &str, token: &str, body: Value) -> Value {
    let url = format!("{}{path}", app.url);
    let request = match method {
        "POST" => app.client.post(url),
        _ => app.client.put(url),
    };
    let r = request
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("api");
    assert!(r.status().is_success(), "{method} {path}: {}", r.status());
    r.json().await.expect("json")
}

/// The JSON the page hands its script.
fn page_config(html: &str) -> Value {
    let start =
        html.find("id=\"loyalty-config\">").expect("config block") + "id=\"loyalty-config\">".len();
    let end = start + html[start..].find("</script>").expect("end of config");
    serde_json::from_str(&html[start..end]).expect("config is JSON")
}

async fn loyalty_page_renders_the_program_in_the_merchants_language(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "loyal-boutique").await;
    let token = app.session_token(&shop);

    send(
        &app,
        "POST",
        "/api/loyalty/rewards",
        &token,
        json!({"name": "Buono <b>cinque</b>", "kind": "fixed_amount", "value": 500, "points_cost": 400}),
    )
    .await;
    let program: Value = app
        .get_api("/api/loyalty/program", &token)
        .await
        .json()
        .await
        .expect("program");
    let mut rules = program["rules"].clone();
    rules["tiers"]["tiers"][2]["name"] = json!("Oro & Co");
    rules["boosts"] = json!([{"name": "Weekend doppio", "multiplier_percent": 200,
        "starts_on": "2026-03-28", "ends_on": "2026-03-29"}]);
    send(
        &app,
        "PUT",
        "/api/loyalty/program",
        &token,
        json!({"enabled": true, "rules": rules}),
    )
    .await;

    let r = app
        .get(&format!("/app/loyalty?{}", app.launch_query(&shop, "it")))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.expect("html");
    for text in [
        "<html lang=\"it\">",
        "Programma fedeltà",
        "Impostazioni del programma",
        "Livelli VIP",
        "Aggiungi un premio",
        "I punti di un cliente",
        "Inviti recenti",
        // The saved rules and rewards, escaped.
        "Buono &lt;b&gt;cinque&lt;/b&gt;",
        "value=\"5.00\"",
        "Oro &amp; Co",
        "Silver",
        "Weekend doppio",
        "2026-03-28",
    ] {
        assert!(html.contains(text), "missing {text}");
    }
    assert!(!html.contains("<b>cinque"), "reward name not escaped");
    assert!(
        !html.contains("loyalty.admin."),
        "a text has no translation"
    );

    // The script's data: Italian texts, the rules, and a token the API takes.
    let config = page_config(&html);
    assert_eq!(config["texts"]["saved"], "Salvato");
    assert_eq!(config["rules"]["tiers"]["tiers"][2]["name"], "Oro & Co");
    let page_token = config["token"].as_str().expect("token");
    let summary = app.get_api("/api/loyalty/summary", page_token).await;
    assert_eq!(summary.status(), 200);
    let summary: Value = summary.json().await.expect("summary");
    assert_eq!(summary["by_tier"][2]["name"], "Oro & Co");

    // The dashboard links to the page, and the link opens it.
    let home = app
        .get(&format!("/app?{}", app.launch_query(&shop, "it")))
        .await
        .text()
        .await
        .expect("home");
    assert!(home.contains("Configura il programma fedeltà"));
    let start = home.find("href=\"/app/loyalty?").expect("link") + "href=\"".len();
    let end = start + home[start..].find('"').expect("end of link");
    let link = home[start..end].replace("&amp;", "&");
    let r = app.get(&link).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("html").contains("Programma fedeltà"));
}

async fn loyalty_page_needs_the_admin(backend: Backend) {
    let (app, domain) = spawn_installed(backend, "closed-boutique").await;
    assert_eq!(app.get("/app/loyalty").await.status(), 401);
    let forged = app
        .launch_query(&domain, "it")
        .replace("locale=it", "locale=fr");
    let r = app.get(&format!("/app/loyalty?{forged}")).await;
    assert_eq!(r.status(), 401);
    let wrong_secret = sign(&domain, API_KEY, b"not-our-secret", now(), 60);
    let r = app
        .get(&format!("/app/loyalty?id_token={wrong_secret}"))
        .await;
    assert_eq!(r.status(), 401);
}
