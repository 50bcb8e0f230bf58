//! What is reported on chain each epoch: an edge node's commitment to the receipts it collected, and a
//! keeper's measurements of a node it was assigned to watch.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

use crate::{EpochIndex, Hash32, NodeId};

/// An edge node's claim for one epoch, in two parts: its delivery receipts and its compute receipts, each as the
/// root of their receipt tree ([`crate::merkle`], one leaf per session, the highest), how many leaves there are,
/// and what they add up to (bytes, compute units). A part with nothing to claim is all zeros. The chain later
/// samples receipts of both parts against their roots; a claim whose samples do not check out is void.
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
    /// Root of the delivery receipts' tree ([`crate::ReceiptTree::root`]).
    pub receipts_root: Hash32,
    /// Number of delivery receipts (leaves) under the root.
    pub receipt_count: u32,
    /// Sum of the delivery receipts' `cumulative_bytes`.
    pub total_bytes: u64,
    /// Root of the compute receipts' tree; zeros when there are none.
    pub compute_root: Hash32,
    /// Number of compute receipts (leaves) under the compute root.
    pub compute_receipt_count: u32,
    /// Sum of the compute receipts' `cumulative_units`.
    pub total_units: u64,
}

impl WorkReport {
    /// Whether the delivery part claims anything.
    pub fn claims_delivery(&self) -> bool {
        self.receipt_count > 0 && self.total_bytes > 0
    }

    /// Whether the compute part claims anything.
    pub fn claims_compute(&self) -> bool {
        self.compute_receipt_count > 0 && self.total_units > 0
    }

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
    /// The node's sampled compute sessions of the epoch this keeper replayed.
    pub replays_sent: u16,
    /// Of those, the replays that did not reproduce a signed response hash or unit count, or whose transcript
    /// the node did not hand over or that did not match its signed receipt.
    pub replays_failed: u16,
}
