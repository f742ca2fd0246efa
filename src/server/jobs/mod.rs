//! The durable job queue and the worker pool that runs analyses in the server process.

pub mod queue;
pub mod worker;

pub use worker::{spawn_pool, JobSignal};
