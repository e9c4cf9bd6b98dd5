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
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Chromium (scripts/test installs it)"
        );
        eprintln!("SKIPPED: no Chromium here; install the `chromium` package to run this test");
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
