//! The binary's contract: configuration errors exit with 2, the demo seeds once.
use crate::helpers::*;
use crate::on_both_databases;
use entity::{customers, orders, refunds};
use flywheel::shops::TokenCipher;
use sea_orm::{EntityTrait, PaginatorTrait};
use std::collections::HashMap;
use std::process::Command;

#[test]
fn missing_or_malformed_settings_exit_with_2() {
    let run = |vars: &[(&str, &str)]| {
        Command::new(env!("CARGO_BIN_EXE_flywheel"))
            .arg("serve")
            .env_clear()
            .envs(vars.iter().copied())
            .output()
            .expect("run flywheel")
    };
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SHOPIFY_API_KEY is required"));
    let out = run(&[
        ("SHOPIFY_API_KEY", "k"),
        ("SHOPIFY_API_SECRET", "s"),
        ("FLYWHEEL_ENCRYPTION_KEY", "too-short"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FLYWHEEL_ENCRYPTION_KEY is malformed"));
}

on_both_databases!(demo_seed_is_believable_and_idempotent);

async fn demo_seed_is_believable_and_idempotent(backend: Backend) {
    let app = spawn_app(backend).await;
    let cipher = TokenCipher::new(&ENCRYPTION_KEY);
    let now = chrono::Utc::now();
    let written = flywheel::demo::seed(&app.db, &cipher, now)
        .await
        .expect("seed");
    assert!(written > 250, "{written} orders");
    assert_eq!(
        flywheel::demo::seed(&app.db, &cipher, now)
            .await
            .expect("reseed"),
        0
    );
    assert_eq!(
        orders::Entity::find().count(&app.db).await.expect("count"),
        written
    );

    let all = orders::Entity::find().all(&app.db).await.expect("orders");
    let mut per_customer: HashMap<i64, Vec<chrono::DateTime<chrono::Utc>>> = HashMap::new();
    for o in &all {
        per_customer
            .entry(o.customer_id.expect("demo orders have customers"))
            .or_default()
            .push(o.platform_created_at.expect("dated"));
    }
    let repeat = per_customer.values().filter(|d| d.len() >= 2).count();
    let lapsed = per_customer
        .values()
        .filter(|d| {
            d.iter()
                .max()
                .is_some_and(|last| *last < now - chrono::Duration::days(120))
        })
        .count();
    assert!(repeat > 40, "{repeat} repeat buyers");
    assert!(lapsed > 20, "{lapsed} lapsed buyers");
    assert!(
        refunds::Entity::find()
            .count(&app.db)
            .await
            .expect("refunds")
            > 5
    );
    assert!(all.iter().any(|o| o.cancelled_at.is_some()));
    assert_eq!(
        customers::Entity::find()
            .count(&app.db)
            .await
            .expect("customers"),
        260
    );
    let span = all
        .iter()
        .filter_map(|o| o.platform_created_at)
        .min()
        .expect("orders");
    assert!(span < now - chrono::Duration::days(300), "a year of orders");

    // Reviews: verified buyers in three languages, photos on disk, a queue to moderate.
    let media = flywheel::media::MediaStore::from_url(&app.media_dir.display().to_string())
        .expect("media store");
    let reviews = flywheel::demo::reviews::seed_reviews(&app.db, &media, now)
        .await
        .expect("seed reviews");
    assert!(reviews > 50, "{reviews} reviews");
    assert_eq!(
        flywheel::demo::reviews::seed_reviews(&app.db, &media, now)
            .await
            .expect("reseed reviews"),
        0
    );
    let all = entity::reviews::Entity::find()
        .all(&app.db)
        .await
        .expect("reviews");
    for lang in ["en", "it", "fr"] {
        assert!(all.iter().any(|r| r.locale == lang), "no {lang} review");
    }
    assert!(all.iter().filter(|r| r.status == "pending").count() >= 3);
    assert!(all.iter().filter(|r| r.verified).count() > 40);
    let photos = entity::review_photos::Entity::find()
        .all(&app.db)
        .await
        .expect("photos");
    assert!(photos.len() > 15, "{} photos", photos.len());
    for p in &photos {
        assert!(
            app.media_dir.join(&p.display_key).exists(),
            "{} on disk",
            p.display_key
        );
        assert!(
            app.media_dir.join(&p.thumb_key).exists(),
            "{} on disk",
            p.thumb_key
        );
    }
    let products = entity::review_products::Entity::find()
        .all(&app.db)
        .await
        .expect("summaries");
    assert_eq!(products.len(), 6, "six products have reviews");

    // The recent orders' flows: the outbox shows the series in three languages.
    let scheduled = flywheel::demo::flows::seed_flows(&app.db, now)
        .await
        .expect("flows");
    assert!(scheduled > 5, "{scheduled} recent orders");
    let jobs_before = entity::jobs::Entity::find()
        .count(&app.db)
        .await
        .expect("jobs");
    flywheel::demo::flows::seed_flows(&app.db, now)
        .await
        .expect("again");
    assert_eq!(
        entity::jobs::Entity::find()
            .count(&app.db)
            .await
            .expect("jobs"),
        jobs_before,
        "scheduling again adds nothing"
    );
    // Marketing mail waits for the shop's send window: run the worker inside it.
    let rome: chrono_tz::Tz = "Europe/Rome".parse().expect("zone");
    let start = chrono::Utc::now();
    let inside = flywheel::emails::pacing::next_window(start, rome, 9, 20).unwrap_or(start)
        + chrono::Duration::minutes(1);
    let clock: std::sync::Arc<dyn flywheel::clock::Clock> =
        std::sync::Arc::new(flywheel::clock::ManualClock::new(inside));
    let registry = app.handlers(clock.clone(), None);
    let worker = flywheel::scheduler::Worker::new(app.db.clone(), registry, clock);
    while worker.run_once().await.expect("worker") > 0 {}
    let outbox = entity::emails::Entity::find()
        .all(&app.db)
        .await
        .expect("emails");
    for lang in ["en", "it", "fr"] {
        assert!(outbox.iter().any(|e| e.locale == lang), "no {lang} email");
    }
    for flow in ["post_purchase", "review_request"] {
        assert!(outbox.iter().any(|e| e.flow == flow), "no {flow} email");
    }
    assert!(
        outbox.iter().all(|e| e.status == "outbox"),
        "kept in the outbox without SMTP"
    );
}
