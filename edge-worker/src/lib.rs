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
pub mod bench;
pub mod bitfield;
pub mod capabilities;
pub mod chain;
pub mod chunked;
pub mod coalesce;
pub mod collector;
pub mod gateway;
pub mod keeper;
pub mod keys;
pub mod metrics;
pub mod network;
pub mod origin;
pub mod protocol;
pub mod receipts;
pub mod registration;
pub mod routed;
pub mod router;
pub mod schedule;
pub mod serve;
pub mod signing;
pub mod store;
pub mod transfer;
