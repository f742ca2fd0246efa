use crate::error::{AppError, Field};

/// ASVS 4.0 V2.1.1.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Long enough for any passphrase or manager; bounds what argon2 is handed (ASVS V2.1.2).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The passwords seen most often in breach corpora, always at hand; the server also checks
/// the 1.46-million-entry list on disk (`server::accounts::breached`).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Checks a password someone is choosing (sign-up or change), in the order a person fixes them.
pub fn validate_new_password(password: &str, email: &str, field: Field) -> Result<(), AppError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            field,
            format!("Password must be at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::invalid(
            field,
            format!("Password must be at most {MAX_PASSWORD_BYTES} bytes long."),
        ));
    }
    if !email.is_empty() && password.trim().eq_ignore_ascii_case(email.trim()) {
        return Err(AppError::invalid(
            field,
            "Password must not be the same as your email.",
        ));
    }
    if is_common(password) {
        return Err(too_common(field));
    }
    Ok(())
}

pub fn too_common(field: Field) -> AppError {
    AppError::invalid(
        field,
        "This password is too common. Choose one that is harder to guess.",
    )
}

pub fn validate_confirmation(password: &str, confirmation: &str) -> Result<(), AppError> {
    if password != confirmation {
        return Err(AppError::invalid(
            Field::ConfirmPassword,
            "Passwords do not match.",
        ));
    }
    Ok(())
}

fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    COMMON_PASSWORDS
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lowered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "coach@example.com";

    fn message(password: &str) -> String {
        validate_new_password(password, EMAIL, Field::Password)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn accepts_a_reasonable_password() {
        validate_new_password("jump-higher-2026", EMAIL, Field::Password).unwrap();
    }

    #[test]
    fn each_rule_has_its_own_message() {
        assert!(message("short").contains("at least 12"));
        assert!(message(&"x".repeat(1025)).contains("at most 1024 bytes"));
        assert!(message("Coach@Example.com").contains("email"));
        assert!(message("password1234").contains("too common"));
        assert!(message("QWERTYUIOP123").contains("too common"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // Twelve characters, twenty-three bytes.
        validate_new_password("éééééééééééJ", EMAIL, Field::Password).unwrap();
    }

    #[test]
    fn confirmation_must_match() {
        let err = validate_confirmation("jump-higher-2026", "jump-higher-2025").unwrap_err();
        assert_eq!(err.field(), Some(Field::ConfirmPassword));
    }

    #[test]
    fn the_bundled_list_is_long_enough_to_matter() {
        let entries = COMMON_PASSWORDS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .count();
        assert!(entries >= 200, "{entries}");
    }
}
