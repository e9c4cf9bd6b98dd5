//! `/proxy/feedback`: where the answer buttons of the check-in and survey
//! emails land (inside the shop's theme). One click records the answer; the
//! page thanks the customer, offers the other question and a comment box.
//! "Something went wrong" shows a short form whose sending opens a
//! make-it-right case with its timers. `/proxy/support` is the contact
//! block's form: it opens a case too.
use super::{storefront_page, text};
use crate::app::AppState;
use crate::commerce::Commerce;
use crate::i18n::{t, tf};
use crate::shopify::ShopDomain;
use crate::shopify::signature::{query_pairs, query_value};
use crate::shops::ShopSettings;
use crate::support::rules::CATEGORIES;
use crate::support::{Cases, NewCase, SupportSettings};
use crate::surveys::link::{FeedbackClaims, answer_url, verify};
use crate::surveys::{Question, Surveys};
use crate::text::{clean_text, plausible_email};
use crate::web::ApiError;
use crate::web::proxy::StorefrontRequest;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use entity::{orders, support_cases};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/feedback", web::get().to(answer))
        .route("/feedback", web::post().to(follow_up))
        .route("/support", web::post().to(contact));
}

/// Contact messages one address may send per hour.
const CONTACTS_PER_HOUR: u64 = 3;

fn page(
    req: &HttpRequest,
    status: StatusCode,
    lang: &str,
    title_key: &str,
    body: &str,
) -> HttpResponse {
    storefront_page(req, status, &t(lang, title_key), body, lang)
}

fn paragraph(value: &str) -> String {
    format!("<p>{}</p>", text(value))
}

/// The link's order, when the link is valid for this shop.
async fn linked_order(
    state: &AppState,
    request: &StorefrontRequest,
    token: &str,
) -> Result<Option<(FeedbackClaims, orders::Model)>, ApiError> {
    let shop = ShopDomain::from_stored(request.record.domain.clone());
    let Some(claims) = verify(token, state.api_secret(), &shop, state.clock.now()) else {
        return Ok(None);
    };
    let order = orders::Entity::find_by_id(claims.order)
        .filter(orders::Column::ShopId.eq(request.shop_id))
        .one(&state.db)
        .await?;
    Ok(order.map(|o| (claims, o)))
}

fn invalid_link(req: &HttpRequest, lang: &str) -> HttpResponse {
    page(
        req,
        StatusCode::UNAUTHORIZED,
        lang,
        "feedback.title",
        &paragraph(&t(lang, "feedback.link_invalid")),
    )
}

/// Keeps the preview flag on links and forms of the local preview.
fn preview_suffix(req: &HttpRequest) -> &'static str {
    let pairs = query_pairs(req.query_string());
    if query_value(&pairs, "fw_preview") == Some("1") {
        "&amp;fw_preview=1"
    } else {
        ""
    }
}

/// The comment box under an answer.
fn comment_form(req: &HttpRequest, lang: &str, token: &str, question: Question) -> String {
    format!(
        "<form method=\"post\" action=\"/apps/flywheel/feedback?locale={lang}{preview}\">\
<input type=\"hidden\" name=\"t\" value=\"{token}\"><input type=\"hidden\" name=\"q\" value=\"{q}\">\
<label for=\"fw-comment\">{label}</label><textarea id=\"fw-comment\" name=\"message\" rows=\"4\" maxlength=\"2000\"></textarea>\
<button type=\"submit\">{send}</button></form>",
        preview = preview_suffix(req),
        token = text(token),
        q = question.key(),
        label = text(&t(lang, "feedback.comment_label")),
        send = text(&t(lang, "feedback.send")),
    )
}

/// "What went wrong?" — the check-in's form that opens a case.
fn problem_form(req: &HttpRequest, lang: &str, token: &str, hours: u32) -> String {
    let choices: String = CATEGORIES
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "<label><input type=\"radio\" name=\"category\" value=\"{c}\"{checked}> {label}</label>",
                checked = if i == 0 { " checked" } else { "" },
                label = text(&t(lang, &format!("support.category.{c}"))),
            )
        })
        .collect();
    format!(
        "<p>{intro}</p><form method=\"post\" action=\"/apps/flywheel/feedback?locale={lang}{preview}\">\
<input type=\"hidden\" name=\"t\" value=\"{token}\"><input type=\"hidden\" name=\"q\" value=\"checkin\">\
<fieldset class=\"fw-stars\"><legend>{what}</legend>{choices}</fieldset>\
<label for=\"fw-problem\">{tell}</label><textarea id=\"fw-problem\" name=\"message\" rows=\"5\" maxlength=\"5000\" required></textarea>\
<button type=\"submit\">{send}</button></form>",
        intro = text(&tf(
            lang,
            "feedback.sorry",
            &[("hours", &hours.to_string())]
        )),
        preview = preview_suffix(req),
        token = text(token),
        what = text(&t(lang, "feedback.what_went_wrong")),
        tell = text(&t(lang, "feedback.tell_us")),
        send = text(&t(lang, "feedback.send")),
    )
}

/// The other question's scale, when it is still unanswered.
fn other_question(
    req: &HttpRequest,
    shop: &ShopDomain,
    lang: &str,
    token: &str,
    question: Question,
) -> String {
    let preview = if preview_suffix(req).is_empty() {
        ""
    } else {
        "&fw_preview=1"
    };
    let (range, key): (Vec<i16>, &str) = match question {
        Question::Nps => ((0..=10).collect(), "feedback.nps_question"),
        _ => ((1..=5).collect(), "feedback.csat_question"),
    };
    let links: String = range
        .iter()
        .map(|n| {
            let n = n.to_string();
            format!(
                "<a class=\"fw-choice\" href=\"{}\">{n}</a> ",
                text(&format!(
                    "{}{preview}",
                    answer_url(shop, token, question, &n, lang)
                        .replace(&format!("https://{shop}"), "")
                ))
            )
        })
        .collect();
    format!(
        "<p><strong>{}</strong></p><p>{links}</p>",
        text(&t(lang, key))
    )
}

/// GET: one click from the email records the answer.
async fn answer(
    req: HttpRequest,
    request: StorefrontRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let pairs = query_pairs(req.query_string());
    let token = query_value(&pairs, "t").unwrap_or_default().to_owned();
    let Some((claims, order)) = linked_order(&state, &request, &token).await? else {
        return Ok(invalid_link(&req, lang));
    };
    let question = query_value(&pairs, "q").and_then(Question::parse);
    let score = question.and_then(|q| q.score(query_value(&pairs, "a").unwrap_or_default()));
    let (Some(question), Some(score)) = (question, score) else {
        return Ok(page(
            &req,
            StatusCode::BAD_REQUEST,
            lang,
            "feedback.title",
            &paragraph(&t(lang, "feedback.answer_invalid")),
        ));
    };
    let now = state.clock.now();
    Surveys::answer(
        &state.db,
        request.shop_id,
        order.id,
        claims.customer,
        question,
        score,
        lang,
        now,
    )
    .await?;
    let support: SupportSettings = ShopSettings::load(&state.db, request.shop_id).await?;
    let body = match (question, score) {
        (Question::Checkin, 0) => problem_form(&req, lang, &token, support.first_reply_hours),
        (Question::Checkin, _) => paragraph(&t(lang, "feedback.all_good")),
        _ => {
            let answered = Surveys::for_order(&state.db, request.shop_id, order.id).await?;
            let other = if question == Question::Nps {
                Question::Csat
            } else {
                Question::Nps
            };
            let mut body = paragraph(&t(lang, "feedback.thanks"));
            if !answered.iter().any(|a| a.kind == other.key()) {
                body += &other_question(&req, &request.shop, lang, &token, other);
            }
            body + &comment_form(&req, lang, &token, question)
        }
    };
    Ok(page(&req, StatusCode::OK, lang, "feedback.title", &body))
}

#[derive(Deserialize)]
struct FollowUp {
    t: String,
    q: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    message: String,
}

/// POST: a comment on an answer, or the check-in's "what went wrong", which opens a case.
async fn follow_up(
    req: HttpRequest,
    request: StorefrontRequest,
    form: web::Form<FollowUp>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let form = form.into_inner();
    let Some((claims, order)) = linked_order(&state, &request, &form.t).await? else {
        return Ok(invalid_link(&req, lang));
    };
    let now = state.clock.now();
    let message = clean_text(&form.message);
    match Question::parse(&form.q) {
        Some(Question::Checkin) => {
            if message.is_empty() {
                let support: SupportSettings =
                    ShopSettings::load(&state.db, request.shop_id).await?;
                let body = paragraph(&t(lang, "feedback.message_required"))
                    + &problem_form(&req, lang, &form.t, support.first_reply_hours);
                return Ok(page(
                    &req,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    lang,
                    "feedback.title",
                    &body,
                ));
            }
            let customer = match order.customer_id {
                Some(id) => {
                    entity::customers::Entity::find_by_id(id)
                        .one(&state.db)
                        .await?
                }
                None => None,
            };
            Surveys::answer(
                &state.db,
                request.shop_id,
                order.id,
                claims.customer,
                Question::Checkin,
                0,
                lang,
                now,
            )
            .await?;
            let (case, _) = Cases::open(
                &state.db,
                NewCase {
                    shop_id: request.shop_id,
                    customer_id: order.customer_id,
                    order_id: Some(order.id),
                    source: "checkin",
                    category: form.category.unwrap_or_default(),
                    customer_name: customer.as_ref().and_then(Commerce::full_name),
                    customer_email: customer.and_then(|c| c.email).or(order.email.clone()),
                    locale: lang.to_owned(),
                    message,
                    key: format!("checkin:{}", order.id),
                },
                now,
            )
            .await?;
            Ok(opened_page(&req, &state, &request, lang, &case).await?)
        }
        Some(question) => {
            Surveys::comment(
                &state.db,
                request.shop_id,
                order.id,
                question,
                &message,
                now,
            )
            .await?;
            Ok(page(
                &req,
                StatusCode::OK,
                lang,
                "feedback.title",
                &paragraph(&t(lang, "feedback.comment_thanks")),
            ))
        }
        None => Ok(page(
            &req,
            StatusCode::BAD_REQUEST,
            lang,
            "feedback.title",
            &paragraph(&t(lang, "feedback.answer_invalid")),
        )),
    }
}

/// "We have your message: request #N, we reply within H hours."
async fn opened_page(
    req: &HttpRequest,
    state: &AppState,
    request: &StorefrontRequest,
    lang: &str,
    case: &support_cases::Model,
) -> Result<HttpResponse, ApiError> {
    let support: SupportSettings = ShopSettings::load(&state.db, request.shop_id).await?;
    let body = paragraph(&tf(
        lang,
        "feedback.case_opened",
        &[
            ("case", &case.id.to_string()),
            ("hours", &support.first_reply_hours.to_string()),
        ],
    ));
    Ok(page(
        req,
        StatusCode::OK,
        lang,
        "feedback.case_title",
        &body,
    ))
}

#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    message: String,
}

/// The contact block's form: a message to the shop opens a case.
async fn contact(
    req: HttpRequest,
    request: StorefrontRequest,
    form: web::Form<Contact>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = request.lang(&req);
    let form = form.into_inner();
    let now = state.clock.now();
    let logged_in = match request.customer_id {
        Some(id) => Commerce::find_customer(&state.db, request.shop_id, id)
            .await?
            .filter(|c| c.redacted_at.is_none()),
        None => None,
    };
    let email = clean_text(&form.email).to_lowercase();
    let email = if email.is_empty() {
        logged_in
            .as_ref()
            .and_then(|c| c.email.clone())
            .unwrap_or_default()
    } else {
        email
    };
    let message = clean_text(&form.message);
    let refuse = |status: StatusCode, key: &str| {
        page(
            &req,
            status,
            lang,
            "feedback.case_title",
            &paragraph(&t(lang, key)),
        )
    };
    if !plausible_email(&email) || email.len() > 255 {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "feedback.email_required",
        ));
    }
    if message.is_empty() {
        return Ok(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "feedback.message_required",
        ));
    }
    let recent = support_cases::Entity::find()
        .filter(support_cases::Column::ShopId.eq(request.shop_id))
        .filter(support_cases::Column::CustomerEmail.eq(email.as_str()))
        .filter(support_cases::Column::Source.eq("contact"))
        .filter(support_cases::Column::OpenedAt.gt(now - Duration::hours(1)))
        .count(&state.db)
        .await?;
    if recent >= CONTACTS_PER_HOUR {
        return Ok(refuse(StatusCode::TOO_MANY_REQUESTS, "feedback.too_many"));
    }
    let customer = match logged_in {
        Some(c) => Some(c),
        None => {
            entity::customers::Entity::find()
                .filter(entity::customers::Column::ShopId.eq(request.shop_id))
                .filter(entity::customers::Column::Email.eq(email.as_str()))
                .filter(entity::customers::Column::RedactedAt.is_null())
                .one(&state.db)
                .await?
        }
    };
    // The order named in the form, if it is this customer's (or this address's).
    let number = form.order.trim().trim_start_matches('#');
    let order = if number.is_empty() {
        None
    } else {
        orders::Entity::find()
            .filter(orders::Column::ShopId.eq(request.shop_id))
            .filter(orders::Column::Name.is_in([format!("#{number}"), number.to_owned()]))
            .all(&state.db)
            .await?
            .into_iter()
            .find(|o| {
                o.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(&email))
                    || (customer.is_some() && o.customer_id == customer.as_ref().map(|c| c.id))
            })
    };
    let digest = crate::shopify::signature::keyed_hash(
        state.api_secret(),
        "contact message",
        &format!("{email}\n{message}"),
    );
    let name = clean_text(&form.name).chars().take(255).collect::<String>();
    let (case, _) = Cases::open(
        &state.db,
        NewCase {
            shop_id: request.shop_id,
            customer_id: customer.as_ref().map(|c| c.id),
            order_id: order.as_ref().map(|o| o.id),
            source: "contact",
            category: form.category.unwrap_or_else(|| "other".into()),
            customer_name: Some(name)
                .filter(|n| !n.is_empty())
                .or_else(|| customer.as_ref().and_then(|c| c.first_name.clone())),
            customer_email: Some(email),
            locale: lang.to_owned(),
            message,
            key: format!("contact:{}", &digest[..32]),
        },
        now,
    )
    .await?;
    opened_page(&req, &state, &request, lang, &case).await
}
