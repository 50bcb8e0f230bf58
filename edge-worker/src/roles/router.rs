//! The router role (`run --role router`): PeerRouting's engine ([`enreach_routing`]) fed from the chain and
//! from the edges, serving its decisions over JSON-RPC (`routing_route`, `routing_route_app`) and as HTTP
//! redirects (`/r/<id>` and `/r/a/<app>/<path>` on the gateway).
//!
//! Every [`REFRESH`] the router brings its copy of the registry up to the latest finalized block (active nodes,
//! their region and upload capacity: read whole once, then only the nodes each block's events name,
//! [`enreach_edge_chain::registry`]), reads the last epoch's work scores when the epoch changes, and probes
//! every node with a PeerDTS `STATUS`: an answer is the node's heartbeat,
//! its load and its inventory, and carries the ping round trips it measured to its peers, which together with
//! the router's own round trips fit each node's Vivaldi coordinate. A node that stops answering goes stale and
//! is no longer chosen. A node's load is not what it reports but what this router sent it (aged every refresh),
//! and each probe has its own deadline ([`PROBE_DEADLINE`]), so one slow node cannot hold up the others'
//! refresh. Each request for published content counts in the per-region demand estimates (an unknown id
//! creates no demand); content rising in a region is placed ahead of demand by asking the chosen nodes to
//! `PREFETCH` it, at most [`PREFETCHES_PER_SECOND`] a second and [`MAX_PREFETCHES_IN_FLIGHT`] at once.
//!
//! Edge applications are routed the same way by their code's content id, among the nodes whose registered
//! capabilities name a PeerHVM runtime: warm nodes (holding the code) first, near the client, within the load
//! bound; an app rising in a region has its code prefetched onto the nodes its next requests will reach.

use std::{
    collections::{HashMap, HashSet},
    num::NonZeroU32,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use enreach_gateway::gateway::ContentRouter;
use enreach_primitives::{Continent, EpochIndex, NodeId};
use enreach_routing::{
    content_key, ClientHint, ContentKey, Coord, NodeInfo, Params, Service, Vivaldi,
};
use futures::{
    future::{join_all, BoxFuture},
    FutureExt,
};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use jsonrpsee::{types::ErrorObjectOwned, RpcModule};
use libp2p::{Multiaddr, PeerId};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{debug, warn};

use enreach_dts::{
    network::{announce_event, Network},
    protocol::{self, NodeStatus, Request},
    store::{parse_content_id, ContentHash},
};
use enreach_edge_chain::{
    capabilities::{continent_name, parse_continent, region_key},
    registry::Registry,
    Chain, ChainError, NodeRecord,
};

/// How often the router re-reads the registry and probes every node.
pub const REFRESH: Duration = Duration::from_secs(3);

/// Most nodes one `routing_route` answers with.
pub const MAX_ROUTED: usize = 16;

/// How long one node's `STATUS` probe (dial included) may take: under [`REFRESH`], so a node that answers
/// slowly or never is marked stale alone instead of delaying every node's heartbeat.
pub const PROBE_DEADLINE: Duration = Duration::from_secs(2);

/// Share of a node's routed load kept at each refresh: load halves every [`REFRESH`], so it follows what was
/// routed in the last few seconds.
const LOAD_KEPT_PER_REFRESH: f64 = 0.5;

/// `PREFETCH` requests a router sends per second at most (bursts of twice that): rising content is placed
/// within seconds, and a stream of requests cannot turn into a stream of fetches on the nodes.
pub const PREFETCHES_PER_SECOND: u32 = 4;

/// `PREFETCH` requests a router has outstanding at most.
pub const MAX_PREFETCHES_IN_FLIGHT: usize = 8;

/// How long whether a content is published (and its origin) is trusted before the chain is asked again.
const PUBLISHED_TTL: Duration = Duration::from_secs(30);

/// Most content ids whose publication is remembered; the memory is cleared when full (random ids only cost
/// a chain read each).
const PUBLISHED_CACHE: usize = 1 << 16;

/// Where a request comes from, as clients state it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Hint {
    /// The client's continent (`europe`, `north-america`, ...); the router's own region if absent.
    pub region: Option<String>,
    /// The client's network coordinate, if it knows one.
    pub coord: Option<CoordHint>,
}

impl Hint {
    /// A client known only by its continent, if that (the gateway's redirects).
    fn region(region: Option<String>) -> Self {
        Self {
            region,
            coord: None,
        }
    }
}

/// A network coordinate in a hint (ms).
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct CoordHint {
    /// Plane x.
    pub x: f32,
    /// Plane y.
    pub y: f32,
    /// Height (access-link latency).
    pub height: f32,
}

/// A node a request is routed to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoutedNode {
    /// Its on-chain id (hex).
    pub node: String,
    /// Its libp2p peer id.
    pub peer_id: String,
    /// Its continent.
    pub region: String,
    /// Its HTTP gateway, if it registered one.
    pub gateway: Option<String>,
    /// Where to reach it over PeerDTS.
    pub multiaddrs: Vec<String>,
    /// Whether it held the content at its last heartbeat.
    pub holds: bool,
    /// The load the router counts on it.
    pub load: u64,
}

/// The answer to `routing_route`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// The nodes to fetch from, best first; empty when none qualifies.
    pub nodes: Vec<RoutedNode>,
    /// The content's origin, when no node qualifies and a dApp registered one.
    pub origin: Option<String>,
}

impl Route {
    /// The gateway of the best node that has one: where a redirect sends the client.
    fn gateway(&self) -> Option<&String> {
        self.nodes.iter().find_map(|n| n.gateway.as_ref())
    }
}

/// How far a node's reported round trip may fall short of what the triangle inequality allows: jitter between
/// the measurements, taken at different times.
const ROUND_TRIP_SLACK: Duration = Duration::from_millis(5);

/// Whether a node's `reported` round trip to a peer can be true given the router's own round trips to the node
/// and to the peer: rtt(node, peer) ≥ |rtt(router, node) − rtt(router, peer)|. A node claiming to be nearer
/// its peers than that is moving its coordinate (to draw clients); where the router measured either end
/// nothing can be checked, and the router's own round trip still pulls the node's coordinate.
fn plausible(reported: Duration, to_node: Option<Duration>, to_peer: Option<Duration>) -> bool {
    match (to_node, to_peer) {
        (Some(a), Some(b)) => reported + ROUND_TRIP_SLACK >= a.abs_diff(b),
        _ => true,
    }
}

/// What the router knows of a node beyond what the engine holds.
struct Known {
    peer: PeerId,
    addresses: Vec<Multiaddr>,
    gateway: Option<String>,
    region: Continent,
    vivaldi: Vivaldi,
}

/// The engine and the directory of nodes, under one lock.
struct Directory {
    engine: enreach_routing::Router,
    known: HashMap<NodeId, Known>,
    own: Vivaldi,
}

/// A registry entry that may be routed to, with its work score.
struct Candidate {
    node: NodeId,
    record: NodeRecord,
    peer: PeerId,
    addresses: Vec<Multiaddr>,
    score: u64,
}

/// Each node's work score in one epoch.
type Scores = Arc<HashMap<NodeId, u64>>;

/// What the chain says of a content id: `None` if no dApp published it, else its origin, if any.
type Publication = Option<Option<String>>;

/// Chain lookups remembered for [`PUBLISHED_TTL`], at most [`PUBLISHED_CACHE`] of them (cleared when full:
/// unknown keys only cost a chain read each).
struct Remembered<K, V>(Mutex<HashMap<K, (V, Instant)>>);

impl<K: std::hash::Hash + Eq, V: Clone> Remembered<K, V> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    fn get(&self, key: &K) -> Option<V> {
        let cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(key)
            .filter(|(_, at)| at.elapsed() < PUBLISHED_TTL)
            .map(|(value, _)| value.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut cache = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= PUBLISHED_CACHE {
            cache.clear();
        }
        cache.insert(key, (value, Instant::now()));
    }
}

/// Bounds the prefetches a router asks for: a rate (GCRA) and a number outstanding.
struct PrefetchGate {
    rate: DefaultDirectRateLimiter,
    outstanding: Arc<Semaphore>,
}

impl PrefetchGate {
    fn new() -> Self {
        let per_second = NonZeroU32::new(PREFETCHES_PER_SECOND).expect("nonzero");
        let burst = NonZeroU32::new(2 * PREFETCHES_PER_SECOND).expect("nonzero");
        Self {
            rate: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            outstanding: Arc::new(Semaphore::new(MAX_PREFETCHES_IN_FLIGHT)),
        }
    }

    /// A slot for one prefetch, held until it is answered; `None` if too many are outstanding or were sent
    /// too recently.
    fn admit(&self) -> Option<OwnedSemaphorePermit> {
        let slot = self.outstanding.clone().try_acquire_owned().ok()?;
        self.rate.check().ok()?;
        Some(slot)
    }
}

/// The router.
pub struct RouterService {
    chain: Chain,
    network: Network,
    region: Continent,
    started: Instant,
    directory: Mutex<Directory>,
    published: Remembered<ContentHash, Publication>,
    /// Each app name's current code, `None` for a name no app has.
    apps: Remembered<String, Option<ContentHash>>,
    prefetches: PrefetchGate,
    /// The registry, followed from finalized blocks rather than read whole at every refresh.
    registry: tokio::sync::Mutex<Registry>,
    /// The work scores of the epoch before the current one, read once per epoch.
    scores: tokio::sync::Mutex<Option<(EpochIndex, Scores)>>,
}

impl RouterService {
    /// A router over `network`, reading the registry from `chain`; clients that name no region are taken to
    /// be in `region`.
    pub fn new(chain: Chain, network: Network, params: Params, region: Continent) -> Arc<Self> {
        Arc::new(Self {
            chain,
            network,
            region,
            started: Instant::now(),
            directory: Mutex::new(Directory {
                engine: enreach_routing::Router::new(params),
                known: HashMap::new(),
                own: Vivaldi::default(),
            }),
            published: Remembered::new(),
            apps: Remembered::new(),
            prefetches: PrefetchGate::new(),
            registry: Default::default(),
            scores: Default::default(),
        })
    }

    /// Whether `id` is published, and its origin, from a cache refreshed every [`PUBLISHED_TTL`]; a chain
    /// that cannot be read counts as unpublished (no demand, no origin) for this request.
    async fn publication(&self, id: ContentHash) -> Publication {
        if let Some(known) = self.published.get(&id) {
            return known;
        }
        match self.chain.content(id).await {
            Ok(record) => {
                let known = record.map(|c| c.origin_url().map(String::from));
                self.published.put(id, known.clone());
                known
            }
            Err(e) => {
                debug!(%e, "cannot read a content record");
                None
            }
        }
    }

    /// The current code of the app named `name`, from a cache refreshed every [`PUBLISHED_TTL`] (an upgrade
    /// reaches routing within it).
    async fn app_code(&self, name: &str) -> Result<Option<ContentHash>, String> {
        if !enreach_primitives::is_valid_app_name(name.as_bytes()) {
            return Err(format!("{name:?} is not an app name"));
        }
        if let Some(known) = self.apps.get(&name.to_string()) {
            return Ok(known);
        }
        let record = self
            .chain
            .app(name)
            .await
            .map_err(|e| format!("cannot read the app: {e}"))?;
        let code = record.map(|app| ContentHash::from_bytes(app.code.0));
        self.apps.put(name.to_string(), code);
        Ok(code)
    }

    fn directory(&self) -> MutexGuard<'_, Directory> {
        self.directory.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Refreshes the directory every [`REFRESH`], forever.
    pub async fn run(self: Arc<Self>) {
        loop {
            if let Err(e) = self.refresh().await {
                warn!(%e, "routing refresh failed");
            }
            tokio::time::sleep(REFRESH).await;
        }
    }

    /// The work scores of the latest epoch whose observations closed, read again only when that epoch changes.
    async fn scores(&self) -> Result<Scores, ChainError> {
        // The scores are read at the finalized block: the epoch and its window are judged there too.
        let (Some(epoch), Some(timing)) = (
            self.chain.finalized_epoch().await?,
            self.chain.gpow_timing().await?,
        ) else {
            return Ok(Arc::default());
        };
        let now = self.chain.finalized_number().await?;
        let Some(scored) = timing.last_scored_epoch(&epoch, now) else {
            return Ok(Arc::default());
        };
        let mut cached = self.scores.lock().await;
        match &*cached {
            Some((at, scores)) if *at == scored => Ok(scores.clone()),
            _ => {
                let scores = Arc::new(self.chain.work_scores(scored).await?);
                *cached = Some((scored, scores.clone()));
                Ok(scores)
            }
        }
    }

    /// The active registered nodes with an address naming their peer id, and last epoch's work scores.
    async fn candidates(&self) -> Result<Vec<Candidate>, ChainError> {
        let scores = self.scores().await?;
        let mut registry = self.registry.lock().await;
        let synced = registry.sync(&self.chain).await?;
        debug!(?synced, nodes = registry.nodes().len(), "registry synced");
        let mut candidates = Vec::new();
        for (&node, record) in registry.nodes() {
            let record = record.clone();
            if !record.is_active() {
                continue;
            }
            let Some((peer, addresses)) = record.reach(node) else {
                continue;
            };
            let score = scores.get(&node).copied().unwrap_or(0);
            candidates.push(Candidate {
                node,
                record,
                peer,
                addresses,
                score,
            });
        }
        Ok(candidates)
    }

    /// One `STATUS` probe of `peer`, dialing `addresses` first if it is not connected.
    async fn probe(
        &self,
        peer: PeerId,
        addresses: &[Multiaddr],
        connected: &[PeerId],
    ) -> Option<NodeStatus> {
        if !connected.contains(&peer) {
            for address in addresses {
                self.network.dial(address.clone()).await;
            }
        }
        protocol::ask(&self.network.control(), peer, Request::Status, |s| {
            protocol::read_status(s).boxed()
        })
        .await
        .inspect_err(|e| debug!(%peer, %e, "status probe failed"))
        .ok()
    }

    /// Re-reads the registry, probes every node and rebuilds the engine.
    pub async fn refresh(&self) -> Result<(), ChainError> {
        let candidates = self.candidates().await?;
        let connected = self.network.connected().await;
        let statuses = join_all(candidates.iter().map(|c| async {
            tokio::time::timeout(PROBE_DEADLINE, self.probe(c.peer, &c.addresses, &connected))
                .await
                .ok()
                .flatten()
        }))
        .await;
        let own_round_trips: HashMap<PeerId, Duration> =
            self.network.round_trips().await.into_iter().collect();
        let now = self.now_ms();
        let jitter = || rand::thread_rng().gen_range(-1.0f32..=1.0);
        let mut directory = self.directory();
        let Directory { engine, known, own } = &mut *directory;
        let live: HashSet<NodeId> = candidates.iter().map(|c| c.node).collect();
        known.retain(|node, _| {
            let keep = live.contains(node);
            if !keep {
                engine.remove(&node.0);
            }
            keep
        });
        for (candidate, status) in candidates.into_iter().zip(statuses) {
            // What the registry says is taken afresh; what the router learned (coordinate) is kept, and the
            // engine keeps the node's inventory.
            let vivaldi = known
                .get(&candidate.node)
                .map_or(Vivaldi::default(), |k| k.vivaldi);
            let entry = known
                .entry(candidate.node)
                .insert_entry(Known {
                    peer: candidate.peer,
                    addresses: candidate.addresses,
                    gateway: candidate.record.gateway_url(),
                    region: candidate.record.capabilities.region.continent,
                    vivaldi,
                })
                .into_mut();
            let Some(status) = status else {
                continue;
            };
            // Coordinates: the router's own round trip to the node, then the node's to its peers.
            if let Some(rtt) = own_round_trips.get(&candidate.peer) {
                let rtt_ms = rtt.as_secs_f32() * 1000.0;
                let before = entry.vivaldi;
                entry
                    .vivaldi
                    .observe(&own.coord, own.error, rtt_ms, jitter());
                own.observe(&before.coord, before.error, rtt_ms, jitter());
            }
            let mut vivaldi = entry.vivaldi;
            let to_node = own_round_trips.get(&candidate.peer).copied();
            for (peer_node, micros) in &status.round_trips {
                let Some(other) = known.get(peer_node) else {
                    continue;
                };
                let reported = Duration::from_micros(u64::from(*micros));
                if !plausible(reported, to_node, own_round_trips.get(&other.peer).copied()) {
                    debug!(node = %hex::encode(candidate.node.0), "implausible round trip reported");
                    continue;
                }
                let other = other.vivaldi;
                vivaldi.observe(&other.coord, other.error, *micros as f32 / 1000.0, jitter());
            }
            let entry = known.get_mut(&candidate.node).expect("inserted above");
            entry.vivaldi = vivaldi;
            let idx = engine.upsert(
                NodeInfo {
                    key: candidate.node.0,
                    region: region_key(entry.region),
                    coord: vivaldi.coord,
                    capacity: candidate.record.capabilities.bandwidth_up_mbps,
                    score: candidate.score,
                    runs_apps: candidate.record.capabilities.hvm.is_some(),
                },
                now,
            );
            engine.heartbeat(idx, now);
            let inventory: HashSet<ContentKey> = status
                .held
                .iter()
                .map(|id| content_key(id.as_bytes()))
                .collect();
            engine.set_inventory(idx, &inventory);
        }
        engine.rebuild();
        engine.decay_loads(LOAD_KEPT_PER_REFRESH);
        Ok(())
    }

    /// Routes a request for `id` from a client described by `hint` to up to `n` nodes, best first, and asks
    /// for the prefetches the request's demand calls for.
    pub async fn route(&self, id: ContentHash, hint: &Hint, n: usize) -> Result<Route, String> {
        let client = self.client(hint)?;
        let publication = self.publication(id).await;
        let nodes = self.decide(Service::Content, id, &client, n, publication.is_some());
        let origin = publication.flatten().filter(|_| nodes.is_empty());
        Ok(Route { nodes, origin })
    }

    /// Routes a request for the app named `name` to up to `n` nodes that run apps, best first (an app has no
    /// origin: no node means no route), and prefetches its code where its demand rises.
    pub async fn route_app(&self, name: &str, hint: &Hint, n: usize) -> Result<Route, String> {
        let client = self.client(hint)?;
        let code = self
            .app_code(name)
            .await?
            .ok_or_else(|| format!("no app is named {name:?}"))?;
        let nodes = self.decide(Service::App, code, &client, n, true);
        Ok(Route {
            nodes,
            origin: None,
        })
    }

    /// The client `hint` describes; clients naming no region are taken to be in the router's.
    fn client(&self, hint: &Hint) -> Result<ClientHint, String> {
        let region = match &hint.region {
            Some(name) => parse_continent(name).map_err(|e| format!("region: {e}"))?,
            None => self.region,
        };
        Ok(ClientHint {
            region: region_key(region),
            coord: hint.coord.map(|c| Coord::new(c.x, c.y, c.height)),
        })
    }

    /// Up to `n` nodes for a request of `service` for `id` (a content, or an app's code), the request
    /// counted; with `demand` (only for what the chain knows, so unknown ids create no demand), the
    /// prefetches of `id` its demand calls for are asked of the chosen nodes.
    fn decide(
        &self,
        service: Service,
        id: ContentHash,
        client: &ClientHint,
        n: usize,
        demand: bool,
    ) -> Vec<RoutedNode> {
        let key = content_key(id.as_bytes());
        let now = self.now_ms();
        let (nodes, prefetches) = {
            let mut directory = self.directory();
            let ranked =
                directory
                    .engine
                    .route_for(service, key, client, n.clamp(1, MAX_ROUTED), now);
            let placements = match demand {
                true => directory
                    .engine
                    .observe_demand_for(service, client.region, key, now),
                false => Vec::new(),
            };
            let describe = |idx| directory.describe(idx, key);
            let nodes: Vec<RoutedNode> = ranked.into_iter().filter_map(describe).collect();
            let prefetches: Vec<(PeerId, String)> = placements
                .iter()
                .filter_map(|p| {
                    let node = NodeId(directory.engine.node(p.node).key);
                    directory
                        .known
                        .get(&node)
                        .map(|k| (k.peer, continent_name(k.region).to_string()))
                })
                .collect();
            (nodes, prefetches)
        };
        for (peer, region) in prefetches {
            let Some(slot) = self.prefetches.admit() else {
                debug!(content = %id.to_hex(), "prefetches over their bound; the rest are not asked for");
                break;
            };
            let control = self.network.control();
            tokio::spawn(async move {
                let _slot = slot;
                let answer = protocol::ask(&control, peer, Request::Prefetch(id), |s| {
                    protocol::read_prefetch_answer(s).boxed()
                })
                .await;
                announce_event(serde_json::json!({
                    "event": "prefetch_requested",
                    "content": id.to_hex().to_string(),
                    "peer_id": peer.to_string(),
                    "region": region,
                    "answer": match answer {
                        Ok(a) => format!("{a:?}"),
                        Err(e) => e.to_string(),
                    },
                }));
            });
        }
        nodes
    }

    /// The JSON-RPC methods: `routing_route(content, hint?, n?)` and `routing_route_app(app, hint?, n?)`.
    pub fn rpc_module(self: Arc<Self>) -> RpcModule<Self> {
        let mut module = RpcModule::from_arc(self);
        module
            .register_async_method("routing_route", |params, router, _| async move {
                let mut params = params.sequence();
                let content: String = params.next()?;
                let hint: Option<Hint> = params.optional_next()?;
                let n: Option<u32> = params.optional_next()?;
                let id = parse_content_id(&content)
                    .ok_or_else(|| invalid_params("content id is 64 hex digits"))?;
                router
                    .route(id, &hint.unwrap_or_default(), n.unwrap_or(1) as usize)
                    .await
                    .map_err(|e| invalid_params(&e))
            })
            .expect("method registered once");
        module
            .register_async_method("routing_route_app", |params, router, _| async move {
                let mut params = params.sequence();
                let app: String = params.next()?;
                let hint: Option<Hint> = params.optional_next()?;
                let n: Option<u32> = params.optional_next()?;
                router
                    .route_app(&app, &hint.unwrap_or_default(), n.unwrap_or(1) as usize)
                    .await
                    .map_err(|e| invalid_params(&e))
            })
            .expect("method registered once");
        module
    }
}

impl Directory {
    /// What a client is told of node `idx` for content `key`.
    fn describe(&self, idx: enreach_routing::NodeIdx, key: ContentKey) -> Option<RoutedNode> {
        let node = NodeId(self.engine.node(idx).key);
        let known = self.known.get(&node)?;
        Some(RoutedNode {
            node: hex::encode(node.0),
            peer_id: known.peer.to_string(),
            region: continent_name(known.region).to_string(),
            gateway: known.gateway.clone(),
            multiaddrs: known.addresses.iter().map(|a| a.to_string()).collect(),
            holds: self.engine.holds(idx, key),
            load: self.engine.load(idx),
        })
    }
}

fn invalid_params(message: &str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        jsonrpsee::types::error::INVALID_PARAMS_CODE,
        message.to_string(),
        None::<()>,
    )
}

/// The gateway's `/r/<id>` redirects through this: one route of one node.
impl ContentRouter for RouterService {
    fn redirect(
        &self,
        id: ContentHash,
        region: Option<String>,
    ) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(async move {
            let route = self.route(id, &Hint::region(region), 1).await?;
            Ok(route
                .gateway()
                .map(|g| format!("{g}/c/{}", id.to_hex()))
                .or(route.origin))
        })
    }

    fn redirect_app(
        &self,
        app: String,
        path_and_query: String,
        region: Option<String>,
    ) -> BoxFuture<'_, Result<Option<String>, String>> {
        Box::pin(async move {
            let route = self.route_app(&app, &Hint::region(region), 1).await?;
            Ok(route
                .gateway()
                .map(|g| format!("{g}/a/{app}/{path_and_query}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three `/r/<id>` requests used to be enough to start a prefetch on every node of a region; however many
    /// placements the demand estimates ask for, the gate lets through a burst and then the rate.
    #[test]
    fn a_request_storm_cannot_become_a_prefetch_storm() {
        let gate = PrefetchGate::new();
        let mut held = Vec::new();
        while let Some(slot) = gate.admit() {
            held.push(slot);
            assert!(
                held.len() <= MAX_PREFETCHES_IN_FLIGHT,
                "unbounded prefetches"
            );
        }
        let first = held.len();
        assert!(first > 0, "rising content is still placed");
        // Answered prefetches free their slots, but the rate still holds.
        held.clear();
        let more = (0..1000).filter_map(|_| gate.admit()).count();
        assert!(
            first + more <= 2 * PREFETCHES_PER_SECOND as usize,
            "{} prefetches in an instant",
            first + more
        );
    }

    /// A node 80 ms from the router claims 1 ms to a peer 10 ms from it, to sit beside that peer's clients.
    #[test]
    fn a_round_trip_the_triangle_inequality_rules_out_is_ignored() {
        let ms = Duration::from_millis;
        assert!(!plausible(ms(1), Some(ms(80)), Some(ms(10))));
        assert!(
            plausible(ms(70), Some(ms(80)), Some(ms(10))),
            "an honest report"
        );
        assert!(plausible(ms(68), Some(ms(80)), Some(ms(10))), "jitter");
        assert!(
            plausible(ms(1), None, Some(ms(10))),
            "nothing to check against"
        );
    }
}
