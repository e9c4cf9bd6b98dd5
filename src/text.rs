//! Text people type into the storefront's forms: cleaned before it is kept,
//! and email addresses checked for the shape a real one has.

/// What a person typed, kept to its lines: other control characters go, the ends are trimmed.
pub fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect::<String>()
        .replace("\r\n", "\n")
        .trim()
        .to_owned()
}

/// An address that could be real: something@domain.tld, no spaces.
pub fn plausible_email(email: &str) -> bool {
    let Some((user, domain)) = email.split_once('@') else {
        return false;
    };
    !user.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_text_is_cleaned_and_addresses_checked() {
        assert_eq!(clean_text("  hi\r\nthere\u{7}  "), "hi\nthere");
        assert!(plausible_email("a@b.co"));
        assert!(!plausible_email("a@b") && !plausible_email("a b@c.d") && !plausible_email("@c.d"));
    }
}
