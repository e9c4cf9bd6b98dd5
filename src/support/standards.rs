//! What the storefront blocks read of the shop's settings, with no request:
//! the response standards (`app.metafields.flywheel.support_*`, for the
//! contact block) and the return window (`flywheel.returns_days`, for the
//! policy badges), written to app-data metafields. Saving either queues the
//! write; the job retries while the platform is unreachable.
use super::rules::SupportSettings;
use crate::scheduler::{Handler, HandlerFuture, NewJob, Outcome};
use crate::shopify::admin_api::AdminApi;
use crate::shopify::app_data::set_app_data;
use crate::shops::{ShopConnection, ShopSettings, TokenCipher};
use chrono::{DateTime, Utc};
use entity::{jobs, shops};
use sea_orm::{DatabaseConnection, EntityTrait};
use std::sync::Arc;

pub const PUBLISH_JOB: &str = "support.publish_standards";

/// The job that writes the standards as they are when it runs (one per save).
pub fn publish_job(shop_id: i64, now: DateTime<Utc>) -> NewJob {
    NewJob::new(
        PUBLISH_JOB,
        format!("support:standards:{shop_id}:{}", now.timestamp_millis()),
        now,
    )
    .for_shop(shop_id)
}

/// The metafields for the shop's standards and return window: (key, type, value).
pub fn metafields(
    settings: &SupportSettings,
    returns: &crate::returns::ReturnPolicy,
) -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "returns_days",
            "number_integer",
            returns.window_days.to_string(),
        ),
        (
            "support_first_reply_hours",
            "number_integer",
            settings.first_reply_hours.to_string(),
        ),
        (
            "support_resolution_hours",
            "number_integer",
            settings.resolution_hours.to_string(),
        ),
        (
            "support_show_standards",
            "boolean",
            settings.show_on_storefront.to_string(),
        ),
    ]
}

pub struct PublishStandards {
    pub db: DatabaseConnection,
    pub admin: Arc<AdminApi>,
    pub cipher: TokenCipher,
}

impl Handler for PublishStandards {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            let Some(shop_id) = job.shop_id else {
                return Outcome::Skip("the job names no shop".into());
            };
            let shop = match shops::Entity::find_by_id(shop_id).one(&self.db).await {
                Ok(Some(shop)) => shop,
                Ok(None) => return Outcome::Skip("the shop is gone".into()),
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            let settings: SupportSettings = match ShopSettings::load(&self.db, shop.id).await {
                Ok(settings) => settings,
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            let (api, domain, token) = match ShopConnection::open(&self.admin, &self.cipher, &shop)
            {
                Ok(ShopConnection::Demo) => return Outcome::Done,
                Ok(ShopConnection::Live { api, shop, token }) => (api, shop, token),
                Err(_) => return Outcome::Skip("the shop has no access token".into()),
            };
            let returns: crate::returns::ReturnPolicy =
                match ShopSettings::load(&self.db, shop.id).await {
                    Ok(policy) => policy,
                    Err(e) => return Outcome::Retry(e.to_string()),
                };
            let fields = metafields(&settings, &returns);
            match set_app_data(api, &domain, &token, &fields).await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        })
    }
}
