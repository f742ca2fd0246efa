use leptos::prelude::*;

use crate::{
    domain::user::{SignedInDevice, SignedInUser},
    error::AppError,
};

#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    use crate::server::accounts::Accounts;
    let user = Accounts::from_request().await?.current_user().await?;
    Ok(user.map(|u| SignedInUser {
        id: u.id.to_string(),
        email: u.email.to_string(),
    }))
}

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        let claimed = Accounts::from_request()
            .await?
            .sign_up(&email, &password, &confirm_password)
            .await?;
        leptos_axum::redirect(&after_sign_in(claimed));
        Ok(())
    }
    .await;
    finish(result).await
}

#[server(endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        let claimed = Accounts::from_request()
            .await?
            .sign_in(&email, &password)
            .await?;
        leptos_axum::redirect(&after_sign_in(claimed));
        Ok(())
    }
    .await;
    finish(result).await
}

/// Where a sign-in or sign-up lands: the history, with a notice, when guest analyses were saved.
#[cfg(feature = "ssr")]
fn after_sign_in(claimed: usize) -> String {
    if claimed > 0 {
        format!("/history?claimed={claimed}")
    } else {
        "/".to_string()
    }
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        Accounts::from_request().await?.sign_out().await?;
        leptos_axum::redirect("/signin");
        Ok(())
    }
    .await;
    finish(result).await
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        Accounts::from_request()
            .await?
            .change_password(&current_password, &new_password, &confirm_password)
            .await
    }
    .await;
    finish(result).await
}

#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        Accounts::from_request()
            .await?
            .delete_account(&password)
            .await?;
        leptos_axum::redirect("/?account=deleted");
        Ok(())
    }
    .await;
    finish(result).await
}

#[server(endpoint = "signed_in_devices")]
pub async fn signed_in_devices() -> Result<Vec<SignedInDevice>, AppError> {
    use crate::server::accounts::Accounts;
    Accounts::from_request().await?.signed_in_devices().await
}

#[server(endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async { Accounts::from_request().await?.end_session(&id).await }.await;
    finish(result).await
}

#[server(endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async { Accounts::from_request().await?.end_other_sessions().await }.await;
    finish(result).await
}

#[server(endpoint = "password_reset_available")]
pub async fn password_reset_available() -> Result<bool, AppError> {
    use crate::server::accounts::Accounts;
    Ok(Accounts::from_request().await?.password_reset_available())
}

/// Answers the same whether or not the email has an account.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        Accounts::from_request()
            .await?
            .request_password_reset(&email)
            .await?;
        leptos_axum::redirect("/forgot-password?sent=1");
        Ok(())
    }
    .await;
    finish(result).await
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::server::{accounts::Accounts, context::finish};
    let result = async {
        Accounts::from_request()
            .await?
            .reset_password(&token, &password, &confirm_password)
            .await?;
        leptos_axum::redirect("/signin?reset=1");
        Ok(())
    }
    .await;
    finish(result).await
}
