//! # enreach-dts: PeerDTS
//!
//! Verified multi-source content transfer, the service layer's data plane, as a library another program can
//! embed: a BLAKE3-verified content store ([`store`], with [`bitfield`] of verified groups and [`coalesce`]d
//! writes), the wire protocol `/enreach/dts/1` ([`protocol`]), multi-source downloads ([`transfer`], scheduled
//! by [`schedule`], handing data to blocking decoders through [`chunked`]), the provider side ([`serve`]) and
//! the libp2p node they run over ([`network`]). [`keys`] holds the node's and clients' ed25519 keys,
//! [`signing`] the downloader's half of the receipt exchange (it signs what it received), [`metrics`] the
//! transfer counters, [`bench`](mod@bench) the baselines `scripts/bench/dts` compares against.
//!
//! It knows nothing of the chain or of HTTP: receipts and node ids are `enreach-primitives` types, and what a
//! provider needs from the chain (who pays for a client key, the current epoch) is asked through
//! [`serve::ReceiptCollector`], which the GPoW crate implements.

pub mod bench;
pub mod bitfield;
pub mod chunked;
pub mod coalesce;
pub mod keys;
pub mod metrics;
pub mod network;
pub mod protocol;
pub mod schedule;
pub mod serve;
pub mod signing;
pub mod store;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transfer;
