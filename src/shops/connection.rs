//! How the app reaches one shop on the platform: its domain and decrypted
//! offline token over the Admin API. The demo shop lives only in this
//! database, so it has no platform to call: its calls are answered here as
//! if they had succeeded, and nothing leaves the machine.
use super::{Shops, TokenCipher};
use crate::shopify::ShopDomain;
use crate::shopify::admin_api::{AdminApi, AdminApiError};
use entity::shops;

/// What an action on a shop's platform needs: the database, the Admin API,
/// the token cipher, and the app secret (codes derived from their cause).
pub struct PlatformDeps<'a> {
    pub db: &'a sea_orm::DatabaseConnection,
    pub api: &'a AdminApi,
    pub cipher: &'a TokenCipher,
    pub secret: &'a [u8],
}

pub enum ShopConnection<'a> {
    Live {
        api: &'a AdminApi,
        shop: ShopDomain,
        token: String,
    },
    /// The demo shop: no platform behind it.
    Demo,
}

impl<'a> ShopConnection<'a> {
    /// The shop's connection; an uninstalled shop or one without a token has none.
    pub fn open(
        api: &'a AdminApi,
        cipher: &TokenCipher,
        shop: &shops::Model,
    ) -> Result<ShopConnection<'a>, AdminApiError> {
        if shop.domain == crate::demo::DEMO_SHOP {
            return Ok(ShopConnection::Demo);
        }
        let token = Shops::access_token(cipher, shop)
            .filter(|_| shop.uninstalled_at.is_none())
            .ok_or(AdminApiError::Unauthorized(401))?;
        Ok(ShopConnection::Live {
            api,
            shop: ShopDomain::from_stored(shop.domain.clone()),
            token,
        })
    }
}
