//! An edge's side of PeerRouting: it answers routers' `STATUS` probes (its load, the content it holds, the
//! round trips it measured to its peers: a router's heartbeat, inventory and coordinate samples) and
//! prefetches content a router predicts demand for, through PeerDTS like any download.
//!
//! A prefetch costs a download and the disk it fills, so an edge takes `PREFETCH` only from the routers its
//! operator names (`run --router-peer`; routers are not registered on chain), only for content a dApp published
//! on chain (someone pays for its delivery), and runs at most [`MAX_PREFETCHES`] at once.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use tracing::warn;

use enreach_dts::serve::RoutedNode;
use futures::future::BoxFuture;
use libp2p::PeerId;

use enreach_dts::{
    keys,
    metrics::Metrics,
    network::{announce_event, Network},
    protocol::{NodeStatus, PrefetchAnswer, MAX_INVENTORY, MAX_ROUND_TRIPS},
    store::{ContentHash, ContentStore},
    transfer::{fetch, Sources},
};
use enreach_edge_chain::Chain;

/// Most prefetches an edge runs at once.
pub const MAX_PREFETCHES: usize = 2;

/// What an edge tells routers and does for them.
pub struct Routed {
    network: Network,
    store: Arc<ContentStore>,
    metrics: Arc<Metrics>,
    chain: Option<Chain>,
    /// The routers whose `PREFETCH` this edge takes.
    routers: HashSet<PeerId>,
    prefetching: Mutex<HashSet<ContentHash>>,
}

impl std::fmt::Debug for Routed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routed")
            .field("prefetching", &self.prefetching().len())
            .finish_non_exhaustive()
    }
}

impl Routed {
    /// An edge serving `store` over `network`, taking prefetches from `routers`; without `chain` it cannot
    /// tell published content and prefetches nothing.
    pub fn new(
        network: Network,
        store: Arc<ContentStore>,
        metrics: Arc<Metrics>,
        chain: Option<Chain>,
        routers: HashSet<PeerId>,
    ) -> Arc<Self> {
        Arc::new(Self {
            network,
            store,
            metrics,
            chain,
            routers,
            prefetching: Mutex::new(HashSet::new()),
        })
    }

    /// The answer to a router's `STATUS`.
    pub async fn status(&self) -> NodeStatus {
        let held = self
            .store
            .ids()
            .into_iter()
            .filter(|id| self.store.get(id).is_some_and(|b| b.is_complete()))
            .take(MAX_INVENTORY)
            .collect();
        let round_trips = self
            .network
            .round_trips()
            .await
            .into_iter()
            .filter_map(|(peer, rtt)| {
                let micros = u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX);
                keys::node_id_of(&peer).map(|node| (node, micros))
            })
            .take(MAX_ROUND_TRIPS)
            .collect();
        NodeStatus {
            load: self.metrics.active_transfers(),
            held,
            round_trips,
        }
    }

    fn prefetching(&self) -> std::sync::MutexGuard<'_, HashSet<ContentHash>> {
        self.prefetching.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts fetching `id` if it is published, not held and a prefetch slot is free.
    pub async fn prefetch(self: &Arc<Self>, id: ContentHash) -> PrefetchAnswer {
        if self.store.get(&id).is_some_and(|b| b.is_complete()) || self.prefetching().contains(&id)
        {
            return PrefetchAnswer::Held;
        }
        if self.prefetching().len() >= MAX_PREFETCHES {
            return PrefetchAnswer::Busy;
        }
        // The chain's record also gives the size: a prefetch never takes it from a provider (which could poison
        // the store with a wrong one).
        let size = match &self.chain {
            Some(chain) => chain.content(id).await.ok().flatten().map(|c| c.size),
            None => None,
        };
        let Some(size) = size else {
            return PrefetchAnswer::Unpublished;
        };
        {
            let mut running = self.prefetching();
            if running.len() >= MAX_PREFETCHES || !running.insert(id) {
                return PrefetchAnswer::Busy;
            }
        }
        let this = self.clone();
        tokio::spawn(async move {
            let outcome = fetch(
                &this.network,
                this.store.clone(),
                id,
                Some(size),
                Sources::Discover,
                this.metrics.clone(),
                None,
                |_| {},
            )
            .await;
            this.prefetching().remove(&id);
            match outcome {
                Ok(report) => {
                    this.network.announce(id).await;
                    announce_event(serde_json::json!({
                        "event": "prefetched",
                        "content": id.to_hex().to_string(),
                        "bytes": report.bytes_fetched(),
                    }));
                }
                Err(e) => warn!(content = %id.to_hex(), %e, "prefetch failed"),
            }
        });
        PrefetchAnswer::Started
    }
}

/// The provider (`enreach_dts::serve`) answers routers' requests through this trait.
impl RoutedNode for Routed {
    fn status(&self) -> BoxFuture<'_, NodeStatus> {
        Box::pin(Routed::status(self))
    }

    fn prefetch(self: Arc<Self>, id: ContentHash) -> BoxFuture<'static, PrefetchAnswer> {
        Box::pin(async move { Routed::prefetch(&self, id).await })
    }

    fn accepts_prefetch_from(&self, peer: &PeerId) -> bool {
        self.routers.contains(peer)
    }
}
