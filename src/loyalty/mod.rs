//! Loyalty (DESIGN.md, capability 3): points for what shoppers do, VIP tiers,
//! referrals and real discount-code rewards. `rules`, `tiers` and `fraud` are
//! pure; the rest reads and writes the database and, for codes and tags, the
//! Admin API.
pub mod events;
pub mod fraud;
pub mod jobs;
pub mod launch;
pub mod ledger;
pub mod members;
pub mod platform;
pub mod privacy;
pub mod program;
pub mod redemption;
pub mod referrals;
pub mod rules;
pub mod service;
pub mod tiers;
pub mod views;

pub use ledger::{Balance, PointsLedger, Reason};
pub use program::{Program, Programs};
pub use service::{Activity, Loyalty};
