//! The retention dashboard's API: the figures against an independent plain
//! SQL count on a generated shop, the period and settings checks, the
//! cohorts, segments and CSV exports.
use crate::helpers::*;
use crate::on_both_databases;
use chrono::{Datelike, TimeZone, Utc};
use flywheel::commerce::import::import_jsonl;
use flywheel::metrics::Month;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, Value};
use serde_json::json;

on_both_databases!(figures_agree_with_plain_sql_on_a_generated_shop);
on_both_databases!(the_api_checks_its_input_and_exports_csv);

/// One number from SQL written for this test alone (`?` → `$n` on PostgreSQL).
async fn scalar(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> i64 {
    let backend = db.get_database_backend();
    let mut text = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' && backend == DatabaseBackend::Postgres {
            n += 1;
            text.push_str(&format!("${n}"));
        } else {
            text.push(c);
        }
    }
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, text, values))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

async fn figures_agree_with_plain_sql_on_a_generated_shop(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "generated").await;
    let id = app.shop_id().await;
    let now = Utc::now();
    let mut jsonl = Vec::new();
    let written =
        flywheel::demo::history::write_jsonl(&mut jsonl, 150, 900, 14, now, 42).expect("generate");
    let report = import_jsonl(&app.db, id, "EUR", jsonl.as_slice(), now, |_, _| {})
        .await
        .expect("import");
    assert_eq!(report.orders, written.orders);

    // The shop is in Rome: its months start at local midnight.
    let rome: chrono_tz::Tz = "Europe/Rome".parse().expect("zone");
    let today = now.with_timezone(&rome).date_naive();
    let first = Month::of_date(today).first_day() - chrono::Months::new(11);
    let start = Month::of_date(first).start_utc(rome);
    let end = flywheel::flows::rules::local_time(today.succ_opt().expect("tomorrow"), 0, rome);
    let token = app.session_token(&shop);
    let m: serde_json::Value = app
        .get_api(&format!("/api/metrics?from={first}&to={today}"), &token)
        .await
        .json()
        .await
        .expect("json");

    let counted = "o.shop_id = ? AND o.customer_id IS NOT NULL AND o.cancelled_at IS NULL \
        AND o.financial_status IN ('paid', 'partially_refunded') AND o.processed_at IS NOT NULL";
    let span = |v: Vec<Value>| -> Vec<Value> {
        let mut all = vec![Value::from(id)];
        all.extend(v);
        all
    };
    let orders = scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM orders o WHERE {counted} AND o.processed_at >= ? AND o.processed_at < ?"),
        span(vec![start.into(), end.into()]),
    )
    .await;
    let revenue = scalar(
        &app.db,
        &format!(
            "SELECT CAST(COALESCE(SUM(o.total_minor - COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.order_id = o.id), 0)), 0) AS BIGINT) \
             FROM orders o WHERE {counted} AND o.processed_at >= ? AND o.processed_at < ?"
        ),
        span(vec![start.into(), end.into()]),
    )
    .await;
    let customers = scalar(
        &app.db,
        &format!("SELECT COUNT(DISTINCT o.customer_id) FROM orders o WHERE {counted} AND o.processed_at >= ? AND o.processed_at < ?"),
        span(vec![start.into(), end.into()]),
    )
    .await;
    let repeat = scalar(
        &app.db,
        &format!(
            "SELECT COUNT(DISTINCT o.customer_id) FROM orders o WHERE {counted} AND o.processed_at >= ? AND o.processed_at < ? \
             AND EXISTS (SELECT 1 FROM orders p WHERE p.customer_id = o.customer_id AND p.shop_id = o.shop_id \
               AND p.cancelled_at IS NULL AND p.financial_status IN ('paid', 'partially_refunded') AND p.processed_at < o.processed_at)"
        ),
        span(vec![start.into(), end.into()]),
    )
    .await;
    let new = scalar(
        &app.db,
        &format!(
            "SELECT COUNT(*) FROM (SELECT o.customer_id, MIN(o.processed_at) AS first FROM orders o WHERE {counted} GROUP BY o.customer_id) f \
             WHERE f.first >= ? AND f.first < ?"
        ),
        span(vec![start.into(), end.into()]),
    )
    .await;
    assert!(
        orders > 300 && repeat > 10,
        "a shop worth measuring: {orders} orders, {repeat} repeat"
    );
    assert_eq!(m["orders"], orders);
    assert_eq!(m["revenue"]["minor"], revenue);
    assert_eq!(m["customers"], customers);
    assert_eq!(m["repeat_customers"], repeat);
    assert_eq!(m["new_customers"], new);
    let rpr = m["repeat_purchase_rate"].as_f64().expect("rpr");
    assert!((rpr - repeat as f64 / customers as f64).abs() < 1e-9);
    assert_eq!(
        m["aov"]["minor"],
        (revenue as f64 / orders as f64).round() as i64
    );
    // LTV = AOV × orders per customer × the default 30% margin.
    let ltv = revenue as f64 / orders as f64 * (orders as f64 / customers as f64) * 0.3;
    assert_eq!(m["ltv"]["minor"], ltv.round() as i64);

    // A cohort, counted month by month in the shop's zone.
    let cohort = m["cohorts"]
        .as_array()
        .expect("cohorts")
        .iter()
        .find(|c| c["retention"].as_array().is_some_and(|r| r.len() >= 3))
        .expect("a cohort three months old")
        .clone();
    let month = Month::parse(cohort["month"].as_str().expect("month")).expect("month key");
    let (m0, m1, m2) = (
        month.start_utc(rome),
        month.next().start_utc(rome),
        month.next().next().start_utc(rome),
    );
    let firsts = format!(
        "(SELECT o.customer_id, MIN(o.processed_at) AS first FROM orders o WHERE {counted} GROUP BY o.customer_id)"
    );
    let size = scalar(
        &app.db,
        &format!("SELECT COUNT(*) FROM {firsts} f WHERE f.first >= ? AND f.first < ?"),
        span(vec![m0.into(), m1.into()]),
    )
    .await;
    let returning = scalar(
        &app.db,
        &format!(
            "SELECT COUNT(DISTINCT o.customer_id) FROM orders o JOIN {firsts} f ON f.customer_id = o.customer_id \
             WHERE o.shop_id = ? AND o.cancelled_at IS NULL AND o.financial_status IN ('paid', 'partially_refunded') \
             AND f.first >= ? AND f.first < ? AND o.processed_at >= ? AND o.processed_at < ?"
        ),
        vec![id.into(), id.into(), m0.into(), m1.into(), m1.into(), m2.into()],
    )
    .await;
    assert_eq!(cohort["customers"], size);
    assert_eq!(cohort["retention"][1]["customers"], returning);

    // Every month is there, the latest last, in the shop's calendar.
    let months = m["months"].as_array().expect("months");
    assert_eq!(months.len(), 12);
    assert_eq!(
        months[11]["month"],
        format!("{:04}-{:02}", today.year(), today.month())
    );
    let monthly_orders: i64 = months
        .iter()
        .map(|x| x["orders"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(monthly_orders, orders);
    // The product first bought by the most new customers, and how many came back.
    let top = &m["products"][0];
    let product = top["product_id"].as_i64().expect("a product");
    let ranked = format!(
        "(SELECT o.id, o.customer_id, o.processed_at, \
           ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY o.processed_at, o.id) AS rn, \
           COUNT(*) OVER (PARTITION BY o.customer_id) AS n \
         FROM orders o WHERE {counted} AND o.processed_at < ?) r"
    );
    let buyers = scalar(
        &app.db,
        &format!(
            "SELECT COUNT(DISTINCT r.customer_id) FROM {ranked} JOIN order_line_items li ON li.order_id = r.id \
             WHERE r.rn = 1 AND r.processed_at >= ? AND li.product_id = ?"
        ),
        vec![id.into(), end.into(), start.into(), product.into()],
    )
    .await;
    let returned = scalar(
        &app.db,
        &format!(
            "SELECT COUNT(DISTINCT r.customer_id) FROM {ranked} JOIN order_line_items li ON li.order_id = r.id \
             WHERE r.rn = 1 AND r.n >= 2 AND r.processed_at >= ? AND li.product_id = ?"
        ),
        vec![id.into(), end.into(), start.into(), product.into()],
    )
    .await;
    assert_eq!(
        (top["customers"].as_i64(), top["repeat_customers"].as_i64()),
        (Some(buyers), Some(returned))
    );

    // Segments cover every customer with an order.
    let everyone = scalar(
        &app.db,
        &format!("SELECT COUNT(DISTINCT o.customer_id) FROM orders o WHERE {counted} AND o.processed_at < ?"),
        span(vec![end.into()]),
    )
    .await;
    let segmented: i64 = m["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .map(|s| s["customers"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(segmented, everyone);
}

/// Ada's order `id` placed at `at`.
fn placed(id: i64, at: chrono::DateTime<Utc>, status: &str) -> serde_json::Value {
    let mut o = order_json(id, 8001, "ada@example.com", &at.to_rfc3339(), status);
    o["created_at"] = json!(at.to_rfc3339());
    o["processed_at"] = json!(at.to_rfc3339());
    o["customer"]["updated_at"] = json!(at.to_rfc3339());
    o
}

async fn the_api_checks_its_input_and_exports_csv(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "metricsapi").await;
    let token = app.session_token(&shop);
    // One customer: a paid order in January, a cancelled one and a voided one that never count.
    let jan = Utc.with_ymd_and_hms(2026, 1, 10, 10, 0, 0).unwrap();
    app.deliver("orders/paid", &shop, "m-1", &placed(7001, jan, "paid"))
        .await;
    let mut cancelled = placed(7002, jan + chrono::Duration::days(20), "paid");
    cancelled["cancelled_at"] = json!((jan + chrono::Duration::days(21)).to_rfc3339());
    app.deliver("orders/updated", &shop, "m-2", &cancelled)
        .await;
    let voided = placed(7003, jan + chrono::Duration::days(25), "voided");
    app.deliver("orders/updated", &shop, "m-3", &voided).await;

    let m: serde_json::Value = app
        .get_api("/api/metrics?from=2026-01-01&to=2026-03-31", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (m["orders"].as_i64(), m["customers"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        m["repeat_customers"], 0,
        "cancelled and voided orders are no second order"
    );
    assert_eq!(m["months"].as_array().map(Vec::len), Some(3));
    assert_eq!(m["ltv_cac_target"], 3.0);
    assert!(m["cac"]["minor"].is_null(), "no spend entered yet");

    for (query, why) in [
        ("from=2026-13-01", "not a date"),
        ("from=2026-03-01&to=2026-01-01", "after"),
        ("from=2019-01-01&to=2026-01-01", "at most"),
    ] {
        let res = app.get_api(&format!("/api/metrics?{query}"), &token).await;
        assert_eq!(res.status(), 400, "{query}");
        let body: serde_json::Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_period");
        assert!(
            body["message"].as_str().unwrap_or_default().contains(why),
            "{body}"
        );
    }
    assert_eq!(
        app.get("/api/metrics").await.status(),
        401,
        "no session token"
    );

    // The merchant's inputs: checked, then used.
    let bad = app
        .send_api(
            reqwest::Method::PUT,
            "/api/metrics/settings",
            &shop,
            &json!({"default_margin_percent": 150}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.expect("json");
    assert_eq!(body["fields"][0]["field"], "default_margin_percent");
    let good = app
        .send_api(
            reqwest::Method::PUT,
            "/api/metrics/settings",
            &shop,
            &json!({"default_margin_percent": 50, "acquisition_spend": {"2026-01": 2500},
                "sales": [{"name": "Saldi", "from": "2026-01-05", "to": "2026-01-15"}]}),
        )
        .await;
    assert_eq!(good.status(), 200);
    // The dashboard asked for a moment ago is computed again with the new inputs.
    let again: serde_json::Value = app
        .get_api("/api/metrics?from=2026-01-01&to=2026-03-31", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["gross_margin"], 0.5,
        "saved inputs are not hidden by a cached dashboard"
    );
    let m: serde_json::Value = app
        .get_api("/api/metrics?from=2026-01-01&to=2026-01-31", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(m["gross_margin"], 0.5);
    assert_eq!(m["acquisition_spend"]["minor"], 2500);
    assert_eq!(m["cac"]["minor"], 2500, "one new customer");
    assert_eq!(
        m["channels"]["sales"][0]["customers"], 1,
        "joined during the sale"
    );

    let cohorts: serde_json::Value = app
        .get_api("/api/cohorts?from=2026-01-01&to=2026-03-31", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(cohorts["cohorts"][0]["month"], "2026-01");
    assert_eq!(cohorts["cohorts"][0]["customers"], 1);
    let segments: serde_json::Value = app
        .get_api(
            "/api/segments?from=2026-01-01&to=2026-03-31&locale=it",
            &token,
        )
        .await
        .json()
        .await
        .expect("json");
    let keys: Vec<&str> = segments["segments"]
        .as_array()
        .expect("segments")
        .iter()
        .filter_map(|s| s["key"].as_str())
        .collect();
    assert_eq!(keys, ["vip", "loyal", "new", "active", "lapsed"]);
    assert!(
        segments["segments"][4]["rule"]
            .as_str()
            .unwrap_or_default()
            .contains("giorni"),
        "{segments}"
    );

    let csv = app
        .get_api(
            "/api/metrics/export/customers.csv?from=2026-01-01&to=2026-03-31&locale=fr",
            &token,
        )
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap_or_default()
            .contains("flywheel-customers-2026-01-01-2026-03-31.csv")
    );
    let text = csv.text().await.expect("csv");
    assert!(text.starts_with("Id client,E-mail,Nom,Commandes"), "{text}");
    assert!(text.contains("ada@example.com"), "{text}");
    for table in flywheel::metrics::export::TABLES {
        let res = app
            .get_api(&format!("/api/metrics/export/{table}"), &token)
            .await;
        assert_eq!(res.status(), 200, "{table}");
    }
    assert_eq!(
        app.get_api("/api/metrics/export/passwords", &token)
            .await
            .status(),
        404
    );
}
