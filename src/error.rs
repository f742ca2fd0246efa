//! The one error type of Airtime's server functions.
//!
//! Every failure a user can meet has a variant here, a stable `code` (its serde tag, which API
//! users script against), a user-facing message (its `Display`), the form field it belongs to
//! and an HTTP status. Internals never reach the client: the server logs them and sends `Internal`.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// A form field an error can be shown beside; the names match the inputs' `name`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Email,
    Password,
    ConfirmPassword,
    CurrentPassword,
    NewPassword,
    Video,
    JumpType,
    BodyMass,
    Name,
    Sex,
    BirthYear,
    Athlete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum AppError {
    #[error("{message}")]
    InvalidInput { field: Field, message: String },
    #[error("An account with this email already exists. Sign in instead.")]
    EmailTaken,
    #[error("Email or password is incorrect.")]
    InvalidCredentials,
    #[error("That password is not correct.")]
    WrongPassword { field: Field },
    #[error("Too many attempts. Try again in {}.", wait_phrase(*retry_after_s))]
    RateLimited { retry_after_s: u64 },
    #[error("This video is larger than {max_mb} MB. Trim it to the jump (a few seconds is enough) and try again.")]
    UploadTooLarge { max_mb: u64 },
    /// The file is not a video we can analyse; `message` says why in the user's terms.
    #[error("{message}")]
    BadVideo { message: String },
    #[error("You have uploaded many videos in a short time. Try again in {}.", wait_phrase(*retry_after_s))]
    TooManyUploads { retry_after_s: u64 },
    #[error("{}", busy_message(*limit))]
    AnalysisBusy { limit: u32, retry_after_s: u64 },
    #[error("Airtime is busy right now. Try again in {}.", wait_phrase(*retry_after_s))]
    ServerBusy { retry_after_s: u64 },
    #[error("Airtime is short of storage space for new videos right now. Please try again later.")]
    StorageFull { retry_after_s: u64 },
    #[error("Your stored videos already take up the {quota_mb} MB {} can keep. Delete analyses you no longer need to make room.", if *guest { "a guest" } else { "an account" })]
    QuotaExceeded { quota_mb: u64, guest: bool },
    #[error(
        "This link cannot be used: it has been used already, has expired or is not a claim link."
    )]
    InvalidClaimLink,
    #[error("This link cannot be used: it has been used already, has expired (links work for 30 minutes) or is incomplete. Ask for a new one.")]
    InvalidResetLink,
    #[error("Password reset by email is not set up on this server. Ask the person who runs it to reset your password.")]
    ResetUnavailable,
    #[error("Please sign in first.")]
    SignInRequired,
    #[error("Not found.")]
    NotFound,
    #[error("The request could not be understood. Reload the page and try again.")]
    BadRequest,
    #[error("Airtime could not be reached. Check your connection and try again.")]
    Unreachable,
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
}

impl Field {
    /// What this field needs, in one fixed sentence: shown when only the field is known.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Email => "Enter a valid email address, like name@example.com.",
            Self::Password | Self::NewPassword => {
                "Choose a password of at least 12 characters that is not your email and has not \
                 appeared in a breach."
            }
            Self::ConfirmPassword => "Passwords do not match.",
            Self::CurrentPassword => "Enter your current password.",
            Self::Video => "Choose the video of the jump (MP4, MOV or WebM) and try again.",
            Self::JumpType => {
                "Choose the jump type: countermovement jump, drop jump or squat jump."
            }
            Self::BodyMass => "Enter a body mass in kilograms, or leave it empty.",
            Self::Name => "Enter the athlete's name.",
            Self::Sex => "Choose one of the options, or leave it empty.",
            Self::BirthYear => "Enter a birth year like 2008, or leave it empty.",
            Self::Athlete => "Choose one of your athletes.",
        }
    }
}

impl AppError {
    /// An error read back from a URL (the redirect after a form posted without JavaScript):
    /// anyone can write such a URL, so no text from it is shown, only fixed sentences chosen
    /// by its code and field.
    pub fn into_fixed_text(self) -> Self {
        match self {
            Self::InvalidInput { field, .. } => Self::invalid(field, field.rule()),
            Self::BadVideo { .. } => Self::BadVideo {
                message: Field::Video.rule().to_string(),
            },
            other => other,
        }
    }

    pub fn invalid(field: Field, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }

    /// The field a form shows this error beside; `None` means above the form.
    pub fn field(&self) -> Option<Field> {
        match self {
            Self::InvalidInput { field, .. } | Self::WrongPassword { field } => Some(*field),
            Self::EmailTaken => Some(Field::Email),
            Self::UploadTooLarge { .. } | Self::BadVideo { .. } | Self::QuotaExceeded { .. } => {
                Some(Field::Video)
            }
            _ => None,
        }
    }

    pub fn status_code(&self) -> u16 {
        match self {
            Self::InvalidInput { .. } => 422,
            Self::EmailTaken => 409,
            Self::InvalidCredentials | Self::SignInRequired => 401,
            Self::WrongPassword { .. } => 403,
            Self::RateLimited { .. } | Self::TooManyUploads { .. } | Self::AnalysisBusy { .. } => {
                429
            }
            Self::UploadTooLarge { .. } => 413,
            Self::BadVideo { .. } => 422,
            Self::NotFound => 404,
            Self::InvalidClaimLink | Self::InvalidResetLink => 410,
            Self::ResetUnavailable => 503,
            Self::BadRequest => 400,
            Self::Unreachable | Self::ServerBusy { .. } => 503,
            Self::StorageFull { .. } | Self::QuotaExceeded { .. } => 507,
            Self::Internal => 500,
        }
    }

    /// Seconds a client should wait before trying again, for the Retry-After header.
    pub fn retry_after_s(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_s }
            | Self::TooManyUploads { retry_after_s }
            | Self::AnalysisBusy { retry_after_s, .. }
            | Self::ServerBusy { retry_after_s }
            | Self::StorageFull { retry_after_s } => Some(*retry_after_s),
            _ => None,
        }
    }
}

fn busy_message(limit: u32) -> String {
    if limit <= 1 {
        "Your previous video is still being analysed. Wait for it to finish, or cancel it, then try again.".into()
    } else {
        format!("You already have {limit} videos being analysed. Wait for one to finish, or cancel one, then try again.")
    }
}

fn wait_phrase(seconds: u64) -> String {
    match seconds {
        0..=59 => format!("{} second{}", seconds.max(1), plural(seconds.max(1))),
        _ => {
            let minutes = seconds.div_ceil(60);
            format!("{minutes} minute{}", plural(minutes))
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => Self::Unreachable,
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::UnsupportedRequestMethod(_) => Self::BadRequest,
            _ => Self::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_from_a_url_show_only_fixed_sentences() {
        let spoofed: AppError = serde_json::from_str(
            r#"{"code":"invalid_input","field":"email","message":"Call +1 555 0100 to verify"}"#,
        )
        .unwrap();
        let shown = spoofed.into_fixed_text();
        assert_eq!(shown.field(), Some(Field::Email));
        assert_eq!(shown.to_string(), Field::Email.rule());
        let video: AppError =
            serde_json::from_str(r#"{"code":"bad_video","message":"Visit evil.example"}"#).unwrap();
        assert!(!video.into_fixed_text().to_string().contains("evil"));
        assert_eq!(AppError::EmailTaken.into_fixed_text(), AppError::EmailTaken);
    }

    #[test]
    fn wire_format_carries_a_stable_code() {
        let json = serde_json::to_string(&AppError::RateLimited { retry_after_s: 90 }).unwrap();
        assert_eq!(json, r#"{"code":"rate_limited","retry_after_s":90}"#);
        let back: AppError = serde_json::from_str(&json).unwrap();
        assert_eq!(
            back.to_string(),
            "Too many attempts. Try again in 2 minutes."
        );
    }

    #[test]
    fn field_errors_name_their_field() {
        let err = AppError::invalid(Field::Email, "Enter your email address.");
        assert_eq!(err.field(), Some(Field::Email));
        assert_eq!(err.status_code(), 422);
        assert_eq!(AppError::InvalidCredentials.field(), None);
    }
}
