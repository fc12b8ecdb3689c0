//! The client addresses a key may be used from (`--allow-ip 10.0.0.0/8`), and which address a
//! request comes from: the peer's, or the one a trusted proxy in front reports.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Networks in CIDR form; empty allows every address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AllowedAddresses(Vec<IpNet>);

/// The most networks one key may list.
const MAX_NETWORKS: usize = 256;

impl AllowedAddresses {
    /// Reads `10.0.0.0/8`, `2001:db8::/32` or a lone address (`192.0.2.7` is `/32`).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<AllowedAddresses, Error> {
        check_count(items.len())?;
        let mut nets = Vec::with_capacity(items.len());
        for item in items {
            let text = item.as_ref().trim();
            let net = text
                .parse::<IpNet>()
                .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    Error::Invalid(format!(
                        "{text:?} is not an address or network, e.g. 10.0.0.0/8 or 2001:db8::/32"
                    ))
                })?;
            // `10.1.2.3/8` means the network it is in.
            let net = net.trunc();
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        Ok(AllowedAddresses(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks networks read from a file (parsed ones are checked by [`AllowedAddresses::parse`]).
    pub fn validate(&self) -> Result<(), Error> {
        check_count(self.0.len())
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }

    /// Whether `addr` may use the key. An IPv4 client seen as `::ffff:a.b.c.d` is its IPv4
    /// address.
    pub fn allows(&self, addr: IpAddr) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let addr = canonical(addr);
        self.0.iter().any(|net| net.contains(&addr))
    }
}

fn check_count(networks: usize) -> Result<(), Error> {
    if networks > MAX_NETWORKS {
        return Err(Error::Invalid(format!(
            "a key allows at most {MAX_NETWORKS} networks"
        )));
    }
    Ok(())
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// Where a request comes from, given the peer and the proxies trusted to say.
#[derive(Clone, Debug, Default)]
pub struct ClientAddress {
    trusted_proxies: Vec<IpNet>,
}

impl ClientAddress {
    pub fn new(trusted_proxies: Vec<IpNet>) -> ClientAddress {
        ClientAddress { trusted_proxies }
    }

    /// Trusting the proxies at `networks` (`--trusted-proxy 127.0.0.1/32`).
    pub fn parse<S: AsRef<str>>(networks: &[S]) -> Result<ClientAddress, Error> {
        Ok(ClientAddress::new(AllowedAddresses::parse(networks)?.0))
    }

    pub fn trusts(&self, peer: IpAddr) -> bool {
        let peer = canonical(peer);
        self.trusted_proxies.iter().any(|n| n.contains(&peer))
    }

    /// The client: the peer, unless the peer is a trusted proxy, then the rightmost address
    /// of `X-Forwarded-For` that is not itself a trusted proxy (what the proxy nearest us
    /// saw), or `X-Real-IP`. A header that does not parse is ignored, never believed in part.
    pub fn client(
        &self,
        peer: IpAddr,
        forwarded_for: Option<&str>,
        real_ip: Option<&str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        if let Some(list) = forwarded_for {
            let hops: Option<Vec<IpAddr>> = list
                .split(',')
                .map(|h| h.trim().parse::<IpAddr>().ok().map(canonical))
                .collect();
            if let Some(hops) = hops
                && let Some(client) = hops.iter().rev().find(|h| !self.trusts(**h))
            {
                return *client;
            }
        }
        real_ip
            .and_then(|r| r.trim().parse::<IpAddr>().ok())
            .map_or(peer, canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_of_both_families_allow_their_addresses_only() {
        let allowed =
            AllowedAddresses::parse(&["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]).unwrap();
        assert!(allowed.allows(ip("10.200.3.4")));
        assert!(allowed.allows(ip("::ffff:10.1.1.1")));
        assert!(allowed.allows(ip("2001:db8:ffff::1")));
        assert!(allowed.allows(ip("192.0.2.7")));
        assert!(!allowed.allows(ip("192.0.2.8")));
        assert!(!allowed.allows(ip("11.0.0.1")));
        assert!(!allowed.allows(ip("2001:db9::1")));
        assert!(AllowedAddresses::default().allows(ip("203.0.113.9")));
    }

    #[test]
    fn bad_networks_are_refused_with_an_example() {
        for bad in [
            "",
            "10.0.0.0/33",
            "example.com",
            "10.0.0/8",
            "::/129",
            "1.2.3.4/-1",
        ] {
            let e = AllowedAddresses::parse(&[bad]).expect_err(bad);
            assert!(e.to_string().contains("e.g. 10.0.0.0/8"), "{e}");
        }
        let many: Vec<String> = (0..300).map(|i| format!("10.0.{}.0/24", i % 256)).collect();
        assert!(AllowedAddresses::parse(&many).is_err());
    }

    #[test]
    fn host_bits_are_dropped_and_repeats_kept_once() {
        let allowed = AllowedAddresses::parse(&["10.1.2.3/8", "10.0.0.0/8"]).unwrap();
        assert_eq!(allowed.networks().len(), 1);
        assert_eq!(allowed.networks()[0].to_string(), "10.0.0.0/8");
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let proxies = ClientAddress::new(vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.9.0.0/16".parse().unwrap(),
        ]);
        // An untrusted peer cannot claim another address.
        assert_eq!(
            proxies.client(ip("198.51.100.4"), Some("10.0.0.1"), Some("10.0.0.2")),
            ip("198.51.100.4")
        );
        // A trusted one: the rightmost hop that is not a trusted proxy.
        assert_eq!(
            proxies.client(
                ip("127.0.0.1"),
                Some("1.1.1.1, 203.0.113.5, 10.9.3.3"),
                None
            ),
            ip("203.0.113.5")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), None, Some("203.0.113.6")),
            ip("203.0.113.6")
        );
        // A header that does not parse is not believed in part.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("203.0.113.5, junk"), None),
            ip("127.0.0.1")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some(""), Some("nope")),
            ip("127.0.0.1")
        );
        // Only proxies in the list: the peer, then.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), Some("10.9.0.1"), None),
            ip("127.0.0.1")
        );
    }
}
