//! Email templates: one HTML and one plain-text Liquid file per flow, under
//! `templates/emails/`, compiled in; files starting with `_` are the shared
//! pieces (`{% include '_top.html' %}`). The templates lay out; every sentence
//! comes from the locale files (en, it, fr), already personalised, as
//! `texts.*`; data (items, links) come as plain values and are escaped by
//! the template.
use liquid::ParserBuilder;
use liquid::partials::{EagerCompiler, InMemorySource};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/emails/", $name)))),*]
    };
}

const FILES: &[(&str, &str)] = templates!(
    "post_purchase.html.liquid",
    "post_purchase.txt.liquid",
    "review_request.html.liquid",
    "review_request.txt.liquid",
    "delivery_checkin.html.liquid",
    "delivery_checkin.txt.liquid",
    "survey.html.liquid",
    "survey.txt.liquid",
    "offer.html.liquid",
    "offer.txt.liquid",
    "note.html.liquid",
    "note.txt.liquid",
    "support_reply.html.liquid",
    "support_reply.txt.liquid",
);

/// The shared pieces the flow templates include.
const PARTIALS: &[(&str, &str)] = templates!(
    "_top.html.liquid",
    "_bottom.html.liquid",
    "_bottom.txt.liquid",
    "_button.html.liquid",
);

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no email template `{0}`")]
    Missing(String),
    #[error("email template: {0}")]
    Liquid(String),
}

fn compiled() -> Result<&'static HashMap<&'static str, liquid::Template>, TemplateError> {
    static TEMPLATES: OnceLock<Result<HashMap<&'static str, liquid::Template>, String>> =
        OnceLock::new();
    TEMPLATES
        .get_or_init(|| {
            let mut partials = InMemorySource::new();
            for (name, source) in PARTIALS {
                partials.add(name.trim_end_matches(".liquid"), *source);
            }
            let parser = ParserBuilder::with_stdlib()
                .partials(EagerCompiler::new(partials))
                .build()
                .map_err(|e| e.to_string())?;
            FILES
                .iter()
                .map(|(name, source)| {
                    parser
                        .parse(source)
                        .map(|t| (*name, t))
                        .map_err(|e| format!("{name}: {e}"))
                })
                .collect()
        })
        .as_ref()
        .map_err(|e| TemplateError::Liquid(e.clone()))
}

/// Renders `{flow}.html.liquid` and `{flow}.txt.liquid` with `globals`.
pub fn render(flow: &str, globals: &Value) -> Result<(String, String), TemplateError> {
    let templates = compiled()?;
    let object =
        liquid::model::to_object(globals).map_err(|e| TemplateError::Liquid(e.to_string()))?;
    let one = |kind: &str| -> Result<String, TemplateError> {
        let name = format!("{flow}.{kind}.liquid");
        templates
            .get(name.as_str())
            .ok_or(TemplateError::Missing(name))?
            .render(&object)
            .map_err(|e| TemplateError::Liquid(e.to_string()))
    };
    Ok((one("html")?, one("txt")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_template_compiles_and_escapes_what_it_is_given() {
        let globals = json!({
            "lang": "en", "shop_name": "Bottega <b>",
            "texts": {"greeting": "Hi <Giulia>,", "thanks": "t", "delivery": "d", "delivery_note": "n",
                "warm": "w", "signature": "s"},
            "items": [{"title": "Mat & strap", "quantity": 2}],
        });
        let (html, text) = render("post_purchase", &globals).expect("renders");
        assert!(html.contains("Hi &lt;Giulia&gt;,") && html.contains("Mat &amp; strap"));
        assert!(!html.contains("<b>"));
        assert!(text.contains("Hi <Giulia>,") && text.contains("- Mat & strap × 2"));
        assert!(matches!(
            render("nope", &globals),
            Err(TemplateError::Missing(_))
        ));
    }
}
