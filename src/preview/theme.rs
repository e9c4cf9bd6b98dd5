//! The theme app extension as the storefront renders it, without a store: the
//! real block and snippet files from `theme-extension/` (compiled in), parsed
//! by a Liquid engine with the platform's `t` and `json` filters, and
//! rendered with `product`, `shop`, `customer` and `block.settings` filled in.
use liquid::ParserBuilder;
use liquid::partials::{EagerCompiler, InMemorySource};
use liquid_core::parser::{FilterArguments, ParameterReflection};
use liquid_core::runtime::{Expression, Runtime};
use liquid_core::{Filter, FilterReflection, ParseFilter, Value, ValueView};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};

macro_rules! extension_files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/theme-extension/", $path)))),*]
    };
}

/// Every file of the extension the preview uses, by path inside `theme-extension/`.
pub const FILES: &[(&str, &str)] = extension_files!(
    "blocks/delivery-estimate.liquid",
    "blocks/cart-delivery-estimate.liquid",
    "blocks/policy-badges.liquid",
    "blocks/loyalty-banner.liquid",
    "blocks/loyalty-launcher.liquid",
    "blocks/trust-note.liquid",
    "blocks/reviews.liquid",
    "blocks/star-rating.liquid",
    "blocks/support-contact.liquid",
    "snippets/flywheel-badge.liquid",
    "snippets/flywheel-delivery.liquid",
    "snippets/flywheel-icon.liquid",
    "snippets/flywheel-loyalty.liquid",
    "snippets/flywheel-review.liquid",
    "snippets/flywheel-review-form.liquid",
    "snippets/flywheel-reviews-jsonld.liquid",
    "snippets/flywheel-stars.liquid",
    "assets/flywheel.js",
    "assets/flywheel-reviews.js",
    "assets/flywheel.css",
    "locales/en.default.json",
    "locales/it.json",
    "locales/fr.json",
);

pub fn file(path: &str) -> Option<&'static str> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, body)| *body)
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("no block `{0}` in the extension")]
    NoSuchBlock(String),
    #[error("the block's schema is not valid JSON: {0}")]
    Schema(String),
    #[error("liquid: {0}")]
    Liquid(String),
}

impl From<liquid::Error> for ThemeError {
    fn from(e: liquid::Error) -> Self {
        ThemeError::Liquid(e.to_string())
    }
}

/// Splits a block into its Liquid and its `{% schema %}` JSON.
fn split_schema(source: &str) -> (String, Option<&str>) {
    let Some(start) = source.find("{% schema %}") else {
        return (source.to_owned(), None);
    };
    let body_start = start + "{% schema %}".len();
    let end = source[body_start..]
        .find("{% endschema %}")
        .map_or(source.len(), |e| body_start + e);
    let after = (end + "{% endschema %}".len()).min(source.len());
    let liquid = format!("{}{}", &source[..start], &source[after..]);
    (liquid, Some(&source[body_start..end]))
}

/// The engine has no `{% liquid %}` tag: each of its lines becomes a tag of its own.
fn expand_liquid_tags(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%- liquid").or_else(|| rest.find("{% liquid")) {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("%}") else {
            break;
        };
        let inner = &rest[start..start + end];
        let inner = inner
            .trim_start_matches("{%-")
            .trim_start_matches("{%")
            .trim_start()
            .trim_start_matches("liquid")
            .trim_end_matches('-');
        for line in inner.lines().map(str::trim).filter(|l| !l.is_empty()) {
            out.push_str("{%- ");
            out.push_str(line);
            out.push_str(" -%}");
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// Nested locale JSON as dotted keys: `blocks.loyalty.pitch`.
fn flatten(prefix: &str, value: &Json, out: &mut HashMap<String, String>) {
    match value {
        Json::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Json::String(s) => {
            out.insert(prefix.to_owned(), s.clone());
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

/// The storefront strings of one language, English filling any gap.
fn strings(locale: &str) -> HashMap<String, String> {
    let mut all = HashMap::new();
    let load = |path: &str, out: &mut HashMap<String, String>| {
        if let Some(json) = file(path).and_then(|f| serde_json::from_str::<Json>(f).ok()) {
            flatten("", &json, out);
        }
    };
    load("locales/en.default.json", &mut all);
    if locale != "en" {
        load(&format!("locales/{locale}.json"), &mut all);
    }
    all
}

/// `{{ 'key' | t: name: value }}` as the platform translates it; with `count:`,
/// a key holding `one`/`other` forms picks the language's form.
#[derive(Clone)]
struct Translate {
    locale: &'static str,
    strings: Arc<HashMap<String, String>>,
}

impl FilterReflection for Translate {
    fn name(&self) -> &str {
        "t"
    }
    fn description(&self) -> &str {
        "Translates a key from the extension's locale files."
    }
    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for Translate {
    fn parse(&self, arguments: FilterArguments) -> liquid_core::Result<Box<dyn Filter>> {
        let values = arguments.keyword.map(|(k, e)| (k.to_owned(), e)).collect();
        Ok(Box::new(TranslateFilter {
            locale: self.locale,
            strings: self.strings.clone(),
            values,
        }))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

struct TranslateFilter {
    locale: &'static str,
    strings: Arc<HashMap<String, String>>,
    values: Vec<(String, Expression)>,
}

impl fmt::Debug for TranslateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("t")
    }
}

impl fmt::Display for TranslateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("t")
    }
}

/// CLDR's cardinal category for `count`, as far as the extension's languages
/// go: French says "one" for 0 and 1, English and Italian for 1 only.
fn plural_category(locale: &str, count: f64) -> &'static str {
    let one = match locale {
        "fr" => (0.0..2.0).contains(&count),
        _ => count == 1.0,
    };
    if one { "one" } else { "other" }
}

impl Filter for TranslateFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> liquid_core::Result<Value> {
        let key = input.to_kstr().to_string();
        let mut values = Vec::with_capacity(self.values.len());
        for (name, expression) in &self.values {
            values.push((name, expression.evaluate(runtime)?.to_kstr().to_string()));
        }
        let count = values
            .iter()
            .find(|(name, _)| *name == "count")
            .and_then(|(_, value)| value.parse::<f64>().ok());
        let plural = |category: &str| self.strings.get(&format!("{key}.{category}"));
        let mut text = self
            .strings
            .get(&key)
            .or_else(|| count.and_then(|n| plural(plural_category(self.locale, n))))
            .or_else(|| plural("other"))
            .cloned()
            .unwrap_or(key);
        for (name, value) in &values {
            text = text
                .replace(&format!("{{{{ {name} }}}}"), value)
                .replace(&format!("{{{{{name}}}}}"), value);
        }
        Ok(Value::scalar(text))
    }
}

/// `{{ value | json }}` as the platform writes it: the value as JSON, with `<`,
/// `>` and `&` escaped (`\u003c`…) so a string can never close the `<script>`
/// it is written into, nor start an HTML comment or entity there.
#[derive(Clone)]
struct JsonEncode;

impl FilterReflection for JsonEncode {
    fn name(&self) -> &str {
        "json"
    }
    fn description(&self) -> &str {
        "Writes the value as JSON, safe inside a script element."
    }
    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for JsonEncode {
    fn parse(&self, mut arguments: FilterArguments) -> liquid_core::Result<Box<dyn Filter>> {
        if arguments.positional.next().is_some() || arguments.keyword.next().is_some() {
            return Err(liquid_core::Error::with_msg("`json` takes no arguments"));
        }
        Ok(Box::new(JsonFilter))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

#[derive(Debug)]
struct JsonFilter;

impl fmt::Display for JsonFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("json")
    }
}

impl Filter for JsonFilter {
    fn evaluate(&self, input: &dyn ValueView, _: &dyn Runtime) -> liquid_core::Result<Value> {
        let json = serde_json::to_string(&input.to_value())
            .map_err(|e| liquid_core::Error::with_msg(format!("`json`: {e}")))?;
        Ok(Value::scalar(script_safe(&json)))
    }
}

/// JSON text that cannot end a `<script>` element: the characters HTML cares
/// about (and the two line separators JavaScript does) as `\uXXXX` escapes,
/// which only ever occur inside JSON strings.
fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A block's settings: the schema's defaults, with `overrides` on top.
pub fn block_settings(block: &str, overrides: &Map<String, Json>) -> Result<Json, ThemeError> {
    let source = file(&format!("blocks/{block}.liquid"))
        .ok_or_else(|| ThemeError::NoSuchBlock(block.to_owned()))?;
    let mut settings = Map::new();
    if let (_, Some(schema)) = split_schema(source) {
        let schema: Json =
            serde_json::from_str(schema).map_err(|e| ThemeError::Schema(e.to_string()))?;
        for setting in schema["settings"].as_array().into_iter().flatten() {
            if let Some(id) = setting["id"].as_str() {
                settings.insert(
                    id.to_owned(),
                    setting.get("default").cloned().unwrap_or(Json::Null),
                );
            }
        }
    }
    for (k, v) in overrides {
        settings.insert(k.clone(), v.clone());
    }
    Ok(Json::Object(settings))
}

/// One parser per language, built once: the snippets compiled in, `t` bound
/// to that language's strings.
fn parser(locale: &str) -> Result<&'static liquid::Parser, ThemeError> {
    static PARSERS: OnceLock<Result<HashMap<&'static str, liquid::Parser>, String>> =
        OnceLock::new();
    let parsers = PARSERS.get_or_init(|| {
        crate::i18n::LOCALES
            .iter()
            .map(|locale| {
                let mut partials = InMemorySource::new();
                for (path, body) in FILES {
                    if let Some(name) = path
                        .strip_prefix("snippets/")
                        .and_then(|p| p.strip_suffix(".liquid"))
                    {
                        partials.add(name, expand_liquid_tags(body));
                    }
                }
                ParserBuilder::with_stdlib()
                    .filter(Translate {
                        locale,
                        strings: Arc::new(strings(locale)),
                    })
                    .filter(JsonEncode)
                    .partials(EagerCompiler::new(partials))
                    .build()
                    .map(|parser| (*locale, parser))
                    .map_err(|e| e.to_string())
            })
            .collect()
    });
    let parsers = parsers
        .as_ref()
        .map_err(|e| ThemeError::Liquid(e.clone()))?;
    parsers
        .get(crate::i18n::negotiate(Some(locale)))
        .ok_or_else(|| ThemeError::Liquid(format!("no parser for `{locale}`")))
}

/// Renders one block with `globals` (product, shop, customer, request…) and its settings.
pub fn render_block(
    block: &str,
    locale: &str,
    globals: &Json,
    settings: &Json,
) -> Result<String, ThemeError> {
    let source = file(&format!("blocks/{block}.liquid"))
        .ok_or_else(|| ThemeError::NoSuchBlock(block.to_owned()))?;
    let (liquid, _) = split_schema(source);
    let template = parser(locale)?.parse(&expand_liquid_tags(&liquid))?;
    let mut scope = globals.as_object().cloned().unwrap_or_default();
    scope.insert(
        "block".into(),
        serde_json::json!({ "id": format!("preview-{block}"), "settings": settings }),
    );
    let object = liquid::model::to_object(&Json::Object(scope))?;
    Ok(template.render(&object)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liquid_tags_become_single_tags() {
        let out = expand_liquid_tags("a{%- liquid\n  assign x = 1\n  if x\n  endif\n-%}b");
        assert_eq!(out, "a{%- assign x = 1 -%}{%- if x -%}{%- endif -%}b");
    }

    #[test]
    fn schema_is_split_from_the_markup() {
        let (liquid, schema) =
            split_schema("<p>x</p>\n{% schema %}{\"name\": \"n\"}{% endschema %}\n");
        assert_eq!(liquid.trim(), "<p>x</p>");
        assert_eq!(schema, Some("{\"name\": \"n\"}"));
    }

    /// The app's reviews metafield as the backend writes it, with a review
    /// whose text tries to break out of the JSON-LD script.
    fn reviews_summary() -> Json {
        serde_json::json!({
            "average": 4.6, "average_text": "4.6", "count": 128,
            "histogram": [
                {"stars": 5, "count": 90, "percent": 70},
                {"stars": 4, "count": 25, "percent": 20},
                {"stars": 3, "count": 8, "percent": 6},
                {"stars": 2, "count": 3, "percent": 2},
                {"stars": 1, "count": 2, "percent": 2}
            ],
            "photos": [{"thumb": "https://cdn.example/t.jpg", "display": "https://cdn.example/d.jpg", "review_id": 12}],
            "reviews": [
                {"id": 12, "rating": 5, "title": "Great \"mat\"", "body": "Line one\n</script><script>alert(1)</script> & more",
                    "author": "Giulia R.", "verified": true, "date": "2026-11-01", "helpful": 3, "featured": false,
                    "reply": "Thanks!", "photos": [{"thumb": "https://cdn.example/t.jpg", "display": "https://cdn.example/d.jpg"}]},
                {"id": 9, "rating": 4, "title": "", "body": "Good.", "author": "", "verified": false,
                    "date": "2026-10-20", "helpful": 0, "featured": false, "reply": null, "photos": []}
            ]
        })
    }

    fn globals(metafields: Json) -> Json {
        serde_json::json!({
            "product": {"id": 1, "title": "Mat </script>", "vendor": "Porto", "tags": ["cork"],
                "selected_or_first_available_variant": {"id": 11}, "metafields": metafields},
            "shop": {"name": "Demo", "customer_accounts_enabled": true, "customer_accounts_optional": true},
            "routes": {"account_login_url": "/account/login", "account_register_url": "/account/register"},
            "request": {"locale": {"iso_code": "it"}},
            "localization": {"country": {"iso_code": "IT"}},
            "cart": {"item_count": 1, "items": [{"product_id": 1}]},
            "app": {"metafields": {"flywheel": {"returns_days": {"value": 30},
                "support_first_reply_hours": {"value": 4}, "support_resolution_hours": {"value": 48},
                "support_show_standards": {"value": true}}}},
        })
    }

    fn render(block: &str, locale: &str, globals: &Json) -> String {
        let settings = block_settings(block, &Map::new()).expect("settings");
        render_block(block, locale, globals, &settings)
            .unwrap_or_else(|e| panic!("{block} in {locale}: {e}"))
    }

    /// The text of the first `<script type="application/ld+json">` in `html`.
    fn json_ld(html: &str) -> Option<&str> {
        let start = html.find("<script type=\"application/ld+json\"")?;
        let body = start + html[start..].find('>')? + 1;
        let end = body + html[body..].find("</script>")?;
        Some(&html[body..end])
    }

    #[test]
    fn every_block_renders_in_every_language() {
        let with_reviews =
            globals(serde_json::json!({"$app:reviews": {"summary": {"value": reviews_summary()}}}));
        let without = globals(serde_json::json!({}));
        for block in [
            "delivery-estimate",
            "cart-delivery-estimate",
            "policy-badges",
            "loyalty-banner",
            "loyalty-launcher",
            "trust-note",
            "reviews",
            "star-rating",
            "support-contact",
        ] {
            for locale in ["en", "it", "fr"] {
                for globals in [&with_reviews, &without] {
                    let html = render(block, locale, globals);
                    assert!(
                        !html.contains("blocks."),
                        "{block} in {locale} left a key untranslated: {html}"
                    );
                    assert!(!html.contains("{%"), "{block} in {locale}: {html}");
                }
            }
        }
        let badges = render("policy-badges", "fr", &without);
        assert!(badges.contains("30"), "{badges}");
    }

    #[test]
    fn reviews_render_from_the_metafield_with_escaped_text() {
        let html = render(
            "reviews",
            "en",
            &globals(
                serde_json::json!({"$app:reviews": {"summary": {"value": reviews_summary()}}}),
            ),
        );
        assert!(html.contains("Based on 128 reviews"), "{html}");
        assert!(
            html.contains("<time datetime=\"2026-11-01\" data-fw-date>"),
            "{html}"
        );
        assert!(html.contains("Anonymous customer"), "{html}");
        assert!(html.contains("Reply from Demo"), "{html}");
        assert!(html.contains("action=\"/apps/flywheel/reviews\""), "{html}");
        assert!(html.contains("<template data-fw-template>"), "{html}");
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the JSON-LD: {html}"
        );
        assert!(!html.contains("<script>alert"), "{html}");
    }

    #[test]
    fn reviews_json_ld_parses_and_carries_the_aggregate() {
        let html = render(
            "reviews",
            "fr",
            &globals(
                serde_json::json!({"$app:reviews": {"summary": {"value": reviews_summary()}}}),
            ),
        );
        let script = json_ld(&html).unwrap_or_else(|| panic!("no JSON-LD: {html}"));
        assert!(!script.contains('<'), "{script}");
        let ld: Json = serde_json::from_str(script).unwrap_or_else(|e| panic!("{e}: {script}"));
        assert_eq!(ld["@type"], "Product");
        assert_eq!(ld["name"], "Mat </script>");
        assert_eq!(ld["aggregateRating"]["@type"], "AggregateRating");
        assert_eq!(ld["aggregateRating"]["ratingValue"], 4.6);
        assert_eq!(ld["aggregateRating"]["reviewCount"], 128);
        let reviews = ld["review"].as_array().expect("reviews");
        assert_eq!(reviews.len(), 2);
        assert_eq!(reviews[0]["name"], "Great \"mat\"");
        assert_eq!(
            reviews[0]["reviewBody"],
            "Line one\n</script><script>alert(1)</script> & more"
        );
        assert_eq!(reviews[0]["reviewRating"]["ratingValue"], 5);
        assert_eq!(reviews[1]["author"]["name"], "Client anonyme");
        assert!(reviews[1].get("name").is_none(), "no title, no name");
    }

    #[test]
    fn reviews_without_any_invite_the_first_and_leave_out_json_ld() {
        let empty = serde_json::json!({"average": null, "average_text": "", "count": 0,
            "histogram": [], "photos": [], "reviews": []});
        for metafields in [
            serde_json::json!({}),
            serde_json::json!({"$app:reviews": {"summary": {"value": empty}}}),
        ] {
            let html = render("reviews", "it", &globals(metafields));
            assert!(html.contains("Ancora nessuna recensione"), "{html}");
            assert!(html.contains("<details class=\"fw-write\" open>"), "{html}");
            assert!(json_ld(&html).is_none(), "{html}");
        }
    }

    #[test]
    fn star_rating_reads_either_metafield_and_is_silent_without() {
        let none = render("star-rating", "en", &globals(serde_json::json!({})));
        assert_eq!(none.trim(), "");
        let app = render(
            "star-rating",
            "en",
            &globals(
                serde_json::json!({"$app:reviews": {"summary": {"value": reviews_summary()}}}),
            ),
        );
        assert!(app.contains("Rated 4.6 out of 5, 128 reviews"), "{app}");
        assert!(app.contains("4.6 (128)"), "{app}");
        let standard = render(
            "star-rating",
            "it",
            &globals(serde_json::json!({"reviews": {
                "rating": {"value": {"rating": 9.2, "scale_min": 1, "scale_max": 10}},
                "rating_count": {"value": 1}
            }})),
        );
        assert!(
            standard.contains("Valutazione 4.6 su 5, 1 recensione"),
            "{standard}"
        );
    }

    #[test]
    fn json_filter_writes_json_that_cannot_end_a_script() {
        let text = "say \"hi\"\n</script><!-- & \u{2028}";
        let template = parser("en")
            .expect("parser")
            .parse("{{ s | json }}")
            .expect("parse");
        let out = template
            .render(&liquid::object!({ "s": text }))
            .expect("render");
        assert_eq!(
            out,
            r#""say \"hi\"\n\u003c/script\u003e\u003c!-- \u0026 \u2028""#
        );
        assert_eq!(serde_json::from_str::<String>(&out).expect("json"), text);
    }
}
