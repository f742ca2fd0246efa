//! The account use cases behind the server functions. Each takes the request's state, session
//! and client, applies the rules in `domain`, and leaves an audit entry.

use crate::domain::ids::{GuestId, UserId};
use tower_sessions::Session;

use super::{
    device,
    emails::{self, Email, RESET_LINK_MINUTES},
    repo::{self, InsertOutcome, UserRecord},
    reset_links, signed_in,
};
use crate::{
    domain::{
        email::EmailAddress,
        password::{too_common, validate_confirmation, validate_new_password, MAX_PASSWORD_BYTES},
        user::{describe_user_agent, SignedInDevice},
    },
    error::{AppError, Field},
    server::{
        analyses::{
            claim,
            owner::{self, SESSION_GUEST_ID, SESSION_PENDING_CLAIM},
        },
        audit::{self, AuditEvent},
        client::ClientInfo,
        context, link_token,
        mail::Mailer,
        state::AppState,
        time::{format_utc, unix_now},
    },
};

pub const SESSION_USER_ID: &str = "user_id";
pub const SESSION_EPOCH: &str = "session_epoch";
pub const SESSION_TOUCHED_AT: &str = "touched_at";
/// The `account_sessions` row this browser's sign-in is.
pub const SESSION_SIGN_IN: &str = "sign_in_id";
/// How stale a sign-in's "last seen" may get before a request writes it again.
const LAST_SEEN_EVERY_S: i64 = 300;

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
        let Some(id) = self.session.get::<UserId>(SESSION_USER_ID).await? else {
            return Ok(None);
        };
        let epoch = self.session.get::<i64>(SESSION_EPOCH).await?;
        let Some(sign_in) = self.session.get::<String>(SESSION_SIGN_IN).await? else {
            return Ok(None);
        };
        let Some(user) = repo::find_by_id(&self.state.db, &id)
            .await?
            .filter(|user| Some(user.session_epoch) == epoch)
        else {
            return Ok(None);
        };
        // Ended from another browser, or past the absolute lifetime: signed out.
        let Some(row) = signed_in::find(&self.state.db, &user.id, &sign_in).await? else {
            return Ok(None);
        };
        let now = unix_now();
        if now - row.created_at >= self.state.settings.session_lifetime.as_secs() as i64 {
            return Ok(None);
        }
        if now - row.last_seen_at >= LAST_SEEN_EVERY_S {
            signed_in::touch(&self.state.db, &row.id, now).await?;
        }
        tracing::Span::current().record("user_id", user.id.as_str());
        Ok(Some(user))
    }

    /// The browsers signed in to this account, most recently seen first.
    pub async fn signed_in_devices(&self) -> Result<Vec<SignedInDevice>, AppError> {
        let user = self.require_user().await?;
        let current = self.session.get::<String>(SESSION_SIGN_IN).await?;
        let rows = signed_in::list(&self.state.db, &user.id).await?;
        Ok(rows
            .into_iter()
            .map(|row| SignedInDevice {
                device: describe_user_agent(row.user_agent.as_deref().unwrap_or_default()),
                ip: row.ip.unwrap_or_default(),
                last_seen: format_utc(row.last_seen_at),
                signed_in: format_utc(row.created_at),
                current: current.as_deref() == Some(row.id.as_str()),
                id: row.id,
            })
            .collect())
    }

    /// Signs one of the account's browsers out (this one too, if it is named).
    pub async fn end_session(&self, id: &str) -> Result<(), AppError> {
        let user = self.require_user().await?;
        if !signed_in::delete(&self.state.db, &user.id, id).await? {
            return Err(AppError::NotFound);
        }
        if self
            .session
            .get::<String>(SESSION_SIGN_IN)
            .await?
            .as_deref()
            == Some(id)
        {
            self.session.flush().await?;
        }
        self.audit(AuditEvent::SessionEnded, Some(&user.id)).await
    }

    /// Signs out every browser of the account but this one; returns how many.
    pub async fn end_other_sessions(&self) -> Result<u64, AppError> {
        let user = self.require_user().await?;
        let current = self
            .session
            .get::<String>(SESSION_SIGN_IN)
            .await?
            .ok_or(AppError::SignInRequired)?;
        let ended = signed_in::delete_others(&self.state.db, &user.id, &current).await?;
        self.audit(AuditEvent::OtherSessionsEnded, Some(&user.id))
            .await?;
        Ok(ended)
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
        let email = EmailAddress::parse(email)?;
        validate_new_password(password, email.as_str(), Field::Password)?;
        self.refuse_breached(password, Field::Password).await?;
        validate_confirmation(password, confirm_password)?;
        let ip = self.client.limit_key();
        // Every attempt counts, whatever its outcome: probing which emails have accounts
        // costs the same allowance as creating them.
        self.state
            .throttles
            .signups
            .acquire(&ip)
            .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
        // Hashed before the email is looked up, so "taken" takes as long as "created".
        let hash = self.state.hasher.hash(password).await?;
        if repo::find_by_email(&self.state.db, &email).await?.is_some() {
            return Err(AppError::EmailTaken);
        }
        let id = UserId::random();
        match repo::insert(&self.state.db, &id, &email, &hash).await? {
            InsertOutcome::EmailTaken => return Err(AppError::EmailTaken),
            InsertOutcome::Created => {}
        }
        self.remember_device(&email);
        self.start_session(&id, 0).await?;
        self.audit(AuditEvent::SignUp, Some(&id)).await?;
        self.claim_guest_work(&id).await
    }

    /// Returns how many guest analyses this browser had that are now the account's.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<usize, AppError> {
        let email = EmailAddress::parse(email)?;
        if password.is_empty() {
            return Err(AppError::invalid(Field::Password, "Enter your password."));
        }
        // No account has a longer one, so it cannot match; argon2 is never handed it.
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AppError::InvalidCredentials);
        }
        let throttles = &self.state.throttles;
        // A browser that signed in to this account before counts its failures apart: the
        // account's own allowance is for unknown browsers, which a stranger can use up.
        let device = self
            .client
            .device_token
            .as_deref()
            .and_then(|token| self.state.device_key.verify(email.as_str(), token));
        let account_key = match &device {
            Some(nonce) => format!("device:{nonce}"),
            None => email.to_string(),
        };
        let account_key = account_key.as_str();
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
                let user_id = unverified.as_ref().map(|u| &u.id);
                self.audit(AuditEvent::SignInFailed, user_id).await?;
                if account_last || ip_last {
                    self.audit(AuditEvent::Lockout, user_id).await?;
                }
                return Err(AppError::InvalidCredentials);
            }
        };
        throttles.signin_per_account.reset(account_key);
        throttles.signin_per_ip.give_back(&ip_key);
        self.remember_device(&email);
        self.start_session(&user.id, user.session_epoch).await?;
        self.audit(AuditEvent::SignInOk, Some(&user.id)).await?;
        self.claim_guest_work(&user.id).await
    }

    pub async fn sign_out(&self) -> Result<(), AppError> {
        let user_id = self.session.get::<UserId>(SESSION_USER_ID).await?;
        let sign_in = self.session.get::<String>(SESSION_SIGN_IN).await?;
        if let (Some(user_id), Some(sign_in)) = (&user_id, &sign_in) {
            signed_in::delete(&self.state.db, user_id, sign_in).await?;
        }
        self.session.flush().await?;
        if user_id.is_some() {
            self.audit(AuditEvent::SignOut, user_id.as_ref()).await?;
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
        validate_new_password(new_password, user.email.as_str(), Field::NewPassword)?;
        self.refuse_breached(new_password, Field::NewPassword)
            .await?;
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
        let epoch = repo::update_password(&self.state.db.pool, &user.id, &hash).await?;
        if let Some(current) = self.session.get::<String>(SESSION_SIGN_IN).await? {
            signed_in::delete_others(&self.state.db, &user.id, &current).await?;
        }
        // Other sessions carry the old epoch and are signed out; this one moves to a new id.
        self.session.cycle_id().await?;
        self.session.insert(SESSION_EPOCH, epoch).await?;
        self.audit(AuditEvent::PasswordChanged, Some(&user.id))
            .await?;
        self.mail_later(user.email.clone(), self.password_changed_email());
        Ok(())
    }

    /// Whether this server can send password-reset emails.
    pub fn password_reset_available(&self) -> bool {
        self.state.mailer.is_some()
    }

    /// Emails a reset link if `email` has an account. The answer is the same, and as quick,
    /// whether or not it has: the lookup and the sending happen after the response.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), AppError> {
        let Some(mailer) = self.state.mailer.clone() else {
            return Err(AppError::ResetUnavailable);
        };
        let email = EmailAddress::parse(email)?;
        let throttles = &self.state.throttles;
        let rate_limited = |retry_after_s| AppError::RateLimited { retry_after_s };
        throttles
            .reset_requests_per_ip
            .acquire(&self.client.limit_key())
            .map_err(rate_limited)?;
        throttles
            .reset_requests_per_email
            .acquire(email.as_str())
            .map_err(rate_limited)?;
        let permit = self
            .mail_slot()
            .ok_or(AppError::ServerBusy { retry_after_s: 5 })?;
        let (state, client) = (self.state.clone(), self.client.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = mail_reset_link(&state, &mailer, &client, &email).await {
                tracing::error!(error = %e, "could not send a password-reset email");
            }
        });
        Ok(())
    }

    /// Sets a new password with a reset link: every sign-in of the account ends, the link and
    /// the account's other links are spent, and the sign-in throttle forgets its failures.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        confirm_password: &str,
    ) -> Result<(), AppError> {
        let invalid = || AppError::InvalidResetLink;
        if !link_token::is_well_formed(token) {
            return Err(invalid());
        }
        let db = &self.state.db;
        let user_id = reset_links::find_usable(db, token, unix_now())
            .await?
            .ok_or_else(invalid)?;
        let user = repo::find_by_id(db, &user_id).await?.ok_or_else(invalid)?;
        validate_new_password(new_password, user.email.as_str(), Field::Password)?;
        self.refuse_breached(new_password, Field::Password).await?;
        validate_confirmation(new_password, confirm_password)?;
        let hash = self.state.hasher.hash(new_password).await?;
        if !reset_links::redeem(db, token, &user.id, &hash, unix_now()).await? {
            return Err(invalid());
        }
        self.state
            .throttles
            .signin_per_account
            .reset(user.email.as_str());
        // This browser may be signed in to the account too: it starts over like the others.
        if self.session.get::<UserId>(SESSION_USER_ID).await?.as_ref() == Some(&user.id) {
            self.session.flush().await?;
        }
        self.audit(AuditEvent::PasswordReset, Some(&user.id))
            .await?;
        self.mail_later(user.email, self.password_changed_email());
        Ok(())
    }

    fn password_changed_email(&self) -> Email {
        let forgot = format!("{}/forgot-password", self.state.settings.public_url());
        emails::password_changed(&format_utc(unix_now()), &forgot)
    }

    fn mail_slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.state.mail_slots.clone().try_acquire_owned().ok()
    }

    /// A notice sent after the response, when a relay is set up and a slot is free; a notice
    /// that cannot go is logged, never the change's failure.
    fn mail_later(&self, to: EmailAddress, email: Email) {
        let Some(mailer) = self.state.mailer.clone() else {
            return;
        };
        let Some(permit) = self.mail_slot() else {
            tracing::warn!("mail slots busy: a password-changed notice was not sent");
            return;
        };
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = mailer.send(to.as_str(), email.subject, email.body).await {
                tracing::error!(error = %e, "could not send a password-changed notice");
            }
        });
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

    /// Gives this browser a device cookie for the account it just proved it knows.
    fn remember_device(&self, email: &EmailAddress) {
        let token = self.state.device_key.issue(email.as_str());
        if let Some(cookie) = device::set_cookie(&token, self.state.settings.cookie_secure) {
            context::append_response_header(axum::http::header::SET_COOKIE, cookie);
        }
    }

    async fn refuse_breached(&self, password: &str, field: Field) -> Result<(), AppError> {
        let list = self.state.breached_passwords.clone();
        let password = password.to_string();
        let breached = tokio::task::spawn_blocking(move || list.contains(&password))
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| {
                tracing::error!(error = %e, "could not read the breached-password list");
                AppError::Internal
            })?;
        match breached {
            true => Err(too_common(field)),
            false => Ok(()),
        }
    }

    /// Re-authentication for sensitive changes, throttled like sign-in so a borrowed session
    /// cannot be used to guess the password.
    async fn verify_own_password(
        &self,
        user: &UserRecord,
        password: &str,
        field: Field,
    ) -> Result<(), AppError> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AppError::WrongPassword { field });
        }
        let throttle = &self.state.throttles.signin_per_account;
        let last = throttle
            .acquire(user.email.as_str())
            .map_err(|retry_after_s| AppError::RateLimited { retry_after_s })?;
        let verified = self
            .state
            .hasher
            .verify(password, Some(&user.password_hash))
            .await;
        if verified.as_ref().is_ok_and(|ok| *ok) {
            throttle.reset(user.email.as_str());
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
    async fn start_session(&self, user_id: &UserId, epoch: i64) -> Result<(), AppError> {
        self.session.cycle_id().await?;
        self.session
            .insert(SESSION_USER_ID, user_id.to_string())
            .await?;
        self.session.insert(SESSION_EPOCH, epoch).await?;
        self.session.insert(SESSION_TOUCHED_AT, unix_now()).await?;
        let sign_in = uuid::Uuid::new_v4().to_string();
        signed_in::insert(
            &self.state.db,
            &sign_in,
            user_id,
            unix_now(),
            &self.client.ip.to_string(),
            self.client.user_agent.as_deref(),
        )
        .await?;
        self.session.insert(SESSION_SIGN_IN, sign_in).await?;
        tracing::Span::current().record("user_id", user_id.as_str());
        Ok(())
    }

    /// What this browser did as a guest becomes the account's: its analyses, and the analysis of
    /// a claim link opened before signing in.
    async fn claim_guest_work(&self, user_id: &UserId) -> Result<usize, AppError> {
        let mut claimed = 0;
        if let Some(guest_id) = self.session.remove::<GuestId>(SESSION_GUEST_ID).await? {
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

    async fn audit(&self, event: AuditEvent, user_id: Option<&UserId>) -> Result<(), AppError> {
        audit::record(&self.state.db, event, user_id, &self.client).await?;
        Ok(())
    }
}

/// The part of a reset request that runs after the response: finds the account, stores a new
/// link and emails it. An unknown address does nothing.
async fn mail_reset_link(
    state: &AppState,
    mailer: &Mailer,
    client: &ClientInfo,
    email: &EmailAddress,
) -> Result<(), String> {
    let Some(user) = repo::find_by_email(&state.db, email)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let token = link_token::new_token();
    let now = unix_now();
    reset_links::insert(
        &state.db,
        &token,
        &user.id,
        now,
        now + RESET_LINK_MINUTES * 60,
    )
    .await
    .map_err(|e| e.to_string())?;
    let link = format!("{}/reset-password/{token}", state.settings.public_url());
    let email = emails::reset_link(&link);
    mailer
        .send(user.email.as_str(), email.subject, email.body)
        .await
        .map_err(|e| e.to_string())?;
    audit::record(
        &state.db,
        AuditEvent::PasswordResetRequested,
        Some(&user.id),
        client,
    )
    .await
    .map_err(|e| e.to_string())
}
