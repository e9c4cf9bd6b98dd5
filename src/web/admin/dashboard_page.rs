//! The home of the embedded admin: the retention dashboard, rendered on the
//! server (charts are SVG drawn by `metrics::charts`), so it shows at a
//! glance with no script and no network beyond the app. A small inline
//! script saves the merchant's inputs and downloads the CSV exports.
use crate::i18n::{t, tf};
use crate::metrics::charts::{self, Format, Series, Target};
use crate::metrics::dashboard::{Amount, Change, Dashboard};
use crate::metrics::engine::{COHORT_OFFSETS, RepeatGroup};
use crate::metrics::export::TABLES;
use crate::metrics::load::OnTime;
use crate::metrics::{MetricsSettings, rules_text};
use crate::money::minor_unit_digits;
use crate::web::html::escape;

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn amount(a: &Amount) -> String {
    match &a.amount {
        Some(v) => format!("{v} {}", a.currency),
        None => "—".to_owned(),
    }
}

/// "▲ 2.1 pts" style: the latest month against the one before.
fn trend(lang: &str, c: &Change, as_points: bool, months: (&str, Option<&str>)) -> String {
    let (latest, month) = months;
    let (Some(cur), Some(prev)) = (c.current, c.previous) else {
        return String::new();
    };
    let delta = cur - prev;
    let arrow = if delta > 0.0 {
        "▲"
    } else if delta < 0.0 {
        "▼"
    } else {
        "="
    };
    let text = if as_points {
        tf(
            lang,
            "metrics.trend.points",
            &[("delta", &format!("{:+.1}", delta * 100.0))],
        )
    } else if prev.abs() > f64::EPSILON {
        format!("{:+.0}%", delta / prev.abs() * 100.0)
    } else {
        format!("{delta:+.1}")
    };
    format!(
        "<small class=\"trend\">{arrow} {} · {}</small>",
        escape(&text),
        escape(&tf(
            lang,
            "metrics.trend.vs",
            &[("month", latest), ("previous", month.unwrap_or(""))]
        ))
    )
}

fn card(label: &str, value: &str, extra: &str, help: &str) -> String {
    format!(
        "<div class=\"card\"><span class=\"muted\">{}</span><b>{}</b>{extra}<small class=\"muted\">{}</small></div>",
        escape(label),
        escape(value),
        escape(help)
    )
}

fn groups_table(
    lang: &str,
    title: &str,
    groups: &[RepeatGroup],
    named: impl Fn(&str) -> String,
) -> String {
    let mut rows = String::new();
    for g in groups {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&named(&g.name)),
            g.customers,
            g.repeat_customers,
            pct(Some(g.repeat_rate))
        ));
    }
    if rows.is_empty() {
        rows = format!(
            "<tr><td colspan=\"4\" class=\"muted\">{}</td></tr>",
            escape(&t(lang, "metrics.no_data"))
        );
    }
    format!(
        "<h3>{}</h3><table><thead><tr><th></th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        escape(title),
        escape(&t(lang, "metrics.col.customers")),
        escape(&t(lang, "metrics.col.repeat_customers")),
        escape(&t(lang, "metrics.col.repeat_rate")),
    )
}

fn on_time_table(lang: &str, title: &str, list: &[OnTime]) -> String {
    let mut rows = String::new();
    for o in list {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&o.name),
            o.delivered,
            pct(Some(o.on_time_rate)),
            num(o.avg_days_late, 1)
        ));
    }
    if rows.is_empty() {
        rows = format!(
            "<tr><td colspan=\"4\" class=\"muted\">{}</td></tr>",
            escape(&t(lang, "metrics.no_data"))
        );
    }
    format!(
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        escape(title),
        escape(&t(lang, "metrics.col.delivered")),
        escape(&t(lang, "metrics.col.on_time_rate")),
        escape(&t(lang, "metrics.col.avg_days_late")),
    )
}

/// The charts, each an SVG string.
pub struct Charts {
    pub rpr: String,
    pub ltv: String,
    pub nps: String,
    pub ltv_cac: String,
    pub cohorts: String,
    pub segments: String,
    pub time_to_second: String,
    pub suppliers: String,
}

pub fn charts(d: &Dashboard, lang: &str) -> Charts {
    let empty = t(lang, "metrics.no_data");
    let months: Vec<String> = d.months.iter().map(|m| m.month.clone()).collect();
    let money = Format::Money {
        currency: d.currency.clone(),
        digits: minor_unit_digits(&d.currency),
    };
    let scale = 10f64.powi(minor_unit_digits(&d.currency) as i32);
    let series = |key: &str, values: Vec<Option<f64>>| Series {
        label: t(lang, key),
        values: values
            .into_iter()
            .map(|v| v.filter(|v| v.is_finite()))
            .collect(),
    };
    let rpr = charts::line_chart(
        &t(lang, "metrics.chart.rpr"),
        &months,
        &[series(
            "metrics.repeat_purchase_rate",
            d.months.iter().map(|m| m.repeat_purchase_rate).collect(),
        )],
        &Format::Percent,
        None,
        &empty,
    );
    let ltv = charts::line_chart(
        &t(lang, "metrics.chart.ltv"),
        &months,
        &[
            series(
                "metrics.ltv",
                d.months
                    .iter()
                    .map(|m| m.ltv_minor.map(|v| v as f64 / scale))
                    .collect(),
            ),
            series(
                "metrics.aov",
                d.months
                    .iter()
                    .map(|m| m.aov_minor.map(|v| v as f64 / scale))
                    .collect(),
            ),
        ],
        &money,
        None,
        &empty,
    );
    let nps = charts::line_chart(
        &t(lang, "metrics.chart.nps"),
        &months,
        &[
            series("metrics.nps", d.months.iter().map(|m| m.nps).collect()),
            series("metrics.csat", d.months.iter().map(|m| m.csat).collect()),
        ],
        &Format::Number,
        None,
        &empty,
    );
    let ltv_cac = charts::line_chart(
        &t(lang, "metrics.chart.ltv_cac"),
        &months,
        &[series(
            "metrics.ltv_cac",
            d.months.iter().map(|m| m.ltv_cac).collect(),
        )],
        &Format::Ratio,
        Some(&Target {
            value: d.ltv_cac_target,
            label: t(lang, "metrics.target"),
        }),
        &empty,
    );
    let rows: Vec<String> = d
        .cohorts
        .iter()
        .map(|c| format!("{} ({})", c.month, c.customers))
        .collect();
    let cols: Vec<String> = (0..=COHORT_OFFSETS).map(|k| format!("M{k}")).collect();
    let cells: Vec<Vec<Option<f64>>> = d
        .cohorts
        .iter()
        .map(|c| {
            (0..=COHORT_OFFSETS)
                .map(|k| c.retention.get(k).map(|cell| cell.rate))
                .collect()
        })
        .collect();
    let cohorts = charts::heat_map(
        &t(lang, "metrics.chart.cohorts"),
        &rows,
        &cols,
        &cells,
        &Format::Percent,
        &empty,
    );
    let segments = charts::bar_chart(
        &t(lang, "metrics.chart.segments"),
        &d.segments
            .iter()
            .map(|s| {
                (
                    t(lang, &format!("metrics.segment.{}", s.key.key())),
                    s.customers as f64,
                )
            })
            .collect::<Vec<_>>(),
        &Format::Number,
        &empty,
    );
    let time_to_second = charts::bar_chart(
        &t(lang, "metrics.chart.time_to_second"),
        &d.time_to_second
            .distribution
            .iter()
            .map(|b| {
                (
                    tf(lang, "metrics.days_range", &[("range", &b.label)]),
                    b.customers as f64,
                )
            })
            .collect::<Vec<_>>(),
        &Format::Number,
        &empty,
    );
    let suppliers = charts::bar_chart(
        &t(lang, "metrics.chart.suppliers"),
        &d.delivery
            .suppliers
            .iter()
            .map(|s| (s.name.clone(), s.on_time_rate))
            .collect::<Vec<_>>(),
        &Format::Percent,
        &empty,
    );
    Charts {
        rpr,
        ltv,
        nps,
        ltv_cac,
        cohorts,
        segments,
        time_to_second,
        suppliers,
    }
}

/// Links the page needs: where the period form submits and its hidden fields.
pub struct PageLinks<'a> {
    pub hidden: &'a [(String, String)],
}

/// The dashboard's HTML (escaped), to go inside the admin layout.
pub fn render(
    d: &Dashboard,
    lang: &str,
    links: &PageLinks<'_>,
    settings: &MetricsSettings,
) -> String {
    let tt = |key: &str| escape(&t(lang, &format!("metrics.{key}")));
    let c = charts(d, lang);
    let month = d.trend.previous_month.as_deref();
    let latest = d.trend.month.as_deref().unwrap_or("");
    let mut out = String::new();

    // The period.
    let hidden: String = links
        .hidden
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    out.push_str(&format!(
        "<form class=\"period\" method=\"get\" action=\"/app\">{hidden}<label>{from} <input type=\"date\" name=\"from\" value=\"{f}\"></label> \
<label>{to} <input type=\"date\" name=\"to\" value=\"{tv}\"></label> <button type=\"submit\">{show}</button> \
<span class=\"muted\">{tz}</span></form>",
        from = tt("from"),
        to = tt("to"),
        f = d.from,
        tv = d.to,
        show = tt("show"),
        tz = escape(&tf(lang, "metrics.in_timezone", &[("tz", &d.timezone), ("currency", &d.currency)])),
    ));

    // Headline numbers with their trend.
    let tr = &d.trend;
    out.push_str("<div class=\"cards\" id=\"headline\">");
    out.push_str(&card(
        &t(lang, "metrics.repeat_purchase_rate"),
        &pct(Some(d.repeat_purchase_rate)),
        &trend(lang, &tr.repeat_purchase_rate, true, (latest, month)),
        &tf(
            lang,
            "metrics.help.rpr",
            &[
                ("repeat", &d.repeat_customers.to_string()),
                ("customers", &d.customers.to_string()),
            ],
        ),
    ));
    out.push_str(&card(
        &t(lang, "metrics.aov"),
        &amount(&d.aov),
        &trend(lang, &tr.aov_minor, false, (latest, month)),
        &tf(
            lang,
            "metrics.help.orders",
            &[("orders", &d.orders.to_string())],
        ),
    ));
    out.push_str(&card(
        &t(lang, "metrics.orders_per_customer"),
        &num(d.orders_per_customer, 2),
        "",
        "",
    ));
    out.push_str(&card(
        &t(lang, "metrics.gross_margin"),
        &pct(Some(d.gross_margin)),
        "",
        &t(lang, "metrics.help.margin"),
    ));
    out.push_str(&card(
        &t(lang, "metrics.ltv"),
        &amount(&d.ltv),
        &trend(lang, &tr.ltv_minor, false, (latest, month)),
        &t(lang, "metrics.help.ltv"),
    ));
    out.push_str(&card(
        &t(lang, "metrics.cac"),
        &amount(&d.cac),
        "",
        &tf(
            lang,
            "metrics.help.cac",
            &[("new", &d.new_customers.to_string())],
        ),
    ));
    let ratio = d
        .ltv_cac
        .map_or_else(|| "—".to_owned(), |r| format!("{r:.1}:1"));
    out.push_str(&card(
        &t(lang, "metrics.ltv_cac"),
        &ratio,
        &trend(lang, &tr.ltv_cac, false, (latest, month)),
        &t(lang, "metrics.help.ltv_cac"),
    ));
    out.push_str(&card(
        &t(lang, "metrics.nps"),
        &num(d.nps, 0),
        &trend(lang, &tr.nps, false, (latest, month)),
        &tf(
            lang,
            "metrics.help.responses",
            &[("n", &d.surveys.nps_responses.to_string())],
        ),
    ));
    out.push_str(&card(
        &t(lang, "metrics.csat"),
        &d.csat
            .map_or_else(|| "—".to_owned(), |v| format!("{v:.0}%")),
        &trend(lang, &tr.csat, false, (latest, month)),
        &tf(
            lang,
            "metrics.help.responses",
            &[("n", &d.surveys.csat_responses.to_string())],
        ),
    ));
    out.push_str(&card(
        &t(lang, "metrics.retention_rate"),
        &pct(d.retention_rate),
        &trend(lang, &tr.retention_rate, true, (latest, month)),
        &t(lang, "metrics.help.retention"),
    ));
    out.push_str(&card(
        &t(lang, "metrics.revenue"),
        &amount(&d.revenue),
        &trend(lang, &tr.orders, false, (latest, month)),
        &tf(
            lang,
            "metrics.help.refunded",
            &[("amount", &amount(&d.refunded))],
        ),
    ));
    out.push_str("</div>");

    // Month by month, side by side.
    out.push_str(&format!(
        "<div class=\"grid\"><div class=\"card chart\" id=\"chart-rpr\">{}</div><div class=\"card chart\" id=\"chart-ltv\">{}</div>\
<div class=\"card chart\" id=\"chart-nps\">{}</div><div class=\"card chart\" id=\"chart-ltv-cac\">{}</div></div>",
        c.rpr, c.ltv, c.nps, c.ltv_cac
    ));

    // Cohorts.
    out.push_str(&format!(
        "<h2>{}</h2><p class=\"muted\">{}</p><div class=\"card chart\" id=\"chart-cohorts\">{}</div>",
        tt("cohorts"),
        tt("help.cohorts"),
        c.cohorts
    ));

    // Segments.
    let mut seg_rows = String::new();
    for s in &d.segments {
        seg_rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"muted\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t(lang, &format!("metrics.segment.{}", s.key.key()))),
            escape(&rules_text(lang, s.key, &d.segment_rules, &d.currency)),
            s.customers,
            pct(Some(s.share)),
            escape(&amount(&s.revenue))
        ));
    }
    out.push_str(&format!(
        "<h2>{}</h2><div class=\"card chart narrow\" id=\"chart-segments\">{}</div><div class=\"card\"><table id=\"segments\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{seg_rows}</tbody></table></div>",
        tt("segments"),
        c.segments,
        tt("col.segment"),
        tt("col.rule"),
        tt("col.customers"),
        tt("col.share"),
        tt("col.revenue"),
    ));

    // Time to a second purchase.
    let tts = &d.time_to_second;
    out.push_str(&format!(
        "<h2>{}</h2><div class=\"grid\"><div class=\"card chart\">{}</div><div class=\"card\"><p>{}</p><p>{}</p></div></div>",
        tt("time_to_second"),
        c.time_to_second,
        escape(&tf(lang, "metrics.median_days", &[("days", &num(tts.median_days, 0)), ("n", &tts.repeat_customers.to_string())])),
        escape(&tf(lang, "metrics.suggested_lapse", &[("days", &tts.suggested_lapse_days.to_string())])),
    ));

    // What brings repeat buyers.
    let named_source = |n: &str| match n {
        "" => t(lang, "metrics.no_discount"),
        "unknown" => t(lang, "metrics.unknown"),
        "direct" => t(lang, "metrics.direct"),
        "sale" => t(lang, "metrics.sale"),
        "no_sale" => t(lang, "metrics.no_sale"),
        other => other.to_owned(),
    };
    let products: Vec<RepeatGroup> = d
        .products
        .iter()
        .map(|p| crate::metrics::load::product_group(&p.product))
        .collect();
    out.push_str(&format!("<h2>{}</h2><p class=\"muted\">{}</p><div class=\"grid\"><div class=\"card\">{}</div><div class=\"card\">{}</div><div class=\"card\">{}</div><div class=\"card\">{}</div><div class=\"card\">{}</div></div>",
        tt("repeat_buyers"),
        tt("help.repeat_buyers"),
        groups_table(lang, &t(lang, "metrics.products"), &products, |n| n.to_owned()),
        groups_table(lang, &t(lang, "metrics.channel.source"), &d.channels.sources, named_source),
        groups_table(lang, &t(lang, "metrics.channel.landing"), &d.channels.landing, named_source),
        groups_table(lang, &t(lang, "metrics.channel.discount"), &d.channels.discounts, named_source),
        if d.channels.sales.is_empty() {
            format!("<h3>{}</h3><p class=\"muted\">{}</p>", tt("channel.sale"), tt("no_sales"))
        } else {
            groups_table(lang, &t(lang, "metrics.channel.sale"), &d.channels.sales, named_source)
        },
    ));

    // Deliveries against the promise.
    let del = &d.delivery.overall;
    out.push_str(&format!(
        "<h2>{}</h2><p>{}</p><div class=\"grid\"><div class=\"card chart\" id=\"chart-suppliers\">{}</div><div class=\"card\">{}{}</div></div>",
        tt("delivery"),
        escape(&tf(lang, "metrics.delivery_summary", &[("rate", &pct(Some(del.on_time_rate))), ("n", &del.delivered.to_string()), ("days", &num(del.avg_days_late, 1))])),
        c.suppliers,
        on_time_table(lang, &t(lang, "metrics.col.supplier"), &d.delivery.suppliers),
        on_time_table(lang, &t(lang, "metrics.col.zone"), &d.delivery.zones),
    ));

    // Loyalty effect.
    let l = &d.loyalty;
    let mut loyalty_groups = vec![
        RepeatGroup {
            name: t(lang, "metrics.loyalty.members"),
            ..l.members.clone()
        },
        RepeatGroup {
            name: t(lang, "metrics.loyalty.non_members"),
            ..l.non_members.clone()
        },
    ];
    if let (Some(b), Some(a)) = (&l.before, &l.after) {
        loyalty_groups.push(RepeatGroup {
            name: t(lang, "metrics.loyalty.before"),
            ..b.clone()
        });
        loyalty_groups.push(RepeatGroup {
            name: t(lang, "metrics.loyalty.after"),
            ..a.clone()
        });
    }
    let lift = match (l.launched_at, l.lift) {
        (Some(at), Some(lift)) => tf(
            lang,
            "metrics.loyalty.lift",
            &[
                ("date", &at.format("%Y-%m-%d").to_string()),
                ("delta", &format!("{:+.1}", lift * 100.0)),
            ],
        ),
        (Some(at), None) => tf(
            lang,
            "metrics.loyalty.launched",
            &[("date", &at.format("%Y-%m-%d").to_string())],
        ),
        (None, _) => t(lang, "metrics.loyalty.not_launched"),
    };
    out.push_str(&format!(
        "<h2>{}</h2><div class=\"card\" id=\"loyalty-effect\"><p>{}</p>{}</div>",
        tt("loyalty.title"),
        escape(&lift),
        groups_table(lang, "", &loyalty_groups, |n| n.to_owned()),
    ));

    // Returns and support.
    let r = &d.returns;
    let mut reasons = String::new();
    for x in &r.reasons {
        reasons.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&t(lang, &format!("returns.reason.{}", x.reason))),
            x.returns
        ));
    }
    let s = &d.support;
    out.push_str(&format!(
        "<div class=\"grid\"><div class=\"card\" id=\"returns-summary\"><h2>{}</h2><p>{}</p><table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>{reasons}</tbody></table></div>\
<div class=\"card\" id=\"support-summary\"><h2>{}</h2><p>{}</p><p>{}</p><p>{}</p></div></div>",
        tt("returns"),
        escape(&tf(lang, "metrics.returns_summary", &[("rate", &pct(r.rate)), ("n", &r.returned_orders.to_string()), ("orders", &d.orders.to_string())])),
        tt("col.reason"),
        tt("col.returns"),
        tt("support"),
        escape(&tf(lang, "metrics.support_cases", &[("n", &s.cases.to_string())])),
        escape(&tf(lang, "metrics.support_first_reply", &[("minutes", &num(s.first_reply_median_minutes, 0)), ("share", &pct(s.first_reply_within_standard)), ("hours", &s.standard_first_reply_hours.to_string())])),
        escape(&tf(lang, "metrics.support_resolution", &[("hours", &num(s.resolution_median_hours, 1)), ("share", &pct(s.resolution_within_standard)), ("standard", &s.standard_resolution_hours.to_string())])),
    ));

    // Exports.
    let buttons: String = TABLES
        .iter()
        .map(|table| {
            format!(
                "<button type=\"button\" data-export=\"{table}\">{}</button> ",
                escape(&t(lang, &format!("metrics.export.{table}")))
            )
        })
        .collect();
    out.push_str(&format!(
        "<h2>{}</h2><div class=\"card inline\" id=\"exports\">{buttons}</div>",
        tt("export.title")
    ));

    // The merchant's inputs.
    let spend_months: String = d
        .months
        .iter()
        .map(|m| {
            let value = settings
                .acquisition_spend
                .get(&m.month)
                .map(|v| crate::money::Money::new(*v, &d.currency).to_decimal_string())
                .unwrap_or_default();
            format!("<label>{} <input name=\"spend-{}\" data-month=\"{}\" inputmode=\"decimal\" value=\"{}\" size=\"8\"></label> ", escape(&m.month), escape(&m.month), escape(&m.month), escape(&value))
        })
        .collect();
    out.push_str(&format!(
        "<h2>{}</h2><form class=\"card\" id=\"metrics-settings\" novalidate><p><label>{} <input name=\"default_margin_percent\" type=\"number\" min=\"0\" max=\"100\" value=\"{}\"></label> %</p>\
<p class=\"muted\">{}</p><p class=\"inline\">{spend_months}</p><p class=\"muted\">{}</p><textarea name=\"sales\" rows=\"3\" cols=\"60\">{}</textarea>\
<p class=\"muted\">{}</p><textarea name=\"product_margins\" rows=\"2\" cols=\"60\">{}</textarea><p><button type=\"submit\">{}</button></p><p class=\"msg\" id=\"settings-msg\" role=\"status\" aria-live=\"polite\"></p></form>",
        tt("settings.title"),
        tt("settings.margin"),
        settings.default_margin_percent,
        tt("settings.spend"),
        tt("settings.sales"),
        escape(&settings.sales.iter().map(|s| format!("{} {} {}", s.from, s.to, s.name)).collect::<Vec<_>>().join("\n")),
        tt("settings.product_margins"),
        escape(&settings.product_margins.iter().map(|(p, m)| format!("{p} {m}")).collect::<Vec<_>>().join("\n")),
        tt("settings.save"),
    ));
    out
}

pub const STYLE: &str = ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px;margin:12px 0}\
.chart{padding:8px}.chart svg{display:block;width:100%;height:auto}.narrow{max-width:620px;margin-bottom:12px}.trend{display:block;color:#2c6ecb}\
.card small{display:block}.period{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:12px 0}\
.inline{display:flex;flex-wrap:wrap;gap:8px}h3{font-size:1rem;margin:4px 0 8px}";

/// Saves the inputs and downloads exports with the session token.
pub const SCRIPT: &str = r#"(function(){
var cfg=JSON.parse(document.getElementById('metrics-config').textContent);
function api(path,opts){opts=opts||{};opts.headers=Object.assign({'Authorization':'Bearer '+cfg.token,'Accept-Language':cfg.lang},opts.headers||{});return fetch(path,opts);}
var q='?from='+encodeURIComponent(cfg.from)+'&to='+encodeURIComponent(cfg.to)+'&locale='+encodeURIComponent(cfg.lang);
document.querySelectorAll('[data-export]').forEach(function(b){b.addEventListener('click',function(){
 var table=b.getAttribute('data-export');b.disabled=true;
 api('/api/metrics/export/'+table+q).then(function(r){if(!r.ok)throw new Error(r.status);return r.blob();}).then(function(blob){
  var a=document.createElement('a');a.href=URL.createObjectURL(blob);a.download='flywheel-'+table+'-'+cfg.from+'-'+cfg.to+'.csv';document.body.appendChild(a);a.click();a.remove();
 }).catch(function(){alert(cfg.texts.request_failed);}).finally(function(){b.disabled=false;});});});
var form=document.getElementById('metrics-settings'),msg=document.getElementById('settings-msg');
function minor(v){v=(v||'').trim().replace(',','.');if(!v)return null;var n=Number(v);if(!isFinite(n)||n<0)return NaN;return Math.round(n*Math.pow(10,cfg.minor_digits));}
form.addEventListener('submit',function(e){e.preventDefault();
 var s=cfg.settings;s.default_margin_percent=parseInt(form.default_margin_percent.value,10);
 var bad=false;form.querySelectorAll('[data-month]').forEach(function(i){var m=minor(i.value);if(m===null){delete s.acquisition_spend[i.dataset.month];}else if(isNaN(m)){bad=true;}else{s.acquisition_spend[i.dataset.month]=m;}});
 s.sales=form.sales.value.split('\n').map(function(l){return l.trim();}).filter(Boolean).map(function(l){var p=l.split(/\s+/);return {from:p[0],to:p[1],name:p.slice(2).join(' ')};});
 s.product_margins={};form.product_margins.value.split('\n').map(function(l){return l.trim();}).filter(Boolean).forEach(function(l){var p=l.split(/\s+/);s.product_margins[p[0]]=parseInt(p[1],10);});
 if(bad){msg.textContent=cfg.texts.invalid_number;return;}
 msg.textContent=cfg.texts.saving;
 api('/api/metrics/settings',{method:'PUT',headers:{'Content-Type':'application/json'},body:JSON.stringify(s)}).then(function(r){return r.json().then(function(j){return [r,j];});}).then(function(x){
  if(x[0].ok){msg.textContent=cfg.texts.saved;}else{msg.textContent=x[1].message||cfg.texts.request_failed;}
 }).catch(function(){msg.textContent=cfg.texts.request_failed;});});
})();"#;

/// The history imports, newest first: where each stands.
pub fn imports_card(lang: &str, imports: &[entity::history_imports::Model]) -> String {
    let Some(latest) = imports.first() else {
        return String::new();
    };
    let status = t(lang, &format!("metrics.import.status.{}", latest.status));
    let stage = t(lang, &format!("metrics.import.stage.{}", latest.stage));
    let share = (latest.object_count > 0 && latest.status == "running")
        .then(|| (latest.lines_done as f64 / latest.object_count as f64).min(1.0));
    let bar = share.map_or_else(String::new, |s| {
        format!(
            "<progress max=\"100\" value=\"{:.0}\" aria-label=\"{}\"></progress> {:.0}%",
            s * 100.0,
            escape(&stage),
            s * 100.0
        )
    });
    let counts = tf(
        lang,
        "metrics.import.counts",
        &[
            ("customers", &latest.customers.to_string()),
            ("orders", &latest.orders.to_string()),
            ("items", &latest.line_items.to_string()),
        ],
    );
    let error = latest
        .error
        .as_deref()
        .map(|e| format!("<p class=\"msg\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    format!(
        "<section class=\"card\" id=\"history-import\"><h2>{}</h2><p><b>{}</b> · {} · {}</p>{bar}{error}</section>",
        escape(&t(lang, "metrics.import.title")),
        escape(&status),
        escape(&stage),
        escape(&counts),
    )
}
