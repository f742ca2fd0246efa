//! Command-line entry points of the `airtime` binary other than the server.

pub mod analyze;
mod summary;
