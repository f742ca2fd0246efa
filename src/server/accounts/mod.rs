//! Accounts: storage, password hashing and the sign-up / sign-in / sign-out use cases.

pub mod breached;
pub mod device;
pub mod password_hash;
pub mod repo;
pub mod service;
pub mod signed_in;

pub use service::Accounts;
