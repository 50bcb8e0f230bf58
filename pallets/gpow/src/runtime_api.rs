//! What dApps, operators and `edge-worker` ask the chain about GPoW, served by the node's `gpow_*` JSON-RPC
//! methods.

use alloc::{collections::BTreeMap, vec::Vec};
use codec::{Codec, Decode, Encode};
use enreach_primitives::{ContentId, EpochIndex, NodeId};
use scale_info::TypeInfo;

use crate::WorkScore;

/// A challenge a node must answer: which bytes and compute units of its claim, by when.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct OpenChallenge<BlockNumber> {
    /// The epoch of the challenged report.
    pub epoch: EpochIndex,
    /// Byte offsets of the claimed total; the answer holds, in this order, the receipt covering each one.
    pub offsets: Vec<u64>,
    /// Unit offsets of the claimed compute total; the compute answer holds, in this order, the compute receipt
    /// covering each one (none when the report claims no units).
    pub compute_offsets: Vec<u64>,
    /// Last block at which the answer is accepted.
    pub deadline: BlockNumber,
}

/// The chunks of one pinned content a node must prove it stores in an epoch.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct StorageChallenge {
    /// The epoch the answer names.
    pub epoch: EpochIndex,
    /// BLAKE3 hash of the pinned blob.
    pub content: ContentId,
    /// Its length in bytes.
    pub len: u64,
    /// Indices of the 1 KiB chunks to prove, in the order the answer holds them.
    pub chunks: Vec<u64>,
}

/// Which keepers observe which nodes in an epoch.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct EpochAssignments<AccountId> {
    /// The epoch's keeper snapshot.
    pub keepers: Vec<AccountId>,
    /// Every node active at the epoch's start, with the positions in `keepers` of its keepers.
    pub nodes: Vec<(NodeId, Vec<u32>)>,
}

impl<AccountId: Ord + Clone> EpochAssignments<AccountId> {
    /// Each keeper's nodes, in registry order.
    pub fn by_keeper(&self) -> BTreeMap<AccountId, Vec<NodeId>> {
        let mut lists: BTreeMap<AccountId, Vec<NodeId>> = BTreeMap::new();
        for (node, keepers) in &self.nodes {
            for keeper in keepers.iter().filter_map(|&i| self.keepers.get(i as usize)) {
                lists.entry(keeper.clone()).or_default().push(*node);
            }
        }
        lists
    }
}

sp_api::decl_runtime_apis! {
    /// GPoW queries.
    pub trait GpowApi<AccountId, BlockNumber> where AccountId: Codec, BlockNumber: Codec {
        /// The epoch in progress and the block it started at.
        fn current_epoch() -> Option<(EpochIndex, BlockNumber)>;
        /// `node`'s work score in `epoch` (zero if no keeper observed it).
        fn work_score(epoch: EpochIndex, node: NodeId) -> WorkScore;
        /// The challenge `node` must answer now, if any.
        fn open_challenge(node: NodeId) -> Option<OpenChallenge<BlockNumber>>;
        /// The keepers assigned to `node` in `epoch`.
        fn keepers_of(epoch: EpochIndex, node: NodeId) -> Vec<AccountId>;
        /// Every keeper's nodes in `epoch`, once it has a keeper snapshot (the whole registry is read: a node
        /// computes it once per epoch).
        fn epoch_assignments(epoch: EpochIndex) -> Option<EpochAssignments<AccountId>>;
        /// What `node` must prove it stores in the current epoch: one challenge per content it pinned before
        /// the epoch began.
        fn storage_challenges(node: NodeId) -> Vec<StorageChallenge>;
    }
}
