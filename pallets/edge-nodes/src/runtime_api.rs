//! What dApps and operators ask the chain about edge nodes, served by the node's `edgeNodes_*` JSON-RPC
//! methods.

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use enreach_primitives::{Capabilities, NodeId};
use scale_info::TypeInfo;

use crate::NodeStatus;

/// A registered node as clients see it: endpoints as plain byte strings.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, TypeInfo)]
pub struct NodeView<AccountId, Balance, BlockNumber> {
    /// The operator account.
    pub operator: AccountId,
    /// What the node offers.
    pub capabilities: Capabilities,
    /// Multiaddresses, as UTF-8 bytes.
    pub endpoints: Vec<Vec<u8>>,
    /// Held deposit.
    pub deposit: Balance,
    /// Whether it may work.
    pub status: NodeStatus<BlockNumber>,
}

sp_api::decl_runtime_apis! {
    /// Registry queries.
    pub trait EdgeNodesApi<AccountId, Balance, BlockNumber>
    where AccountId: Codec, Balance: Codec, BlockNumber: Codec
    {
        /// `node`'s registration, if it is registered.
        fn node_info(node: NodeId) -> Option<NodeView<AccountId, Balance, BlockNumber>>;
        /// The nodes `operator` runs.
        fn nodes_of(operator: AccountId) -> Vec<NodeId>;
    }
}
