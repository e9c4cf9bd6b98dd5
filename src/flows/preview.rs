//! Every flow's email rendered with sample values, in any language: what the
//! merchant previews in the admin before switching a flow on. The samples go
//! through the same `compose` as the real emails, so the preview cannot
//! drift from what customers receive.
use super::checkin::Checkin;
use super::compose::{Composed, Letter};
use super::loyalty_mail::{Moment, RecognitionNote};
use super::offers::{Code, Offer};
use super::post_purchase::Confirmation;
use super::return_status::ReturnNote;
use super::review_request::ReviewAsk;
use super::settings::Flow;
use super::support_reply::CaseReply;
use super::survey::SurveyAsk;
use super::templates::TemplateError;
use super::winback::{WinBackNote, WinBackOffer};
use crate::i18n::t;
use crate::shopify::ShopDomain;
use chrono::{Duration, NaiveDate};

/// `flow`'s email for a sample customer of `shop_name` (at `shop_domain`) in `lang`.
pub fn sample(
    flow: Flow,
    lang: &'static str,
    shop_name: &str,
    shop_domain: &str,
    today: NaiveDate,
) -> Result<Composed, TemplateError> {
    let letter = Letter {
        flow,
        lang,
        shop_name: shop_name.to_owned(),
        first_name: Some(t(lang, "flows.sample.first_name")),
        unsubscribe_url: flow
            .is_marketing()
            .then(|| format!("https://{shop_domain}/unsubscribe/sample")),
    };
    let product = t(lang, "flows.sample.product");
    let base = format!("https://{shop_domain}");
    let code = || Code {
        code: "SAMPLE-7KQ2M9".into(),
        percent: 10,
        until: today + Duration::days(14),
    };
    match flow {
        Flow::PostPurchase => Confirmation {
            letter,
            order_name: "#1042".into(),
            items: vec![(product, 1), (t(lang, "flows.sample.second_product"), 2)],
            promised: Some((today + Duration::days(6), today + Duration::days(10))),
        }
        .compose(),
        Flow::DeliveryCheckin => Checkin {
            letter,
            order_name: "#1042".into(),
            promised: Some((today, today + Duration::days(4))),
            yes_url: format!("{base}/apps/flywheel/feedback?q=checkin&a=yes"),
            no_url: format!("{base}/apps/flywheel/feedback?q=checkin&a=no"),
            reply_hours: 2,
        }
        .compose(),
        Flow::ReviewRequest => ReviewAsk {
            letter,
            product,
            review_url: format!("{base}/apps/flywheel/reviews/write"),
            points: Some((50, 100)),
        }
        .compose(),
        Flow::Survey => SurveyAsk {
            letter,
            product,
            shop: ShopDomain::from_stored(shop_domain.to_owned()),
            token: "sample".into(),
        }
        .compose(),
        Flow::Replenishment => Offer {
            letter,
            product,
            days: 30,
            suggestion: None,
            code: Some(code()),
            url: format!("{base}/cart/1:1?discount=SAMPLE-7KQ2M9"),
        }
        .compose(),
        Flow::CompleteTheSet => Offer {
            letter,
            product,
            days: 14,
            suggestion: Some(t(lang, "flows.sample.second_product")),
            code: Some(code()),
            url: format!("{base}/discount/SAMPLE-7KQ2M9"),
        }
        .compose(),
        Flow::WinBack => WinBackNote {
            letter,
            incentive: WinBackOffer::Discount(code()),
            url: format!("{base}/discount/SAMPLE-7KQ2M9"),
        }
        .compose(),
        Flow::VipTier => note(
            letter,
            shop_domain,
            Moment::Tier {
                name: "Gold".into(),
                perks: vec![t(lang, "email.vip_tier.perk_early_access")],
            },
        ),
        Flow::VipTop => note(letter, shop_domain, Moment::TopSpender { percent: 5 }),
        Flow::Birthday => note(letter, shop_domain, Moment::Birthday { points: 100 }),
        Flow::Anniversary => note(letter, shop_domain, Moment::Anniversary { years: 1 }),
        Flow::LoyaltyLaunch => note(letter, shop_domain, Moment::Launch { bonus_points: 200 }),
        Flow::PointsExpiry => note(
            letter,
            shop_domain,
            Moment::Expiring {
                points: 350,
                on: today + Duration::days(14),
            },
        ),
        Flow::ReturnStatus => ReturnNote {
            letter,
            rma: "R1042-1".into(),
            status: "approved".into(),
            amount: "29.90 EUR".into(),
            order_name: "#1042".into(),
            rejection: None,
            shop_pays_label: true,
            address: vec![
                shop_name.to_owned(),
                "Via Roma 1".into(),
                "10121 Torino".into(),
            ],
            code: None,
            exchange: None,
            url: format!("{base}/apps/flywheel/returns/status?r=R1042-1"),
        }
        .compose(),
        Flow::SupportReply => CaseReply {
            letter,
            case_number: 128,
            reply: t(lang, "flows.sample.reply"),
            code: Some("SORRY-7KQ2M9".into()),
        }
        .compose(),
    }
}

fn note(letter: Letter, shop_domain: &str, moment: Moment) -> Result<Composed, TemplateError> {
    RecognitionNote {
        letter,
        moment,
        shop_domain: shop_domain.to_owned(),
    }
    .compose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::LOCALES;

    #[test]
    fn every_flow_renders_in_every_language_with_no_missing_text() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        for lang in LOCALES {
            for flow in Flow::ALL {
                let email = sample(flow, lang, "Bottega", "bottega.myshopify.com", today)
                    .unwrap_or_else(|e| panic!("{flow:?} in {lang}: {e}"));
                for part in [&email.subject, &email.text, &email.html] {
                    assert!(
                        !part.contains("email."),
                        "{flow:?} in {lang} shows a key: {part}"
                    );
                    assert!(!part.contains('{'), "{flow:?} in {lang}: {part}");
                }
                assert!(
                    email.text.contains(&t(lang, "flows.sample.first_name")),
                    "{flow:?} {lang}"
                );
                assert_eq!(
                    email.text.contains("unsubscribe/sample"),
                    flow.is_marketing(),
                    "{flow:?}: marketing mail, and only it, carries the unsubscribe link"
                );
            }
        }
    }
}
