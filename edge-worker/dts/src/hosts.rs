//! Where peers connect from. Peer ids cost nothing to make, so whatever a node grants a stranger once (a
//! provider's unreceipted allowance, for one) must be counted per host as well, or rotating peer ids resets it.
//! A host is an IPv4 address or an IPv6 /64: one subscriber line is handed a whole /64, so counting single IPv6
//! addresses would give each line 2^64 fresh hosts.

use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, Ipv6Addr},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

use libp2p::{core::ConnectedPoint, multiaddr::Protocol, swarm::ConnectionId, Multiaddr, PeerId};

use crate::limits;

/// An IPv4 address or an IPv6 /64 prefix (IPv4-mapped IPv6 addresses count as their IPv4 address).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Host(IpAddr);

impl Host {
    /// The host `ip` belongs to.
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => Host(IpAddr::V6(Ipv6Addr::from(
                u128::from(v6) & !u128::from(u64::MAX),
            ))),
            v4 => Host(v4),
        }
    }

    /// The address standing for the host: an IPv4 address, or the first address of an IPv6 /64.
    pub fn ip(self) -> IpAddr {
        self.0
    }

    /// The host of the first IP address in `addr`, if it names one (not a DNS name or a bare `/p2p`).
    pub fn in_address(addr: &Multiaddr) -> Option<Self> {
        addr.iter().find_map(|p| match p {
            Protocol::Ip4(ip) => Some(Host::of(ip.into())),
            Protocol::Ip6(ip) => Some(Host::of(ip.into())),
            _ => None,
        })
    }

    /// The host a connection comes from. A relayed connection names no address of the peer, only the relay's
    /// (first in the circuit address): its peer is counted as the relay's host, which the relay itself limits
    /// per host (see [`crate::network`]).
    pub fn of_connection(endpoint: &ConnectedPoint) -> Option<Self> {
        match endpoint {
            ConnectedPoint::Listener { local_addr, .. } if endpoint.is_relayed() => {
                Self::in_address(local_addr)
            }
            _ => Self::in_address(endpoint.get_remote_address()),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(ip) => write!(f, "{ip}"),
            IpAddr::V6(ip) => write!(f, "{ip}/64"),
        }
    }
}

/// A rate limit per host (governor's token buckets keyed by [`Host`]), for what a stranger may ask again and
/// again: counted per peer id, a host rotating ids would get a fresh allowance each time. An address naming no
/// host (a peer reached through a DNS name) counts against one shared key, `None`, so it gets no fresh
/// allowance either.
#[derive(Debug)]
pub struct HostRate {
    limiter: governor::DefaultKeyedRateLimiter<Option<Host>>,
    /// Keys past which those whose allowance is whole again (they would be answered as a fresh key is) are
    /// forgotten. Doubled past what a cleanup kept, so a cleanup (a pass over every key) runs once per as many
    /// new keys as it kept, not on every check while many hosts are active.
    cleanup_at: AtomicUsize,
}

impl HostRate {
    /// Past this many keys the first cleanup runs: as many hosts as a node holds connections.
    const KEYS_BEFORE_CLEANUP: usize = limits::MAX_ESTABLISHED as usize;

    /// Each host gets `quota`.
    pub fn new(quota: governor::Quota) -> Self {
        Self {
            limiter: governor::RateLimiter::keyed(quota),
            cleanup_at: AtomicUsize::new(Self::KEYS_BEFORE_CLEANUP),
        }
    }

    /// Whether `host` may be served once more now (which uses up one of its allowance).
    pub fn allows(&self, host: Option<Host>) -> bool {
        if self.limiter.len() > self.cleanup_at.load(Ordering::Relaxed) {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            let kept = self.limiter.len();
            self.cleanup_at.store(
                Self::KEYS_BEFORE_CLEANUP.max(kept.saturating_mul(2)),
                Ordering::Relaxed,
            );
        }
        self.limiter.check_key(&host).is_ok()
    }
}

/// The host of each connected peer, kept by the swarm task as connections open and close; as large as the
/// established connections ([`crate::limits::MAX_ESTABLISHED`]).
#[derive(Clone, Debug, Default)]
pub struct PeerHosts(Arc<Mutex<HostsByPeer>>);

/// Each connected peer's open connections whose host is known, oldest first.
type HostsByPeer = HashMap<PeerId, Vec<(ConnectionId, Host)>>;

impl PeerHosts {
    fn map(&self) -> std::sync::MutexGuard<'_, HostsByPeer> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The host of `peer`'s oldest open connection, if it has one whose host is known.
    pub fn get(&self, peer: &PeerId) -> Option<Host> {
        self.map()
            .get(peer)
            .and_then(|connections| connections.first())
            .map(|(_, host)| *host)
    }

    /// `peer` connected from `endpoint` over `connection`.
    pub fn connected(&self, peer: PeerId, connection: ConnectionId, endpoint: &ConnectedPoint) {
        if let Some(host) = Host::of_connection(endpoint) {
            self.map().entry(peer).or_default().push((connection, host));
        }
    }

    /// `peer`'s `connection` closed.
    pub fn closed(&self, peer: &PeerId, connection: ConnectionId) {
        let mut map = self.map();
        if let Some(connections) = map.get_mut(peer) {
            connections.retain(|(c, _)| *c != connection);
            if connections.is_empty() {
                map.remove(peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use libp2p::core::{transport::PortUse, Endpoint};

    use super::*;

    fn host(addr: &str) -> Option<Host> {
        Host::in_address(&addr.parse().unwrap())
    }

    #[test]
    fn an_ipv6_line_is_one_host_and_a_relayed_peer_counts_as_its_relay() {
        assert_eq!(
            host("/ip6/2001:db8:1:2:aaaa::1/tcp/1"),
            host("/ip6/2001:db8:1:2:ffff:1:2:3/udp/9/quic-v1"),
            "addresses of one /64"
        );
        assert_ne!(
            host("/ip6/2001:db8:1:2::1/tcp/1"),
            host("/ip6/2001:db8:1:3::1/tcp/1")
        );
        assert_eq!(
            host("/ip6/::ffff:10.0.0.1/tcp/1"),
            host("/ip4/10.0.0.1/tcp/2")
        );
        assert_eq!(host("/dns4/example.com/tcp/1"), None);

        let relay: Multiaddr =
            "/ip4/9.9.9.9/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"
                .parse()
                .unwrap();
        let relayed = ConnectedPoint::Listener {
            local_addr: relay.with(Protocol::P2pCircuit),
            send_back_addr: Protocol::P2p(PeerId::random()).into(),
        };
        assert_eq!(Host::of_connection(&relayed), host("/ip4/9.9.9.9"));
        let direct = ConnectedPoint::Dialer {
            address: "/ip4/1.2.3.4/tcp/5".parse().unwrap(),
            role_override: Endpoint::Dialer,
            port_use: PortUse::Reuse,
        };
        assert_eq!(Host::of_connection(&direct), host("/ip4/1.2.3.4"));
    }

    #[test]
    fn a_peer_is_known_by_its_oldest_open_connection() {
        let hosts = PeerHosts::default();
        let peer = PeerId::random();
        let at = |ip: &str| ConnectedPoint::Listener {
            local_addr: "/ip4/127.0.0.1/tcp/1".parse().unwrap(),
            send_back_addr: format!("/ip4/{ip}/tcp/2").parse().unwrap(),
        };
        let (first, second) = (
            ConnectionId::new_unchecked(1),
            ConnectionId::new_unchecked(2),
        );
        hosts.connected(peer, first, &at("1.1.1.1"));
        hosts.connected(peer, second, &at("2.2.2.2"));
        assert_eq!(hosts.get(&peer), host("/ip4/1.1.1.1"));
        hosts.closed(&peer, first);
        assert_eq!(hosts.get(&peer), host("/ip4/2.2.2.2"));
        hosts.closed(&peer, second);
        assert_eq!(hosts.get(&peer), None);
        assert!(hosts.map().is_empty(), "no entry for a gone peer");
    }
}
