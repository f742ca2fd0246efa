//! The analysis engine in child processes: the protocol both sides speak, the child's own
//! entry point (`airtime engine`) and the supervisor the workers use.

pub mod child;
pub mod protocol;
pub mod supervisor;

pub use supervisor::{Engine, EngineConfig, EngineError, EngineOutcome, UnsafeEnd};
