//! A shop's review policy: what is published at once, what waits for the
//! merchant, how often one shopper may write, and what a privacy request
//! removes. Stored as JSON in `review_settings`; every field has a default.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewPolicy {
    /// Reviews with at least this many stars, and nothing else to hold them, go live at once.
    pub auto_publish_min_rating: i16,
    /// Reviews without a verified-buyer link are accepted (never marked verified).
    pub allow_unverified: bool,
    /// Hold every review without a verified-buyer link for the merchant.
    pub hold_unverified: bool,
    /// Hold reviews with links, e-mail addresses or phone numbers.
    pub hold_links: bool,
    /// Hold reviews with profanity (English, Italian and French lists).
    pub hold_profanity: bool,
    /// Hold shouting, repeated characters and copies of earlier reviews.
    pub hold_spam: bool,
    /// Reviews one IP address may submit per hour.
    pub max_per_ip_per_hour: u32,
    /// Reviews one customer may submit per day.
    pub max_per_customer_per_day: u32,
    /// How the author is shown.
    pub author_display: AuthorDisplay,
    /// `customers/redact` also deletes the customer's photos (their reviews are anonymised either way).
    pub redact_deletes_photos: bool,
    /// Days a verified review link stays valid.
    pub link_valid_days: u32,
}

impl Default for ReviewPolicy {
    fn default() -> Self {
        ReviewPolicy {
            auto_publish_min_rating: 4,
            allow_unverified: true,
            hold_unverified: false,
            hold_links: true,
            hold_profanity: true,
            hold_spam: true,
            max_per_ip_per_hour: 5,
            max_per_customer_per_day: 3,
            author_display: AuthorDisplay::FirstNameInitial,
            redact_deletes_photos: true,
            link_valid_days: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorDisplay {
    /// "Giulia R."
    FirstNameInitial,
    /// "Giulia"
    FirstName,
    /// Nobody's name.
    Anonymous,
}

impl ReviewPolicy {
    /// The fields out of range, for a 422 naming them all.
    pub fn problems(&self) -> Vec<&'static str> {
        let mut problems = Vec::new();
        if !(1..=6).contains(&self.auto_publish_min_rating) {
            problems.push("auto_publish_min_rating");
        }
        if self.max_per_ip_per_hour == 0 || self.max_per_ip_per_hour > 1000 {
            problems.push("max_per_ip_per_hour");
        }
        if self.max_per_customer_per_day == 0 || self.max_per_customer_per_day > 1000 {
            problems.push("max_per_customer_per_day");
        }
        if !(1..=365).contains(&self.link_valid_days) {
            problems.push("link_valid_days");
        }
        problems
    }

    /// The name shown for `first last` under this policy; None = anonymous.
    pub fn author_name(&self, full_name: &str) -> Option<String> {
        let mut words = full_name.split_whitespace();
        let first = words.next()?;
        let first = capitalise(first);
        match self.author_display {
            AuthorDisplay::Anonymous => None,
            AuthorDisplay::FirstName => Some(first),
            AuthorDisplay::FirstNameInitial => match words.last().and_then(|w| w.chars().next()) {
                Some(initial) => Some(format!("{first} {}.", initial.to_uppercase())),
                None => Some(first),
            },
        }
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_author_is_first_name_and_initial_by_default() {
        let policy = ReviewPolicy::default();
        assert_eq!(
            policy.author_name("giulia  rossi").as_deref(),
            Some("Giulia R.")
        );
        assert_eq!(
            policy.author_name("Jean-Luc de la Tour").as_deref(),
            Some("Jean-Luc T.")
        );
        assert_eq!(policy.author_name("Élodie").as_deref(), Some("Élodie"));
        assert_eq!(policy.author_name("   "), None);
        let anonymous = ReviewPolicy {
            author_display: AuthorDisplay::Anonymous,
            ..ReviewPolicy::default()
        };
        assert_eq!(anonymous.author_name("Giulia Rossi"), None);
    }

    #[test]
    fn a_partial_policy_reads_with_defaults_and_bad_values_are_named() {
        let policy: ReviewPolicy =
            serde_json::from_str(r#"{"auto_publish_min_rating": 5}"#).expect("reads");
        assert_eq!(policy.auto_publish_min_rating, 5);
        assert!(policy.hold_links);
        let bad = ReviewPolicy {
            auto_publish_min_rating: 0,
            max_per_ip_per_hour: 0,
            ..ReviewPolicy::default()
        };
        assert_eq!(bad.problems().len(), 2);
        assert!(serde_json::from_str::<ReviewPolicy>(r#"{"nope": 1}"#).is_err());
    }
}
