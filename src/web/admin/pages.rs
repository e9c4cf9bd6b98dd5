//! `/app`: the embedded admin's home, the shop at a glance, in the merchant's
//! language (the admin passes `locale`; else the shop's).
use super::{flows_page, loyalty_page, returns_page, reviews_page, support_page};
use crate::app::AppState;
use crate::commerce::queries::{self, ShopOverview};
use crate::i18n::{t, tf};
use crate::money::Money;
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

/// Orders per month as bars: people read a trend faster than a table.
fn month_chart(overview: &ShopOverview, label: &str) -> String {
    let max = overview
        .orders_by_month
        .iter()
        .map(|m| m.orders)
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, height, bar) = (600, 160, 40);
    let mut bars = String::new();
    for (i, m) in overview.orders_by_month.iter().enumerate() {
        let h = (m.orders * (height - 30) / max).max(1);
        let x = 10 + i as i64 * (bar + 9);
        let y = height - 18 - h;
        bars.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"{bar}\" height=\"{h}\" rx=\"3\" fill=\"#008060\"><title>{month}: {n}</title></rect>\
<text x=\"{tx}\" y=\"{ty}\">{short}</text><text x=\"{tx}\" y=\"{ny}\">{n}</text>",
            month = escape(&m.month),
            n = m.orders,
            tx = x + 4,
            ty = height - 4,
            ny = (y - 3).max(10),
            short = escape(m.month.get(2..).unwrap_or(&m.month)),
        ));
    }
    format!(
        "<svg role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {width} {height}\" width=\"100%\">{bars}</svg>",
        label = escape(label)
    )
}

async fn home(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let now = state.clock.now();
    let overview = queries::shop_overview(&state.db, shop.id, &shop.currency, now).await?;
    let events = queries::recent_webhooks(&state.db, shop.domain.as_str(), 10).await?;
    let money = |minor| Money::new(minor, &shop.currency).to_decimal_string();
    let card = |key: &str, value: String| {
        format!(
            "<div class=\"card\"><span class=\"muted\">{}</span><b>{}</b></div>",
            escape(&t(lang, key)),
            escape(&value)
        )
    };
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
    body.push_str("<div class=\"cards\">");
    body.push_str(&card("dashboard.customers", overview.customers.to_string()));
    body.push_str(&card("dashboard.orders", overview.orders.to_string()));
    body.push_str(&card(
        "dashboard.repeat_customers",
        overview.repeat_customers.to_string(),
    ));
    body.push_str(&card(
        "dashboard.repeat_rate",
        format!("{:.1}%", overview.repeat_purchase_rate * 100.0),
    ));
    body.push_str(&card(
        "dashboard.revenue",
        format!("{} {}", money(overview.revenue_12m_minor), shop.currency),
    ));
    body.push_str(&card(
        "dashboard.refunded",
        format!("{} {}", money(overview.refunded_12m_minor), shop.currency),
    ));
    body.push_str("</div>");
    let chart_label = t(lang, "dashboard.orders_by_month");
    body.push_str(&format!(
        "<h2>{}</h2><div class=\"card\">{}</div>",
        escape(&chart_label),
        month_chart(&overview, &chart_label)
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
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // The page carries a session token in its links: never cache it.
        .insert_header(("Cache-Control", "no-store"))
        // Embedded in the admin's iframe only.
        .insert_header((
            "Content-Security-Policy",
            format!(
                "frame-ancestors https://{} https://admin.shopify.com",
                shop.domain
            ),
        ))
        .body(page(lang, &t(lang, "dashboard.title"), &body)))
}
