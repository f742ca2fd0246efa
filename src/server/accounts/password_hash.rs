//! argon2id with OWASP's parameters, run on the blocking pool so hashing never stalls the
//! async runtime, and bounded so a burst of sign-ins cannot take every core.

use argon2::{
    password_hash::{
        rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString,
    },
    Algorithm, Argon2, Params, Version,
};
use std::sync::Arc;
use tokio::sync::Semaphore;

use crate::error::AppError;

/// OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
/// How long a request waits for a hashing slot before it is told to come back: a queue of
/// hashes longer than this is a flood, and waiting would only hold its connections open.
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);
const BUSY_RETRY_S: u64 = 5;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so a miss costs the same time as a hit.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub async fn new() -> Result<Self, AppError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy_hash = blocking(|| hash_now("airtime-dummy-password")).await??;
        Ok(Self {
            permits: Arc::new(Semaphore::new(cores * 2)),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// A hashing slot, or 503 + Retry-After when none frees up within [`SLOT_WAIT`].
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(SLOT_WAIT, self.permits.acquire()).await {
            Ok(permit) => permit.map_err(|_| AppError::Internal),
            Err(_) => Err(AppError::ServerBusy {
                retry_after_s: BUSY_RETRY_S,
            }),
        }
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let _permit = self.slot().await?;
        let password = password.to_string();
        blocking(move || hash_now(&password)).await?
    }

    /// False for a wrong password or an unknown account (`stored_hash: None`).
    pub async fn verify(
        &self,
        password: &str,
        stored_hash: Option<&str>,
    ) -> Result<bool, AppError> {
        let _permit = self.slot().await?;
        let known = stored_hash.is_some();
        let hash = stored_hash.map_or_else(|| self.dummy_hash.to_string(), str::to_string);
        let password = password.to_string();
        let matches = blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await?;
        Ok(known && matches)
    }
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify() {
        let hasher = PasswordHasher::new().await.unwrap();
        let a = hasher.hash("jump-higher-2026").await.unwrap();
        let b = hasher.hash("jump-higher-2026").await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(hasher.verify("jump-higher-2026", Some(&a)).await.unwrap());
        assert!(!hasher.verify("jump-higher-2025", Some(&a)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify_even_with_the_dummy_password() {
        let hasher = PasswordHasher::new().await.unwrap();
        assert!(!hasher.verify("airtime-dummy-password", None).await.unwrap());
    }
}
