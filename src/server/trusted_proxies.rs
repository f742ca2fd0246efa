//! Which proxies in front of the server may name the client in `X-Forwarded-For`. Each proxy
//! appends the address it received from, so the header reads [client-written…, client, proxy…]
//! and the connection's own address is the last proxy. They are given either as a count of
//! hops or as the proxies' own addresses and networks; the client is then the right-most
//! address that is not one of them. Anything further left was written by the client.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TrustedProxies {
    /// The connection's address is the client's.
    #[default]
    None,
    Count(u32),
    Networks(Vec<Network>),
}

/// An address or a CIDR block: `10.0.0.0/8`, `192.168.1.5`, `fd00::/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

const EXPECTED: &str = "a number of proxies, or their addresses and networks separated by \
                        commas, like 10.0.0.0/8, 192.168.1.5";

impl TrustedProxies {
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let value = value.trim();
        if let Ok(count) = value.parse::<u32>() {
            return Ok(Self::from_count(count));
        }
        let networks = value
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(Network::parse)
            .collect::<Option<Vec<_>>>()
            .filter(|networks| !networks.is_empty())
            .ok_or(EXPECTED)?;
        Ok(Self::Networks(networks))
    }

    pub fn from_count(count: u32) -> Self {
        match count {
            0 => Self::None,
            n => Self::Count(n),
        }
    }

    pub fn any(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// The client in `chain` = [forwarded addresses…, the connection's address]. A request
    /// with fewer hops than proxies did not come through them all: its own address counts.
    pub fn client_in(&self, chain: &[IpAddr]) -> Option<IpAddr> {
        let peer = chain.last().copied();
        match self {
            Self::None => peer,
            Self::Count(n) => chain
                .len()
                .checked_sub(1 + *n as usize)
                .map(|i| chain[i])
                .or(peer),
            Self::Networks(networks) => chain
                .iter()
                .rev()
                .find(|ip| !networks.iter().any(|net| net.contains(**ip)))
                .or(chain.first())
                .copied(),
        }
    }
}

impl Network {
    fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let base = canonical(address.parse::<IpAddr>().ok()?);
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(Self { base, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => same_prefix(
                u32::from(base).into(),
                u32::from(ip).into(),
                32,
                self.prefix,
            ),
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                same_prefix(u128::from(base), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits - prefix);
    shift >= u32::from(bits) || (a >> shift) == (b >> shift)
}

/// IPv4-mapped IPv6 addresses are the IPv4 addresses they stand for.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn parses_counts_and_networks() {
        assert_eq!(TrustedProxies::parse("0"), Ok(TrustedProxies::None));
        assert_eq!(TrustedProxies::parse("2"), Ok(TrustedProxies::Count(2)));
        let TrustedProxies::Networks(nets) =
            TrustedProxies::parse("10.0.0.0/8, 192.168.1.5,fd00::/8").unwrap()
        else {
            panic!("networks expected");
        };
        assert_eq!(nets.len(), 3);
        for bad in ["", "10.0.0.0/33", "proxy.example", "10.0.0.0/8, x", "-1"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_client_is_the_right_most_address_not_ours() {
        let ours = TrustedProxies::parse("10.0.0.0/8, 2001:db8:ffff::/48").unwrap();
        let client = |chain: &[&str]| ours.client_in(&ips(chain)).unwrap().to_string();
        assert_eq!(
            client(&["6.6.6.6", "198.51.100.7", "10.1.2.3", "10.0.0.2"]),
            "198.51.100.7"
        );
        assert_eq!(
            client(&["198.51.100.7", "2001:db8:ffff::1"]),
            "198.51.100.7"
        );
        assert_eq!(client(&["198.51.100.7", "::ffff:10.0.0.2"]), "198.51.100.7");
        // A connection from outside our networks is the client, whatever it wrote.
        assert_eq!(client(&["6.6.6.6", "203.0.113.9"]), "203.0.113.9");
        // Only our proxies in the chain: the left-most.
        assert_eq!(client(&["10.9.9.9", "10.0.0.2"]), "10.9.9.9");
    }

    #[test]
    fn a_count_is_hops_from_the_right() {
        let two = TrustedProxies::Count(2);
        let chain = ips(&["6.6.6.6", "198.51.100.7", "10.0.0.3", "10.0.0.2"]);
        assert_eq!(two.client_in(&chain), Some("198.51.100.7".parse().unwrap()));
        assert_eq!(
            two.client_in(&ips(&["192.0.2.5"])),
            Some("192.0.2.5".parse().unwrap())
        );
        assert_eq!(
            TrustedProxies::None.client_in(&chain),
            Some("10.0.0.2".parse().unwrap())
        );
    }
}
