//! Make it right: a "something went wrong" answer opens a case with its
//! timers; the merchant replies (the customer gets the email), gives a
//! remedy with one click (points, store credit, a replacement, part of the
//! money back — through the fake platform), and resolves it. The contact
//! form opens cases too, within its rate limit.
use crate::helpers::{Backend, GraphqlReply, TestApp};
use crate::on_both_databases;
use chrono::{Duration, SubsecRound, Utc};
use entity::{emails, support_cases};
use flywheel::clock::ManualClock;
use flywheel::scheduler::Worker;
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::sync::Arc;

on_both_databases!(
    a_checkin_no_opens_a_case_with_its_timers,
    remedies_are_given_once_through_the_platform,
    the_contact_form_opens_cases_within_its_limit,
);

/// A paid order and its check-in email; returns the email's "no" link as a proxy path.
async fn checked_in(app: &TestApp, s: &flywheel::shopify::ShopDomain, order_id: i64) -> String {
    let now = Utc::now().trunc_subsecs(0);
    let mut order = crate::helpers::order_json(
        order_id,
        order_id + 1,
        "giulia@example.com",
        &now.to_rfc3339(),
        "paid",
    );
    order["processed_at"] = json!(now.to_rfc3339());
    order["created_at"] = json!(now.to_rfc3339());
    app.deliver("orders/paid", s, &format!("paid-{order_id}"), &order)
        .await;
    let ours = entity::orders::Entity::find()
        .filter(entity::orders::Column::ShopifyOrderId.eq(order_id))
        .one(&app.db)
        .await
        .expect("db")
        .expect("order")
        .id;
    let checkin = entity::jobs::Entity::find()
        .filter(entity::jobs::Column::IdempotencyKey.eq(format!("flow:delivery_checkin:{ours}")))
        .one(&app.db)
        .await
        .expect("db")
        .expect("check-in scheduled");
    let clock = Arc::new(ManualClock::new(checkin.run_at + Duration::minutes(1)));
    let worker = Worker::new(app.db.clone(), app.handlers(clock.clone(), None), clock);
    while worker.run_once().await.expect("worker") > 0 {}
    let email = emails::Entity::find()
        .filter(emails::Column::IdempotencyKey.eq(format!("email:delivery_checkin:{ours}")))
        .one(&app.db)
        .await
        .expect("db")
        .expect("check-in email");
    email
        .text
        .split_whitespace()
        .filter_map(|w| {
            w.find("/apps/flywheel/feedback?")
                .map(|i| &w[i + "/apps/flywheel".len()..])
        })
        .find(|l| l.contains("a=no&"))
        .expect("the no link")
        .to_owned()
}

/// Posts the check-in form the "no" page shows.
async fn report_problem(
    app: &TestApp,
    s: &flywheel::shopify::ShopDomain,
    no_link: &str,
    message: &str,
) -> reqwest::Response {
    let token = no_link
        .split("t=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("token")
        .to_owned();
    let url = app.proxy_url("/feedback?locale=it", s, None, crate::helpers::now());
    app.client
        .post(url)
        .form(&[
            ("t", token.as_str()),
            ("q", "checkin"),
            ("category", "damaged"),
            ("message", message),
        ])
        .send()
        .await
        .expect("post")
}

async fn cases(app: &TestApp, s: &flywheel::shopify::ShopDomain) -> Value {
    app.send_api(Method::GET, "/api/support/cases", s, &json!(null))
        .await
        .json()
        .await
        .expect("json")
}

async fn a_checkin_no_opens_a_case_with_its_timers(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "case-checkin").await;
    let no = checked_in(&app, &s, 9_930_001).await;
    // The "no" link shows the form; it opens nothing by itself (link scanners click too).
    let page = app.proxy_get(&no, &s, None, crate::helpers::now()).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("Cosa è andato storto?") && html.contains("entro 2 ore"),
        "{html}"
    );
    assert_eq!(app.count("support_cases").await, 0);
    let empty = report_problem(&app, &s, &no, "  ").await;
    assert_eq!(empty.status(), 422);
    let sent = report_problem(&app, &s, &no, "Il tappetino è arrivato strappato.").await;
    assert_eq!(sent.status(), 200);
    assert!(
        sent.text()
            .await
            .expect("html")
            .contains("rispondiamo entro 2 ore")
    );
    // The same form sent twice is one case.
    report_problem(&app, &s, &no, "Il tappetino è arrivato strappato.").await;

    let listed = cases(&app, &s).await;
    let all = listed["cases"].as_array().expect("cases");
    assert_eq!(all.len(), 1);
    let case = &all[0];
    assert_eq!(
        (
            case["source"].as_str(),
            case["category"].as_str(),
            case["status"].as_str()
        ),
        (Some("checkin"), Some("damaged"), Some("open"))
    );
    assert_eq!(case["suggested_severity"], "major");
    assert_eq!(case["customer_email"], "giulia@example.com");
    let opened = chrono::DateTime::parse_from_rfc3339(case["opened_at"].as_str().expect("opened"))
        .expect("date");
    let due =
        chrono::DateTime::parse_from_rfc3339(case["first_reply"]["due"].as_str().expect("due"))
            .expect("date");
    let resolve =
        chrono::DateTime::parse_from_rfc3339(case["resolution"]["due"].as_str().expect("due"))
            .expect("date");
    assert_eq!(
        (due - opened, resolve - opened),
        (Duration::hours(2), Duration::hours(24))
    );
    assert_eq!(case["breached"], false);
    assert!(
        case["first_reply"]["minutes_left"]
            .as_i64()
            .is_some_and(|m| (118..=120).contains(&m))
    );
    let answers = app.count("survey_responses").await;
    assert_eq!(answers, 1, "the check-in answer is recorded as 'no'");

    // Three hours without a reply: the first-reply standard is breached.
    let id = case["id"].as_i64().expect("id");
    support_cases::Entity::update_many()
        .col_expr(
            support_cases::Column::OpenedAt,
            Expr::value(Utc::now() - Duration::hours(3)),
        )
        .col_expr(
            support_cases::Column::FirstReplyDue,
            Expr::value(Utc::now() - Duration::hours(1)),
        )
        .filter(support_cases::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("age the case");
    let late = cases(&app, &s).await;
    assert_eq!(late["cases"][0]["first_reply"]["breached"], true);
    assert_eq!(late["counts"]["first_reply_breached"], 1);

    // The reply goes to the customer in Italian and stops the first timer (late, still flagged).
    let reply = app
        .send_api(
            Method::POST,
            &format!("/api/support/cases/{id}/reply"),
            &s,
            &json!({"body": "Ci dispiace! Ne spediamo uno nuovo oggi."}),
        )
        .await;
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().await.expect("json");
    assert_eq!(body["case"]["status"], "answered");
    assert!(body["case"]["first_reply"]["met_at"].is_string());
    let email = emails::Entity::find()
        .filter(emails::Column::Flow.eq("support_reply"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("reply email");
    assert_eq!(
        (
            email.locale.as_str(),
            email.to_address.as_str(),
            email.marketing
        ),
        ("it", "giulia@example.com", false)
    );
    assert!(
        email.text.contains("Ne spediamo uno nuovo oggi")
            && email.subject.contains(&format!("n. {id}")),
        "{}",
        email.subject
    );

    let resolved = app
        .send_api(
            Method::POST,
            &format!("/api/support/cases/{id}/resolve"),
            &s,
            &json!(null),
        )
        .await;
    assert_eq!(resolved.status(), 200);
    let again = app
        .send_api(
            Method::POST,
            &format!("/api/support/cases/{id}/reply"),
            &s,
            &json!({"body": "x"}),
        )
        .await;
    assert_eq!(again.status(), 409);
    // Another shop cannot see it.
    let other = crate::helpers::shop("case-checkin-other");
    app.install(&other).await;
    assert_eq!(
        app.send_api(
            Method::GET,
            &format!("/api/support/cases/{id}"),
            &other,
            &json!(null)
        )
        .await
        .status(),
        404
    );
}

async fn remedies_are_given_once_through_the_platform(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "case-remedy").await;
    let no = checked_in(&app, &s, 9_931_001).await;
    report_problem(&app, &s, &no, "Manca la cinghia.").await;
    let id = cases(&app, &s).await["cases"][0]["id"]
        .as_i64()
        .expect("id");
    let give = |kind: &'static str| {
        let app = &app;
        let s = &s;
        async move {
            app.send_api(
                Method::POST,
                &format!("/api/support/cases/{id}/remedies"),
                s,
                &json!({"kind": kind}),
            )
            .await
        }
    };
    // Judged major: the menu is replacement or partial refund.
    let judged = app
        .send_api(
            Method::POST,
            &format!("/api/support/cases/{id}/severity"),
            &s,
            &json!({"severity": "major"}),
        )
        .await;
    let menu: Vec<String> = judged.json::<Value>().await.expect("json")["case"]["menu"]
        .as_array()
        .expect("menu")
        .iter()
        .filter_map(|r| r["kind"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(menu, ["replacement", "partial_refund"]);
    assert_eq!(
        give("points").await.status(),
        422,
        "not on the menu for a major issue"
    );

    // The platform fails: recorded, nothing lost, and it can be tried again.
    app.fake.script([
        GraphqlReply::Status(500),
        GraphqlReply::Status(500),
        GraphqlReply::Status(500),
        GraphqlReply::Status(500),
    ]);
    let failed = give("partial_refund").await;
    assert_eq!(failed.status(), 502);
    let detail: Value = app
        .send_api(
            Method::GET,
            &format!("/api/support/cases/{id}"),
            &s,
            &json!(null),
        )
        .await
        .json()
        .await
        .expect("json");
    let attempt = detail["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["kind"] == "remedy")
        .expect("attempt")
        .clone();
    assert_eq!(attempt["status"], "failed");
    assert!(attempt["data"]["error"].is_string());
    assert!(app.fake.state.lock().expect("fake").refunds.is_empty());
    let refunded = give("partial_refund").await;
    assert_eq!(refunded.status(), 200, "{:?}", refunded.text().await);
    {
        let fake = app.fake.state.lock().expect("fake");
        assert_eq!(fake.refunds.len(), 1);
        let tx = &fake.refunds[0]["transactions"][0];
        // 30% of 64.70, against the captured payment.
        assert_eq!(
            (
                tx["amount"].as_str(),
                tx["kind"].as_str(),
                tx["parentId"].as_str()
            ),
            (
                Some("19.41"),
                Some("REFUND"),
                Some("gid://shopify/OrderTransaction/9002")
            )
        );
        assert_eq!(fake.refunds[0]["orderId"], "gid://shopify/Order/9931001");
    }
    assert_eq!(give("partial_refund").await.status(), 409, "once per case");

    let replaced = give("replacement").await;
    assert_eq!(replaced.status(), 200);
    {
        let fake = app.fake.state.lock().expect("fake");
        assert_eq!(fake.draft_orders.len(), 1);
        let draft = &fake.draft_orders[0];
        assert_eq!(draft["appliedDiscount"]["value"], 100.0);
        assert_eq!(
            draft["lineItems"][0]["variantId"],
            "gid://shopify/ProductVariant/9007199254740995"
        );
        assert_eq!(
            draft["purchasingEntity"]["customerId"],
            "gid://shopify/Customer/9931002"
        );
        assert_eq!(fake.completed_drafts.len(), 1);
    }
    // Each remedy told the customer what was done.
    let told: Vec<String> = emails::Entity::find()
        .filter(emails::Column::Flow.eq("support_reply"))
        .all(&app.db)
        .await
        .expect("db")
        .into_iter()
        .map(|e| e.text)
        .collect();
    assert_eq!(told.len(), 2);
    assert!(told.iter().any(|t| t.contains("19.41 EUR")), "{told:?}");

    // A minor case elsewhere: points through the ledger, store credit as a real code.
    let (app2, s2) = (app, s);
    let no = checked_in(&app2, &s2, 9_931_101).await;
    report_problem(&app2, &s2, &no, "È arrivato un giorno dopo.").await;
    let listed = cases(&app2, &s2).await;
    let minor = listed["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["order_id"] != detail["case"]["order_id"])
        .expect("the new case")["id"]
        .as_i64()
        .expect("id");
    app2.send_api(
        Method::POST,
        &format!("/api/support/cases/{minor}/severity"),
        &s2,
        &json!({"severity": "minor"}),
    )
    .await;
    let points = app2
        .send_api(
            Method::POST,
            &format!("/api/support/cases/{minor}/remedies"),
            &s2,
            &json!({"kind": "points"}),
        )
        .await;
    assert_eq!(points.status(), 200);
    let loyalty: Value = app2
        .get_api("/api/customers/9931102/loyalty", &app2.session_token(&s2))
        .await
        .json()
        .await
        .expect("json");
    assert!(
        loyalty["points_balance"].as_i64().is_some_and(|p| p >= 200),
        "{loyalty}"
    );
    let credit = app2
        .send_api(
            Method::POST,
            &format!("/api/support/cases/{minor}/remedies"),
            &s2,
            &json!({"kind": "store_credit"}),
        )
        .await;
    assert_eq!(credit.status(), 200);
    let code = {
        let fake = app2.fake.state.lock().expect("fake");
        let (code, input) = fake
            .discount_codes
            .iter()
            .find(|(c, _)| c.starts_with("SORRY-"))
            .expect("credit code");
        assert_eq!(
            input["customerGets"]["value"]["discountAmount"]["amount"],
            "5.00"
        );
        code.clone()
    };
    let emails_with_code = emails::Entity::find()
        .filter(emails::Column::Flow.eq("support_reply"))
        .all(&app2.db)
        .await
        .expect("db");
    assert!(
        emails_with_code.iter().any(|e| e.text.contains(&code)),
        "the customer receives the code"
    );
}

async fn the_contact_form_opens_cases_within_its_limit(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "case-contact").await;
    let now = Utc::now().trunc_subsecs(0);
    let mut order = crate::helpers::order_json(
        9_932_001,
        9_932_002,
        "giulia@example.com",
        &now.to_rfc3339(),
        "paid",
    );
    order["name"] = json!("#2044");
    app.deliver("orders/paid", &s, "contact-paid", &order).await;
    let post = |message: String, email: &'static str| {
        let url = app.proxy_url("/support?locale=fr", &s, None, crate::helpers::now());
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .form(&[
                    ("name", "Giulia Verdi"),
                    ("email", email),
                    ("order", "2044"),
                    ("message", message.as_str()),
                ])
                .send()
                .await
                .expect("post")
        }
    };
    let first = post("Où en est ma commande ?".into(), "giulia@example.com").await;
    assert_eq!(first.status(), 200);
    assert!(
        first
            .text()
            .await
            .expect("html")
            .contains("nous répondons sous 2 heures")
    );
    let listed = cases(&app, &s).await;
    let case = &listed["cases"][0];
    assert_eq!(
        (case["source"].as_str(), case["locale"].as_str()),
        (Some("contact"), Some("fr"))
    );
    assert!(
        case["order_id"].is_i64(),
        "the order is found by its number and address"
    );
    assert!(case["customer_id"].is_i64());
    assert_eq!(post("x".into(), "not-an-address").await.status(), 422);
    assert_eq!(
        post("deux".into(), "giulia@example.com").await.status(),
        200
    );
    assert_eq!(
        post("trois".into(), "giulia@example.com").await.status(),
        200
    );
    assert_eq!(
        post("quatre".into(), "giulia@example.com").await.status(),
        429
    );
    assert_eq!(app.count("support_cases").await, 3);
}

on_both_databases!(the_admin_pages_speak_the_merchants_language);

/// The flows and make-it-right pages render in each language, framed by the
/// admin only, with the texts their scripts need.
async fn the_admin_pages_speak_the_merchants_language(backend: Backend) {
    let (app, s) = crate::helpers::spawn_installed(backend, "admin-pages").await;
    for (lang, flows, support, returns) in [
        ("en", "Lifecycle emails", "Make it right", "Returns"),
        ("it", "Email del ciclo di vita", "Rimediamo", "Resi"),
        (
            "fr",
            "E-mails du parcours client",
            "On arrange ça",
            "Retours",
        ),
    ] {
        for (path, title) in [
            ("/app/flows", flows),
            ("/app/support", support),
            ("/app/returns", returns),
        ] {
            let res = app
                .get(&format!("{path}?{}", app.launch_query(&s, lang)))
                .await;
            assert_eq!(res.status(), 200, "{path} {lang}");
            let csp = res.headers()["content-security-policy"]
                .to_str()
                .expect("csp")
                .to_owned();
            assert!(csp.contains("frame-ancestors"), "{csp}");
            let html = res.text().await.expect("html");
            assert!(
                html.contains(&format!("<h1>{}</h1>", flywheel::web::html::escape(title))),
                "{path} {lang}"
            );
            assert!(html.contains(&format!("lang=\"{lang}\"")));
            assert!(
                !html.contains("flows.admin.") && !html.contains("support.admin."),
                "a text key leaked on {path} {lang}"
            );
        }
        let home = app
            .get(&format!("/app?{}", app.launch_query(&s, lang)))
            .await
            .text()
            .await
            .expect("html");
        assert!(
            home.contains("/app/flows?")
                && home.contains("/app/support?")
                && home.contains("/app/returns?")
        );
    }
    assert_eq!(app.get("/app/support").await.status(), 401);
}
