//! The address people reach Airtime at (`AIRTIME_PUBLIC_URL`). It decides whether cookies are
//! `Secure` (and then `__Host-` prefixed), the one origin a state-changing request may come
//! from (scheme, host and port), and the one host the server answers for: a request naming
//! another (DNS rebinding, a stray virtual host) is refused.

use std::fmt;
use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    https: bool,
    /// Lower case; IPv6 in brackets.
    host: String,
    port: u16,
}

impl PublicUrl {
    /// `http://host[:port]` or `https://host[:port]`, with at most a `/` after it.
    pub fn parse(url: &str) -> Result<Self, &'static str> {
        const EXPECTED: &str =
            "http:// or https:// and a host, with no path, like https://airtime.example.com";
        let url = url.trim();
        let url = url.strip_suffix('/').unwrap_or(url);
        let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
        if after_scheme.contains(['/', '?', '#']) {
            return Err(EXPECTED);
        }
        let origin = Origin::parse(url).ok_or(EXPECTED)?;
        Ok(Self {
            https: origin.https,
            host: origin.host,
            port: origin.port,
        })
    }

    /// The default: plain http at the address the server listens on (loopback when it listens
    /// on every interface, as a deployment must then name its public URL).
    pub fn for_listener(addr: SocketAddr) -> Self {
        let ip = match addr.ip() {
            ip if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
            ip => ip,
        };
        let host = match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        };
        Self {
            https: false,
            host,
            port: addr.port(),
        }
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Whether an `Origin` (or a `Referer`, whose path is ignored) names this site.
    pub fn is_origin_of(&self, url: &str) -> bool {
        Origin::parse(url).is_some_and(|o| o.https == self.https && self.same_host(&o.host, o.port))
    }

    /// Whether a `Host` header names this site.
    pub fn is_host(&self, authority: &str) -> bool {
        split_authority(authority, self.default_port())
            .is_some_and(|(host, port)| self.same_host(&host, port))
    }

    fn same_host(&self, host: &str, port: u16) -> bool {
        host == self.host && port == self.port
    }

    fn default_port(&self) -> u16 {
        if self.https {
            443
        } else {
            80
        }
    }
}

impl fmt::Display for PublicUrl {
    /// The origin: `scheme://host`, with the port when it is not the scheme's own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.host)?;
        if self.port != self.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// `scheme://authority[/…]`; user info is refused (it only ever serves to mislead).
    fn parse(url: &str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let https = match scheme.to_ascii_lowercase().as_str() {
            "https" => true,
            "http" => false,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        let (host, port) = split_authority(authority, if https { 443 } else { 80 })?;
        Some(Self { https, host, port })
    }
}

/// `host[:port]` → (lower-case host, port); `[v6][:port]` keeps its brackets.
fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if authority.is_empty() || authority.contains(['@', ' ', '\\']) {
        return None;
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']')?;
        v6.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{v6}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None => default_port,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_origin() {
        let url = PublicUrl::parse("https://Airtime.Example.com/").unwrap();
        assert!(url.is_https());
        assert_eq!(url.to_string(), "https://airtime.example.com");
        let local = PublicUrl::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(local.to_string(), "http://127.0.0.1:3000");
        for bad in [
            "airtime.example.com",
            "ftp://airtime.example.com",
            "https://",
            "https://user@airtime.example.com",
            "https://airtime.example.com/app",
            "https://airtime.example.com:port",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_origin_must_match_scheme_host_and_port() {
        let url = PublicUrl::parse("https://airtime.example.com").unwrap();
        assert!(url.is_origin_of("https://airtime.example.com"));
        assert!(url.is_origin_of("https://AIRTIME.example.com:443/signin?x=1"));
        assert!(!url.is_origin_of("http://airtime.example.com"));
        assert!(!url.is_origin_of("https://airtime.example.com:8443"));
        assert!(!url.is_origin_of("https://airtime.example.com.evil.test"));
        assert!(!url.is_origin_of("https://evil.test@airtime.example.com"));
        assert!(!url.is_origin_of("null"));
    }

    #[test]
    fn the_host_header_must_name_this_site() {
        let url = PublicUrl::parse("http://127.0.0.1:3000").unwrap();
        assert!(url.is_host("127.0.0.1:3000"));
        assert!(!url.is_host("localhost:3000"));
        assert!(!url.is_host("127.0.0.1"));
        let public = PublicUrl::parse("https://airtime.example.com").unwrap();
        assert!(public.is_host("airtime.example.com"));
        assert!(public.is_host("airtime.example.com:443"));
        assert!(!public.is_host("rebound.evil.test"));
    }

    #[test]
    fn the_default_is_the_listener_on_loopback() {
        let url = PublicUrl::for_listener("0.0.0.0:8080".parse().unwrap());
        assert_eq!(url.to_string(), "http://127.0.0.1:8080");
        let v6 = PublicUrl::for_listener("[::1]:3000".parse().unwrap());
        assert_eq!(v6.to_string(), "http://[::1]:3000");
        assert!(v6.is_host("[::1]:3000"));
    }
}
