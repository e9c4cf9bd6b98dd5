//! Typed configuration from the environment (CONTRACT.md). Secrets are wrapped
//! so they cannot be printed; a missing or malformed value is a `ConfigError`
//! that `main` turns into a clear message and exit code 2.
use base64::Engine;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};
use url::Url;

/// The app configuration file, compiled in so the binary always asks for the
/// scopes the platform was told about.
pub const APP_TOML: &str = include_str!("../shopify.app.toml");

pub const DEMO_API_KEY: &str = "flywheel-demo-api-key";
pub const DEMO_API_SECRET: &str = "flywheel-demo-api-secret";
pub const DEFAULT_API_VERSION: &str = "2026-10";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `serve`, `migrate`, `worker`: every secret must be given.
    Production,
    /// `demo`: secrets default to published demo values.
    Demo,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is required: {1}")]
    Missing(&'static str, &'static str),
    #[error("{0} is malformed: {1}")]
    Malformed(&'static str, String),
}

/// 32 bytes that encrypt access tokens at rest.
pub struct EncryptionKey(SecretBox<[u8; 32]>);

impl EncryptionKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        EncryptionKey(SecretBox::new(Box::new(bytes)))
    }
    pub fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey([REDACTED])")
    }
}

#[derive(Debug)]
pub struct Settings {
    pub mode: Mode,
    pub database_url: String,
    pub addr: String,
    pub app_url: Option<Url>,
    pub api_key: String,
    pub api_secret: SecretString,
    pub scopes: String,
    pub shopify_base_url: Option<Url>,
    pub api_version: String,
    pub encryption_key: EncryptionKey,
    pub smtp_url: Option<SecretString>,
    /// Where review photos are stored: `file:///dir`, a path, or `s3://bucket/prefix`.
    pub media_url: String,
    /// The sender of the app's emails (`FLYWHEEL_MAIL_FROM`); the shop's name is shown.
    pub mail_from: Option<String>,
}

impl Settings {
    pub fn from_env(mode: Mode) -> Result<Settings, ConfigError> {
        Settings::from_lookup(mode, |name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    pub fn from_lookup(
        mode: Mode,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let demo = mode == Mode::Demo;

        let database_url =
            get("DATABASE_URL").unwrap_or_else(|| "sqlite://flywheel.db?mode=rwc".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Malformed(
                "DATABASE_URL",
                "expected sqlite://FILE or postgres://…".into(),
            ));
        }
        let addr = get("FLYWHEEL_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let app_url = get("FLYWHEEL_APP_URL")
            .map(|v| parse_http_url("FLYWHEEL_APP_URL", &v))
            .transpose()?;
        let shopify_base_url = get("FLYWHEEL_SHOPIFY_BASE_URL")
            .map(|v| parse_http_url("FLYWHEEL_SHOPIFY_BASE_URL", &v))
            .transpose()?;

        let api_key = match get("SHOPIFY_API_KEY") {
            Some(v) => v,
            None if demo => DEMO_API_KEY.into(),
            None => {
                return Err(ConfigError::Missing(
                    "SHOPIFY_API_KEY",
                    "the app's client id from the Partner Dashboard",
                ));
            }
        };
        let api_secret = match get("SHOPIFY_API_SECRET") {
            Some(v) => v,
            None if demo => DEMO_API_SECRET.into(),
            None => {
                return Err(ConfigError::Missing(
                    "SHOPIFY_API_SECRET",
                    "the app's client secret from the Partner Dashboard",
                ));
            }
        };
        let encryption_key = match get("FLYWHEEL_ENCRYPTION_KEY") {
            Some(v) => parse_key(&v)?,
            None if demo => {
                // Demo only: stable per secret, so a restarted demo can still read its tokens.
                let digest = Sha256::digest(format!("flywheel-demo-key:{api_secret}"));
                EncryptionKey::from_bytes(digest.into())
            }
            None => {
                return Err(ConfigError::Missing(
                    "FLYWHEEL_ENCRYPTION_KEY",
                    "base64 of 32 random bytes, e.g. `openssl rand -base64 32`",
                ));
            }
        };
        let scopes = match get("SHOPIFY_SCOPES") {
            Some(v) => normalise_scopes(&v),
            None => app_toml_scopes()?,
        };
        let api_version = get("SHOPIFY_API_VERSION").unwrap_or_else(|| DEFAULT_API_VERSION.into());
        let smtp_url = match get("SMTP_URL") {
            Some(v) if v.starts_with("smtp://") || v.starts_with("smtps://") => {
                Some(SecretString::from(v))
            }
            Some(_) => {
                return Err(ConfigError::Malformed(
                    "SMTP_URL",
                    "expected smtp://user:pass@host:port".into(),
                ));
            }
            None => None,
        };

        let media_url = get("FLYWHEEL_MEDIA_URL")
            .unwrap_or_else(|| crate::media::store::default_url(&database_url));
        if !(media_url.starts_with("s3://")
            || media_url.starts_with("file://")
            || media_url.starts_with("memory://")
            || !media_url.contains("://"))
        {
            return Err(ConfigError::Malformed(
                "FLYWHEEL_MEDIA_URL",
                "expected a directory, file:///DIR or s3://BUCKET/PREFIX".into(),
            ));
        }

        Ok(Settings {
            mode,
            database_url,
            addr,
            app_url,
            api_key,
            api_secret: SecretString::from(api_secret),
            scopes,
            shopify_base_url,
            api_version,
            encryption_key,
            smtp_url,
            media_url,
            mail_from: get("FLYWHEEL_MAIL_FROM"),
        })
    }
}

fn parse_http_url(name: &'static str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value.trim_end_matches('/'))
        .map_err(|e| ConfigError::Malformed(name, format!("`{value}` is not a URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(ConfigError::Malformed(
            name,
            format!("`{value}` must start with http:// or https://"),
        ));
    }
    Ok(url)
}

fn parse_key(value: &str) -> Result<EncryptionKey, ConfigError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .map_err(|_| ConfigError::Malformed("FLYWHEEL_ENCRYPTION_KEY", "not base64".into()))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|v: Vec<u8>| {
        ConfigError::Malformed(
            "FLYWHEEL_ENCRYPTION_KEY",
            format!("decodes to {} bytes, expected 32", v.len()),
        )
    })?;
    Ok(EncryptionKey::from_bytes(bytes))
}

fn normalise_scopes(raw: &str) -> String {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

/// The access scopes `shopify.app.toml` declares.
pub fn app_toml_scopes() -> Result<String, ConfigError> {
    let doc: toml::Table = APP_TOML
        .parse()
        .map_err(|e| ConfigError::Malformed("shopify.app.toml", format!("{e}")))?;
    doc.get("access_scopes")
        .and_then(|s| s.get("scopes"))
        .and_then(|s| s.as_str())
        .map(normalise_scopes)
        .ok_or(ConfigError::Malformed(
            "shopify.app.toml",
            "no [access_scopes] scopes".into(),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(mode: Mode, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(mode, |k| env.get(k).cloned())
    }

    #[test]
    fn demo_needs_nothing() {
        let s = settings(Mode::Demo, &[]).expect("demo defaults");
        assert_eq!(s.api_key, DEMO_API_KEY);
        assert!(s.scopes.contains("read_orders"));
    }

    #[test]
    fn serve_requires_the_secrets() {
        let err = settings(Mode::Production, &[("SHOPIFY_API_KEY", "k")]).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("SHOPIFY_API_SECRET", _)));
        let err = settings(
            Mode::Production,
            &[("SHOPIFY_API_KEY", "k"), ("SHOPIFY_API_SECRET", "s")],
        )
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing("FLYWHEEL_ENCRYPTION_KEY", _)
        ));
    }

    #[test]
    fn malformed_values_are_named() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 16]);
        let err = settings(
            Mode::Production,
            &[
                ("SHOPIFY_API_KEY", "k"),
                ("SHOPIFY_API_SECRET", "s"),
                ("FLYWHEEL_ENCRYPTION_KEY", &key),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("16 bytes"), "{err}");
        let err = settings(Mode::Demo, &[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(matches!(err, ConfigError::Malformed("DATABASE_URL", _)));
        let err = settings(Mode::Demo, &[("FLYWHEEL_SHOPIFY_BASE_URL", "ftp://x")]).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Malformed("FLYWHEEL_SHOPIFY_BASE_URL", _)
        ));
    }

    #[test]
    fn secrets_never_print() {
        let s = settings(Mode::Demo, &[]).expect("demo defaults");
        let shown = format!("{s:?}");
        assert!(!shown.contains(DEMO_API_SECRET));
    }
}
