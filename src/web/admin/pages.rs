//! `/app`: the embedded admin's home, the shop at a glance, in the merchant's
//! language (the admin passes `locale`; else the shop's).
use super::dashboard_page;
use super::{flows_page, loyalty_page, returns_page, reviews_page, support_page};
use crate::app::AppState;
use crate::commerce::queries;
use crate::i18n::{t, tf};
use crate::metrics::Period;
use crate::web::ApiError;
use crate::web::html::{escape, page};
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("", web::get().to(home))
        .route("/", web::get().to(home))
        .route("/loyalty", web::get().to(loyalty_page::show))
        .route("/reviews", web::get().to(reviews_page::show))
        .route("/flows", web::get().to(flows_page::show))
        .route("/support", web::get().to(support_page::show))
        .route("/returns", web::get().to(returns_page::show));
}

pub(crate) fn requested_locale(req: &HttpRequest, shop: &CurrentShop) -> &'static str {
    crate::web::locale_of(req, Some(&shop.locale))
}

/// An embedded admin page: it carries a session token, so it is framed by
/// the admin only, never cached and never leaked through the referrer.
pub(crate) fn embedded_page(
    shop: &CurrentShop,
    lang: &str,
    title: &str,
    body: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            format!(
                "frame-ancestors https://{} https://admin.shopify.com",
                shop.domain
            ),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(page(lang, title, body))
}

/// The configuration an admin page's script reads: its language, a session
/// token, and its texts (every `{prefix}{key}` for `keys`), as JSON safe
/// inside a `<script>` element.
pub(crate) fn script_config(
    lang: &str,
    token: &str,
    prefix: &str,
    keys: &str,
    extra: serde_json::Value,
) -> String {
    let texts: serde_json::Map<String, serde_json::Value> = keys
        .split_whitespace()
        .map(|k| {
            (
                k.to_owned(),
                serde_json::json!(t(lang, &format!("{prefix}{k}"))),
            )
        })
        .collect();
    let mut config = serde_json::json!({"lang": lang, "token": token, "texts": texts});
    if let (Some(config), serde_json::Value::Object(extra)) = (config.as_object_mut(), extra) {
        config.extend(extra);
    }
    // `<` escaped so nothing in the data can end the script element early.
    config.to_string().replace('<', "\\u003c")
}

async fn home(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let now = state.clock.now();
    let events = queries::recent_webhooks(&state.db, shop.domain.as_str(), 10).await?;
    let installed = shop
        .installed_at
        .map(|d| {
            tf(
                lang,
                "dashboard.installed_since",
                &[("date", &d.format("%Y-%m-%d").to_string())],
            )
        })
        .unwrap_or_default();
    let mut body = format!(
        "<h1>{title}</h1><p class=\"muted\">{name} · {domain} · {installed}</p><p>{subtitle}</p>",
        title = escape(&t(lang, "dashboard.title")),
        name = escape(shop.name.as_deref().unwrap_or("")),
        domain = escape(shop.domain.as_str()),
        installed = escape(&installed),
        subtitle = escape(&t(lang, "dashboard.subtitle")),
    );
    // A plain link carries its own session token: the launch query expires in seconds.
    let token = loyalty_page::page_token(&state, &shop);
    let loyalty = loyalty_page::admin_href(&req, lang, &token, "/app/loyalty");
    let reviews = loyalty_page::admin_href(&req, lang, &token, "/app/reviews");
    let flows = loyalty_page::admin_href(&req, lang, &token, "/app/flows");
    let support = loyalty_page::admin_href(&req, lang, &token, "/app/support");
    let returns = loyalty_page::admin_href(&req, lang, &token, "/app/returns");
    body.push_str(&format!(
        "<p><a href=\"{}\">{}</a> · <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a> · <a href=\"{}\">{}</a></p>",
        escape(&loyalty),
        escape(&t(lang, "loyalty.admin.open")),
        escape(&reviews),
        escape(&t(lang, "reviews.admin.open")),
        escape(&flows),
        escape(&t(lang, "flows.admin.open")),
        escape(&support),
        escape(&t(lang, "support.admin.open")),
        escape(&returns),
        escape(&t(lang, "returns.admin.open"))
    ));
    // The retention dashboard for the asked period (default: the last twelve months).
    let tz = crate::clock::shop_tz(&shop.timezone);
    let asked = web::Query::<super::metrics::PeriodQuery>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or(super::metrics::PeriodQuery {
            from: None,
            to: None,
        });
    let (period, refused) = match Period::parse(asked.from.as_deref(), asked.to.as_deref(), now, tz)
    {
        Ok(p) => (p, None),
        Err(e) => (Period::last_twelve_months(now, tz), Some(e)),
    };
    if let Some(e) = refused {
        body.push_str(&format!(
            "<p class=\"msg\" role=\"alert\">{}</p>",
            escape(&tf(
                lang,
                "metrics.error.period",
                &[("reason", &t(lang, e.key()))]
            ))
        ));
    }
    let d = super::metrics::cached(&state, &shop, period).await?;
    let settings = &d.settings;
    let imports = crate::commerce::history::Imports::recent(&state.db, shop.id, 3).await?;
    body.push_str(&dashboard_page::imports_card(lang, &imports));
    let hidden: Vec<(String, String)> = {
        let pairs = crate::shopify::signature::query_pairs(req.query_string());
        let mut h: Vec<(String, String)> = ["embedded", "host", "shop"]
            .iter()
            .filter_map(|k| {
                crate::shopify::signature::query_value(&pairs, k)
                    .map(|v| ((*k).to_owned(), v.to_owned()))
            })
            .collect();
        h.push(("locale".into(), lang.to_owned()));
        h.push(("id_token".into(), token.clone()));
        h
    };
    body.push_str(&format!("<style>{}</style>", dashboard_page::STYLE));
    body.push_str(&dashboard_page::render(
        &d,
        lang,
        &dashboard_page::PageLinks { hidden: &hidden },
        settings,
    ));
    let extra = serde_json::json!({
        "from": d.from,
        "to": d.to,
        "minor_digits": crate::money::minor_unit_digits(&shop.currency),
        "settings": settings,
    });
    body.push_str(&format!(
        "<script type=\"application/json\" id=\"metrics-config\">{}</script><script>{}</script>",
        script_config(
            lang,
            &token,
            "metrics.",
            "saving saved request_failed invalid_number",
            extra
        ),
        dashboard_page::SCRIPT
    ));
    body.push_str(&format!(
        "<h2>{}</h2>",
        escape(&t(lang, "dashboard.recent_webhooks"))
    ));
    if events.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            escape(&t(lang, "dashboard.no_events"))
        ));
    } else {
        body.push_str(&format!(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            escape(&t(lang, "dashboard.topic")),
            escape(&t(lang, "dashboard.status")),
            escape(&t(lang, "dashboard.received")),
        ));
        for e in &events {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&e.topic),
                escape(&e.status),
                e.received_at.format("%Y-%m-%d %H:%M UTC")
            ));
        }
        body.push_str("</tbody></table>");
    }
    Ok(embedded_page(
        &shop,
        lang,
        &t(lang, "dashboard.title"),
        &body,
    ))
}
