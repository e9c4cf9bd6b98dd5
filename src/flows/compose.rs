//! What every flow email shares: the greeting by first name, the subject
//! (with the name when there is one), the signature, the unsubscribe footer
//! of marketing mail, and the step from a rendered email to the outbox.
use super::settings::Flow;
use super::templates::{self, TemplateError};
use crate::emails::OutgoingEmail;
use crate::i18n::{t, tf};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// Who an email is for, and in which voice.
#[derive(Debug, Clone)]
pub struct Letter {
    pub flow: Flow,
    pub lang: &'static str,
    pub shop_name: String,
    pub first_name: Option<String>,
    /// Marketing mail: the one-click unsubscribe link.
    pub unsubscribe_url: Option<String>,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A link as a button: its label and where it goes.
pub fn button(label: String, url: String) -> Value {
    json!({ "label": label, "url": url })
}

impl Letter {
    fn key(&self, part: &str) -> String {
        format!("email.{}.{part}", self.flow.key())
    }

    /// `email.{flow}.{part}` with `args`.
    pub fn text(&self, part: &str, args: &[(&str, &str)]) -> String {
        tf(self.lang, &self.key(part), args)
    }

    pub fn greeting(&self) -> String {
        match &self.first_name {
            Some(name) => tf(self.lang, "email.post_purchase.greeting", &[("name", name)]),
            None => t(self.lang, "email.post_purchase.greeting_anonymous"),
        }
    }

    /// `email.{flow}.subject` with the name, or `subject_anonymous` without.
    pub fn subject(&self, args: &[(&str, &str)]) -> String {
        match &self.first_name {
            Some(name) => {
                let mut all = vec![("name", name.as_str())];
                all.extend_from_slice(args);
                self.text("subject", &all)
            }
            None => self.text("subject_anonymous", args),
        }
    }

    /// Renders `template` with the shared texts and values plus the flow's own.
    /// `texts` (sentences) and `data` (links, items, the code) are JSON objects.
    pub fn render(
        &self,
        template: &str,
        subject: String,
        paragraphs: &[String],
        texts: Value,
        data: Value,
    ) -> Result<Composed, TemplateError> {
        let mut all_texts: Map<String, Value> = Map::from_iter([
            ("greeting".to_owned(), json!(self.greeting())),
            (
                "signature".to_owned(),
                json!(tf(
                    self.lang,
                    "email.post_purchase.signature",
                    &[("shop", &self.shop_name)]
                )),
            ),
            (
                "why".to_owned(),
                json!(t(self.lang, "email.review_request.why")),
            ),
            (
                "unsubscribe".to_owned(),
                json!(t(self.lang, "email.unsubscribe")),
            ),
            ("highlight".to_owned(), json!("")),
        ]);
        if let Value::Object(own) = texts {
            all_texts.extend(own);
        }
        let mut globals: Map<String, Value> = Map::from_iter([
            ("lang".to_owned(), json!(self.lang)),
            ("shop_name".to_owned(), json!(self.shop_name)),
            ("paragraphs".to_owned(), json!(paragraphs)),
            ("unsubscribe_url".to_owned(), json!(self.unsubscribe_url)),
            ("button".to_owned(), Value::Null),
            ("code".to_owned(), Value::Null),
            ("texts".to_owned(), Value::Object(all_texts)),
        ]);
        if let Value::Object(own) = data {
            globals.extend(own);
        }
        let (html, text) = templates::render(template, &Value::Object(globals))?;
        Ok(Composed {
            subject,
            html,
            text,
        })
    }

    /// The outbox entry for `composed`, keyed so it is written once.
    pub fn outgoing(
        &self,
        composed: Composed,
        shop: &entity::shops::Model,
        customer_id: Option<i64>,
        to: String,
        key: String,
        now: DateTime<Utc>,
    ) -> OutgoingEmail {
        OutgoingEmail {
            shop_id: shop.id,
            customer_id,
            flow: self.flow.key().to_owned(),
            marketing: self.flow.is_marketing(),
            locale: self.lang.to_owned(),
            to,
            subject: composed.subject,
            html: composed.html,
            text: composed.text,
            unsubscribe_url: self.unsubscribe_url.clone(),
            reply_to: shop.email.clone(),
            key,
            send_at: now,
        }
    }
}
