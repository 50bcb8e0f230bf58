//! The binary's commands, one module each: `main.rs` parses the arguments and calls the command's `run`.
//! - [`publish`]: add a file to the store (and serve it);
//! - [`fetch`]: download content over PeerDTS, from every provider or the nodes a router picks;
//! - [`run`]: serve PeerDTS and the gateway in a role (serve, edge, keeper, router); [`register`] keeps an
//!   edge's registry entry;
//! - [`key`]: the node's, operator's and client's keys;
//! - [`dapp`]: a dApp's chain commands;
//! - [`app`]: edge applications: deploy, upgrade, remove (a dApp), call (a client);
//! - [`model`]: a tiny model to try edge inference with;
//! - [`bench`]: the hidden baselines `scripts/bench/dts` compares against.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use enreach_dts::{network::NetworkConfig, serve::RateLimiter, store::parse_content_id};
use libp2p::Multiaddr;

pub mod app;
pub mod bench;
pub mod dapp;
pub mod fetch;
pub mod key;
pub mod model;
pub mod publish;
pub mod register;
pub mod run;

#[derive(Args, Clone)]
pub struct NetArgs {
    /// Addresses to listen on.
    #[arg(long)]
    pub listen: Vec<Multiaddr>,
    /// Peers to connect to (multiaddresses ending in `/p2p/<peer id>`).
    #[arg(long)]
    pub peer: Vec<Multiaddr>,
    /// Relays to be reachable through.
    #[arg(long)]
    pub relay: Vec<Multiaddr>,
    /// Cap on the bytes per second this node sends, over all transfers (a fetching node serves what it
    /// verified to the others fetching too).
    #[arg(long)]
    pub rate_limit: Option<u64>,
}

impl NetArgs {
    /// The cap on what this node sends, shared by every transfer it serves.
    pub fn upload_limiter(&self) -> Option<Arc<RateLimiter>> {
        self.rate_limit.map(|rate| Arc::new(RateLimiter::new(rate)))
    }
}

/// The network of a command: where it listens, whom it dials, which relays it uses.
pub fn network_config(args: &NetArgs, relay_server: bool) -> NetworkConfig {
    NetworkConfig {
        listen: args.listen.clone(),
        peers: args.peer.clone(),
        relays: args.relay.clone(),
        relay_server,
    }
}

/// A content id as users write it: 64 hex digits, optionally `0x`-prefixed.
pub fn parse_id(id: &str) -> anyhow::Result<blake3::Hash> {
    parse_content_id(id).context("a content id is 64 hex digits")
}
