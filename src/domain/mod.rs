//! Rules and shared types that both the server and the browser use.

pub mod analysis;
pub mod athlete;
pub mod email;
pub mod history;
pub mod ids;
pub mod password;
pub mod user;
