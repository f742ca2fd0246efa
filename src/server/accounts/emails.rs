//! The texts of the emails accounts receive. Plain text: nothing for a mail client to load or run.

/// How long a reset link works.
pub const RESET_LINK_MINUTES: i64 = 30;

pub struct Email {
    pub subject: &'static str,
    pub body: String,
}

pub fn reset_link(link: &str) -> Email {
    Email {
        subject: "Reset your Airtime password",
        body: format!(
            "Someone, hopefully you, asked to reset the password of the Airtime account of this \
             email address.\r\n\r\nTo choose a new password, open this link within \
             {RESET_LINK_MINUTES} minutes:\r\n\r\n{link}\r\n\r\nThe link works once. Resetting \
             signs the account out on every device.\r\n\r\nIf you did not ask for this, ignore \
             this email: your password stays as it is.\r\n"
        ),
    }
}

pub fn password_changed(when_utc: &str, forgot_link: &str) -> Email {
    Email {
        subject: "Your Airtime password was changed",
        body: format!(
            "The password of the Airtime account of this email address was changed on \
             {when_utc}.\r\n\r\nIf that was you, there is nothing to do. If it was not, choose a \
             new password now; that signs everyone else out:\r\n\r\n{forgot_link}\r\n"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_email_carries_the_link_on_a_line_of_its_own() {
        let link = "https://airtime.example.com/reset-password/abc";
        let email = reset_link(link);
        assert!(email.body.lines().any(|line| line == link));
        assert!(email.body.contains("30 minutes"));
    }
}
