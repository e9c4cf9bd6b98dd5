//! Recently computed dashboards, per shop and period, for a minute: the page,
//! its CSV exports and the API ask for the same figures in quick succession,
//! and a large shop's dashboard takes seconds. The merchant's new inputs
//! drop their shop's entries at once.
use super::dashboard::Dashboard;
use super::period::Period;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a dashboard is served again.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 256;

type Key = (i64, NaiveDate, NaiveDate);

#[derive(Default)]
pub struct DashboardCache {
    entries: Mutex<HashMap<Key, (Instant, Arc<Dashboard>)>>,
}

impl DashboardCache {
    pub fn get(&self, shop_id: i64, period: Period) -> Option<Arc<Dashboard>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&(shop_id, period.from, period.to))
            .filter(|(at, _)| at.elapsed() < FRESH_FOR)
            .map(|(_, d)| d.clone())
    }

    pub fn put(&self, shop_id: i64, period: Period, dashboard: Arc<Dashboard>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| *k)
        {
            entries.remove(&oldest);
        }
        entries.insert(
            (shop_id, period.from, period.to),
            (Instant::now(), dashboard),
        );
    }

    /// Drops every dashboard of the shop (its inputs changed).
    pub fn forget_shop(&self, shop_id: i64) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.retain(|(shop, _, _), _| *shop != shop_id);
        }
    }
}
