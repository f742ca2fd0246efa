use crate::error::{AppError, Field};

/// RFC 5321 caps a forward path at 256 octets including the angle brackets.
const MAX_EMAIL_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

/// An address as accounts are keyed by: trimmed, lower-cased and checked to look deliverable,
/// so one person cannot hold two accounts that differ only in case or stray spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// What a person typed, or the message saying what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        normalize_email(raw).map(Self)
    }

    /// As stored, where only parsed addresses are written.
    pub fn from_stored(address: String) -> Self {
        Self(address)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Trims and lower-cases an email and checks it looks deliverable.
fn normalize_email(raw: &str) -> Result<String, AppError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid(Field::Email, "Enter your email address."));
    }
    if email.len() > MAX_EMAIL_LEN {
        return Err(AppError::invalid(
            Field::Email,
            "That email address is too long (254 characters at most).",
        ));
    }
    if !looks_like_email(&email) {
        return Err(AppError::invalid(
            Field::Email,
            "Enter a valid email address, like name@example.com.",
        ));
    }
    Ok(email)
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= MAX_LOCAL_LEN
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.len() >= 2);
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(
            normalize_email("  Coach.Kim@Example.COM ").unwrap(),
            "coach.kim@example.com"
        );
    }

    #[test]
    fn rejects_each_malformed_shape_with_a_message() {
        for bad in [
            "plainaddress",
            "@example.com",
            "a@b",
            "a@@b.com",
            "a b@example.com",
            "a@exa mple.com",
            ".a@example.com",
            "a..b@example.com",
            "a@-example.com",
            "a@example.c",
        ] {
            let err = normalize_email(bad).unwrap_err();
            assert_eq!(err.field(), Some(Field::Email), "{bad}");
            assert!(err.to_string().contains("valid email"), "{bad}: {err}");
        }
    }

    #[test]
    fn empty_and_too_long_have_their_own_messages() {
        assert_eq!(
            normalize_email("   ").unwrap_err().to_string(),
            "Enter your email address."
        );
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(normalize_email(&long)
            .unwrap_err()
            .to_string()
            .contains("too long"));
    }
}
