//! The shop's history, imported once at install: a Bulk Operations query for
//! orders (with their customer, line items and refunds), then one for
//! customers, each result streamed from the platform's download link into the
//! tables in batches. Progress is kept in `history_imports` for the admin
//! page; a run that is cut short resumes from the last batch written.
use super::import::{Batcher, ImportError, ImportReport, JsonlReader};
use crate::scheduler::{Handler, HandlerFuture, NewJob, Outcome, Queue};
use crate::shopify::admin_api::AdminApi;
use crate::shops::{ShopConnection, TokenCipher};
use chrono::{DateTime, Duration, Utc};
use entity::{history_imports, jobs, shops};
use futures_util::StreamExt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Deserialize;
use std::sync::Arc;

pub const IMPORT_JOB: &str = "history.import";
/// How long one run of the job writes before handing over (well inside the worker's lease).
const RUN_BUDGET_SECONDS: i64 = 120;
/// How often the platform is asked whether the export is ready.
const POLL_SECONDS: i64 = 10;

pub const ORDERS_QUERY: &str = r#"{
  orders(sortKey: CREATED_AT) {
    edges { node {
      id name email currencyCode createdAt updatedAt processedAt cancelledAt
      displayFinancialStatus displayFulfillmentStatus sourceName customerLocale discountCodes
      subtotalPriceSet { shopMoney { amount } }
      totalPriceSet { shopMoney { amount } }
      totalDiscountsSet { shopMoney { amount } }
      customer { id email firstName lastName phone locale createdAt updatedAt state
        emailMarketingConsent { marketingState } }
      shippingAddress { name address1 city zip countryCodeV2 }
      customerJourneySummary { firstVisit { landingPage referrerUrl } }
      refunds { id createdAt totalRefundedSet { shopMoney { amount } } }
      lineItems { edges { node {
        id title variantTitle vendor sku quantity
        product { id } variant { id }
        originalUnitPriceSet { shopMoney { amount } }
      } } }
    } }
  }
}"#;

pub const CUSTOMERS_QUERY: &str = r#"{
  customers {
    edges { node {
      id email firstName lastName phone locale createdAt updatedAt state
      emailMarketingConsent { marketingState }
    } }
  }
}"#;

const RUN_MUTATION: &str = "mutation Run($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } } }";
const NODE_QUERY: &str = "query Op($id: ID!) { node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } } }";

pub struct Imports;

impl Imports {
    pub async fn start(
        db: &impl ConnectionTrait,
        shop_id: i64,
        source: &str,
        stage: &str,
        now: DateTime<Utc>,
    ) -> Result<history_imports::Model, DbErr> {
        history_imports::ActiveModel {
            shop_id: Set(shop_id),
            source: Set(source.to_owned()),
            stage: Set(stage.to_owned()),
            status: Set("running".into()),
            started_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await
    }

    /// At install: the history import through Bulk Operations, unless one is under way.
    pub async fn begin_at_install(
        db: &impl ConnectionTrait,
        shop_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let running = history_imports::Entity::find()
            .filter(history_imports::Column::ShopId.eq(shop_id))
            .filter(history_imports::Column::Source.eq("bulk"))
            .filter(history_imports::Column::Status.eq("running"))
            .one(db)
            .await?;
        if let Some(running) = running {
            // One that has not moved for a day has stopped (its job gave up): close it.
            if now - running.updated_at < Duration::days(1) {
                return Ok(());
            }
            Self::finish(
                db,
                &running,
                Some("stopped; a new import was started".into()),
                now,
            )
            .await?;
        }
        let import = Self::start(db, shop_id, "bulk", "orders", now).await?;
        Queue::enqueue(db, import_job(shop_id, import.id, now), now).await?;
        Ok(())
    }

    pub async fn recent(
        db: &impl ConnectionTrait,
        shop_id: i64,
        limit: u64,
    ) -> Result<Vec<history_imports::Model>, DbErr> {
        history_imports::Entity::find()
            .filter(history_imports::Column::ShopId.eq(shop_id))
            .order_by_desc(history_imports::Column::Id)
            .limit(limit)
            .all(db)
            .await
    }

    pub async fn save_progress(
        db: &impl ConnectionTrait,
        import: &history_imports::Model,
        report: &ImportReport,
        lines_done: i64,
        now: DateTime<Utc>,
    ) -> Result<history_imports::Model, DbErr> {
        let mut row: history_imports::ActiveModel = import.clone().into();
        row.customers = Set(import.customers + report.customers as i64);
        row.orders = Set(import.orders + report.orders as i64);
        row.line_items = Set(import.line_items + report.line_items as i64);
        row.lines_done = Set(lines_done);
        row.updated_at = Set(now);
        row.update(db).await
    }

    pub async fn finish(
        db: &impl ConnectionTrait,
        import: &history_imports::Model,
        error: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<history_imports::Model, DbErr> {
        let mut row: history_imports::ActiveModel = import.clone().into();
        row.status = Set(if error.is_some() {
            "failed"
        } else {
            "completed"
        }
        .into());
        row.error = Set(error);
        row.updated_at = Set(now);
        row.finished_at = Set(Some(now));
        row.update(db).await
    }
}

pub fn import_job(shop_id: i64, import_id: i64, now: DateTime<Utc>) -> NewJob {
    NewJob::new(IMPORT_JOB, format!("history:{shop_id}:{import_id}"), now)
        .for_shop(shop_id)
        .payload(serde_json::json!({ "import_id": import_id }))
        .attempts(10)
}

#[derive(Deserialize)]
struct RunData {
    #[serde(rename = "bulkOperationRunQuery")]
    run: RunPayload,
}

#[derive(Deserialize)]
struct RunPayload {
    #[serde(rename = "bulkOperation")]
    operation: Option<OperationRef>,
    #[serde(rename = "userErrors", default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct OperationRef {
    id: String,
}

#[derive(Deserialize)]
struct UserError {
    message: String,
}

#[derive(Deserialize)]
struct NodeData {
    node: Option<Operation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Operation {
    status: String,
    error_code: Option<String>,
    #[serde(default, deserialize_with = "count")]
    object_count: i64,
    url: Option<String>,
}

/// `objectCount` is an UnsignedInt64: the platform sends it as a string.
fn count<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(i64),
        Text(String),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Int(n) => n,
        Raw::Text(s) => s.parse().unwrap_or(0),
    })
}

pub struct ImportHandler {
    pub db: DatabaseConnection,
    pub admin: Arc<AdminApi>,
    pub cipher: TokenCipher,
    pub clock: Arc<dyn crate::clock::Clock>,
}

enum Step {
    /// Ask again at this time (the export is running, or there is more to write).
    Later(DateTime<Utc>, String),
    Finished,
}

impl ImportHandler {
    async fn step(
        &self,
        import: history_imports::Model,
        shop: &shops::Model,
    ) -> Result<Step, String> {
        let now = self.clock.now();
        let (api, domain, token) = match ShopConnection::open(&self.admin, &self.cipher, shop) {
            Ok(ShopConnection::Demo) => {
                // The demo shop has no platform behind it: its history is seeded.
                Imports::finish(&self.db, &import, None, now)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(Step::Finished);
            }
            Ok(ShopConnection::Live { api, shop, token }) => (api, shop, token),
            Err(_) => {
                Imports::finish(
                    &self.db,
                    &import,
                    Some("the shop has no access token".into()),
                    now,
                )
                .await
                .map_err(|e| e.to_string())?;
                return Ok(Step::Finished);
            }
        };
        let Some(operation_id) = import.bulk_operation_id.clone() else {
            let query = if import.stage == "customers" {
                CUSTOMERS_QUERY
            } else {
                ORDERS_QUERY
            };
            let data: RunData = api
                .graphql(
                    &domain,
                    &token,
                    RUN_MUTATION,
                    serde_json::json!({ "query": query }),
                )
                .await
                .map_err(|e| e.to_string())?;
            let Some(op) = data.run.operation else {
                let why = data
                    .run
                    .user_errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; ");
                // Another export is running (ours from an earlier try, or the merchant's): wait.
                if why.contains("already in progress") {
                    return Ok(Step::Later(now + Duration::seconds(POLL_SECONDS * 3), why));
                }
                Imports::finish(&self.db, &import, Some(why), now)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(Step::Finished);
            };
            let mut row: history_imports::ActiveModel = import.into();
            row.bulk_operation_id = Set(Some(op.id));
            row.updated_at = Set(now);
            row.update(&self.db).await.map_err(|e| e.to_string())?;
            return Ok(Step::Later(
                now + Duration::seconds(POLL_SECONDS),
                "export started".into(),
            ));
        };
        let data: NodeData = api
            .graphql(
                &domain,
                &token,
                NODE_QUERY,
                serde_json::json!({ "id": operation_id }),
            )
            .await
            .map_err(|e| e.to_string())?;
        let Some(op) = data.node else {
            return Err(format!(
                "the platform does not know the bulk operation {operation_id}"
            ));
        };
        match op.status.as_str() {
            "CREATED" | "RUNNING" => {
                let mut row: history_imports::ActiveModel = import.into();
                row.object_count = Set(op.object_count);
                row.updated_at = Set(now);
                row.update(&self.db).await.map_err(|e| e.to_string())?;
                Ok(Step::Later(
                    now + Duration::seconds(POLL_SECONDS),
                    "export running".into(),
                ))
            }
            "COMPLETED" => {
                let mut import = import;
                if import.object_count != op.object_count {
                    let mut row: history_imports::ActiveModel = import.into();
                    row.object_count = Set(op.object_count);
                    import = row.update(&self.db).await.map_err(|e| e.to_string())?;
                }
                let done = match &op.url {
                    // No objects: the platform gives no file.
                    None => true,
                    Some(url) => self.load(&import, shop, url).await?,
                };
                if !done {
                    return Ok(Step::Later(self.clock.now(), "more to write".into()));
                }
                let import = history_imports::Entity::find_by_id(import.id)
                    .one(&self.db)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or("the import is gone")?;
                if import.stage == "orders" {
                    let mut row: history_imports::ActiveModel = import.into();
                    row.stage = Set("customers".into());
                    row.bulk_operation_id = Set(None);
                    row.lines_done = Set(0);
                    row.object_count = Set(0);
                    row.updated_at = Set(self.clock.now());
                    row.update(&self.db).await.map_err(|e| e.to_string())?;
                    return Ok(Step::Later(self.clock.now(), "customers next".into()));
                }
                Imports::finish(&self.db, &import, None, self.clock.now())
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Step::Finished)
            }
            other => {
                let why = format!(
                    "the export ended {other}{}",
                    op.error_code.map(|c| format!(" ({c})")).unwrap_or_default()
                );
                Imports::finish(&self.db, &import, Some(why), now)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Step::Finished)
            }
        }
    }

    /// Streams the result from `url` into the tables, from the last line
    /// written; true when the whole file is in, false when the run's time
    /// is up (the next run resumes).
    async fn load(
        &self,
        import: &history_imports::Model,
        shop: &shops::Model,
        url: &str,
    ) -> Result<bool, String> {
        let started = self.clock.now();
        let response = self.admin.download(url).await.map_err(|e| e.to_string())?;
        let mut body = response.bytes_stream();
        let mut parser = JsonlReader::default();
        let mut batcher = Batcher::new(&self.db, shop.id, &shop.currency, started);
        let skip = usize::try_from(import.lines_done).unwrap_or(0);
        let mut import = import.clone();
        let mut buffer: Vec<u8> = Vec::new();
        let mut line_no = 0usize;
        // Lines before the order being assembled are all written once a batch is.
        let mut safe_line;
        let mut saved = ImportReport::default();
        let handle = async |line: &[u8],
                            line_no: usize,
                            parser: &mut JsonlReader,
                            batcher: &mut Batcher<'_>|
               -> Result<bool, ImportError> {
            let text = String::from_utf8_lossy(line);
            let mut flushed = false;
            for record in parser.line(line_no, &text)? {
                flushed |= batcher.push(record).await?;
            }
            Ok(flushed)
        };
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| format!("downloading the export: {e}"))?;
            buffer.extend_from_slice(&chunk);
            while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buffer.drain(..=end).collect();
                line_no += 1;
                if line_no <= skip {
                    continue;
                }
                if handle(&line, line_no, &mut parser, &mut batcher)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    // Written: every line but those of the order still being read.
                    safe_line = if parser.has_pending() || !batcher.is_empty() {
                        line_no - 1
                    } else {
                        line_no
                    };
                    let delta = batcher.report.since(&saved);
                    saved = batcher.report;
                    import = Imports::save_progress(
                        &self.db,
                        &import,
                        &delta,
                        safe_line as i64,
                        self.clock.now(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                    if self.clock.now() - started > Duration::seconds(RUN_BUDGET_SECONDS) {
                        return Ok(false);
                    }
                }
            }
        }
        if !buffer.is_empty() {
            line_no += 1;
            if line_no > skip {
                handle(&buffer, line_no, &mut parser, &mut batcher)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        if let Some(record) = parser.finish() {
            batcher.push(record).await.map_err(|e| e.to_string())?;
        }
        batcher.flush().await.map_err(|e| e.to_string())?;
        super::import::refresh_statistics(&self.db)
            .await
            .map_err(|e| e.to_string())?;
        let delta = batcher.report.since(&saved);
        Imports::save_progress(&self.db, &import, &delta, line_no as i64, self.clock.now())
            .await
            .map_err(|e| e.to_string())?;
        Ok(true)
    }
}

impl ImportHandler {
    /// Marks the import failed with `why`; if even that cannot be written, says so in the log.
    async fn end_failed(&self, import: &history_imports::Model, why: &str) {
        if let Err(e) =
            Imports::finish(&self.db, import, Some(why.to_owned()), self.clock.now()).await
        {
            tracing::warn!(import = import.id, error = %e, reason = why, "could not record the import's end");
        }
    }
}

impl Handler for ImportHandler {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            let Some(import_id) = job.payload.get("import_id").and_then(|v| v.as_i64()) else {
                return Outcome::Skip("the job names no import".into());
            };
            let import = match history_imports::Entity::find_by_id(import_id)
                .one(&self.db)
                .await
            {
                Ok(Some(i)) if i.status == "running" => i,
                Ok(_) => return Outcome::Skip("the import is over".into()),
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            let shop = match shops::Entity::find_by_id(import.shop_id)
                .one(&self.db)
                .await
            {
                Ok(Some(shop)) if shop.uninstalled_at.is_none() => shop,
                Ok(_) => {
                    let why = "the shop uninstalled the app".to_owned();
                    self.end_failed(&import, &why).await;
                    return Outcome::Skip(why);
                }
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            let id = import.id;
            match self.step(import, &shop).await {
                Ok(Step::Later(at, why)) => Outcome::Defer(at, why),
                Ok(Step::Finished) => Outcome::Done,
                Err(e) => {
                    // The last attempt: the import ends failed, with the reason, so the
                    // dashboard says so and a reinstall can start another.
                    if job.attempts >= job.max_attempts
                        && let Ok(Some(import)) =
                            history_imports::Entity::find_by_id(id).one(&self.db).await
                    {
                        self.end_failed(&import, &e).await;
                    }
                    Outcome::Retry(e)
                }
            }
        })
    }
}
