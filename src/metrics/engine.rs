//! The retention arithmetic, pure: it is fed each customer's orders in turn
//! (sorted by time) and returns every figure of the dashboard. No database,
//! no clock: the loader streams rows in, tests feed hand-made fixtures.
//!
//! Definitions (shown to the merchant next to the numbers):
//! - an order counts when it is paid (or partly refunded) and not cancelled;
//!   its revenue is its total less what was refunded on it;
//! - a customer of a period ordered in it; a repeat customer of a period
//!   ordered in it and had ordered before (two or more orders by its end);
//! - the customer base at a moment: customers who ordered in the 365 days before it.
use super::period::{Month, Period};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How far back an order keeps someone in the customer base.
pub const BASE_WINDOW_DAYS: i64 = 365;
/// Months since the first order shown in the cohort matrix (0 = the first month).
pub const COHORT_OFFSETS: usize = 12;
/// The LTV:CAC ratio a healthy shop aims for.
pub const LTV_CAC_TARGET: f64 = 3.0;
/// A customer is "loyal" from this many orders.
pub const LOYAL_ORDERS: usize = 3;

/// One counted order, as the loader reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub customer_id: i64,
    /// Our id of the order.
    pub order_id: i64,
    pub at: DateTime<Utc>,
    pub total_minor: i64,
    pub refunded_minor: i64,
}

/// Where a new customer's first order came from (read for first orders only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FirstVisit {
    pub source_name: Option<String>,
    pub landing_site: Option<String>,
    pub referring_site: Option<String>,
    /// Comma-separated, as stored.
    pub discount_codes: String,
}

impl OrderRow {
    pub fn net_minor(&self) -> i64 {
        (self.total_minor - self.refunded_minor).max(0)
    }
}

/// What the merchant told us, and what the rest of the app knows.
#[derive(Debug, Clone)]
pub struct Context {
    pub tz: Tz,
    pub period: Period,
    /// The months shown month by month (those the period touches).
    pub months: Vec<Month>,
    pub now: DateTime<Utc>,
    /// The win-back lapse window set by the merchant (days); None: learned
    /// from the shop's own time to a second order.
    pub lapse_days: Option<u32>,
    /// VIP: the top share of customers by spend, whole percent.
    pub vip_top_percent: u32,
    /// Gross margin when nothing more precise is known, 0–1.
    pub default_margin: f64,
    /// Acquisition spend by month (`YYYY-MM`), minor units.
    pub spend_by_month: BTreeMap<String, i64>,
    /// Sale periods, local dates inclusive.
    pub sales: Vec<(NaiveDate, NaiveDate)>,
    /// Customers enrolled in the loyalty program.
    pub members: HashSet<i64>,
    pub loyalty_launched_at: Option<DateTime<Utc>>,
}

/// Per month (and for the whole period): the margin learned from line items
/// (value, value × product margin), when product margins are known.
pub type MarginByMonth = HashMap<String, (i64, f64)>;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MonthFigures {
    pub month: String,
    pub customers: u64,
    pub repeat_customers: u64,
    pub repeat_purchase_rate: Option<f64>,
    pub orders: u64,
    pub revenue_minor: i64,
    pub refunded_minor: i64,
    pub aov_minor: Option<i64>,
    pub orders_per_customer: Option<f64>,
    pub gross_margin: f64,
    pub ltv_minor: Option<i64>,
    pub new_customers: u64,
    pub acquisition_spend_minor: i64,
    pub cac_minor: Option<i64>,
    pub ltv_cac: Option<f64>,
    pub customers_at_start: u64,
    pub customers_at_end: u64,
    pub retention_rate: Option<f64>,
    pub nps: Option<f64>,
    pub csat: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CohortCell {
    pub offset: usize,
    pub customers: u64,
    pub rate: f64,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cohort {
    pub month: String,
    pub customers: u64,
    /// From month 0 (the first order) to the last month that has begun.
    pub retention: Vec<CohortCell>,
    pub revenue_minor: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bucket {
    pub label: String,
    pub from_days: i64,
    pub to_days: Option<i64>,
    pub customers: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimeToSecond {
    pub repeat_customers: u64,
    pub median_days: Option<f64>,
    pub distribution: Vec<Bucket>,
    pub suggested_lapse_days: u32,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SegmentKey {
    Vip,
    Loyal,
    New,
    Active,
    Lapsed,
}

impl SegmentKey {
    pub const ALL: [SegmentKey; 5] = [
        SegmentKey::Vip,
        SegmentKey::Loyal,
        SegmentKey::New,
        SegmentKey::Active,
        SegmentKey::Lapsed,
    ];

    pub fn key(self) -> &'static str {
        match self {
            SegmentKey::Vip => "vip",
            SegmentKey::Loyal => "loyal",
            SegmentKey::New => "new",
            SegmentKey::Active => "active",
            SegmentKey::Lapsed => "lapsed",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Segment {
    pub key: SegmentKey,
    pub customers: u64,
    pub revenue_minor: i64,
}

/// The rules the segments were cut with (shown next to the counts).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentRules {
    pub lapse_days: u32,
    pub loyal_orders: usize,
    pub vip_top_percent: u32,
    pub vip_threshold_minor: Option<i64>,
    pub as_of: DateTime<Utc>,
}

/// A group of newly acquired customers and how many came back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RepeatGroup {
    pub name: String,
    pub customers: u64,
    pub repeat_customers: u64,
    pub repeat_rate: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Channels {
    pub sources: Vec<RepeatGroup>,
    pub landing: Vec<RepeatGroup>,
    pub discounts: Vec<RepeatGroup>,
    pub sales: Vec<RepeatGroup>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Loyalty {
    pub members: RepeatGroup,
    pub non_members: RepeatGroup,
    pub launched_at: Option<DateTime<Utc>>,
    /// Repeat purchase rate in the 60 days before and after the launch.
    pub before: Option<RepeatGroup>,
    pub after: Option<RepeatGroup>,
    /// After − before, in rate points (0.05 = five points).
    pub lift: Option<f64>,
}

/// One customer's lifetime, for segments and the customers export.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerSummary {
    pub customer_id: i64,
    pub orders: usize,
    pub spend_minor: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub segment: SegmentKey,
}

impl CustomerSummary {
    /// Average days between orders (None with one order).
    pub fn frequency_days(&self) -> Option<f64> {
        (self.orders > 1).then(|| {
            (self.last_at - self.first_at).num_hours() as f64 / 24.0 / (self.orders - 1) as f64
        })
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    pub customers: u64,
    pub repeat_customers: u64,
    pub repeat_purchase_rate: f64,
    pub orders: u64,
    pub revenue_minor: i64,
    pub refunded_minor: i64,
    pub aov_minor: Option<i64>,
    pub orders_per_customer: Option<f64>,
    pub gross_margin: f64,
    pub ltv_minor: Option<i64>,
    pub new_customers: u64,
    pub acquisition_spend_minor: i64,
    pub cac_minor: Option<i64>,
    pub ltv_cac: Option<f64>,
    pub customers_at_start: u64,
    pub customers_at_end: u64,
    pub retention_rate: Option<f64>,
}

/// Everything the engine works out from the orders.
#[derive(Debug, Clone)]
pub struct Computed {
    pub totals: Totals,
    pub months: Vec<MonthFigures>,
    pub cohorts: Vec<Cohort>,
    pub time_to_second: TimeToSecond,
    pub segments: Vec<Segment>,
    pub segment_rules: SegmentRules,
    pub channels: Channels,
    pub loyalty: Loyalty,
    pub customers: Vec<CustomerSummary>,
    /// The first orders of the customers the period acquired (our order id →
    /// whether that customer ordered again), for the products they bought.
    pub first_orders: HashMap<i64, bool>,
}

#[derive(Default, Clone)]
struct Tally {
    customers: u64,
    repeat: u64,
    orders: u64,
    revenue: i64,
    refunded: i64,
    new: u64,
    /// New customers still in the base at the end (all of them, unless the period outlasts the base window).
    new_at_end: u64,
    at_start: u64,
    at_end: u64,
}

#[derive(Default, Clone, Copy)]
struct Count {
    customers: u64,
    repeat: u64,
}

impl Count {
    fn add(&mut self, repeat: bool) {
        self.customers += 1;
        self.repeat += u64::from(repeat);
    }

    fn group(self, name: String) -> RepeatGroup {
        RepeatGroup {
            name,
            customers: self.customers,
            repeat_customers: self.repeat,
            repeat_rate: ratio(self.repeat as f64, self.customers as f64).unwrap_or(0.0),
        }
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Days-to-second-order buckets: (label, from, to inclusive).
const BUCKETS: [(&str, i64, Option<i64>); 8] = [
    ("0–7", 0, Some(7)),
    ("8–14", 8, Some(14)),
    ("15–30", 15, Some(30)),
    ("31–60", 31, Some(60)),
    ("61–90", 61, Some(90)),
    ("91–180", 91, Some(180)),
    ("181–365", 181, Some(365)),
    ("365+", 366, None),
];

/// Where a first visit came from: the landing page's `utm_source`, else the
/// referring site's host, else "direct".
pub fn landing_channel(landing: Option<&str>, referrer: Option<&str>) -> String {
    let utm = landing.and_then(|l| {
        let query = l.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == "utm_source" && !v.is_empty()).then(|| v.to_ascii_lowercase())
        })
    });
    if let Some(utm) = utm {
        return utm;
    }
    let host = referrer.and_then(|r| {
        let rest = r.split_once("://").map_or(r, |(_, rest)| rest);
        let host = rest.split(['/', '?', '#']).next()?.trim();
        let host = host.strip_prefix("www.").unwrap_or(host);
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    });
    host.unwrap_or_else(|| "direct".to_owned())
}

/// One customer so far: (customer, orders, spend, first order, last order).
type Lifetime = (i64, usize, i64, DateTime<Utc>, DateTime<Utc>);

fn ranked(map: &BTreeMap<String, Count>) -> Vec<RepeatGroup> {
    let mut groups: Vec<RepeatGroup> = map.iter().map(|(k, c)| c.group(k.clone())).collect();
    groups.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then_with(|| a.name.cmp(&b.name))
    });
    groups.truncate(10);
    groups
}

/// New customers by order source, by landing page or referrer, and by the
/// discount code of their first order (`repeat`: they ordered again), the
/// ten largest groups of each.
pub fn channels(
    visits: impl IntoIterator<Item = (FirstVisit, bool)>,
) -> (Vec<RepeatGroup>, Vec<RepeatGroup>, Vec<RepeatGroup>) {
    let mut sources: BTreeMap<String, Count> = BTreeMap::new();
    let mut landing: BTreeMap<String, Count> = BTreeMap::new();
    let mut discounts: BTreeMap<String, Count> = BTreeMap::new();
    for (visit, repeat) in visits {
        let source = visit
            .source_name
            .clone()
            .unwrap_or_else(|| "unknown".into());
        sources.entry(source).or_default().add(repeat);
        let from = landing_channel(
            visit.landing_site.as_deref(),
            visit.referring_site.as_deref(),
        );
        landing.entry(from).or_default().add(repeat);
        let codes: Vec<&str> = visit
            .discount_codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if codes.is_empty() {
            discounts.entry(String::new()).or_default().add(repeat);
        }
        for code in codes {
            discounts
                .entry(code.to_ascii_uppercase())
                .or_default()
                .add(repeat);
        }
    }
    (ranked(&sources), ranked(&landing), ranked(&discounts))
}

/// Feeds customers in, then `finish`.
pub struct Engine<'a> {
    ctx: &'a Context,
    month_index: HashMap<(i32, u32), usize>,
    month_starts: Vec<DateTime<Utc>>,
    month_ends: Vec<DateTime<Utc>>,
    period_end: DateTime<Utc>,
    totals: Tally,
    months: Vec<Tally>,
    cohorts: Vec<(u64, Vec<u64>, Vec<i64>)>,
    days_to_second: Vec<i64>,
    summaries: Vec<Lifetime>,
    sales: [Count; 2],
    members: Count,
    non_members: Count,
    before: Count,
    after: Count,
    first_orders: HashMap<i64, bool>,
}

impl<'a> Engine<'a> {
    pub fn new(ctx: &'a Context) -> Self {
        let month_index = ctx
            .months
            .iter()
            .enumerate()
            .map(|(i, m)| ((m.year, m.month), i))
            .collect();
        let period_end = ctx.period.end_utc(ctx.tz).min(ctx.now);
        Engine {
            ctx,
            month_index,
            // The first month may begin mid-month: it counts from the period's first day.
            month_starts: ctx
                .months
                .iter()
                .map(|m| m.start_utc(ctx.tz).max(ctx.period.start_utc(ctx.tz)))
                .collect(),
            month_ends: ctx
                .months
                .iter()
                .map(|m| m.end_utc(ctx.tz).min(period_end.max(m.start_utc(ctx.tz))))
                .collect(),
            period_end,
            totals: Tally::default(),
            months: vec![Tally::default(); ctx.months.len()],
            cohorts: vec![
                (0, vec![0; COHORT_OFFSETS + 1], vec![0; COHORT_OFFSETS + 1]);
                ctx.months.len()
            ],
            days_to_second: Vec::new(),
            summaries: Vec::new(),
            sales: [Count::default(); 2],
            members: Count::default(),
            non_members: Count::default(),
            before: Count::default(),
            after: Count::default(),
            first_orders: HashMap::new(),
        }
    }

    fn month_of(&self, at: DateTime<Utc>) -> Option<usize> {
        let m = Month::of(at, self.ctx.tz);
        self.month_index.get(&(m.year, m.month)).copied()
    }

    /// True when the customer had an order in the base window before `at`.
    fn in_base(orders: &[&OrderRow], at: DateTime<Utc>) -> bool {
        let since = at - Duration::days(BASE_WINDOW_DAYS);
        orders.iter().any(|o| o.at >= since && o.at < at)
    }

    /// One customer's counted orders, oldest first. Orders after the period are ignored.
    pub fn add_customer(&mut self, orders: &[OrderRow]) {
        let orders: Vec<&OrderRow> = orders.iter().filter(|o| o.at < self.period_end).collect();
        let Some(first) = orders.first().copied() else {
            return;
        };
        let ctx = self.ctx;
        let start = ctx.period.start_utc(ctx.tz);
        let end = self.period_end;
        let repeat_by_end = orders.len() >= 2;

        // The period as a whole.
        let in_period: Vec<(usize, &OrderRow)> = orders
            .iter()
            .enumerate()
            .filter(|(_, o)| o.at >= start && o.at < end)
            .map(|(i, o)| (i, *o))
            .collect();
        if !in_period.is_empty() {
            self.totals.customers += 1;
            self.totals.repeat += u64::from(in_period.iter().any(|(i, _)| *i >= 1));
            for (_, o) in &in_period {
                self.totals.orders += 1;
                self.totals.revenue += o.net_minor();
                self.totals.refunded += o.refunded_minor.min(o.total_minor);
            }
        }
        let acquired_in_period = first.at >= start && first.at < end;
        self.totals.new += u64::from(acquired_in_period);
        self.totals.new_at_end += u64::from(acquired_in_period && Self::in_base(&orders, end));
        self.totals.at_start += u64::from(Self::in_base(&orders, start));
        self.totals.at_end += u64::from(Self::in_base(&orders, end));

        // Month by month.
        let mut seen = vec![false; self.months.len()];
        let mut repeat_in = vec![false; self.months.len()];
        for (i, o) in orders.iter().enumerate().filter(|(_, o)| o.at >= start) {
            if let Some(m) = self.month_of(o.at) {
                let t = &mut self.months[m];
                t.orders += 1;
                t.revenue += o.net_minor();
                t.refunded += o.refunded_minor.min(o.total_minor);
                seen[m] = true;
                repeat_in[m] |= i >= 1;
            }
        }
        for m in 0..self.months.len() {
            let t = &mut self.months[m];
            if seen[m] {
                t.customers += 1;
                t.repeat += u64::from(repeat_in[m]);
            }
            t.at_start += u64::from(Self::in_base(&orders, self.month_starts[m]));
            t.at_end += u64::from(Self::in_base(&orders, self.month_ends[m]));
        }
        let cohort = self.month_of(first.at).filter(|_| first.at >= start);
        if let Some(c) = cohort {
            self.months[c].new += 1;
            let first_month = Month::of(first.at, ctx.tz);
            let (size, returning, revenue) = &mut self.cohorts[c];
            *size += 1;
            let mut offsets_seen = [false; COHORT_OFFSETS + 1];
            for o in &orders {
                let offset = first_month.months_until(Month::of(o.at, ctx.tz));
                if let Some(slot) = usize::try_from(offset)
                    .ok()
                    .filter(|k| *k <= COHORT_OFFSETS)
                {
                    revenue[slot] += o.net_minor();
                    if !offsets_seen[slot] {
                        offsets_seen[slot] = true;
                        returning[slot] += 1;
                    }
                }
            }
        }

        if let Some(second) = orders.get(1) {
            self.days_to_second.push((second.at - first.at).num_days());
        }
        let spend: i64 = orders.iter().map(|o| o.net_minor()).sum();
        let last = orders.last().map_or(first.at, |o| o.at);
        self.summaries
            .push((first.customer_id, orders.len(), spend, first.at, last));

        // Where newly acquired customers came from, and whether they came back.
        if acquired_in_period {
            self.first_orders.insert(first.order_id, repeat_by_end);
            let day = first.at.with_timezone(&ctx.tz).date_naive();
            let in_sale = ctx
                .sales
                .iter()
                .any(|(from, to)| day >= *from && day <= *to);
            self.sales[usize::from(in_sale)].add(repeat_by_end);
        }

        if ctx.members.contains(&first.customer_id) {
            self.members.add(repeat_by_end);
        } else {
            self.non_members.add(repeat_by_end);
        }
        if let Some(launch) = ctx.loyalty_launched_at {
            let window = Duration::days(60);
            let tally = |from: DateTime<Utc>, to: DateTime<Utc>, count: &mut Count| {
                let within: Vec<usize> = orders
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| o.at >= from && o.at < to)
                    .map(|(i, _)| i)
                    .collect();
                if !within.is_empty() {
                    count.add(within.iter().any(|i| *i >= 1));
                }
            };
            tally(launch - window, launch, &mut self.before);
            tally(launch, (launch + window).min(ctx.now), &mut self.after);
        }
    }

    fn margin(&self, margins: Option<&MarginByMonth>, key: &str) -> f64 {
        margins
            .and_then(|m| m.get(key))
            .filter(|(value, _)| *value > 0)
            .map_or(self.ctx.default_margin, |(value, weighted)| {
                weighted / *value as f64
            })
    }

    fn spend_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        // Monthly spend, prorated by the share of each month inside [from, to).
        let mut total = 0f64;
        for (key, spend) in &self.ctx.spend_by_month {
            let Some(month) = Month::parse(key) else {
                continue;
            };
            let (ms, me) = (month.start_utc(self.ctx.tz), month.end_utc(self.ctx.tz));
            let overlap = (me.min(to) - ms.max(from)).num_seconds();
            if overlap > 0 {
                total += *spend as f64 * overlap as f64 / (me - ms).num_seconds() as f64;
            }
        }
        total.round() as i64
    }

    pub fn finish(self, margins: Option<&MarginByMonth>) -> Computed {
        let ctx = self.ctx;
        let figures = |t: &Tally, margin: f64, spend: i64| {
            let aov = ratio(t.revenue as f64, t.orders as f64);
            let per_customer = ratio(t.orders as f64, t.customers as f64);
            let ltv = aov.zip(per_customer).map(|(a, p)| a * p * margin);
            let cac = ratio(spend as f64, t.new as f64).filter(|_| spend > 0);
            let ltv_cac = ltv.zip(cac).and_then(|(l, c)| ratio(l, c));
            (aov, per_customer, ltv, cac, ltv_cac)
        };
        let period_key = "period";
        let start = ctx.period.start_utc(ctx.tz);
        let spend = self.spend_between(start, ctx.period.end_utc(ctx.tz));
        let margin = self.margin(margins, period_key);
        let t = &self.totals;
        let (aov, per_customer, ltv, cac, ltv_cac) = figures(t, margin, spend);
        let totals = Totals {
            customers: t.customers,
            repeat_customers: t.repeat,
            repeat_purchase_rate: ratio(t.repeat as f64, t.customers as f64).unwrap_or(0.0),
            orders: t.orders,
            revenue_minor: t.revenue,
            refunded_minor: t.refunded,
            aov_minor: aov.map(|v| v.round() as i64),
            orders_per_customer: per_customer,
            gross_margin: margin,
            ltv_minor: ltv.map(|v| v.round() as i64),
            new_customers: t.new,
            acquisition_spend_minor: spend,
            cac_minor: cac.map(|v| v.round() as i64),
            ltv_cac,
            customers_at_start: t.at_start,
            customers_at_end: t.at_end,
            retention_rate: ratio(t.at_end as f64 - t.new_at_end as f64, t.at_start as f64),
        };
        let months = ctx
            .months
            .iter()
            .zip(&self.months)
            .enumerate()
            .map(|(i, (m, t))| {
                let key = m.key();
                let margin = self.margin(margins, &key);
                let spend = self.spend_between(
                    self.month_starts[i].max(start),
                    m.end_utc(ctx.tz).min(ctx.period.end_utc(ctx.tz)),
                );
                let (aov, per_customer, ltv, cac, ltv_cac) = figures(t, margin, spend);
                MonthFigures {
                    month: key,
                    customers: t.customers,
                    repeat_customers: t.repeat,
                    repeat_purchase_rate: ratio(t.repeat as f64, t.customers as f64),
                    orders: t.orders,
                    revenue_minor: t.revenue,
                    refunded_minor: t.refunded,
                    aov_minor: aov.map(|v| v.round() as i64),
                    orders_per_customer: per_customer,
                    gross_margin: margin,
                    ltv_minor: ltv.map(|v| v.round() as i64),
                    new_customers: t.new,
                    acquisition_spend_minor: spend,
                    cac_minor: cac.map(|v| v.round() as i64),
                    ltv_cac,
                    customers_at_start: t.at_start,
                    customers_at_end: t.at_end,
                    retention_rate: ratio(t.at_end as f64 - t.new as f64, t.at_start as f64),
                    nps: None,
                    csat: None,
                }
            })
            .collect();

        // Cohort months run to the period's end (orders after it are not read).
        let now_month = Month::of(self.period_end - Duration::seconds(1), ctx.tz);
        let cohorts = ctx
            .months
            .iter()
            .zip(&self.cohorts)
            .filter(|(_, (size, _, _))| *size > 0)
            .map(|(m, (size, returning, revenue))| {
                let begun = usize::try_from(m.months_until(now_month)).unwrap_or(0);
                let last = begun.min(COHORT_OFFSETS);
                Cohort {
                    month: m.key(),
                    customers: *size,
                    retention: (0..=last)
                        .map(|k| CohortCell {
                            offset: k,
                            customers: returning[k],
                            rate: returning[k] as f64 / *size as f64,
                            revenue_minor: revenue[k],
                        })
                        .collect(),
                    revenue_minor: revenue.iter().sum(),
                }
            })
            .collect();

        let mut days = self.days_to_second.clone();
        let median_days = crate::flows::rules::median(&mut days);
        let time_to_second = TimeToSecond {
            repeat_customers: days.len() as u64,
            median_days,
            distribution: BUCKETS
                .iter()
                .map(|(label, from, to)| Bucket {
                    label: (*label).to_owned(),
                    from_days: *from,
                    to_days: *to,
                    customers: days
                        .iter()
                        .filter(|d| **d >= *from && to.is_none_or(|to| **d <= to))
                        .count() as u64,
                })
                .collect(),
            suggested_lapse_days: crate::flows::rules::learned_lapse_days(&mut days),
        };

        // Segments as of the period's end.
        let as_of = self.period_end;
        let mut spends: Vec<i64> = self.summaries.iter().map(|s| s.2).collect();
        let vip_threshold = crate::flows::rules::top_threshold(&mut spends, ctx.vip_top_percent);
        let lapse_days = ctx
            .lapse_days
            .unwrap_or(time_to_second.suggested_lapse_days);
        let lapse = Duration::days(i64::from(lapse_days));
        let mut by_segment: BTreeMap<SegmentKey, (u64, i64)> = BTreeMap::new();
        let customers: Vec<CustomerSummary> = self
            .summaries
            .iter()
            .map(|&(customer_id, orders, spend, first_at, last_at)| {
                let recent = as_of - last_at <= lapse;
                let segment = if vip_threshold.is_some_and(|v| spend >= v && spend > 0) {
                    SegmentKey::Vip
                } else if !recent {
                    SegmentKey::Lapsed
                } else if orders >= LOYAL_ORDERS {
                    SegmentKey::Loyal
                } else if orders == 1 {
                    SegmentKey::New
                } else {
                    SegmentKey::Active
                };
                let entry = by_segment.entry(segment).or_default();
                entry.0 += 1;
                entry.1 += spend;
                CustomerSummary {
                    customer_id,
                    orders,
                    spend_minor: spend,
                    first_at,
                    last_at,
                    segment,
                }
            })
            .collect();
        let segments = SegmentKey::ALL
            .iter()
            .map(|k| {
                let (customers, revenue) = by_segment.get(k).copied().unwrap_or_default();
                Segment {
                    key: *k,
                    customers,
                    revenue_minor: revenue,
                }
            })
            .collect();

        // Sources, landing pages and codes come from the first orders' visits (`channels`).
        let channels = Channels {
            sources: Vec::new(),
            landing: Vec::new(),
            discounts: Vec::new(),
            sales: if ctx.sales.is_empty() {
                Vec::new()
            } else {
                vec![
                    self.sales[1].group("sale".into()),
                    self.sales[0].group("no_sale".into()),
                ]
            },
        };
        let launched = ctx.loyalty_launched_at;
        let before = launched.map(|_| self.before.group("before".into()));
        let after = launched.map(|_| self.after.group("after".into()));
        let lift = before
            .as_ref()
            .zip(after.as_ref())
            .filter(|(b, a)| b.customers > 0 && a.customers > 0)
            .map(|(b, a)| a.repeat_rate - b.repeat_rate);
        let loyalty = Loyalty {
            members: self.members.group("members".into()),
            non_members: self.non_members.group("non_members".into()),
            launched_at: launched,
            before,
            after,
            lift,
        };
        Computed {
            totals,
            months,
            cohorts,
            time_to_second,
            segments,
            segment_rules: SegmentRules {
                lapse_days,
                loyal_orders: LOYAL_ORDERS,
                vip_top_percent: ctx.vip_top_percent,
                vip_threshold_minor: vip_threshold,
                as_of,
            },
            channels,
            loyalty,
            customers,
            first_orders: self.first_orders,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn order(customer: i64, when: DateTime<Utc>, total: i64, refunded: i64) -> OrderRow {
        OrderRow {
            customer_id: customer,
            order_id: when.timestamp(),
            at: when,
            total_minor: total,
            refunded_minor: refunded,
        }
    }

    fn context(tz: Tz) -> Context {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let period = Period {
            from: day(2026, 1, 1),
            to: day(2026, 3, 31),
        };
        Context {
            tz,
            period,
            months: period.months(),
            now: at(2026, 4, 15, 12, 0),
            lapse_days: Some(60),
            vip_top_percent: 5,
            default_margin: 0.3,
            spend_by_month: BTreeMap::from([
                ("2026-01".to_owned(), 10_000),
                ("2026-02".to_owned(), 30_000),
            ]),
            sales: vec![(day(2026, 2, 8), day(2026, 2, 12))],
            members: HashSet::from([1]),
            loyalty_launched_at: Some(at(2026, 1, 20, 0, 0)),
        }
    }

    /// Four customers, worked out by hand in the comments.
    fn fixture() -> Vec<Vec<OrderRow>> {
        let b = order(2, at(2026, 1, 31, 23, 30), 8_000, 0); // 1 February in Rome
        let c = order(3, at(2026, 2, 10, 9, 0), 4_000, 0);
        vec![
            vec![
                order(1, at(2025, 12, 10, 10, 0), 10_000, 0),
                order(1, at(2026, 1, 15, 10, 0), 5_000, 0),
                order(1, at(2026, 3, 1, 10, 0), 5_000, 2_000),
            ],
            vec![b],
            vec![c],
            vec![order(4, at(2025, 2, 1, 10, 0), 6_000, 0)],
        ]
    }

    fn compute(ctx: &Context, customers: &[Vec<OrderRow>]) -> Computed {
        let mut engine = Engine::new(ctx);
        for orders in customers {
            engine.add_customer(orders);
        }
        engine.finish(None)
    }

    #[test]
    fn period_figures_match_the_hand_count() {
        let ctx = context(chrono_tz::Europe::Rome);
        let c = compute(&ctx, &fixture());
        let t = &c.totals;
        // A, B and C ordered in the period; only A had ordered before.
        assert_eq!((t.customers, t.repeat_customers), (3, 1));
        assert!((t.repeat_purchase_rate - 1.0 / 3.0).abs() < 1e-9);
        // 50 + (50 − 20 refunded) + 80 + 40 over four orders.
        assert_eq!(
            (t.orders, t.revenue_minor, t.refunded_minor),
            (4, 20_000, 2_000)
        );
        assert_eq!(t.aov_minor, Some(5_000));
        assert!((t.orders_per_customer.unwrap() - 4.0 / 3.0).abs() < 1e-9);
        // LTV = 50.00 × 4/3 × 30% = 20.00.
        assert_eq!(t.ltv_minor, Some(2_000));
        // CAC = (100 + 300 spent) ÷ 2 new customers (B and C) = 200.00; LTV:CAC 0.1.
        assert_eq!((t.new_customers, t.acquisition_spend_minor), (2, 40_000));
        assert_eq!(t.cac_minor, Some(20_000));
        assert!((t.ltv_cac.unwrap() - 0.1).abs() < 1e-9);
        // At the start A and D (ordered within a year); at the end A, B, C (D lapsed past a year).
        assert_eq!((t.customers_at_start, t.customers_at_end), (2, 3));
        assert_eq!(t.retention_rate, Some(0.5));
    }

    #[test]
    fn months_follow_the_shop_clock() {
        let rome = compute(&context(chrono_tz::Europe::Rome), &fixture());
        let by = |c: &Computed, m: &str| c.months.iter().find(|f| f.month == m).cloned().unwrap();
        // 23:30 UTC on 31 January is February in Rome.
        assert_eq!(
            (
                by(&rome, "2026-01").customers,
                by(&rome, "2026-02").customers
            ),
            (1, 2)
        );
        assert_eq!(by(&rome, "2026-01").repeat_purchase_rate, Some(1.0));
        assert_eq!(by(&rome, "2026-02").repeat_purchase_rate, Some(0.0));
        assert_eq!(by(&rome, "2026-02").new_customers, 2);
        assert_eq!(by(&rome, "2026-02").cac_minor, Some(15_000));
        assert_eq!(by(&rome, "2026-03").refunded_minor, 2_000);
        let utc = compute(&context(chrono_tz::UTC), &fixture());
        assert_eq!(
            (by(&utc, "2026-01").customers, by(&utc, "2026-02").customers),
            (2, 1)
        );
    }

    #[test]
    fn cohorts_time_to_second_and_segments() {
        let c = compute(&context(chrono_tz::Europe::Rome), &fixture());
        // Only February acquired anyone (B and C); the period ends in March, so months 0–1.
        assert_eq!(c.cohorts.len(), 1);
        let feb = &c.cohorts[0];
        assert_eq!(
            (feb.month.as_str(), feb.customers, feb.retention.len()),
            ("2026-02", 2, 2)
        );
        assert_eq!(
            (feb.retention[0].rate, feb.retention[0].revenue_minor),
            (1.0, 12_000)
        );
        assert_eq!(feb.retention[1].customers, 0);
        // A: 10 December → 15 January.
        assert_eq!(c.time_to_second.median_days, Some(36.0));
        assert_eq!(c.time_to_second.repeat_customers, 1);
        let bucket = |label: &str| {
            c.time_to_second
                .distribution
                .iter()
                .find(|b| b.label == label)
                .unwrap()
                .customers
        };
        assert_eq!(bucket("31–60"), 1);
        assert_eq!(
            c.time_to_second.suggested_lapse_days, 60,
            "too few to learn from"
        );
        let seg = |k: SegmentKey| c.segments.iter().find(|s| s.key == k).cloned().unwrap();
        // A spent the most (top 5% of four is one customer); B and C bought once lately; D lapsed.
        assert_eq!(
            (
                seg(SegmentKey::Vip).customers,
                seg(SegmentKey::Vip).revenue_minor
            ),
            (1, 18_000)
        );
        assert_eq!(
            (
                seg(SegmentKey::New).customers,
                seg(SegmentKey::New).revenue_minor
            ),
            (2, 12_000)
        );
        assert_eq!(seg(SegmentKey::Lapsed).customers, 1);
        assert_eq!(
            seg(SegmentKey::Loyal).customers + seg(SegmentKey::Active).customers,
            0
        );
        assert_eq!(c.segment_rules.vip_threshold_minor, Some(18_000));
        let a = c.customers.iter().find(|s| s.customer_id == 1).unwrap();
        assert_eq!(a.frequency_days().map(|d| d.round()), Some(41.0));
    }

    #[test]
    fn channels_sales_and_loyalty() {
        let c = compute(&context(chrono_tz::Europe::Rome), &fixture());
        // The customers the period won, by their first order (B's and C's).
        let mut firsts: Vec<(&i64, &bool)> = c.first_orders.iter().collect();
        firsts.sort();
        assert_eq!(firsts.len(), 2);
        assert!(firsts.iter().all(|(_, repeat)| !**repeat));
        let b = FirstVisit {
            source_name: Some("web".into()),
            landing_site: Some("https://shop.example/?utm_source=TikTok&utm_medium=cpc".into()),
            ..FirstVisit::default()
        };
        let cv = FirstVisit {
            source_name: Some("instagram".into()),
            referring_site: Some("https://www.instagram.com/p/1".into()),
            discount_codes: "welcome".into(),
            ..FirstVisit::default()
        };
        let (sources, landing, discounts) = channels([(b, false), (cv, true)]);
        let names = |g: &[RepeatGroup]| g.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&sources), ["instagram", "web"]);
        assert_eq!(names(&landing), ["instagram.com", "tiktok"]);
        assert_eq!(names(&discounts), ["", "WELCOME"]);
        assert_eq!(
            (discounts[1].customers, discounts[1].repeat_customers),
            (1, 1)
        );
        assert_eq!(
            c.channels
                .sales
                .iter()
                .map(|g| (g.name.as_str(), g.customers))
                .collect::<Vec<_>>(),
            [("sale", 1), ("no_sale", 1)]
        );
        let l = &c.loyalty;
        assert_eq!((l.members.customers, l.members.repeat_customers), (1, 1));
        assert_eq!(
            (l.non_members.customers, l.non_members.repeat_customers),
            (3, 0)
        );
        // Before the launch: A (ordered twice); after: A again, B and C.
        let before = l.before.clone().unwrap();
        let after = l.after.clone().unwrap();
        assert_eq!((before.customers, before.repeat_customers), (1, 1));
        assert_eq!((after.customers, after.repeat_customers), (3, 1));
        assert!((l.lift.unwrap() + 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn no_customers_gives_empty_figures_not_errors() {
        let ctx = context(chrono_tz::Europe::Rome);
        let c = compute(&ctx, &[]);
        assert_eq!((c.totals.customers, c.totals.orders), (0, 0));
        assert_eq!(c.totals.repeat_purchase_rate, 0.0);
        assert_eq!(
            (c.totals.aov_minor, c.totals.ltv_minor, c.totals.ltv_cac),
            (None, None, None)
        );
        assert_eq!(c.totals.retention_rate, None);
        assert!(c.cohorts.is_empty());
        assert_eq!(c.time_to_second.median_days, None);
        assert!(c.segments.iter().all(|s| s.customers == 0));
        assert_eq!(c.months.len(), 3);
        assert!(c.months.iter().all(|m| m.repeat_purchase_rate.is_none()));
        // A customer with no orders is no customer.
        let c = compute(&ctx, &[Vec::new()]);
        assert_eq!(c.totals.customers, 0);
    }

    #[test]
    fn one_customer_and_refunds_beyond_the_total() {
        let mut ctx = context(chrono_tz::Europe::Rome);
        ctx.spend_by_month.clear();
        let c = compute(&ctx, &[vec![order(9, at(2026, 2, 3, 10, 0), 3_000, 5_000)]]);
        let t = &c.totals;
        assert_eq!(
            (t.customers, t.repeat_customers, t.new_customers),
            (1, 0, 1)
        );
        // A refund never makes revenue negative; refunded counts what the order was worth.
        assert_eq!((t.revenue_minor, t.refunded_minor), (0, 3_000));
        assert_eq!(t.aov_minor, Some(0));
        assert_eq!((t.cac_minor, t.ltv_cac), (None, None), "no spend entered");
        assert_eq!(t.retention_rate, None, "nobody at the start");
        // Orders after the period are not counted, even when the loader passes them.
        let c = compute(&ctx, &[vec![order(9, at(2026, 5, 3, 10, 0), 3_000, 0)]]);
        assert_eq!(c.totals.customers, 0);
    }

    #[test]
    fn a_period_starting_mid_month_counts_from_its_first_day() {
        let mut ctx = context(chrono_tz::Europe::Rome);
        ctx.period.from = NaiveDate::from_ymd_opt(2026, 1, 16).unwrap();
        ctx.months = ctx.period.months();
        let c = compute(&ctx, &fixture());
        let jan = c.months.iter().find(|m| m.month == "2026-01").unwrap();
        // A's order of 15 January is before the period.
        assert_eq!((jan.customers, jan.orders), (0, 0));
        // Half of January's spend (16–31 of 31 days) is in the period.
        assert_eq!(jan.acquisition_spend_minor, 5_161);
        assert_eq!(c.totals.orders, 3);
    }

    #[test]
    fn retention_over_a_long_period_counts_only_who_is_still_a_customer() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let mut ctx = context(chrono_tz::UTC);
        ctx.period = Period {
            from: day(2024, 1, 1),
            to: day(2025, 12, 31),
        };
        ctx.months = ctx.period.months();
        ctx.now = at(2026, 1, 15, 0, 0);
        ctx.loyalty_launched_at = None;
        let c = compute(
            &ctx,
            &[
                // Y: a customer at the start, and again at the end.
                vec![
                    order(1, at(2023, 6, 1, 0, 0), 1_000, 0),
                    order(1, at(2025, 6, 1, 0, 0), 1_000, 0),
                ],
                // X: won in the period, gone (no order for over a year) by its end.
                vec![order(2, at(2024, 2, 1, 0, 0), 1_000, 0)],
            ],
        );
        assert_eq!(
            (
                c.totals.customers_at_start,
                c.totals.customers_at_end,
                c.totals.new_customers
            ),
            (1, 1, 1)
        );
        assert_eq!(c.totals.retention_rate, Some(1.0));
        // A past period's cohorts stop at its end.
        assert!(c.cohorts.iter().all(|k| k.retention.len() <= 13));
        let feb = c.cohorts.iter().find(|k| k.month == "2024-02").unwrap();
        assert_eq!(feb.retention.len(), 13);
    }

    #[test]
    fn landing_channels_read_utm_then_referrer() {
        assert_eq!(
            landing_channel(Some("/?utm_source=Google&x=1"), None),
            "google"
        );
        assert_eq!(
            landing_channel(Some("/products/a"), Some("http://www.pinterest.com/pin/1")),
            "pinterest.com"
        );
        assert_eq!(landing_channel(None, None), "direct");
        assert_eq!(landing_channel(Some("/?utm_source="), Some("")), "direct");
    }
}
