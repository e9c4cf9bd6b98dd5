//! The notes that recognise a customer: a VIP tier reached, a place among the
//! top spenders, a birthday (with its points), the first order's anniversary,
//! the loyalty program's launch (with the bonus), and points about to expire.
//! The loyalty events and the daily scan schedule them; each is marketing.
use super::compose::{Composed, Letter, button};
use super::context::{CustomerContext, gate};
use super::settings::{Flow, FlowSettings};
use super::templates::TemplateError;
use super::{FlowDeps, FlowError, Step};
use crate::delivery::format::date_text;
use crate::i18n::t;
use crate::loyalty::Programs;
use crate::loyalty::launch::launch_texts;
use crate::shops::ShopSettings;
use chrono::{DateTime, NaiveDate, Utc};
use entity::jobs;
use serde_json::{Value, json};

/// What the note says, by flow.
#[derive(Debug, Clone)]
pub enum Moment {
    Tier { name: String, perks: Vec<String> },
    TopSpender { percent: u32 },
    Birthday { points: i64 },
    Anniversary { years: i32 },
    Launch { bonus_points: i64 },
    Expiring { points: i64, on: NaiveDate },
}

pub struct RecognitionNote {
    pub letter: Letter,
    pub moment: Moment,
    pub shop_domain: String,
}

impl RecognitionNote {
    pub fn compose(&self) -> Result<Composed, TemplateError> {
        let l = &self.letter;
        let shop = l.shop_name.as_str();
        let account = format!("https://{}/account", self.shop_domain);
        let home = format!("https://{}/", self.shop_domain);
        let (subject, intro, highlight, button_to) = match &self.moment {
            Moment::Tier { name, perks } => (
                l.subject(&[("tier", name)]),
                l.text("intro", &[("tier", name), ("shop", shop)]),
                if perks.is_empty() {
                    String::new()
                } else {
                    l.text("perks", &[("perks", &perks.join(", "))])
                },
                account,
            ),
            Moment::TopSpender { percent } => {
                let percent = percent.to_string();
                (
                    l.subject(&[]),
                    l.text("intro", &[("percent", &percent), ("shop", shop)]),
                    String::new(),
                    home,
                )
            }
            Moment::Birthday { points } => (
                l.subject(&[]),
                l.text("intro", &[("shop", shop)]),
                if *points > 0 {
                    l.text("points", &[("points", &points.to_string())])
                } else {
                    String::new()
                },
                account,
            ),
            Moment::Anniversary { years } => {
                let years_text = years.to_string();
                let part = if *years == 1 {
                    "intro_one"
                } else {
                    "intro_other"
                };
                (
                    l.subject(&[]),
                    l.text(part, &[("years", &years_text), ("shop", shop)]),
                    String::new(),
                    home,
                )
            }
            Moment::Launch { bonus_points } => {
                let texts = launch_texts(*bonus_points);
                let text = |k: &str| texts[l.lang][k].as_str().unwrap_or_default().to_owned();
                (
                    text("email_subject"),
                    text("email_body"),
                    String::new(),
                    account,
                )
            }
            Moment::Expiring { points, on } => {
                let args = [
                    ("points", points.to_string()),
                    ("date", date_text(l.lang, *on)),
                ];
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                (
                    l.subject(&args),
                    l.text("intro", &args),
                    String::new(),
                    home,
                )
            }
        };
        let data = json!({
            "button": button(l.text("button", &[("shop", shop)]), button_to),
        });
        l.render(
            "note",
            subject,
            &[intro],
            json!({ "highlight": highlight }),
            data,
        )
    }
}

/// The perks of a tier as the customer reads them.
fn perks(lang: &str, tier: &crate::loyalty::tiers::Tier) -> Vec<String> {
    let mut perks = Vec::new();
    if tier.points_multiplier_percent > 100 {
        perks.push(crate::i18n::tf(
            lang,
            "email.vip_tier.perk_multiplier",
            &[("percent", &tier.points_multiplier_percent.to_string())],
        ));
    }
    if let Some(orders) = tier.free_shipping_after_orders {
        perks.push(crate::i18n::tf(
            lang,
            "email.vip_tier.perk_free_shipping",
            &[("orders", &orders.to_string())],
        ));
    }
    if tier.early_access {
        perks.push(t(lang, "email.vip_tier.perk_early_access"));
    }
    perks
}

fn number(payload: &Value, key: &str) -> i64 {
    payload[key].as_i64().unwrap_or_default()
}

pub async fn prepare(deps: &FlowDeps, job: &jobs::Model, flow: Flow) -> Result<Step, FlowError> {
    let cx = match CustomerContext::load(&deps.db, job).await? {
        Ok(cx) => cx,
        Err(skip) => return Ok(skip.into()),
    };
    let settings: FlowSettings = ShopSettings::load(&deps.db, cx.shop.id).await?;
    if let Some(why) = gate(flow, &settings, Some(&cx.customer)) {
        return Ok(Step::Skip(why.into()));
    }
    let p = &job.payload;
    let program = Programs::load(&deps.db, &cx.shop).await?;
    let loyalty_flow = matches!(
        flow,
        Flow::VipTier | Flow::Birthday | Flow::LoyaltyLaunch | Flow::PointsExpiry
    );
    if loyalty_flow && !program.enabled {
        return Ok(Step::Skip("the loyalty program is paused".into()));
    }
    let moment = match flow {
        Flow::VipTier => {
            let key = p["to"].as_str().unwrap_or_default();
            let Some(tier) = program.rules.tiers.tiers.iter().find(|t| t.key == key) else {
                return Ok(Step::Skip("the tier no longer exists".into()));
            };
            Moment::Tier {
                name: tier.name.clone(),
                perks: perks(cx.lang, tier),
            }
        }
        Flow::VipTop => Moment::TopSpender {
            percent: settings.vip.top_percent,
        },
        Flow::Birthday => Moment::Birthday {
            points: number(p, "points"),
        },
        Flow::Anniversary => Moment::Anniversary {
            years: number(p, "years").max(1) as i32,
        },
        Flow::LoyaltyLaunch => Moment::Launch {
            bonus_points: number(p, "bonus_points"),
        },
        _ => {
            let on = p["expires_at"]
                .as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|d| d.with_timezone(&Utc));
            let Some(on) = on else {
                return Ok(Step::Skip("no expiry date".into()));
            };
            let tz = crate::clock::shop_tz(&cx.shop.timezone);
            Moment::Expiring {
                points: number(p, "points"),
                on: crate::clock::local_date(on, tz),
            }
        }
    };
    let now = deps.clock.now();
    let note = RecognitionNote {
        letter: cx.letter(flow, deps),
        moment,
        shop_domain: cx.shop.domain.clone(),
    };
    let composed = note.compose()?;
    let email = note.letter.outgoing(
        composed,
        &cx.shop,
        Some(cx.customer.id),
        cx.to.clone(),
        format!("email:{}", job.idempotency_key.trim_start_matches("flow:")),
        now,
    );
    Ok(Step::Send(Box::new(email)))
}
