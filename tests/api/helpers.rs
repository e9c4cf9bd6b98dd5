//! The test harness: a real server on a random port over a real database
//! (a fresh SQLite file, or a fresh PostgreSQL database), a local fake of the
//! platform, and requests signed exactly as the platform signs them.
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use chrono::Utc;
use flywheel::app::{Application, Options};
use flywheel::config::{Mode, Settings};
use flywheel::shopify::ShopDomain;
use flywheel::shopify::admin_api::RetryPolicy;
use flywheel::shopify::session_token;
use flywheel::shopify::signature::{sign_webhook, signed_admin_query, signed_app_proxy_query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const API_KEY: &str = "test-api-key";
pub const API_SECRET: &str = "test-api-secret-hush";
pub const ENCRYPTION_KEY: [u8; 32] = [42u8; 32];
pub const INSTALLED_TOKEN: &str = "shpat_installed_9f8e7d6c5b4a";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

/// One scripted answer of the fake Admin GraphQL endpoint.
#[derive(Debug, Clone)]
pub enum GraphqlReply {
    Throttled,
    TooManyRequests,
    Status(u16),
    Json(Value),
}

#[derive(Default)]
pub struct FakeState {
    pub graphql_script: VecDeque<GraphqlReply>,
    pub graphql_calls: usize,
    pub graphql_tokens: Vec<String>,
    pub code_grants: Vec<HashMap<String, String>>,
    pub token_exchanges: Vec<HashMap<String, String>>,
    pub refuse_token_exchange: bool,
    /// Discount codes created on the fake shop: the mutation's input, by code.
    pub discount_codes: HashMap<String, Value>,
    /// Customer tags as the fake shop holds them, by customer gid.
    pub customer_tags: HashMap<String, std::collections::BTreeSet<String>>,
    /// Metafields as the fake shop holds them: the `metafieldsSet` input, by (owner, namespace, key).
    pub metafields: HashMap<(String, String, String), Value>,
    /// Every `metafieldsSet` call's inputs, in order.
    pub metafield_writes: Vec<Vec<Value>>,
    /// `refundCreate` inputs, in order.
    pub refunds: Vec<Value>,
    /// `draftOrderCreate` inputs, in order; completed ones by draft id.
    pub draft_orders: Vec<Value>,
    pub completed_drafts: Vec<String>,
    /// Bulk Operations results by root connection (`orders`, `customers`), as JSONL.
    pub bulk_files: HashMap<String, String>,
    /// Bulk operations started: (root connection, status polls so far).
    pub bulk_ops: Vec<(String, u32)>,
    /// Where the fake serves (for the download links it hands out).
    pub base_url: String,
}

/// Answers the mutations (and the queries they need) the way the Admin API documents them.
fn fake_mutation(s: &mut FakeState, body: &Value) -> Option<Value> {
    let query = body["query"].as_str().unwrap_or_default();
    let vars = &body["variables"];
    if query.contains("bulkOperationRunQuery") {
        let bulk = vars["query"].as_str().unwrap_or_default();
        let root = if bulk
            .trim_start_matches(['{', ' ', '\n'])
            .starts_with("customers")
        {
            "customers"
        } else {
            "orders"
        };
        if s.bulk_ops.iter().any(|(_, polls)| *polls < 2) {
            return Some(
                json!({"data": {"bulkOperationRunQuery": {"bulkOperation": null,
                "userErrors": [{"field": ["query"], "message": "A bulk query operation for this app and shop is already in progress."}]}},
                "extensions": cost(1990.0)}),
            );
        }
        s.bulk_ops.push((root.to_owned(), 0));
        let id = format!("gid://shopify/BulkOperation/{}", s.bulk_ops.len());
        return Some(
            json!({"data": {"bulkOperationRunQuery": {"bulkOperation": {"id": id, "status": "CREATED"},
            "userErrors": []}}, "extensions": cost(1990.0)}),
        );
    }
    if query.contains("on BulkOperation") {
        let id = vars["id"].as_str().unwrap_or_default();
        let n: usize = id
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let base = s.base_url.clone();
        let Some((root, polls)) = n.checked_sub(1).and_then(|i| s.bulk_ops.get_mut(i)) else {
            return Some(json!({"data": {"node": null}, "extensions": cost(1990.0)}));
        };
        *polls += 1;
        let root = root.clone();
        let file = s.bulk_files.get(&root).cloned().unwrap_or_default();
        let objects = file.lines().filter(|l| !l.trim().is_empty()).count();
        // Running at the first poll, done at the second.
        let node = if s.bulk_ops[n - 1].1 < 2 {
            json!({"id": id, "status": "RUNNING", "errorCode": null, "objectCount": (objects / 2).to_string(), "url": null, "partialDataUrl": null})
        } else if objects == 0 {
            json!({"id": id, "status": "COMPLETED", "errorCode": null, "objectCount": "0", "url": null, "partialDataUrl": null})
        } else {
            json!({"id": id, "status": "COMPLETED", "errorCode": null, "objectCount": objects.to_string(),
                "url": format!("{base}/bulk/{n}.jsonl"), "partialDataUrl": null})
        };
        return Some(json!({"data": {"node": node}, "extensions": cost(1990.0)}));
    }
    for (field, input) in [
        ("discountCodeBasicCreate", "basicCodeDiscount"),
        ("discountCodeFreeShippingCreate", "freeShippingCodeDiscount"),
    ] {
        if query.contains(field) {
            let input = vars[input].clone();
            let code = input["code"].as_str().unwrap_or_default().to_owned();
            if s.discount_codes.contains_key(&code) {
                return Some(
                    json!({"data": {field: {"codeDiscountNode": null, "userErrors": [
                    {"field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique."}]}},
                    "extensions": cost(1990.0)}),
                );
            }
            let id = format!(
                "gid://shopify/DiscountCodeNode/{}",
                1000 + s.discount_codes.len()
            );
            s.discount_codes.insert(code, input);
            return Some(
                json!({"data": {field: {"codeDiscountNode": {"id": id}, "userErrors": []}},
                "extensions": cost(1990.0)}),
            );
        }
    }
    if query.contains("currentAppInstallation") {
        return Some(
            json!({"data": {"currentAppInstallation": {"id": "gid://shopify/AppInstallation/77"}},
            "extensions": cost(1990.0)}),
        );
    }
    if query.contains("refundCreate") {
        let input = vars["input"].clone();
        s.refunds.push(input);
        let amount = vars["input"]["transactions"][0]["amount"].clone();
        return Some(json!({"data": {"refundCreate": {"refund": {
            "id": format!("gid://shopify/Refund/{}", 500 + s.refunds.len()),
            "totalRefundedSet": {"shopMoney": {"amount": amount, "currencyCode": "EUR"}}},
            "userErrors": []}}, "extensions": cost(1990.0)}));
    }
    if query.contains("SuggestedRefund") {
        // Each returned unit at 29.90, against the captured payment.
        let units: i64 = vars["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["quantity"].as_i64())
            .sum();
        let amount = format!("{}.{:02}", units * 2990 / 100, units * 2990 % 100);
        return Some(
            json!({"data": {"order": {"id": vars["id"], "suggestedRefund": {
            "amountSet": {"shopMoney": {"amount": amount, "currencyCode": "EUR"}},
            "suggestedTransactions": [{"amountSet": {"shopMoney": {"amount": amount}}, "gateway": "shopify_payments",
                "kind": "REFUND", "parentTransaction": {"id": "gid://shopify/OrderTransaction/9002"}}]}}},
            "extensions": cost(1990.0)}),
        );
    }
    if query.contains("OrderTransactions") {
        let id = vars["id"].clone();
        return Some(json!({"data": {"order": {"id": id, "transactions": [
            {"id": "gid://shopify/OrderTransaction/9001", "kind": "AUTHORIZATION", "status": "SUCCESS", "gateway": "shopify_payments",
             "amountSet": {"shopMoney": {"amount": "64.70", "currencyCode": "EUR"}}},
            {"id": "gid://shopify/OrderTransaction/9002", "kind": "CAPTURE", "status": "SUCCESS", "gateway": "shopify_payments",
             "amountSet": {"shopMoney": {"amount": "64.70", "currencyCode": "EUR"}}}]}},
            "extensions": cost(1990.0)}));
    }
    if query.contains("draftOrderCreate") {
        s.draft_orders.push(vars["input"].clone());
        return Some(json!({"data": {"draftOrderCreate": {"draftOrder": {
            "id": format!("gid://shopify/DraftOrder/{}", s.draft_orders.len()), "name": format!("#D{}", s.draft_orders.len())},
            "userErrors": []}}, "extensions": cost(1990.0)}));
    }
    if query.contains("draftOrderComplete") {
        let id = vars["id"].as_str().unwrap_or_default().to_owned();
        s.completed_drafts.push(id.clone());
        let n = s.completed_drafts.len();
        return Some(
            json!({"data": {"draftOrderComplete": {"draftOrder": {"id": id, "name": format!("#D{n}"),
            "order": {"id": format!("gid://shopify/Order/{}", 7000 + n), "name": format!("#{}", 7000 + n)}}, "userErrors": []}},
            "extensions": cost(1990.0)}),
        );
    }
    if query.contains("metafieldsSet") {
        let inputs: Vec<Value> = vars["metafields"].as_array().cloned().unwrap_or_default();
        // The documented limits: at most 25 per call, every field present.
        let bad = inputs.len() > 25
            || inputs.iter().any(|m| {
                ["ownerId", "namespace", "key", "type", "value"]
                    .iter()
                    .any(|f| m[f].as_str().is_none_or(str::is_empty))
            });
        if bad {
            return Some(
                json!({"data": {"metafieldsSet": {"metafields": [], "userErrors": [
                {"field": ["metafields"], "message": "invalid metafield input", "code": "INVALID"}]}},
                "extensions": cost(1990.0)}),
            );
        }
        for m in &inputs {
            let key = (
                m["ownerId"].as_str().unwrap_or_default().to_owned(),
                m["namespace"].as_str().unwrap_or_default().to_owned(),
                m["key"].as_str().unwrap_or_default().to_owned(),
            );
            s.metafields.insert(key, m.clone());
        }
        let answered: Vec<Value> = inputs
            .iter()
            .map(|m| json!({"key": m["key"], "namespace": m["namespace"]}))
            .collect();
        s.metafield_writes.push(inputs);
        return Some(
            json!({"data": {"metafieldsSet": {"metafields": answered, "userErrors": []}},
            "extensions": cost(1990.0)}),
        );
    }
    if query.contains("metafieldsDelete") {
        let mut deleted = Vec::new();
        for m in vars["metafields"].as_array().into_iter().flatten() {
            let key = (
                m["ownerId"].as_str().unwrap_or_default().to_owned(),
                m["namespace"].as_str().unwrap_or_default().to_owned(),
                m["key"].as_str().unwrap_or_default().to_owned(),
            );
            if s.metafields.remove(&key).is_some() {
                deleted.push(json!({"key": m["key"], "namespace": m["namespace"]}));
            } else {
                deleted.push(Value::Null);
            }
        }
        return Some(
            json!({"data": {"metafieldsDelete": {"deletedMetafields": deleted, "userErrors": []}},
            "extensions": cost(1990.0)}),
        );
    }
    for (field, adding) in [("tagsAdd", true), ("tagsRemove", false)] {
        if query.contains(field) {
            let id = vars["id"].as_str().unwrap_or_default().to_owned();
            let tags = s.customer_tags.entry(id.clone()).or_default();
            for tag in vars["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if adding {
                    tags.insert(tag.to_owned());
                } else {
                    tags.remove(tag);
                }
            }
            return Some(
                json!({"data": {field: {"node": {"id": id}, "userErrors": []}},
                "extensions": cost(1990.0)}),
            );
        }
    }
    None
}

/// A local stand-in for the platform's OAuth and Admin GraphQL endpoints,
/// answering with the documented shapes.
pub struct FakePlatform {
    pub url: String,
    pub state: Arc<Mutex<FakeState>>,
}

fn cost(available: f64) -> Value {
    json!({"cost": {"requestedQueryCost": 10, "actualQueryCost": 10,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": available, "restoreRate": 100.0}}})
}

async fn fake_access_token(
    form: web::Form<HashMap<String, String>>,
    state: web::Data<Arc<Mutex<FakeState>>>,
) -> HttpResponse {
    let form = form.into_inner();
    let mut s = state.lock().expect("fake state");
    if form.get("client_id").map(String::as_str) != Some(API_KEY)
        || form.get("client_secret").map(String::as_str) != Some(API_SECRET)
    {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_client"}));
    }
    if form.get("grant_type").map(String::as_str)
        == Some("urn:ietf:params:oauth:grant-type:token-exchange")
    {
        s.token_exchanges.push(form);
        if s.refuse_token_exchange {
            return HttpResponse::BadRequest().json(json!({"error": "invalid_subject_token"}));
        }
        return HttpResponse::Ok().json(json!({
            "access_token": format!("shpat_exchanged_{}", s.token_exchanges.len()),
            "scope": "read_customers,read_orders"
        }));
    }
    if form.get("code").map(String::as_str) != Some("good-code") {
        return HttpResponse::BadRequest().json(json!({"error": "invalid_request"}));
    }
    s.code_grants.push(form);
    HttpResponse::Ok()
        .json(json!({"access_token": INSTALLED_TOKEN, "scope": "read_customers,read_orders"}))
}

async fn fake_graphql(
    req: HttpRequest,
    body: web::Json<Value>,
    state: web::Data<Arc<Mutex<FakeState>>>,
) -> HttpResponse {
    let mut s = state.lock().expect("fake state");
    s.graphql_calls += 1;
    let Some(token) = req
        .headers()
        .get("X-Shopify-Access-Token")
        .and_then(|v| v.to_str().ok())
    else {
        return HttpResponse::Unauthorized()
            .json(json!({"errors": "[API] Invalid API key or access token"}));
    };
    s.graphql_tokens.push(token.to_owned());
    if s.graphql_script.is_empty()
        && let Some(answer) = fake_mutation(&mut s, &body)
    {
        return HttpResponse::Ok().json(answer);
    }
    match s.graphql_script.pop_front() {
        Some(GraphqlReply::Throttled) => HttpResponse::Ok().json(json!({
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
            "extensions": cost(9.0),
        })),
        Some(GraphqlReply::TooManyRequests) => HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "0.05"))
            .json(json!({"errors": "Exceeded 2 calls per second for api client."})),
        Some(GraphqlReply::Status(code)) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("valid status"))
                .json(json!({"errors": "Internal error"}))
        }
        Some(GraphqlReply::Json(body)) => HttpResponse::Ok().json(body),
        None => HttpResponse::Ok().json(json!({
            "data": {"shop": {"name": "Test Boutique", "email": "owner@test.example",
                "currencyCode": "EUR", "ianaTimezone": "Europe/Rome"}},
            "extensions": cost(1990.0),
        })),
    }
}

/// A bulk operation's result file, as the platform's storage serves it.
async fn fake_bulk_file(
    path: web::Path<String>,
    state: web::Data<Arc<Mutex<FakeState>>>,
) -> HttpResponse {
    let s = state.lock().expect("fake state");
    let n: usize = path.trim_end_matches(".jsonl").parse().unwrap_or(0);
    match n
        .checked_sub(1)
        .and_then(|i| s.bulk_ops.get(i))
        .and_then(|(root, _)| s.bulk_files.get(root))
    {
        Some(file) => HttpResponse::Ok()
            .content_type("application/jsonl")
            .body(file.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

impl FakePlatform {
    pub async fn start() -> FakePlatform {
        let state = Arc::new(Mutex::new(FakeState::default()));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake platform");
        let port = listener.local_addr().expect("fake addr").port();
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/admin/oauth/access_token",
                    web::post().to(fake_access_token),
                )
                .route(
                    "/admin/api/{version}/graphql.json",
                    web::post().to(fake_graphql),
                )
                .route("/bulk/{file}", web::get().to(fake_bulk_file))
        })
        .workers(1)
        .listen(listener)
        .expect("listen fake platform")
        .run();
        tokio::spawn(server);
        let url = format!("http://127.0.0.1:{port}");
        state.lock().expect("fake state").base_url = url.clone();
        FakePlatform { url, state }
    }

    pub fn script(&self, replies: impl IntoIterator<Item = GraphqlReply>) {
        self.state
            .lock()
            .expect("fake state")
            .graphql_script
            .extend(replies);
    }
}

pub struct TestApp {
    pub url: String,
    pub db: DatabaseConnection,
    pub fake: FakePlatform,
    pub client: reqwest::Client,
    /// This app's own media directory (review photos), when they are stored locally.
    pub media_dir: std::path::PathBuf,
    /// Where its photos are stored (`FLYWHEEL_MEDIA_URL`).
    pub media_url: String,
}

/// A fresh, migrated database of its own: its URL and a connection.
pub async fn migrated_database(backend: Backend) -> (String, DatabaseConnection) {
    let url = database_url(backend).await;
    let db = flywheel::db::connect(&url).await.expect("connect");
    flywheel::db::migrate(&db).await.expect("migrate");
    (url, db)
}

pub async fn database_url(backend: Backend) -> String {
    let unique = uuid::Uuid::new_v4().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("flywheel-test-{unique}.db"));
            format!("sqlite://{}?mode=rwc", path.display())
        }
        Backend::Postgres => {
            let admin_url = std::env::var("FLYWHEEL_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("PostgreSQL must be running for the test suite (see .ci/run)");
            let name = format!("flywheel_test_{unique}");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let _ = admin.close().await;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            format!("{base}/{name}")
        }
    }
}

/// A fresh media directory for one test app.
pub fn media_dir() -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("flywheel-media-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("media dir");
    dir
}

pub fn settings_with_media(database_url: &str, fake_url: &str, media_url: &str) -> Settings {
    let key = base64::engine::general_purpose::STANDARD.encode(ENCRYPTION_KEY);
    let env: HashMap<&str, String> = HashMap::from([
        ("FLYWHEEL_MEDIA_URL", media_url.to_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("FLYWHEEL_ADDR", "127.0.0.1:0".to_owned()),
        ("SHOPIFY_API_KEY", API_KEY.to_owned()),
        ("SHOPIFY_API_SECRET", API_SECRET.to_owned()),
        ("FLYWHEEL_ENCRYPTION_KEY", key),
        ("FLYWHEEL_SHOPIFY_BASE_URL", fake_url.to_owned()),
    ]);
    Settings::from_lookup(Mode::Production, |k| env.get(k).cloned()).expect("test settings")
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, false).await
}

/// The app with one shop installed through OAuth.
pub async fn spawn_installed(backend: Backend, name: &str) -> (TestApp, ShopDomain) {
    let app = spawn_app(backend).await;
    let s = shop(name);
    app.install(&s).await;
    app.settle_history_import().await;
    (app, s)
}

/// The app with the demo routes (`/demo`, `/preview`, the local app proxy), as `flywheel demo` runs it.
pub async fn spawn_demo_app(backend: Backend) -> TestApp {
    spawn_with(backend, true).await
}

async fn spawn_with(backend: Backend, demo_routes: bool) -> TestApp {
    let dir = media_dir();
    spawn_with_media(backend, demo_routes, dir.display().to_string(), dir).await
}

/// The app with one shop installed, its photos in the store at `media_url`.
pub async fn spawn_installed_with_media(
    backend: Backend,
    name: &str,
    media_url: &str,
) -> (TestApp, ShopDomain) {
    let app = spawn_with_media(backend, false, media_url.to_owned(), media_dir()).await;
    let s = shop(name);
    app.install(&s).await;
    app.settle_history_import().await;
    (app, s)
}

async fn spawn_with_media(
    backend: Backend,
    demo_routes: bool,
    media_url: String,
    media_dir: std::path::PathBuf,
) -> TestApp {
    let fake = FakePlatform::start().await;
    let url = database_url(backend).await;
    let app = Application::build(
        settings_with_media(&url, &fake.url, &media_url),
        Options {
            admin_retry: fast_retries(),
            background_jobs: false,
            demo_routes,
            ..Options::default()
        },
    )
    .await
    .expect("app builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = flywheel::db::connect(&url)
        .await
        .expect("test db connection");
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        url: base,
        db,
        fake,
        client,
        media_dir,
        media_url,
    }
}

pub fn shop(name: &str) -> ShopDomain {
    ShopDomain::parse(&format!("{name}.myshopify.com")).expect("test shop domain")
}

pub fn now() -> i64 {
    Utc::now().timestamp()
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub use flywheel::shopify::signature::encode_query;

impl TestApp {
    pub fn session_token(&self, shop: &ShopDomain) -> String {
        session_token::sign(shop, API_KEY, API_SECRET.as_bytes(), now(), 60)
    }

    /// A plain GET, as a browser or load balancer would send it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_api(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("api request")
    }

    /// Delivers a webhook signed as the platform signs it.
    pub async fn webhook(
        &self,
        topic: &str,
        shop: &ShopDomain,
        id: &str,
        body: &Value,
    ) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).expect("json");
        self.webhook_raw(topic, shop, id, bytes, None).await
    }

    pub async fn webhook_raw(
        &self,
        topic: &str,
        shop: &ShopDomain,
        id: &str,
        body: Vec<u8>,
        hmac: Option<String>,
    ) -> reqwest::Response {
        let hmac = hmac.unwrap_or_else(|| sign_webhook(API_SECRET.as_bytes(), &body));
        self.client
            .post(format!("{}/webhooks", self.url))
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", shop.as_str())
            .header("X-Shopify-Webhook-Id", id)
            .header("X-Shopify-Event-Id", format!("evt-{id}"))
            .header("X-Shopify-Triggered-At", Utc::now().to_rfc3339())
            .header("X-Shopify-API-Version", "2026-10")
            .header("X-Shopify-Hmac-Sha256", hmac)
            .body(body)
            .send()
            .await
            .expect("webhook request")
    }

    /// A storefront request through the app proxy, signed as the platform forwards it.
    pub async fn proxy_get(
        &self,
        path: &str,
        shop: &ShopDomain,
        customer: Option<i64>,
        timestamp: i64,
    ) -> reqwest::Response {
        let url = self.proxy_url(path, shop, customer, timestamp);
        self.client.get(url).send().await.expect("proxy request")
    }

    /// The URL the app proxy forwards to: the shopper's own query parameters
    /// (`path?locale=it`) are signed together with the platform's.
    pub fn proxy_url(
        &self,
        path: &str,
        shop: &ShopDomain,
        customer: Option<i64>,
        timestamp: i64,
    ) -> String {
        let (path, extra) = path.split_once('?').unwrap_or((path, ""));
        let customer = customer.map(|c| c.to_string()).unwrap_or_default();
        let ts = timestamp.to_string();
        let mut query = pairs(&[
            ("shop", shop.as_str()),
            ("logged_in_customer_id", &customer),
            ("path_prefix", "/apps/flywheel"),
            ("timestamp", &ts),
        ]);
        query.extend(
            url::form_urlencoded::parse(extra.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned())),
        );
        format!(
            "{}/proxy{path}?{}",
            self.url,
            signed_app_proxy_query(API_SECRET.as_bytes(), query)
        )
    }

    /// A storefront POST with a JSON body through the app proxy.
    pub async fn proxy_post(
        &self,
        path: &str,
        shop: &ShopDomain,
        customer: Option<i64>,
        body: &Value,
    ) -> reqwest::Response {
        let url = self.proxy_url(path, shop, customer, now());
        self.client
            .post(url)
            .json(body)
            .send()
            .await
            .expect("proxy request")
    }

    /// The Admin API client and token cipher the app's jobs use, pointed at the fake.
    fn job_clients(
        &self,
    ) -> (
        flywheel::shopify::admin_api::AdminApi,
        flywheel::shops::TokenCipher,
    ) {
        let admin = flywheel::shopify::admin_api::AdminApi::new(
            reqwest::Client::new(),
            Some(url::Url::parse(&self.fake.url).expect("fake url")),
            "2026-10".into(),
            fast_retries(),
        );
        (admin, flywheel::shops::TokenCipher::new(&ENCRYPTION_KEY))
    }

    /// Every job handler the app runs, on this app's database, at `clock`'s
    /// time, sending with `mailer` (None: no SMTP, emails stay in the outbox).
    pub fn handlers(
        &self,
        clock: std::sync::Arc<dyn flywheel::clock::Clock>,
        smtp: Option<&str>,
    ) -> flywheel::scheduler::Registry {
        let (admin, cipher) = self.job_clients();
        flywheel::scheduler::handlers::handlers(flywheel::scheduler::handlers::Deps {
            db: self.db.clone(),
            clock,
            secret: API_SECRET.as_bytes().to_vec(),
            app_url: url::Url::parse(&self.url).expect("app url"),
            admin: std::sync::Arc::new(admin),
            cipher,
            mailer: Some(
                flywheel::emails::Mailer::new(smtp, "Flywheel <no-reply@flywheel.example>")
                    .expect("mailer"),
            ),
        })
    }

    /// Runs the timed jobs as the worker would at `at`.
    pub async fn run_jobs(&self, at: chrono::DateTime<Utc>) -> flywheel::loyalty::jobs::JobReport {
        let (admin, cipher) = self.job_clients();
        flywheel::loyalty::jobs::LoyaltyJobs::run_due(&self.db, &admin, &cipher, at)
            .await
            .expect("jobs run")
    }

    /// Runs the reviews' jobs (metafield writes, file deletions) as the worker would.
    pub async fn run_review_jobs(
        &self,
        at: chrono::DateTime<Utc>,
    ) -> flywheel::reviews::jobs::ReviewJobReport {
        let (admin, cipher) = self.job_clients();
        let media = flywheel::media::MediaStore::from_url(&self.media_url).expect("media store");
        let base = format!("{}/media", self.url);
        flywheel::reviews::jobs::ReviewJobs::run_due(&self.db, &admin, &cipher, &media, &base, at)
            .await
            .expect("review jobs run")
    }

    /// A storefront multipart POST through the app proxy (`Accept: application/json`, as the block's script sends).
    pub async fn proxy_multipart(
        &self,
        path: &str,
        shop: &ShopDomain,
        customer: Option<i64>,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        let url = self.proxy_url(path, shop, customer, now());
        self.client
            .post(url)
            .header("Accept", "application/json")
            .multipart(form)
            .send()
            .await
            .expect("proxy request")
    }

    /// Files under this app's media directory, relative paths, sorted.
    pub fn media_files(&self) -> Vec<String> {
        fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else if let Ok(rel) = path.strip_prefix(root) {
                    out.push(rel.display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.media_dir, &self.media_dir, &mut out);
        out.sort();
        out
    }

    /// A JSON request to `/api` with a session token.
    pub async fn send_api(
        &self,
        method: reqwest::Method,
        path: &str,
        shop: &ShopDomain,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(self.session_token(shop))
            .json(body)
            .send()
            .await
            .expect("api request")
    }

    /// Walks the whole OAuth install as the merchant's browser and the platform would.
    /// Our id of the (first) installed shop.
    pub async fn shop_id(&self) -> i64 {
        entity::shops::Entity::find()
            .one(&self.db)
            .await
            .expect("shops")
            .expect("an installed shop")
            .id
    }

    /// The history import an install starts, settled as if the shop had no
    /// history: most tests are about something else (`import.rs` runs it).
    pub async fn settle_history_import(&self) {
        use sea_orm::sea_query::Expr;
        entity::jobs::Entity::delete_many()
            .filter(entity::jobs::Column::Kind.eq(flywheel::commerce::history::IMPORT_JOB))
            .exec(&self.db)
            .await
            .expect("drop the import job");
        entity::history_imports::Entity::update_many()
            .col_expr(
                entity::history_imports::Column::Status,
                Expr::value("completed"),
            )
            .exec(&self.db)
            .await
            .expect("settle the import");
    }

    pub async fn install(&self, shop: &ShopDomain) {
        let begin = self.get(&format!("/auth?shop={shop}")).await;
        assert_eq!(begin.status(), 302);
        let cookie = begin
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("state cookie")
            .to_owned();
        let location = begin.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        let state = url::Url::parse(&location)
            .expect("authorize url")
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("state in authorize url");
        let callback = self.callback_query(shop, &state, "good-code", now());
        let done = self
            .client
            .get(format!("{}/auth/callback?{callback}", self.url))
            .header("Cookie", cookie)
            .send()
            .await
            .expect("callback");
        assert_eq!(done.status(), 302, "{:?}", done.text().await);
    }

    pub fn callback_query(
        &self,
        shop: &ShopDomain,
        state: &str,
        code: &str,
        timestamp: i64,
    ) -> String {
        let host = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
            "admin.shopify.com/store/{}",
            shop.as_str().trim_end_matches(".myshopify.com")
        ));
        let ts = timestamp.to_string();
        let query = pairs(&[
            ("code", code),
            ("host", &host),
            ("shop", shop.as_str()),
            ("state", state),
            ("timestamp", &ts),
        ]);
        signed_admin_query(API_SECRET.as_bytes(), query)
    }

    /// The admin's launch of the embedded app, signed as the platform signs it.
    pub fn launch_query(&self, shop: &ShopDomain, locale: &str) -> String {
        let ts = now().to_string();
        let query = pairs(&[
            ("embedded", "1"),
            ("locale", locale),
            ("shop", shop.as_str()),
            ("timestamp", &ts),
        ]);
        signed_admin_query(API_SECRET.as_bytes(), query)
    }

    /// Every row of every table, as JSON, to prove what is (not) stored anywhere.
    pub async fn all_rows(&self) -> Vec<(&'static str, Value)> {
        use entity::prelude::*;
        let db = &self.db;
        let mut rows = Vec::new();
        macro_rules! dump {
            ($($entity:ident => $name:literal),*) => {$(
                for row in $entity::find().into_json().all(db).await.expect("dump table") {
                    rows.push(($name, row));
                }
            )*};
        }
        dump!(Shops => "shops", OauthStates => "oauth_states", Customers => "customers",
              Orders => "orders", OrderLineItems => "order_line_items", Refunds => "refunds",
              Fulfillments => "fulfillments", WebhookEvents => "webhook_events",
              PrivacyExports => "privacy_exports", LoyaltyPrograms => "loyalty_programs",
              LoyaltyMembers => "loyalty_members", PointsLedger => "points_ledger",
              LoyaltyRewards => "loyalty_rewards", LoyaltyRedemptions => "loyalty_redemptions",
              LoyaltyTierChanges => "loyalty_tier_changes", LoyaltyReferrals => "loyalty_referrals",
              LoyaltyEvents => "loyalty_events", DeliverySettings => "delivery_settings",
              DeliveryPromises => "delivery_promises", ReviewSettings => "review_settings",
              Reviews => "reviews", ReviewPhotos => "review_photos", ReviewVotes => "review_votes",
              ReviewProducts => "review_products", MediaTrash => "media_trash",
              Jobs => "jobs", Emails => "emails", ShopSettings => "shop_settings",
              SurveyResponses => "survey_responses", SupportCases => "support_cases",
              SupportCaseEvents => "support_case_events", ReturnRequests => "return_requests",
              ReturnItems => "return_items", ReturnEvents => "return_events",
              ReturnPhotos => "return_photos", ReturnLookups => "return_lookups", Products => "products", HistoryImports => "history_imports");
        rows
    }

    pub async fn count(&self, table: &str) -> usize {
        let backend = self.db.get_database_backend();
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}"),
            ))
            .await
            .expect("count rows")
            .expect("one row");
        row.try_get::<i64>("", "n").expect("count") as usize
    }

    /// Delivers a signed webhook and expects the platform's 200.
    pub async fn deliver(&self, topic: &str, shop: &ShopDomain, id: &str, body: &Value) {
        let res = self.webhook(topic, shop, id, body).await;
        assert_eq!(res.status(), 200, "{topic} {id}: {:?}", res.text().await);
    }
}

pub fn order_json(id: i64, customer_id: i64, email: &str, updated_at: &str, status: &str) -> Value {
    json!({
        "id": id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{id}"),
        "name": "#1001",
        "email": email,
        "currency": "EUR",
        "subtotal_price": "59.80",
        "total_price": "64.70",
        "total_discounts": "0.00",
        "financial_status": status,
        "fulfillment_status": null,
        "cancelled_at": null,
        "created_at": "2026-11-01T10:00:00+01:00",
        "processed_at": "2026-11-01T10:00:00+01:00",
        "updated_at": updated_at,
        "browser_ip": "198.51.100.7",
        "source_name": "web",
        "customer_locale": "it",
        "customer": {
            "id": customer_id, "email": email, "first_name": "Giulia", "last_name": "Verdi",
            "phone": "+393331234567",
            "created_at": "2026-10-01T10:00:00+01:00", "updated_at": "2026-10-01T10:00:00+01:00",
            "email_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in"}
        },
        "shipping_address": {"first_name": "Giulia", "last_name": "Verdi", "name": "Giulia Verdi",
            "address1": "Via Garibaldi 12", "city": "Torino", "zip": "10122", "country_code": "IT"},
        "line_items": [
            {"id": id + 1, "product_id": 9007199254740993i64, "variant_id": 9007199254740995i64,
             "title": "Cork yoga mat", "quantity": 2, "price": "29.90", "vendor": "Porto Cork Co."}
        ]
    })
}
