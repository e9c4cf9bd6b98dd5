//! Merchant- and shopper-facing texts of the app's own pages, in English,
//! Italian and French (`locales/*.json`). The storefront blocks carry their own
//! locale files in `theme-extension/locales/`.
use std::collections::HashMap;
use std::sync::OnceLock;

pub const LOCALES: [&str; 3] = ["en", "it", "fr"];

type Catalogue = HashMap<String, String>;

fn catalogues() -> &'static HashMap<&'static str, Catalogue> {
    static CATALOGUES: OnceLock<HashMap<&'static str, Catalogue>> = OnceLock::new();
    CATALOGUES.get_or_init(|| {
        let sources = [
            ("en", include_str!("../locales/en.json")),
            ("it", include_str!("../locales/it.json")),
            ("fr", include_str!("../locales/fr.json")),
        ];
        sources
            .into_iter()
            .map(|(locale, text)| {
                // The files are compiled in and checked by the tests below.
                let catalogue: Catalogue =
                    serde_json::from_str(text).expect("locale files are valid JSON objects");
                (locale, catalogue)
            })
            .collect()
    })
}

/// The supported locale closest to `requested` ("it-IT" → "it"), else English.
pub fn negotiate(requested: Option<&str>) -> &'static str {
    let wanted = requested
        .unwrap_or("en")
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    LOCALES
        .iter()
        .copied()
        .find(|l| *l == wanted)
        .unwrap_or("en")
}

/// The text for `key`, falling back to English, then to the key itself.
pub fn t(locale: &str, key: &str) -> String {
    let all = catalogues();
    all.get(negotiate(Some(locale)))
        .and_then(|c| c.get(key))
        .or_else(|| all.get("en").and_then(|c| c.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_owned())
}

/// `t` with `{name}` placeholders filled in.
pub fn tf(locale: &str, key: &str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(locale, key), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_every_key() {
        let all = catalogues();
        let en = &all["en"];
        for locale in ["it", "fr"] {
            for key in en.keys() {
                assert!(all[locale].contains_key(key), "{locale} lacks {key}");
            }
            for key in all[locale].keys() {
                assert!(en.contains_key(key), "{locale} has stray key {key}");
            }
        }
    }

    #[test]
    fn negotiates_and_falls_back() {
        assert_eq!(negotiate(Some("it-IT")), "it");
        assert_eq!(negotiate(Some("FR")), "fr");
        assert_eq!(negotiate(Some("de")), "en");
        assert_eq!(negotiate(None), "en");
        assert_eq!(t("de", "dashboard.title"), t("en", "dashboard.title"));
        assert_ne!(t("it", "dashboard.title"), t("en", "dashboard.title"));
    }
}
