//! The storefront preview in a real headless Chromium: the blocks render from
//! the theme extension, their scripts reach the app proxy, and the page does
//! not move when the widgets fill in. Screenshots land in `target/`.
use crate::helpers::{Backend, ENCRYPTION_KEY, spawn_demo_app};
use entity::{customers, loyalty_members};
use flywheel::shops::TokenCipher;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::path::PathBuf;
use std::process::Command;

/// Chromium from `CHROMIUM`, or where Debian puts it. CI installs it (scripts/test);
/// elsewhere the test says it is skipped rather than pretending to pass.
fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(PathBuf::from))
        .find(|p| p.exists())
}

/// Chromium, or None (the test skips, saying so) where it is missing — never in CI.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (scripts/test installs it)"
        );
        eprintln!("SKIPPED: no Chromium here; install the `chromium` package to run this test");
    }
    found
}

fn headless(binary: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,900",
            "--virtual-time-budget=6000",
        ])
        .args(args)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the first element carrying `marker` (an attribute), tags stripped.
fn text_after(dom: &str, marker: &str) -> String {
    let Some(start) = dom.find(marker) else {
        return String::new();
    };
    let rest = &dom[start..];
    let open_end = rest.find('>').map_or(rest.len(), |i| i + 1);
    let body = &rest[open_end..];
    let end = ["</p>", "</h2>", "</h3>"]
        .iter()
        .filter_map(|close| body.find(close))
        .min()
        .unwrap_or(body.len());
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Pixels the widgets moved or grew after the first layout (the preview's probe).
fn layout_shift(dom: &str) -> f64 {
    dom.split("data-shift=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|v| v.parse().ok())
        .expect("the preview recorded the layout shift")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_renders_the_widgets_in_three_languages() {
    let Some(browser) = chromium_or_skip() else {
        return;
    };
    let app = spawn_demo_app(Backend::Sqlite).await;
    let cipher = TokenCipher::new(&ENCRYPTION_KEY);
    flywheel::demo::seed(&app.db, &cipher, chrono::Utc::now())
        .await
        .expect("demo seed");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let page = format!("{}/preview/products/cork-yoga-mat", app.url);
    for (lang, arrives, returns, pitch) in [
        (
            "en",
            "Arrives ",
            "30-day returns",
            "Earn rewards every time you shop",
        ),
        (
            "it",
            "Arriva ",
            "Reso entro 30 giorni",
            "Guadagna premi a ogni acquisto",
        ),
        (
            "fr",
            "Arrive ",
            "Retours sous 30 jours",
            "Gagnez des récompenses à chaque achat",
        ),
    ] {
        let url = format!("{page}?locale={lang}&measure=1");
        let dom = headless(&browser, &["--dump-dom", &url]);
        let delivery = text_after(&dom, "data-fw-text");
        assert!(
            delivery.starts_with(arrives),
            "{lang}: delivery text `{delivery}`"
        );
        assert!(dom.contains(returns), "{lang}: no returns badge");
        assert_eq!(
            text_after(&dom, "data-fw-slot=\"headline\""),
            pitch,
            "{lang}: banner"
        );
        let cls = layout_shift(&dom);
        assert!(
            cls < 1.0,
            "{lang}: the widgets moved {cls} px while filling in"
        );
        println!("{lang}: delivery `{delivery}`, widgets moved {cls} px");
        let shot = target.join(format!("preview-{lang}.png"));
        // A file left by an earlier run must not pass for this run's screenshot.
        let _ = std::fs::remove_file(&shot);
        headless(
            &browser,
            &[
                &format!("--screenshot={}", shot.display()),
                &format!("{page}?locale={lang}"),
            ],
        );
        assert!(
            std::fs::metadata(&shot)
                .map(|m| m.len() > 10_000)
                .unwrap_or(false),
            "{lang}: screenshot"
        );
    }

    // A logged-in Gold member sees their own points in the banner.
    let gold = loyalty_members::Entity::find()
        .filter(loyalty_members::Column::Tier.eq("gold"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("the demo has Gold members");
    let customer = customers::Entity::find_by_id(gold.customer_id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("customer");
    let url = format!(
        "{page}?locale=en&customer={}&measure=1",
        customer.shopify_customer_id
    );
    let dom = headless(&browser, &["--dump-dom", &url]);
    let headline = text_after(&dom, "data-fw-slot=\"headline\"");
    assert!(
        headline.starts_with("You have ") && headline.ends_with(" points"),
        "member banner: `{headline}`"
    );
    let moved = layout_shift(&dom);
    println!("member: banner `{headline}`, widgets moved {moved} px");
    assert!(
        moved < 1.0,
        "member: the widgets moved {moved} px while filling in"
    );
    let shot = target.join("preview-member.png");
    let _ = std::fs::remove_file(&shot);
    headless(
        &browser,
        &[&format!("--screenshot={}", shot.display()), &url],
    );
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "member: screenshot"
    );
}

/// The reviews block on the preview page in a real Chromium: the summary, the
/// photo gallery (images that really load) and the first page in three
/// languages, then a shopper writes a review with a photo through the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviews_block_shows_photos_and_takes_a_review_in_three_languages() {
    let Some(binary) = chromium_or_skip() else {
        return;
    };
    let app = spawn_demo_app(Backend::Sqlite).await;
    let cipher = TokenCipher::new(&ENCRYPTION_KEY);
    let now = chrono::Utc::now();
    flywheel::demo::seed(&app.db, &cipher, now)
        .await
        .expect("demo seed");
    let media = flywheel::media::MediaStore::from_url(&app.media_dir.display().to_string())
        .expect("media store");
    flywheel::demo::reviews::seed_reviews(&app.db, &media, now)
        .await
        .expect("demo reviews");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let page = format!("{}/preview/products/cork-yoga-mat", app.url);
    let mut browser = crate::cdp::Browser::launch(&binary).await;
    for (lang, heading, verified) in [
        ("en", "Customer reviews", "Verified buyer"),
        ("it", "Recensioni dei clienti", "Acquisto verificato"),
        ("fr", "Avis clients", "Achat vérifié"),
    ] {
        browser.open(&format!("{page}?locale={lang}")).await;
        let seen = browser
            .eval(
                "(() => { const r = document.querySelector('[data-fw-reviews]');
                  const imgs = [...r.querySelectorAll('.fw-gallery img')];
                  return { text: r.innerText,
                    reviews: r.querySelectorAll('[data-fw-list] > li.fw-review').length,
                    photos: imgs.length,
                    loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
                    stars: !!document.querySelector('.fw-rating'),
                    ld: JSON.parse(document.querySelector('script[data-fw-jsonld]').textContent) }; })()",
            )
            .await;
        let text = seen["text"].as_str().unwrap_or_default();
        assert!(text.contains(heading), "{lang}: heading in `{text}`");
        assert!(text.contains(verified), "{lang}: verified-buyer mark");
        assert_eq!(seen["reviews"], 5, "{lang}: the first page");
        assert!(
            seen["photos"].as_u64().unwrap_or(0) >= 4,
            "{lang}: gallery {}",
            seen["photos"]
        );
        // Images load lazily: scroll the gallery into view and wait for them.
        browser
            .eval("document.querySelector('.fw-gallery').scrollIntoView()")
            .await;
        browser
            .wait_for("[...document.querySelectorAll('.fw-gallery img')].every(i => i.complete && i.naturalWidth > 0)")
            .await;
        assert!(seen["stars"] == true, "{lang}: star rating under the title");
        assert_eq!(seen["ld"]["@type"], "Product");
        assert_eq!(
            seen["ld"]["aggregateRating"]["reviewCount"]
                .to_string()
                .trim_matches('"'),
            "18"
        );
        let shot = target.join(format!("preview-reviews-{lang}.png"));
        let _ = std::fs::remove_file(&shot);
        browser.screenshot(&shot).await;
        assert!(
            std::fs::metadata(&shot).is_ok_and(|m| m.len() > 20_000),
            "{lang}: screenshot"
        );
    }

    // A shopper writes a review with a photo, in Italian, through the form.
    let photo =
        std::env::temp_dir().join(format!("fw-upload-{}.jpg", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &photo,
        flywheel::media::photos::jpeg_with_gps_exif(800, 600),
    )
    .expect("photo file");
    browser.open(&format!("{page}?locale=it")).await;
    browser
        .eval(
            "(() => { const f = document.querySelector('form[data-fw-form]');
              f.closest('details').open = true;
              f.querySelector('input[name=rating][value=\"5\"]').click();
              f.querySelector('input[name=title]').value = 'Perfetto';
              f.querySelector('textarea[name=body]').value = 'Spesso, non scivola, arrivato in anticipo.';
              f.querySelector('input[name=name]').value = 'Anna Bianchi';
              return true; })()",
        )
        .await;
    browser
        .set_files("form[data-fw-form] input[type=file]", &[photo.as_path()])
        .await;
    browser
        .eval("document.querySelector('form[data-fw-form] button[type=submit]').click()")
        .await;
    browser
        .wait_for("document.querySelector('form[data-fw-form] [data-fw-status]').textContent.trim().length > 0 && !document.querySelector('form[data-fw-form] button[type=submit]').disabled")
        .await;
    let status = browser
        .eval("document.querySelector('form[data-fw-form] [data-fw-status]').textContent.trim()")
        .await;
    assert_eq!(status, "Grazie! La tua recensione è pubblicata.");
    let shot = target.join("preview-reviews-submitted.png");
    let _ = std::fs::remove_file(&shot);
    browser.screenshot(&shot).await;
    let _ = std::fs::remove_file(&photo);
    let written = entity::reviews::Entity::find()
        .filter(entity::reviews::Column::Title.eq("Perfetto"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("the review reached the database");
    assert_eq!(written.author_name.as_deref(), Some("Anna B."));
    assert_eq!(written.locale, "it");
    assert_eq!(written.photo_count, 1);
    assert!(!written.verified, "no review link: not verified");
}

/// A shopper walks through the returns portal in the preview storefront, in
/// Italian and in French: finds the order by number and email, picks an item,
/// a reason, store credit and a photo, and follows the return to its status page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_returns_an_item_through_the_portal_in_italian_and_french() {
    let Some(binary) = chromium_or_skip() else {
        return;
    };
    let app = spawn_demo_app(Backend::Sqlite).await;
    let cipher = TokenCipher::new(&ENCRYPTION_KEY);
    let now = chrono::Utc::now();
    flywheel::demo::seed(&app.db, &cipher, now)
        .await
        .expect("demo seed");
    // Two recent deliveries with an address: one per language.
    let delivered = entity::delivery_promises::Entity::find()
        .filter(entity::delivery_promises::Column::DeliveredAt.gt(now - chrono::Duration::days(20)))
        .find_also_related(entity::orders::Entity)
        .all(&app.db)
        .await
        .expect("deliveries");
    let orders: Vec<entity::orders::Model> = delivered
        .into_iter()
        .filter_map(|(_, o)| o)
        .filter(|o| o.cancelled_at.is_none() && o.email.is_some())
        .take(2)
        .collect();
    assert_eq!(orders.len(), 2, "the demo has recent deliveries");
    let photo =
        std::env::temp_dir().join(format!("fw-return-{}.jpg", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &photo,
        flywheel::media::photos::jpeg_with_gps_exif(640, 480),
    )
    .expect("photo file");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let mut browser = crate::cdp::Browser::launch(&binary).await;
    for ((lang, requested, status), order) in [
        ("it", "è richiesto", "richiesto"),
        ("fr", "est demandé", "demandé"),
    ]
    .into_iter()
    .zip(&orders)
    {
        browser
            .open(&format!("{}/apps/flywheel/returns?locale={lang}", app.url))
            .await;
        let number = order.name.trim_start_matches('#').to_owned();
        let email = order.email.clone().unwrap_or_default().to_uppercase();
        browser
            .eval(&format!(
                "(() => {{ document.querySelector('input[name=number]').value = '{number}';
                  document.querySelector('input[name=email]').value = '{email}';
                  document.querySelector('form button[type=submit]').click(); return true; }})()"
            ))
            .await;
        browser
            .wait_for("document.querySelector('select[name^=qty_]') !== null")
            .await;
        browser
            .eval(
                "(() => { const q = document.querySelector('select[name^=qty_]'); q.value = '1';
                  document.querySelector('select[name=reason]').value = 'doesnt_fit';
                  document.querySelector('input[name=outcome][value=store_credit]').click(); return true; })()",
            )
            .await;
        browser
            .set_files("input[name=photos]", &[photo.as_path()])
            .await;
        browser
            .eval("document.querySelector('form button[type=submit]').click()")
            .await;
        browser
            .wait_for("/R\\d+-\\d/.test(document.body.innerText)")
            .await;
        let confirmation = browser.eval("document.body.innerText").await;
        let confirmation = confirmation.as_str().unwrap_or_default().to_owned();
        assert!(confirmation.contains(requested), "{lang}: {confirmation}");
        browser
            .eval("document.querySelector('section a').click()")
            .await;
        browser
            .wait_for("document.querySelector('.fw-timeline') !== null")
            .await;
        let page = browser.eval("document.body.innerText").await;
        let page = page.as_str().unwrap_or_default().to_owned();
        assert!(page.contains(status), "{lang}: status page {page}");
        let shot = target.join(format!("returns-portal-{lang}.png"));
        let _ = std::fs::remove_file(&shot);
        browser.screenshot(&shot).await;
        assert!(
            std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
            "{lang}: screenshot"
        );
    }
    let _ = std::fs::remove_file(&photo);
    let returns = entity::return_requests::Entity::find()
        .all(&app.db)
        .await
        .expect("returns");
    assert_eq!(returns.len(), 2);
    assert!(returns.iter().any(|r| r.locale == "it") && returns.iter().any(|r| r.locale == "fr"));
    assert!(returns.iter().all(|r| r.outcome == "store_credit"));
    let photos = entity::return_photos::Entity::find()
        .all(&app.db)
        .await
        .expect("photos");
    assert_eq!(
        photos.len(),
        2,
        "one photo each, stored without its metadata"
    );
}

/// The demo shop as `flywheel demo` seeds it for the merchant's pages: orders,
/// flows, cases, returns and the dashboard's inputs (no review photos).
async fn seed_merchant_demo(app: &crate::helpers::TestApp) {
    let cipher = TokenCipher::new(&ENCRYPTION_KEY);
    let now = chrono::Utc::now();
    flywheel::demo::seed(&app.db, &cipher, now)
        .await
        .expect("demo seed");
    flywheel::demo::flows::seed_flows(&app.db, now)
        .await
        .expect("demo flows");
    flywheel::demo::support::seed_support(&app.db, now)
        .await
        .expect("demo support");
    flywheel::demo::returns::seed_returns(
        &app.db,
        &cipher,
        crate::helpers::API_SECRET.as_bytes(),
        now,
    )
    .await
    .expect("demo returns");
    flywheel::demo::metrics::seed_metrics(&app.db, now)
        .await
        .expect("demo metrics");
}

/// The merchant's flows, make-it-right and returns pages on the demo shop, in
/// a real browser: their scripts fill them in from the API, with no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchant_pages_fill_in_on_the_demo_shop() {
    let Some(binary) = chromium_or_skip() else {
        return;
    };
    let app = spawn_demo_app(Backend::Sqlite).await;
    seed_merchant_demo(&app).await;
    let shop = crate::helpers::shop("flywheel-demo");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let mut browser = crate::cdp::Browser::launch(&binary).await;
    for (path, filled, lang) in [
        (
            "/app/flows",
            "document.querySelectorAll('#fields fieldset').length >= 10 && document.querySelector('#preview-subject').textContent.length > 0",
            "it",
        ),
        (
            "/app/support",
            "document.querySelectorAll('#cases tr.pick').length >= 6 && document.querySelectorAll('#settings [data-k]').length >= 7",
            "fr",
        ),
        (
            "/app/returns",
            "document.querySelectorAll('#returns tr.pick').length >= 9 && document.querySelectorAll('#policy [data-k]').length >= 8",
            "en",
        ),
    ] {
        browser
            .open(&format!(
                "{}{path}?{}",
                app.url,
                app.launch_query(&shop, lang)
            ))
            .await;
        browser.eval("window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message))); true").await;
        browser.wait_for(filled).await;
        let errors = browser.eval("window.__errors").await;
        assert_eq!(errors, serde_json::json!([]), "{path}: script errors");
        let shot = target.join(format!("admin{}.png", path.replace('/', "-")));
        let _ = std::fs::remove_file(&shot);
        browser.screenshot(&shot).await;
    }
    // A case opens with its history and remedy buttons.
    browser
        .open(&format!(
            "{}/app/support?{}",
            app.url,
            app.launch_query(&shop, "en")
        ))
        .await;
    browser
        .wait_for("document.querySelectorAll('#cases tr.pick').length >= 6")
        .await;
    browser
        .eval("document.querySelector('#cases tr.pick').click(); true")
        .await;
    browser.wait_for("!document.querySelector('#detail').hidden && document.querySelectorAll('#detail ol.history li').length > 0").await;
}

/// The retention dashboard on the demo shop, in a real browser: every chart
/// drawn, the headline numbers filled, an export downloaded with the
/// session token, and the merchant's inputs saved. Screenshot in target/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_demo_shop_at_a_glance() {
    let Some(binary) = chromium_or_skip() else {
        return;
    };
    let app = spawn_demo_app(Backend::Sqlite).await;
    seed_merchant_demo(&app).await;
    let shop = crate::helpers::shop("flywheel-demo");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let mut browser = crate::cdp::Browser::launch(&binary).await;
    for lang in ["en", "fr"] {
        browser
            .open(&format!(
                "{}/app?{}",
                app.url,
                app.launch_query(&shop, lang)
            ))
            .await;
        browser.eval("window.__errors = []; window.addEventListener('error', e => window.__errors.push(String(e.message))); true").await;
        browser
            .wait_for("document.querySelectorAll('#headline .card').length >= 11")
            .await;
        // Every chart is an SVG with data in it, not the empty frame.
        for chart in [
            "rpr",
            "ltv",
            "nps",
            "ltv-cac",
            "cohorts",
            "segments",
            "suppliers",
        ] {
            let drawn = browser
                .eval(&format!(
                    "(() => {{ const s = document.querySelector('#chart-{chart} svg'); return !!s && s.querySelectorAll('path,polyline,rect,circle').length > 3; }})()"
                ))
                .await;
            assert_eq!(
                drawn,
                serde_json::json!(true),
                "{lang}: chart {chart} drawn"
            );
        }
        let cohort_rows = browser
            .eval("document.querySelectorAll('#segments tbody tr').length")
            .await;
        assert_eq!(
            cohort_rows,
            serde_json::json!(5),
            "five segments with their rules"
        );
        let shot = target.join(format!("dashboard-{lang}.png"));
        let _ = std::fs::remove_file(&shot);
        browser.screenshot(&shot).await;
        assert!(shot.exists(), "screenshot saved");
    }
    // An export downloads with the page's session token.
    let csv = browser
        .eval("(() => { const c = JSON.parse(document.getElementById('metrics-config').textContent); return fetch('/api/metrics/export/cohorts?locale=fr', {headers: {Authorization: 'Bearer ' + c.token}}).then(r => r.text()); })()")
        .await;
    let csv = csv.as_str().unwrap_or_default().to_owned();
    assert!(csv.starts_with("Cohorte (première commande)"), "{csv}");
    assert!(csv.lines().count() > 10, "{csv}");
    // The merchant's inputs save.
    browser
        .eval("document.querySelector('#metrics-settings [name=default_margin_percent]').value = '42'; document.querySelector('#metrics-settings button[type=submit]').click(); true")
        .await;
    browser
        .wait_for("document.getElementById('settings-msg').textContent === JSON.parse(document.getElementById('metrics-config').textContent).texts.saved")
        .await;
    let errors = browser.eval("window.__errors").await;
    assert_eq!(errors, serde_json::json!([]), "script errors");
    let saved: flywheel::metrics::MetricsSettings = flywheel::shops::ShopSettings::load(&app.db, 1)
        .await
        .expect("settings");
    assert_eq!(saved.default_margin_percent, 42);
    assert!(!saved.acquisition_spend.is_empty(), "the demo's spend kept");
}
