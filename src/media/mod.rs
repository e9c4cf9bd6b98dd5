//! Shopper media: photos checked and re-encoded (`photos`), the place they
//! are kept (`store`), and photos built in code for tests and the demo shop
//! (`samples`). Nothing here knows about HTTP or the database.
pub mod photos;
pub mod samples;
pub mod store;

pub use photos::{PhotoError, PhotoLimits, ProcessedPhoto, process};
pub use store::{MediaStore, StoreError};
