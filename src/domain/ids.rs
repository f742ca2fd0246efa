//! Typed ids, so an analysis id cannot go where an athlete's or a user's is expected. All are
//! random UUIDs stored as TEXT; serialised as plain strings.

use serde::{Deserialize, Serialize};

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id.
            #[cfg(feature = "ssr")]
            pub fn random() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// From the database, a session or a request: an id that names nothing is looked up
        /// and not found like any other.
        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// An account.
    UserId
);
text_id!(
    /// A guest: a browser without an account, kept in its session.
    GuestId
);
text_id!(
    /// One analysed video.
    AnalysisId
);
text_id!(
    /// An athlete of a coach.
    AthleteId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_strings_in_json_and_sessions() {
        let id = GuestId::from("3f2a".to_string());
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""3f2a""#);
        assert_eq!(serde_json::from_str::<GuestId>(r#""3f2a""#).unwrap(), id);
    }
}
