//! Who is on the other end of a request, as far as we can tell.

use axum::{
    extract::ConnectInfo,
    http::{
        header::{COOKIE, USER_AGENT},
        HeaderMap,
    },
};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::trusted_proxies::{canonical, TrustedProxies};

/// Longer user agents are cut so nobody fills the audit log through the header.
const MAX_USER_AGENT_CHARS: usize = 256;

/// Computed once per request by the request-span middleware and kept in the extensions.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: IpAddr,
    pub user_agent: Option<String>,
    /// The device cookie, unverified (`accounts::device`).
    pub device_token: Option<String>,
}

impl ClientInfo {
    /// The client as `trusted_proxies` lets `X-Forwarded-For` name it (see there).
    pub fn from_parts(
        headers: &HeaderMap,
        connect_info: Option<&ConnectInfo<SocketAddr>>,
        trusted_proxies: &TrustedProxies,
    ) -> Self {
        let peer = connect_info.map(|ConnectInfo(addr)| addr.ip());
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|ip| ip.trim().parse::<IpAddr>())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        if !trusted_proxies.any() && !forwarded.is_empty() {
            warn_untrusted_forwarding();
        }
        let chain: Vec<IpAddr> = forwarded.into_iter().chain(peer).collect();
        let ip = trusted_proxies
            .client_in(&chain)
            .map(canonical)
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let user_agent = headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect());
        let device_token = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(crate::server::accounts::device::token_in)
            .map(str::to_string);
        Self {
            ip,
            user_agent,
            device_token,
        }
    }

    /// The key per-client limits count under: the address, IPv6 by its /64 (what one
    /// subscriber gets), so a client cannot get a fresh allowance per address.
    pub fn limit_key(&self) -> String {
        crate::server::listener::client_key(self.ip).to_string()
    }
}

/// Once per process: a proxy in front that nobody declared makes every user one client.
fn warn_untrusted_forwarding() {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "requests carry X-Forwarded-For but no proxy is trusted: if this server runs \
             behind a proxy, set AIRTIME_TRUSTED_PROXIES to the number of proxies or to \
             their networks"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(xff: &[&str], peer: &str, trusted: u32) -> IpAddr {
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        let peer = ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 4000));
        ClientInfo::from_parts(&headers, Some(&peer), &TrustedProxies::from_count(trusted)).ip
    }

    #[test]
    fn the_client_is_counted_from_the_right_past_our_own_proxies() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // No proxy trusted: the peer, whatever the header says.
        assert_eq!(client(&["6.6.6.6"], "203.0.113.9", 0), ip("203.0.113.9"));
        // One proxy: the address it appended, not the one the client wrote before it.
        assert_eq!(
            client(&["6.6.6.6, 198.51.100.7"], "10.0.0.2", 1),
            ip("198.51.100.7")
        );
        assert_eq!(
            client(&["6.6.6.6", "198.51.100.7"], "10.0.0.2", 1),
            ip("198.51.100.7")
        );
        // Two proxies.
        assert_eq!(
            client(&["6.6.6.6, 198.51.100.7, 10.0.0.3"], "10.0.0.2", 2),
            ip("198.51.100.7")
        );
        // A request that bypassed the proxy (no header): its own address.
        assert_eq!(client(&[], "192.0.2.5", 1), ip("192.0.2.5"));
        // Garbage in the header is not a client address.
        assert_eq!(client(&["not-an-ip"], "192.0.2.5", 1), ip("192.0.2.5"));
        assert_eq!(client(&[], "::ffff:192.0.2.5", 0), ip("192.0.2.5"));
    }

    #[test]
    fn ipv6_clients_share_a_limit_per_64() {
        let a = ClientInfo {
            ip: "2001:db8:1:2::1".parse().unwrap(),
            user_agent: None,
            device_token: None,
        };
        let b = ClientInfo {
            ip: "2001:db8:1:2:ffff::9".parse().unwrap(),
            user_agent: None,
            device_token: None,
        };
        assert_eq!(a.limit_key(), b.limit_key());
    }
}
