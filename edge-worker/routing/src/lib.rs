//! # PeerRouting
//!
//! Matches every content request to the best edge node and places rising content before its demand peaks.
//! Pure logic with no chain or network dependency, so it is property-tested and simulated in seconds; the
//! `router` role of `edge-worker` feeds it from the chain (registry, work scores), from worker heartbeats
//! (liveness), from its own counts of what it routed (load) and from coordinates learned from round trips, and serves its decisions over JSON-RPC and HTTP.
//!
//! - [`coords`]: Vivaldi network coordinates, to predict latency between any client and node.
//! - [`ring`]: consistent hashing, so a content meets the same nodes while the node set is stable.
//! - [`demand`]: decayed per-region demand counters that tell rising content.
//! - [`router`]: candidates near the client by bounded-load consistent hashing, best of `d` by predicted
//!   latency and load, fallback to the origin, and pre-emptive placement within a replication budget.

pub mod coords;
pub mod demand;
pub mod ring;
pub mod router;

pub use coords::{Coord, Vivaldi};
pub use demand::{Demand, DemandParams, RegionKey};
pub use ring::NodeIdx;
pub use router::{ClientHint, NodeInfo, Params, Placement, Router, Service};

/// Routing key of a content: the first 8 bytes of its BLAKE3 content id. Two contents sharing a key would
/// only share nodes; what is served is always verified against the full id.
pub type ContentKey = u64;

/// The routing key of the content whose id is `id`.
pub fn content_key(id: &[u8; 32]) -> ContentKey {
    u64::from_le_bytes(id[..8].try_into().expect("8 bytes"))
}
