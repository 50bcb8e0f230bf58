//! # enreach-dts: PeerDTS
//!
//! Verified multi-source content transfer, the service layer's data plane, as a library another program can
//! embed: a BLAKE3-verified content store ([`store`], with [`bitfield`] of verified groups and [`coalesce`]d
//! writes), the wire protocol `/enreach/dts/1` ([`protocol`]), multi-source downloads ([`transfer`], scheduled
//! by [`schedule`], handing data to blocking decoders through [`chunked`], learning a blob's size only from a
//! [`size_proof`] or a trusted caller), the provider side ([`serve`], which admits requests per peer and in
//! all through [`admission`] and checks their [`ranges`] at a bounded cost) and the libp2p node they run over
//! ([`network`], which knows the [`hosts`] peers connect from), within the [`limits`] gathered in one place.
//! [`keys`] holds the node's and clients' ed25519 keys, [`signing`] the downloader's half of the receipt
//! exchange (it signs what it received), [`metrics`] the transfer counters, [`bench`](mod@bench) the baselines
//! `scripts/bench/dts` compares against. [`collection`] imports a folder as one content (a manifest naming
//! its files) and fetches such a collection whole or a file of it.
//!
//! It knows nothing of the chain or of HTTP: receipts and node ids are `enreach-primitives` types, and what a
//! provider needs from the chain (who pays for a client key, the current epoch) is asked through
//! [`serve::ReceiptCollector`], which the GPoW crate implements.

pub mod admission;
pub mod bench;
pub mod bitfield;
pub mod chunked;
pub mod coalesce;
pub mod collection;
pub mod hosts;
pub mod keys;
pub mod limits;
pub mod metrics;
pub mod network;
pub mod pending_per_address;
pub mod protocol;
pub mod ranges;
pub mod schedule;
pub mod serve;
pub mod signing;
pub mod size_proof;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transfer;
