//! Origin pull: a gateway that misses a content fetches it from the origin URL its dApp registered on chain
//! (`Settlement::publish_content`), checks that the bytes hash to the content id and are as long as published,
//! and only then stores and serves them. Concurrent misses of one content share a single pull.
//!
//! Any dApp writes any URL and size on chain, and every edge acts on them, so a pull is fenced in: only
//! addresses [`crate::egress`] allows (checked at connect time and on every redirect), at most
//! [`OriginLimits::max_bytes`], within [`OriginLimits::deadline`], at most [`OriginLimits::max_pulls`] at
//! once, bytes staged outside the store until verified, and a failed pull is not retried for
//! [`FAILED_PULL_TTL`], so a victim's URL is not downloaded by every edge on every request.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{io::AsyncWriteExt, sync::Semaphore};
use tracing::info;

use enreach_dts::store::{Blob, ContentHash, ContentStore, StoreError};
use enreach_edge_chain::{Chain, ChainError, ContentRecord};

use crate::{
    egress::{redirect_policy, EgressError, EgressPolicy, FilteringResolver},
    gateway::DEFAULT_CONTENT_TYPE,
    limits::{
        CONTENT_TYPE_TTL, FAILED_PULL_TTL, MAX_CONTENT_TYPES, MAX_FAILED_PULLS, MAX_ORIGIN_BYTES,
        MAX_ORIGIN_PULLS, ORIGIN_CONNECT_TIMEOUT, ORIGIN_DEADLINE, ORIGIN_READ_TIMEOUT,
    },
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
    /// The pull did not finish within [`OriginLimits::deadline`].
    #[error("origin pull took longer than {0:?}")]
    TimedOut(Duration),
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
}

impl PullError {
    /// Whether the content simply has no origin to pull from (a plain miss), as opposed to a failed pull.
    pub fn is_miss(&self) -> bool {
        matches!(self, Self::NotPublished | Self::NoOrigin)
    }
}

/// What origin pulls may do; the defaults are in [`crate::limits`].
#[derive(Clone, Debug)]
pub struct OriginLimits {
    /// Also reach loopback and private addresses (`--allow-private-origins`, local test networks only).
    pub allow_private: bool,
    /// See [`MAX_ORIGIN_BYTES`].
    pub max_bytes: u64,
    /// See [`ORIGIN_DEADLINE`].
    pub deadline: Duration,
    /// See [`MAX_ORIGIN_PULLS`].
    pub max_pulls: usize,
}

impl Default for OriginLimits {
    fn default() -> Self {
        Self {
            allow_private: false,
            max_bytes: MAX_ORIGIN_BYTES,
            deadline: ORIGIN_DEADLINE,
            max_pulls: MAX_ORIGIN_PULLS,
        }
    }
}

/// Pulls missed contents into a store.
pub struct OriginPull {
    chain: Chain,
    store: Arc<ContentStore>,
    http: reqwest::Client,
    policy: EgressPolicy,
    limits: OriginLimits,
    /// One lock per content being pulled: later misses wait for the first pull and then find it stored.
    pulls: Mutex<HashMap<ContentHash, Arc<tokio::sync::Mutex<()>>>>,
    /// Places for pulls in flight.
    slots: Semaphore,
    /// Contents whose last pull failed, not pulled again until the entry expires.
    failed: Mutex<Recent<()>>,
    /// Content types from the dApps' publications.
    types: Mutex<Recent<&'static str>>,
}

impl OriginPull {
    /// Pulls through `chain`'s records into `store`, within `limits`.
    pub fn new(
        chain: Chain,
        store: Arc<ContentStore>,
        limits: OriginLimits,
    ) -> Result<Self, PullError> {
        let policy = EgressPolicy::new(limits.allow_private);
        let http = reqwest::Client::builder()
            .connect_timeout(ORIGIN_CONNECT_TIMEOUT)
            // Between two reads of the body; the whole pull is bounded by the deadline.
            .read_timeout(ORIGIN_READ_TIMEOUT)
            .dns_resolver(FilteringResolver::new(policy))
            .redirect(redirect_policy(policy))
            // A proxy from the environment would connect for us, to addresses the resolver never sees.
            .no_proxy()
            .user_agent(concat!("enreach-edge-worker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PullError::Origin(e.to_string()))?;
        Ok(Self {
            chain,
            store,
            http,
            policy,
            slots: Semaphore::new(limits.max_pulls),
            limits,
            pulls: Mutex::new(HashMap::new()),
            failed: Mutex::new(Recent::new(FAILED_PULL_TTL, MAX_FAILED_PULLS)),
            types: Mutex::new(Recent::new(CONTENT_TYPE_TTL, MAX_CONTENT_TYPES)),
        })
    }

    /// The complete content `id`, pulled from its origin if the store does not have it yet.
    pub async fn get(&self, id: ContentHash) -> Result<Arc<Blob>, PullError> {
        let turn = lock(&self.pulls).entry(id).or_default().clone();
        let result = {
            let _turn = turn.lock().await;
            match self.store.get(&id).filter(|b| b.is_complete()) {
                Some(blob) => Ok(blob),
                None if lock(&self.failed).get(&id).is_some() => Err(PullError::RecentlyFailed),
                None => {
                    let pulled = self.pull(id).await;
                    if pulled.as_ref().is_err_and(|e| !e.is_miss()) {
                        lock(&self.failed).insert(id, ());
                    }
                    pulled
                }
            }
        };
        let mut pulls = lock(&self.pulls);
        // The last one out removes the lock (the map holds one reference, `turn` another).
        if Arc::strong_count(&turn) == 2 {
            pulls.remove(&id);
        }
        result
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
        let url = record.origin_url().ok_or(PullError::NoOrigin)?.to_owned();
        if record.size > self.limits.max_bytes {
            return Err(PullError::TooLarge {
                size: record.size,
                max: self.limits.max_bytes,
            });
        }
        let parsed = reqwest::Url::parse(&url).map_err(|e| PullError::Origin(e.to_string()))?;
        self.policy.check_url(&parsed)?;
        let deadline = self.limits.deadline;
        let staged = tokio::time::timeout(deadline, async {
            let _slot = self.slots.acquire().await.expect("never closed");
            self.download(parsed, record.size).await
        })
        .await
        .map_err(|_| PullError::TimedOut(deadline))??;
        let store = self.store.clone();
        // Named after the last segment of the URL the dApp published (not one an origin redirected to).
        let name = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| u.path_segments()?.next_back().map(String::from))
            .filter(|n| !n.is_empty());
        // Staged outside the store's blobs: only bytes that hash to `id` become a (complete) blob.
        let blob = tokio::task::spawn_blocking(move || store.finish_import(staged, name, Some(id)))
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
        info!(id = %id.to_hex(), %url, bytes = record.size, "pulled from origin");
        Ok(blob)
    }

    /// Downloads exactly `size` bytes from `url` into a staging folder of the store.
    async fn download(
        &self,
        url: reqwest::Url,
        size: u64,
    ) -> Result<enreach_dts::store::Staging, PullError> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| PullError::Origin(e.to_string()))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(PullError::Origin(format!(
                "answered {} instead of the whole content",
                response.status()
            )));
        }
        if let Some(len) = response.content_length().filter(|len| *len != size) {
            return Err(PullError::WrongSize {
                got: len,
                expected: size,
            });
        }
        let staging = self.store.staging()?;
        let mut file = tokio::fs::File::create(staging.data_path())
            .await
            .map_err(StoreError::Io)?;
        let mut got = 0u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| PullError::Origin(e.to_string()))?
        {
            got += chunk.len() as u64;
            if got > size {
                return Err(PullError::WrongSize {
                    got,
                    expected: size,
                });
            }
            file.write_all(&chunk).await.map_err(StoreError::Io)?;
        }
        if got != size {
            return Err(PullError::WrongSize {
                got,
                expected: size,
            });
        }
        file.flush().await.map_err(StoreError::Io)?;
        Ok(staging)
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
