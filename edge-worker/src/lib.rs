//! # edge-worker
//!
//! The daemon EnReach PeerNodes run. This crate holds the service layer's PeerDTS: a BLAKE3-verified content
//! store ([`store`]), the wire protocol ([`protocol`]), multi-source downloads ([`transfer`], scheduled by
//! [`schedule`]), the provider side ([`serve`]), the libp2p node ([`network`]) and the CDN gateway
//! ([`gateway`], which pulls misses from their registered origins through [`origin`]). [`chain`] is the client
//! of the EnReach node; [`registration`] keeps the node's registry entry true with what [`capabilities`]
//! describes; [`receipts`] is the ledger of the delivery receipts clients sign. PeerRouting: [`router`] runs
//! the `enreach-routing` engine for the router role, [`routed`] is an edge's side of it. [`bench`] holds the
//! baselines `scripts/bench/dts` compares against. The binary (`src/main.rs`) wires them into `publish`, `fetch`, `run`,
//! `key` and the dApp commands.

pub mod agent;
pub mod collector;
pub mod gateway;
pub mod keeper;
pub mod origin;
pub mod receipts;
pub mod routed;
pub mod router;

// PeerDTS lives in `enreach-dts`; its modules are re-exported under their old paths while the rest moves.
pub use enreach_dts::{
    bench, bitfield, chunked, coalesce, metrics, network, protocol, schedule, serve, signing,
    store, transfer,
};

// The chain client lives in `enreach-edge-chain`.
pub use enreach_edge_chain as chain;
pub use enreach_edge_chain::{capabilities, registration};

/// The node's, clients' and operator's keys.
pub mod keys {
    pub use enreach_dts::keys::*;
    pub use enreach_edge_chain::operator::{generate_operator, load_operator};
}
