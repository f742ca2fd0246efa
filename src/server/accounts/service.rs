//! The account use cases behind the server functions. Each takes the request's state, session
//! and client, applies the rules in `domain`, and leaves an audit entry.

use tower_sessions::Session;

use super::repo::{self, InsertOutcome, UserRecord};
use crate::{
    domain::{
        email::normalize_email,
        password::{validate_confirmation, validate_new_password},
    },
    error::{AppError, Field},
    server::{
        analyses::{
            claim,
            owner::{self, SESSION_GUEST_ID, SESSION_PENDING_CLAIM},
        },
        audit::{self, AuditEvent},
        client::ClientInfo,
        context,
        state::AppState,
        time::unix_now,
    },
};

pub const SESSION_USER_ID: &str = "user_id";
pub const SESSION_EPOCH: &str = "session_epoch";
pub const SESSION_TOUCHED_AT: &str = "touched_at";

pub struct Accounts {
    state: AppState,
    session: Session,
    client: ClientInfo,
}

impl Accounts {
    pub fn new(state: AppState, session: Session, client: ClientInfo) -> Self {
        Self {
            state,
            session,
            client,
        }
    }

    /// From inside a server function.
    pub async fn from_request() -> Result<Self, AppError> {
        Ok(Self::new(
            context::app_state()?,
            context::session().await?,
            context::client().await?,
        ))
    }

    /// The signed-in user, or `None` when the session is anonymous, the account is gone or its
    /// password changed since this session signed in. Never writes the session: it also runs
    /// while a page streams, when a write could not reach the browser.
    pub async fn current_user(&self) -> Result<Option<UserRecord>, AppError> {
        let Some(id) = self.session.get::<String>(SESSION_USER_ID).await? else {
            return Ok(None);
        };
        let epoch = self.session.get::<i64>(SESSION_EPOCH).await?;
        let user = repo::find_by_id(&self.state.db, &id)
            .await?
            .filter(|user| Some(user.session_epoch) == epoch);
        if let Some(user) = &user {
            tracing::Span::current().record("user_id", user.id.as_str());
        }
        Ok(user)
    }

    pub async fn require_user(&self) -> Result<UserRecord, AppError> {
        self.current_user().await?.ok_or(AppError::SignInRequired)
    }

    /// Returns how many guest analyses this browser had that are now the new account's.
    pub async fn sign_up(
        &self,
        email: &str,
        password: &str,
        confirm_password: &str,
    ) -> Result<usize, AppError> {
        let email = normalize_email(email)?;
        validate_new_password(password, &email, Field::Password)?;
        validate_confirmation(password, confirm_password)?;
        let ip = self.client.limit_key();
        // Every attempt counts, whatever its outcome: probing which emails have accounts
        // costs the same allowance as creating them.
        self.state
            .throttles
            .signups
            .acquire(&ip)
            .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
        if repo::find_by_email(&self.state.db, &email).await?.is_some() {
            return Err(AppError::EmailTaken);
        }

        let hash = self.state.hasher.hash(password).await?;
        let id = uuid::Uuid::new_v4().to_string();
        match repo::insert(&self.state.db, &id, &email, &hash).await? {
            InsertOutcome::EmailTaken => return Err(AppError::EmailTaken),
            InsertOutcome::Created => {}
        }
        self.start_session(&id, 0).await?;
        self.audit(AuditEvent::SignUp, Some(&id)).await?;
        self.claim_guest_work(&id).await
    }

    /// Returns how many guest analyses this browser had that are now the account's.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<usize, AppError> {
        let email = normalize_email(email)?;
        if password.is_empty() {
            return Err(AppError::invalid(Field::Password, "Enter your password."));
        }
        let throttles = &self.state.throttles;
        let account_key = email.as_str();
        let ip_key = self.client.limit_key();
        // Each attempt reserves a failure slot before the password is hashed, so parallel
        // guesses cannot all pass a check made before any of them is counted; a correct
        // password gives the slots back.
        let rate_limited = |retry_after_s| AppError::RateLimited { retry_after_s };
        let account_last = throttles
            .signin_per_account
            .acquire(account_key)
            .map_err(rate_limited)?;
        let ip_last = match throttles.signin_per_ip.acquire(&ip_key) {
            Ok(last) => last,
            Err(retry_after_s) => {
                throttles.signin_per_account.give_back(account_key);
                return Err(rate_limited(retry_after_s));
            }
        };

        let user = repo::find_by_email(&self.state.db, &email).await?;
        let verified = self
            .state
            .hasher
            .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
            .await?;
        let user = match user {
            Some(user) if verified => user,
            unverified => {
                let user_id = unverified.as_ref().map(|u| u.id.as_str());
                self.audit(AuditEvent::SignInFailed, user_id).await?;
                if account_last || ip_last {
                    self.audit(AuditEvent::Lockout, user_id).await?;
                }
                return Err(AppError::InvalidCredentials);
            }
        };
        throttles.signin_per_account.reset(account_key);
        throttles.signin_per_ip.give_back(&ip_key);
        self.start_session(&user.id, user.session_epoch).await?;
        self.audit(AuditEvent::SignInOk, Some(&user.id)).await?;
        self.claim_guest_work(&user.id).await
    }

    pub async fn sign_out(&self) -> Result<(), AppError> {
        let user_id = self.session.get::<String>(SESSION_USER_ID).await?;
        self.session.flush().await?;
        if user_id.is_some() {
            self.audit(AuditEvent::SignOut, user_id.as_deref()).await?;
        }
        Ok(())
    }

    pub async fn change_password(
        &self,
        current_password: &str,
        new_password: &str,
        confirm_password: &str,
    ) -> Result<(), AppError> {
        let user = self.require_user().await?;
        if current_password.is_empty() {
            return Err(AppError::invalid(
                Field::CurrentPassword,
                "Enter your current password.",
            ));
        }
        validate_new_password(new_password, &user.email, Field::NewPassword)?;
        validate_confirmation(new_password, confirm_password)?;
        if new_password == current_password {
            return Err(AppError::invalid(
                Field::NewPassword,
                "The new password must be different from the current one.",
            ));
        }
        self.verify_own_password(&user, current_password, Field::CurrentPassword)
            .await?;

        let hash = self.state.hasher.hash(new_password).await?;
        let epoch = repo::update_password(&self.state.db, &user.id, &hash).await?;
        // Other sessions carry the old epoch and are signed out; this one moves to a new id.
        self.session.cycle_id().await?;
        self.session.insert(SESSION_EPOCH, epoch).await?;
        self.audit(AuditEvent::PasswordChanged, Some(&user.id))
            .await
    }

    pub async fn delete_account(&self, password: &str) -> Result<(), AppError> {
        let user = self.require_user().await?;
        if password.is_empty() {
            return Err(AppError::invalid(Field::Password, "Enter your password."));
        }
        self.verify_own_password(&user, password, Field::Password)
            .await?;
        // Files first: if this fails the account (and the way to retry) still exists.
        self.state
            .storage
            .delete_prefix(&owner::user_files(&user.id))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "could not delete an account's files");
                AppError::Internal
            })?;
        repo::delete(&self.state.db, &user.id).await?;
        self.session.flush().await?;
        self.audit(AuditEvent::AccountDeleted, Some(&user.id)).await
    }

    /// Re-authentication for sensitive changes, throttled like sign-in so a borrowed session
    /// cannot be used to guess the password.
    async fn verify_own_password(
        &self,
        user: &UserRecord,
        password: &str,
        field: Field,
    ) -> Result<(), AppError> {
        let throttle = &self.state.throttles.signin_per_account;
        let last = throttle
            .acquire(&user.email)
            .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
        let verified = self
            .state
            .hasher
            .verify(password, Some(&user.password_hash))
            .await;
        if verified.as_ref().is_ok_and(|ok| *ok) {
            throttle.reset(&user.email);
            return Ok(());
        }
        verified?;
        if last {
            self.audit(AuditEvent::Lockout, Some(&user.id)).await?;
        }
        Err(AppError::WrongPassword { field })
    }

    /// A new session id at every sign-in defeats session fixation; the data (later: a guest's
    /// analyses to claim) is kept.
    async fn start_session(&self, user_id: &str, epoch: i64) -> Result<(), AppError> {
        self.session.cycle_id().await?;
        self.session
            .insert(SESSION_USER_ID, user_id.to_string())
            .await?;
        self.session.insert(SESSION_EPOCH, epoch).await?;
        self.session.insert(SESSION_TOUCHED_AT, unix_now()).await?;
        tracing::Span::current().record("user_id", user_id);
        Ok(())
    }

    /// What this browser did as a guest becomes the account's: its analyses, and the analysis of
    /// a claim link opened before signing in.
    async fn claim_guest_work(&self, user_id: &str) -> Result<usize, AppError> {
        let mut claimed = 0;
        if let Some(guest_id) = self.session.remove::<String>(SESSION_GUEST_ID).await? {
            claimed +=
                claim::claim_guest_analyses(&self.state, &guest_id, user_id, &self.client).await?;
        }
        if let Some(token) = self.session.remove::<String>(SESSION_PENDING_CLAIM).await? {
            // A link that turned out unusable is not the sign-in's failure.
            if claim::claim_with_token(&self.state, &token, user_id, &self.client)
                .await
                .is_ok()
            {
                claimed += 1;
            }
        }
        Ok(claimed)
    }

    async fn audit(&self, event: AuditEvent, user_id: Option<&str>) -> Result<(), AppError> {
        audit::record(&self.state.db, event, user_id, &self.client).await?;
        Ok(())
    }
}
