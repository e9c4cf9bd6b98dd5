//! `/app/loyalty`: where the merchant sets up the loyalty program, in their
//! language. The server renders the rules and rewards as they are; a small
//! inline script saves them and drives the rest through `/api/loyalty`.
use crate::app::AppState;
use crate::clock::{Clock, SystemClock};
use crate::i18n::{t, tf};
use crate::loyalty::launch::launch_texts;
use crate::loyalty::redemption::Rewards;
use crate::loyalty::rules::RewardKind;
use crate::loyalty::{Program, Programs};
use crate::money::Money;
use crate::shopify::session_token;
use crate::shopify::signature::{query_pairs, query_value};
use crate::web::ApiError;
use crate::web::html::escape;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::loyalty_rewards;
use serde_json::{Map, Value, json};

/// Lifetime of the page's own session token, for when App Bridge is not there.
const TOKEN_TTL_SECONDS: i64 = 600;

/// A session token for an `/app` page's script and links. The verifier checks
/// it against the wall clock, so it is minted on the wall clock too.
pub fn page_token(state: &AppState, shop: &CurrentShop) -> String {
    let now = SystemClock.now().timestamp();
    let key = &state.settings.api_key;
    session_token::sign(
        &shop.domain,
        key,
        state.api_secret(),
        now,
        TOKEN_TTL_SECONDS,
    )
}

/// An `/app/…` address that opens authenticated from a plain link: the token
/// rides in `id_token` as the admin passes it; `embedded`, `host` and `shop`
/// are kept for App Bridge.
pub fn admin_href(req: &HttpRequest, lang: &str, token: &str, path: &str) -> String {
    let pairs = query_pairs(req.query_string());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for key in ["embedded", "host", "shop"] {
        if let Some(value) = query_value(&pairs, key) {
            query.append_pair(key, value);
        }
    }
    query
        .append_pair("locale", lang)
        .append_pair("id_token", token);
    format!("{path}?{}", query.finish())
}

pub async fn show(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = super::pages::requested_locale(&req, &shop);
    let program = Programs::load(&state.db, &shop.record).await?;
    let rewards = Rewards::list(&state.db, shop.id, false).await?;
    let token = page_token(&state, &shop);
    let home = admin_href(&req, lang, &token, "/app");
    let c = Ctx {
        lang,
        currency: &program.currency,
    };
    let body = render(&c, &program, &rewards, &token, &home);
    Ok(super::pages::embedded_page(
        &shop,
        lang,
        &t(lang, "loyalty.admin.title"),
        &body,
    ))
}

struct Ctx<'a> {
    lang: &'static str,
    currency: &'a str,
}

impl Ctx<'_> {
    /// `loyalty.admin.{key}` with the shop's currency filled in, not escaped.
    fn raw(&self, key: &str) -> String {
        self.raw_with(key, &[])
    }

    /// The same with more values filled in.
    fn raw_with(&self, key: &str, values: &[(&str, &str)]) -> String {
        let key = format!("loyalty.admin.{key}");
        let mut all = vec![("currency", self.currency)];
        all.extend_from_slice(values);
        tf(self.lang, &key, &all)
    }

    /// The same, escaped for HTML.
    fn t(&self, key: &str) -> String {
        escape(&self.raw(key))
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

    /// `<option>`s for `values`, labelled by `{prefix}.{value}`.
    fn options(&self, prefix: &str, values: &[&'static str]) -> Vec<(&'static str, String)> {
        let label = |v: &str| self.t(&format!("{prefix}.{v}"));
        values.iter().map(|v| (*v, label(v))).collect()
    }
}

/// "expiry.reminder_days" as a JSON pointer.
fn pointer(path: &str) -> String {
    format!("/{}", path.replace('.', "/"))
}

/// The field at `path` ("expiry.reminder_days") as form text; null and missing are blank.
fn text_at(item: &Value, path: &str) -> String {
    match item.pointer(&pointer(path)) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// A reward or welcome value as the merchant reads it: money as a decimal amount.
fn value_text(kind: &str, value: i64, currency: &str) -> String {
    match RewardKind::parse(kind) {
        Some(RewardKind::FixedAmount) => Money::new(value, currency).to_decimal_string(),
        Some(RewardKind::FreeShipping) => String::new(),
        _ => value.to_string(),
    }
}

const KINDS: &[&str] = &["fixed_amount", "percentage", "free_shipping"];

/// A control bound to `data-{bind}="{name}"`; `ty` tells the script how to read it.
fn control(c: &Ctx, bind: &str, name: &str, ty: &str, value: &str, label: &str) -> String {
    let aria = match label {
        "" => String::new(),
        label => format!(" aria-label=\"{label}\""),
    };
    let (html_type, extra) = match ty {
        "kind" => {
            let extra = format!(" data-kind{aria}");
            return select(name, bind, &c.options("kind", KINDS), value, &extra);
        }
        "int" | "optint" => ("number", " step=\"1\""),
        "bool" if value == "true" => ("checkbox", " checked"),
        "bool" => ("checkbox", ""),
        "date" => ("date", ""),
        "value" => ("text", " inputmode=\"decimal\""),
        _ => ("text", ""),
    };
    format!(
        "<input type=\"{html_type}\" data-{bind}=\"{name}\" data-t=\"{ty}\" value=\"{}\"{aria}{extra}>",
        escape(value)
    )
}

/// A select bound like `control`; `options` are (value, escaped label).
fn select(name: &str, bind: &str, options: &[(&str, String)], chosen: &str, extra: &str) -> String {
    let mut out = format!("<select data-{bind}=\"{name}\" data-t=\"str\"{extra}>");
    for (value, label) in options {
        let selected = if *value == chosen { " selected" } else { "" };
        out += &format!("<option value=\"{value}\"{selected}>{label}</option>");
    }
    out + "</select>"
}

/// Columns of an editable table: (field, how the script reads it, label key).
type Cols = [(&'static str, &'static str, &'static str)];

const BOOST_COLS: &Cols = &[
    ("name", "str", "boost_name"),
    ("multiplier_percent", "int", "multiplier_percent"),
    ("starts_on", "date", "starts_on"),
    ("ends_on", "date", "ends_on"),
];
#[rustfmt::skip]
const TIER_COLS: &Cols = &[
    ("key", "str", "tier_key"),
    ("name", "str", "tier_name"),
    ("threshold", "int", "threshold"),
    ("points_multiplier_percent", "int", "multiplier_percent"),
    ("free_shipping_after_orders", "optint", "free_shipping_after"),
    ("early_access", "bool", "early_access"),
];
const REWARD_COLS: &Cols = &[
    ("name", "str", "reward_name"),
    ("kind", "kind", "reward_kind"),
    ("value", "value", "reward_value"),
    ("points_cost", "int", "points_cost"),
    ("active", "bool", "reward_active"),
];
const REMOVE: &str = "<button type=\"button\" data-remove>{{remove}}</button>";
const SAVE_REWARD: &str = "<button type=\"button\" data-save-reward>{{save}}</button>";

/// One editable row of `item`'s fields; a reward keeps its id for the update.
fn row(c: &Ctx, cols: &Cols, item: &Value, tail: &str) -> String {
    let id = item.get("id").map(|id| format!(" data-id=\"{id}\""));
    let mut tr = format!("<tr class=\"row\"{}>", id.unwrap_or_default());
    for (name, ty, label) in cols {
        let value = match (*ty, item.get(*name).and_then(Value::as_i64)) {
            ("value", Some(v)) => value_text(&text_at(item, "kind"), v, c.currency),
            _ => text_at(item, name),
        };
        tr += &format!(
            "<td>{}</td>",
            control(c, "k", name, ty, &value, &c.t(label))
        );
    }
    tr + &format!("<td>{}</td></tr>", c.fill(tail))
}

/// An editable table: the rows, a blank row as a template, and an add button.
fn table(c: &Ctx, id: &str, cols: &Cols, items: &[Value], blank: Value, tail: &str) -> String {
    let ths: String = (cols.iter())
        .map(|(_, _, label)| format!("<th>{}</th>", c.t(label)))
        .collect();
    let rows: String = items.iter().map(|item| row(c, cols, item, tail)).collect();
    format!(
        "<div class=\"scroll\"><table><thead><tr>{ths}<th></th></tr></thead><tbody id=\"{id}-rows\">{rows}</tbody></table></div>\
<template id=\"{id}-rows-tpl\">{}</template><button type=\"button\" data-add=\"{id}-rows\">{}</button>",
        row(c, cols, &blank, tail),
        c.t(&format!("add_{id}"))
    )
}

/// The program form: fieldsets of rules fields, by path.
#[rustfmt::skip]
const FORM: &[(&str, &[&str])] = &[
    ("earning", &["points_per_currency_unit", "signup_points", "review_points",
        "photo_review_points", "share_points", "birthday_points"]),
    ("refunds", &["negative_balance"]),
    ("expiry", &["expiry.inactivity_months", "expiry.reminder_days"]),
    ("boosts", &["boosts"]),
    ("tiers", &["tiers.basis", "tiers.window_days", "tiers.tiers"]),
    ("referral", &["referral.referrer_points", "referral.welcome_kind",
        "referral.welcome_value", "referral.return_window_days"]),
    ("launch_section", &["launch.bonus_points", "launch.early_member_days"]),
];

/// One labelled field of the program form; the label is the path's last part.
fn field(c: &Ctx, rules: &Value, path: &str) -> String {
    let value = text_at(rules, path);
    let control = match path {
        "negative_balance" => {
            let policies = ["floor_with_debt", "forgive", "allow_negative"];
            select(path, "f", &c.options("negative", &policies), &value, "")
        }
        "tiers.basis" => select(
            path,
            "f",
            &c.options("basis", &["spend", "orders"]),
            &value,
            "",
        ),
        "referral.welcome_kind" => control(c, "f", path, "kind", &value, ""),
        "referral.welcome_value" => {
            let kind = text_at(rules, "referral.welcome_kind");
            let value = value_text(&kind, value.parse().unwrap_or(0), c.currency);
            control(c, "f", path, "value", &value, "")
        }
        _ => control(c, "f", path, "int", &value, ""),
    };
    let label = c.t(path.rsplit('.').next().unwrap_or(path));
    format!("<label>{label}{control}</label>")
}

fn program_form(c: &Ctx, p: &Program) -> String {
    let rules = serde_json::to_value(&p.rules).unwrap_or_default();
    let list = |path: &str| match rules.pointer(&pointer(path)) {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    let enabled = control(c, "f", "enabled", "bool", &p.enabled.to_string(), "");
    let mut form = format!(
        "<form id=\"program-form\" novalidate><label class=\"check\">{enabled}{}</label>",
        c.t("enabled")
    );
    for (legend, paths) in FORM {
        let (mut grid, mut tables) = (String::new(), String::new());
        for path in *paths {
            match *path {
                "boosts" => {
                    let blank = json!({"multiplier_percent": 200});
                    tables += &table(c, "boost", BOOST_COLS, &list(path), blank, REMOVE);
                }
                "tiers.tiers" => {
                    let blank = json!({"points_multiplier_percent": 100});
                    tables += &table(c, "tier", TIER_COLS, &list(path), blank, REMOVE);
                }
                _ => grid += &field(c, &rules, path),
            }
        }
        form += &format!(
            "<fieldset><legend>{}</legend><div class=\"grid\">{grid}</div>{tables}</fieldset>",
            c.t(legend)
        );
    }
    form + &c.fill("<button type=\"submit\" class=\"primary\">{{save}}</button></form>")
}

fn section(c: &Ctx, id: &str, title: &str, inner: &str) -> String {
    format!(
        "<section class=\"card\" id=\"{id}\"><h2>{}</h2>{inner}<p class=\"msg\" id=\"{id}-msg\" role=\"status\" aria-live=\"polite\"></p></section>",
        c.t(title)
    )
}

fn status_text(c: &Ctx, program: &Program) -> String {
    let on = c.raw(if program.enabled { "active" } else { "paused" });
    let launch = match program.launched_at {
        Some(at) => c.raw_with(
            "launched_on",
            &[("date", &at.format("%Y-%m-%d").to_string())],
        ),
        None => c.raw("not_launched"),
    };
    escape(&format!("{on} · {launch}"))
}

const SUMMARY: &str = "<div class=\"cards\"><div class=\"card\"><span class=\"muted\">{{members}}</span><b id=\"sum-members\">…</b></div>\
<div class=\"card\"><span class=\"muted\">{{points_outstanding}}</span><b id=\"sum-points\">…</b></div>\
<div class=\"card\"><span class=\"muted\">{{status}}</span><b id=\"sum-status\">";
const BY_TIER: &str = "</b></div></div><table><thead><tr><th>{{tier}}</th><th>{{members}}</th></tr></thead><tbody id=\"by-tier\">";
const CUSTOMER: &str = "<form id=\"customer-form\" class=\"inline\"><label>{{customer_id}}<input id=\"customer-id\" inputmode=\"numeric\" autocomplete=\"off\" required></label>\
<button type=\"submit\">{{look_up}}</button></form><div id=\"customer-view\" hidden><dl id=\"customer-facts\"></dl><h3>{{recent_entries}}</h3>\
<div class=\"scroll\"><table><thead><tr><th>{{date}}</th><th>{{points}}</th><th>{{reason}}</th></tr></thead><tbody id=\"entries\"></tbody></table></div>\
<h3>{{adjust}}</h3><form id=\"adjust-form\" class=\"inline\"><label>{{adjust_points}}<input id=\"adjust-points\" type=\"number\" step=\"1\" required></label>\
<label>{{adjust_reason}}<input id=\"adjust-reason\" maxlength=\"500\" required></label><button type=\"submit\">{{apply}}</button></form></div>";
const REFERRALS: &str = "<p class=\"muted\" id=\"ref-total\"></p><div class=\"scroll\"><table><thead><tr><th>{{date}}</th><th>{{code}}</th>\
<th>{{referrer}}</th><th>{{referee}}</th><th>{{status}}</th></tr></thead><tbody id=\"referral-rows\"></tbody></table></div>";

/// Texts the script shows, by key under `loyalty.admin.`.
const SCRIPT_TEXTS: &str = "active paused launched_on not_launched saving saved loading session_expired \
request_failed invalid_number invalid_date reason_required launch_confirm launch_report balance lifetime debt tier \
not_member progress top_tier expires adjusted already_applied referrals_total no_referrals no_entries \
reason.order reason.signup reason.review reason.photo_review reason.share reason.birthday reason.referral \
reason.launch_bonus reason.manual reason.clawback reason.cancel_reversal reason.redemption \
reason.redemption_refund reason.expiry reason.debt_settlement referral_status.claimed \
referral_status.qualified referral_status.rewarded referral_status.refused";

fn render(
    c: &Ctx,
    p: &Program,
    rewards: &[loyalty_rewards::Model],
    token: &str,
    home: &str,
) -> String {
    let mut b = format!("<style>{STYLE}</style><p><a href=\"{}\">", escape(home));
    b += &c.fill("{{back}}</a></p><h1>{{title}}</h1><p class=\"muted\">{{subtitle}}</p>");
    let by_tier: String = (p.rules.tiers.tiers.iter())
        .map(|t| format!("<tr><td>{}</td><td>…</td></tr>", escape(&t.name)))
        .collect();
    let summary = c.fill(SUMMARY) + &status_text(c, p) + &c.fill(BY_TIER) + &by_tier;
    b += &section(c, "summary", "summary", &(summary + "</tbody></table>"));
    b += &section(c, "program", "settings", &program_form(c, p));
    let mut list = match rewards.is_empty() {
        true => c.fill("<p class=\"muted\">{{no_rewards}}</p>"),
        false => String::new(),
    };
    let items: Vec<Value> = (rewards.iter())
        .map(|r| {
            json!({"id": r.id, "name": r.name, "kind": r.kind, "value": r.value,
            "points_cost": r.points_cost, "active": r.active})
        })
        .collect();
    let blank = json!({"kind": "percentage", "active": true});
    list += &table(c, "reward", REWARD_COLS, &items, blank, SAVE_REWARD);
    b += &section(c, "rewards", "rewards", &list);
    let texts = launch_texts(p.rules.launch.bonus_points);
    let mut launch = c.fill("<p>{{launch_help}}</p><h3>{{launch_texts}}</h3><dl>");
    for key in ["email_subject", "email_body", "banner"] {
        let text = escape(texts[c.lang][key].as_str().unwrap_or_default());
        launch += &format!("<dt>{}</dt><dd id=\"lt-{key}\">{text}</dd>", c.t(key));
    }
    launch += &c.fill(
        "</dl><button type=\"button\" class=\"primary\" id=\"launch-button\">{{launch_button}}</button>",
    );
    b += &section(c, "launch", "launch_title", &launch);
    b += &section(c, "customer", "customer", &c.fill(CUSTOMER));
    b += &section(c, "referrals", "referrals", &c.fill(REFERRALS));
    let texts: Map<String, Value> = (SCRIPT_TEXTS.split_whitespace())
        .map(|k| (k.to_owned(), json!(c.raw(k))))
        .collect();
    let config = json!({
        "lang": c.lang, "token": token, "minor_digits": p.minor_digits(), "rules": p.rules,
        "texts": texts,
    });
    // `<` escaped so nothing in the data can end the script element early.
    let config = config.to_string().replace('<', "\\u003c");
    b + &format!(
        "<script type=\"application/json\" id=\"loyalty-config\">{config}</script><script>{SCRIPT}</script>"
    )
}

const STYLE: &str = "section.card{margin:16px 0}fieldset{border:1px solid #e1e3e5;border-radius:8px;margin:12px 0;padding:10px}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px}label{display:flex;flex-direction:column;gap:4px;font-size:.9rem}\
label.check{flex-direction:row;align-items:center}input,select{font:inherit;padding:5px;border:1px solid #8c9196;border-radius:6px;min-width:0}\
td input,td select{width:100%}input[aria-invalid]{border-color:#d72c0d}button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #8c9196;background:#fff;cursor:pointer;margin-top:8px}\
button.primary{background:#008060;color:#fff;border-color:#008060}button:disabled{opacity:.5}.msg{min-height:1.2em}.msg.bad{color:#d72c0d}\
.scroll{overflow-x:auto}form.inline{display:flex;gap:10px;align-items:flex-end;flex-wrap:wrap}dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dd{margin:0}";

const SCRIPT: &str = r#"(()=>{
const C=JSON.parse(document.getElementById('loyalty-config').textContent),T=C.texts,D=C.minor_digits;
const $=(s,r=document)=>r.querySelector(s),$$=(s,r=document)=>[...r.querySelectorAll(s)];
const fmt=(k,a={})=>Object.keys(a).reduce((s,n)=>s.split('{'+n+'}').join(a[n]),T[k]||k);
const num=n=>Number(n).toLocaleString(C.lang),day=s=>s?String(s).slice(0,10):'';
const el=(tag,text)=>{const e=document.createElement(tag);if(text!=null)e.textContent=String(text);return e;};
const tr=vals=>{const r=el('tr');vals.forEach(v=>r.append(el('td',v)));return r;};
const say=(id,text,bad)=>{const m=$('#'+id+'-msg');m.textContent=text||'';m.className='msg'+(bad?' bad':'');};
const uuid=()=>crypto.randomUUID?crypto.randomUUID():([1e7]+-1e3+-4e3+-8e3+-1e11).replace(/[018]/g,c=>(c^crypto.getRandomValues(new Uint8Array(1))[0]&15>>c/4).toString(16));
async function token(){if(window.shopify&&typeof window.shopify.idToken==='function'){try{return await window.shopify.idToken();}catch(e){}}return C.token;}
async function api(method,path,body,extra){
const h=Object.assign({Authorization:'Bearer '+await token(),Accept:'application/json'},extra||{});
if(body!==undefined)h['Content-Type']='application/json';
const r=await fetch('/api'+path,{method,headers:h,body:body===undefined?undefined:JSON.stringify(body)});
let data=null;try{data=await r.json();}catch(e){}
if(r.status===401)throw new Error(T.session_expired);
if(!r.ok)throw new Error(data&&data.message?data.message:fmt('request_failed',{status:r.status}));
return data;}
async function act(id,btn,work,pending){if(btn)btn.disabled=true;say(id,pending||T.saving);
try{say(id,await work());}catch(e){say(id,e.message,true);}finally{if(btn)btn.disabled=false;}}
function invalid(e,key){e.setAttribute('aria-invalid','true');e.focus();return new Error(T[key||'invalid_number']);}
function read(e){const t=e.dataset.t,v=e.value.trim();
if(t==='bool')return e.checked;
if(t==='optint'&&v==='')return null;
if(t==='date'){if(!/^\d{4}-\d{2}-\d{2}$/.test(v))throw invalid(e,'invalid_date');return v;}
if(t==='int'||t==='optint'){if(!/^-?\d+$/.test(v))throw invalid(e);return Number(v);}
if(t==='value'){const k=e.closest('.row,fieldset').querySelector('[data-kind]').value;
if(k==='free_shipping')return 0;
if(k==='fixed_amount'){if(!/^\d+([.,]\d+)?$/.test(v))throw invalid(e);return Math.round(Number(v.replace(',','.'))*10**D);}
if(!/^\d+$/.test(v))throw invalid(e);return Number(v);}
return v;}
const rowObj=r=>{const o={};$$('[data-k]',r).forEach(e=>{o[e.dataset.k]=read(e);});return o;};
function setPath(o,p,v){const ks=p.split('.'),last=ks.pop();ks.forEach(k=>{o=o[k]=o[k]||{};});o[last]=v;}
function collect(){const rules=JSON.parse(JSON.stringify(C.rules));let enabled=true;
$$('[aria-invalid]').forEach(e=>e.removeAttribute('aria-invalid'));
$$('#program-form [data-f]').forEach(e=>{const v=read(e);if(e.dataset.f==='enabled')enabled=v;else setPath(rules,e.dataset.f,v);});
rules.boosts=$$('#boost-rows .row').map(rowObj);rules.tiers.tiers=$$('#tier-rows .row').map(rowObj);
return {enabled,rules};}
function status(s){return (s.enabled?T.active:T.paused)+' · '+(s.launched_at?fmt('launched_on',{date:day(s.launched_at)}):T.not_launched);}
async function loadSummary(){try{const s=await api('GET','/loyalty/summary');
$('#sum-members').textContent=num(s.members);$('#sum-points').textContent=num(s.points_outstanding);$('#sum-status').textContent=status(s);
$('#by-tier').replaceChildren(...s.by_tier.map(t=>tr([t.name,num(t.members)])));}catch(e){say('summary',e.message,true);}}
async function loadReferrals(){try{const r=await api('GET','/loyalty/referrals');
$('#ref-total').textContent=r.referrals.length?fmt('referrals_total',{total:num(r.total)}):T.no_referrals;
$('#referral-rows').replaceChildren(...r.referrals.slice(0,50).map(x=>tr([day(x.created_at),x.code,'#'+x.referrer_customer_id,x.referee_customer_id?'#'+x.referee_customer_id:'',
(T['referral_status.'+x.status]||x.status)+(x.refusal_reason?' ('+x.refusal_reason+')':'')])));}catch(e){say('referrals',e.message,true);}}
$('#program-form').addEventListener('submit',ev=>{ev.preventDefault();act('program',ev.submitter,async()=>{
const p=await api('PUT','/loyalty/program',collect());C.rules=p.rules;
const lt=(p.launch_texts||{})[C.lang]||{};['email_subject','email_body','banner'].forEach(k=>{$('#lt-'+k).textContent=lt[k]||'';});
loadSummary();return T.saved;});});
async function saveReward(row,btn){act('rewards',btn,async()=>{$$('[aria-invalid]').forEach(e=>e.removeAttribute('aria-invalid'));
const body=rowObj(row),id=row.dataset.id,known=new Set($$('#reward-rows .row').map(r=>r.dataset.id));
const res=await api(id?'PUT':'POST','/loyalty/rewards'+(id?'/'+id:''),body);
if(!id){const added=res.rewards.find(r=>!known.has(String(r.id)));if(added)row.dataset.id=added.id;}
return T.saved;});}
document.addEventListener('click',ev=>{const b=ev.target.closest('button');if(!b)return;
if(b.dataset.add){$('#'+b.dataset.add).append($('#'+b.dataset.add+'-tpl').content.cloneNode(true));}
else if(b.hasAttribute('data-remove')){b.closest('.row').remove();}
else if(b.hasAttribute('data-save-reward')){saveReward(b.closest('.row'),b);}});
function syncKind(s){const v=s.closest('.row,fieldset').querySelector('[data-t=value]');v.disabled=s.value==='free_shipping';if(v.disabled)v.value='';}
document.addEventListener('change',ev=>{if(ev.target.hasAttribute('data-kind'))syncKind(ev.target);});
$$('[data-kind]').forEach(syncKind);
const launchBtn=$('#launch-button'),launchLabel=launchBtn.textContent;
launchBtn.addEventListener('click',()=>{if(!launchBtn.dataset.armed){launchBtn.dataset.armed='1';launchBtn.textContent=T.launch_confirm;return;}
act('launch',launchBtn,async()=>{delete launchBtn.dataset.armed;launchBtn.textContent=launchLabel;
const r=await api('POST','/loyalty/launch');loadSummary();
return fmt('launch_report',{date:day(r.launched_at),customers:num(r.customers),bonuses:num(r.bonuses_granted)});});});
let current=null;
function showCustomer(id,v){current=id;$('#customer-view').hidden=false;const dl=$('#customer-facts');dl.replaceChildren();
const fact=(k,val)=>dl.append(el('dt',T[k]),el('dd',val));
fact('balance',num(v.points_balance));fact('lifetime',num(v.lifetime_points));if(v.points_debt)fact('debt',num(v.points_debt));
fact('tier',(v.tier_name||v.tier)+(v.member?'':' — '+T.not_member));
if(v.progress)dl.append(el('dt',''),el('dd',v.progress.next_tier_name?fmt('progress',{percent:v.progress.percent,tier:v.progress.next_tier_name}):T.top_tier));
if(v.points_expire_at)fact('expires',day(v.points_expire_at));
const rows=v.recent_entries.map(e=>tr([day(e.at),num(e.points),(T['reason.'+e.reason]||e.reason)+(e.note?' — '+e.note:'')]));
$('#entries').replaceChildren(...(rows.length?rows:[tr([T.no_entries,'',''])]));}
$('#customer-form').addEventListener('submit',ev=>{ev.preventDefault();const id=$('#customer-id').value.trim();
if(!/^\d+$/.test(id)){say('customer',T.invalid_number,true);return;}
act('customer',ev.submitter,async()=>{showCustomer(id,await api('GET','/customers/'+id+'/loyalty'));return '';},T.loading);});
$('#adjust-form').addEventListener('submit',ev=>{ev.preventDefault();const f=ev.target,p=$('#adjust-points').value.trim(),reason=$('#adjust-reason').value.trim();
if(!/^-?\d+$/.test(p)||Number(p)===0){say('customer',T.invalid_number,true);return;}
if(!reason){say('customer',T.reason_required,true);return;}
act('customer',ev.submitter,async()=>{const r=await api('POST','/customers/'+current+'/loyalty/adjustments',{points:Number(p),reason},{'Idempotency-Key':uuid()});
showCustomer(current,r.loyalty);f.reset();return r.applied?fmt('adjusted',{points:num(p)}):T.already_applied;});});
loadSummary();loadReferrals();
})();"#;
