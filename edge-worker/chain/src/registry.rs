//! Following the node registry from finalized blocks: one full read, then only the nodes each new block's
//! `EdgeNodes` events name, read at that block. A router of a 100 000-node network reads the whole registry
//! once (tens of megabytes) instead of at every refresh; afterwards a refresh costs one event read per block
//! and one entry per changed node.

use std::collections::{HashMap, HashSet};

use enreach_primitives::NodeId;

use crate::{Chain, ChainError, NodeRecord};

/// Blocks a follower catches up on event by event; further behind (a long disconnection), it reads the whole
/// registry again, which is then cheaper. Below the 256 finalized states a default (pruned) node keeps, whose
/// events a catch-up reads.
pub const MAX_CATCH_UP: u64 = 200;

/// Most nodes re-read one by one in a catch-up; more changed (operators churning their nodes every block), one
/// full read costs less than that many single reads and cannot be stretched by whoever churns.
pub const MAX_CHANGED: usize = 1000;

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
    /// Brings the registry to the latest finalized block: from the events of the blocks since the last sync, or
    /// by a full read when that is cheaper or the events cannot be read (their blocks' state pruned, an event
    /// this client does not know).
    pub async fn sync(&mut self, chain: &Chain) -> Result<Synced, ChainError> {
        let finalized = chain.finalized_number().await?;
        match self.at {
            Some(at) if finalized <= at => {
                return Ok(Synced {
                    block: at,
                    full: false,
                    changed: 0,
                })
            }
            Some(at) if finalized - at <= MAX_CATCH_UP => {
                if let Ok(Some(changed)) = self.catch_up(chain, at, finalized).await {
                    return Ok(Synced {
                        block: finalized,
                        full: false,
                        changed,
                    });
                }
            }
            _ => {}
        }
        self.nodes = chain.nodes_at(Some(finalized)).await?.into_iter().collect();
        self.at = Some(finalized);
        Ok(Synced {
            block: finalized,
            full: true,
            changed: self.nodes.len(),
        })
    }

    /// Re-reads the nodes the events of blocks `at + 1 ..= finalized` name, or `None` (nothing changed here)
    /// if they are more than [`MAX_CHANGED`].
    async fn catch_up(
        &mut self,
        chain: &Chain,
        at: u64,
        finalized: u64,
    ) -> Result<Option<usize>, ChainError> {
        let mut changed = HashSet::new();
        for block in at + 1..=finalized {
            changed.extend(chain.registry_changes(block).await?);
            if changed.len() > MAX_CHANGED {
                return Ok(None);
            }
        }
        let mut records = Vec::with_capacity(changed.len());
        for node in changed {
            records.push((node, chain.node_at(node, finalized).await?));
        }
        let count = records.len();
        for (node, record) in records {
            match record {
                Some(record) => self.nodes.insert(node, record),
                None => self.nodes.remove(&node),
            };
        }
        self.at = Some(finalized);
        Ok(Some(count))
    }

    /// Every registered node, as of the last sync.
    pub fn nodes(&self) -> &HashMap<NodeId, NodeRecord> {
        &self.nodes
    }
}
