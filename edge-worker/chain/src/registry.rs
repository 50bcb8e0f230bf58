//! Following the node registry from finalized blocks: one full read, then only the nodes each new block's
//! `EdgeNodes` events name, read at that block. A router of a 100 000-node network reads the whole registry
//! once (tens of megabytes) instead of at every refresh; afterwards a refresh costs one event read per block
//! and one entry per changed node.

use std::collections::{HashMap, HashSet};

use enreach_primitives::NodeId;

use crate::{Chain, ChainError, NodeRecord};

/// Blocks a follower catches up on event by event; further behind (a long disconnection), it reads the whole
/// registry again, which is then cheaper.
pub const MAX_CATCH_UP: u64 = 600;

/// The registry as of one finalized block.
#[derive(Default)]
pub struct Registry {
    nodes: HashMap<NodeId, NodeRecord>,
    at: Option<u64>,
}

/// What one [`Registry::sync`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Synced {
    /// The finalized block the registry now reflects.
    pub block: u64,
    /// Whether the whole registry was read.
    pub full: bool,
    /// Entries read again because a block's events named them.
    pub changed: usize,
}

impl Registry {
    /// Brings the registry to the latest finalized block.
    pub async fn sync(&mut self, chain: &Chain) -> Result<Synced, ChainError> {
        let finalized = chain.finalized_number().await?;
        match self.at {
            Some(at) if finalized <= at => Ok(Synced {
                block: at,
                full: false,
                changed: 0,
            }),
            Some(at) if finalized - at <= MAX_CATCH_UP => {
                let mut changed = HashSet::new();
                for block in at + 1..=finalized {
                    changed.extend(chain.registry_changes(block).await?);
                }
                for node in &changed {
                    match chain.node_at(*node, finalized).await? {
                        Some(record) => self.nodes.insert(*node, record),
                        None => self.nodes.remove(node),
                    };
                }
                self.at = Some(finalized);
                Ok(Synced {
                    block: finalized,
                    full: false,
                    changed: changed.len(),
                })
            }
            _ => {
                self.nodes = chain.nodes_at(Some(finalized)).await?.into_iter().collect();
                self.at = Some(finalized);
                Ok(Synced {
                    block: finalized,
                    full: true,
                    changed: self.nodes.len(),
                })
            }
        }
    }

    /// Every registered node, as of the last sync.
    pub fn nodes(&self) -> &HashMap<NodeId, NodeRecord> {
        &self.nodes
    }
}
