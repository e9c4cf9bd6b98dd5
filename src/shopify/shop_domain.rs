//! A shop's permanent domain, `name.myshopify.com`: parsed once at the edge.
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ShopDomain(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not a shop domain of the form name.myshopify.com")]
pub struct InvalidShopDomain(pub String);

impl ShopDomain {
    pub fn parse(raw: &str) -> Result<ShopDomain, InvalidShopDomain> {
        let domain = raw.trim().to_ascii_lowercase();
        let name = domain
            .strip_suffix(".myshopify.com")
            .ok_or_else(|| InvalidShopDomain(raw.to_owned()))?;
        let valid = !name.is_empty()
            && name.len() <= 60
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        if valid {
            Ok(ShopDomain(domain))
        } else {
            Err(InvalidShopDomain(raw.to_owned()))
        }
    }

    /// A domain read back from our own tables: it was parsed before it was stored.
    pub fn from_stored(domain: String) -> ShopDomain {
        ShopDomain(domain)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_myshopify_domains_only() {
        assert_eq!(
            ShopDomain::parse("Cool-Shop.myshopify.com").map(|d| d.to_string()),
            Ok("cool-shop.myshopify.com".into())
        );
        for bad in [
            "evil.com",
            "myshopify.com",
            ".myshopify.com",
            "a.b.myshopify.com",
            "shop.myshopify.com.evil.com",
            "shop.myshopify.com/",
            "-shop.myshopify.com",
            "sh op.myshopify.com",
            "",
        ] {
            assert!(ShopDomain::parse(bad).is_err(), "{bad} accepted");
        }
    }
}
