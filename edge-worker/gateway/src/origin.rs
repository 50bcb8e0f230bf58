//! Origin pull: a gateway that misses a content fetches it from the origin URL its dApp registered on chain
//! (`Settlement::publish_content`), checks that the bytes hash to the content id and are as long as published,
//! and only then stores and serves them. With PeerDTS ([`OriginPull::with_peers`]) a miss of a content that
//! has no origin URL (a collection's file, a model's shard) is fetched from the nodes that hold it (its
//! publisher, the nodes storing it, others that fetched it), verified group by group. Concurrent misses of one content share a single pull, which runs as
//! its own task: a client that leaves does not cancel it, and whoever waits (and the failure memory) sees
//! its outcome.
//!
//! Any dApp writes any URL and size on chain, and every edge acts on them, so a pull is fenced in: only
//! addresses [`crate::egress`] allows (checked at connect time and on every redirect), at most
//! [`OriginLimits::max_bytes`], within [`OriginLimits::deadline`], no slower than
//! [`OriginLimits::min_rate`], bytes staged outside the store until verified, and a failed pull is not
//! retried for [`FAILED_PULL_TTL`], so a victim's URL is not downloaded by every edge on every request.
//!
//! Pull slots are shared by every dApp, so one dApp's slow origins must not deny the others: a pull takes a
//! place of its dApp ([`OriginLimits::max_pulls_per_dapp`]), of its origin host
//! ([`OriginLimits::max_pulls_per_host`], by name, and once it answers by address) and of all ([`OriginLimits::max_pulls`]) before its deadline
//! starts; when none is free it answers [`PullError::Busy`] (the gateway's `503`), which is no failure of
//! the origin and is not remembered as one.

mod download;
mod import;

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::sync::Semaphore;
use tracing::info;

use enreach_dts::{
    metrics::Metrics,
    network::Network,
    store::{Blob, ContentHash, ContentStore, StoreError},
    transfer::{fetch, FetchError, Progress, Sources},
};
use enreach_edge_chain::{Chain, ChainError, ContentRecord};

use enreach_reach::connected_ip;

use crate::{
    egress::{redirect_policy, EgressError, EgressPolicy, FilteringResolver},
    gateway::DEFAULT_CONTENT_TYPE,
    limits::{
        CONTENT_TYPE_TTL, FAILED_PULL_TTL, MAX_CONTENT_TYPES, MAX_FAILED_PULLS, MAX_ORIGIN_BYTES,
        MAX_ORIGIN_PULLS, MAX_ORIGIN_PULLS_PER_DAPP, MAX_ORIGIN_PULLS_PER_HOST, MIN_ORIGIN_RATE,
        ORIGIN_CONNECT_TIMEOUT, ORIGIN_DEADLINE, ORIGIN_RATE_GRACE, ORIGIN_READ_TIMEOUT,
        ORIGIN_SLOT_WAIT,
    },
    quota::Quota,
    recent::Recent,
};

/// Why a pull did not produce the content.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// No dApp published this content.
    #[error("content is not published on chain")]
    NotPublished,
    /// Its dApp registered no origin.
    #[error("content has no origin URL")]
    NoOrigin,
    /// The chain could not be asked.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The origin URL is not one pulls may fetch.
    #[error(transparent)]
    Egress(#[from] EgressError),
    /// The published size is over the cap.
    #[error("content has {size} bytes, origin pulls are capped at {max}")]
    TooLarge {
        /// The published size.
        size: u64,
        /// [`OriginLimits::max_bytes`].
        max: u64,
    },
    /// No pull slot was free: the gateway is busy, not the origin failing; the miss may be retried soon.
    #[error("{0} are all taken, try again shortly")]
    Busy(&'static str),
    /// The pull did not finish within [`OriginLimits::deadline`].
    #[error("origin pull took longer than {0:?}")]
    TimedOut(Duration),
    /// The origin sent slower than [`OriginLimits::min_rate`] after [`OriginLimits::rate_grace`].
    #[error(
        "origin sent {got} bytes in {elapsed:?}, slower than the minimum of {min_rate} bytes/s"
    )]
    TooSlow {
        /// Bytes received.
        got: u64,
        /// Since the request was sent.
        elapsed: Duration,
        /// [`OriginLimits::min_rate`].
        min_rate: u64,
    },
    /// The last pull of this content failed a moment ago; the origin is not asked again yet.
    #[error("origin pull failed less than {FAILED_PULL_TTL:?} ago")]
    RecentlyFailed,
    /// The origin failed or answered something other than the whole content.
    #[error("origin: {0}")]
    Origin(String),
    /// The origin sent more or fewer bytes than were published.
    #[error("origin sent {got} bytes, the content has {expected}")]
    WrongSize {
        /// Bytes received (up to the point the pull stopped).
        got: u64,
        /// The published size.
        expected: u64,
    },
    /// The store refused the bytes (including: they do not hash to the content id).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No node served the content, and it has no origin to pull from instead: a miss, remembered for
    /// [`FAILED_PULL_TTL`] so that asking again does not search the network again at once.
    #[error("no node served the content: {0}")]
    NotHeld(String),
    /// The nodes that hold the content did not deliver it (within the deadline, or verified).
    #[error("fetching from other nodes: {0}")]
    PeerFetch(String),
    /// The pull's task ended without an outcome (it panicked).
    #[error("origin pull task ended abnormally: {0}")]
    Task(String),
}

impl PullError {
    /// Whether the content simply has no origin to pull from (a plain miss), as opposed to a failed pull.
    pub fn is_miss(&self) -> bool {
        matches!(self, Self::NotPublished | Self::NoOrigin | Self::NotHeld(_))
    }

    /// Whether the pull failed for something its origin did (or is), so the origin is left alone for
    /// [`FAILED_PULL_TTL`]: not a plain miss, and not the gateway being busy.
    fn is_origin_failure(&self) -> bool {
        !self.is_miss() && !matches!(self, Self::Busy(_) | Self::RecentlyFailed)
    }
}

/// What origin pulls may do; the defaults are in [`crate::limits`].
#[derive(Clone, Debug)]
pub struct OriginLimits {
    /// Also reach loopback and private addresses, on any port (`--allow-private-origins`, local test
    /// networks only).
    pub allow_private: bool,
    /// See [`MAX_ORIGIN_BYTES`].
    pub max_bytes: u64,
    /// See [`ORIGIN_DEADLINE`].
    pub deadline: Duration,
    /// See [`MAX_ORIGIN_PULLS`].
    pub max_pulls: usize,
    /// See [`MAX_ORIGIN_PULLS_PER_HOST`].
    pub max_pulls_per_host: usize,
    /// See [`MAX_ORIGIN_PULLS_PER_DAPP`].
    pub max_pulls_per_dapp: usize,
    /// See [`ORIGIN_SLOT_WAIT`].
    pub slot_wait: Duration,
    /// See [`MIN_ORIGIN_RATE`].
    pub min_rate: u64,
    /// See [`ORIGIN_RATE_GRACE`].
    pub rate_grace: Duration,
    /// The node's own listen addresses, never pulled from (see [`EgressPolicy::refusing`]).
    pub own_addresses: Vec<SocketAddr>,
}

impl Default for OriginLimits {
    fn default() -> Self {
        Self {
            allow_private: false,
            max_bytes: MAX_ORIGIN_BYTES,
            deadline: ORIGIN_DEADLINE,
            max_pulls: MAX_ORIGIN_PULLS,
            max_pulls_per_host: MAX_ORIGIN_PULLS_PER_HOST,
            max_pulls_per_dapp: MAX_ORIGIN_PULLS_PER_DAPP,
            slot_wait: ORIGIN_SLOT_WAIT,
            min_rate: MIN_ORIGIN_RATE,
            rate_grace: ORIGIN_RATE_GRACE,
            own_addresses: Vec::new(),
        }
    }
}

/// What a pull ends with, shared by everyone waiting for it.
pub type Pulled = Result<Arc<Blob>, Arc<PullError>>;

/// Where pulls learn what a dApp published: the chain, or a test's table.
pub trait Publications: Send + Sync + 'static {
    /// The publication of `id`, if any.
    fn content(&self, id: ContentHash) -> BoxFuture<'_, Result<Option<ContentRecord>, ChainError>>;
}

impl Publications for Chain {
    fn content(&self, id: ContentHash) -> BoxFuture<'_, Result<Option<ContentRecord>, ChainError>> {
        Box::pin(Chain::content(self, id))
    }
}

/// Pulls missed contents into a store.
pub struct OriginPull {
    chain: Box<dyn Publications>,
    store: Arc<ContentStore>,
    http: reqwest::Client,
    policy: EgressPolicy,
    limits: OriginLimits,
    /// The pull of each content in flight, which later misses of it join. Its task removes the entry when
    /// it ends, after storing the content or remembering the failure, so a miss finding no entry finds the
    /// outcome instead.
    in_flight: Mutex<HashMap<ContentHash, Shared<BoxFuture<'static, Pulled>>>>,
    /// Places for pulls in flight.
    slots: Semaphore,
    /// Places of each origin host as the published URL names it, taken before connecting.
    per_host: Quota<String>,
    /// Places of each origin host as the address that answered ([`origin_address`]), taken once the answer's
    /// head arrives: the names of one server are as many as its owner likes.
    per_address: Quota<IpAddr>,
    /// Places of each dApp (the content's owner).
    per_dapp: Quota<[u8; 32]>,
    /// Contents whose last pull failed or found no node holding them, not pulled again until the entry
    /// expires.
    failed: Mutex<Recent<Remembered>>,
    /// Content types from the dApps' publications.
    types: Mutex<Recent<&'static str>>,
    /// PeerDTS, which misses are fetched from before their origin.
    peers: Option<Peers>,
}

/// How a content's last pull ended, while it is remembered.
#[derive(Clone, Copy)]
enum Remembered {
    /// Its origin failed.
    Failed,
    /// No node held it and it has no origin.
    NotHeld,
}

/// Where a miss is pulled from.
enum Source<'a> {
    /// The origin URL its dApp published.
    Origin(String),
    /// The nodes that hold it.
    Peers(&'a Peers),
}

/// The node's PeerDTS network, for misses the gateway fetches from other nodes.
struct Peers {
    network: Network,
    metrics: Arc<Metrics>,
}

impl OriginPull {
    /// Pulls through `chain`'s records into `store`, within `limits`.
    pub fn new(
        chain: impl Publications,
        store: Arc<ContentStore>,
        limits: OriginLimits,
    ) -> Result<Self, PullError> {
        let policy = EgressPolicy::new(limits.allow_private).refusing(&limits.own_addresses);
        let http = reqwest::Client::builder()
            .connect_timeout(ORIGIN_CONNECT_TIMEOUT)
            // Between two reads of the body; the whole pull is bounded by the deadline.
            .read_timeout(ORIGIN_READ_TIMEOUT)
            .dns_resolver(FilteringResolver::new(policy.clone()))
            .redirect(redirect_policy(policy.clone()))
            // A proxy from the environment would connect for us, to addresses the resolver never sees.
            .no_proxy()
            .user_agent(concat!("enreach-edge-worker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PullError::Origin(e.to_string()))?;
        Ok(Self {
            chain: Box::new(chain),
            store,
            http,
            policy,
            slots: Semaphore::new(limits.max_pulls),
            per_host: Quota::new(limits.max_pulls_per_host),
            per_address: Quota::new(limits.max_pulls_per_host),
            per_dapp: Quota::new(limits.max_pulls_per_dapp),
            limits,
            in_flight: Mutex::new(HashMap::new()),
            failed: Mutex::new(Recent::new(FAILED_PULL_TTL, MAX_FAILED_PULLS)),
            types: Mutex::new(Recent::new(CONTENT_TYPE_TTL, MAX_CONTENT_TYPES)),
            peers: None,
        })
    }

    /// Fetches misses over PeerDTS on `network` before pulling them from their origin.
    pub fn with_peers(mut self, network: Network, metrics: Arc<Metrics>) -> Self {
        self.peers = Some(Peers { network, metrics });
        self
    }

    /// The complete content `id`, pulled from its origin if the store does not have it yet. The pull runs
    /// on its own task: dropping this future leaves it running for the others waiting and for the failure
    /// memory.
    pub async fn get(self: &Arc<Self>, id: ContentHash) -> Pulled {
        let pending = {
            let mut in_flight = lock(&self.in_flight);
            match in_flight.get(&id) {
                Some(pending) => pending.clone(),
                None => {
                    // Under the map's lock: a pull that ends meanwhile has stored its outcome before it
                    // leaves the map.
                    if let Some(blob) = self.store.get(&id).filter(|b| b.is_complete()) {
                        return Ok(blob);
                    }
                    match lock(&self.failed).get(&id) {
                        Some(Remembered::Failed) => {
                            return Err(Arc::new(PullError::RecentlyFailed))
                        }
                        Some(Remembered::NotHeld) => {
                            return Err(Arc::new(PullError::NotHeld("a moment ago".into())))
                        }
                        None => {}
                    }
                    let pending = self.clone().pull_and_remember(id).boxed().shared();
                    in_flight.insert(id, pending.clone());
                    // Driven by its own task; inserted first, so the task's removal comes after.
                    tokio::spawn(pending.clone());
                    pending
                }
            }
        };
        pending.await
    }

    /// Pulls `id`, remembers a failure of its origin, and then leaves the in-flight map.
    async fn pull_and_remember(self: Arc<Self>, id: ContentHash) -> Pulled {
        let _leaves = InFlight {
            pull: self.clone(),
            id,
        };
        let pulled = self.pull(id).await;
        match &pulled {
            Err(e) if e.is_origin_failure() => lock(&self.failed).insert(id, Remembered::Failed),
            Err(PullError::NotHeld(_)) => lock(&self.failed).insert(id, Remembered::NotHeld),
            _ => {}
        }
        pulled.map_err(Arc::new)
    }

    /// The `Content-Type` of `id` as its dApp published it: guessed from the file name ending the origin URL,
    /// which the dApp wrote, unlike a blob's name, which a peer may have chosen. [`DEFAULT_CONTENT_TYPE`]
    /// without one.
    pub async fn content_type(&self, id: ContentHash) -> &'static str {
        if let Some(known) = lock(&self.types).get(&id) {
            return known;
        }
        // With the chain unreachable the default is remembered too: the safe type, and no chain call on
        // every request meanwhile.
        let content_type = published_type(self.chain.content(id).await.ok().flatten().as_ref());
        lock(&self.types).insert(id, content_type);
        content_type
    }

    async fn pull(&self, id: ContentHash) -> Result<Arc<Blob>, PullError> {
        let record = self
            .chain
            .content(id)
            .await?
            .ok_or(PullError::NotPublished)?;
        lock(&self.types).insert(id, published_type(Some(&record)));
        // A content with an origin comes from it (the dApp's own copy, without a search first); one without
        // (a collection's file) from the nodes that hold it.
        let source = match (record.origin_url(), &self.peers) {
            (Some(url), _) => Source::Origin(url.to_owned()),
            (None, Some(peers)) => Source::Peers(peers),
            (None, None) => return Err(PullError::NoOrigin),
        };
        if record.size > self.limits.max_bytes {
            return Err(PullError::TooLarge {
                size: record.size,
                max: self.limits.max_bytes,
            });
        }
        // Places first, none of it counted in the deadline: waiting is the gateway being busy, not the
        // origin being slow.
        let _dapp_place = self
            .per_dapp
            .take(record.owner)
            .ok_or(PullError::Busy("this dApp's origin pull slots"))?;
        let url = match source {
            Source::Origin(url) => url,
            Source::Peers(peers) => return self.fetch_from_peers(peers, id, record.size).await,
        };
        let parsed = reqwest::Url::parse(&url).map_err(|e| PullError::Origin(e.to_string()))?;
        self.policy.check_url(&parsed)?;
        let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
        let _host_place = self
            .per_host
            .take(host)
            .ok_or(PullError::Busy("this origin host's pull slots"))?;
        let _slot = self.slot().await?;
        let deadline = self.limits.deadline;
        let staged = tokio::time::timeout(deadline, self.download(parsed, record.size))
            .await
            .map_err(|_| PullError::TimedOut(deadline))??;
        // Named after the last segment of the URL the dApp published (not one an origin redirected to).
        let name = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| u.path_segments()?.next_back().map(String::from))
            .filter(|n| !n.is_empty());
        let blob = import::store_pulled(self.store.clone(), staged, name, id).await?;
        info!(id = %id.to_hex(), %url, bytes = record.size, "pulled from origin");
        Ok(blob)
    }

    /// One of the pull slots, waited for at most [`OriginLimits::slot_wait`]: origin pulls and fetches from
    /// peers share them.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, PullError> {
        let permit = tokio::time::timeout(self.limits.slot_wait, self.slots.acquire())
            .await
            .map_err(|_| PullError::Busy("the origin pull slots"))?;
        Ok(permit.expect("never closed"))
    }

    /// Fetches `id` (of `size` bytes, as published) from the nodes that hold it, within the pull deadline, in
    /// one of the pull slots.
    async fn fetch_from_peers(
        &self,
        peers: &Peers,
        id: ContentHash,
        size: u64,
    ) -> Result<Arc<Blob>, PullError> {
        let _slot = self.slot().await?;
        let deadline = self.limits.deadline;
        let fetched = fetch(
            &peers.network,
            self.store.clone(),
            id,
            Some(size),
            Sources::Discover,
            peers.metrics.clone(),
            None,
            |_: Progress| {},
        );
        match tokio::time::timeout(deadline, fetched).await {
            Ok(Ok(_)) => {}
            Ok(Err(e @ FetchError::NoProviders(_))) => {
                return Err(PullError::NotHeld(e.to_string()))
            }
            Ok(Err(e)) => return Err(PullError::PeerFetch(e.to_string())),
            Err(_) => {
                let late = format!("not done within {deadline:?}");
                return Err(PullError::PeerFetch(late));
            }
        }
        let blob = self.store.get(&id).filter(|b| b.is_complete());
        let blob = blob.ok_or_else(|| {
            PullError::PeerFetch("the fetched content is not in the store".into())
        })?;
        info!(id = %id.to_hex(), bytes = size, "fetched a miss from other nodes");
        Ok(blob)
    }

    /// Contents being pulled now.
    #[cfg(test)]
    fn pulls_in_flight(&self) -> usize {
        lock(&self.in_flight).len()
    }
}

/// The key of the origin that answered from `ip`: the address a connection reached in the end
/// ([`connected_ip`]), and for IPv6 its /64, since a server holds a whole /64 as cheaply as one address of it.
fn origin_address(ip: IpAddr) -> IpAddr {
    match connected_ip(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(
            u128::from(v6) & (u128::MAX << (128 - ORIGIN_V6_BLOCK)),
        )),
        v4 => v4,
    }
}

/// The IPv6 block one origin server is counted by: a /64, the block one host or subscriber is given.
const ORIGIN_V6_BLOCK: u32 = 64;

/// A pull's place in the in-flight map, left when the pull ends in any way (or its task is dropped).
struct InFlight {
    pull: Arc<OriginPull>,
    id: ContentHash,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock(&self.pull.in_flight).remove(&self.id);
    }
}

/// The type guessed from the file name ending `record`'s origin URL, else [`DEFAULT_CONTENT_TYPE`].
fn published_type(record: Option<&ContentRecord>) -> &'static str {
    record
        .and_then(|r| r.origin_url())
        .and_then(|url| reqwest::Url::parse(url).ok())
        .and_then(|url| mime_guess::from_path(url.path()).first_raw())
        .unwrap_or(DEFAULT_CONTENT_TYPE)
}

/// `mutex`'s guard, also after a panic elsewhere (the maps stay consistent at every step).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests;
