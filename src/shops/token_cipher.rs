//! Access tokens at rest: AES-256-GCM with a random nonce per encryption and
//! the shop domain as associated data, so a ciphertext copied to another
//! shop's row does not decrypt.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct TokenCipher {
    cipher: Aes256Gcm,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    #[error("the stored token could not be decrypted (wrong key or tampered data)")]
    Undecryptable,
}

impl TokenCipher {
    pub fn new(key: &[u8; 32]) -> Self {
        TokenCipher {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// nonce || ciphertext+tag
    pub fn encrypt(&self, shop_domain: &str, token: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: token.as_bytes(),
                    aad: shop_domain.as_bytes(),
                },
            )
            // Encryption only fails for inputs longer than GCM's 64 GiB limit.
            .expect("AES-GCM encryption of a short token");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(&self, shop_domain: &str, stored: &[u8]) -> Result<String, CipherError> {
        if stored.len() <= NONCE_LEN {
            return Err(CipherError::Undecryptable);
        }
        let (nonce, sealed) = stored.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: shop_domain.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| CipherError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hides_the_token() {
        let cipher = TokenCipher::new(&[9u8; 32]);
        let stored = cipher.encrypt("a.myshopify.com", "shpat_secret_token");
        assert!(!stored.windows(6).any(|w| w == b"shpat_"));
        assert_eq!(
            cipher.decrypt("a.myshopify.com", &stored),
            Ok("shpat_secret_token".into())
        );
        assert_ne!(
            stored,
            cipher.encrypt("a.myshopify.com", "shpat_secret_token")
        );
    }

    #[test]
    fn refuses_other_shops_wrong_keys_and_tampering() {
        let cipher = TokenCipher::new(&[9u8; 32]);
        let stored = cipher.encrypt("a.myshopify.com", "shpat_secret_token");
        assert!(cipher.decrypt("b.myshopify.com", &stored).is_err());
        assert!(
            TokenCipher::new(&[8u8; 32])
                .decrypt("a.myshopify.com", &stored)
                .is_err()
        );
        let mut tampered = stored.clone();
        tampered[20] ^= 1;
        assert!(cipher.decrypt("a.myshopify.com", &tampered).is_err());
        assert!(cipher.decrypt("a.myshopify.com", &stored[..5]).is_err());
    }
}
