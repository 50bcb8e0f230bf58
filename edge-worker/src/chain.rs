//! The chain client of edge-worker: subxt over the node's JSON-RPC (WebSocket), with the runtime's metadata
//! fetched at connect time and calls and storage addressed dynamically by pallet and item name. No code is
//! generated from a metadata file, so the worker follows runtime upgrades that keep those names and shapes.
//!
//! Reads are made at the latest finalized block: what a gateway or an edge acts on cannot be reverted under
//! it. A read that fails reconnects (retrying for up to [`RECONNECT_FOR`]) and is tried once more, so a
//! long-running worker rides out a restart of its node. Transactions wait for inclusion or finality, as the caller needs ([`Wait`]), and report a failed
//! dispatch by the pallet's error name (`Settlement::InvalidOrigin`), which is what an operator or a test needs
//! to see.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use scale_decode::DecodeAsType;
use subxt::{dynamic, transactions::TransactionStatus, OnlineClient, PolkadotConfig};
use subxt_signer::sr25519::Keypair;
use tokio::sync::RwLock;
use tracing::{info, warn};

use enreach_primitives::{Capabilities, ClientKey, NodeId};

use crate::store::ContentHash;

/// Why a chain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The node could not be reached or answered something unexpected.
    #[error("chain RPC: {0}")]
    Rpc(String),
    /// The transaction was included and failed; the error names the pallet and its error variant.
    #[error("transaction failed: {0}")]
    Dispatch(String),
    /// The transaction was rejected before inclusion (bad nonce, no funds for fees, ...).
    #[error("transaction rejected: {0}")]
    Rejected(String),
}

fn rpc(e: impl std::fmt::Display) -> ChainError {
    ChainError::Rpc(e.to_string())
}

/// How long [`Chain::submit`] waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Until a best block includes the transaction: enough to learn whether it dispatched.
    InBlock,
    /// Until a finalized block includes it: what readers of finalized state (gateways, edges) see.
    Finalized,
}

/// A published content as the settlement pallet records it.
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct ContentRecord {
    /// The dApp paying for it.
    pub owner: [u8; 32],
    /// Its length in bytes.
    pub size: u64,
    /// Nodes paid to store it.
    pub replicas: u32,
    /// Highest storage price per GiB and epoch the dApp accepts.
    pub max_price: u128,
    /// Where gateways pull it from on a miss.
    pub origin: Option<Vec<u8>>,
}

impl ContentRecord {
    /// The origin URL, if the dApp registered a valid one.
    pub fn origin_url(&self) -> Option<&str> {
        self.origin
            .as_deref()
            .filter(|url| enreach_primitives::is_valid_origin(url))
            .and_then(|url| std::str::from_utf8(url).ok())
    }
}

/// A registered edge node as the registry records it (the fields edge-worker acts on).
#[derive(Clone, Debug, PartialEq, Eq, DecodeAsType)]
pub struct NodeRecord {
    /// The account that registered it and is paid for its work.
    pub operator: [u8; 32],
    /// What it offers.
    pub capabilities: Capabilities,
    /// Multiaddresses (UTF-8) it is reached at.
    pub endpoints: Vec<Vec<u8>>,
}

/// How long a failed read keeps trying to reconnect to the node before it gives up.
pub const RECONNECT_FOR: Duration = Duration::from_secs(60);

/// A connection to one node.
#[derive(Clone)]
pub struct Chain {
    url: Arc<str>,
    genesis_hash: [u8; 32],
    api: Arc<RwLock<OnlineClient<PolkadotConfig>>>,
}

impl Chain {
    /// Connects to the node at `url` (`ws://` or `wss://`).
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        let api = OnlineClient::<PolkadotConfig>::from_insecure_url(url)
            .await
            .map_err(rpc)?;
        Ok(Self {
            url: url.into(),
            genesis_hash: api.genesis_hash().0,
            api: Arc::new(RwLock::new(api)),
        })
    }

    /// The chain's genesis hash (what proofs of possession are bound to).
    pub fn genesis_hash(&self) -> [u8; 32] {
        self.genesis_hash
    }

    async fn api(&self) -> OnlineClient<PolkadotConfig> {
        self.api.read().await.clone()
    }

    /// Replaces the connection after a failure, trying for up to [`RECONNECT_FOR`].
    async fn reconnect(&self) -> Result<OnlineClient<PolkadotConfig>, ChainError> {
        let mut api = self.api.write().await;
        let deadline = Instant::now() + RECONNECT_FOR;
        loop {
            match OnlineClient::<PolkadotConfig>::from_insecure_url(&*self.url).await {
                Ok(fresh) => {
                    info!(url = %self.url, "reconnected to the chain");
                    *api = fresh.clone();
                    return Ok(fresh);
                }
                Err(e) if Instant::now() >= deadline => return Err(rpc(e)),
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// The settlement record of content `id`, if a dApp published it.
    pub async fn content(&self, id: ContentHash) -> Result<Option<ContentRecord>, ChainError> {
        self.read("Settlement", "Contents", *id.as_bytes()).await
    }

    /// The registry entry of `node`, if it is registered.
    pub async fn node(&self, node: NodeId) -> Result<Option<NodeRecord>, ChainError> {
        self.read("EdgeNodes", "Nodes", node.0).await
    }

    /// The dApp account that pays for receipts signed by `client`, if one authorized it.
    pub async fn client_owner(&self, client: ClientKey) -> Result<Option<[u8; 32]>, ChainError> {
        self.read("Settlement", "Clients", client.0).await
    }

    /// The value under `key` in the map `pallet::item`, at the latest finalized block; once more over a new
    /// connection if the first attempt fails.
    async fn read<V: DecodeAsType>(
        &self,
        pallet: &str,
        item: &str,
        key: [u8; 32],
    ) -> Result<Option<V>, ChainError> {
        match Self::read_with(&self.api().await, pallet, item, key).await {
            Err(ChainError::Rpc(e)) => {
                warn!(%e, "chain read failed; reconnecting");
                Self::read_with(&self.reconnect().await?, pallet, item, key).await
            }
            done => done,
        }
    }

    async fn read_with<V: DecodeAsType>(
        api: &OnlineClient<PolkadotConfig>,
        pallet: &str,
        item: &str,
        key: [u8; 32],
    ) -> Result<Option<V>, ChainError> {
        let at = api.at_current_block().await.map_err(rpc)?;
        let address = dynamic::storage::<([u8; 32],), V>(pallet, item);
        match at.storage().try_fetch(address, (key,)).await.map_err(rpc)? {
            Some(value) => value.decode().map(Some).map_err(rpc),
            None => Ok(None),
        }
    }

    /// Signs `call` (pallet, call name, arguments) with `signer`, submits it and waits as `wait` says; fails
    /// with the pallet's error if it did not dispatch successfully.
    pub async fn submit<Args>(
        &self,
        signer: &Keypair,
        (pallet, call, args): (&str, &str, Args),
        wait: Wait,
    ) -> Result<(), ChainError>
    where
        Args: subxt::ext::scale_encode::EncodeAsFields,
    {
        let payload = dynamic::transaction(pallet, call, args);
        let at = self.api().await.at_current_block().await.map_err(rpc)?;
        let mut progress = at
            .transactions()
            .sign_and_submit_then_watch_default(&payload, signer)
            .await
            .map_err(|e| ChainError::Rejected(e.to_string()))?;
        while let Some(status) = progress.next().await {
            let included = match status.map_err(rpc)? {
                TransactionStatus::InBestBlock(included) if wait == Wait::InBlock => included,
                TransactionStatus::InFinalizedBlock(included) => included,
                TransactionStatus::Error { message }
                | TransactionStatus::Invalid { message }
                | TransactionStatus::Dropped { message } => {
                    return Err(ChainError::Rejected(message));
                }
                _ => continue,
            };
            return included
                .wait_for_success()
                .await
                .map(|_| ())
                .map_err(|e| ChainError::Dispatch(e.to_string()));
        }
        Err(ChainError::Rpc(
            "the node stopped reporting the transaction".into(),
        ))
    }
}
