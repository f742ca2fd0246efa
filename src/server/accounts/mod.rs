//! Accounts: storage, password hashing and the sign-up / sign-in / sign-out / password-reset
//! use cases.

pub mod breached;
pub mod device;
pub mod emails;
pub mod password_hash;
pub mod repo;
pub mod reset_links;
pub mod service;
pub mod signed_in;

pub use service::Accounts;
