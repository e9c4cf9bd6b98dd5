//! Demo-only routes (`flywheel demo`): a dashboard link that signs the admin
//! launch as the platform would, and the storefront preview.
use super::ApiError;
use super::html::{escape, page};
use crate::app::AppState;
use crate::demo::DEMO_SHOP;
use crate::i18n::{negotiate, t, tf};
use crate::shopify::signature::{query_pairs, query_value, sign_admin_query};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/demo", web::get().to(dashboard))
        .route("/demo/storefront", web::get().to(storefront));
}

fn locale(req: &HttpRequest) -> &'static str {
    let pairs = query_pairs(req.query_string());
    negotiate(query_value(&pairs, "locale"))
}

/// Redirects to `/app` with a freshly signed launch query, as the admin would send.
async fn dashboard(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let host = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
        "admin.shopify.com/store/{}",
        DEMO_SHOP.trim_end_matches(".myshopify.com")
    ));
    let mut pairs = vec![
        ("embedded".to_owned(), "1".to_owned()),
        ("host".to_owned(), host),
        ("locale".to_owned(), locale(&req).to_owned()),
        ("shop".to_owned(), DEMO_SHOP.to_owned()),
        (
            "timestamp".to_owned(),
            state.clock.now().timestamp().to_string(),
        ),
    ];
    let hmac = sign_admin_query(state.api_secret(), &pairs);
    pairs.push(("hmac".to_owned(), hmac));
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    HttpResponse::Found()
        .insert_header(("Location", format!("/app?{query}")))
        .finish()
}

/// The `trust-note` block's default text, from the extension's own locale files.
fn trust_note_text(lang: &str) -> Option<String> {
    let source = match lang {
        "it" => include_str!("../../theme-extension/locales/it.json"),
        "fr" => include_str!("../../theme-extension/locales/fr.json"),
        _ => include_str!("../../theme-extension/locales/en.default.json"),
    };
    let doc: serde_json::Value = serde_json::from_str(source).ok()?;
    doc["blocks"]["trust_note"]["default_text"]
        .as_str()
        .map(str::to_owned)
}

/// A product page as a theme would lay it out, with the extension's blocks.
async fn storefront(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let lang = locale(&req);
    let mut body = format!(
        "<h1>{}</h1><p class=\"muted\">{}</p><div class=\"card\"><h2>{}</h2><p>€ 39,90</p>",
        escape(&t(lang, "preview.title")),
        escape(&tf(lang, "preview.intro", &[("shop", DEMO_SHOP)])),
        escape(&t(lang, "preview.product")),
    );
    body.push_str(&format!("<h2>{}</h2>", escape(&t(lang, "preview.blocks"))));
    match trust_note_text(lang) {
        Some(text) => body.push_str(&format!(
            "<section data-block=\"trust-note\"><p class=\"flywheel-trust-note\">{}</p></section>",
            escape(&text)
        )),
        None => body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            escape(&t(lang, "preview.no_blocks"))
        )),
    }
    body.push_str("</div>");
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page(lang, &t(lang, "preview.title"), &body)))
}
