//! Who is on the other end of a request, as far as we can tell.

use axum::{
    extract::ConnectInfo,
    http::{header::USER_AGENT, HeaderMap},
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Longer user agents are cut so nobody fills the audit log through the header.
const MAX_USER_AGENT_CHARS: usize = 256;

/// Computed once per request by the request-span middleware and kept in the extensions.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn from_parts(
        headers: &HeaderMap,
        connect_info: Option<&ConnectInfo<SocketAddr>>,
        trust_forwarded_for: bool,
    ) -> Self {
        let forwarded = trust_forwarded_for
            .then(|| headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|v| v.split(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        let ip = forwarded
            .or(connect_info.map(|ConnectInfo(addr)| addr.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let user_agent = headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
        Self { ip, user_agent }
    }
}
