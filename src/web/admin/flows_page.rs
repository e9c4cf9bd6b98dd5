//! `/app/flows`: the lifecycle emails in the merchant's language — each flow
//! on or off with its timing, the pacing, every email previewed in English,
//! Italian and French, the outbox, the dead letters (with retry) and the
//! survey scores. The page is a shell; a small inline script reads and
//! writes `/api/flows`, `/api/emails`, `/api/jobs` and `/api/surveys`.
use super::loyalty_page::{admin_href, page_token};
use super::pages::{embedded_page, requested_locale, script_config};
use crate::app::AppState;
use crate::flows::Flow;
use crate::i18n::t;
use crate::web::ApiError;
use crate::web::html::escape;
use crate::web::session::CurrentShop;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

/// Texts the script shows, by key under `flows.admin.`.
const TEXTS: &str = "saving saved loading session_expired request_failed invalid_number \
s.pacing s.post_purchase s.delivery_checkin s.review_request s.survey s.replenishment \
s.complete_the_set s.win_back s.vip s.birthday s.anniversary s.loyalty_launch s.points_expiry \
f.enabled f.days f.after_days f.weekly_cap f.send_from_hour f.send_until_hour \
f.transactional_audience f.discount_percent f.rules f.pairs f.product_id f.suggest_product_id \
f.suggest_title f.suggest_path f.lapse_days f.high_value_percent f.bonus_points f.top_percent \
audience.all audience.subscribed lapse.learned lapse.days lapse.info marketing transactional \
add remove save no_emails no_dead retry retried status.queued status.sent status.outbox \
status.skipped flow subject to status sent_at kind attempts error nps csat responses \
checkin_no none view";

pub async fn show(
    req: HttpRequest,
    shop: CurrentShop,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let lang = requested_locale(&req, &shop);
    let token = page_token(&state, &shop);
    let home = admin_href(&req, lang, &token, "/app");
    let tt = |key: &str| escape(&t(lang, &format!("flows.admin.{key}")));
    let flow_names = Flow::ALL
        .iter()
        .map(|f| {
            (
                f.key().to_owned(),
                json!(t(lang, &format!("flows.name.{}", f.key()))),
            )
        })
        .collect::<serde_json::Map<_, _>>();
    let options: String = Flow::ALL
        .iter()
        .map(|f| {
            format!(
                "<option value=\"{}\">{}</option>",
                f.key(),
                escape(&t(lang, &format!("flows.name.{}", f.key())))
            )
        })
        .collect();
    let languages: String = crate::i18n::LOCALES
        .iter()
        .map(|l| {
            format!(
                "<button type=\"button\" data-preview-lang=\"{l}\">{}</button>",
                escape(&t(lang, &format!("language.{l}")))
            )
        })
        .collect();
    let body = format!(
        "<style>{STYLE}</style><p><a href=\"{home}\">{back}</a></p><h1>{title}</h1><p class=\"muted\">{subtitle}</p>\
<div class=\"cards\" id=\"scores\"></div>\
<section class=\"card\"><h2>{settings}</h2><form id=\"flows-form\" novalidate><div id=\"fields\">{loading}</div>\
<button type=\"submit\" class=\"primary\">{save}</button></form><p class=\"msg\" id=\"flows-msg\" role=\"status\" aria-live=\"polite\"></p></section>\
<section class=\"card\"><h2>{preview}</h2><div class=\"inline\"><label>{flow}<select id=\"preview-flow\">{options}</select></label>{languages}</div>\
<p><strong id=\"preview-subject\"></strong></p><iframe id=\"preview\" sandbox=\"allow-same-origin\" title=\"{preview}\"></iframe></section>\
<section class=\"card\"><h2>{outbox}</h2><div class=\"scroll\"><table><thead><tr><th>{sent_at}</th><th>{flow}</th><th>{to}</th><th>{subject}</th><th>{status}</th><th></th></tr></thead><tbody id=\"outbox\"></tbody></table></div></section>\
<section class=\"card\"><h2>{dead}</h2><p class=\"muted\">{dead_help}</p><div class=\"scroll\"><table><thead><tr><th>{kind}</th><th>{attempts}</th><th>{error}</th><th></th></tr></thead><tbody id=\"dead\"></tbody></table></div>\
<p class=\"msg\" id=\"dead-msg\" role=\"status\" aria-live=\"polite\"></p></section>\
<script type=\"application/json\" id=\"flows-config\">{config}</script><script>{SCRIPT}</script>",
        home = escape(&home),
        back = tt("back"),
        title = tt("title"),
        subtitle = tt("subtitle"),
        settings = tt("settings"),
        loading = tt("loading"),
        save = tt("save"),
        preview = tt("preview"),
        flow = tt("flow"),
        outbox = tt("outbox"),
        sent_at = tt("sent_at"),
        to = tt("to"),
        subject = tt("subject"),
        status = tt("status"),
        dead = tt("dead"),
        dead_help = tt("dead_help"),
        kind = tt("kind"),
        attempts = tt("attempts"),
        error = tt("error"),
        config = script_config(
            lang,
            &token,
            "flows.admin.",
            TEXTS,
            json!({"flow_names": flow_names})
        ),
    );
    Ok(embedded_page(
        &shop,
        lang,
        &t(lang, "flows.admin.title"),
        &body,
    ))
}

const STYLE: &str = "section.card{margin:16px 0}fieldset{border:1px solid #e1e3e5;border-radius:8px;margin:10px 0;padding:10px}\
legend{font-weight:600}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:10px}\
label{display:flex;flex-direction:column;gap:4px;font-size:.9rem}label.check{flex-direction:row;align-items:center;gap:6px}\
input,select{font:inherit;padding:5px;border:1px solid #8c9196;border-radius:6px;min-width:0}input[aria-invalid]{border-color:#d72c0d}\
button{font:inherit;padding:6px 12px;border-radius:6px;border:1px solid #8c9196;background:#fff;cursor:pointer;margin:8px 6px 0 0}\
button.primary{background:#008060;color:#fff;border-color:#008060}.msg{min-height:1.2em}.msg.bad{color:#d72c0d}.scroll{overflow-x:auto}\
.inline{display:flex;gap:10px;align-items:flex-end;flex-wrap:wrap}iframe{width:100%;height:520px;border:1px solid #e1e3e5;border-radius:8px;background:#fff}\
.tag{font-size:.75rem;padding:1px 6px;border-radius:8px;background:#e4e5e7}.tag.mk{background:#fff4d6}.errs{color:#d72c0d;font-size:.85rem}";

const SCRIPT: &str = r#"(()=>{
const C=JSON.parse(document.getElementById('flows-config').textContent),T=C.texts;
const $=(s,r=document)=>r.querySelector(s),$$=(s,r=document)=>[...r.querySelectorAll(s)];
const el=(tag,text,cls)=>{const e=document.createElement(tag);if(text!=null)e.textContent=String(text);if(cls)e.className=cls;return e;};
const day=s=>s?String(s).slice(0,16).replace('T',' '):'';
async function token(){if(window.shopify&&typeof window.shopify.idToken==='function'){try{return await window.shopify.idToken();}catch(e){}}return C.token;}
async function api(method,path,body,raw){const h={Authorization:'Bearer '+await token(),Accept:raw?'text/html':'application/json'};
if(body!==undefined)h['Content-Type']='application/json';
const r=await fetch('/api'+path,{method,headers:h,body:body===undefined?undefined:JSON.stringify(body)});
if(r.status===401)throw new Error(T.session_expired);
if(raw){if(!r.ok)throw new Error(T.request_failed);return r.text();}
let d=null;try{d=await r.json();}catch(e){}
if(!r.ok){const err=new Error(d&&d.message?d.message:T.request_failed);err.data=d;throw err;}return d;}
const say=(id,t,bad)=>{const m=$('#'+id+'-msg');m.textContent=t||'';m.className='msg'+(bad?' bad':'');};
const SECTIONS=[['pacing',[['weekly_cap','int'],['send_from_hour','int'],['send_until_hour','int'],['transactional_audience','audience']]],
['post_purchase',[['post_purchase.enabled','bool']]],['delivery_checkin',[['delivery_checkin.enabled','bool']]],
['review_request',[['review_request.enabled','bool'],['review_request.days','int']]],['survey',[['survey.enabled','bool'],['survey.days','int']]],
['replenishment',[['replenishment.enabled','bool'],['replenishment.discount_percent','int'],['replenishment.rules','table',[['product_id','int'],['after_days','int']]]]],
['complete_the_set',[['complete_the_set.enabled','bool'],['complete_the_set.after_days','int'],['complete_the_set.discount_percent','int'],
 ['complete_the_set.pairs','table',[['product_id','int'],['suggest_product_id','int'],['suggest_title','str'],['suggest_path','str']]]]],
['win_back',[['win_back.enabled','bool'],['win_back.lapse_days','lapse'],['win_back.high_value_percent','int'],['win_back.bonus_points','int'],['win_back.discount_percent','int']]],
['vip',[['vip.enabled','bool'],['vip.top_percent','int']]],['birthday',[['birthday.enabled','bool']]],['anniversary',[['anniversary.enabled','bool']]],
['loyalty_launch',[['loyalty_launch.enabled','bool']]],['points_expiry',[['points_expiry.enabled','bool']]]];
const MARKETING=new Set();let state=null;
const get=(o,p)=>p.split('.').reduce((a,k)=>a==null?a:a[k],o);
function put(o,p,v){const ks=p.split('.'),last=ks.pop();ks.forEach(k=>{o=o[k]=o[k]||{};});o[last]=v;}
const label=p=>T['f.'+p.split('.').pop()]||p;
function input(path,type,value){let e;
if(type==='bool'){e=el('input');e.type='checkbox';e.checked=!!value;}
else if(type==='audience'||type==='lapse'){e=el('select');const opts=type==='audience'?[['all',T['audience.all']],['subscribed',T['audience.subscribed']]]:
[['',T['lapse.learned']+' ('+state.lapse.days+')'],['30','30'],['60','60'],['90','90']];
opts.forEach(([v,t])=>{const o=el('option',t);o.value=v;e.append(o);});e.value=value==null?'':String(value);}
else{e=el('input');e.type=type==='int'?'number':'text';e.value=value==null?'':String(value);}
e.dataset.path=path;e.dataset.t=type;return e;}
function row(cols,item){const tr=el('tr');tr.className='row';cols.forEach(([k,t])=>{const td=el('td');const i=input(k,t,item[k]);i.setAttribute('aria-label',label(k));td.append(i);tr.append(td);});
const td=el('td');const b=el('button',T.remove);b.type='button';b.onclick=()=>tr.remove();td.append(b);tr.append(td);return tr;}
function render(){const box=$('#fields');box.replaceChildren();
SECTIONS.forEach(([name,fields])=>{const fs=el('fieldset');fs.dataset.section=name;const lg=el('legend',T['s.'+name]);
const flow=C.flow_names[name]?state.flows.find(f=>f.key===name):null;
if(flow){lg.append(' ',el('span',flow.marketing?T.marketing:T.transactional,'tag'+(flow.marketing?' mk':'')));}
fs.append(lg);const grid=el('div',null,'grid');fs.append(grid);
fields.forEach(([path,type,cols])=>{const value=get(state.settings,path);
if(type==='table'){const t=el('table'),head=el('tr');cols.forEach(([k])=>head.append(el('th',label(k))));head.append(el('th',''));
const tb=el('tbody');tb.dataset.path=path;(value||[]).forEach(it=>tb.append(row(cols,it)));t.append(el('thead'),tb);t.tHead.append(head);
const add=el('button',T.add);add.type='button';add.onclick=()=>tb.append(row(cols,{}));const w=el('div',null,'scroll');w.append(el('p',label(path)),t,add);fs.append(w);tb.dataset.cols=JSON.stringify(cols);return;}
const i=input(path,type,value);const l=el('label',null,type==='bool'?'check':'');
if(type==='bool'){l.append(i,label(path));}else{l.append(label(path),i);}grid.append(l);
if(type==='lapse'){grid.append(el('p',T['lapse.info'].replace('{days}',state.lapse.days).replace('{customers}',state.lapse.repeat_customers),'muted'));}});
fs.append(el('div',null,'errs'));box.append(fs);});}
function read(e){const t=e.dataset.t,v=(e.value||'').trim();if(t==='bool')return e.checked;
if(t==='int'){if(!/^-?\d+$/.test(v)){e.setAttribute('aria-invalid','true');throw new Error(T.invalid_number);}return Number(v);}
if(t==='lapse')return v===''?null:Number(v);return v;}
function collect(){const s=JSON.parse(JSON.stringify(state.settings));$$('[aria-invalid]').forEach(e=>e.removeAttribute('aria-invalid'));
$$('#fields [data-path]').forEach(e=>{if(e.tagName==='TBODY'||e.closest('tbody'))return;put(s,e.dataset.path,read(e));});
$$('#fields tbody[data-path]').forEach(tb=>{put(s,tb.dataset.path,$$('.row',tb).map(r=>{const o={};$$('[data-path]',r).forEach(e=>{o[e.dataset.path]=read(e);});return o;}));});return s;}
async function load(){state=await api('GET','/flows/settings');state.flows.forEach(f=>{if(f.marketing)MARKETING.add(f.key);});render();}
$('#flows-form').addEventListener('submit',async ev=>{ev.preventDefault();say('flows',T.saving);$$('.errs').forEach(e=>e.textContent='');
try{state=await api('PUT','/flows/settings',collect());render();say('flows',T.saved);}
catch(e){say('flows',e.message,true);((e.data&&e.data.fields)||[]).forEach(f=>{const sec=f.field.split('.')[0];
const fs=$('fieldset[data-section="'+sec+'"]')||$('fieldset[data-section="pacing"]');fs.querySelector('.errs').append(el('div',f.message));});}});
async function preview(lang){try{const e=await api('GET','/flows/preview/'+$('#preview-flow').value+'?format=json&locale='+lang);
$('#preview-subject').textContent=e.subject;$('#preview').srcdoc=e.html;}catch(e){$('#preview-subject').textContent=e.message;}}
let previewLang=C.lang;$$('[data-preview-lang]').forEach(b=>b.onclick=()=>{previewLang=b.dataset.previewLang;preview(previewLang);});
$('#preview-flow').onchange=()=>preview(previewLang);
async function outbox(){const r=await api('GET','/emails');const rows=r.emails.slice(0,100).map(m=>{const tr=el('tr');
[day(m.sent_at||m.created_at),C.flow_names[m.flow]||m.flow,m.to,m.subject,T['status.'+m.status]||m.status].forEach(v=>tr.append(el('td',v)));
const td=el('td'),b=el('button',T.view);b.type='button';b.onclick=async()=>{$('#preview-subject').textContent=m.subject;$('#preview').srcdoc=await api('GET','/emails/'+m.id+'/preview',undefined,true);$('#preview').scrollIntoView();};
td.append(b);tr.append(td);return tr;});$('#outbox').replaceChildren(...(rows.length?rows:[(()=>{const tr=el('tr');const td=el('td',T.no_emails);td.colSpan=6;tr.append(td);return tr;})()]));}
async function dead(){const r=await api('GET','/jobs?status=dead');const rows=r.jobs.map(j=>{const tr=el('tr');[j.kind,j.attempts+'/'+j.max_attempts,j.last_error||''].forEach(v=>tr.append(el('td',v)));
const td=el('td'),b=el('button',T.retry);b.type='button';b.onclick=async()=>{try{await api('POST','/jobs/'+j.id+'/retry');say('dead',T.retried);dead();}catch(e){say('dead',e.message,true);}};td.append(b);tr.append(td);return tr;});
$('#dead').replaceChildren(...(rows.length?rows:[(()=>{const tr=el('tr');const td=el('td',T.no_dead);td.colSpan=4;tr.append(td);return tr;})()]));}
async function scores(){const r=await api('GET','/surveys');const s=r.summary,f=v=>v==null?T.none:Number(v).toFixed(1);
const card=(k,v,sub)=>{const c=el('div',null,'card');c.append(el('span',T[k],'muted'),el('b',v));if(sub)c.append(el('span',sub,'muted'));return c;};
$('#scores').replaceChildren(card('nps',f(s.nps),s.nps_responses+' '+T.responses),card('csat',s.csat==null?T.none:f(s.csat)+'%',s.csat_responses+' '+T.responses),card('checkin_no',String(s.checkin_no)));}
load().catch(e=>say('flows',e.message,true));preview(C.lang);outbox().catch(()=>{});dead().catch(()=>{});scores().catch(()=>{});
})();"#;
