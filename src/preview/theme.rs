//! The theme app extension as the storefront renders it, without a store: the
//! real block and snippet files from `theme-extension/` (compiled in), parsed
//! by a Liquid engine with the platform's `t` and `asset_url` filters, and
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
    "snippets/flywheel-badge.liquid",
    "snippets/flywheel-delivery.liquid",
    "snippets/flywheel-icon.liquid",
    "snippets/flywheel-loyalty.liquid",
    "assets/flywheel.js",
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

/// `{{ 'key' | t: name: value }}` as the platform translates it.
#[derive(Clone)]
struct Translate {
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
            strings: self.strings.clone(),
            values,
        }))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

struct TranslateFilter {
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

impl Filter for TranslateFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> liquid_core::Result<Value> {
        let key = input.to_kstr().to_string();
        let mut text = self.strings.get(&key).cloned().unwrap_or(key);
        for (name, expression) in &self.values {
            let value = expression.evaluate(runtime)?.to_kstr().to_string();
            text = text
                .replace(&format!("{{{{ {name} }}}}"), &value)
                .replace(&format!("{{{{{name}}}}}"), &value);
        }
        Ok(Value::scalar(text))
    }
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
                        strings: Arc::new(strings(locale)),
                    })
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

    #[test]
    fn every_block_renders_in_every_language() {
        let globals = serde_json::json!({
            "product": {"id": 1, "title": "Mat", "vendor": "Porto", "tags": ["cork"],
                "selected_or_first_available_variant": {"id": 11}},
            "shop": {"name": "Demo", "customer_accounts_enabled": true, "customer_accounts_optional": true},
            "routes": {"account_login_url": "/account/login", "account_register_url": "/account/register"},
            "request": {"locale": {"iso_code": "it"}},
            "localization": {"country": {"iso_code": "IT"}},
            "cart": {"item_count": 1, "items": [{"product_id": 1}]},
            "app": {"metafields": {"flywheel": {"returns_days": {"value": 30}}}},
        });
        for block in [
            "delivery-estimate",
            "cart-delivery-estimate",
            "policy-badges",
            "loyalty-banner",
            "loyalty-launcher",
            "trust-note",
        ] {
            for locale in ["en", "it", "fr"] {
                let settings = block_settings(block, &Map::new()).expect("settings");
                let html = render_block(block, locale, &globals, &settings)
                    .unwrap_or_else(|e| panic!("{block} in {locale}: {e}"));
                assert!(
                    !html.contains("blocks."),
                    "{block} in {locale} left a key untranslated: {html}"
                );
                assert!(!html.contains("{%"), "{block} in {locale}: {html}");
            }
        }
        let badges = render_block(
            "policy-badges",
            "fr",
            &globals,
            &block_settings("policy-badges", &Map::new()).expect("settings"),
        )
        .expect("badges");
        assert!(badges.contains("30"), "{badges}");
    }
}
