//! The whole dashboard for one period: the engine's figures, the surveys,
//! deliveries, returns and support, with money shown in the shop's currency.
use super::engine::{
    Channels, Cohort, Context, CustomerSummary, Engine, LTV_CAC_TARGET, Loyalty, MonthFigures,
    SegmentKey, SegmentRules, TimeToSecond,
};
use super::load::{self, Delivery, ProductRepeat, Returns, Support};
use super::period::Period;
use super::settings::MetricsSettings;
use crate::clock::shop_tz;
use crate::flows::FlowSettings;
use crate::money::Money;
use crate::shops::ShopSettings;
use crate::support::SupportSettings;
use crate::surveys::service::{SurveySummary, summarise};
use chrono::{DateTime, NaiveDate, Utc};
use entity::shops;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Serialize;

/// An amount in the shop's currency: minor units and the decimal text.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Amount {
    pub minor: Option<i64>,
    pub amount: Option<String>,
    pub currency: String,
}

impl Amount {
    pub fn new(minor: Option<i64>, currency: &str) -> Amount {
        Amount {
            minor,
            amount: minor.map(|m| Money::new(m, currency).to_decimal_string()),
            currency: currency.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentView {
    pub key: SegmentKey,
    pub customers: u64,
    pub share: f64,
    pub revenue: Amount,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProductView {
    #[serde(flatten)]
    pub product: ProductRepeat,
    pub repeat_rate: f64,
}

/// The latest month against the one before it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub current: Option<f64>,
    pub previous: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Trend {
    pub month: Option<String>,
    pub previous_month: Option<String>,
    pub repeat_purchase_rate: Change,
    pub aov_minor: Change,
    pub ltv_minor: Change,
    pub ltv_cac: Change,
    pub nps: Change,
    pub csat: Change,
    pub retention_rate: Change,
    pub orders: Change,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub currency: String,
    pub timezone: String,
    pub generated_at: DateTime<Utc>,
    pub repeat_purchase_rate: f64,
    pub customers: u64,
    pub repeat_customers: u64,
    pub orders: u64,
    pub revenue: Amount,
    pub refunded: Amount,
    pub aov: Amount,
    pub orders_per_customer: Option<f64>,
    pub gross_margin: f64,
    pub ltv: Amount,
    pub new_customers: u64,
    pub acquisition_spend: Amount,
    pub cac: Amount,
    pub ltv_cac: Option<f64>,
    pub ltv_cac_target: f64,
    pub nps: Option<f64>,
    pub csat: Option<f64>,
    pub surveys: SurveySummary,
    pub retention_rate: Option<f64>,
    pub customers_at_start: u64,
    pub customers_at_end: u64,
    pub trend: Trend,
    pub months: Vec<MonthFigures>,
    pub cohorts: Vec<Cohort>,
    pub time_to_second: TimeToSecond,
    pub segments: Vec<SegmentView>,
    pub segment_rules: SegmentRules,
    pub products: Vec<ProductView>,
    pub channels: Channels,
    pub loyalty: Loyalty,
    pub delivery: Delivery,
    pub returns: Returns,
    pub support: Support,
    /// Every customer with an order by the period's end (for the export).
    #[serde(skip)]
    pub customer_rows: Vec<CustomerSummary>,
    /// The merchant's inputs the figures were computed with.
    #[serde(skip)]
    pub settings: MetricsSettings,
}

fn change(months: &[MonthFigures], pick: impl Fn(&MonthFigures) -> Option<f64>) -> Change {
    let n = months.len();
    Change {
        current: n.checked_sub(1).and_then(|i| pick(&months[i])),
        previous: n.checked_sub(2).and_then(|i| pick(&months[i])),
    }
}

/// Computes the dashboard of `shop` over `period`.
pub async fn dashboard(
    db: &DatabaseConnection,
    shop: &shops::Model,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Dashboard, DbErr> {
    let tz = shop_tz(&shop.timezone);
    let settings: MetricsSettings = ShopSettings::load(db, shop.id).await?;
    let flows: FlowSettings = ShopSettings::load(db, shop.id).await?;
    let support_settings: SupportSettings = ShopSettings::load(db, shop.id).await?;
    let (members, launched) = load::loyalty_members(db, shop.id).await?;
    let default_margin = f64::from(settings.default_margin_percent) / 100.0;
    let ctx = Context {
        tz,
        period,
        months: period.months(),
        now,
        lapse_days: flows.win_back.lapse_days,
        vip_top_percent: flows.vip.top_percent,
        default_margin,
        spend_by_month: settings.acquisition_spend.clone(),
        sales: settings.sales.iter().map(|s| (s.from, s.to)).collect(),
        members: members.into_iter().collect(),
        loyalty_launched_at: launched,
    };
    let range = (period.start_utc(tz), period.end_utc(tz));
    let standards = (
        support_settings.first_reply_hours,
        support_settings.resolution_hours,
    );
    // The orders stream through the engine while the smaller queries run beside it.
    let orders = async {
        let mut engine = Engine::new(&ctx);
        load::feed_orders(db, shop.id, range.1, &mut engine).await?;
        let margins = load::margins(
            db,
            shop.id,
            range,
            tz,
            default_margin,
            &settings.product_margins,
        )
        .await?;
        Ok::<_, DbErr>(engine.finish(margins.as_ref()))
    };
    let (mut computed, answers, delivery, returns, support) = tokio::try_join!(
        orders,
        load::survey_answers(db, shop.id, range, tz),
        load::delivery(db, shop.id, range, tz),
        load::returns(db, shop.id, range),
        load::support(db, shop.id, range, standards),
    )?;
    let returns = returns.with_rate(computed.totals.orders);
    let (products, visits) = tokio::try_join!(
        load::products(db, shop.id, &computed.first_orders),
        load::first_visits(db, shop.id, &computed.first_orders),
    )?;
    let (sources, landing, discounts) = super::engine::channels(visits);
    computed.channels.sources = sources;
    computed.channels.landing = landing;
    computed.channels.discounts = discounts;
    for month in &mut computed.months {
        if let Some(rows) = answers.get(&month.month) {
            let summary = summarise(rows);
            month.nps = summary.nps;
            month.csat = summary.csat;
        }
    }
    let all_answers: Vec<(String, i16)> = answers.into_values().flatten().collect();
    let surveys = summarise(&all_answers);
    let products = products
        .into_iter()
        .map(|p| ProductView {
            repeat_rate: p.repeat_rate(),
            product: p,
        })
        .collect();

    let currency = shop.currency.as_str();
    let t = &computed.totals;
    let everyone: u64 = computed.segments.iter().map(|s| s.customers).sum();
    // The trend compares whole months: a month still running is left out.
    let running = period.to
        < super::period::Month::of_date(period.to)
            .next()
            .first_day()
            .pred_opt()
            .unwrap_or(period.to);
    let whole = if running && computed.months.len() >= 3 {
        &computed.months[..computed.months.len() - 1]
    } else {
        &computed.months[..]
    };
    let months = whole;
    let trend = Trend {
        month: months.last().map(|m| m.month.clone()),
        previous_month: months.len().checked_sub(2).map(|i| months[i].month.clone()),
        repeat_purchase_rate: change(months, |m| m.repeat_purchase_rate),
        aov_minor: change(months, |m| m.aov_minor.map(|v| v as f64)),
        ltv_minor: change(months, |m| m.ltv_minor.map(|v| v as f64)),
        ltv_cac: change(months, |m| m.ltv_cac),
        nps: change(months, |m| m.nps),
        csat: change(months, |m| m.csat),
        retention_rate: change(months, |m| m.retention_rate),
        orders: change(months, |m| Some(m.orders as f64)),
    };
    Ok(Dashboard {
        from: period.from,
        to: period.to,
        currency: currency.to_owned(),
        timezone: shop.timezone.clone(),
        generated_at: now,
        repeat_purchase_rate: t.repeat_purchase_rate,
        customers: t.customers,
        repeat_customers: t.repeat_customers,
        orders: t.orders,
        revenue: Amount::new(Some(t.revenue_minor), currency),
        refunded: Amount::new(Some(t.refunded_minor), currency),
        aov: Amount::new(t.aov_minor, currency),
        orders_per_customer: t.orders_per_customer,
        gross_margin: t.gross_margin,
        ltv: Amount::new(t.ltv_minor, currency),
        new_customers: t.new_customers,
        acquisition_spend: Amount::new(Some(t.acquisition_spend_minor), currency),
        cac: Amount::new(t.cac_minor, currency),
        ltv_cac: t.ltv_cac,
        ltv_cac_target: LTV_CAC_TARGET,
        nps: surveys.nps,
        csat: surveys.csat,
        surveys,
        retention_rate: t.retention_rate,
        customers_at_start: t.customers_at_start,
        customers_at_end: t.customers_at_end,
        trend,
        segments: computed
            .segments
            .iter()
            .map(|s| SegmentView {
                key: s.key,
                customers: s.customers,
                share: if everyone == 0 {
                    0.0
                } else {
                    s.customers as f64 / everyone as f64
                },
                revenue: Amount::new(Some(s.revenue_minor), currency),
            })
            .collect(),
        months: computed.months,
        cohorts: computed.cohorts,
        time_to_second: computed.time_to_second,
        segment_rules: computed.segment_rules,
        products,
        channels: computed.channels,
        loyalty: computed.loyalty,
        delivery,
        returns,
        support,
        customer_rows: computed.customers,
        settings,
    })
}
