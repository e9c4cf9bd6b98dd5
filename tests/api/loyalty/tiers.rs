//! VIP tiers: thresholds, multipliers, tags on the platform, the rolling window.
use super::*;
use crate::on_both_databases;
use chrono::{Duration, Utc};
use serde_json::Value;

async fn tiers_follow_spend_and_are_mirrored_as_tags(backend: Backend) {
    let (app, s) = installed(backend, "loyal-tiers").await;
    pay(&app, &s, "w1", 1401, "200.00", "2026-11-01T10:05:00Z").await;
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "bronze");
    pay(&app, &s, "w2", 1402, "100.00", "2026-11-02T10:05:00Z").await;
    let view = loyalty(&app, &s, CUSTOMER).await;
    assert_eq!(view["tier"], "silver");
    // Silver multiplies points by 1.25 on orders paid once there.
    pay(&app, &s, "w3", 1403, "100.00", "2026-11-03T10:05:00Z").await;
    assert_eq!(balance(&app, &s, CUSTOMER).await, 200 + 100 + 125);
    let report = app.run_jobs(Utc::now()).await;
    assert_eq!(report.tiers_mirrored, 1);
    let gid = format!("gid://shopify/Customer/{CUSTOMER}");
    let tags = app
        .fake
        .state
        .lock()
        .expect("fake")
        .customer_tags
        .get(&gid)
        .cloned()
        .unwrap_or_default();
    assert!(tags.contains("flywheel-tier-silver"), "{tags:?}");
    // A refund drops the spend under the threshold: back to bronze, and the tag follows.
    deliver(
        &app,
        "refunds/create",
        &s,
        "r1",
        &refund(91401, 1402, "100.00"),
    )
    .await;
    deliver(
        &app,
        "refunds/create",
        &s,
        "r2",
        &refund(91402, 1403, "100.00"),
    )
    .await;
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "bronze");
    app.run_jobs(Utc::now()).await;
    let tags = app
        .fake
        .state
        .lock()
        .expect("fake")
        .customer_tags
        .get(&gid)
        .cloned()
        .unwrap_or_default();
    assert!(
        tags.contains("flywheel-tier-bronze") && !tags.contains("flywheel-tier-silver"),
        "{tags:?}"
    );
    let events: Value = app
        .get_api("/api/loyalty/events", &app.session_token(&s))
        .await
        .json()
        .await
        .expect("events");
    assert!(
        events["events"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["kind"] == "tier_reached"))
    );
}

async fn tiers_drop_when_orders_leave_the_window(backend: Backend) {
    let (app, s) = installed(backend, "loyal-window").await;
    pay(&app, &s, "w1", 1451, "300.00", "2026-11-01T10:05:00Z").await;
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "silver");
    // Nothing changes while the order is inside the 365-day window…
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(30))
            .await
            .tiers_refreshed,
        0
    );
    // …and the member is back to Bronze once it has left it.
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(400))
            .await
            .tiers_refreshed,
        1
    );
    assert_eq!(loyalty(&app, &s, CUSTOMER).await["tier"], "bronze");
}

on_both_databases!(
    tiers_follow_spend_and_are_mirrored_as_tags,
    tiers_drop_when_orders_leave_the_window,
);
