//! The storefront budget (DESIGN.md), checked on the theme app extension's
//! files alone: no server, no database. `scripts/theme-check` runs Shopify's
//! own linter over the same files; this test holds what that linter does not:
//! every text in all three languages, every script deferred, no request off
//! the shop, and the gzipped JS and CSS budgets.
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LANGUAGES: [&str; 3] = ["en.default", "it", "fr"];
const TARGETS: [&str; 4] = ["section", "body", "head", "compliance_head"];
/// Gzipped bytes across all files of a kind (1 KB = 1,000 bytes, as Theme Check counts).
const JS_BUDGET: usize = 10_000;
const CSS_BUDGET: usize = 4_000;

fn extension() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("theme-extension")
}

fn files(dir: &str, extension_name: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(extension().join(dir))
        .map(|entries| {
            entries
                .map(|entry| entry.expect("directory entry").path())
                .filter(|path| path.extension().is_some_and(|e| e == extension_name))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn name(path: &Path) -> String {
    path.strip_prefix(extension())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Blocks and snippets: every Liquid file of the extension.
fn liquid_files() -> Vec<(String, String)> {
    let mut all = files("blocks", "liquid");
    all.extend(files("snippets", "liquid"));
    all.iter().map(|path| (name(path), read(path))).collect()
}

/// `{% name %}` tags (with or without whitespace control) as byte ranges.
fn tags<'a>(source: &'a str, tag: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
    source.match_indices("{%").filter_map(move |(start, _)| {
        let end = start + source[start..].find("%}")? + 2;
        let inner = source[start + 2..end - 2].trim_matches('-').trim();
        (inner == tag).then_some((start, end))
    })
}

/// The JSON between `{% schema %}` and `{% endschema %}`, if there is exactly one.
fn schema(source: &str) -> Option<Value> {
    let opens: Vec<_> = tags(source, "schema").collect();
    let closes: Vec<_> = tags(source, "endschema").collect();
    let ([(_, body_start)], [(body_end, _)]) = (opens.as_slice(), closes.as_slice()) else {
        return None;
    };
    serde_json::from_str(source.get(*body_start..*body_end)?).ok()
}

/// A locale file flattened to `a.b.c` -> text.
fn locale(file: &str) -> BTreeMap<String, String> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>, file: &str) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&path, value, out, file);
                }
            }
            Value::String(text) => {
                out.insert(prefix.to_string(), text.clone());
            }
            other => panic!("locales/{file}: {prefix} is {other}, not a text"),
        }
    }
    let path = extension().join("locales").join(file);
    let json: Value = serde_json::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("locales/{file} is not JSON: {e}"));
    let mut out = BTreeMap::new();
    walk("", &json, &mut out, file);
    out
}

fn storefront_locales() -> Vec<(String, BTreeMap<String, String>)> {
    LANGUAGES
        .iter()
        .map(|lang| {
            let file = format!("{lang}.json");
            let keys = locale(&file);
            (file, keys)
        })
        .collect()
}

fn schema_locales() -> Vec<(String, BTreeMap<String, String>)> {
    LANGUAGES
        .iter()
        .map(|lang| {
            let file = format!("{lang}.schema.json");
            let keys = locale(&file);
            (file, keys)
        })
        .collect()
}

/// Keys passed to the `t` filter: `'a.b' | t`, `"a.b" | t: n: 1`, `'a.b' | t | escape`.
fn translated_keys(source: &str) -> BTreeSet<String> {
    let is_key = |s: &str| {
        s.contains('.')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
    };
    let mut keys = BTreeSet::new();
    for (open, quote) in source
        .char_indices()
        .filter(|(_, c)| *c == '\'' || *c == '"')
    {
        let rest = &source[open + 1..];
        let Some(close) = rest.find(quote) else {
            continue;
        };
        let candidate = &rest[..close];
        let after = rest[close + 1..].trim_start();
        let Some(filter) = after.strip_prefix('|') else {
            continue;
        };
        let filter = filter.trim_start();
        let is_t = filter
            .strip_prefix('t')
            .is_some_and(|tail| !tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
        if is_t && is_key(candidate) {
            keys.insert(candidate.to_string());
        }
    }
    keys
}

/// Every `"t:..."` string anywhere in a schema.
fn schema_keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => {
            if let Some(key) = text.strip_prefix("t:") {
                out.insert(key.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|item| schema_keys(item, out)),
        Value::Object(map) => map.values().for_each(|item| schema_keys(item, out)),
        _ => {}
    }
}

/// `{{ name }}` placeholders in a translation.
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split("{{")
        .skip(1)
        .filter_map(|part| {
            part.split_once("}}")
                .map(|(name, _)| name.trim().to_string())
        })
        .collect()
}

fn same_keys_in_every_language(locales: &[(String, BTreeMap<String, String>)]) {
    let (default_file, default) = &locales[0];
    for (file, keys) in locales {
        for (key, text) in keys {
            assert!(!text.trim().is_empty(), "locales/{file}: {key} is empty");
            let Some(default_text) = default.get(key) else {
                panic!("locales/{file}: {key} is not in locales/{default_file}");
            };
            assert_eq!(
                placeholders(text),
                placeholders(default_text),
                "locales/{file}: {key} has other placeholders than locales/{default_file}"
            );
        }
        for key in default.keys() {
            assert!(keys.contains_key(key), "locales/{file}: {key} is missing");
        }
    }
}

#[test]
fn every_block_has_a_valid_schema_and_its_assets_exist() {
    let blocks = files("blocks", "liquid");
    assert!(
        blocks.len() >= 6,
        "the extension's blocks are missing: {blocks:?}"
    );
    for path in &blocks {
        let file = name(path);
        let schema = schema(&read(path))
            .unwrap_or_else(|| panic!("{file}: no single {{% schema %}} with valid JSON"));
        assert!(
            schema["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{file}: the schema has no name"
        );
        let target = schema["target"].as_str().unwrap_or_default();
        assert!(
            TARGETS.contains(&target),
            "{file}: target {target:?} is none of {TARGETS:?}"
        );
        for (attribute, kind) in [("javascript", "js"), ("stylesheet", "css")] {
            let Some(asset) = schema.get(attribute) else {
                continue;
            };
            let asset = asset
                .as_str()
                .unwrap_or_else(|| panic!("{file}: {attribute} must name one file"));
            assert!(
                asset.ends_with(&format!(".{kind}")),
                "{file}: {attribute} {asset} is not a .{kind} file"
            );
            assert!(
                extension().join("assets").join(asset).is_file(),
                "{file}: {attribute} {asset} is not in assets/"
            );
        }
    }
}

#[test]
fn every_storefront_text_exists_in_every_language() {
    let locales = storefront_locales();
    same_keys_in_every_language(&locales);
    let mut used = BTreeSet::new();
    for (file, source) in liquid_files() {
        for key in translated_keys(&source) {
            for (locale_file, keys) in &locales {
                // A text with plural forms (`t: count: n`) is an object of `one`, `other`…
                let plural = format!("{key}.other");
                assert!(
                    keys.contains_key(&key) || keys.contains_key(&plural),
                    "{file}: '{key}' | t is not in locales/{locale_file}"
                );
            }
            used.insert(key);
        }
    }
    let unused: Vec<_> = locales[0]
        .1
        .keys()
        .filter(|key| {
            let plural_of = key.rsplit_once('.').map(|(base, _)| base.to_owned());
            !used.contains(*key) && !plural_of.is_some_and(|base| used.contains(&base))
        })
        .collect();
    assert!(
        unused.is_empty(),
        "storefront texts no block uses: {unused:?}"
    );
}

#[test]
fn every_setting_label_exists_in_every_language() {
    let locales = schema_locales();
    same_keys_in_every_language(&locales);
    for path in files("blocks", "liquid") {
        let file = name(&path);
        let Some(schema) = schema(&read(&path)) else {
            continue; // reported by every_block_has_a_valid_schema_and_its_assets_exist
        };
        let mut keys = BTreeSet::new();
        schema_keys(&schema, &mut keys);
        assert!(
            !keys.is_empty(),
            "{file}: the schema's texts are not translated"
        );
        for key in keys {
            for (locale_file, texts) in &locales {
                assert!(
                    texts.contains_key(&key),
                    "{file}: t:{key} is not in locales/{locale_file}"
                );
            }
        }
    }
}

#[test]
fn every_script_is_deferred_and_nothing_leaves_the_shop() {
    for (file, source) in liquid_files() {
        for (start, _) in source.match_indices("<script") {
            let tag = &source[start..start + source[start..].find('>').unwrap_or(0) + 1];
            // Structured data for search engines is data, not a script that runs.
            if tag.contains("type=\"application/ld+json\"") {
                continue;
            }
            assert!(
                tag.contains(" src=") && tag.contains(" defer"),
                "{file}: {tag} is not a deferred external script (use the schema's javascript)"
            );
        }
        // The JSON-LD vocabulary's name is an identifier, never fetched.
        let source = source.replace("\"https://schema.org\"", "\"schema.org\"");
        for remote in ["http://", "https://", "src=\"//", "href=\"//"] {
            assert!(
                !source.contains(remote),
                "{file}: refers to another host ({remote})"
            );
        }
    }
    for path in files("assets", "js")
        .into_iter()
        .chain(files("assets", "css"))
    {
        let source = read(&path);
        for remote in [
            "http://",
            "https://",
            "url(",
            "@import",
            "import(",
            "XMLHttpRequest",
        ] {
            assert!(
                !source.contains(remote),
                "{}: {remote} could load something from elsewhere",
                name(&path)
            );
        }
    }
}

fn gzipped_size(path: &Path) -> usize {
    let out = Command::new("gzip")
        .arg("-c")
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .expect("gzip runs");
    assert!(out.status.success(), "gzip failed on {}", path.display());
    out.stdout.len()
}

#[test]
fn javascript_and_css_fit_the_budget() {
    for (kind, budget) in [("js", JS_BUDGET), ("css", CSS_BUDGET)] {
        let assets = files("assets", kind);
        assert!(!assets.is_empty(), "no .{kind} in assets/");
        let total: usize = assets.iter().map(|path| gzipped_size(path)).sum();
        assert!(
            total <= budget,
            "all .{kind} is {total} B gzipped, over the {budget} B budget"
        );
    }
}

#[test]
fn the_key_scanner_finds_translated_keys() {
    let keys = translated_keys(
        r#"<p title="{{ 'a.b' | t | escape }}">{{ "c.d" | t: days: 3 }}{{ 'e.f' | times: 2 }}{{ 'g.h' | truncate: 3 }}</p>
        {%- liquid
          assign x = 'i.j' | t
        -%}"#,
    );
    let expected: BTreeSet<String> = ["a.b", "c.d", "i.j"].map(String::from).into();
    assert_eq!(keys, expected);
}
