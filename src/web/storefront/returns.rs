//! `/proxy/returns…`: the self-service returns portal, rendered inside the
//! shop's theme (`application/liquid`). The shopper finds the order by its
//! number and email (a wrong email gets the same answer as a missing order,
//! and lookups are limited per address and per order number), or picks it
//! from their orders when logged in; chooses items and quantities, a reason,
//! photos and what they would like back; then follows the return on a
//! status page with a stable link, prints the slip (HTML or PDF) and says
//! when they shipped it.
use super::reviews::{process_photos, store_photos};
use super::{storefront_page, text};
use crate::app::AppState;
use crate::i18n::{t, tf};
use crate::returns::rules::{self, NotReturnable, Outcome, ReturnPolicy};
use crate::returns::service::{status_token, status_token_valid, status_url};
use crate::returns::slip::Slip;
use crate::returns::{NewReturn, ReturnError, Returnable, Returns};
use crate::shops::ShopSettings;
use crate::web::ApiError;
use crate::web::body::read_limited;
use crate::web::proxy::StorefrontRequest;
use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use entity::{orders, return_lookups, return_photos, return_requests};
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/returns", web::get().to(start))
        .route("/returns", web::post().to(submit))
        .route("/returns/lookup", web::post().to(lookup))
        .route("/returns/order", web::get().to(order_page))
        .route("/returns/status", web::get().to(status))
        .route("/returns/ship", web::post().to(ship))
        .route("/returns/slip", web::get().to(slip_html))
        .route("/returns/slip.pdf", web::get().to(slip_pdf));
}

/// Lookups one address, or one order number, may make per hour.
const LOOKUPS_PER_HOUR: u64 = 5;
/// How long the link from a found order to its return form stays valid.
const ORDER_LINK_MINUTES: i64 = 120;
const MAX_FORM_BYTES: usize = 5 * 8 * 1024 * 1024 + 64 * 1024;
const MAX_PHOTOS: usize = 5;

const PURPOSE: &str = "flywheel return order v1";
const AUDIENCE: &str = "flywheel-return-order";

#[derive(Debug, Serialize, Deserialize)]
struct OrderClaims {
    aud: String,
    shop: i64,
    order: i64,
    exp: i64,
}

fn order_token(secret: &[u8], shop_id: i64, order_id: i64, now: DateTime<Utc>) -> String {
    let claims = OrderClaims {
        aud: AUDIENCE.into(),
        shop: shop_id,
        order: order_id,
        exp: (now + Duration::minutes(ORDER_LINK_MINUTES)).timestamp(),
    };
    crate::shopify::session_token::sign_for_purpose(secret, PURPOSE, &claims)
}

/// The order a form's token names, when the token is this shop's and fresh.
async fn tokened_order(
    state: &AppState,
    request: &StorefrontRequest,
    token: &str,
) -> Result<Option<orders::Model>, ApiError> {
    let claims: Option<OrderClaims> = crate::shopify::session_token::verify_for_purpose(
        state.api_secret(),
        PURPOSE,
        AUDIENCE,
        &["aud", "exp"],
        token,
    );
    let Some(claims) =
        claims.filter(|c| c.shop == request.shop_id && c.exp > state.clock.now().timestamp())
    else {
        return Ok(None);
    };
    Ok(orders::Entity::find_by_id(claims.order)
        .filter(orders::Column::ShopId.eq(request.shop_id))
        .one(&state.db)
        .await?)
}

fn page(req: &HttpRequest, status: StatusCode, lang: &str, body: &str) -> HttpResponse {
    storefront_page(req, status, &t(lang, "returns.portal.title"), body, lang)
}

fn p(value: &str) -> String {
    format!("<p>{}</p>", text(value))
}

/// `&fw_preview=1` on links and forms when the local preview shows the page.
fn preview(req: &HttpRequest) -> &'static str {
    let pairs = crate::shopify::signature::query_pairs(req.query_string());
    if crate::shopify::signature::query_value(&pairs, "fw_preview") == Some("1") {
        "&fw_preview=1"
    } else {
        ""
    }
}

/// The policy in a few lines, headed by the very words of the policy badge.
fn policy_summary(lang: &str, policy: &ReturnPolicy) -> String {
    let days = policy.window_days.to_string();
    let badge = tf(lang, "returns.policy.badge", &[("days", &days)]);
    let mut lines = vec![tf(lang, "returns.policy.window", &[("days", &days)])];
    lines.push(t(
        lang,
        match policy.return_shipping {
            rules::ReturnShipping::Shop => "returns.policy.shipping_shop",
            rules::ReturnShipping::Customer => "returns.policy.shipping_customer",
            rules::ReturnShipping::ShopIfFaulty => "returns.policy.shipping_faulty",
        },
    ));
    if policy.allow_store_credit && policy.store_credit_bonus_percent > 0 {
        lines.push(tf(
            lang,
            "returns.policy.bonus",
            &[("percent", &policy.store_credit_bonus_percent.to_string())],
        ));
    }
    format!(
        "<p><strong>{}</strong></p><ul class=\"fw-policy\">{}</ul>",
        text(&badge),
        lines
            .iter()
            .map(|l| format!("<li>{}</li>", text(l)))
            .collect::<String>()
    )
}

fn lookup_form(req: &HttpRequest, lang: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/apps/flywheel/returns/lookup?locale={lang}{pv}\">\
<label for=\"fw-r-number\">{number}</label><input type=\"text\" id=\"fw-r-number\" name=\"number\" required maxlength=\"20\" placeholder=\"#1001\" autocomplete=\"off\">\
<label for=\"fw-r-email\">{email}</label><input type=\"text\" id=\"fw-r-email\" name=\"email\" required maxlength=\"255\" autocomplete=\"email\" inputmode=\"email\">\
<button type=\"submit\">{find}</button></form>",
        pv = preview(req).replace('&', "&amp;"),
        number = text(&t(lang, "returns.portal.number")),
        email = text(&t(lang, "returns.portal.email")),
        find = text(&t(lang, "returns.portal.find")),
    )
}

/// `GET /proxy/returns`: the policy, the shopper's orders when logged in, and the lookup.
async fn start(
    req: HttpRequest,
    request: StorefrontRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let policy: ReturnPolicy = ShopSettings::load(&state.db, request.shop_id).await?;
    let now = state.clock.now();
    let mut body = p(&t(lang, "returns.portal.intro")) + &policy_summary(lang, &policy);
    if let Some(shopper) = request.customer_id {
        let customer =
            crate::commerce::Commerce::find_customer(&state.db, request.shop_id, shopper).await?;
        if let Some(customer) = customer.filter(|c| c.redacted_at.is_none()) {
            let orders = Returns::orders_of(&state.db, request.shop_id, customer.id, now).await?;
            if !orders.is_empty() {
                body += &format!(
                    "<h2>{}</h2><ul class=\"fw-orders\">",
                    text(&t(lang, "returns.portal.your_orders"))
                );
                for order in orders {
                    let token = order_token(state.api_secret(), request.shop_id, order.id, now);
                    body += &format!(
                        "<li><a href=\"/apps/flywheel/returns/order?t={token}&amp;locale={lang}{pv}\">{name}</a></li>",
                        pv = preview(&req).replace('&', "&amp;"),
                        name = text(&order.name),
                    );
                }
                body += "</ul>";
            }
        }
    }
    body += &format!("<h2>{}</h2>", text(&t(lang, "returns.portal.find_title")));
    body += &lookup_form(&req, lang);
    Ok(page(&req, StatusCode::OK, lang, &body))
}

#[derive(Deserialize)]
struct Lookup {
    #[serde(default)]
    number: String,
    #[serde(default)]
    email: String,
}

/// Counts and records one lookup attempt for each key; true when any is over the limit.
async fn over_limit(
    state: &AppState,
    shop_id: i64,
    keys: &[String],
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let mut over = false;
    for key in keys {
        let recent = return_lookups::Entity::find()
            .filter(return_lookups::Column::ShopId.eq(shop_id))
            .filter(return_lookups::Column::Key.eq(key.as_str()))
            .filter(return_lookups::Column::CreatedAt.gt(now - Duration::hours(1)))
            .count(&state.db)
            .await?;
        over |= recent >= LOOKUPS_PER_HOUR;
    }
    if !over {
        for key in keys {
            return_lookups::ActiveModel {
                shop_id: Set(shop_id),
                key: Set(key.clone()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&state.db)
            .await?;
        }
    }
    Ok(over)
}

/// `POST /proxy/returns/lookup`: the order by number and email.
async fn lookup(
    req: HttpRequest,
    request: StorefrontRequest,
    form: web::Form<Lookup>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let now = state.clock.now();
    let email = form.email.trim().to_lowercase();
    let number = form.number.trim().trim_start_matches('#').to_owned();
    let hash = |what: &str, value: &str| {
        crate::shopify::signature::keyed_hash(
            state.api_secret(),
            "return lookup",
            &format!("{what}:{value}"),
        )
    };
    let keys = [hash("email", &email), hash("number", &number)];
    if over_limit(&state, request.shop_id, &keys, now).await? {
        let body = p(&t(lang, "returns.error.too_many_lookups"));
        return Ok(page(&req, StatusCode::TOO_MANY_REQUESTS, lang, &body));
    }
    match Returns::lookup(&state.db, request.shop_id, &number, &email).await? {
        Some(order) => order_form(&req, &state, &request, lang, &order, None).await,
        None => {
            // The same words for a wrong address as for no such order.
            let body = p(&t(lang, "returns.error.not_found")) + &lookup_form(&req, lang);
            Ok(page(&req, StatusCode::NOT_FOUND, lang, &body))
        }
    }
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    t: String,
}

/// `GET /proxy/returns/order?t=…`: the return form for an order the shopper reached.
async fn order_page(
    req: HttpRequest,
    request: StorefrontRequest,
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    match tokened_order(&state, &request, &query.t).await? {
        Some(order) => order_form(&req, &state, &request, lang, &order, None).await,
        None => Ok(page(
            &req,
            StatusCode::UNAUTHORIZED,
            lang,
            &(p(&t(lang, "returns.error.link")) + &lookup_form(&req, lang)),
        )),
    }
}

fn not_returnable_text(lang: &str, why: &NotReturnable) -> String {
    match why {
        NotReturnable::FinalSale => t(lang, "returns.line.final_sale"),
        NotReturnable::Excluded => t(lang, "returns.line.excluded"),
        NotReturnable::AlreadyReturned => t(lang, "returns.line.already"),
        NotReturnable::WindowClosed(date) => tf(
            lang,
            "returns.line.closed",
            &[("date", &crate::delivery::format::date_text(lang, *date))],
        ),
    }
}

/// The items, reasons and outcomes for one order (with `error` above when a submission was refused).
async fn order_form(
    req: &HttpRequest,
    state: &AppState,
    request: &StorefrontRequest,
    lang: &str,
    order: &orders::Model,
    error: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let policy: ReturnPolicy = ShopSettings::load(&state.db, request.shop_id).await?;
    let tz = crate::clock::shop_tz(&request.record.timezone);
    let now = state.clock.now();
    let view = Returns::returnable(
        &state.db,
        &policy,
        order,
        tz,
        crate::clock::local_date(now, tz),
    )
    .await?;
    let token = order_token(state.api_secret(), request.shop_id, order.id, now);
    let mut body = String::new();
    if let Some(error) = error {
        body += &format!("<p class=\"fw-error\" role=\"alert\">{}</p>", text(&error));
    }
    body += &p(&tf(lang, "returns.portal.order", &[("order", &order.name)]));
    if !view.any_returnable() {
        let why = view.lines.iter().find_map(|l| l.available.err());
        let message = match why {
            Some(NotReturnable::WindowClosed(date)) => tf(
                lang,
                "returns.error.window_closed",
                &[("date", &crate::delivery::format::date_text(lang, date))],
            ),
            _ => t(lang, "returns.error.nothing_returnable"),
        };
        body += &p(&message);
        body += "<ul>";
        for line in &view.lines {
            if let Err(why) = &line.available {
                body += &format!(
                    "<li>{} — {}</li>",
                    text(&line.title),
                    text(&not_returnable_text(lang, why))
                );
            }
        }
        body += "</ul>";
        return Ok(page(req, StatusCode::OK, lang, &body));
    }
    body += &p(&tf(
        lang,
        "returns.portal.until",
        &[(
            "date",
            &crate::delivery::format::date_text(lang, view.deadline),
        )],
    ));
    body += &format!(
        "<form method=\"post\" action=\"/apps/flywheel/returns?locale={lang}{pv}\" enctype=\"multipart/form-data\">\
<input type=\"hidden\" name=\"t\" value=\"{token}\"><fieldset><legend>{items}</legend>",
        pv = preview(req).replace('&', "&amp;"),
        token = text(&token),
        items = text(&t(lang, "returns.portal.items")),
    );
    for line in &view.lines {
        let name = match &line.variant_title {
            Some(v) if !v.is_empty() => format!("{} — {v}", line.title),
            _ => line.title.clone(),
        };
        match &line.available {
            Ok(left) => {
                let options: String = (0..=*left)
                    .map(|n| format!("<option value=\"{n}\">{n}</option>"))
                    .collect();
                body += &format!(
                    "<label class=\"fw-line\"><span>{name}</span> <select name=\"qty_{id}\" aria-label=\"{qty}\">{options}</select></label>",
                    name = text(&name),
                    id = line.line_item_id,
                    qty = text(&tf(
                        lang,
                        "returns.portal.quantity",
                        &[("item", &line.title)]
                    )),
                );
            }
            Err(why) => {
                body += &format!(
                    "<p class=\"fw-line fw-muted\">{} — {}</p>",
                    text(&name),
                    text(&not_returnable_text(lang, why))
                );
            }
        }
    }
    body += "</fieldset>";
    let reasons: String = policy
        .reasons
        .iter()
        .map(|r| {
            format!(
                "<option value=\"{r}\">{}</option>",
                text(&t(lang, &format!("returns.reason.{r}")))
            )
        })
        .collect();
    body += &format!(
        "<label for=\"fw-r-reason\">{label}</label><select id=\"fw-r-reason\" name=\"reason\" required>{reasons}</select>\
<label for=\"fw-r-comment\">{comment}</label><textarea id=\"fw-r-comment\" name=\"comment\" rows=\"3\" maxlength=\"2000\"></textarea>\
<label for=\"fw-r-photos\">{photos}</label><input type=\"file\" id=\"fw-r-photos\" name=\"photos\" multiple accept=\"image/jpeg,image/png,image/webp\">",
        label = text(&t(lang, "returns.portal.reason")),
        comment = text(&t(lang, "returns.portal.comment")),
        photos = text(&t(lang, "returns.portal.photos")),
    );
    body += &format!(
        "<fieldset><legend>{}</legend>",
        text(&t(lang, "returns.portal.outcome"))
    );
    let mut first = true;
    for outcome in Outcome::ALL.into_iter().filter(|o| policy.allows(*o)) {
        let label = match outcome {
            Outcome::StoreCredit if policy.store_credit_bonus_percent > 0 => tf(
                lang,
                "returns.outcome.store_credit_bonus",
                &[("percent", &policy.store_credit_bonus_percent.to_string())],
            ),
            _ => t(lang, &format!("returns.outcome.{}", outcome.key())),
        };
        body += &format!(
            "<label class=\"fw-radio\"><input type=\"radio\" name=\"outcome\" value=\"{}\"{}> {}</label>",
            outcome.key(),
            if first { " checked" } else { "" },
            text(&label)
        );
        first = false;
    }
    body += "</fieldset>";
    if policy.allow_exchange {
        let variants: Vec<(i64, String)> = view
            .lines
            .iter()
            .filter(|l| l.available.is_ok())
            .filter_map(|l| l.product_id.and_then(|p| view.exchange_variants.get(&p)))
            .flatten()
            .cloned()
            .collect();
        if !variants.is_empty() {
            let options: String = variants
                .iter()
                .map(|(id, title)| format!("<option value=\"{id}\">{}</option>", text(title)))
                .collect();
            body += &format!(
                "<label for=\"fw-r-variant\">{label}</label><select id=\"fw-r-variant\" name=\"exchange_variant\"><option value=\"\">—</option>{options}</select>",
                label = text(&t(lang, "returns.portal.exchange_for")),
            );
        }
    }
    body += &format!(
        "<button type=\"submit\">{}</button></form>",
        text(&t(lang, "returns.portal.submit"))
    );
    Ok(page(req, StatusCode::OK, lang, &body))
}

/// The form's text fields and photos.
async fn read_form(
    req: &HttpRequest,
    body: web::Bytes,
    lang: &str,
) -> Result<(HashMap<String, String>, Vec<Vec<u8>>), ApiError> {
    let bad = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_form",
            t(lang, "returns.error.malformed"),
        )
    };
    let mut multipart = Multipart::new(
        req.headers(),
        futures_util::stream::once(async move { Ok::<_, actix_web::error::PayloadError>(body) }),
    );
    let (mut fields, mut photos) = (HashMap::new(), Vec::new());
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|_| bad())?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            data.extend_from_slice(&chunk.map_err(|_| bad())?);
        }
        if name == "photos" {
            if !data.is_empty() {
                photos.push(data);
            }
            if photos.len() > MAX_PHOTOS {
                return Err(ApiError::unprocessable(
                    "too_many_photos",
                    t(lang, "returns.error.photos"),
                ));
            }
        } else if data.len() <= 8 * 1024 {
            fields.insert(name, String::from_utf8(data).map_err(|_| bad())?);
        }
    }
    Ok((fields, photos))
}

/// `POST /proxy/returns`: opens the return and shows where to follow it.
async fn submit(
    req: HttpRequest,
    request: StorefrontRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let body = read_limited(payload, MAX_FORM_BYTES).await?;
    let (fields, photos) = match read_form(&req, body, lang).await {
        Ok(read) => read,
        Err(e) => return Ok(page(&req, e.status, lang, &p(&e.message))),
    };
    let field = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    let Some(order) = tokened_order(&state, &request, field("t")).await? else {
        return Ok(page(
            &req,
            StatusCode::UNAUTHORIZED,
            lang,
            &(p(&t(lang, "returns.error.link")) + &lookup_form(&req, lang)),
        ));
    };
    let lines: Vec<(i64, i32)> = fields
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("qty_")?.parse().ok()?,
                v.trim().parse().ok()?,
            ))
        })
        .collect();
    let now = state.clock.now();
    let policy: ReturnPolicy = ShopSettings::load(&state.db, request.shop_id).await?;
    let tz = crate::clock::shop_tz(&request.record.timezone);
    let view: Returnable = Returns::returnable(
        &state.db,
        &policy,
        &order,
        tz,
        crate::clock::local_date(now, tz),
    )
    .await?;
    let digest = crate::shopify::signature::keyed_hash(
        state.api_secret(),
        "return submission",
        &format!(
            "{}:{:?}:{}:{}",
            order.id,
            {
                let mut l = lines.clone();
                l.sort();
                l
            },
            field("reason"),
            field("outcome")
        ),
    );
    let ask = NewReturn {
        lines,
        reason: field("reason").to_owned(),
        comment: Some(field("comment").to_owned()),
        outcome: Outcome::parse(field("outcome")).unwrap_or(Outcome::Refund),
        exchange_variant_id: field("exchange_variant").trim().parse().ok(),
        locale: lang.to_owned(),
        key: format!("portal:{}", &digest[..32]),
    };
    let ready = if photos.is_empty() {
        Vec::new()
    } else {
        match process_photos(photos, lang).await {
            Ok(ready) => ready,
            Err(e) => {
                return order_form(&req, &state, &request, lang, &order, Some(e.message)).await;
            }
        }
    };
    let created = match Returns::request(&state.db, &policy, &order, &view, ask, now).await {
        Ok(created) => created,
        Err(ReturnError::Refused { key, date }) => {
            let message = match date {
                Some(date) => tf(
                    lang,
                    key,
                    &[("date", &crate::delivery::format::date_text(lang, date))],
                ),
                None => t(lang, key),
            };
            return order_form(&req, &state, &request, lang, &order, Some(message)).await;
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    if !ready.is_empty() {
        let already = return_photos::Entity::find()
            .filter(return_photos::Column::ReturnId.eq(created.id))
            .count(&state.db)
            .await?;
        if already == 0 {
            let stored = store_photos(&state, "returns", request.shop_id, ready, lang).await?;
            let keys: Vec<String> = stored
                .iter()
                .flat_map(|s| [s.display_key.clone(), s.thumb_key.clone()])
                .collect();
            for photo in &stored {
                return_photos::ActiveModel {
                    shop_id: Set(request.shop_id),
                    return_id: Set(created.id),
                    display_key: Set(photo.display_key.clone()),
                    thumb_key: Set(photo.thumb_key.clone()),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&state.db)
                .await?;
            }
            crate::reviews::privacy::keep(&state.db, &keys).await?;
        }
    }
    let link = status_link(&state, &request, &created, lang);
    let body = p(&tf(
        lang,
        "returns.portal.requested",
        &[("rma", &created.number)],
    )) + &format!(
        "<p><a href=\"{}\">{}</a></p>",
        text(&link),
        text(&t(lang, "returns.portal.follow"))
    );
    Ok(page(&req, StatusCode::CREATED, lang, &body))
}

/// The status page's address on this storefront (a relative link works in the theme and the preview).
fn status_link(
    state: &AppState,
    request: &StorefrontRequest,
    r: &return_requests::Model,
    lang: &str,
) -> String {
    let token = status_token(state.api_secret(), request.shop_id, r.id);
    status_url(&request.record.domain, &r.number, &token, lang)
        .replace(&format!("https://{}", request.record.domain), "")
}

#[derive(Deserialize)]
struct StatusQuery {
    #[serde(default)]
    r: String,
    #[serde(default)]
    t: String,
}

/// The return a status link names, when its token is right.
async fn linked_return(
    state: &AppState,
    request: &StorefrontRequest,
    number: &str,
    token: &str,
) -> Result<Option<return_requests::Model>, ApiError> {
    let Some(found) = Returns::by_number(&state.db, request.shop_id, number).await? else {
        return Ok(None);
    };
    let valid = status_token_valid(state.api_secret(), request.shop_id, found.id, token);
    Ok(valid.then_some(found))
}

/// `GET /proxy/returns/status?r=…&t=…`: where the return stands, its history, the slip.
async fn status(
    req: HttpRequest,
    request: StorefrontRequest,
    query: web::Query<StatusQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let Some(found) = linked_return(&state, &request, &query.r, &query.t).await? else {
        return Ok(page(
            &req,
            StatusCode::NOT_FOUND,
            lang,
            &p(&t(lang, "returns.error.link")),
        ));
    };
    let history = Returns::history(&state.db, found.id).await?;
    let items = Returns::items(&state.db, found.id).await?;
    let mut body = format!(
        "<p class=\"fw-rma\">{}</p><p><strong>{}</strong></p>",
        text(&tf(lang, "returns.portal.rma", &[("rma", &found.number)])),
        text(&t(lang, &format!("returns.status.{}", found.status))),
    );
    body += &p(&t(lang, &format!("returns.explain.{}", found.status)));
    if let Some(reason) = &found.rejection_reason {
        body += &p(&tf(
            lang,
            "returns.portal.rejected_because",
            &[("reason", reason)],
        ));
    }
    body += "<ul>";
    for item in &items {
        body += &format!("<li>{} × {}</li>", text(&item.title), item.quantity);
    }
    body += "</ul><ol class=\"fw-timeline\">";
    for event in &history {
        body += &format!(
            "<li><time datetime=\"{at}\">{day}</time> — {status}</li>",
            at = event.created_at.to_rfc3339(),
            day = crate::delivery::format::date_text(
                lang,
                crate::clock::local_date(
                    event.created_at,
                    crate::clock::shop_tz(&request.record.timezone)
                )
            ),
            status = text(&t(lang, &format!("returns.status.{}", event.to_status))),
        );
    }
    body += "</ol>";
    let q = format!(
        "r={}&amp;t={}&amp;locale={lang}{}",
        text(&found.number),
        text(&query.t),
        preview(&req).replace('&', "&amp;")
    );
    if matches!(
        found.status.as_str(),
        rules::APPROVED | rules::LABEL_ISSUED | rules::IN_TRANSIT
    ) {
        body += &format!(
            "<p><a href=\"/apps/flywheel/returns/slip?{q}\" target=\"_blank\">{slip}</a> · <a href=\"/apps/flywheel/returns/slip.pdf?{q}\">{pdf}</a></p>",
            slip = text(&t(lang, "returns.portal.print_slip")),
            pdf = text(&t(lang, "returns.portal.pdf_slip")),
        );
    }
    if rules::next(&found.status, "ship").is_some() {
        body += &format!(
            "<form method=\"post\" action=\"/apps/flywheel/returns/ship?{q}\"><label for=\"fw-r-tracking\">{label}</label>\
<input type=\"text\" id=\"fw-r-tracking\" name=\"tracking\" maxlength=\"100\"><button type=\"submit\">{send}</button></form>",
            label = text(&t(lang, "returns.portal.tracking")),
            send = text(&t(lang, "returns.portal.shipped")),
        );
    }
    Ok(page(&req, StatusCode::OK, lang, &body))
}

#[derive(Deserialize)]
struct ShipForm {
    #[serde(default)]
    tracking: String,
}

/// `POST /proxy/returns/ship`: the shopper sent the parcel.
async fn ship(
    req: HttpRequest,
    request: StorefrontRequest,
    query: web::Query<StatusQuery>,
    form: web::Form<ShipForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let Some(found) = linked_return(&state, &request, &query.r, &query.t).await? else {
        return Ok(page(
            &req,
            StatusCode::NOT_FOUND,
            lang,
            &p(&t(lang, "returns.error.link")),
        ));
    };
    let tracking = crate::text::clean_text(&form.tracking)
        .chars()
        .take(100)
        .collect::<String>();
    let changes = vec![(
        return_requests::Column::Tracking,
        sea_orm::Value::from(Some(tracking.clone()).filter(|t| !t.is_empty())),
    )];
    match Returns::transition(
        &state.db,
        &found,
        "ship",
        "shopper",
        None,
        changes,
        state.clock.now(),
    )
    .await
    {
        Ok(_) | Err(ReturnError::Illegal { .. }) => {}
        Err(e) => return Err(ApiError::internal(e)),
    }
    let link = status_link(&state, &request, &found, lang);
    let body = p(&t(lang, "returns.portal.thanks_shipped"))
        + &format!(
            "<p><a href=\"{}\">{}</a></p>",
            text(&link),
            text(&t(lang, "returns.portal.follow"))
        );
    Ok(page(&req, StatusCode::OK, lang, &body))
}

/// The slip's content for a return, in the shopper's language.
async fn slip_of(
    state: &AppState,
    request: &StorefrontRequest,
    found: &return_requests::Model,
    lang: &'static str,
) -> Result<Slip, ApiError> {
    let policy: ReturnPolicy = ShopSettings::load(&state.db, request.shop_id).await?;
    let items = Returns::items(&state.db, found.id).await?;
    let order = orders::Entity::find_by_id(found.order_id)
        .one(&state.db)
        .await?;
    let shop_name = request
        .record
        .name
        .clone()
        .unwrap_or_else(|| request.record.domain.clone());
    let mut address = policy.return_address.lines();
    if address.is_empty() {
        address.push(shop_name.clone());
    }
    let who = if found.shop_pays_label {
        "returns.slip.label_shop"
    } else {
        "returns.slip.label_customer"
    };
    Ok(Slip {
        lang,
        title: t(lang, "returns.slip.title"),
        shop_name,
        rma: found.number.clone(),
        order_label: t(lang, "returns.slip.order"),
        order_name: order.map(|o| o.name).unwrap_or_default(),
        address_label: t(lang, "returns.slip.send_to"),
        address,
        items_label: t(lang, "returns.slip.items"),
        items: items
            .iter()
            .map(|i| (i.title.clone(), i.quantity))
            .collect(),
        instructions: vec![
            t(lang, "returns.slip.step_pack"),
            t(lang, "returns.slip.step_attach"),
            t(lang, who),
        ],
        print_label: t(lang, "returns.slip.print"),
    })
}

/// The slip of the return a status link names, once it is approved (else a "not valid" page).
async fn linked_slip(
    req: &HttpRequest,
    request: &StorefrontRequest,
    query: &StatusQuery,
    state: &AppState,
) -> Result<Result<(Slip, String), HttpResponse>, ApiError> {
    let lang = request.lang(req);
    let found = linked_return(state, request, &query.r, &query.t)
        .await?
        .filter(|r| r.status != rules::REQUESTED && r.status != rules::REJECTED);
    match found {
        Some(found) => Ok(Ok((
            slip_of(state, request, &found, lang).await?,
            found.number,
        ))),
        None => Ok(Err(page(
            req,
            StatusCode::NOT_FOUND,
            lang,
            &p(&t(lang, "returns.error.link")),
        ))),
    }
}

/// `GET /proxy/returns/slip`: the print page (plain HTML: it is for the printer, not the theme).
async fn slip_html(
    req: HttpRequest,
    request: StorefrontRequest,
    query: web::Query<StatusQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(match linked_slip(&req, &request, &query, &state).await? {
        Ok((slip, _)) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(slip.html()),
        Err(refused) => refused,
    })
}

/// `GET /proxy/returns/slip.pdf`: the same slip as a PDF.
async fn slip_pdf(
    req: HttpRequest,
    request: StorefrontRequest,
    query: web::Query<StatusQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(match linked_slip(&req, &request, &query, &state).await? {
        Ok((slip, number)) => HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{number}.pdf\""),
            ))
            .body(slip.pdf()),
        Err(refused) => refused,
    })
}
