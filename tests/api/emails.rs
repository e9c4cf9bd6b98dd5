//! Email delivery over a real SMTP conversation: an SMTP server (mailin-embedded)
//! on a random port receives what the `email.send` job sends; headers,
//! unsubscribe and language are read off the wire. SMTP down → the job is
//! retried later and nothing is lost; no SMTP at all → the outbox keeps it.
use crate::helpers::Backend;
use crate::on_both_databases;
use crate::smtp::smtp_server;
use chrono::{Duration, SubsecRound, Utc};
use entity::emails;
use flywheel::clock::{Clock, ManualClock};
use flywheel::emails::mailer::SendHandler;
use flywheel::emails::{Mailer, Outbox, OutgoingEmail, SEND_JOB};
use flywheel::scheduler::{Registry, Worker};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::sync::Arc;

on_both_databases!(
    a_real_smtp_conversation_delivers_the_email_once,
    smtp_down_is_retried_later_and_loses_nothing,
    without_smtp_the_outbox_keeps_the_email,
);

fn email(key: &str, now: chrono::DateTime<Utc>) -> OutgoingEmail {
    OutgoingEmail {
        shop_id: 1,
        // No customer row here: consent and caps are tested with real customers below.
        customer_id: None,
        flow: "review_request".into(),
        marketing: true,
        locale: "it".into(),
        to: "giulia@example.com".into(),
        subject: "Com'è andata, Giulia?".into(),
        html: "<p>Ciao Giulia, <a href=\"https://shop/apps/flywheel/reviews/write\">lascia una recensione</a></p>".into(),
        text: "Ciao Giulia, lascia una recensione: https://shop/apps/flywheel/reviews/write".into(),
        unsubscribe_url: Some("https://app.example.com/unsubscribe/abc123".into()),
        reply_to: Some("Bottega <help@bottega.example>".into()),
        key: key.into(),
        send_at: now,
    }
}

/// Today (or tomorrow) at noon UTC: inside the send window whatever the hour
/// the suite runs, and never in the past.
fn in_the_send_window() -> chrono::DateTime<Utc> {
    let now = Utc::now().trunc_subsecs(0);
    let noon = now
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .expect("noon")
        .and_utc();
    if noon >= now {
        noon
    } else {
        noon + Duration::days(1)
    }
}

fn worker(db: &DatabaseConnection, mailer: Mailer, clock: Arc<ManualClock>) -> Worker {
    let handler = SendHandler {
        db: db.clone(),
        mailer,
        clock: clock.clone(),
    };
    Worker::new(
        db.clone(),
        Registry::default().with(SEND_JOB, handler),
        clock,
    )
}

async fn only_email(db: &DatabaseConnection) -> emails::Model {
    emails::Entity::find()
        .one(db)
        .await
        .expect("db")
        .expect("an email")
}

async fn a_real_smtp_conversation_delivers_the_email_once(backend: Backend) {
    let db = crate::helpers::migrated_database(backend).await.1;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox = smtp_server(listener);
    let now = in_the_send_window();
    let clock = Arc::new(ManualClock::new(now));
    assert!(
        Outbox::queue(&db, email("review:1001", now), now)
            .await
            .expect("queue")
            .is_some()
    );
    assert!(
        Outbox::queue(&db, email("review:1001", now), now)
            .await
            .expect("queue")
            .is_none(),
        "same key, one email"
    );
    let mailer = Mailer::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        "Flywheel <no-reply@flywheel.example>",
    )
    .expect("mailer");
    let w = worker(&db, mailer, clock.clone());
    assert_eq!(w.run_once().await.expect("run"), 1);
    let sent = only_email(&db).await;
    assert_eq!(sent.status, "sent");
    assert!(sent.sent_at.is_some());
    // Nothing more to do: the job is done; running again sends nothing.
    assert_eq!(w.run_once().await.expect("run"), 0);
    let messages = inbox.messages.lock().expect("inbox").clone();
    assert_eq!(messages.len(), 1, "delivered once");
    let raw = &messages[0];
    for header in [
        "To: giulia@example.com",
        "List-Unsubscribe: <https://app.example.com/unsubscribe/abc123>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Content-Language: it",
        "Reply-To: Bottega <help@bottega.example>",
        "no-reply@flywheel.example",
        "multipart/alternative",
        "text/plain",
        "text/html",
    ] {
        assert!(raw.contains(header), "`{header}` missing from:\n{raw}");
    }
    // The Italian subject, encoded as mail requires.
    assert!(raw.contains("Subject: "), "{raw}");
    assert!(raw.contains("Giulia"), "{raw}");
}

async fn smtp_down_is_retried_later_and_loses_nothing(backend: Backend) {
    let db = crate::helpers::migrated_database(backend).await.1;
    // A port with nobody listening.
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr").port()
    };
    let now = in_the_send_window();
    let clock = Arc::new(ManualClock::new(now));
    Outbox::queue(&db, email("winback:7", now), now)
        .await
        .expect("queue");
    let mailer = Mailer::new(
        Some(&format!("smtp://127.0.0.1:{port}")),
        "Flywheel <no-reply@flywheel.example>",
    )
    .expect("mailer");
    let w = worker(&db, mailer, clock.clone());
    assert_eq!(w.run_once().await.expect("run"), 1);
    let waiting = only_email(&db).await;
    assert_eq!(waiting.status, "queued", "not lost, not sent");
    assert!(waiting.last_error.is_some());
    let job = entity::jobs::Entity::find()
        .one(&db)
        .await
        .expect("db")
        .expect("job");
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 1));
    assert_eq!(job.run_at, now + Duration::seconds(30));
    // The server comes back on that port; after the backoff the email goes out.
    let inbox = smtp_server(std::net::TcpListener::bind(("127.0.0.1", port)).expect("rebind"));
    assert_eq!(w.run_once().await.expect("run"), 0, "not before its time");
    clock.advance(Duration::seconds(31));
    assert_eq!(w.run_once().await.expect("run"), 1);
    assert_eq!(only_email(&db).await.status, "sent");
    assert_eq!(inbox.messages.lock().expect("inbox").len(), 1);
    let _ = clock.now();
}

async fn without_smtp_the_outbox_keeps_the_email(backend: Backend) {
    let db = crate::helpers::migrated_database(backend).await.1;
    let now = in_the_send_window();
    let clock = Arc::new(ManualClock::new(now));
    Outbox::queue(&db, email("checkin:9", now), now)
        .await
        .expect("queue");
    let mailer = Mailer::new(None, "Flywheel <no-reply@flywheel.example>").expect("mailer");
    let w = worker(&db, mailer, clock);
    assert_eq!(w.run_once().await.expect("run"), 1);
    let kept = only_email(&db).await;
    assert_eq!(kept.status, "outbox");
    assert_eq!(
        kept.headers["List-Unsubscribe"],
        "<https://app.example.com/unsubscribe/abc123>"
    );
    let recent = Outbox::recent(&db, 1, 10).await.expect("recent");
    assert_eq!(recent.len(), 1);
}

on_both_databases!(unsubscribing_stops_marketing_mail_only);

async fn unsubscribing_stops_marketing_mail_only(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "unsub").await;
    let order = crate::helpers::order_json(
        8_800_001,
        8_800_002,
        "giulia@example.com",
        "2026-11-02T10:00:00Z",
        "paid",
    );
    app.deliver("orders/paid", &s, "unsub-order", &order).await;
    let customer = entity::customers::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("customer");
    let now = Utc::now();
    let mut marketing = email("winback:unsub", now);
    marketing.shop_id = customer.shop_id;
    marketing.customer_id = Some(customer.id);
    let mut transactional = email("confirmation:unsub", now);
    transactional.shop_id = customer.shop_id;
    transactional.customer_id = Some(customer.id);
    transactional.marketing = false;
    transactional.unsubscribe_url = None;
    Outbox::queue(&app.db, marketing, now).await.expect("queue");
    Outbox::queue(&app.db, transactional, now)
        .await
        .expect("queue");

    let token = flywheel::emails::unsubscribe::token(
        crate::helpers::API_SECRET.as_bytes(),
        customer.shop_id,
        customer.id,
    );
    // A person clicking the link sees one button; nothing changes yet.
    let res = app.get(&format!("/unsubscribe/{token}")).await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.expect("page");
    assert!(page.contains("<form method=\"post\">"), "{page}");
    let consent = |c: &entity::customers::Model| c.email_marketing_consent.clone();
    let before = entity::customers::Entity::find_by_id(customer.id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("c");
    assert_ne!(consent(&before), "unsubscribed");
    // The mail client's one-click POST (RFC 8058).
    let res = app
        .client
        .post(format!("{}/unsubscribe/{token}", app.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    let after = entity::customers::Entity::find_by_id(customer.id)
        .one(&app.db)
        .await
        .expect("db")
        .expect("c");
    assert_eq!(consent(&after), "unsubscribed");
    let all = emails::Entity::find().all(&app.db).await.expect("emails");
    let status_of = |flow_key: &str| {
        all.iter()
            .find(|e| e.idempotency_key == flow_key)
            .map(|e| e.status.clone())
            .expect("email")
    };
    assert_eq!(
        status_of("winback:unsub"),
        "skipped",
        "marketing mail stops"
    );
    assert_eq!(
        status_of("confirmation:unsub"),
        "queued",
        "order mail still goes"
    );
    let skipped_jobs = entity::jobs::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs");
    assert_eq!(
        skipped_jobs
            .iter()
            .filter(|j| j.status == "skipped")
            .count(),
        1
    );
    // Repeating is harmless; a forged link is refused.
    let again = app
        .client
        .post(format!("{}/unsubscribe/{token}", app.url))
        .send()
        .await
        .expect("post");
    assert_eq!(again.status(), 200);
    let forged =
        flywheel::emails::unsubscribe::token(b"not-the-secret", customer.shop_id, customer.id);
    assert_eq!(
        app.get(&format!("/unsubscribe/{forged}")).await.status(),
        404
    );
}

on_both_databases!(a_paid_order_gets_its_confirmation_in_the_customers_language);

/// From the platform's signed webhook to the SMTP server: the post-purchase
/// email, once, in Italian, with the name, the items and the promised range.
async fn a_paid_order_gets_its_confirmation_in_the_customers_language(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "flow-confirm").await;
    let placed = Utc::now().trunc_subsecs(0).to_rfc3339();
    let mut order =
        crate::helpers::order_json(9_900_001, 9_900_002, "giulia@example.com", &placed, "paid");
    // Placed just now: a confirmation for a weeks-old order would not be sent.
    order["created_at"] = serde_json::json!(placed);
    order["processed_at"] = serde_json::json!(placed);
    app.deliver("orders/paid", &s, "confirm-1", &order).await;
    app.deliver("orders/updated", &s, "confirm-2", &order).await;
    let jobs = entity::jobs::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs");
    assert_eq!(
        jobs.iter()
            .filter(|j| j.kind == "flow.post_purchase")
            .count(),
        1,
        "one flow per order"
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let inbox = smtp_server(listener);
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let registry = app.handlers(clock.clone(), Some(&format!("smtp://127.0.0.1:{port}")));
    let w = Worker::new(app.db.clone(), registry, clock);
    // The confirmation (the check-in waits for the promised date).
    assert_eq!(w.run_once().await.expect("flow"), 1);
    assert_eq!(w.run_once().await.expect("send"), 1);
    assert_eq!(w.run_once().await.expect("idle"), 0);

    let sent = only_email(&app.db).await;
    assert_eq!(sent.status, "sent");
    assert_eq!(sent.locale, "it");
    assert!(!sent.marketing, "a confirmation is transactional");
    assert_eq!(
        sent.subject,
        "Grazie, Giulia! Il tuo ordine #1001 è confermato"
    );
    assert!(sent.text.contains("Ciao Giulia,"), "{}", sent.text);
    assert!(sent.text.contains("- Cork yoga mat × 2"), "{}", sent.text);
    assert!(
        sent.text.contains("Arriva"),
        "the promised range: {}",
        sent.text
    );
    assert!(sent.html.contains("Cork yoga mat"));
    let messages = inbox.messages.lock().expect("inbox").clone();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("To: giulia@example.com")
            && messages[0].contains("Content-Language: it")
    );

    // A redaction removes the email (it holds her name and address).
    app.deliver(
        "customers/redact",
        &s,
        "confirm-redact",
        &serde_json::json!({"shop_id": 1, "shop_domain": s.as_str(),
            "customer": {"id": 9_900_002, "email": "giulia@example.com", "phone": null},
            "orders_to_redact": [9_900_001]}),
    )
    .await;
    assert_eq!(app.count("emails").await, 0);
}

on_both_databases!(a_week_after_delivery_the_review_request_carries_a_working_link);

async fn a_week_after_delivery_the_review_request_carries_a_working_link(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "flow-review").await;
    // Delivered yesterday afternoon: a week later falls inside the send window.
    let delivered = (Utc::now() - Duration::days(1))
        .date_naive()
        .and_hms_opt(15, 0, 0)
        .expect("time")
        .and_utc();
    let placed = (delivered - Duration::days(7)).to_rfc3339();
    let mut order =
        crate::helpers::order_json(9_910_001, 9_910_002, "giulia@example.com", &placed, "paid");
    order["created_at"] = serde_json::json!(placed);
    order["processed_at"] = serde_json::json!(placed);
    app.deliver("orders/paid", &s, "rr-order", &order).await;
    let fulfillment = serde_json::json!({"id": 9_910_050, "order_id": 9_910_001, "status": "success",
        "shipment_status": "delivered", "tracking_company": "Cainiao", "tracking_number": "LP7",
        "created_at": (delivered - Duration::days(5)).to_rfc3339(), "updated_at": delivered.to_rfc3339()});
    app.deliver("fulfillments/update", &s, "rr-f1", &fulfillment)
        .await;
    app.deliver("fulfillments/update", &s, "rr-f2", &fulfillment)
        .await;
    let jobs = entity::jobs::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs");
    let request = jobs
        .iter()
        .find(|j| j.kind == "flow.review_request")
        .expect("scheduled");
    assert_eq!(
        jobs.iter()
            .filter(|j| j.kind == "flow.review_request")
            .count(),
        1
    );
    assert_eq!(
        request.run_at,
        delivered + Duration::days(7),
        "a week after delivery"
    );

    let clock = Arc::new(ManualClock::new(delivered + Duration::days(6)));
    let registry = app.handlers(clock.clone(), None);
    let w = Worker::new(app.db.clone(), registry, clock.clone());
    w.run_once().await.expect("run");
    let requests = emails::Entity::find()
        .filter(emails::Column::Flow.eq("review_request"))
        .all(&app.db)
        .await
        .expect("emails");
    assert!(requests.is_empty(), "not before a week");
    clock.set(delivered + Duration::days(7) + Duration::minutes(1));
    w.run_once().await.expect("run");
    let email = emails::Entity::find()
        .all(&app.db)
        .await
        .expect("emails")
        .into_iter()
        .find(|e| e.flow == "review_request")
        .expect("the request");
    assert!(email.marketing);
    assert_eq!(email.locale, "it");
    assert_eq!(email.subject, "Giulia, come ti trovi con Cork yoga mat?");
    assert!(
        email.headers["List-Unsubscribe"]
            .as_str()
            .unwrap_or_default()
            .contains("/unsubscribe/")
    );
    assert!(
        email.text.contains("25") && email.text.contains("50"),
        "the points: {}",
        email.text
    );
    // The link in the email opens a verified review.
    let token = email
        .text
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a review link")
        .to_owned();
    let form = reqwest::multipart::Form::new()
        .text("product_id", "9007199254740993")
        .text("rating", "5")
        .text("body", "Bellissimo, spesso e comodo.")
        .text("token", token);
    let res = app.proxy_multipart("/reviews", &s, None, form).await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["verified"], true);
}

on_both_databases!(the_merchant_reads_the_outbox);

async fn the_merchant_reads_the_outbox(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "outbox-admin").await;
    let shop = entity::shops::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("shop");
    let now = Utc::now();
    let mut mail = email("outbox:1", now);
    mail.shop_id = shop.id;
    mail.html = "<p>Ciao <script>alert(1)</script></p>".into();
    let id = Outbox::queue(&app.db, mail, now)
        .await
        .expect("queue")
        .expect("new");
    let token = app.session_token(&s);
    let list: serde_json::Value = app
        .get_api("/api/emails", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["emails"][0]["subject"], "Com'è andata, Giulia?");
    assert_eq!(list["emails"][0]["status"], "queued");
    let one: serde_json::Value = app
        .get_api(&format!("/api/emails/{id}"), &token)
        .await
        .json()
        .await
        .expect("json");
    assert!(
        one["text"]
            .as_str()
            .unwrap_or_default()
            .contains("lascia una recensione")
    );
    let preview = app
        .get_api(&format!("/api/emails/{id}/preview"), &token)
        .await;
    assert_eq!(preview.status(), 200);
    assert!(
        preview.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .starts_with("sandbox")
    );
    // Another shop sees none of it.
    let other = crate::helpers::shop("outbox-admin-other");
    app.install(&other).await;
    let res = app
        .get_api(&format!("/api/emails/{id}"), &app.session_token(&other))
        .await;
    assert_eq!(res.status(), 404);
}

on_both_databases!(marketing_mail_keeps_to_the_window_the_cap_and_the_consent);

async fn marketing_mail_keeps_to_the_window_the_cap_and_the_consent(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "pacing").await;
    let order = crate::helpers::order_json(
        9_920_001,
        9_920_002,
        "giulia@example.com",
        "2026-11-02T10:00:00Z",
        "paid",
    );
    app.deliver("orders/paid", &s, "pace-order", &order).await;
    let customer = entity::customers::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("customer");
    let shop = entity::shops::Entity::find()
        .one(&app.db)
        .await
        .expect("db")
        .expect("shop");
    let tz = flywheel::clock::shop_tz(&shop.timezone);
    // Late evening in the shop's zone: marketing waits until the morning.
    let evening = in_the_send_window() + Duration::hours(10);
    let evening = flywheel::emails::pacing::next_window(evening, tz, 9, 20)
        .map(|opening| opening - Duration::hours(2))
        .unwrap_or(evening);
    let clock = Arc::new(ManualClock::new(evening));
    let queue = |key: &str| {
        let mut m = email(key, clock.now());
        m.shop_id = shop.id;
        m.customer_id = Some(customer.id);
        m
    };
    for key in ["m1", "m2", "m3"] {
        Outbox::queue(&app.db, queue(key), clock.now())
            .await
            .expect("queue");
    }
    let w = worker(
        &app.db,
        Mailer::new(None, "Flywheel <no-reply@flywheel.example>").expect("mailer"),
        clock.clone(),
    );
    w.run_once().await.expect("run");
    let statuses = |all: &[emails::Model]| all.iter().map(|e| e.status.clone()).collect::<Vec<_>>();
    let all = emails::Entity::find().all(&app.db).await.expect("emails");
    assert!(
        statuses(&all).iter().all(|s| s == "queued"),
        "held until the window opens"
    );
    let job = entity::jobs::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs");
    let email_jobs: Vec<_> = job.iter().filter(|j| j.kind == SEND_JOB).collect();
    assert!(
        email_jobs
            .iter()
            .all(|j| j.attempts == 0 && j.run_at > evening),
        "deferred, not failed"
    );
    // In the window: two go out, the third waits for the weekly cap.
    let opening = email_jobs.iter().map(|j| j.run_at).min().expect("run_at");
    clock.set(opening + Duration::minutes(1));
    while w.run_once().await.expect("run") > 0 {}
    let all = emails::Entity::find().all(&app.db).await.expect("emails");
    assert_eq!(statuses(&all).iter().filter(|s| *s == "outbox").count(), 2);
    assert_eq!(
        statuses(&all).iter().filter(|s| *s == "queued").count(),
        1,
        "capped at two a week"
    );
    // A week later the third goes — unless the consent is withdrawn by then.
    entity::customers::Entity::update_many()
        .col_expr(
            entity::customers::Column::EmailMarketingConsent,
            sea_orm::sea_query::Expr::value("unsubscribed"),
        )
        .exec(&app.db)
        .await
        .expect("withdraw");
    clock.advance(Duration::days(7) + Duration::hours(1));
    let capped = entity::jobs::Entity::find()
        .all(&app.db)
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.status == "queued")
        .map(|j| j.run_at)
        .min()
        .expect("the capped job");
    if clock.now() < capped {
        clock.set(capped + Duration::minutes(1));
    }
    if let Some(open) = flywheel::emails::pacing::next_window(clock.now(), tz, 9, 20) {
        clock.set(open + Duration::minutes(1));
    }
    while w.run_once().await.expect("run") > 0 {}
    let all = emails::Entity::find().all(&app.db).await.expect("emails");
    assert_eq!(
        statuses(&all).iter().filter(|s| *s == "skipped").count(),
        1,
        "consent withdrawn: not sent"
    );
}
