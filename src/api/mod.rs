//! Server functions: typed calls from the browser (and plain HTML forms) into the server.
//! Their bodies stay thin and delegate to `server::…` services.

pub mod accounts;
pub mod analyses;
pub mod athletes;
