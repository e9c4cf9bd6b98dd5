//! `/app/support`: make it right, in the merchant's language — the cases
//! with their timers and breach flags (most urgent first), each case's
//! history with reply, severity, one-click remedies, resolve and reopen, and
//! the shop's standards and remedy menu. A small inline script drives
//! `/api/support`.
use super::loyalty_page::{admin_href, page_token};
use super::pages::{embedded_page, requested_locale, script_config};
use crate::app::AppState;
use crate::i18n::t;
use crate::money::minor_unit_digits;
use crate::web::ApiError;
use crate::web::html::escape;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

const TEXTS: &str = "saving saved loading session_expired request_failed invalid_number \
st.open st.answered st.resolved breached_reply breached_resolution on_time overdue left met none \
case opened customer category status first_reply resolution view no_cases all \
reply send resolve reopen severity minor major suggested remedies given failed pending \
remedy.points remedy.store_credit remedy.replacement remedy.partial_refund \
history event.opened event.customer_message event.reply event.remedy event.severity event.resolved event.reopened \
f.first_reply_hours f.resolution_hours f.show_on_storefront f.minor_points f.minor_credit_minor \
f.major_replacement f.major_refund_percent \
category.damaged category.wrong_item category.missing category.late category.other \
source.checkin source.contact source.return source.merchant hours minutes";

pub async fn show(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let token = page_token(&state, &shop);
    let home = admin_href(&req, lang, &token, "/app");
    let tt = |key: &str| escape(&t(lang, &format!("support.admin.{key}")));
    let body = format!(
        "<style>{STYLE}</style><p><a href=\"{home}\">{back}</a></p><h1>{title}</h1><p class=\"muted\">{subtitle}</p>\
<div class=\"cards\" id=\"counts\"></div>\
<section class=\"card\"><h2>{cases}</h2><div class=\"inline\" id=\"filters\"></div>\
<div class=\"scroll\"><table><thead><tr><th>#</th><th>{opened}</th><th>{customer}</th><th>{category}</th><th>{status}</th><th>{first_reply}</th><th>{resolution}</th></tr></thead>\
<tbody id=\"cases\"><tr><td colspan=\"7\">{loading}</td></tr></tbody></table></div></section>\
<section class=\"card\" id=\"detail\" hidden></section>\
<section class=\"card\"><h2>{standards}</h2><form id=\"settings-form\" novalidate><div class=\"grid\" id=\"settings\"></div>\
<button type=\"submit\" class=\"primary\">{save}</button></form><p class=\"msg\" id=\"settings-msg\" role=\"status\" aria-live=\"polite\"></p></section>\
<script type=\"application/json\" id=\"support-config\">{config}</script><script>{SCRIPT}</script>",
        home = escape(&home),
        back = tt("back"),
        title = tt("title"),
        subtitle = tt("subtitle"),
        cases = tt("cases"),
        opened = tt("opened"),
        customer = tt("customer"),
        category = tt("category"),
        status = tt("status"),
        first_reply = tt("first_reply"),
        resolution = tt("resolution"),
        loading = tt("loading"),
        standards = tt("standards"),
        save = tt("save"),
        config = script_config(
            lang,
            &token,
            "support.admin.",
            TEXTS,
            json!({"currency": shop.currency, "minor_digits": minor_unit_digits(&shop.currency)})
        ),
    );
    Ok(embedded_page(
        &shop,
        lang,
        &t(lang, "support.admin.title"),
        &body,
    ))
}

const STYLE: &str = "section.card{margin:16px 0}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:10px}\
label{display:flex;flex-direction:column;gap:4px;font-size:.9rem}label.check{flex-direction:row;align-items:center;gap:6px}\
input,select,textarea{font:inherit;padding:5px;border:1px solid #8c9196;border-radius:6px;min-width:0}textarea{width:100%;box-sizing:border-box}\
button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #8c9196;background:#fff;cursor:pointer;margin:8px 6px 0 0}\
button.primary{background:#008060;color:#fff;border-color:#008060}button:disabled{opacity:.5}.msg{min-height:1.2em}.msg.bad{color:#d72c0d}\
.scroll{overflow-x:auto}.inline{display:flex;gap:8px;flex-wrap:wrap}tr.pick{cursor:pointer}tr.pick:hover{background:#f6f6f7}\
.late{color:#d72c0d;font-weight:600}.ok{color:#007f5f}.quote{white-space:pre-wrap;border-left:3px solid #8c9196;padding-left:10px}\
ol.history{padding-left:18px}ol.history li{margin:6px 0}";

const SCRIPT: &str = r#"(()=>{
const C=JSON.parse(document.getElementById('support-config').textContent),T=C.texts;
const $=(s,r=document)=>r.querySelector(s),$$=(s,r=document)=>[...r.querySelectorAll(s)];
const el=(tag,text,cls)=>{const e=document.createElement(tag);if(text!=null)e.textContent=String(text);if(cls)e.className=cls;return e;};
const when=s=>s?new Date(s).toLocaleString(C.lang,{dateStyle:'short',timeStyle:'short'}):'';
const uuid=()=>crypto.randomUUID?crypto.randomUUID():String(Date.now())+Math.random();
async function token(){if(window.shopify&&typeof window.shopify.idToken==='function'){try{return await window.shopify.idToken();}catch(e){}}return C.token;}
async function api(method,path,body,extra){const h=Object.assign({Authorization:'Bearer '+await token(),Accept:'application/json'},extra||{});
if(body!==undefined)h['Content-Type']='application/json';
const r=await fetch('/api'+path,{method,headers:h,body:body===undefined?undefined:JSON.stringify(body)});
let d=null;try{d=await r.json();}catch(e){}if(r.status===401)throw new Error(T.session_expired);
if(!r.ok)throw new Error(d&&d.message?d.message:T.request_failed);return d;}
const say=(id,t,bad)=>{const m=$('#'+id+'-msg');if(!m)return;m.textContent=t||'';m.className='msg'+(bad?' bad':'');};
function timer(t){const s=el('span');if(t.met_at){s.textContent=(t.breached?T.overdue+' · ':'')+T.met+' '+when(t.met_at);s.className=t.breached?'late':'ok';return s;}
const m=t.minutes_left,abs=Math.abs(m),txt=abs>=120?Math.round(abs/60)+' '+T.hours:abs+' '+T.minutes;
s.textContent=m<0?T.overdue+' '+txt:txt+' '+T.left;s.className=m<0?'late':'';return s;}
let filter='';
async function list(){const r=await api('GET','/support/cases'+(filter?'?status='+filter:''));const c=r.counts;
const card=(k,v,late)=>{const d=el('div',null,'card');d.append(el('span',T[k],'muted'),el('b',String(v),late&&v>0?'late':''));return d;};
$('#counts').replaceChildren(card('st.open',c.open),card('st.answered',c.answered),card('st.resolved',c.resolved),card('breached_reply',c.first_reply_breached,true),card('breached_resolution',c.resolution_breached,true));
$('#filters').replaceChildren(...['','open','answered','resolved'].map(s=>{const b=el('button',s?T['st.'+s]:T.all);b.type='button';b.disabled=s===filter;b.onclick=()=>{filter=s;list();};return b;}));
const rows=r.cases.map(k=>{const tr=el('tr',null,'pick');tr.tabIndex=0;
[String(k.id),when(k.opened_at),k.customer_name||k.customer_email||'',T['category.'+k.category]||k.category,T['st.'+k.status]||k.status].forEach(v=>tr.append(el('td',v)));
const a=el('td'),b=el('td');a.append(timer(k.first_reply));b.append(timer(k.resolution));tr.append(a,b);
tr.onclick=()=>open(k.id);tr.onkeydown=e=>{if(e.key==='Enter')open(k.id);};return tr;});
$('#cases').replaceChildren(...(rows.length?rows:[(()=>{const tr=el('tr'),td=el('td',T.no_cases);td.colSpan=7;tr.append(td);return tr;})()]));}
const money=v=>(v/10**C.minor_digits).toFixed(C.minor_digits)+' '+C.currency;
function remedyLabel(r){const k=T['remedy.'+r.kind];if(r.kind==='points')return k.replace('{value}',r.value);if(r.kind==='store_credit')return k.replace('{value}',money(r.value));if(r.kind==='partial_refund')return k.replace('{value}',r.value+'%');return k;}
async function act(btn,work){if(btn)btn.disabled=true;say('case',T.saving);try{const d=await work();render(d);say('case',T.saved);list();}catch(e){say('case',e.message,true);}finally{if(btn)btn.disabled=false;}}
function render(d){const k=d.case,box=$('#detail');box.hidden=false;box.replaceChildren();
box.append(el('h2',T.case+' #'+k.id+' · '+(T['st.'+k.status]||k.status)));
box.append(el('p',[T['source.'+k.source]||k.source,T['category.'+k.category]||k.category,k.customer_name||'',k.customer_email||''].filter(Boolean).join(' · '),'muted'));
box.append(el('p',k.message,'quote'));
const t=el('p');t.append(T.first_reply+': ',timer(k.first_reply),' · '+T.resolution+': ',timer(k.resolution));box.append(t);
if(k.status!=='resolved'){const sev=el('div',null,'inline');sev.append(el('span',T.severity+(k.severity?'':' ('+T.suggested+': '+T[k.suggested_severity]+')')));
['minor','major'].forEach(s=>{const b=el('button',T[s]);b.type='button';b.disabled=k.severity===s;b.onclick=()=>act(b,()=>api('POST','/support/cases/'+k.id+'/severity',{severity:s}));sev.append(b);});box.append(sev);
const given=new Map(d.events.filter(e=>e.kind==='remedy').map(e=>[e.data.kind,e]));
const rem=el('div',null,'inline');rem.append(el('span',T.remedies));k.menu.forEach(r=>{const done=given.get(r.kind);
const b=el('button',remedyLabel(r)+(done?' · '+(T[done.status==='done'?'given':done.status]||done.status):''));b.type='button';b.disabled=!!done&&done.status==='done';
b.onclick=()=>act(b,()=>api('POST','/support/cases/'+k.id+'/remedies',{kind:r.kind}));rem.append(b);});box.append(rem);
const f=el('form'),ta=el('textarea');ta.rows=4;ta.maxLength=5000;ta.required=true;ta.setAttribute('aria-label',T.reply);
const send=el('button',T.send,'primary');send.type='submit';f.append(ta,send);
f.onsubmit=e=>{e.preventDefault();const key=uuid();act(send,()=>api('POST','/support/cases/'+k.id+'/reply',{body:ta.value},{'Idempotency-Key':key}));};box.append(el('h3',T.reply),f);
const res=el('button',T.resolve);res.type='button';res.onclick=()=>act(res,()=>api('POST','/support/cases/'+k.id+'/resolve'));box.append(res);}
else{const b=el('button',T.reopen);b.type='button';b.onclick=()=>act(b,()=>api('POST','/support/cases/'+k.id+'/reopen'));box.append(b);}
const msg=el('p',null,'msg');msg.id='case-msg';msg.setAttribute('role','status');box.append(msg,el('h3',T.history));
const ol=el('ol',null,'history');d.events.forEach(e=>{const li=el('li');li.append(el('strong',T['event.'+e.kind]||e.kind),' · '+when(e.at)+' · '+e.actor);
if(e.body)li.append(el('div',e.body,'quote'));if(e.kind==='remedy'){li.append(el('div',(T['remedy.'+e.data.kind]||e.data.kind).replace('{value}',e.data.value)+' · '+(T[e.status==='done'?'given':e.status]||e.status)+(e.data.reference?' · '+e.data.reference:'')+(e.data.error?' · '+e.data.error:''),e.status==='failed'?'late':''));}
ol.append(li);});box.append(ol);box.scrollIntoView({behavior:'smooth'});}
async function open(id){try{render(await api('GET','/support/cases/'+id));}catch(e){alert(e.message);}}
const FIELDS=[['first_reply_hours','int'],['resolution_hours','int'],['show_on_storefront','bool'],['minor_points','int'],['minor_credit_minor','money'],['major_replacement','bool'],['major_refund_percent','int']];
let settings=null;
async function loadSettings(){settings=(await api('GET','/support/settings')).settings;const g=$('#settings');g.replaceChildren();
FIELDS.forEach(([k,t])=>{const i=el('input');i.dataset.k=k;i.dataset.t=t;const l=el('label',null,t==='bool'?'check':'');
if(t==='bool'){i.type='checkbox';i.checked=!!settings[k];l.append(i,T['f.'+k]);}else{i.type='text';i.inputMode='decimal';i.value=t==='money'?(settings[k]/10**C.minor_digits).toFixed(C.minor_digits):settings[k];l.append(T['f.'+k],i);}g.append(l);});}
$('#settings-form').onsubmit=async e=>{e.preventDefault();say('settings',T.saving);try{const s=Object.assign({},settings);
$$('#settings [data-k]').forEach(i=>{const t=i.dataset.t,v=i.value.trim();if(t==='bool'){s[i.dataset.k]=i.checked;return;}
if(t==='money'){if(!/^\d+([.,]\d+)?$/.test(v))throw new Error(T.invalid_number);s[i.dataset.k]=Math.round(Number(v.replace(',','.'))*10**C.minor_digits);return;}
if(!/^\d+$/.test(v))throw new Error(T.invalid_number);s[i.dataset.k]=Number(v);});
settings=(await api('PUT','/support/settings',s)).settings;say('settings',T.saved);list();}catch(err){say('settings',err.message,true);}};
list().catch(e=>{$('#cases').replaceChildren(el('tr',e.message));});loadSettings().catch(e=>say('settings',e.message,true));
})();"#;
