//! The libp2p node: connection limits (per peer, pending and established, and a memory ceiling; see
//! [`crate::limits`]), TCP and QUIC with noise and yamux, identify and ping, Kademlia provider records for
//! discovery, AutoNAT to learn reachability, relay v2 (client, and server when asked) and DCUtR hole punching
//! so nodes behind NATs take part, and raw substreams for PeerDTS. One task owns the swarm; the rest of the
//! worker talks to it through [`Network`].

use std::{
    collections::{HashMap, HashSet},
    num::NonZeroU32,
    time::Duration,
};

use anyhow::Context;
use futures::StreamExt;
use libp2p::{
    autonat, connection_limits, dcutr, identify,
    identity::Keypair,
    kad, memory_connection_limits,
    multiaddr::Protocol,
    noise, ping, relay,
    swarm::{behaviour::toggle::Toggle, NetworkBehaviour, SwarmEvent},
    Multiaddr, PeerId, Swarm,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use crate::{
    hosts::{Host, HostRate, PeerHosts},
    limits, pending_per_address,
    store::ContentHash,
};

/// How a node joins the network.
#[derive(Clone, Debug, Default)]
pub struct NetworkConfig {
    /// Addresses to listen on (`/ip4/0.0.0.0/tcp/4001`, `/ip4/0.0.0.0/udp/4001/quic-v1`).
    pub listen: Vec<Multiaddr>,
    /// Peers to connect to at start (with `/p2p/<id>`), also used to bootstrap Kademlia.
    pub peers: Vec<Multiaddr>,
    /// Relays to reserve a slot on and be reachable through (`/.../p2p/<relay id>`).
    pub relays: Vec<Multiaddr>,
    /// Whether to act as a relay for others.
    pub relay_server: bool,
}

/// The composed behaviour. The limit behaviours come first: they refuse a connection before any other
/// behaviour spends anything on it.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    pending_per_address: pending_per_address::Behaviour,
    connection_limits: connection_limits::Behaviour,
    memory_limits: memory_connection_limits::Behaviour,
    relay_client: relay::client::Behaviour,
    relay_server: Toggle<relay::Behaviour>,
    dcutr: dcutr::Behaviour,
    autonat: autonat::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    kad: kad::Behaviour<kad::store::MemoryStore>,
    stream: libp2p_stream::Behaviour,
}

enum Command {
    Announce(ContentHash),
    Providers(ContentHash, oneshot::Sender<Vec<PeerId>>),
    Connected(oneshot::Sender<Vec<PeerId>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    RoundTrips(oneshot::Sender<Vec<(PeerId, Duration)>>),
    Dial(Multiaddr),
}

/// A handle to the running node.
#[derive(Clone)]
pub struct Network {
    local_peer_id: PeerId,
    control: libp2p_stream::Control,
    commands: mpsc::Sender<Command>,
    hosts: PeerHosts,
}

/// Prints an event on stdout, one JSON object per line, for operators' tooling and the tests.
pub fn announce_event(event: serde_json::Value) {
    println!("{event}");
}

impl Network {
    /// Starts the node with `keypair`, listening and dialing as `config` says.
    pub async fn start(keypair: Keypair, config: NetworkConfig) -> anyhow::Result<Self> {
        let local_peer_id = keypair.public().to_peer_id();
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                libp2p::tcp::Config::default().nodelay(true),
                noise::Config::new,
                libp2p::yamux::Config::default,
            )?
            .with_quic()
            .with_relay_client(noise::Config::new, libp2p::yamux::Config::default)?
            .with_behaviour(|key, relay_client| {
                let peer_id = key.public().to_peer_id();
                let mut kad = kad::Behaviour::new(peer_id, kad::store::MemoryStore::new(peer_id));
                // Serve provider records even before AutoNAT confirms a public address (loopback networks).
                kad.set_mode(Some(kad::Mode::Server));
                Behaviour {
                    // First, so a connection it refuses takes no slot of the pending pool below.
                    pending_per_address: Default::default(),
                    // libp2p's own limit behaviours rather than counting here: they refuse a connection at the
                    // earliest point the swarm allows (before the handshake for pending ones).
                    connection_limits: connection_limits::Behaviour::new(
                        connection_limits::ConnectionLimits::default()
                            .with_max_established_per_peer(Some(limits::MAX_CONNECTIONS_PER_PEER))
                            .with_max_pending_incoming(Some(limits::MAX_PENDING_INCOMING))
                            .with_max_established(Some(limits::MAX_ESTABLISHED)),
                    ),
                    memory_limits: memory_connection_limits::Behaviour::with_max_percentage(
                        limits::MAX_MEMORY_FRACTION,
                    ),
                    relay_client,
                    relay_server: Toggle::from(
                        config
                            .relay_server
                            .then(|| relay::Behaviour::new(peer_id, relay_limits())),
                    ),
                    dcutr: dcutr::Behaviour::new(peer_id),
                    autonat: autonat::Behaviour::new(peer_id, Default::default()),
                    identify: identify::Behaviour::new(identify::Config::new(
                        "/enreach/1.0.0".into(),
                        key.public(),
                    )),
                    ping: ping::Behaviour::new(ping::Config::new()),
                    kad,
                    stream: libp2p_stream::Behaviour::new(),
                }
            })?
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
            .build();
        for addr in &config.listen {
            swarm
                .listen_on(addr.clone())
                .with_context(|| format!("listening on {addr}"))?;
        }
        for addr in &config.peers {
            if let Some(peer) = peer_of(addr) {
                swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
            }
            swarm
                .dial(addr.clone())
                .with_context(|| format!("dialing {addr}"))?;
        }
        for relay in &config.relays {
            swarm
                .listen_on(relay.clone().with(Protocol::P2pCircuit))
                .with_context(|| format!("reserving a slot on relay {relay}"))?;
        }
        let control = swarm.behaviour().stream.new_control();
        let (commands, receiver) = mpsc::channel(64);
        let hosts = PeerHosts::default();
        tokio::spawn(run(swarm, receiver, config.relay_server, hosts.clone()));
        announce_event(
            serde_json::json!({"event": "started", "peer_id": local_peer_id.to_string()}),
        );
        Ok(Self {
            local_peer_id,
            control,
            commands,
            hosts,
        })
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The substream control, to open and accept PeerDTS streams.
    pub fn control(&self) -> libp2p_stream::Control {
        self.control.clone()
    }

    /// The host each connected peer connects from, kept up to date as connections open and close.
    pub fn hosts(&self) -> PeerHosts {
        self.hosts.clone()
    }

    /// Publishes a provider record for `id`.
    pub async fn announce(&self, id: ContentHash) {
        let _ = self.commands.send(Command::Announce(id)).await;
    }

    /// Peers Kademlia knows to provide `id`.
    pub async fn providers(&self, id: ContentHash) -> Vec<PeerId> {
        let (tx, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::Providers(id, tx))
            .await
            .is_err()
        {
            return Vec::new();
        }
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// Peers connected now.
    pub async fn connected(&self) -> Vec<PeerId> {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Connected(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// The addresses the node listens on, each ending in `/p2p/<its peer id>`.
    pub async fn listen_addrs(&self) -> Vec<Multiaddr> {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::ListenAddrs(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// The latest ping round trip to each connected peer: the measurements network coordinates are fitted to.
    pub async fn round_trips(&self) -> Vec<(PeerId, Duration)> {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::RoundTrips(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// Dials `addr`.
    pub async fn dial(&self, addr: Multiaddr) {
        let _ = self.commands.send(Command::Dial(addr)).await;
    }
}

/// The relay server's limits ([`limits`]`::RELAY_*`): circuits carry a hole punch's signalling and a download's
/// first batches, not whole downloads, and no host gets more by rotating peer ids. libp2p's default rate limiters
/// are replaced by these, not added to.
fn relay_limits() -> relay::Config {
    relay::Config {
        max_reservations: limits::RELAY_MAX_RESERVATIONS,
        max_reservations_per_peer: limits::RELAY_MAX_RESERVATIONS_PER_PEER,
        reservation_rate_limiters: vec![per_host(limits::RELAY_RESERVATIONS_PER_IP)],
        max_circuits: limits::RELAY_MAX_CIRCUITS,
        max_circuits_per_peer: limits::RELAY_MAX_CIRCUITS_PER_PEER,
        max_circuit_duration: limits::RELAY_MAX_CIRCUIT_DURATION,
        max_circuit_bytes: limits::RELAY_MAX_CIRCUIT_BYTES,
        circuit_src_rate_limiters: vec![per_host(limits::RELAY_CIRCUITS_PER_IP)],
        ..Default::default()
    }
}

/// A relay rate limiter granting each [`Host`] `limit` per [`limits::RELAY_RATE_INTERVAL`], all at once at most.
/// Not libp2p's `new_per_ip`: it counts each IPv6 address apart, so one line (a /64) would have 2^64 allowances
/// (second attacker review).
fn per_host(limit: u32) -> Box<dyn relay::RateLimiter> {
    let limit = NonZeroU32::new(limit).expect("relay rate limits are positive constants");
    let quota = governor::Quota::with_period(limits::RELAY_RATE_INTERVAL / limit.get())
        .expect("a positive interval")
        .allow_burst(limit);
    let rate = HostRate::new(quota);
    Box::new(move |_: PeerId, addr: &Multiaddr, _: std::time::Instant| {
        rate.allows(Host::in_address(addr))
    })
}

/// The peer id at the end of `addr`, if it names one.
pub fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().last().and_then(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

#[tracing::instrument(skip_all, name = "swarm")]
async fn run(
    mut swarm: Swarm<Behaviour>,
    mut commands: mpsc::Receiver<Command>,
    relay_server: bool,
    hosts: PeerHosts,
) {
    let mut provider_queries: HashMap<
        kad::QueryId,
        (oneshot::Sender<Vec<PeerId>>, HashSet<PeerId>),
    > = HashMap::new();
    // Latest ping round trip per connected peer.
    let mut round_trips: HashMap<PeerId, Duration> = HashMap::new();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => return,
                Some(Command::Announce(id)) => {
                    let key = kad::RecordKey::new(&id.as_bytes());
                    if let Err(e) = swarm.behaviour_mut().kad.start_providing(key) {
                        warn!(%e, "cannot store provider record");
                    }
                }
                Some(Command::Providers(id, reply)) => {
                    let key = kad::RecordKey::new(&id.as_bytes());
                    let query = swarm.behaviour_mut().kad.get_providers(key);
                    provider_queries.insert(query, (reply, HashSet::new()));
                }
                Some(Command::Connected(reply)) => {
                    let _ = reply.send(swarm.connected_peers().copied().collect());
                }
                Some(Command::ListenAddrs(reply)) => {
                    let me = *swarm.local_peer_id();
                    let _ = reply.send(swarm.listeners().map(|a| a.clone().with(Protocol::P2p(me))).collect());
                }
                Some(Command::RoundTrips(reply)) => {
                    let _ = reply.send(round_trips.iter().map(|(p, d)| (*p, *d)).collect());
                }
                Some(Command::Dial(addr)) => {
                    if let Err(e) = swarm.dial(addr.clone()) {
                        warn!(%addr, %e, "dial failed");
                    }
                }
            },
            event = swarm.select_next_some() => match event {
                SwarmEvent::NewListenAddr { address, .. } => {
                    // A relay hands its addresses to the peers it reserves slots for, so it must name them;
                    // a relay is deployed where its listen addresses are reachable.
                    if relay_server {
                        swarm.add_external_address(address.clone());
                    }
                    let full = address.with(Protocol::P2p(*swarm.local_peer_id()));
                    info!(%full, "listening");
                    announce_event(serde_json::json!({"event": "listening", "address": full.to_string()}));
                }
                SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received { peer_id, info, .. })) => {
                    for addr in info.listen_addrs {
                        swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                    }
                }
                SwarmEvent::Behaviour(BehaviourEvent::RelayClient(
                    relay::client::Event::ReservationReqAccepted { relay_peer_id, .. },
                )) => {
                    info!(%relay_peer_id, "relay reservation accepted");
                    announce_event(serde_json::json!({"event": "relayed", "relay": relay_peer_id.to_string()}));
                }
                SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                    id, result: kad::QueryResult::GetProviders(result), step, ..
                })) => {
                    if let Some((_, found)) = provider_queries.get_mut(&id) {
                        if let Ok(kad::GetProvidersOk::FoundProviders { providers, .. }) = result {
                            found.extend(providers);
                        }
                    }
                    if step.last {
                        if let Some((reply, found)) = provider_queries.remove(&id) {
                            let _ = reply.send(found.into_iter().collect());
                        }
                    }
                }
                SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { peer, result: Ok(rtt), .. })) => {
                    round_trips.insert(peer, rtt);
                }
                SwarmEvent::ConnectionClosed { peer_id, connection_id, num_established, .. } => {
                    hosts.closed(&peer_id, connection_id);
                    if num_established == 0 {
                        round_trips.remove(&peer_id);
                    }
                }
                SwarmEvent::ConnectionEstablished { peer_id, connection_id, endpoint, .. } => {
                    hosts.connected(peer_id, connection_id, &endpoint);
                    let address = endpoint.get_remote_address();
                    debug!(%peer_id, %address, "connected");
                    announce_event(serde_json::json!({"event": "connected", "peer": peer_id.to_string(),
                        "address": address.to_string(), "relayed": endpoint.is_relayed()}));
                }
                SwarmEvent::Behaviour(BehaviourEvent::Dcutr(dcutr::Event { remote_peer_id, result })) => {
                    info!(%remote_peer_id, ?result, "hole punch");
                    announce_event(serde_json::json!({"event": "hole_punch", "peer": remote_peer_id.to_string(),
                        "ok": result.is_ok(), "error": result.err().map(|e| e.to_string())}));
                }
                SwarmEvent::Behaviour(BehaviourEvent::Autonat(autonat::Event::StatusChanged { new, .. })) => {
                    let (status, address) = match new {
                        autonat::NatStatus::Public(a) => ("public", Some(a.to_string())),
                        autonat::NatStatus::Private => ("private", None),
                        autonat::NatStatus::Unknown => ("unknown", None),
                    };
                    info!(status, ?address, "NAT status");
                    announce_event(serde_json::json!({"event": "nat_status", "status": status, "address": address}));
                }
                SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                    debug!(?peer_id, %error, "outgoing connection failed");
                }
                _ => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stranger_cannot_use_a_relaying_edge_as_an_unlimited_proxy() {
        // Found by an attacker review (H6): the relay ran with `max_circuit_bytes: 0`, which libp2p reads as
        // "no limit", for an hour per circuit.
        let config = relay_limits();
        assert!(
            config.max_circuit_bytes > 0 && config.max_circuit_bytes <= 64 << 20,
            "{config:?}"
        );
        assert!(config.max_circuit_duration <= Duration::from_secs(600));
        // Enough for the hole punch of tests/nat.rs, which starts a 4 MiB fetch on the circuit.
        assert!(config.max_circuit_bytes >= 8 << 20);
    }

    #[test]
    fn the_relays_rate_per_ip_counts_an_ipv6_64_as_one_source() {
        // Second attacker review: libp2p's per-IP relay limiters key on the whole address, so one IPv6 line
        // (a /64, 2^64 addresses) opens circuits and reservations without limit but the global caps, which it
        // then holds: honest NATed nodes find no reservation and no circuit left on the relay.
        use libp2p::relay::RateLimiter;
        let mut config = relay_limits();
        let now = std::time::Instant::now();
        let admitted = |limiters: &mut Vec<Box<dyn RateLimiter>>| {
            (0..100u16)
                .filter(|i| {
                    let addr: Multiaddr = format!("/ip6/2001:db8:1:2::{:x}/tcp/4001", i + 1)
                        .parse()
                        .unwrap();
                    limiters
                        .iter_mut()
                        .all(|limiter| limiter.try_next(PeerId::random(), &addr, now))
                })
                .count()
        };
        let circuits = admitted(&mut config.circuit_src_rate_limiters);
        assert!(
            circuits <= limits::RELAY_CIRCUITS_PER_IP as usize,
            "{circuits} circuits at once from one /64"
        );
        let reservations = admitted(&mut config.reservation_rate_limiters);
        assert!(
            reservations <= limits::RELAY_RESERVATIONS_PER_IP as usize,
            "{reservations} reservations at once from one /64"
        );
    }
}
