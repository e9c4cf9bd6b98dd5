//! Backfill of a shop's history: a Bulk Operations JSONL result, the
//! platform's CSV exports, the `flywheel import` command, and the import
//! that runs through Bulk Operations when a shop installs.
use crate::helpers::*;
use crate::on_both_databases;
use entity::{customers, history_imports, order_line_items, orders, refunds};
use flywheel::commerce::import::{import_csv, import_jsonl};
use sea_orm::{EntityTrait, PaginatorTrait};

on_both_databases!(bulk_jsonl_backfills_and_can_run_twice);
on_both_databases!(csv_exports_backfill_and_can_run_twice);
on_both_databases!(an_orders_export_before_the_customers_export_still_makes_one_customer);
on_both_databases!(install_imports_history_through_bulk_operations);
on_both_databases!(import_command_reads_a_file_with_progress);

async fn n<E: EntityTrait>(db: &sea_orm::DatabaseConnection) -> u64
where
    E::Model: Sync,
{
    E::find().count(db).await.expect("count")
}

fn no_progress(_: &flywheel::commerce::import::ImportReport, _: usize) {}

const JSONL: &str = r##"{"id":"gid://shopify/Customer/9007199254740993","email":"anna@example.com","firstName":"Anna","lastName":"Neri","createdAt":"2025-12-01T10:00:00Z","updatedAt":"2025-12-01T10:00:00Z","emailMarketingConsent":{"marketingState":"SUBSCRIBED"}}
{"id":"gid://shopify/Order/9007199254740995","name":"#1001","email":"anna@example.com","currencyCode":"EUR","createdAt":"2025-12-02T10:00:00Z","updatedAt":"2025-12-02T11:00:00Z","processedAt":"2025-12-02T10:00:00Z","cancelledAt":null,"displayFinancialStatus":"PAID","subtotalPriceSet":{"shopMoney":{"amount":"49.80","currencyCode":"EUR"}},"totalPriceSet":{"shopMoney":{"amount":"54.70","currencyCode":"EUR"}},"totalDiscountsSet":{"shopMoney":{"amount":"0.0","currencyCode":"EUR"}},"customer":{"id":"gid://shopify/Customer/9007199254740993","email":"anna@example.com","firstName":"Anna","lastName":"Neri"},"shippingAddress":{"name":"Anna Neri","address1":"Via Po 1","city":"Torino","zip":"10124","countryCodeV2":"IT"}}
{"id":"gid://shopify/LineItem/1","title":"Cork yoga mat","quantity":1,"product":{"id":"gid://shopify/Product/7"},"variant":{"id":"gid://shopify/ProductVariant/71"},"originalUnitPriceSet":{"shopMoney":{"amount":"29.90"}},"__parentId":"gid://shopify/Order/9007199254740995"}
{"id":"gid://shopify/LineItem/2","title":"Pet hair remover","quantity":1,"product":{"id":"gid://shopify/Product/8"},"variant":null,"originalUnitPriceSet":{"shopMoney":{"amount":"19.90"}},"__parentId":"gid://shopify/Order/9007199254740995"}
{"id":"gid://shopify/Order/9007199254740997","name":"#1002","email":"anna@example.com","currencyCode":"EUR","createdAt":"2026-02-02T10:00:00Z","updatedAt":"2026-02-02T10:00:00Z","processedAt":"2026-02-02T10:00:00Z","displayFinancialStatus":"PARTIALLY_REFUNDED","subtotalPriceSet":{"shopMoney":{"amount":"29.90","currencyCode":"EUR"}},"totalPriceSet":{"shopMoney":{"amount":"34.80","currencyCode":"EUR"}},"discountCodes":["WELCOME10"],"customerJourneySummary":{"firstVisit":{"landingPage":"https://shop.example/?utm_source=tiktok","referrerUrl":"https://www.tiktok.com/"}},"refunds":[{"id":"gid://shopify/Refund/77","createdAt":"2026-02-05T10:00:00Z","totalRefundedSet":{"shopMoney":{"amount":"10.00"}}}],"customer":{"id":"gid://shopify/Customer/9007199254740993"}}
{"id":"gid://shopify/LineItem/3","title":"Cork yoga mat","variantTitle":"Blue","quantity":1,"product":{"id":"gid://shopify/Product/7"},"variant":{"id":"gid://shopify/ProductVariant/72"},"originalUnitPriceSet":{"shopMoney":{"amount":"29.90"}},"__parentId":"gid://shopify/Order/9007199254740997"}
"##;

async fn bulk_jsonl_backfills_and_can_run_twice(backend: Backend) {
    let (app, shop) = spawn_installed(backend, "history").await;
    let shop_id = app.shop_id().await;
    let mut after_first = Vec::new();
    for run in 0..2 {
        let report = import_jsonl(
            &app.db,
            shop_id,
            "EUR",
            JSONL.as_bytes(),
            chrono::Utc::now(),
            no_progress,
        )
        .await
        .expect("import");
        assert_eq!(
            (report.customers, report.orders, report.line_items),
            (1, 2, 3)
        );
        if run == 0 {
            after_first = app.all_rows().await;
        } else {
            assert_eq!(
                app.all_rows().await,
                after_first,
                "a second run changes nothing"
            );
        }
    }
    let refund = refunds::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("the order's refund");
    assert_eq!((refund.shopify_refund_id, refund.amount_minor), (77, 1000));
    assert!(refund.order_id.is_some(), "linked to its order");
    let second = orders::Entity::find()
        .all(&app.db)
        .await
        .expect("orders")
        .into_iter()
        .find(|o| o.name == "#1002")
        .expect("#1002");
    assert_eq!(second.discount_codes, "WELCOME10");
    assert_eq!(
        second.landing_site.as_deref(),
        Some("https://shop.example/?utm_source=tiktok")
    );
    assert_eq!(
        customers::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        orders::Entity::find().count(&app.db).await.expect("count"),
        2
    );
    assert_eq!(
        order_line_items::Entity::find()
            .count(&app.db)
            .await
            .expect("count"),
        3
    );
    let customer = customers::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("customer");
    assert_eq!(customer.shopify_customer_id, 9_007_199_254_740_993);
    assert_eq!(customer.email_marketing_consent, "subscribed");
    let view: serde_json::Value = app
        .get_api("/api/customers/9007199254740993", &app.session_token(&shop))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(view["orders_count"], 2);
    assert_eq!(view["orders"][0]["total_minor"], 5470);
    assert_eq!(view["orders"][1]["financial_status"], "partially_refunded");

    let broken = "{\"id\":\"gid://shopify/LineItem/3\",\"quantity\":1,\"__parentId\":\"gid://shopify/Order/1\"}\n";
    let err = import_jsonl(
        &app.db,
        shop_id,
        "EUR",
        broken.as_bytes(),
        chrono::Utc::now(),
        no_progress,
    )
    .await
    .expect_err("orphan line");
    assert!(err.to_string().contains("line 1"), "{err}");
}

const CUSTOMERS_CSV: &str = "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address City,Default Address Country Code,Phone,Total Spent,Total Orders,Tags\n\
'7012345678,Marta,Bianchi,Marta@Example.com,yes,Milano,IT,,120.00,2,vip\n\
'7012345679,Luc,Moreau,luc@example.com,no,Lyon,FR,,0.00,0,\n";

const ORDERS_CSV: &str = "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Shipping Name,Shipping Address1,Shipping City,Shipping Zip,Shipping Country,Cancelled at,Refunded Amount,Vendor,Id,Tags,Source\n\
#2001,marta@example.com,paid,2026-03-05 14:22:10 +0100,fulfilled,,yes,EUR,59.80,4.90,0.00,64.70,SPRING5,5.00,Standard,2026-03-05 14:22:10 +0100,2,Cork yoga mat,29.90,MAT-1,Marta Bianchi,Via Roma 1,Milano,20100,IT,,0.00,Zen,5550001,,web\n\
#2001,marta@example.com,,,,,,,,,,,,,,2026-03-05 14:22:10 +0100,1,Yoga strap,4.90,STRAP-1,,,,,,,,Zen,,,\n\
#2002,new@example.com,paid,2026-04-01 09:00:00 +0200,,,no,EUR,19.90,0.00,0.00,19.90,,0.00,Standard,2026-04-01 09:00:00 +0200,1,Pet hair remover,19.90,PET-1,Ada Verdi,Via Po 2,Torino,10100,IT,,0.00,Fluff,5550002,,instagram\n";

async fn csv_exports_backfill_and_can_run_twice(backend: Backend) {
    let (app, _shop) = spawn_installed(backend, "csvhistory").await;
    let shop_id = app.shop_id().await;
    let mut after_first = Vec::new();
    for run in 0..2 {
        let c = import_csv(
            &app.db,
            shop_id,
            "EUR",
            CUSTOMERS_CSV.as_bytes(),
            chrono::Utc::now(),
            no_progress,
        )
        .await
        .expect("customers csv");
        assert_eq!(c.customers, 2);
        let o = import_csv(
            &app.db,
            shop_id,
            "EUR",
            ORDERS_CSV.as_bytes(),
            chrono::Utc::now(),
            no_progress,
        )
        .await
        .expect("orders csv");
        assert_eq!((o.orders, o.line_items), (2, 3));
        if run == 0 {
            after_first = app.all_rows().await;
        } else {
            assert_eq!(
                app.all_rows().await,
                after_first,
                "a second run changes nothing"
            );
        }
    }
    let all = orders::Entity::find().all(&app.db).await.expect("orders");
    let first = all.iter().find(|o| o.name == "#2001").expect("#2001");
    let marta = customers::Entity::find()
        .all(&app.db)
        .await
        .expect("customers")
        .into_iter()
        .find(|c| c.shopify_customer_id == 7_012_345_678)
        .expect("Marta from the customers export");
    assert_eq!(
        first.customer_id,
        Some(marta.id),
        "the order found its customer by email"
    );
    assert_eq!(first.total_minor, 6470);
    assert_eq!(first.discount_codes, "SPRING5");
    assert_eq!(
        first.processed_at.map(|t| t.to_rfc3339()),
        Some("2026-03-05T13:22:10+00:00".to_owned())
    );
    assert_eq!(marta.email_marketing_consent, "subscribed");
    let stranger = all.iter().find(|o| o.name == "#2002").expect("#2002");
    assert!(
        stranger.shopify_customer_id.is_some_and(|id| id < 0),
        "a customer known only by email gets a stable stand-in id"
    );
    assert_eq!(n::<order_line_items::Entity>(&app.db).await, 3);
}

const BULK_ORDERS: &str = r##"{"id":"gid://shopify/Order/6001","name":"#3001","email":"rosa@example.com","currencyCode":"EUR","createdAt":"2026-05-02T10:00:00Z","updatedAt":"2026-05-02T10:00:00Z","processedAt":"2026-05-02T10:00:00Z","displayFinancialStatus":"PAID","sourceName":"web","discountCodes":[],"totalPriceSet":{"shopMoney":{"amount":"39.80"}},"subtotalPriceSet":{"shopMoney":{"amount":"39.80"}},"customer":{"id":"gid://shopify/Customer/8001","email":"rosa@example.com","firstName":"Rosa","updatedAt":"2026-05-01T10:00:00Z"},"refunds":[]}
{"id":"gid://shopify/LineItem/9001","title":"Bamboo phone stand","quantity":2,"product":{"id":"gid://shopify/Product/41"},"variant":{"id":"gid://shopify/ProductVariant/411"},"originalUnitPriceSet":{"shopMoney":{"amount":"19.90"}},"__parentId":"gid://shopify/Order/6001"}
{"id":"gid://shopify/Order/6002","name":"#3002","email":"rosa@example.com","currencyCode":"EUR","createdAt":"2026-06-12T10:00:00Z","updatedAt":"2026-06-12T10:00:00Z","processedAt":"2026-06-12T10:00:00Z","displayFinancialStatus":"PAID","sourceName":"web","discountCodes":["BACK10"],"totalPriceSet":{"shopMoney":{"amount":"17.91"}},"subtotalPriceSet":{"shopMoney":{"amount":"19.90"}},"customer":{"id":"gid://shopify/Customer/8001"},"refunds":[]}
{"id":"gid://shopify/LineItem/9002","title":"Bamboo phone stand","quantity":1,"product":{"id":"gid://shopify/Product/41"},"variant":{"id":"gid://shopify/ProductVariant/411"},"originalUnitPriceSet":{"shopMoney":{"amount":"19.90"}},"__parentId":"gid://shopify/Order/6002"}
"##;

const BULK_CUSTOMERS: &str = r##"{"id":"gid://shopify/Customer/8001","email":"rosa@example.com","firstName":"Rosa","lastName":"Galli","updatedAt":"2026-06-20T10:00:00Z","emailMarketingConsent":{"marketingState":"SUBSCRIBED"}}
{"id":"gid://shopify/Customer/8002","email":"ugo@example.com","firstName":"Ugo","updatedAt":"2026-06-21T10:00:00Z"}
"##;

async fn install_imports_history_through_bulk_operations(backend: Backend) {
    let app = spawn_app(backend).await;
    {
        let mut fake = app.fake.state.lock().expect("fake");
        fake.bulk_files.insert("orders".into(), BULK_ORDERS.into());
        fake.bulk_files
            .insert("customers".into(), BULK_CUSTOMERS.into());
    }
    let shop = shop("bulkhistory");
    app.install(&shop).await;
    let import = history_imports::Entity::find()
        .one(&app.db)
        .await
        .expect("q")
        .expect("an import starts at install");
    assert_eq!(
        (import.source.as_str(), import.status.as_str()),
        ("bulk", "running")
    );

    let manual = std::sync::Arc::new(flywheel::clock::ManualClock::new(chrono::Utc::now()));
    let clock: std::sync::Arc<dyn flywheel::clock::Clock> = manual.clone();
    let worker =
        flywheel::scheduler::Worker::new(app.db.clone(), app.handlers(clock.clone(), None), clock);
    for _ in 0..20 {
        while worker.run_once().await.expect("worker") > 0 {}
        let now = history_imports::Entity::find_by_id(import.id)
            .one(&app.db)
            .await
            .expect("q")
            .expect("import");
        if now.status != "running" {
            break;
        }
        // The export is polled every ten seconds.
        manual.advance(chrono::Duration::seconds(11));
    }
    let done = history_imports::Entity::find_by_id(import.id)
        .one(&app.db)
        .await
        .expect("q")
        .expect("import");
    assert_eq!(done.status, "completed", "{:?}", done.error);
    assert_eq!(
        (
            done.stage.as_str(),
            done.customers,
            done.orders,
            done.line_items
        ),
        ("customers", 2, 2, 2)
    );
    {
        let fake = app.fake.state.lock().expect("fake");
        let roots: Vec<&str> = fake.bulk_ops.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            roots,
            ["orders", "customers"],
            "one export per connection, in turn"
        );
    }
    assert_eq!(n::<orders::Entity>(&app.db).await, 2);
    assert_eq!(n::<customers::Entity>(&app.db).await, 2);
    assert_eq!(n::<order_line_items::Entity>(&app.db).await, 2);
    let rosa = customers::Entity::find()
        .all(&app.db)
        .await
        .expect("customers")
        .into_iter()
        .find(|c| c.shopify_customer_id == 8001)
        .expect("Rosa");
    assert_eq!(
        rosa.last_name.as_deref(),
        Some("Galli"),
        "the newer customer export won"
    );

    // The dashboard shows it, and the API reports it.
    let token = app.session_token(&shop);
    let imports: serde_json::Value = app
        .get_api("/api/imports", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(imports["imports"][0]["status"], "completed");
    assert_eq!(imports["imports"][0]["orders"], 2);
    let metrics: serde_json::Value = app
        .get_api("/api/metrics?from=2026-01-01&to=2026-06-30", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(metrics["orders"], 2);
    assert_eq!(metrics["repeat_customers"], 1);
    let page = app
        .get_api("/app?locale=it", &token)
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains("Importato"),
        "the import's state on the dashboard, in Italian"
    );

    // A second install while nothing runs starts a fresh import; its rows change nothing already held.
    let rows_before = app
        .all_rows()
        .await
        .into_iter()
        .filter(|(t, _)| *t == "orders")
        .count();
    app.install(&shop).await;
    assert_eq!(n::<history_imports::Entity>(&app.db).await, 2);
    assert_eq!(
        app.all_rows()
            .await
            .into_iter()
            .filter(|(t, _)| *t == "orders")
            .count(),
        rows_before
    );
}

async fn import_command_reads_a_file_with_progress(backend: Backend) {
    let (url, db) = migrated_database(backend).await;
    let cipher = flywheel::shops::TokenCipher::new(&ENCRYPTION_KEY);
    let domain = shop("clihistory");
    flywheel::shops::Shops::install(
        &db,
        &cipher,
        &domain,
        "shpat_cli",
        "read_orders",
        chrono::Utc::now(),
    )
    .await
    .expect("install");
    let dir =
        std::env::temp_dir().join(format!("flywheel-import-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let jsonl = dir.join("orders.jsonl");
    std::fs::write(&jsonl, JSONL).expect("write");
    let csv = dir.join("orders_export.csv");
    std::fs::write(&csv, ORDERS_CSV).expect("write");
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, ENCRYPTION_KEY);
    let run = |file: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_flywheel"))
            .args(["import", "--shop", domain.as_str()])
            .arg(file)
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("SHOPIFY_API_KEY", API_KEY)
            .env("SHOPIFY_API_SECRET", API_SECRET)
            .env("FLYWHEEL_ENCRYPTION_KEY", &key)
            .output()
            .expect("run flywheel import")
    };
    for file in [&jsonl, &csv, &jsonl] {
        let out = run(file);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("imported"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_eq!(
        n::<orders::Entity>(&db).await,
        4,
        "two from each file, once"
    );
    let imports = history_imports::Entity::find()
        .all(&db)
        .await
        .expect("imports");
    assert_eq!(imports.len(), 3);
    assert!(imports.iter().all(|i| i.status == "completed"));
    assert_eq!(
        imports
            .iter()
            .map(|i| i.source.as_str())
            .collect::<Vec<_>>(),
        ["jsonl", "csv", "jsonl"]
    );
    let missing = run(&dir.join("nope.jsonl"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot open"));
}

async fn an_orders_export_before_the_customers_export_still_makes_one_customer(backend: Backend) {
    let (app, _shop) = spawn_installed(backend, "csvorder").await;
    let shop_id = app.shop_id().await;
    let now = chrono::Utc::now();
    import_csv(
        &app.db,
        shop_id,
        "EUR",
        ORDERS_CSV.as_bytes(),
        now,
        no_progress,
    )
    .await
    .expect("orders first");
    assert_eq!(
        n::<customers::Entity>(&app.db).await,
        2,
        "two stand-ins known by email"
    );
    import_csv(
        &app.db,
        shop_id,
        "EUR",
        CUSTOMERS_CSV.as_bytes(),
        now,
        no_progress,
    )
    .await
    .expect("then customers");
    let all = customers::Entity::find()
        .all(&app.db)
        .await
        .expect("customers");
    // Marta's stand-in gave her order to the real Marta; Luc never ordered; the stranger stays a stand-in.
    assert_eq!(all.len(), 3, "{all:?}");
    let marta = all
        .iter()
        .find(|c| c.shopify_customer_id == 7_012_345_678)
        .expect("Marta");
    let first = orders::Entity::find()
        .all(&app.db)
        .await
        .expect("orders")
        .into_iter()
        .find(|o| o.name == "#2001")
        .expect("#2001");
    assert_eq!(first.customer_id, Some(marta.id));
    assert_eq!(first.shopify_customer_id, Some(7_012_345_678));

    // A row that cannot be read is skipped and named; the rest goes in.
    let broken = ORDERS_CSV
        .replace(",5550002,", ",,")
        .replace("#2001", "#2101")
        .replace("5550001", "5550101");
    let report = import_csv(&app.db, shop_id, "EUR", broken.as_bytes(), now, no_progress)
        .await
        .expect("a bad row does not stop the import");
    assert_eq!((report.orders, report.skipped), (1, 1));
}
