//! Shop records: install, reinstall, uninstall, profile, token access, and the
//! single-use OAuth state nonces.
use super::TokenCipher;
use crate::shopify::ShopDomain;
use chrono::{DateTime, Duration, Utc};
use entity::{oauth_states, shops};
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set,
};

/// How long an install may take between `/auth` and the callback.
const STATE_TTL_MINUTES: i64 = 10;

/// What the Admin API tells us about a shop at install.
#[derive(Debug, Clone, Default)]
pub struct ShopProfile {
    pub name: Option<String>,
    pub email: Option<String>,
    pub currency: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
}

pub struct Shops;

impl Shops {
    pub async fn find(
        db: &impl ConnectionTrait,
        domain: &ShopDomain,
    ) -> Result<Option<shops::Model>, DbErr> {
        shops::Entity::find()
            .filter(shops::Column::Domain.eq(domain.as_str()))
            .one(db)
            .await
    }

    /// The shop if it is installed now (has a token and no uninstall since).
    pub async fn find_installed(
        db: &impl ConnectionTrait,
        domain: &ShopDomain,
    ) -> Result<Option<shops::Model>, DbErr> {
        Ok(Self::find(db, domain)
            .await?
            .filter(|s| s.access_token_encrypted.is_some() && s.uninstalled_at.is_none()))
    }

    /// Records an install (or reinstall) with a freshly granted offline token.
    #[tracing::instrument(skip(db, cipher, token))]
    pub async fn install(
        db: &impl ConnectionTrait,
        cipher: &TokenCipher,
        domain: &ShopDomain,
        token: &str,
        scopes: &str,
        now: DateTime<Utc>,
    ) -> Result<shops::Model, DbErr> {
        let encrypted = cipher.encrypt(domain.as_str(), token);
        let row = shops::ActiveModel {
            domain: Set(domain.as_str().to_owned()),
            currency: Set("USD".into()),
            timezone: Set("UTC".into()),
            locale: Set("en".into()),
            access_token_encrypted: Set(Some(encrypted)),
            scopes: Set(scopes.to_owned()),
            settings: Set(serde_json::json!({})),
            installed_at: Set(Some(now)),
            uninstalled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        shops::Entity::insert(row)
            .on_conflict(
                OnConflict::column(shops::Column::Domain)
                    .update_columns([
                        shops::Column::AccessTokenEncrypted,
                        shops::Column::Scopes,
                        shops::Column::InstalledAt,
                        shops::Column::UninstalledAt,
                        shops::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(db)
            .await?;
        Self::find(db, domain)
            .await?
            .ok_or_else(|| DbErr::RecordNotFound(domain.to_string()))
    }

    pub async fn update_profile(
        db: &impl ConnectionTrait,
        shop: shops::Model,
        profile: ShopProfile,
        now: DateTime<Utc>,
    ) -> Result<shops::Model, DbErr> {
        let mut row: shops::ActiveModel = shop.into();
        if let Some(v) = profile.name {
            row.name = Set(Some(v));
        }
        if let Some(v) = profile.email {
            row.email = Set(Some(v));
        }
        if let Some(v) = profile.currency {
            row.currency = Set(v);
        }
        if let Some(v) = profile.timezone {
            row.timezone = Set(v);
        }
        if let Some(v) = profile.locale {
            row.locale = Set(v);
        }
        row.updated_at = Set(now);
        row.update(db).await
    }

    /// The decrypted offline token, if the shop has one.
    pub fn access_token(cipher: &TokenCipher, shop: &shops::Model) -> Option<String> {
        let stored = shop.access_token_encrypted.as_deref()?;
        match cipher.decrypt(&shop.domain, stored) {
            Ok(token) => Some(token),
            Err(e) => {
                tracing::error!(shop = %shop.domain, error = %e, "stored access token unreadable");
                None
            }
        }
    }

    /// `app/uninstalled`: the token is revoked by the platform, so forget it.
    pub async fn mark_uninstalled(
        db: &impl ConnectionTrait,
        shop: shops::Model,
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let mut row: shops::ActiveModel = shop.into();
        row.access_token_encrypted = Set(None);
        row.uninstalled_at = Set(Some(now));
        row.updated_at = Set(now);
        row.update(db).await.map(|_| ())
    }

    /// A new single-use state nonce for an install of `domain`.
    pub async fn create_oauth_state(
        db: &impl ConnectionTrait,
        domain: &ShopDomain,
        now: DateTime<Utc>,
    ) -> Result<String, DbErr> {
        oauth_states::Entity::delete_many()
            .filter(oauth_states::Column::ExpiresAt.lt(now))
            .exec(db)
            .await?;
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        let nonce = hex::encode(bytes);
        oauth_states::ActiveModel {
            nonce: Set(nonce.clone()),
            shop_domain: Set(domain.as_str().to_owned()),
            created_at: Set(now),
            expires_at: Set(now + Duration::minutes(STATE_TTL_MINUTES)),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(nonce)
    }

    /// Consumes the nonce; true only if it was issued for `domain` and is unexpired.
    pub async fn take_oauth_state(
        db: &impl ConnectionTrait,
        domain: &ShopDomain,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let deleted = oauth_states::Entity::delete_many()
            .filter(oauth_states::Column::Nonce.eq(nonce))
            .filter(oauth_states::Column::ShopDomain.eq(domain.as_str()))
            .filter(oauth_states::Column::ExpiresAt.gt(now))
            .exec(db)
            .await?;
        Ok(deleted.rows_affected == 1)
    }
}
