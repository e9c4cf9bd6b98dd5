//! `/app/reviews`: the embedded page where the merchant moderates reviews and
//! sets the review policy, in their language.
use crate::helpers::*;
use crate::on_both_databases;
use flywheel::reviews::token::ReviewLink;
use flywheel::shopify::ShopDomain;
use flywheel::shopify::session_token::sign;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

on_both_databases!(
    reviews_page_shows_the_queue_in_the_merchants_language,
    reviews_page_pages_through_a_long_queue,
    reviews_page_needs_the_admin,
);

/// The product of `order_json`'s line item.
const PRODUCT: i64 = 9007199254740993;
const CUSTOMER: i64 = 7_700_000_000_001;
const ORDER: i64 = 7_700_000_100_001;

/// A review as the storefront block posts it, from its own address so rate limits stay out of the way.
async fn submit(app: &TestApp, s: &ShopDomain, ip: &str, form: Form) -> Value {
    let url = app.proxy_url("/reviews?locale=it", s, None, now());
    let res = app
        .client
        .post(url)
        .header("Accept", "application/json")
        .header("X-Forwarded-For", ip)
        .multipart(form)
        .send()
        .await
        .expect("proxy request");
    assert_eq!(res.status(), 201);
    res.json().await.expect("submitted")
}

fn form(rating: &str, title: &str, body: &str) -> Form {
    Form::new()
        .text("product_id", PRODUCT.to_string())
        .text("rating", rating.to_owned())
        .text("title", title.to_owned())
        .text("body", body.to_owned())
        .text("name", "Giulia Rossi")
}

/// A small PNG, as a phone would not send it but a shopper might.
fn png() -> Part {
    let mut bytes = Vec::new();
    image::RgbImage::from_pixel(64, 48, image::Rgb([0, 128, 96]))
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("png");
    Part::bytes(bytes)
        .file_name("mat.png")
        .mime_str("image/png")
        .expect("mime")
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.text().await.expect("html")
}

/// The JSON the page hands its script.
fn page_config(html: &str) -> Value {
    let marker = "id=\"reviews-config\">";
    let start = html.find(marker).expect("config block") + marker.len();
    let end = start + html[start..].find("</script>").expect("end of config");
    serde_json::from_str(&html[start..end]).expect("config is JSON")
}

/// The card of review `id`, up to the next one.
fn card(html: &str, id: i64) -> &str {
    let start = html
        .find(&format!("data-id=\"{id}\""))
        .expect("review card");
    let end = html[start..]
        .find("</article>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

async fn reviews_page_shows_the_queue_in_the_merchants_language(backend: Backend) {
    let (app, s) = spawn_installed(backend, "rv-page").await;
    // Two stars, markup in the text and a photo: held for the merchant.
    let held = form(
        "2",
        "Troppo <i>piccolo</i>",
        "<script>alert('x')</script> Più piccolo del previsto.",
    )
    .part("photos", png());
    let held = submit(&app, &s, "198.51.100.21", held).await;
    assert_eq!(held["status"], "pending");
    let held = held["id"].as_i64().expect("id");
    // Five stars from the buyer's review link: published, verified.
    let order = order_json(
        ORDER,
        CUSTOMER,
        "giulia@example.com",
        "2026-11-02T10:00:00Z",
        "paid",
    );
    app.deliver("orders/paid", &s, "rv-page-order", &order)
        .await;
    let link = ReviewLink {
        shop: &s,
        shopify_order_id: ORDER,
        shopify_customer_id: Some(CUSTOMER),
        products: vec![PRODUCT],
    }
    .sign(API_SECRET.as_bytes(), chrono::Utc::now(), 60);
    let good = form("5", "Ottimo", "Spesso e non scivola.").text("token", link);
    let good = submit(&app, &s, "198.51.100.22", good).await;
    assert_eq!(good["status"], "published");
    let good = good["id"].as_i64().expect("id");

    let it = html(
        &app,
        &format!("/app/reviews?{}", app.launch_query(&s, "it")),
    )
    .await;
    for text in [
        "<html lang=\"it\">",
        "<h1>Recensioni</h1>",
        "In attesa <span class=\"count\" data-count=\"pending\">1</span>",
        "Pubblicate <span class=\"count\" data-count=\"published\">1</span>",
        "aria-current=\"page\"",
        "aria-label=\"2 stelle su 5\">★★☆☆☆</span>",
        "Giulia R.",
        "Voto basso",
        "Ricevuta il ",
        "Approva",
        "Regole di moderazione",
        "Pubblica subito da",
        // The shopper's markup, escaped.
        "Troppo &lt;i&gt;piccolo&lt;/i&gt;",
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Più piccolo del previsto.",
    ] {
        assert!(it.contains(text), "missing {text}");
    }
    assert!(!it.contains("<i>piccolo"), "title not escaped");
    assert!(!it.contains("<script>alert"), "body not escaped");
    assert!(!it.contains("reviews.admin."), "a text has no translation");
    assert!(
        !it.contains(&format!("data-id=\"{good}\"")),
        "the pending tab shows only pending reviews"
    );

    // Each control posts to its own route; what the state does not allow is hidden.
    let held_card = card(&it, held);
    for action in ["approve", "reject", "feature", "reply"] {
        let route = format!("<form data-post=\"/api/reviews/{held}/{action}\">");
        assert!(held_card.contains(&route), "missing {route}");
    }
    assert!(held_card.contains("data-action=\"unpublish\" hidden"));
    assert!(held_card.contains("data-action=\"unfeature\" hidden"));
    assert!(held_card.contains("<textarea name=\"reply\""));
    assert!(held_card.contains("<input name=\"reason\""));
    assert!(it.contains("<form id=\"policy-form\" data-put=\"/api/reviews/policy\""));
    // The photo: a thumbnail linking to the display size, both served.
    let thumb = attribute(held_card, "<img src=\"");
    let display = attribute(held_card, "<li><a href=\"");
    assert_ne!(thumb, display);
    for photo in [&thumb, &display] {
        // The page links with an expiring signature: the review is not published.
        let path = photo
            .split_once("/media/")
            .expect("media url")
            .1
            .replace("&amp;", "&");
        assert_eq!(app.get(&format!("/media/{path}")).await.status(), 200);
        let unsigned = path.split_once('?').expect("signed").0;
        assert_eq!(
            app.get(&format!("/media/{unsigned}")).await.status(),
            404,
            "a held review's photo is not public"
        );
        let forged = path.replace("sig=", "sig=0");
        assert_eq!(app.get(&format!("/media/{forged}")).await.status(), 404);
    }

    // The script's token works on the routes the page targets.
    let config = page_config(&it);
    assert_eq!(config["texts"]["done.approve"], "Pubblicata.");
    let token = config["token"].as_str().expect("token");
    let approved = app
        .client
        .post(format!("{}/api/reviews/{held}/approve", app.url))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .expect("approve");
    assert_eq!(approved.status(), 200);
    let policy = app
        .send_api(
            Method::PUT,
            "/api/reviews/policy",
            &s,
            &json!({"auto_publish_min_rating": 6, "author_display": "anonymous", "hold_links": false}),
        )
        .await;
    assert_eq!(policy.status(), 200);

    // The published tab in French, with a reply, through a session token.
    let token = app.session_token(&s);
    let body = json!({"reply": "Merci <b>Giulia</b> !"});
    let path = format!("/api/reviews/{held}/reply");
    assert_eq!(
        app.send_api(Method::POST, &path, &s, &body).await.status(),
        200
    );
    let fr = html(
        &app,
        &format!("/app/reviews?locale=fr&status=published&id_token={token}"),
    )
    .await;
    for text in [
        "<html lang=\"fr\">",
        "<h1>Avis</h1>",
        "Publiés <span class=\"count\" data-count=\"published\">2</span>",
        "En attente <span class=\"count\" data-count=\"pending\">0</span>",
        "✓ Acheteur vérifié",
        "Cork yoga mat",
        "Votre réponse publique",
        "Merci &lt;b&gt;Giulia&lt;/b&gt; !",
        "Règles de modération",
        "Jamais : mettre chaque avis en attente",
        "<option value=\"6\" selected>",
        "<option value=\"anonymous\" selected>",
    ] {
        assert!(fr.contains(text), "missing {text}");
    }
    assert!(!fr.contains("reviews.admin."), "a text has no translation");
    let held_card = card(&fr, held);
    assert!(held_card.contains("data-action=\"approve\" hidden"));
    assert!(held_card.contains(&format!(
        "<form data-post=\"/api/reviews/{held}/unpublish\">"
    )));
    assert!(card(&fr, good).contains("Ottimo"));
    // The policy form shows what was saved: links no longer held.
    assert!(fr.contains(
        "data-p=\"hold_links\" aria-describedby=\"policy-hold_links-hint\" data-t=\"bool\">"
    ));
    assert!(fr.contains("data-p=\"hold_profanity\" aria-describedby=\"policy-hold_profanity-hint\" data-t=\"bool\" checked>"));

    // One product's reviews, from the link on its title.
    let product = attribute(card(&fr, good), "<a href=\"/app/reviews?");
    assert!(
        product.ends_with(&format!("product_id={PRODUCT}")),
        "{product}"
    );
    let one = html(
        &app,
        &format!("/app/reviews?{}", product.replace("&amp;", "&")),
    )
    .await;
    assert!(one.contains("Seulement les avis sur Cork yoga mat."));
    assert!(one.contains(&format!("data-id=\"{good}\"")));
    let other = format!("/app/reviews?locale=fr&product_id=42&id_token={token}");
    let none = html(&app, &other).await;
    assert!(
        none.contains("Seulement les avis sur Produit 42.") && none.contains("Aucun avis ici.")
    );

    // The dashboard links to the page, and the link opens it.
    let home = html(&app, &format!("/app?{}", app.launch_query(&s, "it"))).await;
    assert!(home.contains("Modera le recensioni"));
    let link = attribute(&home, "href=\"/app/reviews?");
    let r = app
        .get(&format!("/app/reviews?{}", link.replace("&amp;", "&")))
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("<h1>Recensioni</h1>")
    );
}

async fn reviews_page_pages_through_a_long_queue(backend: Backend) {
    let (app, s) = spawn_installed(backend, "rv-page-long").await;
    let policy = json!({"max_per_ip_per_hour": 1000, "max_per_customer_per_day": 1000});
    let saved = app
        .send_api(Method::PUT, "/api/reviews/policy", &s, &policy)
        .await;
    assert_eq!(saved.status(), 200);
    for i in 0..26 {
        let body = format!("Recensione numero {i}, un po' deludente.");
        submit(&app, &s, "198.51.100.30", form("1", "Meh", &body)).await;
    }
    let token = app.session_token(&s);
    let first = html(&app, &format!("/app/reviews?locale=it&id_token={token}")).await;
    assert_eq!(first.matches("<article ").count(), 25);
    assert!(first.contains("Pagina 1 di 2"));
    assert!(!first.contains("rel=\"prev\""));
    let next = first
        .split("<a href=\"")
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| part.split('"').next())
        .expect("next page link");
    assert!(next.ends_with("status=pending&amp;page=2"), "{next}");
    let second = html(&app, &next.replace("&amp;", "&")).await;
    assert_eq!(second.matches("<article ").count(), 1);
    assert!(second.contains("Pagina 2 di 2") && second.contains("rel=\"prev\""));
    assert!(
        second.contains("Recensione numero 0,"),
        "the oldest comes last"
    );
}

/// The attribute value that follows `prefix`.
fn attribute(html: &str, prefix: &str) -> String {
    let start = html.find(prefix).expect(prefix) + prefix.len();
    let end = start + html[start..].find('"').expect("end of attribute");
    html[start..end].to_owned()
}

async fn reviews_page_needs_the_admin(backend: Backend) {
    let (app, domain) = spawn_installed(backend, "rv-closed").await;
    assert_eq!(app.get("/app/reviews").await.status(), 401);
    let forged = app
        .launch_query(&domain, "it")
        .replace("locale=it", "locale=fr");
    let r = app.get(&format!("/app/reviews?{forged}")).await;
    assert_eq!(r.status(), 401);
    let wrong_secret = sign(&domain, API_KEY, b"not-our-secret", now(), 60);
    let r = app
        .get(&format!("/app/reviews?id_token={wrong_secret}"))
        .await;
    assert_eq!(r.status(), 401);
    // A tab added to a signed launch breaks its signature.
    let tampered = format!("{}&status=all", app.launch_query(&domain, "it"));
    assert_eq!(
        app.get(&format!("/app/reviews?{tampered}")).await.status(),
        401
    );
}
