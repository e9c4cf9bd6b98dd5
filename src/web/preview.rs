//! Demo-only storefront preview: `/preview/products/{handle}` lays out a plain
//! product page of the demo shop and renders the theme extension's real
//! blocks into it; `/apps/flywheel/…` plays the platform's app proxy (it
//! signs the request and hands it to `/proxy/…`), so the blocks' scripts talk
//! to the same routes they reach on a real store.
use super::ApiError;
use super::html::escape;
use crate::app::AppState;
use crate::demo::{DEMO_SHOP, PRODUCTS};
use crate::i18n::t;
use crate::money::Money;
use crate::preview::theme::{block_settings, file, render_block};
use crate::shopify::ShopDomain;
use crate::shopify::signature::{query_pairs, query_value, signed_app_proxy_query};
use crate::shops::Shops;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/preview/products/{handle}", web::get().to(product))
        .route("/preview/assets/{file}", web::get().to(asset))
        .route("/apps/flywheel/{tail:.*}", web::to(app_proxy));
}

/// The shopper the preview pretends is logged in (`?customer=`), kept in a cookie.
const CUSTOMER_COOKIE: &str = "fw_preview_customer";

/// The blocks a merchant would place under the buy button, in order.
const PRODUCT_BLOCKS: [&str; 4] = [
    "delivery-estimate",
    "trust-note",
    "policy-badges",
    "loyalty-banner",
];

/// For the browser test: how far, in CSS pixels, any widget (`data-fw-watch`)
/// moved or changed height between the first layout and four seconds later,
/// when the scripts have filled the widgets in. Written to `<html data-shift>`.
const LAYOUT_SHIFT_PROBE: &str = "<script>(function(){var d=document.documentElement;\
function boxes(){return Array.prototype.map.call(document.querySelectorAll('[data-fw-watch]'),function(e){\
var r=e.getBoundingClientRect();return [r.top,r.height];});}\
document.addEventListener('DOMContentLoaded',function(){var first=boxes();d.dataset.shift='pending';\
setTimeout(function(){var last=boxes(),m=0;for(var i=0;i<first.length;i++){\
m=Math.max(m,Math.abs(last[i][0]-first[i][0]),Math.abs(last[i][1]-first[i][1]));}\
d.dataset.shift=String(m);},4000);});})();</script>";

const PAGE_STYLE: &str = "body{margin:0;font-family:Georgia,serif;color:#1a1a1a;background:#fff}\
header{padding:16px 24px;border-bottom:1px solid #e5e5e5;font-size:1.2rem}\
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:32px;max-width:1000px;margin:24px auto;padding:0 24px}\
.media{aspect-ratio:1;background:#f3efe8;border-radius:8px}.price{font-size:1.3rem}\
button.buy{width:100%;padding:14px;border:0;border-radius:6px;background:#1a1a1a;color:#fff;font-size:1rem}\
.below{max-width:1000px;margin:0 auto 48px;padding:0 24px}.description{line-height:1.6;color:#444}\
@media (max-width:700px){main{grid-template-columns:1fr}}";

/// The product's review summary as the platform would hold it in the
/// `$app:reviews.summary` metafield (the app writes it there; here it is read
/// from the same table the metafield is written from).
async fn review_metafields(
    state: &AppState,
    product_id: i64,
) -> Result<serde_json::Value, ApiError> {
    let Some(shop) = crate::shops::Shops::find(
        &state.db,
        &crate::shopify::ShopDomain::parse(DEMO_SHOP).map_err(ApiError::internal)?,
    )
    .await?
    else {
        return Ok(json!({}));
    };
    let summary = crate::reviews::summary::stored(&state.db, shop.id, product_id)
        .await?
        .resolved(&crate::reviews::media_base(&state.app_url));
    if summary.count == 0 {
        return Ok(json!({}));
    }
    Ok(json!({"$app:reviews": {"summary": {"value": summary}}}))
}

async fn product(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = query_pairs(req.query_string());
    let lang = super::locale_of(&req, None);
    let country = query_value(&pairs, "country")
        .unwrap_or("IT")
        .to_ascii_uppercase();
    let handle = path.into_inner();
    let product = PRODUCTS
        .iter()
        .find(|p| p.handle() == handle)
        .ok_or_else(|| ApiError::not_found("no such product in the demo shop"))?;
    let customer: Option<i64> = query_value(&pairs, "customer")
        .map(str::to_owned)
        .or_else(|| req.cookie(CUSTOMER_COOKIE).map(|c| c.value().to_owned()))
        .and_then(|c| c.parse().ok());
    let metafields = review_metafields(&state, product.id).await?;
    // The app-data metafields the app writes for the demo shop, as the platform would serve them.
    let demo = Shops::find(&state.db, &ShopDomain::from_stored(DEMO_SHOP.to_owned())).await?;
    let support: crate::support::SupportSettings = match &demo {
        Some(shop) => crate::shops::ShopSettings::load(&state.db, shop.id).await?,
        None => Default::default(),
    };
    // The logged-in shopper as the theme knows them: id, name, email.
    let shopper = match (customer, &demo) {
        (Some(id), Some(shop)) => crate::commerce::Commerce::find_customer(&state.db, shop.id, id)
            .await?
            .map(|c| {
                let name = crate::commerce::Commerce::full_name(&c).unwrap_or_default();
                json!({"id": id, "name": name, "email": c.email.unwrap_or_default()})
            }),
        _ => None,
    }
    .or_else(|| customer.map(|id| json!({"id": id, "name": "", "email": ""})));
    let returns: crate::returns::ReturnPolicy = match &demo {
        Some(shop) => crate::shops::ShopSettings::load(&state.db, shop.id).await?,
        None => Default::default(),
    };
    let mut app_data = json!({});
    for (key, _, value) in crate::support::standards::metafields(&support, &returns) {
        let value: serde_json::Value = serde_json::from_str(&value).unwrap_or(json!(value));
        app_data[key] = json!({ "value": value });
    }
    let globals = json!({
        "product": {
            "id": product.id, "title": product.title, "handle": handle, "vendor": product.vendor,
            "tags": [], "price": product.price_minor,
            "selected_or_first_available_variant": {"id": product.id * 10 + 1},
            "metafields": metafields,
        },
        "shop": {"name": "Bottega Flywheel", "permanent_domain": DEMO_SHOP,
            "customer_accounts_enabled": true, "customer_accounts_optional": true},
        "customer": shopper,
        "routes": {"account_login_url": "/account/login", "account_register_url": "/account/register"},
        "request": {"locale": {"iso_code": lang}},
        "localization": {"country": {"iso_code": country}},
        "cart": {"item_count": 0, "items": []},
        "app": {"metafields": {"flywheel": app_data}},
    });
    let render = |block: &str| -> Result<String, ApiError> {
        let settings = block_settings(block, &Map::new()).map_err(ApiError::internal)?;
        let html = render_block(block, lang, &globals, &settings).map_err(ApiError::internal)?;
        Ok(format!(
            "<div class=\"shopify-block\" data-block=\"{block}\" data-fw-watch>{html}</div>"
        ))
    };
    let mut blocks = String::new();
    for block in PRODUCT_BLOCKS {
        blocks.push_str(&render(block)?);
    }
    let launcher = render("loyalty-launcher")?;
    let stars = render("star-rating")?;
    let reviews = render("reviews")?;
    let contact = render("support-contact")?;
    // `?measure=1`: record how far the widgets moved, for the browser test.
    let measure = if query_value(&pairs, "measure") == Some("1") {
        LAYOUT_SHIFT_PROBE
    } else {
        ""
    };
    let price = format!(
        "{} EUR",
        Money::new(product.price_minor, "EUR").to_decimal_string()
    );
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{title}</title>{measure}<style>{PAGE_STYLE}</style>\
<link rel=\"stylesheet\" href=\"/preview/assets/flywheel.css\">\
<script src=\"/preview/assets/flywheel.js\" defer></script>\
<script src=\"/preview/assets/flywheel-reviews.js\" defer></script></head><body>\
<header>Bottega Flywheel · <small>{preview}</small> · <a href=\"/apps/flywheel/returns?locale={lang}\">{returns}</a></header><main>\
<div class=\"media\" role=\"img\" aria-label=\"{title}\"></div>\
<div><h1>{title}</h1>{stars}<p class=\"price\">{price}</p><button class=\"buy\" type=\"button\">{buy}</button>\
{blocks}<p data-fw-watch>&nbsp;</p></div></main>\
<div class=\"below\"><p class=\"description\">{description}</p>{reviews}{contact}</div>{launcher}</body></html>",
        title = escape(product.title),
        preview = escape(&t(lang, "preview.title")),
        returns = escape(&t(lang, "returns.portal.title")),
        buy = escape(&t(lang, "preview.add_to_cart")),
        description = escape(&t(lang, "preview.description")),
    );
    let mut response = HttpResponse::Ok();
    response.content_type("text/html; charset=utf-8");
    if let Some(id) = customer {
        response.cookie(
            actix_web::cookie::Cookie::build(CUSTOMER_COOKIE, id.to_string())
                .path("/")
                .http_only(true)
                .finish(),
        );
    }
    Ok(response.body(html))
}

async fn asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let body = file(&format!("assets/{name}"))
        .ok_or_else(|| ApiError::not_found("no such asset in the theme extension"))?;
    let content_type = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "text/javascript; charset=utf-8"
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body))
}

/// What the platform's app proxy does: add the shop, the logged-in shopper and
/// a timestamp, sign, and forward. A 307 keeps the method and the body.
async fn app_proxy(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let customer = req
        .cookie(CUSTOMER_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let mut pairs: Vec<(String, String)> = query_pairs(req.query_string())
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "shop" | "logged_in_customer_id" | "path_prefix" | "timestamp" | "signature"
            )
        })
        .collect();
    pairs.extend([
        ("shop".to_owned(), DEMO_SHOP.to_owned()),
        ("logged_in_customer_id".to_owned(), customer),
        ("path_prefix".to_owned(), "/apps/flywheel".to_owned()),
        // Pages the platform would render inside the theme come back as plain HTML here.
        ("fw_preview".to_owned(), "1".to_owned()),
        (
            "timestamp".to_owned(),
            state.clock.now().timestamp().to_string(),
        ),
    ]);
    let query = signed_app_proxy_query(state.api_secret(), pairs);
    HttpResponse::TemporaryRedirect()
        .insert_header((
            header::LOCATION,
            format!("/proxy/{}?{query}", path.into_inner()),
        ))
        .finish()
}
