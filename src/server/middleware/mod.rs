//! Cross-cutting request handling, outermost first: request span, same-origin check, session
//! keep-alive (inside the session layer).

pub mod origin;
pub mod request_span;
pub mod security_headers;
pub mod session_keepalive;
