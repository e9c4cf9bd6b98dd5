//! Demo-only routes (`flywheel demo`): a dashboard link that signs the admin
//! launch as the platform would, and the storefront preview.
use crate::app::AppState;
use crate::demo::{DEMO_SHOP, PRODUCTS};
use crate::shopify::signature::signed_admin_query;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/demo", web::get().to(dashboard))
        .route("/demo/storefront", web::get().to(storefront));
}

fn locale(req: &HttpRequest) -> &'static str {
    super::locale_of(req, None)
}

/// Redirects to `/app` with a freshly signed launch query, as the admin would send.
async fn dashboard(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let host = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
        "admin.shopify.com/store/{}",
        DEMO_SHOP.trim_end_matches(".myshopify.com")
    ));
    let pairs = vec![
        ("embedded".to_owned(), "1".to_owned()),
        ("host".to_owned(), host),
        ("locale".to_owned(), locale(&req).to_owned()),
        ("shop".to_owned(), DEMO_SHOP.to_owned()),
        (
            "timestamp".to_owned(),
            state.clock.now().timestamp().to_string(),
        ),
    ];
    let query = signed_admin_query(state.api_secret(), pairs);
    HttpResponse::Found()
        .insert_header(("Location", format!("/app?{query}")))
        .finish()
}

/// The storefront preview of the demo's first product, in the asked language.
async fn storefront(req: HttpRequest) -> HttpResponse {
    let handle = PRODUCTS.first().map(|p| p.handle()).unwrap_or_default();
    HttpResponse::Found()
        .insert_header((
            "Location",
            format!("/preview/products/{handle}?locale={}", locale(&req)),
        ))
        .finish()
}
