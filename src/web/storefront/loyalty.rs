//! `/proxy/loyalty…`: what the loyalty banner and launcher ask. A logged-out
//! shopper sees the program's pitch; a logged-in one their points, tier,
//! progress, the rewards they can afford and their referral link. Texts come
//! in the shopper's language (`locale` from the theme, else the shop's).
use crate::app::AppState;
use crate::commerce::Commerce;
use crate::i18n::{t, tf};
use crate::loyalty::redemption::{RedeemError, Redemptions};
use crate::loyalty::referrals::{ReferralError, Referrals};
use crate::loyalty::rules::valid_birthday;
use crate::loyalty::{Activity, Loyalty, Programs, views};
use crate::shops::Shops;
use crate::web::ApiError;
use crate::web::proxy::StorefrontRequest;
use crate::web::storefront::shopper_error;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::customers;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/loyalty", web::get().to(summary))
        .route("/loyalty/redeem", web::post().to(redeem))
        .route("/loyalty/referrals", web::post().to(claim_referral))
        .route("/loyalty/share", web::post().to(share))
        .route("/loyalty/birthday", web::post().to(birthday));
}

async fn logged_in_customer(
    state: &AppState,
    request: &StorefrontRequest,
    lang: &str,
) -> Result<customers::Model, ApiError> {
    let id = request.customer_id.ok_or_else(|| {
        shopper_error(
            StatusCode::UNAUTHORIZED,
            "login_required",
            lang,
            "loyalty.error.login_required",
        )
    })?;
    Commerce::find_customer(&state.db, request.shop_id, id)
        .await?
        .filter(|c| c.redacted_at.is_none())
        .ok_or_else(|| {
            shopper_error(
                StatusCode::NOT_FOUND,
                "not_a_member",
                lang,
                "loyalty.error.not_a_member",
            )
        })
}

fn private_json(body: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "private, no-store"))
        .json(body)
}

async fn summary(
    req: HttpRequest,
    request: StorefrontRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let shop = request.record.clone();
    let lang = request.lang(&req);
    let program = Programs::load(&state.db, &shop).await?;
    let rules = &program.rules;
    let pitch = json!({
        "headline": t(lang, "loyalty.pitch"),
        "earn": [
            tf(lang, "loyalty.earn.per_unit", &[("points", &rules.points_per_currency_unit.to_string()), ("currency", &program.currency)]),
            tf(lang, "loyalty.earn.signup", &[("points", &rules.signup_points.to_string())]),
            tf(lang, "loyalty.earn.review", &[("points", &rules.review_points.to_string()), ("photo_points", &rules.photo_review_points.to_string())]),
            tf(lang, "loyalty.earn.birthday", &[("points", &rules.birthday_points.to_string())]),
        ],
        "tiers": rules.tiers.tiers.iter().map(|t| json!({"key": t.key, "name": t.name})).collect::<Vec<_>>(),
    });
    let Some(shopify_customer_id) = request.customer_id.filter(|_| program.enabled) else {
        return Ok(private_json(json!({
            "enabled": program.enabled,
            "logged_in": request.customer_id.is_some(),
            "locale": lang,
            "pitch": pitch,
        })));
    };
    let now = state.clock.now();
    let view = views::customer_loyalty(
        &state.db,
        &program,
        shop.domain.as_str(),
        shopify_customer_id,
        now,
    )
    .await?;
    let Some(view) = view else {
        return Ok(private_json(json!({
            "enabled": true, "logged_in": true, "member": false, "locale": lang, "pitch": pitch,
        })));
    };
    let rewards = views::reward_lines(&state.db, shop.id, view.points_balance).await?;
    let progress_text = view.progress.as_ref().and_then(|p| {
        p.next_tier_name.as_ref().map(|next| match p.basis {
            crate::loyalty::tiers::TierBasis::Spend => tf(
                lang,
                "loyalty.progress.spend",
                &[
                    (
                        "amount",
                        &format!(
                            "{} {}",
                            crate::money::Money::new(p.remaining, &program.currency)
                                .to_decimal_string(),
                            program.currency
                        ),
                    ),
                    ("tier", next),
                ],
            ),
            crate::loyalty::tiers::TierBasis::Orders => tf(
                lang,
                "loyalty.progress.orders",
                &[("orders", &p.remaining.to_string()), ("tier", next)],
            ),
        })
    });
    Ok(private_json(json!({
        "enabled": true,
        "logged_in": true,
        "member": view.member,
        "locale": lang,
        "points_balance": view.points_balance,
        "lifetime_points": view.lifetime_points,
        "tier": view.tier,
        "tier_name": view.tier_name,
        "progress": view.progress,
        "progress_text": progress_text,
        "perks": view.perks,
        "points_expire_at": view.points_expire_at,
        "balance_text": tf(lang, "loyalty.balance", &[("points", &view.points_balance.to_string())]),
        "rewards": rewards,
        "referral_code": view.referral_code,
        "referral_url": view.referral_url,
        "referral_text": tf(lang, "loyalty.referral.share", &[("points", &rules.referral.referrer_points.to_string())]),
    })))
}

#[derive(Deserialize)]
struct RedeemInput {
    reward_id: i64,
}

async fn redeem(
    req: HttpRequest,
    request: StorefrontRequest,
    body: web::Json<RedeemInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let shop = request.record.clone();
    let lang = request.lang(&req);
    let customer = logged_in_customer(&state, &request, lang).await?;
    let program = Programs::load(&state.db, &shop).await?;
    let token = Shops::access_token(&state.cipher, &shop)
        .ok_or_else(|| ApiError::not_found("Flywheel is not installed on this shop"))?;
    let issued = Redemptions::redeem(
        &state.db,
        &state.admin,
        &request.shop,
        &token,
        &program,
        customer.id,
        body.reward_id,
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        RedeemError::NotMember => shopper_error(
            StatusCode::NOT_FOUND,
            "not_a_member",
            lang,
            "loyalty.error.not_a_member",
        ),
        RedeemError::NoSuchReward => shopper_error(
            StatusCode::NOT_FOUND,
            "no_such_reward",
            lang,
            "loyalty.error.no_such_reward",
        ),
        RedeemError::NotEnoughPoints { balance, cost } => ApiError::new(
            StatusCode::CONFLICT,
            "not_enough_points",
            tf(
                lang,
                "loyalty.error.not_enough_points",
                &[
                    ("balance", &balance.to_string()),
                    ("cost", &cost.to_string()),
                ],
            ),
        ),
        RedeemError::ProgramOff => shopper_error(
            StatusCode::CONFLICT,
            "program_paused",
            lang,
            "loyalty.error.program_paused",
        ),
        RedeemError::Platform(_) | RedeemError::NotInstalled => shopper_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "code_not_created",
            lang,
            "loyalty.error.code_not_created",
        ),
        RedeemError::Db(db) => ApiError::from(db),
    })?;
    Ok(private_json(json!({
        "code": issued.code,
        "reward": issued.reward,
        "kind": issued.kind,
        "value": issued.value,
        "points_spent": issued.points_spent,
        "message": tf(lang, "loyalty.redeemed", &[("code", &issued.code)]),
    })))
}

#[derive(Deserialize)]
struct ReferralInput {
    code: String,
    email: String,
}

/// A friend arriving by a referral link asks for the welcome code.
async fn claim_referral(
    req: HttpRequest,
    request: StorefrontRequest,
    body: web::Json<ReferralInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let shop = request.record.clone();
    let lang = request.lang(&req);
    let program = Programs::load(&state.db, &shop).await?;
    let token = Shops::access_token(&state.cipher, &shop)
        .ok_or_else(|| ApiError::not_found("Flywheel is not installed on this shop"))?;
    let offer = Referrals::claim(
        &state.db,
        &state.admin,
        &request.shop,
        &token,
        &program,
        &body.code,
        &body.email,
        state.clock.now(),
    )
    .await
    .map_err(|e| match e {
        ReferralError::UnknownCode => shopper_error(
            StatusCode::NOT_FOUND,
            "unknown_referral_code",
            lang,
            "loyalty.error.unknown_referral",
        ),
        ReferralError::BadEmail => shopper_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_email",
            lang,
            "loyalty.error.invalid_email",
        ),
        ReferralError::Refused(reason) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "referral_refused",
            t(lang, &format!("loyalty.error.referral_{reason}")),
        ),
        ReferralError::Platform(_) => shopper_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "code_not_created",
            lang,
            "loyalty.error.code_not_created",
        ),
        ReferralError::Db(db) => ApiError::from(db),
    })?;
    Ok(private_json(json!({
        "code": offer.code,
        "kind": offer.kind,
        "value": offer.value,
        "message": tf(lang, "loyalty.referral.welcome", &[("code", &offer.code)]),
    })))
}

const NETWORKS: [&str; 5] = ["facebook", "x", "pinterest", "whatsapp", "email"];

#[derive(Deserialize)]
struct ShareInput {
    network: String,
}

async fn share(
    req: HttpRequest,
    request: StorefrontRequest,
    body: web::Json<ShareInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let shop = request.record.clone();
    let lang = request.lang(&req);
    let network = body.network.trim().to_lowercase();
    if !NETWORKS.contains(&network.as_str()) {
        return Err(shopper_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_network",
            lang,
            "loyalty.error.unknown_network",
        ));
    }
    let customer = logged_in_customer(&state, &request, lang).await?;
    let program = Programs::load(&state.db, &shop).await?;
    let txn = state.db.begin().await?;
    let credited = Loyalty::credit_activity(
        &txn,
        &program,
        customer.id,
        &Activity::Share { network },
        state.clock.now(),
    )
    .await?;
    txn.commit().await?;
    Ok(private_json(
        json!({ "credited": credited, "points": if credited { program.rules.share_points } else { 0 } }),
    ))
}

#[derive(Deserialize)]
struct BirthdayInput {
    month: u32,
    day: u32,
}

/// The birthday is set once: changing it later would let points be farmed.
async fn birthday(
    req: HttpRequest,
    request: StorefrontRequest,
    body: web::Json<BirthdayInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let shop = request.record.clone();
    let lang = request.lang(&req);
    if !valid_birthday(body.month, body.day) {
        return Err(shopper_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_birthday",
            lang,
            "loyalty.error.invalid_birthday",
        ));
    }
    let customer = logged_in_customer(&state, &request, lang).await?;
    let program = Programs::load(&state.db, &shop).await?;
    let now = state.clock.now();
    let txn = state.db.begin().await?;
    let saved =
        Loyalty::set_birthday(&txn, &program, customer.id, body.month, body.day, now).await?;
    if !saved {
        return Err(shopper_error(
            StatusCode::CONFLICT,
            "birthday_already_set",
            lang,
            "loyalty.error.birthday_already_set",
        ));
    }
    txn.commit().await?;
    Ok(private_json(
        json!({ "saved": true, "message": t(lang, "loyalty.birthday_saved") }),
    ))
}
