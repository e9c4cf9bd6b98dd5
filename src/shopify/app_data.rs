//! App-data metafields: values owned by the app's installation on a shop,
//! which theme app extension blocks read in Liquid as
//! `app.metafields.flywheel.KEY` — no request from the storefront at all.
use super::ShopDomain;
use super::admin_api::{AdminApi, AdminApiError};
use serde::Deserialize;
use serde_json::{Value, json};

pub const NAMESPACE: &str = "flywheel";

const APP_INSTALLATION: &str = "query AppInstallation { currentAppInstallation { id } }";

const METAFIELDS_SET: &str = "mutation SetAppData($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key namespace }
    userErrors { field message code }
  }
}";

#[derive(Debug, Deserialize)]
struct UserError {
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetafieldsPayload {
    #[serde(default)]
    user_errors: Vec<UserError>,
}

/// Writes app-data metafields (`app.metafields.flywheel.KEY` in Liquid):
/// (key, type, value) each.
pub async fn set_app_data(
    api: &AdminApi,
    shop: &ShopDomain,
    token: &str,
    fields: &[(&str, &str, String)],
) -> Result<(), AdminApiError> {
    let data: Value = api
        .graphql(shop, token, APP_INSTALLATION, json!({}))
        .await?;
    let owner = data
        .pointer("/currentAppInstallation/id")
        .and_then(Value::as_str)
        .ok_or_else(|| AdminApiError::Query("no app installation was returned".into()))?
        .to_owned();
    let metafields: Vec<Value> = fields
        .iter()
        .map(|(key, ty, value)| {
            json!({"ownerId": owner, "namespace": NAMESPACE, "key": key, "type": ty, "value": value})
        })
        .collect();
    let data: Value = api
        .graphql(
            shop,
            token,
            METAFIELDS_SET,
            json!({ "metafields": metafields }),
        )
        .await?;
    let payload: MetafieldsPayload =
        serde_json::from_value(data.get("metafieldsSet").cloned().unwrap_or(Value::Null))
            .map_err(|e| AdminApiError::Decode(e.to_string()))?;
    if !payload.user_errors.is_empty() {
        let messages: Vec<&str> = payload
            .user_errors
            .iter()
            .map(|e| e.message.as_str())
            .collect();
        return Err(AdminApiError::Query(messages.join("; ")));
    }
    Ok(())
}
