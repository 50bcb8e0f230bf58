//! The routing engine. A request for a content from a client is matched in three steps:
//!
//! 1. **Near the client.** Nodes are grouped into cells: squares of the coordinate plane within a region. The
//!    client's cell is searched first (if it has enough nodes), then its whole region; no usable node (fresh
//!    heartbeat, work score at least the floor) means the origin.
//! 2. **Bounded-load consistent hashing** (Mirrokni, Thorup, Zadimoghaddam, SODA 2018): walking the group's
//!    ring clockwise from the content's point, the first `d` usable nodes whose load after the request stays
//!    within their bound — `load_factor` times their capacity share of the load of the group and of the
//!    region — are the candidates. The same content meets the same nodes, so caches stay warm, and no node
//!    carries more than its bound. While a region carries only a few requests per node, whole requests cannot
//!    all fit under fractional bounds: the request then goes to the least filled node within the bound
//!    rounded up (the paper's guarantee).
//! 3. **Best of d.** Candidates are ranked by predicted latency (network coordinates) inflated by their load,
//!    plus a penalty for not holding the content yet.
//!
//! Pre-emptive placement: every request also feeds the per-region demand estimates ([`Demand`]); content rising
//! in a region is placed, within a replication budget, on the node each cell of that region and of its
//! neighbour regions would pick first, so the requests that follow find it there.
//!
//! Edge applications ([`Service::App`]) are routed the same way, keyed by their code's content id, among the
//! nodes that run apps only: those nodes form rings of their own (per cell and region), so a region where few
//! nodes run apps still finds them within a bounded walk, and their load bounds are shares of the app load.
//! Nodes holding the code are the warm ones (compiled, or compiling from their disk cache in milliseconds);
//! an app rising in a region has its code placed ahead of demand like content.

use std::collections::{HashMap, HashSet};

use crate::{
    coords::Coord,
    demand::{Demand, DemandParams, RegionKey},
    ring::{mix, NodeIdx, Ring},
    ContentKey,
};

/// Tuning of the router.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Candidates compared per decision (`d`).
    pub choices: usize,
    /// A node's load may reach this many times its capacity share of its group's load (`c`, above 1).
    pub load_factor: f64,
    /// Ring points per node.
    pub virtual_nodes: u32,
    /// Side of a cell, ms of the coordinate plane.
    pub cell_ms: f32,
    /// A cell with fewer nodes is not searched alone.
    pub min_cell_nodes: usize,
    /// A node whose last heartbeat is older is never chosen, ms.
    pub stale_after_ms: u64,
    /// A node with a lower work score is never chosen.
    pub min_score: u64,
    /// Latency counted against a candidate that does not hold the content (it must fetch it first), ms.
    pub miss_penalty_ms: f32,
    /// How much a candidate's load (as a share of its bound) inflates its predicted latency.
    pub load_weight: f32,
    /// Most nodes one content is placed on ahead of demand.
    pub replication_budget: usize,
    /// Most ring points looked at per decision, so a decision takes bounded time whatever the ring holds.
    pub max_scan: usize,
    /// Requests a node may always carry, whatever its bound: while a group carries a request or two, a bound
    /// below this would send the next request away from the node holding the content.
    pub min_slots: u64,
    /// Demand estimates.
    pub demand: DemandParams,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            choices: 16,
            load_factor: 1.25,
            virtual_nodes: 16,
            cell_ms: 3.0,
            min_cell_nodes: 8,
            stale_after_ms: 60_000,
            min_score: 1,
            miss_penalty_ms: 20.0,
            load_weight: 0.5,
            replication_budget: 128,
            max_scan: 512,
            min_slots: 2,
            demand: DemandParams::default(),
        }
    }
}

/// What a request needs of the node that serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Service {
    /// A content: every node serves content.
    Content,
    /// An edge application, keyed by its code: only nodes that run apps ([`NodeInfo::runs_apps`]).
    App,
}

/// What the router knows of a node from the registry and the chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeInfo {
    /// Its on-chain id (the ed25519 node key).
    pub key: [u8; 32],
    /// Its region.
    pub region: RegionKey,
    /// Its network coordinate.
    pub coord: Coord,
    /// Its capacity (upload Mbit/s); load bounds are proportional to it.
    pub capacity: u32,
    /// Its work score (keeper-verified).
    pub score: u64,
    /// Whether it runs edge applications (its registered capabilities name a PeerHVM runtime).
    pub runs_apps: bool,
}

impl NodeInfo {
    fn serves(&self, service: Service) -> bool {
        match service {
            Service::Content => true,
            Service::App => self.runs_apps,
        }
    }
}

/// Where a request comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClientHint {
    /// The client's region.
    pub region: RegionKey,
    /// The client's coordinate, if known; without it, the whole region is searched and latency is not ranked.
    pub coord: Option<Coord>,
}

/// A prefetch the router asks of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    /// The node that should fetch it.
    pub node: NodeIdx,
    /// The content.
    pub content: ContentKey,
}

type CellKey = (RegionKey, i32, i32);

/// A group of nodes with a ring of its own: the nodes of a cell or a region that serve a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct GroupKey {
    service: Service,
    scope: Scope,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Cell(CellKey),
    Region(RegionKey),
}

impl GroupKey {
    fn cell(service: Service, cell: CellKey) -> Self {
        Self {
            service,
            scope: Scope::Cell(cell),
        }
    }

    fn region(service: Service, region: RegionKey) -> Self {
        Self {
            service,
            scope: Scope::Region(region),
        }
    }
}

#[derive(Debug, Default)]
struct Group {
    ring: Ring,
    members: usize,
    load: u64,
    capacity: u64,
}

/// A group's part of its nodes' load bounds, computed once per walk; [`Bound::of`] finishes a node's bound with
/// the same operations in the same order as computing it whole, so bit for bit the same bound.
#[derive(Clone, Copy, Debug)]
struct Bound {
    /// The group's load after one more request, times the load factor.
    load: f64,
    /// The group's capacity.
    capacity: f64,
}

impl Bound {
    /// `node`'s bound: `load_factor × (group load + 1) × node capacity / group capacity`.
    fn of(&self, node: &Hot) -> f64 {
        self.load * node.capacity as f64 / self.capacity
    }
}

#[derive(Debug)]
struct NodeState {
    info: NodeInfo,
    cell: CellKey,
    present: bool,
    /// What it holds: the other half of `Router::holders`, so a leaving node is dropped from every list.
    held: HashSet<ContentKey>,
}

impl NodeState {
    /// The groups the node belongs to: its cell and region for every service it serves.
    fn groups(&self) -> impl Iterator<Item = GroupKey> + '_ {
        [Service::Content, Service::App]
            .into_iter()
            .filter(|service| self.info.serves(*service))
            .flat_map(|service| {
                [
                    GroupKey::cell(service, self.cell),
                    GroupKey::region(service, self.info.region),
                ]
            })
    }
}

/// What a decision reads of a node, kept apart from [`NodeState`] in a dense table of 40-byte records (4 MiB for
/// 100 000 nodes): a walk reads one line per node it passes rather than parts of a 144-byte entry among 14 MiB,
/// so in a large region the nodes of a decision are seldom cache or TLB misses. Mirrors what [`Router::upsert`]
/// and [`Router::remove`] set.
#[derive(Clone, Copy, Debug)]
struct Hot {
    /// The requests this router sent it, decayed.
    load: u64,
    heartbeat_ms: u64,
    /// Its capacity, at least 1.
    capacity: u32,
    region: RegionKey,
    /// Registered, with a work score at least [`Params::min_score`].
    eligible: bool,
    coord: Coord,
}

/// The router.
#[derive(Debug)]
pub struct Router {
    params: Params,
    nodes: Vec<NodeState>,
    /// Per node, beside `nodes`.
    hot: Vec<Hot>,
    index: HashMap<[u8; 32], NodeIdx>,
    groups: HashMap<GroupKey, Group>,
    holders: HashMap<ContentKey, Vec<NodeIdx>>,
    neighbours: HashMap<RegionKey, Vec<RegionKey>>,
    demand: Demand,
    placed: HashMap<ContentKey, (usize, HashSet<RegionKey>)>,
    dirty: bool,
}

impl Router {
    /// An empty router.
    pub fn new(params: Params) -> Self {
        Self {
            params,
            nodes: Vec::new(),
            hot: Vec::new(),
            index: HashMap::new(),
            groups: HashMap::new(),
            holders: HashMap::new(),
            neighbours: HashMap::new(),
            demand: Demand::new(params.demand),
            placed: HashMap::new(),
            dirty: false,
        }
    }

    fn cell_of(&self, region: RegionKey, coord: &Coord) -> CellKey {
        let side = self.params.cell_ms;
        (
            region,
            (coord.x / side).floor() as i32,
            (coord.y / side).floor() as i32,
        )
    }

    /// Adds a node or replaces what is known of it; its heartbeat is `now_ms`. Takes effect at
    /// [`Router::rebuild`].
    pub fn upsert(&mut self, info: NodeInfo, now_ms: u64) -> NodeIdx {
        let cell = self.cell_of(info.region, &info.coord);
        self.dirty = true;
        let hot = Hot {
            load: 0,
            heartbeat_ms: now_ms,
            capacity: info.capacity.max(1),
            region: info.region,
            eligible: info.score >= self.params.min_score,
            coord: info.coord,
        };
        match self.index.get(&info.key) {
            Some(&idx) => {
                let node = &mut self.nodes[idx as usize];
                (node.info, node.cell, node.present) = (info, cell, true);
                let load = self.hot[idx as usize].load;
                self.hot[idx as usize] = Hot { load, ..hot };
                idx
            }
            None => {
                let idx = self.nodes.len() as NodeIdx;
                self.nodes.push(NodeState {
                    info,
                    cell,
                    present: true,
                    held: HashSet::new(),
                });
                self.hot.push(hot);
                self.index.insert(info.key, idx);
                idx
            }
        }
    }

    /// Removes a node (it left the registry) and forgets what it held. Takes effect at [`Router::rebuild`].
    pub fn remove(&mut self, key: &[u8; 32]) {
        if let Some(&idx) = self.index.get(key) {
            for content in std::mem::take(&mut self.nodes[idx as usize].held) {
                self.set_holds(idx, content, false);
            }
            self.nodes[idx as usize].present = false;
            self.hot[idx as usize].eligible = false;
            self.dirty = true;
        }
    }

    /// The node with on-chain id `key`.
    pub fn lookup(&self, key: &[u8; 32]) -> Option<NodeIdx> {
        self.index.get(key).copied()
    }

    /// What is known of node `idx`.
    pub fn node(&self, idx: NodeIdx) -> &NodeInfo {
        &self.nodes[idx as usize].info
    }

    /// A node's heartbeat: it is alive at `now_ms`. Its load is not taken from it: a node reporting itself idle
    /// would draw every request; the router counts what it routed ([`Router::route`], [`Router::decay_loads`]).
    pub fn heartbeat(&mut self, idx: NodeIdx, now_ms: u64) {
        self.hot[idx as usize].heartbeat_ms = now_ms;
    }

    /// Ages every node's load (the requests this router sent it) by `keep` (between 0 and 1), so load follows
    /// recent routing; group loads are recounted from their members.
    pub fn decay_loads(&mut self, keep: f64) {
        let keep = keep.clamp(0.0, 1.0);
        for group in self.groups.values_mut() {
            group.load = 0;
        }
        for (node, hot) in self.nodes.iter().zip(&mut self.hot) {
            hot.load = (hot.load as f64 * keep) as u64;
            if !node.present {
                continue;
            }
            for key in node.groups() {
                if let Some(group) = self.groups.get_mut(&key) {
                    group.load = group.load.saturating_add(hot.load);
                }
            }
        }
    }

    /// Node `idx` now holds `content` (or no longer does).
    pub fn set_holds(&mut self, idx: NodeIdx, content: ContentKey, holds: bool) {
        let held = &mut self.nodes[idx as usize].held;
        if holds {
            held.insert(content);
        } else {
            held.remove(&content);
        }
        let holders = self.holders.entry(content).or_default();
        match (holds, holders.iter().position(|h| *h == idx)) {
            (true, None) => holders.push(idx),
            (false, Some(i)) => {
                holders.swap_remove(i);
                if holders.is_empty() {
                    self.holders.remove(&content);
                }
            }
            _ => {}
        }
    }

    /// Node `idx` holds exactly `inventory` now: what it no longer lists is dropped, what is new added.
    pub fn set_inventory(&mut self, idx: NodeIdx, inventory: &HashSet<ContentKey>) {
        let before = self.nodes[idx as usize].held.clone();
        for content in before.difference(inventory) {
            self.set_holds(idx, *content, false);
        }
        for content in inventory.difference(&before) {
            self.set_holds(idx, *content, true);
        }
    }

    /// Whether node `idx` holds `content`, as far as the router knows.
    pub fn holds(&self, idx: NodeIdx, content: ContentKey) -> bool {
        self.nodes[idx as usize].held.contains(&content)
    }

    /// Declares `neighbours` of `region`: where content rising in `region` is also placed.
    pub fn set_neighbours(&mut self, region: RegionKey, neighbours: Vec<RegionKey>) {
        self.neighbours.insert(region, neighbours);
    }

    /// Rebuilds the rings after nodes joined, changed cell or left.
    pub fn rebuild(&mut self) {
        let mut members: HashMap<GroupKey, Vec<(NodeIdx, u64)>> = HashMap::new();
        let mut totals: HashMap<GroupKey, (u64, u64)> = HashMap::new();
        for (idx, (node, hot)) in self.nodes.iter().zip(&self.hot).enumerate() {
            if !node.present {
                continue;
            }
            let seed = u64::from_le_bytes(node.info.key[..8].try_into().expect("8 bytes"));
            for key in node.groups() {
                members.entry(key).or_default().push((idx as NodeIdx, seed));
                let total = totals.entry(key).or_default();
                total.0 += hot.load;
                total.1 += hot.capacity as u64;
            }
        }
        let virtual_nodes = self.params.virtual_nodes;
        self.groups = members
            .into_iter()
            .map(|(key, members)| {
                let (load, capacity) = totals[&key];
                let group = Group {
                    members: members.len(),
                    ring: Ring::new(members, virtual_nodes),
                    load,
                    capacity,
                };
                (key, group)
            })
            .collect();
        self.dirty = false;
    }

    /// The groups of `service` a client is served from, nearest first.
    fn groups_for(
        &self,
        service: Service,
        client: &ClientHint,
    ) -> impl Iterator<Item = GroupKey> + '_ {
        let cell = client
            .coord
            .map(|coord| GroupKey::cell(service, self.cell_of(client.region, &coord)))
            .filter(|key| {
                self.groups
                    .get(key)
                    .is_some_and(|g| g.members >= self.params.min_cell_nodes)
            });
        cell.into_iter()
            .chain(std::iter::once(GroupKey::region(service, client.region)))
    }

    /// Whether `node` may serve now: registered, trusted and fresh.
    fn usable(&self, node: &Hot, now_ms: u64) -> bool {
        node.eligible && now_ms.saturating_sub(node.heartbeat_ms) <= self.params.stale_after_ms
    }

    /// A node's load bound in `group` is `load_factor` times its capacity share of the group's load after one
    /// more request: [`Bound::of`] this.
    fn bound(&self, group: &Group) -> Bound {
        Bound {
            load: (group.load + 1) as f64 * self.params.load_factor,
            capacity: group.capacity.max(1) as f64,
        }
    }

    /// The first `want` distinct usable nodes clockwise from `content` on `group`'s ring whose load after one
    /// more request is within their bound (or under [`Params::min_slots`]), and, of the nodes the walk passed that are below
    /// their bound rounded up, the one with the lowest load relative to it: a request that fits no fractional
    /// bound (while a group carries a few requests per node, whole requests cannot all fit) still goes to a
    /// node within the rounded-up bound of bounded-load consistent hashing, the least filled.
    fn candidates(
        &self,
        key: GroupKey,
        content: ContentKey,
        want: usize,
        now_ms: u64,
    ) -> (Vec<NodeIdx>, Option<NodeIdx>) {
        let Some(group) = self.groups.get(&key) else {
            return (Vec::new(), None);
        };
        // A cell's nodes are bound within their region too, so no node of a region carries more than its
        // share of the region's load, whichever cell its requests came through.
        let region = match key.scope {
            Scope::Cell((region, _, _)) => self
                .groups
                .get(&GroupKey::region(key.service, region))
                .map(|r| self.bound(r)),
            Scope::Region(_) => None,
        };
        let in_group = self.bound(group);
        let mut found: Vec<NodeIdx> = Vec::with_capacity(want);
        let mut least: Option<(f64, NodeIdx)> = None;
        for idx in group.ring.walk(mix(content)).take(self.params.max_scan) {
            let node = &self.hot[idx as usize];
            if found.contains(&idx) || !self.usable(node, now_ms) {
                continue;
            }
            let load = node.load;
            let bound = in_group.of(node);
            let bound = region.map_or(bound, |r| bound.min(r.of(node)));
            let fill = (load + 1) as f64 / bound;
            if fill <= 1.0 || load < self.params.min_slots {
                found.push(idx);
                if found.len() == want {
                    break;
                }
            } else if (load as f64) < bound.ceil() && least.is_none_or(|(f, _)| fill < f) {
                least = Some((fill, idx));
            }
        }
        (found, least.map(|(_, idx)| idx))
    }

    /// The predicted cost of serving `client` from node `idx`, ms; `group` is the node's region group.
    fn cost(
        &self,
        idx: NodeIdx,
        group: Option<&Group>,
        client: &ClientHint,
        held: Option<&Vec<NodeIdx>>,
    ) -> f32 {
        let node = &self.hot[idx as usize];
        let p = &self.params;
        let latency = client.coord.map_or(0.0, |c| c.rtt(&node.coord));
        let share = group.map_or(0.0, |g| {
            node.load as f32 * g.capacity as f32 / ((g.load + 1) as f32 * node.capacity as f32)
        });
        let miss = if held.is_some_and(|h| h.contains(&idx)) {
            0.0
        } else {
            p.miss_penalty_ms
        };
        latency * (1.0 + p.load_weight * share) + miss
    }

    /// Up to `n` nodes for `content` and `client`, best first, without counting the request; empty means the
    /// origin.
    pub fn rank(
        &self,
        content: ContentKey,
        client: &ClientHint,
        n: usize,
        now_ms: u64,
    ) -> Vec<NodeIdx> {
        self.rank_for(Service::Content, content, client, n, now_ms)
    }

    /// [`Router::rank`] for a request of `service` keyed by `key` (a content, or an app's code); empty means
    /// no node (the origin for a content; an app has none).
    pub fn rank_for(
        &self,
        service: Service,
        key: ContentKey,
        client: &ClientHint,
        n: usize,
        now_ms: u64,
    ) -> Vec<NodeIdx> {
        debug_assert!(!self.dirty, "rebuild after changing nodes");
        let content = key;
        let want = n.max(self.params.choices);
        let held = self.holders.get(&content);
        let mut least = None;
        for key in self.groups_for(service, client) {
            let (mut found, over) = self.candidates(key, content, want, now_ms);
            if found.is_empty() {
                least = over;
                continue;
            }
            // The candidates share a region (that of the group): its group is looked up once.
            let mut region: Option<(RegionKey, Option<&Group>)> = None;
            let mut costs: Vec<(f32, NodeIdx)> = found
                .drain(..)
                .map(|idx| {
                    let of = self.hot[idx as usize].region;
                    let group = match region {
                        Some((r, group)) if r == of => group,
                        _ => {
                            let group = self.groups.get(&GroupKey::region(service, of));
                            region = Some((of, group));
                            group
                        }
                    };
                    (self.cost(idx, group, client, held), idx)
                })
                .collect();
            costs.sort_by(|a, b| a.0.total_cmp(&b.0));
            return costs.into_iter().take(n).map(|(_, idx)| idx).collect();
        }
        // Every usable node of the region is at its bound: while a region's load is a few requests per node,
        // whole requests cannot all fit under fractional bounds, and the least filled node is the balanced
        // choice. The origin is only for a region with no usable node.
        least.into_iter().collect()
    }

    /// Routes one request: the ranking of [`Router::rank`], with the request counted on the first node.
    pub fn route(
        &mut self,
        content: ContentKey,
        client: &ClientHint,
        n: usize,
        now_ms: u64,
    ) -> Vec<NodeIdx> {
        self.route_for(Service::Content, content, client, n, now_ms)
    }

    /// [`Router::route`] for a request of `service` keyed by `key`.
    pub fn route_for(
        &mut self,
        service: Service,
        key: ContentKey,
        client: &ClientHint,
        n: usize,
        now_ms: u64,
    ) -> Vec<NodeIdx> {
        let ranked = self.rank_for(service, key, client, n.max(1), now_ms);
        if let Some(&first) = ranked.first() {
            self.add_load(first, 1);
        }
        ranked.into_iter().take(n).collect()
    }

    fn add_load(&mut self, idx: NodeIdx, load: u64) {
        let hot = &mut self.hot[idx as usize];
        hot.load = hot.load.saturating_add(load);
        let node = &self.nodes[idx as usize];
        for key in node.groups() {
            if let Some(group) = self.groups.get_mut(&key) {
                group.load = group.load.saturating_add(load);
            }
        }
    }

    /// The load counted on node `idx`.
    pub fn load(&self, idx: NodeIdx) -> u64 {
        self.hot[idx as usize].load
    }

    /// Counts a request for `content` from `region` in the demand estimates; if the content is rising there,
    /// the prefetches to ask for: in every cell of the region and of its neighbours (in the region as a whole
    /// where it has no cell of [`Params::min_cell_nodes`]), the node a request there would go to first, unless
    /// it holds the content already, within the replication budget.
    pub fn observe_demand(
        &mut self,
        region: RegionKey,
        content: ContentKey,
        now_ms: u64,
    ) -> Vec<Placement> {
        self.observe_demand_for(Service::Content, region, content, now_ms)
    }

    /// [`Router::observe_demand`] for requests of `service` keyed by `key`: an app's code is placed on nodes
    /// that run apps.
    pub fn observe_demand_for(
        &mut self,
        service: Service,
        region: RegionKey,
        key: ContentKey,
        now_ms: u64,
    ) -> Vec<Placement> {
        let content = key;
        if !self.demand.record(region, content, now_ms as f64 / 1000.0) {
            return Vec::new();
        }
        let targets: Vec<RegionKey> = std::iter::once(region)
            .chain(self.neighbours.get(&region).into_iter().flatten().copied())
            .collect();
        let budget = self.params.replication_budget;
        let (used, done) = self.placed.entry(content).or_default();
        let (mut used, fresh): (usize, Vec<RegionKey>) = (
            *used,
            targets.into_iter().filter(|t| done.insert(*t)).collect(),
        );
        let mut placements = Vec::new();
        for target in fresh {
            let mut groups: Vec<GroupKey> = self
                .groups
                .iter()
                .filter(|(key, group)| {
                    key.service == service
                        && matches!(key.scope, Scope::Cell((r, _, _)) if r == target)
                        && group.members >= self.params.min_cell_nodes
                })
                .map(|(key, _)| *key)
                .collect();
            // A region too sparse for cells is served as a whole: place on its first node.
            if groups.is_empty() {
                groups.push(GroupKey::region(service, target));
            }
            for key in groups {
                if used >= budget {
                    break;
                }
                let (within, least) = self.candidates(key, content, 1, now_ms);
                if let Some(node) = within.first().copied().or(least) {
                    if !self.holds(node, content) {
                        placements.push(Placement { node, content });
                        used += 1;
                    }
                }
            }
        }
        self.placed.entry(content).or_default().0 = used;
        if self.placed.len() > self.params.demand.capacity {
            self.placed.clear();
        }
        placements
    }
}
