//! Who owns an analysis (an account or a guest) and who is asking for one.
//!
//! A guest is a random id kept in their session, created at their first upload. A browser can
//! carry both a user and a guest id (a guest who signed in): it sees what either owns.

use axum::{extract::FromRequestParts, http::request::Parts, Extension};
use tower_sessions::Session;

use crate::{
    domain::ids::{AnalysisId, GuestId, UserId},
    error::AppError,
    server::{accounts::Accounts, client::ClientInfo, state::AppState},
};

pub const SESSION_GUEST_ID: &str = "guest_id";
/// A claim link opened while signed out, redeemed at the next sign-in or sign-up.
pub const SESSION_PENDING_CLAIM: &str = "pending_claim";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    User(UserId),
    Guest(GuestId),
}

impl Owner {
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Owner::User(id) => Some(id),
            Owner::Guest(_) => None,
        }
    }

    pub fn guest_id(&self) -> Option<&GuestId> {
        match self {
            Owner::Guest(id) => Some(id),
            Owner::User(_) => None,
        }
    }

    /// Where the analysis' files live: `users/<user-id>/<id>` or `anonymous/<id>`.
    pub fn storage_prefix(&self, analysis_id: &AnalysisId) -> String {
        match self {
            Owner::User(user_id) => format!("{}/{analysis_id}", user_files(user_id)),
            Owner::Guest(_) => format!("anonymous/{analysis_id}"),
        }
    }
}

/// The prefix under which all of a user's files live.
pub fn user_files(user_id: &UserId) -> String {
    format!("users/{user_id}")
}

/// The requester, as an axum extractor and from inside server functions.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user_id: Option<UserId>,
    pub guest_id: Option<GuestId>,
    pub session: Option<Session>,
    pub client: Option<ClientInfo>,
}

impl Viewer {
    pub async fn resolve(
        state: AppState,
        session: Session,
        client: ClientInfo,
    ) -> Result<Self, AppError> {
        let accounts = Accounts::new(state, session.clone(), client.clone());
        let user_id = accounts.current_user().await?.map(|u| u.id);
        let guest_id = session.get::<GuestId>(SESSION_GUEST_ID).await?;
        Ok(Self {
            user_id,
            guest_id,
            session: Some(session),
            client: Some(client),
        })
    }

    /// From inside a server function.
    pub async fn from_request() -> Result<Self, AppError> {
        use crate::server::context;
        Self::resolve(
            context::app_state()?,
            context::session().await?,
            context::client().await?,
        )
        .await
    }

    /// Who a new upload belongs to: the account when signed in, else this browser's guest id
    /// (a new one if it has none, kept in the session only by [`Viewer::keep_guest`] once
    /// the upload is accepted, so a refused upload leaves no session behind).
    pub fn owner_for_upload(&mut self) -> Owner {
        if let Some(user_id) = &self.user_id {
            return Owner::User(user_id.clone());
        }
        let guest_id = self.guest_id.get_or_insert_with(GuestId::random);
        Owner::Guest(guest_id.clone())
    }

    /// Stores a guest id handed out by [`Viewer::owner_for_upload`] in the session (which
    /// also gives the browser its session cookie).
    pub async fn keep_guest(&self, owner: &Owner) -> Result<(), AppError> {
        let Owner::Guest(guest_id) = owner else {
            return Ok(());
        };
        let session = self.session.as_ref().ok_or(AppError::Internal)?;
        if session.get::<GuestId>(SESSION_GUEST_ID).await?.as_ref() != Some(guest_id) {
            // The session now holds something worth stealing: a new id, so one planted before
            // (session fixation) does not lead to it.
            session.cycle_id().await?;
            session.insert(SESSION_GUEST_ID, guest_id.clone()).await?;
        }
        Ok(())
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| {
                tracing::error!(message, "session layer missing");
                AppError::Internal
            })?;
        let Extension(client) = Extension::<ClientInfo>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal)?;
        Self::resolve(state.clone(), session, client).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_of_guests_and_accounts_live_apart() {
        assert_eq!(
            Owner::Guest(GuestId::from("g".to_string())).storage_prefix(&a1()),
            "anonymous/a1"
        );
        assert_eq!(
            Owner::User(UserId::from("u1".to_string())).storage_prefix(&a1()),
            "users/u1/a1"
        );
    }

    fn a1() -> AnalysisId {
        AnalysisId::from("a1".to_string())
    }
}
