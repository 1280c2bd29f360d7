//! Network values of a profile: CIDR ranges, domain patterns and ports.
//!
//! CIDRs are parsed here with std's address parsers (no dependency) and must be written as
//! network addresses (`10.0.0.0/8`, not `10.0.0.1/8`): a range with host bits set usually
//! means the author meant something else, and in an egress rule a silent reinterpretation is
//! a hole. Domain patterns are hostnames, optionally with one leading `*.` wildcard label; IP
//! literals are refused so that addresses are always expressed as CIDRs.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::names::deserialize_checked;

/// An IPv4 or IPv6 network such as `169.254.0.0/16` or `fc00::/7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr/prefix`; the error says what is wrong and what is accepted.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let Some((addr, prefix)) = s.split_once('/') else {
            return Err(format!(
                "expected a CIDR range such as 10.0.0.0/8 or fc00::/7 (for one address write \
                 {s}/32, or /128 for IPv6)"
            ));
        };
        let addr: IpAddr = if addr.contains(':') {
            addr.parse::<Ipv6Addr>().map(IpAddr::V6)
        } else {
            addr.parse::<Ipv4Addr>().map(IpAddr::V4)
        }
        .map_err(|_| {
            format!(
                "{addr:?} is not an IPv4 or IPv6 address; expected a CIDR range such as \
                 10.0.0.0/8 or fc00::/7"
            )
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = match prefix.parse::<u8>() {
            Ok(p) if p <= max && prefix.bytes().all(|b| b.is_ascii_digit()) => p,
            _ => {
                return Err(format!(
                    "prefix length {prefix:?} is not valid; expected a number from 0 to {max}"
                ));
            }
        };
        let cidr = Cidr { addr, prefix };
        let network = cidr.network();
        if network != addr {
            return Err(format!(
                "host bits are set after the /{prefix} prefix; expected the network address \
                 (did you mean {network}/{prefix}?)"
            ));
        }
        Ok(cidr)
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The address with every bit after the prefix cleared.
    fn network(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask32(self.prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask128(self.prefix))),
        }
    }

    /// Whether `ip` is inside this range. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is
    /// matched as the IPv4 address it carries, so it cannot slip past an IPv4 rule.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                u32::from(a) & mask32(self.prefix) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & mask128(self.prefix) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cidr::parse(s)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "a CIDR range string such as \"10.0.0.0/8\"", Cidr::parse)
    }
}

/// Checks a domain pattern and returns it lowercased: a hostname (`pypi.org`) or a wildcard
/// over the subdomains of one (`*.github.com`).
pub fn check_domain(s: &str) -> Result<String, String> {
    const SYNTAX: &str = "expected a hostname such as pypi.org, or *.example.com to match its \
                          subdomains (a wildcard only as the whole first label)";
    let lower = s.to_ascii_lowercase();
    let (wildcard, host) = match lower.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, lower.as_str()),
    };
    if host.is_empty() || host.len() > 253 {
        return Err(format!("{SYNTAX}; a hostname has 1 to 253 characters"));
    }
    if host.parse::<IpAddr>().is_ok() || s.contains(':') {
        return Err(format!(
            "{s:?} is an IP address, not a hostname; put addresses in allowed_cidrs or \
             blocked_cidrs (e.g. {s}/32)"
        ));
    }
    for label in host.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(format!("label {label:?} is not valid; {SYNTAX}"));
        }
    }
    if host
        .split('.')
        .all(|l| l.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("{SYNTAX}; an all-numeric name is not a hostname"));
    }
    if wildcard && !host.contains('.') {
        return Err(format!(
            "a wildcard over a top-level domain ({s:?}) matches far too much; {SYNTAX}"
        ));
    }
    Ok(lower)
}

/// A validated, lowercased domain pattern (raw-layer type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainPattern(pub String);

impl<'de> Deserialize<'de> for DomainPattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_checked(d, "a hostname string such as \"pypi.org\"", |s| {
            check_domain(s).map(DomainPattern)
        })
    }
}

/// Whether `host` is matched by `pattern` (both lowercase; `*.a.b` matches `x.a.b` and
/// `y.x.a.b` but not `a.b` itself).
pub fn domain_matches(pattern: &str, host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    match pattern.strip_prefix("*.") {
        Some(base) => {
            host.len() > base.len() + 1 && host.ends_with(base) && {
                let dot = host.len() - base.len() - 1;
                host.as_bytes().get(dot) == Some(&b'.')
            }
        }
        None => host.eq_ignore_ascii_case(pattern),
    }
}

/// A TCP/UDP port, 1 to 65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number from 1 to 65535")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Port, E> {
                match u16::try_from(v) {
                    Ok(p) if p >= 1 => Ok(Port(p)),
                    _ => Err(E::custom("expected a port number from 1 to 65535")),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Port, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(-1))
            }
        }
        d.deserialize_i64(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn cidrs_parse_and_match() {
        let c = Cidr::parse("10.0.0.0/8").map_err(|e| e.to_string());
        assert_eq!(c.as_ref().map(ToString::to_string), Ok("10.0.0.0/8".into()));
        let Ok(c) = c else { return };
        assert!(c.contains(ip("10.255.1.2")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.1.2.3")), "mapped v4 must match");
        let Ok(v6) = Cidr::parse("fc00::/7") else {
            panic!("fc00::/7 must parse")
        };
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let Ok(all) = Cidr::parse("0.0.0.0/0") else {
            panic!("/0 must parse")
        };
        assert!(all.contains(ip("8.8.8.8")));
        let Ok(one) = Cidr::parse("192.168.1.7/32") else {
            panic!("/32 must parse")
        };
        assert!(one.contains(ip("192.168.1.7")) && !one.contains(ip("192.168.1.8")));
    }

    #[test]
    fn bad_cidrs_explain() {
        let e = |s: &str| Cidr::parse(s).err().unwrap_or_default();
        assert!(e("10.0.0.1/8").contains("did you mean 10.0.0.0/8"));
        assert!(e("10.0.0.0").contains("10.0.0.0/32"));
        assert!(e("10.0.0.0/33").contains("0 to 32"));
        assert!(e("fc00::/129").contains("0 to 128"));
        assert!(e("10.0.0.0/+8").contains("prefix length"));
        assert!(e("300.0.0.0/8").contains("not an IPv4 or IPv6 address"));
        assert!(e("010.0.0.0/8").contains("not an IPv4"));
        assert!(e("fe80::1%eth0/64").contains("not an IPv4"));
    }

    #[test]
    fn domains_validate_and_match() {
        assert_eq!(check_domain("PyPI.org"), Ok("pypi.org".into()));
        assert_eq!(check_domain("*.github.com"), Ok("*.github.com".into()));
        assert_eq!(check_domain("localhost"), Ok("localhost".into()));
        for bad in [
            "",
            "*",
            "*.com",
            "a.*.com",
            "ex ample.com",
            "-a.com",
            "a-.com",
            "a..b",
            "10.0.0.1",
            "::1",
            "a_b.com",
            "exa$mple.com",
            "x.com.",
        ] {
            assert!(check_domain(bad).is_err(), "{bad:?} must be refused");
        }
        assert!(domain_matches("*.github.com", "api.github.com"));
        assert!(domain_matches("*.github.com", "a.b.github.com"));
        assert!(!domain_matches("*.github.com", "github.com"));
        assert!(!domain_matches("*.github.com", "evilgithub.com"));
        assert!(domain_matches("pypi.org", "PYPI.org."));
        assert!(!domain_matches("pypi.org", "files.pypi.org"));
    }
}
