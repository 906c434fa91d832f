//! Which addresses a download may reach (SSRF protection).
//!
//! A spreadsheet can name any URL, and the server fetches it from inside its own network: by
//! default only public addresses are reached. Loopback, private (RFC 1918, unique-local),
//! link-local (the cloud metadata address 169.254.169.254 among them), carrier-grade NAT,
//! unspecified, broadcast, multicast and documentation addresses are refused, unless the host or
//! its address is in `allow_hosts` (for local use, the demo and tests).
//!
//! The check is made where the address is known, before any connection: on the resolved
//! addresses of a host name ([`GuardedResolver`], used by the HTTP client for the first request
//! and every redirect), and on IP literals in the URL and in every redirect's target.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;

/// `allow_hosts` parsed: host names (lower case) and networks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressPolicy {
    hosts: Vec<String>,
    nets: Vec<IpNet>,
}

/// A download refused because of where it would go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub host: String,
    pub address: IpAddr,
    pub kind: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Refused { host, address, kind } = self;
        if *host == address.to_string() {
            write!(f, "refused: {address} is a {kind} address")?;
        } else {
            write!(f, "refused: {host} resolves to {address}, a {kind} address")?;
        }
        write!(f, " (allow it with allow_hosts / IPS_ALLOW_HOSTS)")
    }
}

impl std::error::Error for Refused {}

impl AddressPolicy {
    /// Parses entries like `cdn.example.com`, `127.0.0.1`, `10.0.0.0/8`, `::1`. An entry that is
    /// neither a network nor a plausible host name is an error naming it.
    pub fn new(entries: &[String]) -> Result<Self, String> {
        let mut policy = Self::default();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if let Ok(net) = entry.parse::<IpNet>() {
                policy.nets.push(net);
            } else if let Ok(ip) = entry.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
                policy.nets.push(IpNet::from(ip));
            } else if entry.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
                policy.hosts.push(entry.to_ascii_lowercase());
            } else {
                return Err(format!("allow_hosts entry {entry:?} is not a host name, an address or a network"));
            }
        }
        Ok(policy)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    /// Whether `host`, resolved to `address`, may be reached.
    pub fn check(&self, host: &str, address: IpAddr) -> Result<(), Refused> {
        if self.host_allowed(host) || self.nets.iter().any(|n| n.contains(&address)) {
            return Ok(());
        }
        match non_public(address) {
            None => Ok(()),
            Some(kind) => Err(Refused { host: host.to_string(), address, kind }),
        }
    }

    /// Checks a URL whose host is an IP literal (names are checked when resolved).
    pub fn check_url(&self, url: &url::Url) -> Result<(), Refused> {
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        self.check(&literal.to_string(), literal)
    }
}

/// What kind of non-public address `ip` is, or None for a public one.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => {
            // An IPv4 address inside IPv6 (::ffff:10.0.0.1) is that IPv4 address.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public_v4(v4);
            }
            non_public_v6(v6)
        }
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("broadcast, multicast or reserved")
    } else if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) {
        Some("documentation or benchmarking")
    } else {
        None
    }
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if first & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if first & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if first == 0x2001 && ip.segments()[1] == 0x0db8 {
        Some("documentation")
    } else if first == 0x0064 && ip.segments()[1] == 0xff9b {
        // NAT64: the IPv4 address in the last 32 bits decides.
        let [.., c, d] = ip.segments();
        non_public_v4(Ipv4Addr::from((u32::from(c) << 16) | u32::from(d)))
    } else {
        None
    }
}

/// The HTTP client's DNS resolver: the system's answer, without the addresses the policy refuses
/// (a name with no address left fails with [`Refused`], before any connection).
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match policy.check(&host, addr.ip()) {
                    Ok(()) => true,
                    Err(e) => {
                        refused.get_or_insert(e);
                        false
                    }
                })
                .collect();
            match (allowed.is_empty(), refused) {
                (true, Some(e)) => Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The `Refused` somewhere in an error's chain, if any.
pub fn refused_in(error: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(entries: &[&str]) -> AddressPolicy {
        AddressPolicy::new(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_refused() {
        let none = policy(&[]);
        for (ip, kind) in [
            ("127.0.0.1", "loopback"),
            ("127.8.9.10", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local (cloud metadata)"),
            ("100.64.0.1", "carrier-grade NAT"),
            ("0.0.0.0", "unspecified"),
            ("255.255.255.255", "broadcast, multicast or reserved"),
            ("224.0.0.1", "broadcast, multicast or reserved"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "private (unique local)"),
            ("fe80::1", "link-local"),
            ("::ffff:10.0.0.1", "private"),
            ("::ffff:169.254.169.254", "link-local (cloud metadata)"),
            ("64:ff9b::a00:1", "private"),
        ] {
            let address: IpAddr = ip.parse().unwrap();
            let refused = none.check("example.test", address).unwrap_err();
            assert_eq!(refused.kind, kind, "{ip}");
        }
        for ip in ["93.184.216.34", "172.32.0.1", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(none.check("example.test", ip.parse().unwrap()).is_ok(), "{ip} is public");
        }
    }

    #[test]
    fn the_allow_list_takes_hosts_addresses_and_networks() {
        let allow = policy(&["127.0.0.1", "Videos.Local", "10.0.0.0/8", "[::1]"]);
        assert!(allow.check("127.0.0.1", "127.0.0.1".parse().unwrap()).is_ok());
        assert!(allow.check("anything", "10.200.0.1".parse().unwrap()).is_ok());
        assert!(allow.check("videos.local.", "192.168.0.9".parse().unwrap()).is_ok(), "by name, any address");
        assert!(allow.check("x", "::1".parse().unwrap()).is_ok());
        assert!(allow.check("x", "127.0.0.2".parse().unwrap()).is_err(), "127.0.0.1 alone, not all loopback");
        assert!(allow.check("x", "192.168.0.9".parse().unwrap()).is_err());
        assert!(AddressPolicy::new(&["bad host/name?".to_string()]).unwrap_err().contains("bad host/name?"));
    }

    #[test]
    fn ip_literals_in_urls_are_checked_names_are_left_to_the_resolver() {
        let none = policy(&[]);
        for url in ["http://10.0.0.1:8080/a.mp4", "http://[::1]/a.mp4", "http://169.254.169.254/latest/meta-data/"] {
            assert!(none.check_url(&url::Url::parse(url).unwrap()).is_err(), "{url}");
        }
        assert!(none.check_url(&url::Url::parse("https://cdn.example.com/a.mp4").unwrap()).is_ok());
        assert!(none.check_url(&url::Url::parse("http://8.8.8.8/a.mp4").unwrap()).is_ok());
    }
}
