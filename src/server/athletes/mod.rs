//! A coach's athletes: storage and the use cases behind their pages.

pub mod repo;
pub mod service;

pub use service::Athletes;
