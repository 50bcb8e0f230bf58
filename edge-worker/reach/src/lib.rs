//! # enreach-reach: how far an address is from the public internet
//!
//! A node connects to addresses strangers name: origin URLs a dApp registered (the gateway's origin pulls) and
//! origins an edge application declared (PeerHVM's outgoing requests). Both must refuse the node's own network
//! and the cloud's metadata services by one rule, which lives here (std only) so neither copies it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How far an address is from the public internet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// A public unicast address.
    Public,
    /// Loopback, private (RFC 1918, shared CGNAT space, IPv6 unique local): for local test networks only.
    Private,
    /// Never: unspecified, link-local (with the cloud metadata services), multicast, broadcast, reserved,
    /// documentation and benchmarking ranges.
    Never,
}

/// How far `ip` is from the public internet; IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4)
/// are judged by that address.
pub fn reach(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => reach_v4(v4),
        IpAddr::V6(v6) => reach_v6(v6),
    }
}

fn reach_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, c, _] = ip.octets();
    if ip == ALIBABA_METADATA || ip == AZURE_WIRE_SERVER {
        Reach::Never
    } else if ip.is_loopback() || ip.is_private() || (a == 100 && b & 0xc0 == 64) {
        Reach::Private
    } else if a == 0
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240
        || ip.is_documentation()
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && b & 0xfe == 18)
    {
        Reach::Never
    } else {
        Reach::Public
    }
}

fn reach_v6(ip: Ipv6Addr) -> Reach {
    if let Some(v4) = carried_v4(ip) {
        return reach_v4(v4);
    }
    let s = ip.segments();
    if ip.is_loopback() || (s[0] & 0xfe00 == 0xfc00 && ip != AWS_METADATA_V6) {
        Reach::Private
    } else if s[0] & 0xe000 != 0x2000 || (s[0] == 0x2001 && (s[1] == 0 || s[1] == 0xdb8)) {
        // Outside global unicast (link-local, multicast, unspecified, IPv4-compatible...), Teredo, documentation.
        Reach::Never
    } else {
        Reach::Public
    }
}

/// The IPv4 address an IPv6 form carries and is in the end connected to: IPv4-mapped (a dual-stack socket
/// connects over IPv4), NAT64 (the translator connects to it) and 6to4 (the relay does).
fn carried_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        Some(embedded(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(embedded(s[1], s[2]))
    } else {
        None
    }
}

/// The address a connection to `ip` reaches in the end: the IPv4 address an IPv6 form carries
/// ([`carried_v4`]), else `ip` itself. The node's own addresses are compared in this form, so
/// `[::ffff:<own>]` or `64:ff9b::<own>` is the node as much as `<own>` is.
pub fn connected_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => carried_v4(v6).map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Alibaba Cloud's metadata service, inside the shared CGNAT space that is otherwise only private.
const ALIBABA_METADATA: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);

/// Azure's wire server (its agents' configuration and keys), a public address answered only inside Azure.
const AZURE_WIRE_SERVER: Ipv4Addr = Ipv4Addr::new(168, 63, 129, 16);

/// AWS's IPv6 metadata service, inside the unique local space that is otherwise only private.
const AWS_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
