//! Referral fraud checks as plain values: a referral only counts between two
//! different people, so the same account, email, shipping address or browser
//! IP on both sides refuses the reward, with the reason recorded.
use std::collections::HashSet;

/// What we know about one side of a referral.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub customer_id: Option<i64>,
    pub emails: HashSet<String>,
    pub addresses: HashSet<String>,
    pub ips: HashSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FraudSignal {
    SameCustomer,
    SameEmail,
    SameAddress,
    SameIp,
}

impl FraudSignal {
    pub fn as_str(self) -> &'static str {
        match self {
            FraudSignal::SameCustomer => "same_customer",
            FraudSignal::SameEmail => "same_email",
            FraudSignal::SameAddress => "same_address",
            FraudSignal::SameIp => "same_ip",
        }
    }
}

/// Lower-cased, trimmed; for Gmail-style `name+tag@` the tag is dropped.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    let local = local.split('+').next().unwrap_or(local);
    Some(format!("{local}@{domain}"))
}

/// One comparable string for a street address: letters and digits only.
pub fn normalize_address(address1: &str, zip: &str, country: &str) -> Option<String> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let street = squash(address1);
    if street.is_empty() {
        return None;
    }
    Some(format!("{street}|{}|{}", squash(zip), squash(country)))
}

impl Identity {
    pub fn add_email(&mut self, email: Option<&str>) {
        if let Some(e) = email.and_then(normalize_email) {
            self.emails.insert(e);
        }
    }

    pub fn add_address(
        &mut self,
        address1: Option<&str>,
        zip: Option<&str>,
        country: Option<&str>,
    ) {
        if let Some(a) = address1.and_then(|a| {
            normalize_address(a, zip.unwrap_or_default(), country.unwrap_or_default())
        }) {
            self.addresses.insert(a);
        }
    }

    pub fn add_ip(&mut self, ip: Option<&str>) {
        if let Some(ip) = ip.map(str::trim).filter(|ip| !ip.is_empty()) {
            self.ips.insert(ip.to_owned());
        }
    }
}

/// The first reason the referee looks like the referrer, if any.
pub fn referral_fraud(referrer: &Identity, referee: &Identity) -> Option<FraudSignal> {
    if referrer.customer_id.is_some() && referrer.customer_id == referee.customer_id {
        return Some(FraudSignal::SameCustomer);
    }
    if !referrer.emails.is_disjoint(&referee.emails) {
        return Some(FraudSignal::SameEmail);
    }
    if !referrer.addresses.is_disjoint(&referee.addresses) {
        return Some(FraudSignal::SameAddress);
    }
    if !referrer.ips.is_disjoint(&referee.ips) {
        return Some(FraudSignal::SameIp);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, email: &str, street: &str, ip: &str) -> Identity {
        let mut p = Identity {
            customer_id: Some(id),
            ..Default::default()
        };
        p.add_email(Some(email));
        p.add_address(Some(street), Some("20121"), Some("IT"));
        p.add_ip(Some(ip));
        p
    }

    #[test]
    fn strangers_pass() {
        let a = person(1, "anna@example.com", "Via Roma 1", "203.0.113.1");
        let b = person(2, "bruno@example.com", "Via Po 9", "203.0.113.2");
        assert_eq!(referral_fraud(&a, &b), None);
    }

    #[test]
    fn each_signal_is_caught() {
        let a = person(1, "anna@example.com", "Via Roma 1", "203.0.113.1");
        let same_customer = person(1, "other@example.com", "Via Po 9", "198.51.100.1");
        assert_eq!(
            referral_fraud(&a, &same_customer),
            Some(FraudSignal::SameCustomer)
        );
        let same_email = person(2, " Anna+promo@Example.com ", "Via Po 9", "198.51.100.1");
        assert_eq!(
            referral_fraud(&a, &same_email),
            Some(FraudSignal::SameEmail)
        );
        let same_address = person(3, "carla@example.com", "via roma, 1", "198.51.100.1");
        assert_eq!(
            referral_fraud(&a, &same_address),
            Some(FraudSignal::SameAddress)
        );
        let same_ip = person(4, "dario@example.com", "Via Po 9", "203.0.113.1");
        assert_eq!(referral_fraud(&a, &same_ip), Some(FraudSignal::SameIp));
    }

    #[test]
    fn blanks_never_match() {
        let mut a = Identity::default();
        a.add_email(Some("  "));
        a.add_address(Some(""), None, None);
        a.add_ip(Some(" "));
        let b = a.clone();
        assert_eq!(referral_fraud(&a, &b), None);
        assert_eq!(normalize_email("not-an-email"), None);
    }
}
