//! Reviews end to end through the app proxy with the platform's signatures:
//! photos decoded and re-encoded (metadata gone), bad files refused with
//! nothing stored, verified-buyer links, moderation, helpful votes, rate
//! limits, the product metafield on the fake platform and the JSON-LD the
//! theme block renders from it, and privacy redaction. Both databases.
use crate::helpers::{API_SECRET, Backend, TestApp, now, order_json, spawn_installed};
use crate::on_both_databases;
use chrono::{Duration, Utc};
use entity::{points_ledger, review_photos, reviews};
use flywheel::media::photos::{decompression_bomb_png, jpeg_with_gps_exif};
use flywheel::reviews::token::ReviewLink;
use flywheel::shopify::ShopDomain;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const PRODUCT: i64 = 9007199254740993;
const CUSTOMER: i64 = 5_500_000_000_001;
const ORDER: i64 = 5_500_000_100_001;

on_both_databases!(
    a_review_with_two_photos_is_stored_without_their_metadata,
    bad_photos_are_refused_and_nothing_is_stored,
    verified_links_good_expired_and_forged,
    moderation_holds_approves_rejects_replies_and_features,
    the_storefront_pages_sorts_and_counts_helpful_votes_once,
    too_many_reviews_from_one_address_answer_429,
    the_metafield_and_json_ld_carry_the_aggregate,
    customers_redact_anonymises_reviews_and_deletes_their_photos,
    malformed_forms_get_clear_errors,
    one_shop_never_sees_or_touches_anothers_reviews,
    a_platform_outage_delays_the_metafield_and_loses_nothing,
    a_form_posted_without_script_gets_a_page_in_the_theme,
);

/// An installed shop with one paid order of PRODUCT by CUSTOMER.
async fn shop_with_order(backend: Backend, name: &str) -> (TestApp, ShopDomain) {
    let (app, s) = spawn_installed(backend, name).await;
    let order = order_json(
        ORDER,
        CUSTOMER,
        "giulia@example.com",
        "2026-11-02T10:00:00Z",
        "paid",
    );
    app.deliver("orders/paid", &s, "rv-order-1", &order).await;
    (app, s)
}

fn link_token(s: &ShopDomain, secret: &str, at: chrono::DateTime<Utc>) -> String {
    ReviewLink {
        shop: s,
        shopify_order_id: ORDER,
        shopify_customer_id: Some(CUSTOMER),
        products: vec![PRODUCT],
    }
    .sign(secret.as_bytes(), at, 60)
}

fn form(rating: &str, body: &str) -> Form {
    Form::new()
        .text("product_id", PRODUCT.to_string())
        .text("rating", rating.to_owned())
        .text("title", "Solid mat")
        .text("body", body.to_owned())
}

fn photo(bytes: Vec<u8>, name: &str, mime: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str(mime)
        .expect("mime")
}

async fn submit(app: &TestApp, s: &ShopDomain, customer: Option<i64>, form: Form) -> (u16, Value) {
    let res = app.proxy_multipart("/reviews", s, customer, form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Submits from its own address, so rate limits don't interfere between submissions.
async fn submit_from(
    app: &TestApp,
    s: &ShopDomain,
    ip: &str,
    form: Form,
    lang: &str,
) -> (u16, Value) {
    let url = app.proxy_url(&format!("/reviews?locale={lang}"), s, None, now());
    let res = app
        .client
        .post(url)
        .header("Accept", "application/json")
        .header("X-Forwarded-For", ip)
        .multipart(form)
        .send()
        .await
        .expect("proxy request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn moderate(
    app: &TestApp,
    s: &ShopDomain,
    id: i64,
    action: &str,
    body: Value,
) -> (u16, Value) {
    let res = app
        .send_api(
            Method::POST,
            &format!("/api/reviews/{id}/{action}"),
            s,
            &body,
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn review_row(app: &TestApp, id: i64) -> reviews::Model {
    reviews::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("query")
        .expect("review row")
}

async fn page(app: &TestApp, s: &ShopDomain, query: &str) -> Value {
    let res = app
        .proxy_get(
            &format!("/reviews?product_id={PRODUCT}{query}"),
            s,
            None,
            now(),
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("page json")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The JPEG's metadata segments (APP1: EXIF, XMP), read marker by marker up to the image data.
fn app1_segments(jpeg: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut at = 2; // after SOI
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
        if marker == 0xDA {
            break; // start of scan: pixels follow
        }
        if marker == 0xE1 {
            found.push(&jpeg[at + 4..(at + 2 + len).min(jpeg.len())]);
        }
        at += 2 + len;
    }
    found
}

/// An EXIF block with a GPS IFD pointer (tag 0x8825, little- or big-endian).
fn has_gps_exif(jpeg: &[u8]) -> bool {
    app1_segments(jpeg).iter().any(|s| {
        s.starts_with(b"Exif") && (contains(s, &[0x25, 0x88]) || contains(s, &[0x88, 0x25]))
    })
}

async fn a_review_with_two_photos_is_stored_without_their_metadata(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-photos").await;
    let original = jpeg_with_gps_exif(1200, 800);
    assert!(has_gps_exif(&original), "the upload carries a GPS position");
    let token = link_token(&s, API_SECRET, Utc::now());
    let f = form("5", "Thick cork, arrived in nine days as promised.")
        .text("token", token)
        .part(
            "photos",
            photo(original.clone(), "IMG_0001.jpg", "image/jpeg"),
        )
        .part(
            "photos",
            photo(jpeg_with_gps_exif(640, 960), "IMG_0002.jpg", "image/jpeg"),
        );
    let (status, body) = submit(&app, &s, None, f).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "published");
    assert_eq!(body["verified"], true);
    assert_eq!(body["photos"], 2);
    let id = body["id"].as_i64().expect("id");

    let review = review_row(&app, id).await;
    assert_eq!(review.author_name.as_deref(), Some("Giulia V."));
    assert!(review.order_id.is_some() && review.customer_id.is_some());
    assert_eq!(review.product_title, "Cork yoga mat");
    let photos = review_photos::Entity::find()
        .filter(review_photos::Column::ReviewId.eq(id))
        .all(&app.db)
        .await
        .expect("photos");
    assert_eq!(photos.len(), 2);

    // Two files per photo, and none of them carries the camera's metadata.
    let files = app.media_files();
    assert_eq!(files.len(), 4, "{files:?}");
    for p in &photos {
        for (key, max_side) in [(&p.display_key, 1600), (&p.thumb_key, 320)] {
            let bytes = std::fs::read(app.media_dir.join(key)).expect("file on disk");
            assert!(app1_segments(&bytes).is_empty(), "{key} still has EXIF/XMP");
            assert!(
                !has_gps_exif(&bytes) && !contains(&bytes, b"Exif"),
                "{key} still has GPS"
            );
            let image = image::load_from_memory(&bytes).expect("a real image");
            assert!(image.width().max(image.height()) <= max_side);
            assert_eq!(
                image::guess_format(&bytes).expect("format"),
                image::ImageFormat::Jpeg
            );
        }
        assert!(p.thumb_width <= 320 && p.thumb_height <= 320);
    }
    // The thumbnail of a published review is public.
    let res = app.get(&format!("/media/{}", photos[0].thumb_key)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap_or_default()
            .starts_with("public")
    );
    assert_eq!(app.get("/media/reviews/1/nope.jpg").await.status(), 404);
    assert_eq!(
        app.get("/media/reviews/..%2F..%2Fsecrets").await.status(),
        404
    );
    assert_eq!(
        app.get("/media/reviews%2F..%2F..%2Fetc%2Fpasswd")
            .await
            .status(),
        404
    );

    // A photo review earns the photo-review points, once.
    let credited = points_ledger::Entity::find()
        .filter(points_ledger::Column::Reason.eq("photo_review"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(credited, 1);
    assert!(review.points_credited);

    // The storefront lists it with its photos.
    let listed = page(&app, &s, "").await;
    assert_eq!(listed["summary"]["count"], 1);
    assert_eq!(
        listed["reviews"][0]["photos"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(
        listed["reviews"][0]["photos"][0]["thumb"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("{}/media/reviews/", app.url))
    );

    // Taken down, its photos are no longer public.
    assert_eq!(moderate(&app, &s, id, "unpublish", json!({})).await.0, 200);
    let res = app.get(&format!("/media/{}", photos[0].thumb_key)).await;
    assert_eq!(res.status(), 404);
}

async fn bad_photos_are_refused_and_nothing_is_stored(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-bad").await;
    let good = || photo(jpeg_with_gps_exif(300, 200), "ok.jpg", "image/jpeg");
    let cases: Vec<(&str, Part, u16, &str)> = vec![
        (
            "a text file named .jpg",
            photo(
                b"hello, I am not a photo".to_vec(),
                "holiday.jpg",
                "image/jpeg",
            ),
            415,
            "unsupported_photo_type",
        ),
        (
            "an oversized image",
            photo(
                [b"\xFF\xD8\xFF\xE0".as_slice(), &vec![7u8; 9 * 1024 * 1024]].concat(),
                "huge.jpg",
                "image/jpeg",
            ),
            413,
            "photo_too_large",
        ),
        (
            "a decompression bomb",
            photo(decompression_bomb_png(), "bomb.png", "image/png"),
            422,
            "photo_too_many_pixels",
        ),
    ];
    for (what, bad, status, code) in cases {
        let f = form("5", "Good").part("photos", good()).part("photos", bad);
        let (got, body) = submit_from(&app, &s, "203.0.113.9", f, "fr").await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"], code, "{what}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("photo 2"),
            "{what}: {body}"
        );
    }
    // Six photos: refused before any is decoded.
    let mut f = form("5", "Good");
    for _ in 0..6 {
        f = f.part("photos", good());
    }
    let (got, body) = submit(&app, &s, None, f).await;
    assert_eq!(
        (got, body["error"].as_str()),
        (422, Some("too_many_photos"))
    );
    assert_eq!(app.count("reviews").await, 0);
    assert_eq!(app.count("review_photos").await, 0);
    assert!(app.media_files().is_empty(), "{:?}", app.media_files());
}

async fn verified_links_good_expired_and_forged(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-links").await;
    // No link before delivery.
    let res = app
        .send_api(
            Method::POST,
            "/api/reviews/links",
            &s,
            &json!({"order_id": ORDER}),
        )
        .await;
    assert_eq!(res.status(), 409);
    let fulfillment = json!({"id": 5501, "order_id": ORDER, "status": "success",
        "shipment_status": "delivered", "tracking_company": "Cainiao", "tracking_number": "LP9",
        "created_at": "2026-11-03T09:00:00Z", "updated_at": "2026-11-09T15:00:00Z"});
    app.deliver("fulfillments/update", &s, "rv-f1", &fulfillment)
        .await;
    // The admin API hands out the link for the order.
    let res = app
        .send_api(
            Method::POST,
            "/api/reviews/links",
            &s,
            &json!({"order_id": ORDER}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let link: Value = res.json().await.expect("link");
    let url = link["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("https://{s}/apps/flywheel/reviews/write?token=")));
    assert_eq!(link["products"], json!([PRODUCT]));
    let token = link["token"].as_str().expect("token").to_owned();

    // The page the email opens: a form for the product, inside the theme.
    let res = app
        .proxy_get(
            &format!("/reviews/write?token={token}&locale=it"),
            &s,
            None,
            now(),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/liquid")
    );
    let html = res.text().await.expect("page");
    assert!(html.contains("Cork yoga mat") && html.contains("Recensisci il tuo ordine"));

    let expired = link_token(&s, API_SECRET, Utc::now() - Duration::days(61));
    let forged = link_token(&s, "someone-elses-secret", Utc::now());
    for (token, status, code) in [
        (expired.as_str(), 401, "review_link_expired"),
        (forged.as_str(), 401, "invalid_review_link"),
        ("not.a.token", 401, "invalid_review_link"),
    ] {
        let (got, body) = submit(
            &app,
            &s,
            None,
            form("5", "Great").text("token", token.to_owned()),
        )
        .await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    // A product that was not in the order.
    let other = Form::new()
        .text("product_id", "42")
        .text("rating", "5")
        .text("body", "Great")
        .text("token", token.clone());
    let (got, body) = submit(&app, &s, None, other).await;
    assert_eq!(
        (got, body["error"].as_str()),
        (422, Some("product_not_in_order"))
    );
    assert_eq!(app.count("reviews").await, 0);

    let (got, body) = submit(
        &app,
        &s,
        None,
        form("5", "Great mat").text("token", token.clone()),
    )
    .await;
    assert_eq!(got, 201, "{body}");
    assert_eq!(body["verified"], true);
    // The same link cannot review the same product twice.
    let (got, body) = submit(&app, &s, None, form("4", "Again").text("token", token)).await;
    assert_eq!(
        (got, body["error"].as_str()),
        (409, Some("already_reviewed"))
    );

    // Without a link: accepted (the default policy) and never verified.
    let (got, body) = submit_from(&app, &s, "203.0.113.20", form("5", "Lovely"), "en").await;
    assert_eq!(got, 201, "{body}");
    assert_eq!(body["verified"], false);
    // A shop that wants verified buyers only refuses it.
    let res = app
        .send_api(
            Method::PUT,
            "/api/reviews/policy",
            &s,
            &json!({"allow_unverified": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (got, body) = submit_from(&app, &s, "203.0.113.21", form("5", "Lovely too"), "it").await;
    assert_eq!(
        (got, body["error"].as_str()),
        (403, Some("verified_buyers_only"))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("acquirenti verificati")
    );
    let res = app
        .send_api(
            Method::PUT,
            "/api/reviews/policy",
            &s,
            &json!({"auto_publish_min_rating": 0}),
        )
        .await;
    assert_eq!(res.status(), 422);
}

async fn moderation_holds_approves_rejects_replies_and_features(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-moderation").await;
    let token = link_token(&s, API_SECRET, Utc::now());
    // Two stars from the verified buyer: held for the merchant.
    let (got, low) = submit(
        &app,
        &s,
        None,
        form("2", "Smaller than I hoped.").text("token", token),
    )
    .await;
    assert_eq!((got, low["status"].as_str()), (201, Some("pending")));
    let low_id = low["id"].as_i64().expect("id");
    assert_eq!(review_row(&app, low_id).await.hold_reasons, "low_rating");
    // A link, profanity, shouting: held with their reasons.
    let (_, link) = submit_from(
        &app,
        &s,
        "198.51.100.1",
        form("5", "Cheaper at www.cheap-mats.example.com"),
        "en",
    )
    .await;
    let (_, rude) = submit_from(
        &app,
        &s,
        "198.51.100.2",
        form("5", "Che cazzo di tappetino, bellissimo"),
        "it",
    )
    .await;
    let (_, loud) = submit_from(
        &app,
        &s,
        "198.51.100.3",
        form("5", "THIS IS THE BEST MAT I HAVE EVER OWNED"),
        "en",
    )
    .await;
    for (body, reason) in [(&link, "link"), (&rude, "profanity"), (&loud, "shouting")] {
        assert_eq!(body["status"], "pending", "{body}");
        let row = review_row(&app, body["id"].as_i64().expect("id")).await;
        assert!(row.hold_reasons.contains(reason), "{}", row.hold_reasons);
    }
    // A good one goes live; the same text again from the same address is held as a copy.
    let (_, good) = submit_from(
        &app,
        &s,
        "198.51.100.4",
        form("5", "Grippy and thick."),
        "en",
    )
    .await;
    assert_eq!(good["status"], "published");
    let (_, copy) = submit_from(
        &app,
        &s,
        "198.51.100.4",
        form("5", "grippy and THICK"),
        "en",
    )
    .await;
    assert_eq!(copy["status"], "pending");
    assert!(
        review_row(&app, copy["id"].as_i64().expect("id"))
            .await
            .hold_reasons
            .contains("duplicate")
    );
    assert_eq!(page(&app, &s, "").await["summary"]["count"], 1);

    // The queue shows what waits, with counts per status.
    let res = app
        .get_api("/api/reviews?status=pending", &app.session_token(&s))
        .await;
    let queue: Value = res.json().await.expect("queue");
    assert_eq!(queue["total"], 5);
    assert_eq!(queue["counts"]["published"], 1);

    // Approve the low rating: published, points credited once.
    let (got, approved) = moderate(&app, &s, low_id, "approve", json!({})).await;
    assert_eq!((got, approved["status"].as_str()), (200, Some("published")));
    assert_eq!(approved["points_credited"], true);
    let (got, _) = moderate(&app, &s, low_id, "approve", json!({})).await;
    assert_eq!(got, 409, "approving a published review is refused");
    assert_eq!(page(&app, &s, "").await["summary"]["count"], 2);

    // Reply and feature: the storefront shows the reply, the featured review first.
    let (got, _) = moderate(
        &app,
        &s,
        low_id,
        "reply",
        json!({"reply": "Sorry! We sent you the larger size."}),
    )
    .await;
    assert_eq!(got, 200);
    let (got, _) = moderate(&app, &s, low_id, "feature", json!({})).await;
    assert_eq!(got, 200);
    let listed = page(&app, &s, "").await;
    assert_eq!(listed["reviews"][0]["id"], low_id);
    assert_eq!(listed["reviews"][0]["featured"], true);
    assert_eq!(
        listed["reviews"][0]["reply"],
        "Sorry! We sent you the larger size."
    );
    let row = review_row(&app, low_id).await;
    assert!(row.moderated_by.is_some() && row.replied_at.is_some());

    // Unpublish takes it down; publishing again does not credit points twice.
    let (got, hidden) = moderate(&app, &s, low_id, "unpublish", json!({})).await;
    assert_eq!((got, hidden["status"].as_str()), (200, Some("hidden")));
    assert_eq!(page(&app, &s, "").await["summary"]["count"], 1);
    moderate(&app, &s, low_id, "approve", json!({})).await;
    let credited = points_ledger::Entity::find()
        .filter(points_ledger::Column::Reason.eq("review"))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(credited, 1, "a review earns its points once");

    // Reject with a reason; illegal moves are 409, unknown ones 404.
    let link_id = link["id"].as_i64().expect("id");
    let (got, rejected) = moderate(
        &app,
        &s,
        link_id,
        "reject",
        json!({"reason": "advertising"}),
    )
    .await;
    assert_eq!((got, rejected["status"].as_str()), (200, Some("rejected")));
    assert_eq!(
        moderate(&app, &s, link_id, "unpublish", json!({})).await.0,
        409
    );
    assert_eq!(
        moderate(&app, &s, link_id, "reply", json!({"reply": "no"}))
            .await
            .0,
        409
    );
    assert_eq!(
        moderate(&app, &s, link_id, "explode", json!({})).await.0,
        404
    );
    assert_eq!(
        moderate(&app, &s, 999_999, "approve", json!({})).await.0,
        404
    );
    // Another shop's session cannot touch it.
    let other = crate::helpers::shop("rv-moderation-other");
    app.install(&other).await;
    assert_eq!(
        moderate(&app, &other, link_id, "approve", json!({}))
            .await
            .0,
        404
    );
}

async fn the_storefront_pages_sorts_and_counts_helpful_votes_once(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-pages").await;
    let mut ids = Vec::new();
    for i in 0..7 {
        let mut f = form("5", &format!("Review number {i}, honest words."));
        if i == 2 {
            f = f.part(
                "photos",
                photo(jpeg_with_gps_exif(200, 200), "a.jpg", "image/jpeg"),
            );
        }
        let (got, body) = submit_from(&app, &s, &format!("192.0.2.{i}"), f, "en").await;
        assert_eq!(got, 201, "{body}");
        ids.push(body["id"].as_i64().expect("id"));
    }
    let first = page(&app, &s, "").await;
    assert_eq!(
        (
            first["pages"].as_u64(),
            first["reviews"].as_array().map(Vec::len)
        ),
        (Some(2), Some(5))
    );
    let second = page(&app, &s, "&page=2").await;
    assert_eq!(second["reviews"].as_array().map(Vec::len), Some(2));
    let photos = page(&app, &s, "&sort=photos").await;
    assert_eq!(photos["reviews"].as_array().map(Vec::len), Some(1));
    assert_eq!(photos["reviews"][0]["id"], ids[2]);

    // Votes: one per shopper; the helpful sort follows them.
    let vote = |customer: Option<i64>, id: i64| {
        let app = &app;
        let s = &s;
        async move {
            let url = app.proxy_url(&format!("/reviews/{id}/helpful"), s, customer, now());
            let res = app.client.post(url).send().await.expect("vote");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(vote(Some(1), ids[0]).await.1["helpful"], 1);
    assert_eq!(
        vote(Some(1), ids[0]).await.1["helpful"],
        1,
        "a second vote is not counted"
    );
    assert_eq!(vote(Some(2), ids[0]).await.1["helpful"], 2);
    assert_eq!(vote(None, 999_999).await.0, 404);
    let helpful = page(&app, &s, "&sort=helpful").await;
    assert_eq!(helpful["reviews"][0]["id"], ids[0]);
    assert_eq!(helpful["reviews"][0]["helpful"], 2);

    for bad in ["&sort=random", "&page=0", "&page=x"] {
        let res = app
            .proxy_get(
                &format!("/reviews?product_id={PRODUCT}{bad}"),
                &s,
                None,
                now(),
            )
            .await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    let res = app.proxy_get("/reviews", &s, None, now()).await;
    assert_eq!(res.status(), 400);
    // A forged proxy signature is refused.
    let url = app.proxy_url(&format!("/reviews?product_id={PRODUCT}"), &s, None, now());
    let res = app
        .client
        .get(url.replace("signature=", "signature=00"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 401);
}

async fn too_many_reviews_from_one_address_answer_429(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-rate").await;
    for i in 0..5 {
        let (got, body) = submit_from(
            &app,
            &s,
            "198.51.100.77",
            form("5", &format!("Nice {i} times")),
            "en",
        )
        .await;
        assert_eq!(got, 201, "{body}");
    }
    let (got, body) = submit_from(&app, &s, "198.51.100.77", form("5", "Nice again"), "it").await;
    assert_eq!((got, body["error"].as_str()), (429, Some("rate_limited")));
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Riprova")
    );
    // Another address is not affected.
    let (got, _) = submit_from(&app, &s, "198.51.100.78", form("5", "Fine"), "en").await;
    assert_eq!(got, 201);
    assert_eq!(app.count("reviews").await, 6);
}

async fn the_metafield_and_json_ld_carry_the_aggregate(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-metafield").await;
    for (i, (rating, body)) in [
        ("5", "Great \"cork\" </script> mat"),
        ("4", "Good"),
        ("5", "Lovely"),
    ]
    .iter()
    .enumerate()
    {
        let f = form(rating, body).part(
            "photos",
            photo(jpeg_with_gps_exif(300, 300), "p.jpg", "image/jpeg"),
        );
        let (got, _) = submit_from(&app, &s, &format!("192.0.2.{}", 50 + i), f, "en").await;
        assert_eq!(got, 201);
    }
    let report = app.run_review_jobs(Utc::now()).await;
    assert_eq!(report.metafields_written, 1);
    let (summary, rating, count) = {
        let fake = app.fake.state.lock().expect("fake state");
        let owner = format!("gid://shopify/Product/{PRODUCT}");
        let get = |ns: &str, key: &str| {
            fake.metafields
                .get(&(owner.clone(), ns.to_owned(), key.to_owned()))
                .cloned()
                .unwrap_or_else(|| panic!("metafield {ns}.{key} written"))
        };
        (
            get("$app:reviews", "summary"),
            get("reviews", "rating"),
            get("reviews", "rating_count"),
        )
    };
    assert_eq!(summary["type"], "json");
    assert_eq!(rating["type"], "rating");
    assert_eq!(count["value"], "3");
    let value: Value =
        serde_json::from_str(summary["value"].as_str().expect("value")).expect("json value");
    assert_eq!(value["count"], 3);
    assert_eq!(value["average_text"], "4.7");
    let rating_value: Value =
        serde_json::from_str(rating["value"].as_str().expect("v")).expect("rating");
    assert_eq!(rating_value["value"], "4.7");
    assert_eq!(rating_value["scale_max"], "5.0");
    assert!(
        value["photos"][0]["thumb"]
            .as_str()
            .unwrap_or_default()
            .starts_with("http")
    );
    // Nothing new: the job writes nothing.
    assert_eq!(app.run_review_jobs(Utc::now()).await.metafields_written, 0);

    // The theme block renders the JSON-LD from exactly what the platform holds.
    let globals = json!({
        "product": {"id": PRODUCT, "title": "Cork yoga mat", "handle": "cork-yoga-mat",
            "selected_or_first_available_variant": {"id": 1},
            "metafields": {"$app:reviews": {"summary": {"value": value}}}},
        "shop": {"name": "Bottega", "permanent_domain": s.as_str()},
        "customer": null,
        "request": {"locale": {"iso_code": "en"}},
    });
    let settings = flywheel::preview::theme::block_settings("reviews", &serde_json::Map::new())
        .expect("settings");
    let html = flywheel::preview::theme::render_block("reviews", "en", &globals, &settings)
        .expect("renders");
    let start = html.find("application/ld+json").expect("JSON-LD emitted");
    let open = html[start..].find('>').expect("tag end") + start + 1;
    let close = html[open..].find("</script>").expect("script end") + open;
    let ld: Value = serde_json::from_str(&html[open..close]).expect("JSON-LD is valid JSON");
    assert_eq!(ld["@type"], "Product");
    assert_eq!(
        ld["aggregateRating"]["reviewCount"]
            .to_string()
            .trim_matches('"'),
        "3"
    );
    assert_eq!(
        ld["aggregateRating"]["ratingValue"]
            .to_string()
            .trim_matches('"'),
        "4.7"
    );
    assert_eq!(ld["review"].as_array().map(Vec::len), Some(3));
    assert!(ld.to_string().contains("Great \\\"cork\\\" </script> mat"));

    // Unpublishing every review empties the summary and removes the rating.
    let ids: Vec<i64> = value["reviews"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    for id in ids {
        assert_eq!(moderate(&app, &s, id, "unpublish", json!({})).await.0, 200);
    }
    assert_eq!(app.run_review_jobs(Utc::now()).await.metafields_written, 1);
    let fake = app.fake.state.lock().expect("fake state");
    let owner = format!("gid://shopify/Product/{PRODUCT}");
    assert!(
        !fake
            .metafields
            .contains_key(&(owner.clone(), "reviews".into(), "rating".into()))
    );
    assert_eq!(
        fake.metafields[&(owner, "reviews".into(), "rating_count".into())]["value"],
        "0"
    );
}

async fn customers_redact_anonymises_reviews_and_deletes_their_photos(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-redact").await;
    let f = form("5", "Lovely mat").part(
        "photos",
        photo(jpeg_with_gps_exif(300, 300), "p.jpg", "image/jpeg"),
    );
    let (got, body) = submit(&app, &s, Some(CUSTOMER), f).await;
    assert_eq!(got, 201, "{body}");
    let id = body["id"].as_i64().expect("id");
    assert_eq!(
        review_row(&app, id).await.author_name.as_deref(),
        Some("Giulia V.")
    );
    assert_eq!(app.media_files().len(), 2);

    app.deliver(
        "customers/redact",
        &s,
        "rv-redact-1",
        &json!({"shop_id": 1, "shop_domain": s.as_str(),
            "customer": {"id": CUSTOMER, "email": "giulia@example.com", "phone": null},
            "orders_to_redact": [ORDER]}),
    )
    .await;
    let row = review_row(&app, id).await;
    assert_eq!(
        (
            row.author_name,
            row.email,
            row.order_id,
            row.customer_id,
            row.ip_hash
        ),
        (None, None, None, None, None)
    );
    assert!(row.redacted_at.is_some());
    assert_eq!(row.photo_count, 0);
    assert_eq!(row.body, "Lovely mat", "the review itself stays, anonymous");
    assert_eq!(app.count("review_photos").await, 0);
    assert_eq!(app.count("media_trash").await, 2);
    let report = app.run_review_jobs(Utc::now()).await;
    assert_eq!(report.files_deleted, 2);
    assert!(app.media_files().is_empty());
    assert_eq!(app.count("media_trash").await, 0);
    let listed = page(&app, &s, "").await;
    assert_eq!(listed["reviews"][0]["author"], "");
    assert_eq!(listed["summary"]["with_photos"], 0);
}

async fn malformed_forms_get_clear_errors(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-malformed").await;
    let url = app.proxy_url("/reviews", &s, None, now());
    // JSON instead of a form.
    let res = app
        .client
        .post(&url)
        .header("Accept", "application/json")
        .json(&json!({"rating": 5}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 415);
    // A broken multipart body.
    let res = app
        .client
        .post(&url)
        .header("Accept", "application/json")
        .header("Content-Type", "multipart/form-data; boundary=xyz")
        .body("--xyz\r\nContent-Disposition: form-data; name=\"rating\"\r\n\r\n5")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "malformed_form");
    for (f, code) in [
        (form("7", "Great"), "invalid_rating"),
        (form("5", "   "), "body_required"),
        (form("5", &"x".repeat(5001)), "body_too_long"),
        (
            form("5", "Fine").text("email", "not-an-email"),
            "invalid_email",
        ),
        (
            Form::new().text("rating", "5").text("body", "Fine"),
            "invalid_product",
        ),
    ] {
        let (got, body) = submit(&app, &s, None, f).await;
        assert_eq!((got, body["error"].as_str()), (422, Some(code)), "{body}");
    }
    let (got, _) = submit(&app, &s, None, form("five", "Great")).await;
    assert_eq!(got, 400);
    assert_eq!(app.count("reviews").await, 0);
}

async fn a_form_posted_without_script_gets_a_page_in_the_theme(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-nojs").await;
    let url = app.proxy_url("/reviews?locale=fr", &s, None, now());
    let res = app
        .client
        .post(&url)
        .header("Accept", "text/html")
        .multipart(form("5", "Très bien"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("application/liquid")
    );
    assert!(
        res.text()
            .await
            .expect("page")
            .contains("Votre avis est en ligne")
    );
    let res = app
        .client
        .post(&url)
        .header("Accept", "text/html")
        .multipart(form("9", "Très bien"))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("de 1 à 5 étoiles"));
}

async fn one_shop_never_sees_or_touches_anothers_reviews(backend: Backend) {
    let (app, a) = shop_with_order(backend, "rv-shop-a").await;
    let b = crate::helpers::shop("rv-shop-b");
    app.install(&b).await;
    let token = link_token(&a, API_SECRET, Utc::now());
    let (got, body) = submit(
        &app,
        &a,
        None,
        form("5", "Lovely").text("token", token.clone()),
    )
    .await;
    assert_eq!(got, 201, "{body}");
    let id = body["id"].as_i64().expect("id");

    // Shop B's storefront: none of A's reviews, votes or links.
    let listed: Value = app
        .proxy_get(&format!("/reviews?product_id={PRODUCT}"), &b, None, now())
        .await
        .json()
        .await
        .expect("page");
    assert_eq!(listed["summary"]["count"], 0);
    assert_eq!(listed["reviews"], json!([]));
    let url = app.proxy_url(&format!("/reviews/{id}/helpful"), &b, None, now());
    assert_eq!(
        app.client.post(url).send().await.expect("vote").status(),
        404
    );
    let (got, body) = submit(
        &app,
        &b,
        None,
        form("5", "Reused link").text("token", token.clone()),
    )
    .await;
    assert_eq!(
        (got, body["error"].as_str()),
        (401, Some("invalid_review_link"))
    );
    let res = app
        .proxy_get(&format!("/reviews/write?token={token}"), &b, None, now())
        .await;
    assert_eq!(res.status(), 401);
    // Nor B's admin.
    let queue: Value = app
        .get_api("/api/reviews?status=all", &app.session_token(&b))
        .await
        .json()
        .await
        .expect("queue");
    assert_eq!(queue["total"], 0);
    assert_eq!(moderate(&app, &b, id, "unpublish", json!({})).await.0, 404);
    assert_eq!(review_row(&app, id).await.status, "published");
}

async fn a_platform_outage_delays_the_metafield_and_loses_nothing(backend: Backend) {
    let (app, s) = shop_with_order(backend, "rv-outage").await;
    let (got, _) = submit(&app, &s, None, form("5", "Lovely")).await;
    assert_eq!(got, 201);
    // The platform answers 500 to every try the client makes.
    app.fake
        .script((0..4).map(|_| crate::helpers::GraphqlReply::Status(500)));
    let now = Utc::now();
    let report = app.run_review_jobs(now).await;
    assert_eq!(
        (report.metafields_written, report.metafields_failed),
        (0, 1)
    );
    let row = entity::review_products::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("summary row");
    assert!(row.last_error.is_some() && row.next_attempt_at.is_some());
    assert!(row.synced_version < row.version);
    // Not again before the backoff; then written, and the row settles.
    assert_eq!(app.run_review_jobs(now).await.metafields_written, 0);
    let later = now + chrono::Duration::minutes(2);
    assert_eq!(app.run_review_jobs(later).await.metafields_written, 1);
    let row = entity::review_products::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("summary row");
    assert_eq!(row.synced_version, row.version);
    assert!(row.last_error.is_none() && row.lease_until.is_none());
    let fake = app.fake.state.lock().expect("fake");
    let owner = format!("gid://shopify/Product/{PRODUCT}");
    assert_eq!(
        fake.metafields[&(owner, "reviews".into(), "rating_count".into())]["value"],
        "1"
    );
}
