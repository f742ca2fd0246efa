//! Cross-cutting request handling, outermost first: request span, security headers, the
//! public host check, the same-origin check, session keep-alive (inside the session layer).

pub mod host;
pub mod origin;
pub mod request_span;
pub mod security_headers;
pub mod session_keepalive;
