//! Shops: installs, the encrypted offline token, the OAuth state nonces.
pub mod onboarding;
pub mod service;
pub mod token_cipher;

pub use service::{ShopProfile, Shops};
pub use token_cipher::TokenCipher;
