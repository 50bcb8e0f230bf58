//! Real libp2p nodes on loopback for the attack tests: honest providers running [`serve`], downloaders running
//! [`fetch`], and raw nodes an attacker drives with the crate's own protocol types.

#![allow(dead_code)] // Each test binary uses part of the harness.

use std::{sync::Arc, time::Duration};

use enreach_dts::{
    metrics::Metrics,
    network::{Network, NetworkConfig},
    protocol::PROTOCOL,
    serve::{serve, ServeOptions},
    store::{ContentHash, ContentStore},
    transfer::{fetch, FetchError, FetchReport, Sources},
};
use libp2p::{identity::Keypair, PeerId};

/// A node with a store of its own.
pub struct Node {
    pub network: Network,
    pub store: Arc<ContentStore>,
    pub metrics: Arc<Metrics>,
    _dir: tempfile::TempDir,
}

impl Node {
    /// A node listening on loopback TCP.
    pub async fn start() -> Self {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(ContentStore::open(dir.path().join("store")).unwrap());
        let network = Network::start(
            Keypair::generate_ed25519(),
            NetworkConfig {
                listen: vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
        within(Duration::from_secs(30), async {
            while network.listen_addrs().await.is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        Self {
            network,
            store,
            metrics: Metrics::new(),
            _dir: dir,
        }
    }

    /// This node's peer id.
    pub fn id(&self) -> PeerId {
        self.network.local_peer_id()
    }

    /// Serves its store as a provider does.
    pub fn serve(&self, options: ServeOptions) {
        tokio::spawn(serve(
            self.store.clone(),
            self.network.control().accept(PROTOCOL).unwrap(),
            options,
            self.metrics.clone(),
        ));
    }

    /// Adds `bytes` to its store as a complete blob.
    pub fn publish(&self, bytes: &[u8]) -> ContentHash {
        let staging = self.store.staging().unwrap();
        std::fs::write(staging.data_path(), bytes).unwrap();
        self.store.finish_import(staging, None, None).unwrap().id()
    }

    /// Connects to `other` and waits until the connection is up (generously: tests that flood a provider run
    /// beside others on a loaded 2-core machine, and a connection took over 10 s to come up there once).
    pub async fn connect(&self, other: &Node) {
        let addr = other.network.listen_addrs().await.remove(0);
        self.network.dial(addr).await;
        within(Duration::from_secs(30), async {
            while !self.network.connected().await.contains(&other.id()) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }

    /// Fetches `id` from `sources` (size not known beforehand, as a client's fetch).
    pub async fn fetch(
        &self,
        id: ContentHash,
        sources: Vec<PeerId>,
    ) -> Result<FetchReport, FetchError> {
        self.fetch_sized(id, None, sources).await
    }

    /// Fetches `id` from `sources`, with the size the caller was told (as a prefetch takes the chain's).
    pub async fn fetch_sized(
        &self,
        id: ContentHash,
        size: Option<u64>,
        sources: Vec<PeerId>,
    ) -> Result<FetchReport, FetchError> {
        self.fetch_with(id, size, Sources::Routed(sources)).await
    }

    /// Fetches `id` from whoever holds it: connected peers and provider records (a client's `fetch` without a
    /// router).
    pub async fn discover(&self, id: ContentHash) -> Result<FetchReport, FetchError> {
        self.fetch_with(id, None, Sources::Discover).await
    }

    async fn fetch_with(
        &self,
        id: ContentHash,
        size: Option<u64>,
        sources: Sources,
    ) -> Result<FetchReport, FetchError> {
        fetch(
            &self.network,
            self.store.clone(),
            id,
            size,
            sources,
            self.metrics.clone(),
            None,
            |_| {},
        )
        .await
    }

    /// The blob `id` as stored here, if complete.
    pub fn complete_bytes(&self, id: &ContentHash) -> Option<Vec<u8>> {
        let blob = self.store.get(id).filter(|b| b.is_complete())?;
        let mut bytes = vec![0; blob.size() as usize];
        blob.read_at(0, &mut bytes).unwrap();
        Some(bytes)
    }
}

/// Test content of `len` bytes.
pub fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ (i >> 11) as u8 ^ seed)
        .collect()
}

/// Awaits `f`, failing the test if it takes longer than `limit`.
pub async fn within<T>(limit: Duration, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}
