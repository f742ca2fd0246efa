//! Rules about accounts that both the server and the browser apply.

pub mod email;
pub mod password;
pub mod user;
