//! The storefront preview: the theme app extension's real blocks rendered as
//! a product page would render them, for the demo and for browser tests.
pub mod theme;
