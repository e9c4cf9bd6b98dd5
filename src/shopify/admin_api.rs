//! Admin GraphQL client. Reads the platform's query cost from
//! `extensions.cost`, waits out `THROTTLED` answers and 429s for as long as the
//! bucket needs to refill (and makes other calls for that shop wait too),
//! retries 5xx and network failures with jittered backoff, and returns a typed
//! error.
use super::{ShopDomain, platform_base};
use rand::Rng;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum AdminApiError {
    #[error("the shop's access token was refused ({0})")]
    Unauthorized(u16),
    #[error("still throttled after {0} attempts")]
    Throttled(u32),
    #[error("the platform answered {status} after {attempts} attempts")]
    Server { status: u16, attempts: u32 },
    #[error("the platform could not be reached after {attempts} attempts: {source}")]
    Network {
        attempts: u32,
        source: reqwest::Error,
    },
    #[error("the platform rejected the request ({status}): {body}")]
    Rejected { status: u16, body: String },
    #[error("the query failed: {0}")]
    Query(String),
    #[error("unexpected response: {0}")]
    Decode(String),
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with "equal jitter": half fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(self.max_delay);
        let half = exp / 2;
        half + rand::thread_rng().gen_range(Duration::ZERO..=half)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCost {
    pub requested_query_cost: f64,
    pub actual_query_cost: Option<f64>,
    pub throttle_status: ThrottleStatus,
}

#[derive(Debug, Deserialize)]
struct GraphQlError {
    message: String,
    #[serde(default)]
    extensions: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct GraphQlResponse {
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
    #[serde(default)]
    extensions: Option<Value>,
}

impl GraphQlResponse {
    fn cost(&self) -> Option<QueryCost> {
        self.extensions
            .as_ref()
            .and_then(|e| e.get("cost"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
    }

    fn throttled(&self) -> bool {
        self.errors.iter().flatten().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .and_then(Value::as_str)
                == Some("THROTTLED")
        })
    }
}

/// Seconds until the bucket holds enough for the query, from the platform's own figures.
fn refill_wait(cost: &QueryCost) -> Duration {
    let status = &cost.throttle_status;
    let missing = (cost.requested_query_cost - status.currently_available).max(1.0);
    let rate = if status.restore_rate > 0.0 {
        status.restore_rate
    } else {
        50.0
    };
    Duration::from_secs_f64((missing / rate).min(60.0))
}

pub struct AdminApi {
    http: reqwest::Client,
    base_override: Option<Url>,
    version: String,
    policy: RetryPolicy,
    /// Per shop: no call before this instant (set when the platform throttles us).
    paused_until: Mutex<HashMap<String, Instant>>,
    /// Per shop: the bucket as last reported, for dashboards and diagnostics.
    last_cost: Mutex<HashMap<String, QueryCost>>,
}

impl AdminApi {
    pub fn new(
        http: reqwest::Client,
        base_override: Option<Url>,
        version: String,
        policy: RetryPolicy,
    ) -> Self {
        AdminApi {
            http,
            base_override,
            version,
            policy,
            paused_until: Mutex::new(HashMap::new()),
            last_cost: Mutex::new(HashMap::new()),
        }
    }

    pub fn last_cost(&self, shop: &ShopDomain) -> Option<QueryCost> {
        self.last_cost
            .lock()
            .ok()
            .and_then(|m| m.get(shop.as_str()).cloned())
    }

    fn pause(&self, shop: &ShopDomain, wait: Duration) {
        if let Ok(mut m) = self.paused_until.lock() {
            let until = Instant::now() + wait;
            let entry = m.entry(shop.as_str().to_owned()).or_insert(until);
            if *entry < until {
                *entry = until;
            }
        }
    }

    async fn wait_for_bucket(&self, shop: &ShopDomain) {
        let until = self
            .paused_until
            .lock()
            .ok()
            .and_then(|m| m.get(shop.as_str()).copied());
        if let Some(until) = until {
            let now = Instant::now();
            if until > now {
                tokio::time::sleep(until - now).await;
            }
        }
    }

    /// Opens a download the platform handed out (a bulk operation's result):
    /// a signed link, fetched without the shop's token, read as a stream.
    pub async fn download(&self, url: &str) -> Result<reqwest::Response, AdminApiError> {
        let response = self
            .http
            .get(url)
            // A whole export takes a while to read: the client's timeout is for API calls.
            .timeout(Duration::from_secs(30 * 60))
            .send()
            .await
            .map_err(|source| AdminApiError::Network {
                attempts: 1,
                source,
            })?;
        let status = response.status().as_u16();
        if !response.status().is_success() {
            return Err(AdminApiError::Server {
                status,
                attempts: 1,
            });
        }
        Ok(response)
    }

    /// Runs one GraphQL operation and decodes its `data` into `T`.
    #[tracing::instrument(skip(self, token, query, variables), fields(shop = %shop))]
    pub async fn graphql<T: DeserializeOwned>(
        &self,
        shop: &ShopDomain,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Result<T, AdminApiError> {
        let url = format!(
            "{}/admin/api/{}/graphql.json",
            platform_base(self.base_override.as_ref(), shop),
            self.version
        );
        let body = serde_json::json!({ "query": query, "variables": variables });
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.policy.max_attempts;
            self.wait_for_bucket(shop).await;
            let sent = self
                .http
                .post(&url)
                .header("X-Shopify-Access-Token", token)
                .json(&body)
                .send()
                .await;
            let response = match sent {
                Ok(r) => r,
                Err(source) if last => {
                    return Err(AdminApiError::Network {
                        attempts: attempt,
                        source,
                    });
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, "admin api unreachable; retrying");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                    continue;
                }
            };
            let status = response.status().as_u16();
            match status {
                200..=299 => {}
                401 | 403 => return Err(AdminApiError::Unauthorized(status)),
                429 => {
                    if last {
                        return Err(AdminApiError::Throttled(attempt));
                    }
                    let wait = response
                        .headers()
                        .get("Retry-After")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<f64>().ok())
                        .map(|s| Duration::from_secs_f64(s.clamp(0.0, 60.0)))
                        .unwrap_or_else(|| self.policy.backoff(attempt));
                    self.pause(shop, wait);
                    continue;
                }
                500..=599 => {
                    if last {
                        return Err(AdminApiError::Server {
                            status,
                            attempts: attempt,
                        });
                    }
                    tracing::warn!(attempt, status, "admin api server error; retrying");
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                    continue;
                }
                _ => {
                    let body = response.text().await.unwrap_or_default();
                    return Err(AdminApiError::Rejected {
                        status,
                        body: body.chars().take(300).collect(),
                    });
                }
            }
            let parsed: GraphQlResponse = response
                .json()
                .await
                .map_err(|e| AdminApiError::Decode(e.to_string()))?;
            let cost = parsed.cost();
            if let (Some(cost), Ok(mut m)) = (cost.clone(), self.last_cost.lock()) {
                m.insert(shop.as_str().to_owned(), cost);
            }
            if parsed.throttled() {
                if last {
                    return Err(AdminApiError::Throttled(attempt));
                }
                let wait = cost
                    .as_ref()
                    .map(refill_wait)
                    .unwrap_or_else(|| self.policy.backoff(attempt));
                tracing::info!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "throttled; waiting for the bucket"
                );
                self.pause(shop, wait);
                continue;
            }
            if let Some(errors) = parsed.errors.filter(|e| !e.is_empty()) {
                let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                return Err(AdminApiError::Query(messages.join("; ")));
            }
            let data = parsed
                .data
                .ok_or_else(|| AdminApiError::Decode("no data in the response".into()))?;
            return serde_json::from_value(data).map_err(|e| AdminApiError::Decode(e.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refill_wait_follows_the_bucket() {
        let cost = QueryCost {
            requested_query_cost: 110.0,
            actual_query_cost: None,
            throttle_status: ThrottleStatus {
                maximum_available: 2000.0,
                currently_available: 10.0,
                restore_rate: 100.0,
            },
        };
        assert_eq!(refill_wait(&cost), Duration::from_secs(1));
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
        };
        for attempt in 1..10 {
            let d = policy.backoff(attempt);
            assert!(d <= Duration::from_millis(800), "{d:?}");
        }
        assert!(policy.backoff(1) >= Duration::from_millis(50));
        assert!(policy.backoff(4) >= Duration::from_millis(400));
    }
}
