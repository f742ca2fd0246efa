pub mod account;
pub mod analysis;
pub mod claim;
pub mod history;
pub mod home;
pub mod not_found;
pub mod sign_in;
pub mod sign_up;
