//! OWASP's device cookies: a browser that has signed in to an account keeps a token, signed by
//! the server, naming that account. Wrong passwords from unknown browsers lock the account
//! against unknown browsers only; a browser with the token has its own allowance of failures,
//! so a stranger who knows a coach's email cannot lock the coach out.

use std::sync::Arc;

use axum::http::HeaderValue;
use blake2::{digest::Mac, Blake2bMac512};

use crate::server::{
    db::Database,
    link_token::{self, hex},
    time::unix_now,
};

const COOKIE: &str = "airtime_device";
const SECURE_COOKIE: &str = "__Host-airtime_device";
const LIFETIME_S: u32 = 365 * 24 * 3600;
const KEY_NAME: &str = "device_cookie";
/// Nonce and tag, hex: 16 bytes each.
const PART_HEX: usize = 32;

#[derive(Clone)]
pub struct DeviceKey(Arc<Vec<u8>>);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(…)")
    }
}

impl DeviceKey {
    /// The key in the database, made by the first node that needs it.
    pub async fn load_or_create(db: &Database) -> Result<Self, sqlx::Error> {
        let fresh = link_token::new_token();
        sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(KEY_NAME)
        .bind(fresh)
        .bind(unix_now())
        .execute(&db.pool)
        .await?;
        let secret: String = sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
            .bind(KEY_NAME)
            .fetch_one(&db.pool)
            .await?;
        Ok(Self(Arc::new(secret.into_bytes())))
    }

    /// A new token for a browser that just signed in as `email`.
    pub fn issue(&self, email: &str) -> String {
        let nonce = random_hex();
        let tag = self.tag(email, &nonce);
        format!("{nonce}.{tag}")
    }

    /// The token's nonce when it was issued for `email` by this server.
    pub fn verify(&self, email: &str, token: &str) -> Option<String> {
        let (nonce, tag) = token.split_once('.')?;
        let well_formed =
            |part: &str| part.len() == PART_HEX && part.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed(nonce) || !well_formed(tag) {
            return None;
        }
        let expected = hex_decode(tag)?;
        // Compares in constant time.
        self.mac(email, nonce)
            .verify_truncated_left(&expected)
            .ok()?;
        Some(nonce.to_string())
    }

    fn mac(&self, email: &str, nonce: &str) -> Blake2bMac512 {
        // The secret is 64 hex characters: exactly BLAKE2b's largest key.
        let mut mac = Blake2bMac512::new_from_slice(&self.0).expect("the key is at most 64 bytes");
        mac.update(email.as_bytes());
        mac.update(b"\0");
        mac.update(nonce.as_bytes());
        mac
    }

    fn tag(&self, email: &str, nonce: &str) -> String {
        let tag = self.mac(email, nonce).finalize().into_bytes();
        hex(&tag[..PART_HEX / 2])
    }
}

/// The token this browser sent, if any.
pub fn token_in(cookie_header: &str) -> Option<&str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE || *name == SECURE_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| value.len() <= 2 * PART_HEX + 1)
}

/// `Set-Cookie` for a token: a year, this site only, never readable by scripts.
pub fn set_cookie(token: &str, secure: bool) -> Option<HeaderValue> {
    let (name, secure_attr) = match secure {
        true => (SECURE_COOKIE, "; Secure"),
        false => (COOKIE, ""),
    };
    HeaderValue::from_str(&format!(
        "{name}={token}; Max-Age={LIFETIME_S}; Path=/; HttpOnly; SameSite=Lax{secure_attr}"
    ))
    .ok()
}

fn random_hex() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DeviceKey {
        DeviceKey(Arc::new(
            b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_vec(),
        ))
    }

    #[test]
    fn a_token_names_one_account() {
        let token = key().issue("coach@example.com");
        assert!(key().verify("coach@example.com", &token).is_some());
        assert!(key().verify("other@example.com", &token).is_none());
        let mut forged = token.clone();
        forged.replace_range(40..41, if &token[40..41] == "0" { "1" } else { "0" });
        assert!(key().verify("coach@example.com", &forged).is_none());
        assert!(key().verify("coach@example.com", "garbage").is_none());
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        assert_eq!(
            token_in("a=1; airtime_device=abc.def; b=2"),
            Some("abc.def")
        );
        assert_eq!(token_in("__Host-airtime_device=x.y"), Some("x.y"));
        assert_eq!(token_in("airtime_session=1"), None);
    }
}
