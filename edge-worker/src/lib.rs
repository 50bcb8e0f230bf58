//! # edge-worker
//!
//! The daemon EnReach PeerNodes run, as the wiring of library crates each of one concern:
//! - `enreach-dts` (`edge-worker/dts`): PeerDTS, the content store, wire protocol, downloader, provider and
//!   the libp2p node; no chain, no HTTP;
//! - `enreach-edge-chain` (`edge-worker/chain`): the chain client, the operator key and the node's registry
//!   entry;
//! - `enreach-gateway` (`edge-worker/gateway`): the HTTP gateway and origin pull;
//! - `enreach-gpow` (`edge-worker/gpow`): receipts, the edge agent's epoch duties, the keeper role;
//! - `enreach-routing` (`edge-worker/routing`): the routing engine; its roles are in [`roles`] here.
//!
//! This crate adds the router roles ([`roles`]) and the binary (`src/main.rs`, commands in `src/cmd/`), which
//! parses arguments and wires the crates into `publish`, `fetch`, `run`, `key` and the dApp commands.

pub mod data_dir;
pub mod roles;

/// The node's, clients' and operator's keys, wherever they live: `enreach_dts::keys` (ed25519 node and client
/// keys) and `enreach_edge_chain::operator` (the sr25519 account).
pub mod keys {
    pub use enreach_dts::keys::*;
    pub use enreach_edge_chain::operator::{generate_operator, load_operator};
}
