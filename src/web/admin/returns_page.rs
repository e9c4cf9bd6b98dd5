//! `/app/returns`: the merchant's returns queue in their language — returns
//! by status, each with its lines, the shopper's photos and comment, its
//! history, the moves it allows (approve, reject with a reason, issue the
//! label, shipped, received) and settlement (refund by line and quantity,
//! store credit or exchange), a make-it-right case from it, and the return
//! policy. A small inline script drives `/api/returns`.
use super::loyalty_page::{admin_href, page_token};
use super::pages::{embedded_page, requested_locale, script_config};
use crate::app::AppState;
use crate::i18n::t;
use crate::money::minor_unit_digits;
use crate::returns::rules::{REASONS, STATUSES};
use crate::web::ApiError;
use crate::web::html::escape;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};

const TEXTS: &str = "saving saved loading session_expired request_failed invalid_number all none \
number order customer status outcome value opened items photos history comment tracking \
approve reject issue_label ship receive settle open_case case_opened reject_reason \
settle_help quantity last_error reference no_returns \
f.window_days f.store_credit_bonus_percent f.return_shipping f.credit_form f.points_per_unit \
f.allow_refund f.allow_store_credit f.allow_exchange f.reasons f.address f.final_sale_product_tags f.non_returnable_product_tags \
shipping.customer shipping.shop_if_faulty shipping.shop credit.code credit.points \
address.name address.line1 address.line2 address.city address.zip address.country";

pub async fn show(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let token = page_token(&state, &shop);
    let home = admin_href(&req, lang, &token, "/app");
    let tt = |key: &str| escape(&t(lang, &format!("returns.admin.{key}")));
    let named = |prefix: &str, keys: &[&str]| -> Value {
        Value::Object(
            keys.iter()
                .map(|k| ((*k).to_owned(), json!(t(lang, &format!("{prefix}{k}")))))
                .collect::<Map<_, _>>(),
        )
    };
    let extra = json!({
        "currency": shop.currency,
        "minor_digits": minor_unit_digits(&shop.currency),
        "statuses": STATUSES,
        "status_names": named("returns.status.", &STATUSES),
        "reason_names": named("returns.reason.", &REASONS),
        "outcome_names": named("returns.outcome.", &["refund", "store_credit", "exchange"]),
    });
    let body = format!(
        "<style>{STYLE}</style><p><a href=\"{home}\">{back}</a></p><h1>{title}</h1><p class=\"muted\">{subtitle}</p>\
<div class=\"inline\" id=\"tabs\"></div>\
<section class=\"card\"><div class=\"scroll\"><table><thead><tr><th>{number}</th><th>{opened}</th><th>{customer}</th><th>{outcome}</th><th>{value}</th><th>{status}</th></tr></thead>\
<tbody id=\"returns\"><tr><td colspan=\"6\">{loading}</td></tr></tbody></table></div></section>\
<section class=\"card\" id=\"detail\" hidden></section>\
<section class=\"card\"><h2>{policy}</h2><form id=\"policy-form\" novalidate><div id=\"policy\"></div>\
<button type=\"submit\" class=\"primary\">{save}</button></form><p class=\"msg\" id=\"policy-msg\" role=\"status\" aria-live=\"polite\"></p></section>\
<script type=\"application/json\" id=\"returns-config\">{config}</script><script>{SCRIPT}</script>",
        home = escape(&home),
        back = tt("back"),
        title = tt("title"),
        subtitle = tt("subtitle"),
        number = tt("number"),
        opened = tt("opened"),
        customer = tt("customer"),
        outcome = tt("outcome"),
        value = tt("value"),
        status = tt("status"),
        loading = tt("loading"),
        policy = tt("policy"),
        save = tt("save"),
        config = script_config(lang, &token, "returns.admin.", TEXTS, extra),
    );
    Ok(embedded_page(
        &shop,
        lang,
        &t(lang, "returns.admin.title"),
        &body,
    ))
}

const STYLE: &str = "section.card{margin:16px 0}.inline{display:flex;gap:8px;flex-wrap:wrap;align-items:flex-end}\
label{display:flex;flex-direction:column;gap:4px;font-size:.9rem}label.check{flex-direction:row;align-items:center;gap:6px}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px;margin:8px 0}\
input,select,textarea{font:inherit;padding:5px;border:1px solid #8c9196;border-radius:6px;min-width:0}\
button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #8c9196;background:#fff;cursor:pointer;margin:8px 6px 0 0}\
button.primary{background:#008060;color:#fff;border-color:#008060}button:disabled{opacity:.5}.msg{min-height:1.2em}.msg.bad,.bad{color:#d72c0d}\
.scroll{overflow-x:auto}tr.pick{cursor:pointer}tr.pick:hover{background:#f6f6f7}.photos img{width:96px;height:96px;object-fit:cover;border-radius:6px;margin:4px}";

const SCRIPT: &str = r#"(()=>{
const C=JSON.parse(document.getElementById('returns-config').textContent),T=C.texts;
const $=(s,r=document)=>r.querySelector(s),$$=(s,r=document)=>[...r.querySelectorAll(s)];
const el=(tag,text,cls)=>{const e=document.createElement(tag);if(text!=null)e.textContent=String(text);if(cls)e.className=cls;return e;};
const when=s=>s?new Date(s).toLocaleString(C.lang,{dateStyle:'short',timeStyle:'short'}):'';
const money=v=>(v/10**C.minor_digits).toFixed(C.minor_digits)+' '+C.currency;
async function token(){if(window.shopify&&typeof window.shopify.idToken==='function'){try{return await window.shopify.idToken();}catch(e){}}return C.token;}
async function api(method,path,body){const h={Authorization:'Bearer '+await token(),Accept:'application/json'};
if(body!==undefined)h['Content-Type']='application/json';
const r=await fetch('/api'+path,{method,headers:h,body:body===undefined?undefined:JSON.stringify(body)});
let d=null;try{d=await r.json();}catch(e){}if(r.status===401)throw new Error(T.session_expired);
if(!r.ok)throw new Error(d&&d.message?d.message:T.request_failed);return d;}
const say=(id,t,bad)=>{const m=$('#'+id+'-msg');if(!m)return;m.textContent=t||'';m.className='msg'+(bad?' bad':'');};
let filter='';
async function list(){const r=await api('GET','/returns'+(filter?'?status='+filter:''));
$('#tabs').replaceChildren(...[''].concat(C.statuses).map(s=>{const n=s?(r.counts[s]||0):Object.values(r.counts).reduce((a,b)=>a+b,0);
const b=el('button',(s?C.status_names[s]:T.all)+' ('+n+')');b.type='button';b.disabled=s===filter;b.onclick=()=>{filter=s;list();};return b;}));
const rows=r.returns.map(x=>{const tr=el('tr',null,'pick');tr.tabIndex=0;
[x.number,when(x.created_at),x.email||'',C.outcome_names[x.outcome]||x.outcome,money(x.outcome==='store_credit'?x.credit_minor:x.value_minor),C.status_names[x.status]||x.status].forEach(v=>tr.append(el('td',v)));
if(x.last_error)tr.lastChild.append(' ⚠');tr.onclick=()=>open(x.id);tr.onkeydown=e=>{if(e.key==='Enter')open(x.id);};return tr;});
$('#returns').replaceChildren(...(rows.length?rows:[(()=>{const tr=el('tr'),td=el('td',T.no_returns);td.colSpan=6;tr.append(td);return tr;})()]));}
async function act(btn,work){if(btn)btn.disabled=true;say('ret',T.saving);try{render(await work());say('ret',T.saved);list();}catch(e){say('ret',e.message,true);}finally{if(btn)btn.disabled=false;}}
function render(d){const box=$('#detail');box.hidden=false;box.replaceChildren();
box.append(el('h2',d.number+' · '+(C.status_names[d.status]||d.status)));
box.append(el('p',[C.reason_names[d.reason]||d.reason,C.outcome_names[d.outcome]||d.outcome,d.exchange_variant||'',d.email||''].filter(Boolean).join(' · '),'muted'));
if(d.comment)box.append(el('p',T.comment+': '+d.comment));if(d.tracking)box.append(el('p',T.tracking+': '+d.tracking));
if(d.last_error)box.append(el('p',T.last_error+': '+d.last_error,'bad'));if(d.settled_reference)box.append(el('p',T.reference+': '+d.settled_reference));
const t=el('table');d.items.forEach(i=>{const tr=el('tr');tr.append(el('td',i.title+(i.variant_title?' — '+i.variant_title:'')),el('td','× '+i.quantity),el('td',money(i.value_minor)));
if(d.settle){const td=el('td'),q=el('input');q.type='number';q.min='0';q.max=String(i.quantity);q.value=String(i.quantity);q.dataset.item=i.id;q.setAttribute('aria-label',T.quantity);td.append(q);tr.append(td);}t.append(tr);});
box.append(el('h3',T.items),t);
if(d.photos.length){const p=el('div',null,'photos');d.photos.forEach(ph=>{const a=el('a');a.href=ph.display;a.target='_blank';const img=el('img');img.src=ph.thumb;img.alt='';a.append(img);p.append(a);});box.append(el('h3',T.photos),p);}
const moves=el('div',null,'inline');d.actions.forEach(a=>{const b=el('button',T[a]);b.type='button';
b.onclick=()=>{let body={};if(a==='reject'){const r=prompt(T.reject_reason);if(!r)return;body.reason=r;}act(b,()=>api('POST','/returns/'+d.id+'/'+a,body));};moves.append(b);});
if(d.settle){const b=el('button',T.settle,'primary');b.type='button';b.onclick=()=>{const lines=$$('[data-item]',box).map(q=>({item_id:Number(q.dataset.item),quantity:Number(q.value)}));
act(b,()=>api('POST','/returns/'+d.id+'/settle',{lines}));};moves.append(b);box.append(el('p',T.settle_help,'muted'));}
const c=el('button',d.case_id?T.case_opened+' #'+d.case_id:T.open_case);c.type='button';c.disabled=!!d.case_id;c.onclick=()=>act(c,async()=>{await api('POST','/returns/'+d.id+'/case');return api('GET','/returns/'+d.id);});moves.append(c);
box.append(moves);const msg=el('p',null,'msg');msg.id='ret-msg';msg.setAttribute('role','status');box.append(msg,el('h3',T.history));
const ol=el('ol');d.history.forEach(e=>ol.append(el('li',when(e.at)+' · '+(C.status_names[e.to]||e.to)+' · '+e.actor+(e.note?' · '+e.note:''))));box.append(ol);box.scrollIntoView({behavior:'smooth'});}
async function open(id){try{render(await api('GET','/returns/'+id));}catch(e){alert(e.message);}}
let policy=null,reasons=[];
function field(k,type,value,options){const l=el('label',null,type==='bool'?'check':'');let i;
if(type==='select'){i=el('select');options.forEach(([v,t])=>{const o=el('option',t);o.value=v;i.append(o);});i.value=value;}
else{i=el('input');if(type==='bool'){i.type='checkbox';i.checked=!!value;}else{i.type=type==='int'?'number':'text';i.value=value==null?'':value;}}
i.dataset.k=k;i.dataset.t=type;if(type==='bool')l.append(i,T['f.'+k]||T[k]);else l.append(T['f.'+k]||T[k],i);return l;}
async function loadPolicy(){const r=await api('GET','/returns/policy');policy=r.policy;reasons=r.reasons;const box=$('#policy');box.replaceChildren();
const g=el('div',null,'grid');g.append(field('window_days','int',policy.window_days),field('store_credit_bonus_percent','int',policy.store_credit_bonus_percent),
field('return_shipping','select',policy.return_shipping,[['customer',T['shipping.customer']],['shop_if_faulty',T['shipping.shop_if_faulty']],['shop',T['shipping.shop']]]),
field('credit_form','select',policy.credit_form,[['code',T['credit.code']],['points',T['credit.points']]]),field('points_per_unit','int',policy.points_per_unit),
field('final_sale_product_tags','tags',policy.final_sale_product_tags.join(', ')),field('non_returnable_product_tags','tags',policy.non_returnable_product_tags.join(', ')),
field('allow_refund','bool',policy.allow_refund),field('allow_store_credit','bool',policy.allow_store_credit),field('allow_exchange','bool',policy.allow_exchange));box.append(g);
const rs=el('div',null,'grid');rs.append(el('strong',T['f.reasons']));reasons.forEach(r=>{const l=el('label',null,'check'),i=el('input');i.type='checkbox';i.dataset.reason=r;i.checked=policy.reasons.includes(r);l.append(i,C.reason_names[r]||r);rs.append(l);});box.append(rs);
const ad=el('div',null,'grid');ad.append(el('strong',T['f.address']));['name','line1','line2','city','zip','country'].forEach(k=>{const l=el('label',T['address.'+k]),i=el('input');i.dataset.address=k;i.value=policy.return_address[k]||'';l.append(i);ad.append(l);});box.append(ad);}
$('#policy-form').onsubmit=async e=>{e.preventDefault();say('policy',T.saving);try{const p=JSON.parse(JSON.stringify(policy));
$$('#policy [data-k]').forEach(i=>{const t=i.dataset.t,v=i.value.trim();if(t==='bool')p[i.dataset.k]=i.checked;else if(t==='int'){if(!/^\d+$/.test(v))throw new Error(T.invalid_number);p[i.dataset.k]=Number(v);}
else if(t==='tags')p[i.dataset.k]=v.split(',').map(x=>x.trim()).filter(Boolean);else p[i.dataset.k]=v;});
p.reasons=$$('#policy [data-reason]').filter(i=>i.checked).map(i=>i.dataset.reason);$$('#policy [data-address]').forEach(i=>{p.return_address[i.dataset.address]=i.value.trim();});
policy=(await api('PUT','/returns/policy',p)).policy;say('policy',T.saved);}catch(err){say('policy',err.message,true);}};
list().catch(e=>$('#returns').replaceChildren(el('tr',e.message)));loadPolicy().catch(e=>say('policy',e.message,true));
})();"#;
