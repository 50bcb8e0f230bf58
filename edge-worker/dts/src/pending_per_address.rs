//! Incoming connections still in their handshake, per source address (IPv6: per /64). libp2p's
//! `connection_limits` caps them only in all ([`limits::MAX_PENDING_INCOMING`]), so one host keeping that many
//! TCP connections open and silent (no multistream, no noise) held the whole pool, and every other peer's
//! connection was refused until it let go (attacker review of issue 2.3). Here one address gets a share; this
//! behaviour comes before `connection_limits`, so a refused connection never takes a slot of the pool.
//!
//! Connections through a relay are not counted: their remote address is the relay's, shared by every peer
//! reached through it (the relay limits its own circuits).

use std::{
    collections::HashMap,
    convert::Infallible,
    net::IpAddr,
    task::{Context, Poll},
};

use libp2p::{
    core::{transport::PortUse, Endpoint},
    multiaddr::Protocol,
    swarm::{
        behaviour::ListenFailure, dummy, ConnectionDenied, ConnectionId, FromSwarm,
        NetworkBehaviour, THandler, THandlerInEvent, THandlerOutEvent, ToSwarm,
    },
    Multiaddr, PeerId,
};

use crate::{hosts::Host, limits};

/// The per-address cap on pending incoming connections.
#[derive(Debug, Default)]
pub struct Behaviour {
    /// The source of each pending incoming connection counted.
    pending: HashMap<ConnectionId, IpAddr>,
    /// Pending incoming connections per source; a source with none is not listed.
    per_source: HashMap<IpAddr, u32>,
}

/// Why a connection was refused.
#[derive(Debug, thiserror::Error)]
#[error("{0} already has {max} connections in their handshake", max = limits::MAX_PENDING_INCOMING_PER_ADDRESS)]
pub struct TooManyPending(IpAddr);

/// The source a connection from `remote` counts against: its [`Host`] (IPv4 address, IPv6 /64, an IPv4-mapped
/// IPv6 address as its IPv4 address, as everywhere else a host is counted); `None` for a relayed connection.
fn source(remote: &Multiaddr) -> Option<IpAddr> {
    if remote.iter().any(|p| p == Protocol::P2pCircuit) {
        return None;
    }
    Host::in_address(remote).map(Host::ip)
}

impl Behaviour {
    /// The connection is no longer pending.
    fn settled(&mut self, connection: ConnectionId) {
        let Some(source) = self.pending.remove(&connection) else {
            return;
        };
        if let Some(count) = self.per_source.get_mut(&source) {
            *count -= 1;
            if *count == 0 {
                self.per_source.remove(&source);
            }
        }
    }
}

impl NetworkBehaviour for Behaviour {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        connection: ConnectionId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        let Some(source) = source(remote) else {
            return Ok(());
        };
        let count = self.per_source.entry(source).or_default();
        if *count >= limits::MAX_PENDING_INCOMING_PER_ADDRESS {
            return Err(ConnectionDenied::new(TooManyPending(source)));
        }
        *count += 1;
        self.pending.insert(connection, source);
        Ok(())
    }

    fn handle_established_inbound_connection(
        &mut self,
        connection: ConnectionId,
        _peer: PeerId,
        _local: &Multiaddr,
        _remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.settled(connection);
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection: ConnectionId,
        _peer: PeerId,
        _addr: &Multiaddr,
        _role: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        if let FromSwarm::ListenFailure(ListenFailure { connection_id, .. }) = event {
            self.settled(connection_id);
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer: PeerId,
        _connection: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_64_and_relays_are_not_counted() {
        let a: Multiaddr = "/ip6/2001:db8:1:2:aaaa::1/tcp/4001".parse().unwrap();
        let b: Multiaddr = "/ip6/2001:db8:1:2:bbbb::9/udp/4001/quic-v1"
            .parse()
            .unwrap();
        assert_eq!(source(&a), source(&b));
        assert_eq!(source(&a), Some("2001:db8:1:2::".parse().unwrap()));
        let v4: Multiaddr = "/ip4/203.0.113.7/tcp/4001".parse().unwrap();
        assert_eq!(source(&v4), Some("203.0.113.7".parse().unwrap()));
        let relayed: Multiaddr = "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWJXeCsWvtfJjzWhHjcF9Ch6cmNfKZsJA6AfSWBC9CUUkb/p2p-circuit"
            .parse()
            .unwrap();
        assert_eq!(source(&relayed), None);
    }

    #[test]
    fn an_ipv4_mapped_source_counts_as_its_ipv4_address() {
        // Second attacker review: hosts::Host and the gateway read ::ffff:a.b.c.d as a.b.c.d, this cap took its
        // /64, `::`, so on a dual-stack listener every IPv4 client shared one source and one host's 16 silent
        // connections locked all of them out.
        let mapped: Multiaddr = "/ip6/::ffff:198.51.100.1/tcp/5000".parse().unwrap();
        let other: Multiaddr = "/ip6/::ffff:203.0.113.9/tcp/5000".parse().unwrap();
        let v4: Multiaddr = "/ip4/198.51.100.1/tcp/5000".parse().unwrap();
        assert_eq!(source(&mapped), source(&v4));
        assert_ne!(source(&mapped), source(&other));
    }

    #[test]
    fn pending_connections_are_capped_per_source_and_come_back() {
        let mut behaviour = Behaviour::default();
        let local: Multiaddr = "/ip4/127.0.0.1/tcp/4001".parse().unwrap();
        let flood: Multiaddr = "/ip4/198.51.100.1/tcp/5000".parse().unwrap();
        let other: Multiaddr = "/ip4/198.51.100.2/tcp/5000".parse().unwrap();
        let ids: Vec<_> = (0..limits::MAX_PENDING_INCOMING_PER_ADDRESS)
            .map(|_| ConnectionId::new_unchecked(rand::random()))
            .collect();
        for id in &ids {
            behaviour
                .handle_pending_inbound_connection(*id, &local, &flood)
                .unwrap();
        }
        let next = ConnectionId::new_unchecked(rand::random());
        assert!(behaviour
            .handle_pending_inbound_connection(next, &local, &flood)
            .is_err());
        assert!(behaviour
            .handle_pending_inbound_connection(next, &local, &other)
            .is_ok());
        behaviour
            .handle_established_inbound_connection(ids[0], PeerId::random(), &local, &flood)
            .unwrap();
        assert!(behaviour
            .handle_pending_inbound_connection(ids[0], &local, &flood)
            .is_ok());
    }
}
