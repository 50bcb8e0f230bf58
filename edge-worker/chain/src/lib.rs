//! The chain client of edge-worker: subxt over the node's JSON-RPC (WebSocket), with the runtime's metadata
//! fetched at connect time and calls and storage addressed dynamically by pallet and item name. No code is
//! generated from a metadata file, so the worker follows runtime upgrades that keep those names and shapes.
//!
//! Storage reads are made at the latest finalized block: what a gateway or an edge acts on cannot be reverted
//! under it. Epochs and challenges come from the node's `gpow_*` JSON-RPC methods, which answer at the best
//! block: a challenge must be answered within a few blocks of being drawn, sooner than finality follows.
//!
//! Every operation that fails on the connection reconnects (retrying for up to [`RECONNECT_FOR`]) and is tried
//! once more, so a long-running worker rides out a restart of its node. Transactions are signed one at a time
//! per client, each with the next nonce (the larger of the node's pool-aware count and this client's own, since
//! the node's can lag a transaction it just accepted), so concurrent submissions from one account never
//! collide; they wait for inclusion or finality as the caller needs ([`Wait`]) and report a
//! failed dispatch by the pallet's error name (`Gpow::DuplicateReport`), which is what an operator, the agent's
//! retry logic and a test need to see.
//!
//! The records the client reads (nodes, contents, pins, epochs, challenges) are in `records.rs`; beside the
//! client, [`operator`] is the sr25519 account key that signs, and [`registration`] keeps the node's
//! `EdgeNodes` entry true with what [`capabilities`] describes. It depends on `enreach-dts` only for a peer's
//! identity (`keys::node_id_of`, `network::peer_of`) and the content id type.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use futures::Future;
use scale_decode::DecodeAsType;
use serde::{de::DeserializeOwned, Deserialize};
use subxt::{
    client::OnlineClientAtBlock,
    dynamic,
    extrinsics::ExtrinsicEvents,
    rpcs::{client::RpcParams, rpc_params, RpcClient},
    transactions::TransactionStatus,
    OnlineClient, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;
use tokio::sync::{Mutex, RwLock};
use tracing::{debug, info, warn};

use enreach_primitives::{ClientKey, EpochIndex, NodeId};

use enreach_dts::store::ContentHash;

pub mod capabilities;
pub mod observations;
pub mod operator;
mod records;
pub mod registration;
pub mod registry;

pub use records::*;
/// The bound on a call's arguments in [`Chain::submit`], for callers that wrap it.
pub use subxt::ext::scale_encode::EncodeAsFields;

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

impl ChainError {
    /// Whether this is the dispatch error `pallet::variant` (`"Gpow::DuplicateReport"`).
    pub fn is_dispatch_error(&self, name: &str) -> bool {
        matches!(self, ChainError::Dispatch(message) if message.contains(name))
    }
}

fn rpc(e: impl std::fmt::Display) -> ChainError {
    ChainError::Rpc(e.to_string())
}

/// A call encoded for the chain ([`Chain::encode_call`]), placed as it is where a batch expects a runtime call
/// ([`Chain::submit_batch`]).
#[derive(Clone, Debug)]
pub struct EncodedCall(Vec<u8>);

impl EncodedCall {
    /// `payload` encoded against the metadata of the runtime at `at`.
    pub fn new(
        at: &OnlineClientAtBlock<PolkadotConfig>,
        payload: &impl subxt::transactions::Payload,
    ) -> Result<Self, ChainError> {
        at.transactions().call_data(payload).map(Self).map_err(rpc)
    }
}

/// `calls` as the payload of one `Utility::force_batch` transaction: each dispatched on its own.
pub fn batch(calls: Vec<EncodedCall>) -> impl subxt::transactions::Payload {
    dynamic::transaction("Utility", "force_batch", (calls,))
}

impl subxt::ext::scale_encode::EncodeAsType for EncodedCall {
    fn encode_as_type_to<R: subxt::ext::scale_encode::TypeResolver>(
        &self,
        _type_id: R::TypeId,
        _types: &R,
        out: &mut Vec<u8>,
    ) -> Result<(), subxt::ext::scale_encode::Error> {
        out.extend_from_slice(&self.0);
        Ok(())
    }
}

/// How long [`Chain::submit`] waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// Until a best block includes the transaction: enough to learn whether it dispatched.
    InBlock,
    /// Until a finalized block includes it: what readers of finalized state (gateways, edges) see.
    Finalized,
}

/// How long a failed operation keeps trying to reconnect to the node before it gives up.
pub const RECONNECT_FOR: Duration = Duration::from_secs(60);

/// How long a view of the latest finalized block serves reads. Finalized state moves every few seconds, and a
/// fresh view costs three round trips to the node (the finalized head, its header, the runtime version) that
/// a read of one value would otherwise pay every time.
const VIEW_FRESH_FOR: Duration = Duration::from_secs(1);

/// One connection: the JSON-RPC client, the subxt client over it and its view of the latest finalized block.
#[derive(Clone)]
struct Connection {
    rpc: RpcClient,
    api: OnlineClient<PolkadotConfig>,
    view: Arc<std::sync::Mutex<View>>,
}

/// The latest finalized block as reads see it, while fresh.
#[derive(Default)]
struct View {
    /// One more whenever the view is dropped (after this client's own transaction), so that a view fetched
    /// before it is not kept.
    generation: u64,
    at: Option<(Instant, OnlineClientAtBlock<PolkadotConfig>)>,
}

impl Connection {
    async fn open(url: &str) -> Result<Self, ChainError> {
        let client = RpcClient::from_insecure_url(url).await.map_err(rpc)?;
        let api = OnlineClient::<PolkadotConfig>::from_rpc_client(client.clone())
            .await
            .map_err(rpc)?;
        Ok(Self {
            rpc: client,
            api,
            view: Arc::default(),
        })
    }

    fn view(&self) -> std::sync::MutexGuard<'_, View> {
        self.view.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The latest finalized block to read at: the view if fresh, a new one otherwise.
    async fn finalized(&self) -> Result<OnlineClientAtBlock<PolkadotConfig>, ChainError> {
        let generation = {
            let view = self.view();
            match &view.at {
                Some((at, block)) if at.elapsed() < VIEW_FRESH_FOR => return Ok(block.clone()),
                _ => view.generation,
            }
        };
        self.refresh(generation).await
    }

    /// Fetches the latest finalized block and keeps it as the view unless the view was dropped meanwhile.
    async fn refresh(
        &self,
        generation: u64,
    ) -> Result<OnlineClientAtBlock<PolkadotConfig>, ChainError> {
        let block = self.api.at_current_block().await.map_err(rpc)?;
        let mut view = self.view();
        if view.generation == generation {
            view.at = Some((Instant::now(), block.clone()));
        }
        Ok(block)
    }

    /// Block `block` to read at, or the latest finalized block (the view) for `None`.
    async fn at(
        &self,
        block: Option<u64>,
    ) -> Result<OnlineClientAtBlock<PolkadotConfig>, ChainError> {
        match block {
            None => self.finalized().await,
            Some(number) => self.api.at_block(number).await.map_err(rpc),
        }
    }

    /// Drops the view: what this client just submitted must be visible to its next read once finalized.
    fn forget_view(&self) {
        let mut view = self.view();
        view.generation += 1;
        view.at = None;
    }
}

/// A connection to one node.
#[derive(Clone)]
pub struct Chain {
    url: Arc<str>,
    genesis_hash: [u8; 32],
    connection: Arc<RwLock<Connection>>,
    /// The next nonce of each account this client signed for. The node's pool-aware count can lag a
    /// transaction it has just accepted, so the larger of the two is used; held from signing until the node
    /// accepted the transaction, so concurrent submissions from one account never share a nonce.
    nonces: Arc<Mutex<HashMap<[u8; 32], u64>>>,
}

/// Sorts a failed submission: the connection failing is worth a retry over a new one; anything the node
/// answered (an invalid transaction, a full pool) is final.
fn submission_error(e: subxt::error::ExtrinsicError) -> ChainError {
    use subxt::error::{BackendError, ExtrinsicError, RpcError};
    match &e {
        ExtrinsicError::ErrorSubmittingTransaction(BackendError::Rpc(RpcError::ClientError(
            subxt::rpcs::Error::User(_),
        ))) => ChainError::Rejected(e.to_string()),
        ExtrinsicError::ErrorSubmittingTransaction(_)
        | ExtrinsicError::AccountNonceError { .. }
        | ExtrinsicError::TransactionStatusStreamError(_) => ChainError::Rpc(e.to_string()),
        _ => ChainError::Rejected(e.to_string()),
    }
}

/// The 32-byte id that ends a storage key whose last key part is a `Blake2_128Concat` id.
fn last_id(key: &[u8]) -> Result<[u8; 32], ChainError> {
    key[key.len().saturating_sub(32)..]
        .try_into()
        .map_err(|_| ChainError::Rpc("storage key shorter than an id".into()))
}

/// `0x`-prefixed hex, how the node's JSON-RPC takes node keys.
fn hex_key(key: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(key))
}

impl Chain {
    /// Connects to the node at `url` (`ws://` or `wss://`), trying for up to [`RECONNECT_FOR`]: a worker
    /// started together with its node waits for it.
    pub async fn connect(url: &str) -> Result<Self, ChainError> {
        let connection = Self::open_retrying(url).await?;
        Ok(Self {
            url: url.into(),
            genesis_hash: connection.api.genesis_hash().0,
            connection: Arc::new(RwLock::new(connection)),
            nonces: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    async fn open_retrying(url: &str) -> Result<Connection, ChainError> {
        let deadline = Instant::now() + RECONNECT_FOR;
        loop {
            match Connection::open(url).await {
                Ok(connection) => return Ok(connection),
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// Keeps the view of the latest finalized block fresh in the background while this client lives, so that
    /// no read waits for one: for a role whose reads answer callers (an edge running apps, whose first call of
    /// a client asks whether a dApp pays for it).
    pub fn keep_view_fresh(&self) {
        let connection = Arc::downgrade(&self.connection);
        tokio::spawn(async move {
            while let Some(connection) = connection.upgrade() {
                let current = connection.read().await.clone();
                drop(connection);
                let generation = current.view().generation;
                if let Err(e) = current.refresh(generation).await {
                    debug!(%e, "refreshing the view of the chain failed");
                }
                tokio::time::sleep(VIEW_FRESH_FOR / 2).await;
            }
        });
    }

    /// The chain's genesis hash (what proofs of possession and receipts are bound to).
    pub fn genesis_hash(&self) -> [u8; 32] {
        self.genesis_hash
    }

    /// Runs `operation` on the current connection; if it fails on the connection, reconnects and runs it once
    /// more.
    async fn retrying<R, F, Fut>(&self, operation: F) -> Result<R, ChainError>
    where
        F: Fn(Connection) -> Fut,
        Fut: Future<Output = Result<R, ChainError>>,
    {
        let current = self.connection.read().await.clone();
        match operation(current).await {
            Err(ChainError::Rpc(e)) => {
                warn!(%e, "chain connection failed; reconnecting");
                operation(self.reconnect().await?).await
            }
            done => done,
        }
    }

    /// Replaces the connection after a failure.
    async fn reconnect(&self) -> Result<Connection, ChainError> {
        let mut connection = self.connection.write().await;
        let fresh = Self::open_retrying(&self.url).await?;
        info!(url = %self.url, "reconnected to the chain");
        *connection = fresh.clone();
        Ok(fresh)
    }

    /// The settlement record of content `id`, if a dApp published it.
    pub async fn content(&self, id: ContentHash) -> Result<Option<ContentRecord>, ChainError> {
        self.read("Settlement", "Contents", *id.as_bytes()).await
    }

    /// The registered edge application named `name`, if any.
    pub async fn app(&self, name: &str) -> Result<Option<AppRecord>, ChainError> {
        self.read("Apps", "Apps", name.as_bytes().to_vec()).await
    }

    /// `node`'s work report of `epoch` and where it stands, if it reported.
    pub async fn report(
        &self,
        epoch: EpochIndex,
        node: NodeId,
    ) -> Result<Option<ReportState>, ChainError> {
        self.fetch(
            dynamic::storage::<(EpochIndex, [u8; 32]), ReportState>("Gpow", "Reports"),
            (epoch, node.0),
        )
        .await
    }

    /// The GPoW timing parameters, or `None` before GPoW is configured.
    pub async fn gpow_timing(&self) -> Result<Option<GpowTiming>, ChainError> {
        self.fetch(dynamic::storage::<(), GpowTiming>("Gpow", "Params"), ())
            .await
    }

    /// The epoch in progress at the latest finalized block.
    pub async fn finalized_epoch(&self) -> Result<Option<Epoch>, ChainError> {
        self.fetch(dynamic::storage::<(), Epoch>("Gpow", "CurrentEpoch"), ())
            .await
    }

    /// How many keepers observe each node (`GpowParams::keepers_per_node`), if GPoW is configured.
    pub async fn keepers_per_node(&self) -> Result<Option<u32>, ChainError> {
        #[derive(DecodeAsType)]
        struct Keeping {
            keepers_per_node: u32,
        }
        Ok(self
            .fetch(dynamic::storage::<(), Keeping>("Gpow", "Params"), ())
            .await?
            .map(|params| params.keepers_per_node))
    }

    /// The registry entry of `node`, if it is registered.
    pub async fn node(&self, node: NodeId) -> Result<Option<NodeRecord>, ChainError> {
        self.read("EdgeNodes", "Nodes", node.0).await
    }

    /// The content `node` pins.
    pub async fn pins(&self, node: NodeId) -> Result<Vec<PinRecord>, ChainError> {
        Ok(self
            .read("EdgeNodes", "Pins", node.0)
            .await?
            .unwrap_or_default())
    }

    /// Every registered node, at the latest finalized block.
    pub async fn nodes(&self) -> Result<Vec<(NodeId, NodeRecord)>, ChainError> {
        self.nodes_at(None).await
    }

    /// Every registered node at block `block` (`None`: the latest finalized block).
    pub async fn nodes_at(
        &self,
        block: Option<u64>,
    ) -> Result<Vec<(NodeId, NodeRecord)>, ChainError> {
        self.entries_at(
            dynamic::storage::<([u8; 32],), NodeRecord>("EdgeNodes", "Nodes"),
            (),
            block,
        )
        .await?
        .into_iter()
        .map(|(key, record)| Ok((NodeId(last_id(&key)?), record)))
        .collect()
    }

    /// The registry entry of `node` at block `block`, if it was registered then.
    pub async fn node_at(
        &self,
        node: NodeId,
        block: u64,
    ) -> Result<Option<NodeRecord>, ChainError> {
        self.fetch_at(
            dynamic::storage::<([u8; 32],), NodeRecord>("EdgeNodes", "Nodes"),
            (node.0,),
            Some(block),
        )
        .await
    }

    /// The number of the latest finalized block.
    pub async fn finalized_number(&self) -> Result<u64, ChainError> {
        self.retrying(|connection| async move {
            Ok(connection
                .api
                .at_current_block()
                .await
                .map_err(rpc)?
                .block_number())
        })
        .await
    }

    /// The nodes whose registry entry block `block` changed: those its `EdgeNodes` events name (every one of
    /// them names its node first).
    pub async fn registry_changes(&self, block: u64) -> Result<Vec<NodeId>, ChainError> {
        self.retrying(|connection| async move {
            let events = connection
                .at(Some(block))
                .await?
                .events()
                .fetch()
                .await
                .map_err(rpc)?;
            let mut changed = Vec::new();
            for event in events.iter() {
                let event = event.map_err(rpc)?;
                // Pins are kept apart from the entry: pinning, cheap and frequent, changes nothing a follower
                // holds (and would otherwise let an operator's churn force full reads on every router).
                if event.pallet_name() != "EdgeNodes"
                    || matches!(event.event_name(), "Pinned" | "Unpinned")
                {
                    continue;
                }
                let id = event
                    .field_bytes()
                    .get(..32)
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| ChainError::Rpc("a registry event without a node".into()))?;
                changed.push(NodeId(id));
            }
            Ok(changed)
        })
        .await
    }

    /// Every registered app by name, at the latest finalized block: what an edge keeps ready ahead of calls.
    pub async fn apps(&self) -> Result<Vec<(String, AppRecord)>, ChainError> {
        let entries = self
            .entries(
                dynamic::storage::<(Vec<u8>,), AppRecord>("Apps", "Apps"),
                (),
            )
            .await?;
        Ok(entries
            .into_iter()
            .filter_map(|(key, record)| {
                // The key ends with the name after its `Blake2_128Concat` hash: prefixes (32), hash (16).
                let name =
                    <Vec<u8> as subxt::ext::codec::Decode>::decode(&mut key.get(48..)?).ok()?;
                Some((String::from_utf8(name).ok()?, record))
            })
            .collect())
    }

    /// Every work score earned in `epoch`, by node, at the latest finalized block: one storage iteration
    /// rather than a query per node.
    pub async fn work_scores(&self, epoch: EpochIndex) -> Result<HashMap<NodeId, u64>, ChainError> {
        Ok(self
            .by_id(
                dynamic::storage::<(EpochIndex, [u8; 32]), u64>("Gpow", "WorkScores"),
                (epoch,),
            )
            .await?
            .into_iter()
            .map(|(id, score)| (NodeId(id), score))
            .collect())
    }

    /// The entries of the storage map at `address` under the keys `prefix`, each with the 32-byte id (a node
    /// id, a content id) that is the map's last key (`Blake2_128Concat`, so the id ends the storage key), at
    /// the latest finalized block.
    async fn by_id<A, P>(
        &self,
        address: A,
        prefix: P,
    ) -> Result<Vec<([u8; 32], A::Value)>, ChainError>
    where
        A: subxt::storage::Address + Clone,
        P: subxt::storage::PrefixOf<A::KeyParts> + Clone,
    {
        self.entries(address, prefix)
            .await?
            .into_iter()
            .map(|(key, value)| Ok((last_id(&key)?, value)))
            .collect()
    }

    /// The entries of the storage map at `address` under the keys `prefix`, with their whole storage keys, at
    /// the latest finalized block.
    async fn entries<A, P>(
        &self,
        address: A,
        prefix: P,
    ) -> Result<Vec<(Vec<u8>, A::Value)>, ChainError>
    where
        A: subxt::storage::Address + Clone,
        P: subxt::storage::PrefixOf<A::KeyParts> + Clone,
    {
        self.entries_at(address, prefix, None).await
    }

    /// [`Chain::entries`] at block `block` (`None`: the latest finalized block).
    async fn entries_at<A, P>(
        &self,
        address: A,
        prefix: P,
        block: Option<u64>,
    ) -> Result<Vec<(Vec<u8>, A::Value)>, ChainError>
    where
        A: subxt::storage::Address + Clone,
        P: subxt::storage::PrefixOf<A::KeyParts> + Clone,
    {
        self.retrying(|connection| {
            let (address, prefix) = (address.clone(), prefix.clone());
            async move {
                let at = connection.at(block).await?;
                let mut entries = at.storage().iter(address, prefix).await.map_err(rpc)?;
                let mut found = Vec::new();
                while let Some(entry) = entries.next().await {
                    let entry = entry.map_err(rpc)?;
                    let key = entry.key_bytes().to_vec();
                    found.push((key, entry.value().decode_as().map_err(rpc)?));
                }
                Ok(found)
            }
        })
        .await
    }

    /// The dApp account that pays for receipts signed by `client` from now on, if one authorized it and has
    /// not revoked it.
    pub async fn client_owner(&self, client: ClientKey) -> Result<Option<[u8; 32]>, ChainError> {
        let auth = self.client_auth(client).await?;
        Ok(auth.filter(|a| a.until.is_none()).map(|a| a.dapp))
    }

    /// `client`'s authorization record, revoked or not. An absence is confirmed at the latest finalized block
    /// rather than at a view up to [`VIEW_FRESH_FOR`] old: callers remember it, and a key a dApp authorized a
    /// moment ago must not be refused for the view's age.
    pub async fn client_auth(&self, client: ClientKey) -> Result<Option<ClientAuth>, ChainError> {
        if let Some(auth) = self.read("Settlement", "Clients", client.0).await? {
            return Ok(Some(auth));
        }
        self.connection.read().await.forget_view();
        self.read("Settlement", "Clients", client.0).await
    }

    /// The GPoW epoch in progress at the best block, or `None` before GPoW is configured.
    pub async fn current_epoch(&self) -> Result<Option<Epoch>, ChainError> {
        self.request("gpow_currentEpoch", || rpc_params![]).await
    }

    /// The work-report challenge `node` must answer now, if any.
    pub async fn open_challenge(&self, node: NodeId) -> Result<Option<Challenge>, ChainError> {
        self.request("gpow_openChallenge", || rpc_params![hex_key(&node.0)])
            .await
    }

    /// What `node` must prove it stores in the current epoch: one challenge per content pinned before it.
    pub async fn storage_challenges(
        &self,
        node: NodeId,
    ) -> Result<Vec<StorageChallenge>, ChainError> {
        self.request("gpow_storageChallenges", || rpc_params![hex_key(&node.0)])
            .await
    }

    /// The keepers (SS58 addresses) assigned to `node` in `epoch`.
    pub async fn keepers(
        &self,
        epoch: EpochIndex,
        node: NodeId,
    ) -> Result<Vec<String>, ChainError> {
        self.request("gpow_keepers", || rpc_params![epoch, hex_key(&node.0)])
            .await
    }

    /// The nodes this keeper (`keeper`, SS58) is assigned to observe in `epoch`, in one call.
    pub async fn assigned_nodes(
        &self,
        epoch: EpochIndex,
        keeper: &str,
    ) -> Result<Vec<NodeId>, ChainError> {
        let nodes: Vec<String> = self
            .request("gpow_assignedNodes", || rpc_params![epoch, keeper])
            .await?;
        nodes
            .iter()
            .map(|hex_id| {
                let bytes = hex::decode(hex_id.trim_start_matches("0x")).map_err(rpc)?;
                let id: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| ChainError::Rpc(format!("node id {hex_id} is not 32 bytes")))?;
                Ok(NodeId(id))
            })
            .collect()
    }

    /// The number of the best block.
    pub async fn best_number(&self) -> Result<u32, ChainError> {
        #[derive(Deserialize)]
        struct Header {
            number: String,
        }
        let header: Header = self.request("chain_getHeader", || rpc_params![]).await?;
        u32::from_str_radix(header.number.trim_start_matches("0x"), 16).map_err(rpc)
    }

    /// A JSON-RPC call; `params` builds the parameters afresh for a retry.
    async fn request<R: DeserializeOwned>(
        &self,
        method: &str,
        params: impl Fn() -> RpcParams,
    ) -> Result<R, ChainError> {
        self.retrying(|connection| {
            let params = params();
            async move { connection.rpc.request(method, params).await.map_err(rpc) }
        })
        .await
    }

    /// The value under `key` in the map `pallet::item`, at the latest finalized block.
    async fn read<K, V>(&self, pallet: &str, item: &str, key: K) -> Result<Option<V>, ChainError>
    where
        K: subxt::ext::scale_encode::EncodeAsType
            + subxt::ext::scale_decode::IntoVisitor
            + Clone
            + Send
            + Sync,
        V: DecodeAsType,
    {
        self.fetch(dynamic::storage::<(K,), V>(pallet, item), (key,))
            .await
    }

    /// The value at `address` under the whole key `keys`, at the latest finalized block.
    async fn fetch<A>(&self, address: A, keys: A::KeyParts) -> Result<Option<A::Value>, ChainError>
    where
        A: subxt::storage::Address + Clone,
        A::KeyParts: Clone,
    {
        self.fetch_at(address, keys, None).await
    }

    /// [`Chain::fetch`] at block `block` (`None`: the latest finalized block).
    async fn fetch_at<A>(
        &self,
        address: A,
        keys: A::KeyParts,
        block: Option<u64>,
    ) -> Result<Option<A::Value>, ChainError>
    where
        A: subxt::storage::Address + Clone,
        A::KeyParts: Clone,
    {
        self.retrying(|connection| {
            let (address, keys) = (address.clone(), keys.clone());
            async move {
                let at = connection.at(block).await?;
                match at.storage().try_fetch(address, keys).await.map_err(rpc)? {
                    Some(value) => value.decode().map(Some).map_err(rpc),
                    None => Ok(None),
                }
            }
        })
        .await
    }

    /// Signs `call` (pallet, call name, arguments) with `signer`, submits it and waits as `wait` says; fails
    /// with the pallet's error if it did not dispatch successfully. If the connection fails before the node
    /// accepted the transaction, it is signed and submitted again over a new connection.
    pub async fn submit<Args>(
        &self,
        signer: &Keypair,
        (pallet, call, args): (&str, &str, Args),
        wait: Wait,
    ) -> Result<(), ChainError>
    where
        Args: subxt::ext::scale_encode::EncodeAsFields,
    {
        self.submit_payload(signer, dynamic::transaction(pallet, call, args), wait)
            .await
            .map(|_| ())
    }

    /// `call` (pallet, call name, arguments) encoded for the chain's runtime, to go into a batch.
    pub async fn encode_call<Args>(
        &self,
        (pallet, call, args): (&str, &str, Args),
    ) -> Result<EncodedCall, ChainError>
    where
        Args: subxt::ext::scale_encode::EncodeAsFields,
    {
        let payload = dynamic::transaction(pallet, call, args);
        self.retrying(|connection| {
            let payload = &payload;
            async move {
                let at = connection.api.at_current_block().await.map_err(rpc)?;
                EncodedCall::new(&at, payload)
            }
        })
        .await
    }

    /// Submits `calls` as one transaction, `Utility::force_batch`: one extrinsic base, signature and fee for
    /// all of them (a node's report and its storage proofs cost a third less block space together than apart),
    /// each dispatched on its own so that one failing undoes none of the others. Returns each call's outcome,
    /// in order, as [`Chain::submit`] would have for it alone.
    pub async fn submit_batch(
        &self,
        signer: &Keypair,
        calls: Vec<EncodedCall>,
        wait: Wait,
    ) -> Result<Vec<Result<(), ChainError>>, ChainError> {
        let count = calls.len();
        let (events, metadata) = self.submit_payload(signer, batch(calls), wait).await?;
        let mut outcomes = Vec::with_capacity(count);
        for event in events.iter() {
            let event = event.map_err(rpc)?;
            match (event.pallet_name(), event.event_name()) {
                ("Utility", "ItemCompleted") => outcomes.push(Ok(())),
                ("Utility", "ItemFailed") => outcomes.push(Err(ChainError::Dispatch(
                    subxt::error::DispatchError::decode_from(event.field_bytes(), metadata.clone())
                        .map_or_else(|e| e.to_string(), |e| e.to_string()),
                ))),
                _ => {}
            }
        }
        if outcomes.len() != count {
            return Err(ChainError::Rpc(format!(
                "a batch of {count} calls reported {} outcomes",
                outcomes.len()
            )));
        }
        Ok(outcomes)
    }

    /// [`Chain::submit`] of any payload: its events once it dispatched, and the metadata to read them with.
    async fn submit_payload<P: subxt::transactions::Payload>(
        &self,
        signer: &Keypair,
        payload: P,
        wait: Wait,
    ) -> Result<
        (
            ExtrinsicEvents<PolkadotConfig>,
            subxt::metadata::ArcMetadata,
        ),
        ChainError,
    > {
        let account = signer.public_key().0;
        let (mut progress, metadata) = self
            .retrying(|connection| {
                let payload = &payload;
                async move {
                    let mut nonces = self.nonces.lock().await;
                    let in_pool: u64 = connection
                        .rpc
                        .request(
                            "system_accountNextIndex",
                            rpc_params![signer.public_key().to_account_id().to_string()],
                        )
                        .await
                        .map_err(rpc)?;
                    let nonce = in_pool.max(nonces.get(&account).copied().unwrap_or(0));
                    let params =
                        subxt::config::DefaultExtrinsicParamsBuilder::<PolkadotConfig>::new()
                            .nonce(nonce)
                            .build();
                    let at = connection.api.at_current_block().await.map_err(rpc)?;
                    let submitted = at
                        .transactions()
                        .sign_and_submit_then_watch(payload, signer, params)
                        .await
                        .map_err(submission_error);
                    match &submitted {
                        Ok(_) => nonces.insert(account, nonce + 1),
                        Err(_) => nonces.remove(&account),
                    };
                    submitted.map(|progress| (progress, at.metadata()))
                }
            })
            .await?;
        // Once submitted, the outcome is unknown until the node reports it: on any failure to report, the
        // nonce is counted from the node's view again, so a transaction the node dropped with the connection
        // does not leave every later one waiting behind a nonce gap.
        let forget_nonce = || async { self.nonces.lock().await.remove(&account) };
        while let Some(status) = progress.next().await {
            let status = match status {
                Ok(status) => status,
                Err(e) => {
                    forget_nonce().await;
                    return Err(rpc(e));
                }
            };
            let included = match status {
                TransactionStatus::InBestBlock(included) if wait == Wait::InBlock => included,
                TransactionStatus::InFinalizedBlock(included) => included,
                TransactionStatus::Error { message }
                | TransactionStatus::Invalid { message }
                | TransactionStatus::Dropped { message } => {
                    forget_nonce().await;
                    return Err(ChainError::Rejected(message));
                }
                _ => continue,
            };
            let dispatched = included
                .wait_for_success()
                .await
                .map(|events| (events, metadata))
                .map_err(|e| ChainError::Dispatch(e.to_string()));
            self.connection.read().await.forget_view();
            return dispatched;
        }
        forget_nonce().await;
        Err(ChainError::Rpc(
            "the node stopped reporting the transaction".into(),
        ))
    }
}
