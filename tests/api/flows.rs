//! The lifecycle series end to end: real signed webhooks in, a simulated
//! clock moving through the weeks, the worker running the jobs, a real SMTP
//! server receiving what is sent, and the answer links followed through the
//! app proxy as a shopper would.
use crate::helpers::{Backend, TestApp};
use crate::on_both_databases;
use crate::smtp::smtp;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::{emails, jobs};
use flywheel::clock::{Clock, ManualClock};
use flywheel::scheduler::Worker;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use std::sync::Arc;

on_both_databases!(
    a_customer_goes_through_the_whole_post_purchase_series,
    unsubscribing_stops_marketing_but_not_order_mail,
    a_redaction_cancels_the_pending_series,
    flow_settings_switch_flows_and_refuse_nonsense,
    a_lapsed_customer_is_won_back_once,
    the_loyalty_launch_sends_its_email_to_subscribers,
);

const PRODUCT: i64 = 9_007_199_254_740_993;

/// A paid order placed `at`, by a subscribed customer writing in Italian.
fn order(id: i64, customer: i64, email: &str, at: DateTime<Utc>) -> Value {
    let mut order = crate::helpers::order_json(id, customer, email, &at.to_rfc3339(), "paid");
    order["created_at"] = json!(at.to_rfc3339());
    order["processed_at"] = json!(at.to_rfc3339());
    order["name"] = json!(format!("#{}", id % 10_000));
    order
}

fn delivered(order_id: i64, at: DateTime<Utc>) -> Value {
    json!({"id": order_id + 50, "order_id": order_id, "status": "success",
        "shipment_status": "delivered", "tracking_company": "Cainiao", "tracking_number": "LP7",
        "created_at": (at - Duration::days(4)).to_rfc3339(), "updated_at": at.to_rfc3339()})
}

/// Noon in Rome on the day `at` falls: inside the send window.
fn noon(at: DateTime<Utc>) -> DateTime<Utc> {
    at.date_naive()
        .and_hms_opt(11, 0, 0)
        .expect("time")
        .and_utc()
}

/// Runs the worker until nothing is due.
async fn drain(worker: &Worker) {
    for _ in 0..20 {
        if worker.run_once().await.expect("worker") == 0 {
            return;
        }
    }
    panic!("the worker never settled");
}

async fn flows_of(app: &TestApp) -> Vec<String> {
    emails::Entity::find()
        .order_by_asc(emails::Column::Id)
        .all(&app.db)
        .await
        .expect("emails")
        .into_iter()
        .map(|e| e.flow)
        .collect()
}

async fn email_of(app: &TestApp, flow: &str) -> emails::Model {
    emails::Entity::find()
        .filter(emails::Column::Flow.eq(flow))
        .one(&app.db)
        .await
        .expect("db")
        .unwrap_or_else(|| panic!("no {flow} email"))
}

/// The proxy path of the answer link in an email whose query has `marker`.
fn link_in(text: &str, marker: &str) -> String {
    text.split_whitespace()
        .filter_map(|w| {
            w.find("/apps/flywheel/feedback?")
                .map(|i| &w[i + "/apps/flywheel".len()..])
        })
        .find(|l| l.contains(marker))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no link with {marker} in {text}"))
}

/// The first moment at or after `at` inside the send window (9:00–20:00 in Rome).
fn in_window(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    let n = noon(at);
    if n >= at {
        n
    } else if at.hour() < 17 {
        at + Duration::minutes(1)
    } else {
        noon(at + Duration::days(1))
    }
}

async fn a_customer_goes_through_the_whole_post_purchase_series(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "series").await;
    let settings = app
        .send_api(Method::GET, "/api/flows/settings", &s, &json!(null))
        .await
        .json::<Value>()
        .await
        .expect("json");
    let mut wanted = settings["settings"].clone();
    wanted["replenishment"]["rules"] = json!([{"product_id": PRODUCT, "after_days": 30}]);
    let saved = app
        .send_api(Method::PUT, "/api/flows/settings", &s, &wanted)
        .await;
    assert_eq!(saved.status(), 200);

    let bought = Utc::now().trunc_subsecs(0);
    app.deliver(
        "orders/paid",
        &s,
        "series-paid",
        &order(9_920_001, 9_920_002, "giulia@example.com", bought),
    )
    .await;
    app.deliver(
        "orders/updated",
        &s,
        "series-upd",
        &order(9_920_001, 9_920_002, "giulia@example.com", bought),
    )
    .await;
    let kinds: Vec<String> = jobs::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs")
        .into_iter()
        .map(|j| j.kind)
        .collect();
    for kind in [
        "flow.post_purchase",
        "flow.delivery_checkin",
        "flow.replenishment",
    ] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind} once: {kinds:?}"
        );
    }

    let (smtp_url, inbox) = smtp();
    // The worker's clock starts after the webhooks were received.
    let clock = Arc::new(ManualClock::new(Utc::now() + Duration::seconds(1)));
    let worker = Worker::new(
        app.db.clone(),
        app.handlers(clock.clone(), Some(&smtp_url)),
        clock.clone(),
    );
    drain(&worker).await;
    assert_eq!(flows_of(&app).await, ["post_purchase"]);

    // The promised earliest date: "did everything go well?"
    let checkin = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq("flow.delivery_checkin"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("check-in job");
    assert!(
        checkin.run_at > bought + Duration::days(2),
        "not before the promised date"
    );
    clock.set(checkin.run_at - Duration::minutes(1));
    drain(&worker).await;
    assert_eq!(flows_of(&app).await.len(), 1, "not a minute early");
    clock.set(checkin.run_at + Duration::minutes(1));
    drain(&worker).await;
    let check = email_of(&app, "delivery_checkin").await;
    assert!(!check.marketing && check.locale == "it");
    assert!(
        check.text.contains("È andato tutto bene?"),
        "{}",
        check.text
    );

    // Delivered: the survey three days later, the review request after seven.
    let arrived = checkin.run_at + Duration::hours(3);
    app.deliver(
        "fulfillments/update",
        &s,
        "series-f1",
        &delivered(9_920_001, arrived),
    )
    .await;
    clock.set(in_window(arrived + Duration::days(3)));
    drain(&worker).await;
    let survey = email_of(&app, "survey").await;
    assert!(survey.marketing);
    assert!(
        survey.headers["List-Unsubscribe"]
            .as_str()
            .is_some_and(|u| u.contains("/unsubscribe/"))
    );
    clock.set(in_window(arrived + Duration::days(7)));
    drain(&worker).await;
    email_of(&app, "review_request").await;

    // Thirty days after the purchase: running low? With a real code on the platform.
    clock.set(in_window(bought + Duration::days(30)));
    drain(&worker).await;
    let refill = email_of(&app, "replenishment").await;
    let code = refill
        .text
        .split_whitespace()
        .find(|w| w.starts_with("REFILL-"))
        .expect("a code")
        .to_owned();
    let created = app
        .fake
        .state
        .lock()
        .expect("fake")
        .discount_codes
        .get(&code)
        .cloned()
        .expect("code on the platform");
    assert_eq!(created["customerGets"]["value"]["percentage"], 0.1);
    assert!(
        refill
            .text
            .contains(&format!("/cart/9007199254740995:2?discount={code}")),
        "{}",
        refill.text
    );

    assert_eq!(
        flows_of(&app).await,
        [
            "post_purchase",
            "delivery_checkin",
            "survey",
            "review_request",
            "replenishment"
        ]
    );
    let messages = inbox.messages.lock().expect("inbox").clone();
    assert_eq!(messages.len(), 5, "each sent once");
    assert!(
        messages
            .iter()
            .all(|m| m.contains("Content-Language: it") && m.contains("To: giulia@example.com"))
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.contains("List-Unsubscribe-Post"))
            .count(),
        3,
        "marketing only"
    );

    // One click in the survey email records the answer; the page offers a comment.
    let nps = link_in(&survey.text, "q=nps&a=9&");
    let page = app.proxy_get(&nps, &s, None, crate::helpers::now()).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    assert!(
        html.contains("Grazie") && html.contains("name=\"message\""),
        "{html}"
    );
    let csat = link_in(&survey.text, "q=csat&a=4&");
    assert_eq!(
        app.proxy_get(&csat, &s, None, crate::helpers::now())
            .await
            .status(),
        200
    );
    // A second click changes the answer rather than adding one.
    let nps_10 = link_in(&survey.text, "q=nps&a=10&");
    assert_eq!(
        app.proxy_get(&nps_10, &s, None, crate::helpers::now())
            .await
            .status(),
        200
    );
    let scores = app
        .get_api("/api/surveys", &app.session_token(&s))
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(scores["summary"]["nps"], 100.0);
    assert_eq!(scores["summary"]["nps_responses"], 1);
    assert_eq!(scores["summary"]["csat"], 100.0);
    // A forged link records nothing.
    let forged = nps.replace("t=", "t=x");
    assert_eq!(
        app.proxy_get(&forged, &s, None, crate::helpers::now())
            .await
            .status(),
        401
    );
    assert_eq!(app.count("survey_responses").await, 2);
}

async fn unsubscribing_stops_marketing_but_not_order_mail(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "series-unsub").await;
    let bought = Utc::now().trunc_subsecs(0);
    app.deliver(
        "orders/paid",
        &s,
        "u-paid",
        &order(9_921_001, 9_921_002, "marco@example.com", bought),
    )
    .await;
    let arrived = bought + Duration::days(5);
    app.deliver(
        "fulfillments/update",
        &s,
        "u-f1",
        &delivered(9_921_001, arrived),
    )
    .await;
    // The worker's clock starts after the webhooks were received.
    let clock = Arc::new(ManualClock::new(Utc::now() + Duration::seconds(1)));
    let worker = Worker::new(
        app.db.clone(),
        app.handlers(clock.clone(), None),
        clock.clone(),
    );
    drain(&worker).await;
    let confirmation = email_of(&app, "post_purchase").await;
    let customer = confirmation.customer_id.expect("customer");
    let token = flywheel::emails::unsubscribe::token(
        crate::helpers::API_SECRET.as_bytes(),
        confirmation.shop_id,
        customer,
    );
    let res = app
        .client
        .post(format!("{}/unsubscribe/{token}", app.url))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    clock.set(in_window(arrived + Duration::days(8)));
    drain(&worker).await;
    let sent = flows_of(&app).await;
    assert!(
        sent.contains(&"delivery_checkin".to_owned()),
        "order mail still goes: {sent:?}"
    );
    assert!(
        !sent.contains(&"survey".to_owned()) && !sent.contains(&"review_request".to_owned()),
        "{sent:?}"
    );
    let skipped = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq("flow.survey"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!(skipped.status, "skipped");
    assert_eq!(
        skipped.last_error.as_deref(),
        Some("no email marketing consent")
    );
}

async fn a_redaction_cancels_the_pending_series(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "series-redact").await;
    let bought = Utc::now().trunc_subsecs(0);
    app.deliver(
        "orders/paid",
        &s,
        "r-paid",
        &order(9_922_001, 9_922_002, "anna@example.com", bought),
    )
    .await;
    app.deliver(
        "customers/redact",
        &s,
        "r-redact",
        &json!({"shop_id": 1, "shop_domain": s.as_str(),
            "customer": {"id": 9_922_002, "email": "anna@example.com", "phone": null},
            "orders_to_redact": [9_922_001]}),
    )
    .await;
    let pending = jobs::Entity::find()
        .filter(jobs::Column::Status.eq("queued"))
        .all(&app.db)
        .await
        .expect("jobs");
    assert!(
        pending.is_empty(),
        "every job of hers is skipped: {pending:?}"
    );
    let clock = Arc::new(ManualClock::new(bought + Duration::days(40)));
    let worker = Worker::new(app.db.clone(), app.handlers(clock.clone(), None), clock);
    drain(&worker).await;
    assert_eq!(app.count("emails").await, 0);
}

async fn flow_settings_switch_flows_and_refuse_nonsense(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "series-settings").await;
    let bad = app
        .send_api(
            Method::PUT,
            "/api/flows/settings",
            &s,
            &json!({"weekly_cap": 0, "win_back": {"lapse_days": 45}}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.expect("json");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(fields, ["weekly_cap", "win_back.lapse_days"]);
    let unknown = app
        .send_api(
            Method::PUT,
            "/api/flows/settings",
            &s,
            &json!({"nope": true}),
        )
        .await;
    assert_eq!(unknown.status(), 422);
    let off = app
        .send_api(
            Method::PUT,
            "/api/flows/settings",
            &s,
            &json!({"post_purchase": {"enabled": false}, "delivery_checkin": {"enabled": false}}),
        )
        .await;
    assert_eq!(off.status(), 200);
    app.deliver(
        "orders/paid",
        &s,
        "off-paid",
        &order(9_923_001, 9_923_002, "x@example.com", Utc::now()),
    )
    .await;
    assert_eq!(
        app.count("jobs").await,
        0,
        "switched-off flows schedule nothing"
    );

    // Every flow previews in each language.
    for (lang, words) in [
        ("en", "Did everything go well?"),
        ("it", "È andato tutto bene?"),
        ("fr", "Tout s'est-il bien passé ?"),
    ] {
        let res = app
            .get_api(
                &format!("/api/flows/preview/delivery_checkin?locale={lang}&format=json"),
                &app.session_token(&s),
            )
            .await;
        assert_eq!(res.status(), 200);
        let email: Value = res.json().await.expect("json");
        assert!(
            email["text"].as_str().is_some_and(|t| t.contains(words)),
            "{lang}: {email}"
        );
    }
    let html = app
        .get_api(
            "/api/flows/preview/win_back?locale=fr",
            &app.session_token(&s),
        )
        .await;
    assert!(
        html.headers()["content-security-policy"]
            .to_str()
            .expect("csp")
            .contains("sandbox")
    );
    assert!(
        html.text()
            .await
            .expect("html")
            .contains("nous serions ravis")
    );
    assert_eq!(
        app.get_api("/api/flows/preview/nope", &app.session_token(&s))
            .await
            .status(),
        404
    );
}

async fn a_lapsed_customer_is_won_back_once(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "series-winback").await;
    let saved = app
        .send_api(
            Method::PUT,
            "/api/flows/settings",
            &s,
            &json!({"win_back": {"lapse_days": 60}}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let now = Utc::now().trunc_subsecs(0);
    // Bought 70 days ago, nothing since (the old order's own flows are long past).
    app.deliver(
        "orders/paid",
        &s,
        "wb-paid",
        &order(
            9_924_001,
            9_924_002,
            "luca@example.com",
            now - Duration::days(70),
        ),
    )
    .await;
    // Another customer bought last week: not lapsed.
    app.deliver(
        "orders/paid",
        &s,
        "wb-recent",
        &order(
            9_924_101,
            9_924_102,
            "sara@example.com",
            now - Duration::days(7),
        ),
    )
    .await;
    let clock = Arc::new(ManualClock::new(noon(now + Duration::days(1))));
    let worker = Worker::new(
        app.db.clone(),
        app.handlers(clock.clone(), None),
        clock.clone(),
    );
    drain(&worker).await;
    for round in 0..2 {
        flywheel::flows::daily::FlowJobs::run_due(&app.db, clock.now())
            .await
            .expect("flow jobs");
        drain(&worker).await;
        let winbacks: Vec<_> = emails::Entity::find()
            .filter(emails::Column::Flow.eq("win_back"))
            .all(&app.db)
            .await
            .expect("emails");
        assert_eq!(winbacks.len(), 1, "round {round}: once per lapse");
        let email = &winbacks[0];
        assert_eq!(email.to_address, "luca@example.com");
        assert!(email.subject.contains("ci manchi"), "{}", email.subject);
        let code = email
            .text
            .split_whitespace()
            .find(|w| w.starts_with("BACK-"))
            .expect("a newer customer gets a discount");
        assert!(
            app.fake
                .state
                .lock()
                .expect("fake")
                .discount_codes
                .contains_key(code)
        );
        clock.advance(Duration::days(1));
    }
    let lapse = app
        .send_api(Method::GET, "/api/flows/settings", &s, &json!(null))
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert_eq!(
        lapse["lapse"],
        json!({"days": 60, "learned": false, "repeat_customers": 0})
    );
}

async fn the_loyalty_launch_sends_its_email_to_subscribers(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "series-launch").await;
    let now = Utc::now().trunc_subsecs(0);
    app.deliver(
        "orders/paid",
        &s,
        "l-paid",
        &order(9_925_001, 9_925_002, "elena@example.com", now),
    )
    .await;
    let res = app
        .send_api(Method::POST, "/api/loyalty/launch", &s, &json!(null))
        .await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let clock = Arc::new(ManualClock::new(noon(now + Duration::days(1))));
    flywheel::flows::daily::FlowJobs::run_due(&app.db, clock.now())
        .await
        .expect("flow jobs");
    let worker = Worker::new(app.db.clone(), app.handlers(clock.clone(), None), clock);
    drain(&worker).await;
    let launch = email_of(&app, "loyalty_launch").await;
    assert!(launch.marketing && launch.locale == "it");
    assert!(launch.text.contains("punti"), "{}", launch.text);
    // The events are followed once.
    flywheel::flows::daily::FlowJobs::run_due(&app.db, Utc::now())
        .await
        .expect("flow jobs");
    assert_eq!(
        emails::Entity::find()
            .filter(emails::Column::Flow.eq("loyalty_launch"))
            .all(&app.db)
            .await
            .expect("emails")
            .len(),
        1
    );
}
