//! Bearer tokens sent in links (claim links, password resets): random, checked for shape before
//! any lookup, and stored only as a hash so a copy of the database cannot be used to redeem them.

use blake2::{Blake2s256, Digest};

/// 2 × 122 random bits from the OS generator (uuid v4), hex encoded: 64 characters.
pub fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

pub fn is_well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What the database keeps in place of the token.
pub fn hash_token(token: &str) -> String {
    hex(&Blake2s256::digest(token.as_bytes()))
}

/// Lower-case hex, two characters a byte.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_shape_and_stored_hashed() {
        let token = new_token();
        assert!(is_well_formed(&token));
        assert_ne!(token, new_token());
        assert!(!is_well_formed("../../etc"));
        assert!(!is_well_formed(&"ab".repeat(31)));
        let hash = hash_token(&token);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token);
    }
}
