//! JSON-RPC for dApps and operators over the trust layer: `edgeNodes_*` (the registry) and `gpow_*` (epochs,
//! challenges, keeper assignments, work scores). Each method calls the runtime API at the best block.

use enreach_primitives::{Capabilities, EpochIndex, NodeId};
use enreach_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use jsonrpsee::{core::RpcResult, proc_macros::rpc, types::error::ErrorObjectOwned};
use pallet_edge_nodes::runtime_api::EdgeNodesApi;
use pallet_gpow::runtime_api::GpowApi;
use serde::Serialize;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;

use super::{assignments::Refused, invalid_params, runtime_error, Queries};

/// A registered edge node as `edgeNodes_nodeInfo` returns it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// Operator account (SS58).
    pub operator: String,
    /// What the node offers.
    pub capabilities: Capabilities,
    /// Multiaddresses.
    pub endpoints: Vec<String>,
    /// Held deposit, in the smallest unit (a decimal string: it may exceed 2^53).
    pub deposit: String,
    /// `active`, `suspended`, `jailed` or `leaving`.
    pub status: &'static str,
    /// For a leaving node, the block its deposit unlocks at.
    pub unlock_at: Option<BlockNumber>,
}

/// The epoch in progress.
#[derive(Clone, Debug, Serialize)]
pub struct Epoch {
    /// Its index.
    pub index: EpochIndex,
    /// The block it started at.
    pub start: BlockNumber,
}

/// A challenge the node must answer.
#[derive(Clone, Debug, Serialize)]
pub struct Challenge {
    /// Epoch of the challenged report.
    pub epoch: EpochIndex,
    /// Byte offsets of the reported total; the answer holds the receipt covering each, in order.
    pub offsets: Vec<u64>,
    /// Unit offsets of the reported compute total; the compute answer holds the compute receipt covering each,
    /// in order.
    pub compute_offsets: Vec<u64>,
    /// Last block at which the answer is accepted.
    pub deadline: BlockNumber,
}

/// The chunks of one pinned content a node must prove it stores this epoch.
#[derive(Clone, Debug, Serialize)]
pub struct StorageChallenge {
    /// The epoch the answer names.
    pub epoch: EpochIndex,
    /// BLAKE3 hash of the pinned blob (hex).
    pub content: String,
    /// Its length in bytes.
    pub len: u64,
    /// Indices of the 1 KiB chunks to prove, in answer order.
    pub chunks: Vec<u64>,
}

/// Trust-layer queries.
#[rpc(server)]
pub trait TrustApi {
    /// A registered node by its ed25519 key (hex), or null.
    #[method(name = "edgeNodes_nodeInfo")]
    fn node_info(&self, node: String) -> RpcResult<Option<NodeInfo>>;

    /// The node keys (hex) an operator account (SS58) runs.
    #[method(name = "edgeNodes_nodesOf")]
    fn nodes_of(&self, operator: AccountId) -> RpcResult<Vec<String>>;

    /// The GPoW epoch in progress, or null before GPoW is configured.
    #[method(name = "gpow_currentEpoch")]
    fn current_epoch(&self) -> RpcResult<Option<Epoch>>;

    /// A node's work score in an epoch (0 if no keeper observed it).
    #[method(name = "gpow_workScore")]
    fn work_score(&self, epoch: EpochIndex, node: String) -> RpcResult<u64>;

    /// The challenge a node must answer now, or null.
    #[method(name = "gpow_openChallenge")]
    fn open_challenge(&self, node: String) -> RpcResult<Option<Challenge>>;

    /// The keepers (SS58) assigned to a node in an epoch.
    #[method(name = "gpow_keepers")]
    fn keepers(&self, epoch: EpochIndex, node: String) -> RpcResult<Vec<AccountId>>;

    /// The nodes (hex) a keeper (SS58) is assigned to observe in an epoch, the finalized one or the one before.
    /// The node draws each epoch's assignment once, at the finalized block, on a blocking thread (it reads the
    /// whole registry).
    #[method(name = "gpow_assignedNodes", blocking)]
    fn assigned_nodes(&self, epoch: EpochIndex, keeper: AccountId) -> RpcResult<Vec<String>>;

    /// What a node must prove it stores this epoch: one challenge per content pinned before it began.
    #[method(name = "gpow_storageChallenges")]
    fn storage_challenges(&self, node: String) -> RpcResult<Vec<StorageChallenge>>;
}

/// Parses a node key given as 64 hex digits, with or without `0x`.
pub fn parse_node_id(text: &str) -> Result<NodeId, ErrorObjectOwned> {
    let hex_digits = text.strip_prefix("0x").unwrap_or(text);
    let bytes =
        hex::decode(hex_digits).map_err(|e| invalid_params(format!("node key is not hex: {e}")))?;
    let key: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| invalid_params(format!("node key is 32 bytes, got {}", b.len())))?;
    Ok(NodeId(key))
}

fn node_hex(node: &NodeId) -> String {
    format!("0x{}", hex::encode(node.0))
}

impl<C> TrustApiServer for Queries<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: EdgeNodesApi<Block, AccountId, Balance, BlockNumber>
        + GpowApi<Block, AccountId, BlockNumber>,
{
    fn node_info(&self, node: String) -> RpcResult<Option<NodeInfo>> {
        let node = parse_node_id(&node)?;
        let (api, best) = self.at_best();
        let view = api.node_info(best, node).map_err(runtime_error)?;
        Ok(view.map(|v| {
            use pallet_edge_nodes::NodeStatus::*;
            let (status, unlock_at) = match v.status {
                Active => ("active", None),
                Suspended => ("suspended", None),
                Jailed => ("jailed", None),
                Leaving { unlock_at } => ("leaving", Some(unlock_at)),
            };
            NodeInfo {
                operator: v.operator.to_string(),
                capabilities: v.capabilities,
                endpoints: v
                    .endpoints
                    .into_iter()
                    .map(|e| String::from_utf8_lossy(&e).into_owned())
                    .collect(),
                deposit: v.deposit.to_string(),
                status,
                unlock_at,
            }
        }))
    }

    fn nodes_of(&self, operator: AccountId) -> RpcResult<Vec<String>> {
        let (api, best) = self.at_best();
        let nodes = api.nodes_of(best, operator).map_err(runtime_error)?;
        Ok(nodes.iter().map(node_hex).collect())
    }

    fn current_epoch(&self) -> RpcResult<Option<Epoch>> {
        let (api, best) = self.at_best();
        let epoch = api.current_epoch(best).map_err(runtime_error)?;
        Ok(epoch.map(|(index, start)| Epoch { index, start }))
    }

    fn work_score(&self, epoch: EpochIndex, node: String) -> RpcResult<u64> {
        let node = parse_node_id(&node)?;
        let (api, best) = self.at_best();
        api.work_score(best, epoch, node).map_err(runtime_error)
    }

    fn open_challenge(&self, node: String) -> RpcResult<Option<Challenge>> {
        let node = parse_node_id(&node)?;
        let (api, best) = self.at_best();
        let challenge = api.open_challenge(best, node).map_err(runtime_error)?;
        Ok(challenge.map(|c| Challenge {
            epoch: c.epoch,
            offsets: c.offsets,
            compute_offsets: c.compute_offsets,
            deadline: c.deadline,
        }))
    }

    fn keepers(&self, epoch: EpochIndex, node: String) -> RpcResult<Vec<AccountId>> {
        let node = parse_node_id(&node)?;
        let (api, best) = self.at_best();
        api.keepers_of(best, epoch, node).map_err(runtime_error)
    }

    fn assigned_nodes(&self, epoch: EpochIndex, keeper: AccountId) -> RpcResult<Vec<String>> {
        // Drawn at the finalized block: an epoch's seed comes from its first block, which a fork can replace,
        // and a list served from memory for the whole epoch must not be a fork's.
        let api = self.client.runtime_api();
        let finalized = self.client.info().finalized_hash;
        let current = api
            .current_epoch(finalized)
            .map_err(runtime_error)?
            .map_or(0, |(index, _)| index);
        let lists = self
            .assignments
            .lists(epoch, current, || {
                api.epoch_assignments(finalized, epoch)
                    .map(|drawn| drawn.map(|assignments| assignments.by_keeper()))
            })
            .map_err(|refused| match refused {
                Refused::NotServed { current } => invalid_params(format!(
                    "assignments are served for the finalized epoch ({current}) and the one before only"
                )),
                Refused::NotDrawn => invalid_params(format!(
                    "epoch {epoch} has no keeper snapshot at the finalized block yet"
                )),
                Refused::Runtime(error) => runtime_error(error),
            })?;
        Ok(lists
            .get(&keeper)
            .map(|nodes| nodes.iter().map(node_hex).collect())
            .unwrap_or_default())
    }

    fn storage_challenges(&self, node: String) -> RpcResult<Vec<StorageChallenge>> {
        let node = parse_node_id(&node)?;
        let (api, best) = self.at_best();
        let challenges = api.storage_challenges(best, node).map_err(runtime_error)?;
        Ok(challenges
            .into_iter()
            .map(|c| StorageChallenge {
                epoch: c.epoch,
                content: format!("0x{}", hex::encode(c.content.0)),
                len: c.len,
                chunks: c.chunks,
            })
            .collect())
    }
}
