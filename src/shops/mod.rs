//! Shops: installs, the encrypted offline token, the OAuth state nonces.
pub mod connection;
pub mod onboarding;
pub mod service;
pub mod settings;
pub mod token_cipher;

pub use connection::{PlatformDeps, ShopConnection};
pub use service::{ShopProfile, Shops};
pub use settings::{Section, ShopSettings};
pub use token_cipher::TokenCipher;
