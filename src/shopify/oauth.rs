//! OAuth with the platform: the authorization-code grant used at install and
//! the token-exchange grant that turns an embedded session token into an
//! offline access token.
use super::{ShopDomain, platform_base};
use serde::Deserialize;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the platform refused the grant ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("the platform could not be reached: {0}")]
    Unreachable(#[from] reqwest::Error),
}

/// An offline access token and the scopes it carries. `Debug` hides the token.
#[derive(Clone, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    #[serde(default)]
    pub scope: String,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"[REDACTED]")
            .field("scope", &self.scope)
            .finish()
    }
}

/// The app's identity with the platform.
pub struct OAuthClient<'a> {
    pub http: &'a reqwest::Client,
    pub base_override: Option<&'a Url>,
    pub api_key: &'a str,
    pub api_secret: &'a str,
}

/// The platform's authorize URL for an offline-token install.
pub fn authorize_url(
    base_override: Option<&Url>,
    shop: &ShopDomain,
    api_key: &str,
    scopes: &str,
    redirect_uri: &str,
    state: &str,
) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", api_key)
        .append_pair("scope", scopes)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .finish();
    format!(
        "{}/admin/oauth/authorize?{query}",
        platform_base(base_override, shop)
    )
}

impl OAuthClient<'_> {
    async fn post_grant(
        &self,
        shop: &ShopDomain,
        form: &[(&str, &str)],
    ) -> Result<AccessToken, OAuthError> {
        let url = format!(
            "{}/admin/oauth/access_token",
            platform_base(self.base_override, shop)
        );
        let response = self
            .http
            .post(url)
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(OAuthError::Refused {
                status: status.as_u16(),
                body: body.chars().take(200).collect(),
            });
        }
        Ok(response.json::<AccessToken>().await?)
    }

    #[tracing::instrument(skip(self, code))]
    pub async fn exchange_code(
        &self,
        shop: &ShopDomain,
        code: &str,
    ) -> Result<AccessToken, OAuthError> {
        self.post_grant(
            shop,
            &[
                ("client_id", self.api_key),
                ("client_secret", self.api_secret),
                ("code", code),
            ],
        )
        .await
    }

    #[tracing::instrument(skip(self, session_token))]
    pub async fn exchange_session_token(
        &self,
        shop: &ShopDomain,
        session_token: &str,
    ) -> Result<AccessToken, OAuthError> {
        self.post_grant(
            shop,
            &[
                ("client_id", self.api_key),
                ("client_secret", self.api_secret),
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("subject_token", session_token),
                (
                    "subject_token_type",
                    "urn:ietf:params:oauth:token-type:id_token",
                ),
                (
                    "requested_token_type",
                    "urn:shopify:params:oauth:token-type:offline-access-token",
                ),
            ],
        )
        .await
    }
}
