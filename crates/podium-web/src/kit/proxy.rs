//! The client's address behind a reverse proxy. A connection's peer is the client unless it is
//! one of the proxies named by `--trusted-proxy`; then the client is read from the `Forwarded`
//! header (RFC 7239) or `X-Forwarded-For`, from the right: the first address that is not itself
//! a trusted proxy. From anyone else these headers are ignored, since any client can send them.
//! Every rate limit, the card-testing defence and the audit log read the address this gives.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// Addresses and networks (`10.0.0.0/8`, `::1`) whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<(IpAddr, u8)>>);

impl TrustedProxies {
    /// Parses a comma- or space-separated list of addresses and CIDR networks.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let ip: IpAddr = addr.parse().map_err(|_| format!("{item} is not an IP address or network"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => {
                    b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| format!("{item}: bad prefix length"))?
                }
            };
            nets.push((ip, bits));
        }
        Ok(TrustedProxies(Arc::new(nets)))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|(net, bits)| match (canonical(*net), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), *bits),
            _ => false,
        })
    }

    /// The client of a request that came from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let chain = forwarded_for(headers);
        // From the right: each hop appended the address it saw; the first one not ours is the client.
        chain.iter().rev().copied().find(|ip| !self.contains(*ip)).or_else(|| chain.first().copied()).unwrap_or(peer)
    }
}

/// IPv4 addresses mapped into IPv6 (`::ffff:1.2.3.4`) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_eq(net: &[u8], addr: &[u8], bits: u8) -> bool {
    let full = usize::from(bits / 8);
    let rest = bits % 8;
    if net[..full] != addr[..full] {
        return false;
    }
    rest == 0 || {
        let mask = 0xffu8 << (8 - rest);
        net[full] & mask == addr[full] & mask
    }
}

/// The addresses the forwarding headers list, leftmost first: `Forwarded`'s `for=` values when
/// that header is present, else `X-Forwarded-For`. Unparseable entries (`unknown`, obfuscated
/// identifiers) end the chain there, so nothing to their left is believed.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values: Vec<String> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim().trim_matches('"').to_string())
            })
        })
        .collect();
    let values = if values.is_empty() {
        headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .collect()
    } else {
        values
    };
    let mut out = Vec::new();
    for v in values.iter().rev() {
        match parse_node(v) {
            Some(ip) => out.push(ip),
            None => break,
        }
    }
    out.reverse();
    out
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn parse_node(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    s.strip_prefix('[').and_then(|r| r.split_once(']')).and_then(|(ip, _)| ip.parse().ok())
}

/// Replaces the connection's peer with the client the trusted proxy names (see the module).
pub async fn real_client(State(trusted): State<TrustedProxies>, mut req: Request, next: Next) -> Response {
    if !trusted.is_empty() {
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
            let client = trusted.client(peer.ip(), req.headers());
            if client != peer.ip() {
                req.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, peer.port())));
            }
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().expect("value"));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("list");
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(trusted.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.2"), &h), ip("10.0.0.2"), "no proxy trusted");
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").expect("list");
        // A client may put anything leftmost; the hop our proxy saw is what counts.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 192.168.1.1")]);
        assert_eq!(trusted.client(ip("10.1.2.3"), &h), ip("198.51.100.7"));
        let h = headers(&[("forwarded", r#"for=6.6.6.6, for="[2001:db8::7]:4711";proto=https"#)]);
        assert_eq!(trusted.client(ip("10.1.2.3"), &h), ip("2001:db8::7"));
        let h = headers(&[("forwarded", "for=unknown"), ("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(trusted.client(ip("10.1.2.3"), &h), ip("10.1.2.3"), "nothing believable");
    }

    #[test]
    fn networks_match_by_prefix_and_mapped_addresses_as_ipv4() {
        let trusted = TrustedProxies::parse("172.16.0.0/12 ::1 fd00::/8").expect("list");
        assert!(trusted.contains(ip("172.31.255.1")));
        assert!(!trusted.contains(ip("172.32.0.1")));
        assert!(trusted.contains(ip("::1")) && trusted.contains(ip("fd12::1")));
        assert!(TrustedProxies::parse("127.0.0.1").expect("list").contains(ip("::ffff:127.0.0.1")));
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }
}
