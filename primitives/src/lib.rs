//! # EnReach primitives
//!
//! The types and proof formats that the chain (runtime, pallets) and the edge network (`edge-worker`) must
//! agree on byte for byte: they are SCALE-encoded, `no_std`, and used unchanged on both sides, so a receipt
//! signed by a client, Merkle-committed by an edge node and sampled by the chain is the same bytes everywhere.
//!
//! - [`app`]: PeerHVM applications: their names ([`AppName`]) and per-request limits ([`AppLimits`]).
//! - [`node`]: who an edge node is ([`NodeId`]) and what it offers ([`Capabilities`], the PeerHVM descriptor).
//! - [`receipt`]: [`DeliveryReceipt`], a client's signed acknowledgement of bytes served.
//! - [`compute`]: [`ComputeReceipt`], a client's signed acknowledgement of an edge application's requests, with
//!   the transcript a keeper replays.
//! - [`merkle`]: the sorted Merkle-sum tree over an epoch's receipts of one kind (delivery, compute) and its proofs.
//! - [`content`]: BLAKE3 chunk inclusion proofs, for storage challenges on pinned content.
//! - [`collection`]: many files published as one content ([`Collection`]: an AI model's repository).
//! - [`origin`]: origin URLs, where gateways pull content that misses their store.
//! - [`work`]: what nodes and keepers report per epoch ([`WorkReport`], [`KeeperObservation`]).

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod app;
pub mod collection;
pub mod compute;
pub mod content;
pub mod merkle;
pub mod node;
pub mod origin;
pub mod receipt;
pub mod work;

pub use app::{is_valid_app_name, is_valid_app_origin, AppLimits, AppName};
pub use collection::{is_valid_collection_path, Collection, CollectionError, CollectionFile};
pub use compute::{ComputeReceipt, ComputeStep};
pub use merkle::{LeafKey, ReceiptProof, ReceiptTree, SummedLeaf, TreeNode};
pub use node::{Capabilities, Continent, Gpu, NatType, NodeId, Region, SoftwareVersion};
pub use origin::{is_valid_origin, OriginUrl, MAX_ORIGIN_URL_LEN};
pub use receipt::{ClientKey, ContentId, DeliveryReceipt, SessionId};
pub use work::{KeeperObservation, WorkReport};

/// Index of a GPoW epoch: a fixed number of blocks over which work is counted, reported and challenged.
pub type EpochIndex = u32;

/// A 32-byte hash (BLAKE3 on the edge side, the chain's hash where it names a block).
pub type Hash32 = [u8; 32];

/// An ed25519 signature.
pub type Signature64 = [u8; 64];
