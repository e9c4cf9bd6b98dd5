//! Win-back: a customer whose last order is older than the shop's lapse
//! window (learned from its own median time to a second purchase, or set
//! by hand) hears from the shop once per lapse, with an incentive that fits
//! their value: high-value customers get bonus points (or early access when
//! the shop runs no loyalty program), everybody else a small discount.
use super::compose::{Composed, Letter, button};
use super::context::{CustomerContext, gate};
use super::incentive::Incentive;
use super::offers::{CODE_VALID_DAYS, Code, discount_link};
use super::settings::{Flow, FlowSettings};
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step};
use crate::delivery::format::date_text;
use crate::loyalty::rules::RewardKind;
use crate::loyalty::{Loyalty, Programs};
use crate::shops::ShopSettings;
use entity::{jobs, orders};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;

/// What a lapsed customer is offered.
#[derive(Debug, Clone)]
pub enum WinBackOffer {
    BonusPoints(i64),
    EarlyAccess,
    Discount(Code),
}

pub struct WinBackNote {
    pub letter: Letter,
    pub incentive: WinBackOffer,
    pub url: String,
}

impl WinBackNote {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let shop = l.shop_name.as_str();
        let (texts, code) = match &self.incentive {
            WinBackOffer::BonusPoints(points) => (
                json!({"highlight": l.text("bonus", &[("points", &points.to_string())])}),
                None,
            ),
            WinBackOffer::EarlyAccess => (json!({"highlight": l.text("early_access", &[])}), None),
            WinBackOffer::Discount(code) => (
                json!({
                    "code_intro": l.text("code_intro", &[("percent", &code.percent.to_string())]),
                    "code_terms": crate::i18n::tf(l.lang, "email.code_terms", &[("date", &date_text(l.lang, code.until))]),
                }),
                Some(code.code.clone()),
            ),
        };
        let data = json!({
            "code": code,
            "button": button(l.text("button", &[("shop", shop)]), self.url.clone()),
        });
        l.render(
            "offer",
            l.subject(&[]),
            &[l.text("intro", &[("shop", shop)])],
            texts,
            data,
        )
    }
}

/// The customer's latest live order's id.
async fn latest_order(deps: &FlowDeps, customer_id: i64) -> Result<Option<i64>, DbErr> {
    orders::Entity::find()
        .filter(orders::Column::CustomerId.eq(customer_id))
        .filter(orders::Column::CancelledAt.is_null())
        .order_by_desc(orders::Column::ProcessedAt)
        .order_by_desc(orders::Column::Id)
        .select_only()
        .column(orders::Column::Id)
        .into_tuple()
        .one(&deps.db)
        .await
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model) -> Result<Step, FlowError> {
    let cx = match CustomerContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings: FlowSettings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(Flow::WinBack, &settings, Some(&cx.customer)) {
        return Ok(Step::Skip(why.into()));
    }
    let last = job.payload["last_order_id"].as_i64();
    if latest_order(deps, cx.customer.id).await? != last {
        return Ok(Step::Skip("they ordered again".into()));
    }
    let now = deps.clock.now();
    let high_value = job.payload["high_value"].as_bool().unwrap_or(false);
    let key = job.idempotency_key.clone();
    let program = Programs::load(&deps.db, &cx.shop).await?;
    let bonus = settings.win_back.bonus_points;
    let incentive = if high_value && program.enabled && bonus > 0 {
        let reason = crate::i18n::t(&cx.shop.locale, "flows.discount_title.win_back");
        let txn = deps.db.begin().await?;
        Loyalty::adjust(
            &txn,
            &program,
            cx.customer.id,
            bonus,
            &reason,
            "flywheel",
            &key,
            now,
        )
        .await?;
        txn.commit().await?;
        WinBackOffer::BonusPoints(bonus)
    } else if high_value || settings.win_back.discount_percent == 0 {
        WinBackOffer::EarlyAccess
    } else {
        let percent = settings.win_back.discount_percent;
        let title = crate::i18n::t(&cx.shop.locale, "flows.discount_title.win_back");
        let (code, ends) = Incentive {
            shop: &cx.shop,
            shopify_customer_id: Some(cx.customer.shopify_customer_id),
            key: &key,
            prefix: "BACK",
            kind: RewardKind::Percentage,
            value: i64::from(percent),
            title: &title,
            valid_days: CODE_VALID_DAYS,
        }
        .issue(&deps.admin, &deps.cipher, &deps.secret, now)
        .await?;
        let tz = crate::clock::shop_tz(&cx.shop.timezone);
        WinBackOffer::Discount(Code {
            code,
            percent,
            until: crate::clock::local_date(ends, tz),
        })
    };
    let code = match &incentive {
        WinBackOffer::Discount(c) => Some(c.code.as_str()),
        _ => None,
    };
    let note = WinBackNote {
        url: discount_link(&cx.shop.domain, code, "/"),
        letter: cx.letter(Flow::WinBack, deps),
        incentive,
    };
    let composed = note.compose()?;
    let email = note.letter.outgoing(
        composed,
        &cx.shop,
        Some(cx.customer.id),
        cx.to.clone(),
        format!("email:{}", key.trim_start_matches("flow:")),
        now,
    );
    Ok(Step::Send(Box::new(email)))
}
