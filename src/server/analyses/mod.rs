//! Analyses of uploaded videos: who owns them, their rows, the upload and download routes, the
//! use cases behind the server functions, and the expiry of guests' analyses.

pub mod claim;
pub mod csv;
pub mod downloads;
pub mod expiry;
pub mod history;
pub mod owner;
pub mod repo;
pub mod service;
pub mod upload;

pub use owner::{Owner, Viewer};
pub use service::Analyses;
