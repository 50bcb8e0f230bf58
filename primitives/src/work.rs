//! What is reported on chain each epoch: an edge node's commitment to the receipts it collected, and a
//! keeper's measurements of a node it was assigned to watch.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{EpochIndex, Hash32, NodeId};

/// An edge node's claim for one epoch: the Merkle root of its receipts (one per session, the highest), how
/// many there are, and the bytes they add up to. The chain later samples receipts against the root; a claim
/// whose samples do not check out is void.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct WorkReport {
    /// The reporting node.
    pub node: NodeId,
    /// The finished epoch reported on.
    pub epoch: EpochIndex,
    /// [`crate::merkle::receipts_root`] of the receipts.
    pub receipts_root: Hash32,
    /// Number of receipts (leaves) under the root.
    pub receipt_count: u32,
    /// Sum of the receipts' `cumulative_bytes`.
    pub total_bytes: u64,
}

impl WorkReport {
    /// Mean bytes per receipt the report claims: sampled receipts are checked against it, so a report cannot
    /// inflate its total beyond what its receipts carry without failing the sample.
    pub fn mean_bytes_per_receipt(&self) -> u64 {
        self.total_bytes
            .checked_div(self.receipt_count as u64)
            .unwrap_or(0)
    }
}

/// A keeper's measurements of one node over one epoch. The node's work score uses the median over its
/// assigned keepers, so one lying keeper moves nothing, and keepers far from the median are recorded.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "subxt",
    derive(scale_encode::EncodeAsType, scale_decode::DecodeAsType)
)]
pub struct KeeperObservation {
    /// The observed node.
    pub node: NodeId,
    /// The epoch observed.
    pub epoch: EpochIndex,
    /// Liveness probes the node answered.
    pub probes_answered: u16,
    /// Liveness probes sent.
    pub probes_sent: u16,
    /// Median round-trip time of answered probes, milliseconds.
    pub median_rtt_ms: u32,
    /// Storage challenges (random chunk of pinned content) passed.
    pub storage_passed: u16,
    /// Storage challenges sent.
    pub storage_sent: u16,
    /// Upload bandwidth measured by the keeper, Mbit/s.
    pub bandwidth_mbps: u32,
}
