//! Schema migrations. One file per change; a file is never edited after it lands.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_platform_edge;
mod m20261123_000002_loyalty;
mod m20261123_000003_delivery;
mod m20261123_000004_reviews;
mod m20261123_000005_scheduler;
mod m20261123_000006_emails;
mod m20261201_000007_flows_support;
mod m20261201_000008_returns;
mod m20261201_000009_history_imports;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_platform_edge::Migration),
            Box::new(m20261123_000002_loyalty::Migration),
            Box::new(m20261123_000003_delivery::Migration),
            Box::new(m20261123_000004_reviews::Migration),
            Box::new(m20261123_000005_scheduler::Migration),
            Box::new(m20261123_000006_emails::Migration),
            Box::new(m20261201_000007_flows_support::Migration),
            Box::new(m20261201_000008_returns::Migration),
            Box::new(m20261201_000009_history_imports::Migration),
        ]
    }
}
