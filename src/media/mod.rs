//! Shopper media: photos checked and re-encoded (`photos`) and the place they
//! are kept (`store`), plus photos built in code for tests (`fixtures`) and
//! the demo shop (`product_shots`). Nothing here knows HTTP or the database.
pub mod fixtures;
pub mod photos;
pub mod product_shots;
pub mod store;

pub use photos::{PhotoError, PhotoLimits, ProcessedPhoto, process};
pub use store::{MediaStore, StoreError};
