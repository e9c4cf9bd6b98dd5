//! `/app/reviews`: where the merchant moderates reviews, in their language.
//! The server renders one tab of the queue and the policy as they are; a small
//! inline script sends each action and the policy to `/api/reviews` and
//! updates the card in place.
use super::loyalty_page::{admin_href, page_token};
use super::pages::requested_locale;
use crate::app::AppState;
use crate::i18n::{t, tf};
use crate::reviews::summary::{PhotoView, views};
use crate::reviews::{HIDDEN, PENDING, PUBLISHED, REJECTED, ReviewPolicy, Reviews, media_base};
use crate::shopify::signature::{query_pairs, query_value};
use crate::web::ApiError;
use crate::web::html::escape;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::reviews;
use serde_json::{Map, Value, json};

/// Reviews per page, as `/api/reviews` pages them.
const PER_PAGE: u64 = super::reviews::QUEUE_PAGE;

/// The tabs in the order the merchant works through them; "all" filters nothing.
const TABS: [&str; 5] = [PENDING, PUBLISHED, HIDDEN, REJECTED, "all"];

fn offered(action: &str, status: &str, featured: bool) -> bool {
    let by_state = crate::reviews::service::allows(action, status);
    // Feature and unfeature take turns.
    by_state
        && match action {
            "feature" => !featured,
            "unfeature" => featured,
            _ => true,
        }
}

pub async fn show(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let view = View::of(&req);
    let filter = (view.status != "all").then_some(view.status);
    let (rows, total) = Reviews::queue(
        &state.db,
        shop.id,
        filter,
        view.product,
        view.page,
        PER_PAGE,
    )
    .await?;
    let counts = Reviews::status_counts(&state.db, shop.id).await?;
    let mut photos = views(&state.db, &media_base(&state.app_url), rows.clone()).await?;
    let now = state.clock.now();
    for shown in &mut photos {
        crate::reviews::sign_photos(&mut shown.photos, state.api_secret(), now);
    }
    let policy = Reviews::policy(&state.db, shop.id).await?;
    let token = page_token(&state, &shop);
    let c = Ctx {
        lang,
        base: admin_href(&req, lang, &token, "/app/reviews"),
        view,
    };
    let mut queue = tabs(&c, &counts) + &product_filter(&c, rows.first());
    if rows.is_empty() {
        queue += &c.fill("<p class=\"muted\">{{empty}}</p>");
    }
    for (row, shown) in rows.iter().zip(&photos) {
        queue += &card(&c, row, &shown.photos);
    }
    queue += &pagination(&c, total.div_ceil(PER_PAGE).max(1));
    let home = admin_href(&req, lang, &token, "/app");
    let mut body = format!("<style>{STYLE}</style><p><a href=\"{}\">", escape(&home));
    body += &c.fill("{{back}}</a></p><h1>{{title}}</h1><p class=\"muted\">{{subtitle}}</p>");
    body += &format!(
        "<section aria-labelledby=\"queue-title\"><h2 id=\"queue-title\">{}</h2>{queue}</section>",
        c.t("queue")
    );
    body += &policy_form(&c, &policy);
    body += &script_config(&c, &token);
    Ok(super::pages::embedded_page(
        &shop,
        lang,
        &t(lang, "reviews.admin.title"),
        &body,
    ))
}

/// What the merchant asked to see: a tab, a page of it, maybe one product.
struct View {
    status: &'static str,
    page: u64,
    product: Option<i64>,
}

impl View {
    /// Unknown values fall back to the first page of pending reviews.
    fn of(req: &HttpRequest) -> View {
        let pairs = query_pairs(req.query_string());
        let value = |key| query_value(&pairs, key);
        View {
            status: (value("status"))
                .and_then(|s| TABS.into_iter().find(|tab| *tab == s))
                .unwrap_or(PENDING),
            page: (value("page").and_then(|p| p.parse().ok()))
                .filter(|p| *p >= 1)
                .unwrap_or(1),
            product: value("product_id").and_then(|p| p.parse().ok()),
        }
    }
}

struct Ctx {
    lang: &'static str,
    /// This page's address with the token and locale, for tab and page links.
    base: String,
    view: View,
}

impl Ctx {
    /// `reviews.admin.{key}` with `values` filled in, escaped for HTML.
    fn tf(&self, key: &str, values: &[(&str, &str)]) -> String {
        escape(&tf(self.lang, &format!("reviews.admin.{key}"), values))
    }

    fn t(&self, key: &str) -> String {
        self.tf(key, &[])
    }

    /// A static template with every `{{key}}` replaced by `self.t(key)`.
    fn fill(&self, template: &str) -> String {
        let mut parts = template.split("{{");
        let mut out = parts.next().unwrap_or_default().to_owned();
        for part in parts {
            let (key, rest) = part.split_once("}}").unwrap_or((part, ""));
            out.push_str(&self.t(key));
            out.push_str(rest);
        }
        out
    }

    /// A link to another view of the queue, escaped for an attribute.
    fn href(&self, status: &str, page: u64, product: Option<i64>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query.append_pair("status", status);
        query.append_pair("page", &page.to_string());
        if let Some(product) = product {
            query.append_pair("product_id", &product.to_string());
        }
        escape(&format!("{}&{}", self.base, query.finish()))
    }
}

fn tabs(c: &Ctx, counts: &[(String, i64)]) -> String {
    let count = |tab: &str| match tab {
        "all" => counts.iter().map(|(_, n)| n).sum(),
        _ => (counts.iter())
            .find(|(s, _)| s == tab)
            .map_or(0, |(_, n)| *n),
    };
    let mut out = format!("<nav class=\"tabs\" aria-label=\"{}\"><ul>", c.t("tabs"));
    for tab in TABS {
        let current = match tab == c.view.status {
            true => " aria-current=\"page\"",
            false => "",
        };
        out += &format!(
            "<li><a href=\"{}\"{current}>{} <span class=\"count\" data-count=\"{tab}\">{}</span></a></li>",
            c.href(tab, 1, c.view.product),
            c.t(&format!("status.{tab}")),
            count(tab)
        );
    }
    out + "</ul></nav>"
}

/// When one product is shown: which, and the way back to all of them.
fn product_filter(c: &Ctx, first: Option<&reviews::Model>) -> String {
    let Some(product) = c.view.product else {
        return String::new();
    };
    let title = match first {
        Some(r) => product_name(c, r),
        None => c.tf("product", &[("id", &product.to_string())]),
    };
    format!(
        "<p>{} <a href=\"{}\">{}</a></p>",
        c.t("product_filter").replace("{product}", &title),
        c.href(c.view.status, 1, None),
        c.t("all_products")
    )
}

/// The product's title, escaped; its id when the review did not learn the title.
fn product_name(c: &Ctx, r: &reviews::Model) -> String {
    match r.product_title.trim() {
        "" => c.tf("product", &[("id", &r.shopify_product_id.to_string())]),
        title => escape(title),
    }
}

fn card(c: &Ctx, r: &reviews::Model, photos: &[PhotoView]) -> String {
    let rating = usize::try_from(r.rating.clamp(1, 5)).unwrap_or(5);
    let stars = format!("{}{}", "★".repeat(rating), "☆".repeat(5 - rating));
    let hidden = |shown: bool| if shown { "" } else { " hidden" };
    let title = match r.title.trim() {
        "" => c.t("untitled"),
        title => escape(title),
    };
    let author = (r.author_name.as_deref())
        .filter(|a| !a.trim().is_empty())
        .map_or_else(|| c.t("anonymous"), escape);
    let mut meta = vec![author];
    if r.verified {
        meta.push(format!(
            "<span class=\"badge ok\">✓ {}</span>",
            c.t("verified")
        ));
    }
    meta.push(format!(
        "<a href=\"{}\">{}</a>",
        c.href(c.view.status, 1, Some(r.shopify_product_id)),
        product_name(c, r)
    ));
    let date = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d").to_string();
    meta.push(c.tf("received", &[("date", &date(r.created_at))]));
    if let Some(at) = r.published_at {
        meta.push(c.tf("published_on", &[("date", &date(at))]));
    }
    if r.helpful_votes > 0 {
        meta.push(c.tf("helpful", &[("count", &r.helpful_votes.to_string())]));
    }
    let mut out = format!(
        "<article class=\"card review\" data-id=\"{id}\" data-status=\"{status}\" data-featured=\"{featured}\" aria-labelledby=\"review-{id}\">\
<h3 id=\"review-{id}\"><span class=\"stars\" role=\"img\" aria-label=\"{label}\">{stars}</span> {title}</h3>\
<p><span class=\"badge\" data-status-label>{status_label}</span> <span class=\"badge star\" data-featured-mark{featured_hidden}>★ {featured_label}</span></p>\
<p class=\"muted\">{meta}</p>",
        id = r.id,
        status = escape(&r.status),
        featured = r.featured,
        label = c.tf("stars", &[("rating", &rating.to_string())]),
        status_label = c.t(&format!("state.{}", r.status)),
        featured_hidden = hidden(r.featured),
        featured_label = c.t("featured"),
        meta = meta.join(" · "),
    );
    let holds: String = (r.hold_reasons.split(','))
        .filter(|h| !h.is_empty())
        .map(|h| format!("<li>{}</li>", c.t(&format!("hold.{h}"))))
        .collect();
    if !holds.is_empty() {
        out += &format!(
            "<div class=\"holds\">{}<ul>{holds}</ul></div>",
            c.t("held_because")
        );
    }
    out += &format!("<p class=\"body\">{}</p>", escape(&r.body));
    if !photos.is_empty() {
        out += &format!("<ul class=\"photos\" aria-label=\"{}\">", c.t("photos"));
        for (i, p) in photos.iter().enumerate() {
            out += &format!(
                "<li><a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\"><img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\" loading=\"lazy\"></a></li>",
                escape(&p.display),
                escape(&p.thumb),
                p.thumb_width,
                p.thumb_height,
                c.tf("photo", &[("number", &(i + 1).to_string())]),
            );
        }
        out += "</ul>";
    }
    let reason = r.reject_reason.as_deref().unwrap_or_default();
    out += &format!(
        "<p data-reject-reason{}>{} <span>{}</span></p>",
        hidden(r.status == REJECTED && !reason.is_empty()),
        c.t("rejected_because"),
        escape(reason)
    );
    let reply = r.reply.as_deref().unwrap_or_default();
    out += &format!(
        "<div class=\"reply\" data-reply{}><b>{}</b><p data-reply-text>{}</p></div>",
        hidden(!reply.is_empty()),
        c.t("your_reply"),
        escape(reply)
    );
    out + &actions(c, r, reply)
        + "<p class=\"msg\" role=\"status\" aria-live=\"polite\" tabindex=\"-1\"></p></article>"
}

/// Every action's control, those the review's state does not allow hidden.
fn actions(c: &Ctx, r: &reviews::Model, reply: &str) -> String {
    let mut out = String::from("<div class=\"actions\">");
    for (action, _) in crate::reviews::service::ACTION_STATES {
        let hidden = if offered(action, &r.status, r.featured) {
            ""
        } else {
            " hidden"
        };
        let field = match action {
            "reject" => format!(
                "<label>{}<input name=\"reason\" maxlength=\"2000\" autocomplete=\"off\"></label>",
                c.t("reject_reason")
            ),
            "reply" => format!(
                "<label>{}<textarea name=\"reply\" rows=\"3\" maxlength=\"2000\">{}</textarea></label>",
                c.t("reply_label"),
                escape(reply)
            ),
            _ => String::new(),
        };
        let (button, class) = match action {
            "approve" => (c.t(action), " class=\"primary\""),
            "reply" => (c.t("save_reply"), ""),
            _ => (c.t(action), ""),
        };
        let form = format!(
            "<form data-post=\"/api/reviews/{}/{action}\">{field}<button type=\"submit\"{class}>{button}</button></form>",
            r.id
        );
        // Reject and reply ask for text first; the others act at once.
        out += &match field.is_empty() {
            true => format!("<div class=\"act\" data-action=\"{action}\"{hidden}>{form}</div>"),
            false => format!(
                "<details class=\"act\" data-action=\"{action}\"{hidden}><summary>{}</summary>{form}</details>",
                c.t(action)
            ),
        };
    }
    out + "</div>"
}

fn pagination(c: &Ctx, pages: u64) -> String {
    let (page, v) = (c.view.page, &c.view);
    if pages <= 1 && page == 1 {
        return String::new();
    }
    let mut out = format!("<nav class=\"pages\" aria-label=\"{}\">", c.t("pages"));
    if page > 1 {
        let prev = c.href(v.status, (page - 1).min(pages), v.product);
        out += &format!("<a href=\"{prev}\" rel=\"prev\">{}</a> ", c.t("previous"));
    }
    let (n, of) = (page.to_string(), pages.to_string());
    out += &c.tf("page_of", &[("page", &n), ("pages", &of)]);
    if page < pages {
        let next = c.href(v.status, page + 1, v.product);
        out += &format!(" <a href=\"{next}\" rel=\"next\">{}</a>", c.t("next"));
    }
    out + "</nav>"
}

/// How a policy field is edited.
enum Field {
    Check,
    /// A whole number in this range.
    Count(u32, u32),
    MinRating,
    AuthorDisplay,
}

/// The policy form: fieldsets of `ReviewPolicy` fields.
#[rustfmt::skip]
const POLICY: &[(&str, &[(&str, Field)])] = &[
    ("publishing", &[("auto_publish_min_rating", Field::MinRating), ("allow_unverified", Field::Check),
        ("hold_unverified", Field::Check), ("hold_links", Field::Check), ("hold_profanity", Field::Check),
        ("hold_spam", Field::Check)]),
    ("limits", &[("max_per_ip_per_hour", Field::Count(1, 1000)),
        ("max_per_customer_per_day", Field::Count(1, 1000)), ("link_valid_days", Field::Count(1, 365))]),
    ("privacy", &[("author_display", Field::AuthorDisplay), ("redact_deletes_photos", Field::Check)]),
];

fn policy_field(c: &Ctx, policy: &Value, name: &str, field: &Field) -> String {
    let value = &policy[name];
    let id = format!("policy-{name}");
    let attrs = format!("id=\"{id}\" data-p=\"{name}\" aria-describedby=\"{id}-hint\"");
    let label = c.t(&format!("policy.{name}"));
    let hint = format!(
        "<small class=\"muted\" id=\"{id}-hint\">{}</small>",
        c.t(&format!("policy.{name}.hint"))
    );
    let select = |options: Vec<(String, String)>, ty: &str| {
        let chosen = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let options: String = (options.into_iter())
            .map(|(v, text)| {
                let selected = if v == chosen { " selected" } else { "" };
                format!("<option value=\"{v}\"{selected}>{text}</option>")
            })
            .collect();
        format!(
            "<label for=\"{id}\">{label}</label><select {attrs} data-t=\"{ty}\">{options}</select>{hint}"
        )
    };
    let control = match field {
        Field::Check => {
            let checked = if value.as_bool() == Some(true) {
                " checked"
            } else {
                ""
            };
            return format!(
                "<div class=\"field check\"><input type=\"checkbox\" {attrs} data-t=\"bool\"{checked}><label for=\"{id}\">{label}</label>{hint}</div>"
            );
        }
        Field::Count(min, max) => format!(
            "<label for=\"{id}\">{label}</label><input type=\"number\" {attrs} data-t=\"int\" min=\"{min}\" max=\"{max}\" step=\"1\" inputmode=\"numeric\" required value=\"{}\">{hint}",
            value.as_u64().unwrap_or_default()
        ),
        Field::MinRating => select(
            (1..=6)
                .map(|n| {
                    let text = match n {
                        6 => c.t("policy.hold_all"),
                        n => c.tf("policy.min_rating", &[("rating", &n.to_string())]),
                    };
                    (n.to_string(), text)
                })
                .collect(),
            "int",
        ),
        Field::AuthorDisplay => select(
            ["first_name_initial", "first_name", "anonymous"]
                .map(|v| (v.to_owned(), c.t(&format!("policy.author.{v}"))))
                .into(),
            "str",
        ),
    };
    format!("<div class=\"field\">{control}</div>")
}

fn policy_form(c: &Ctx, policy: &ReviewPolicy) -> String {
    let policy = serde_json::to_value(policy).unwrap_or_default();
    let mut form = c.fill(
        "<section class=\"card\" aria-labelledby=\"policy-title\"><h2 id=\"policy-title\">{{policy}}</h2>\
<p class=\"muted\">{{policy_intro}}</p><form id=\"policy-form\" data-put=\"/api/reviews/policy\" novalidate>",
    );
    for (legend, fields) in POLICY {
        form += &format!(
            "<fieldset><legend>{}</legend>",
            c.t(&format!("policy.{legend}"))
        );
        for (name, field) in *fields {
            form += &policy_field(c, &policy, name, field);
        }
        form += "</fieldset>";
    }
    form + &c.fill(
        "<button type=\"submit\" class=\"primary\">{{save_policy}}</button></form>\
<p class=\"msg\" id=\"policy-msg\" role=\"status\" aria-live=\"polite\"></p></section>",
    )
}

/// Texts the script shows, by key under `reviews.admin.`.
const SCRIPT_TEXTS: &str = "saving saved invalid_number session_expired request_failed \
done.approve done.reject done.unpublish done.feature done.unfeature done.reply done.reply_removed \
state.pending state.published state.hidden state.rejected";

/// The script's data and the script itself.
fn script_config(c: &Ctx, token: &str) -> String {
    let texts: Map<String, Value> = (SCRIPT_TEXTS.split_whitespace())
        .map(|k| {
            (
                k.to_owned(),
                json!(t(c.lang, &format!("reviews.admin.{k}"))),
            )
        })
        .collect();
    let actions: Map<String, Value> = (crate::reviews::service::ACTION_STATES.iter())
        .map(|(action, states)| ((*action).to_owned(), json!(states)))
        .collect();
    let config = json!({"token": token, "texts": texts, "actions": actions});
    // `<` escaped so nothing in the data can end the script element early.
    let config = config.to_string().replace('<', "\\u003c");
    format!(
        "<script type=\"application/json\" id=\"reviews-config\">{config}</script><script>{SCRIPT}</script>"
    )
}

const STYLE: &str = ".tabs ul{display:flex;flex-wrap:wrap;gap:6px;list-style:none;padding:0;margin:12px 0}\
.tabs a{display:block;padding:6px 12px;border-radius:16px;background:#fff;color:inherit;text-decoration:none;border:1px solid #e1e3e5}\
.tabs a[aria-current]{background:#202223;color:#fff}.count{font-weight:600}.review{margin:12px 0}.review h3{margin:0 0 6px;font-size:1rem}\
.stars{color:#b98900;letter-spacing:1px}.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#e4e5e7;font-size:.85rem}\
.badge.ok{background:#aee9d1}.badge.star{background:#ffd79d}.body{white-space:pre-line}.holds{color:#8a6116}.holds ul{margin:4px 0;padding-left:20px}\
.photos{display:flex;flex-wrap:wrap;gap:8px;list-style:none;padding:0}.photos img{display:block;max-width:120px;height:auto;border-radius:6px}\
.reply{border-left:3px solid #008060;padding-left:10px;margin:8px 0}.reply p{white-space:pre-line;margin:4px 0}\
.actions{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}.actions form,details form{display:flex;flex-direction:column;gap:6px}\
details{border:1px solid #e1e3e5;border-radius:6px;padding:4px 10px}summary{cursor:pointer;padding:4px 0}[hidden]{display:none!important}\
label{font-size:.9rem}input,select,textarea{font:inherit;padding:5px;border:1px solid #8c9196;border-radius:6px}\
[aria-invalid]{border-color:#d72c0d}button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #8c9196;background:#fff;cursor:pointer}\
button.primary{background:#008060;color:#fff;border-color:#008060}button:disabled{opacity:.5}.msg{min-height:1.2em}.msg.bad{color:#d72c0d}\
fieldset{border:1px solid #e1e3e5;border-radius:8px;margin:12px 0;padding:10px}.field{display:flex;flex-direction:column;gap:4px;margin:8px 0}\
.field.check{display:grid;grid-template-columns:auto 1fr;gap:2px 8px}.field.check small{grid-column:2}.pages{margin:12px 0}";

const SCRIPT: &str = r#"(()=>{
const C=JSON.parse(document.getElementById('reviews-config').textContent),T=C.texts;
const $=(s,r=document)=>r.querySelector(s),$$=(s,r=document)=>[...r.querySelectorAll(s)];
const fmt=(k,a)=>Object.keys(a).reduce((s,n)=>s.split('{'+n+'}').join(a[n]),T[k]||k);
const say=(m,text,bad)=>{m.textContent=text||'';m.className='msg'+(bad?' bad':'');};
async function token(){if(window.shopify&&typeof window.shopify.idToken==='function'){try{return await window.shopify.idToken();}catch(e){}}return C.token;}
async function api(method,path,body){
const r=await fetch(path,{method,headers:{Authorization:'Bearer '+await token(),Accept:'application/json','Content-Type':'application/json'},body:JSON.stringify(body)});
let data=null;try{data=await r.json();}catch(e){}
if(r.status===401)throw new Error(T.session_expired);
if(!r.ok)throw new Error(data&&data.message?data.message:fmt('request_failed',{status:r.status}));
return data;}
async function run(btn,msg,work){btn.disabled=true;say(msg,T.saving);
try{say(msg,await work());}catch(e){say(msg,e.message,true);}finally{btn.disabled=false;}}
const offered=(a,s,f)=>(C.actions[a]||[]).includes(s)&&!(a==='feature'&&f)&&!(a==='unfeature'&&!f);
const bump=(s,d)=>$$('[data-count="'+s+'"]').forEach(e=>{e.textContent=Number(e.textContent)+d;});
function update(card,a,r,sent){const was=card.dataset.status;card.dataset.status=r.status;card.dataset.featured=String(r.featured);
if(was!==r.status){bump(was,-1);bump(r.status,1);}
$('[data-status-label]',card).textContent=T['state.'+r.status]||r.status;$('[data-featured-mark]',card).hidden=!r.featured;
const reply=$('[data-reply]',card);reply.hidden=!r.reply;$('[data-reply-text]',reply).textContent=r.reply||'';
const why=$('[data-reject-reason]',card);if(a==='reject')$('span',why).textContent=sent||'';why.hidden=r.status!=='rejected'||!$('span',why).textContent;
$$('.act',card).forEach(e=>{e.hidden=!offered(e.dataset.action,r.status,r.featured);});
$$('details',card).forEach(d=>{d.open=false;});}
function moderate(f,btn){const card=f.closest('.review'),a=f.closest('.act').dataset.action,m=$('.msg',card),field=$('[name]',f);
const sent=field?field.value.trim():undefined;
run(btn,m,async()=>{const r=await api('POST',f.dataset.post,field?{[field.name]:sent}:{});update(card,a,r,sent);m.focus();
return T[a==='reply'&&!r.reply?'done.reply_removed':'done.'+a];});}
function savePolicy(f,btn){const m=$('#policy-msg');
run(btn,m,async()=>{const p={};$$('[aria-invalid]',f).forEach(e=>e.removeAttribute('aria-invalid'));
$$('[data-p]',f).forEach(e=>{const v=e.value.trim();
if(e.dataset.t==='bool')p[e.dataset.p]=e.checked;
else if(e.dataset.t==='int'){if(!/^\d+$/.test(v)){e.setAttribute('aria-invalid','true');e.focus();throw new Error(T.invalid_number);}p[e.dataset.p]=Number(v);}
else p[e.dataset.p]=v;});
await api('PUT',f.dataset.put,p);return T.saved;});}
document.addEventListener('submit',ev=>{const f=ev.target,btn=ev.submitter||$('button',f);
if(f.dataset.put){ev.preventDefault();savePolicy(f,btn);}
else if(f.dataset.post){ev.preventDefault();moderate(f,btn);}});
})();"#;
