//! Origin pull: a gateway that misses a content fetches it from the origin URL its dApp registered on chain
//! (`Settlement::publish_content`), checks that the bytes hash to the content id and are as long as published,
//! and only then stores and serves them. Concurrent misses of one content share a single pull.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::io::AsyncWriteExt;
use tracing::info;

use enreach_dts::store::{Blob, ContentHash, ContentStore, StoreError};
use enreach_edge_chain::{Chain, ChainError};

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

/// Pulls missed contents into a store.
pub struct OriginPull {
    chain: Chain,
    store: Arc<ContentStore>,
    http: reqwest::Client,
    /// One lock per content being pulled: later misses wait for the first pull and then find it stored.
    pulls: Mutex<HashMap<ContentHash, Arc<tokio::sync::Mutex<()>>>>,
}

impl OriginPull {
    /// Pulls through `chain`'s records into `store`.
    pub fn new(chain: Chain, store: Arc<ContentStore>) -> Result<Self, PullError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Between two reads of the body, not for the whole (possibly large) content.
            .read_timeout(Duration::from_secs(30))
            .user_agent(concat!("enreach-edge-worker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| PullError::Origin(e.to_string()))?;
        Ok(Self {
            chain,
            store,
            http,
            pulls: Mutex::new(HashMap::new()),
        })
    }

    /// The complete content `id`, pulled from its origin if the store does not have it yet.
    pub async fn get(&self, id: ContentHash) -> Result<Arc<Blob>, PullError> {
        let turn = self
            .pulls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default()
            .clone();
        let result = {
            let _turn = turn.lock().await;
            match self.store.get(&id).filter(|b| b.is_complete()) {
                Some(blob) => Ok(blob),
                None => self.pull(id).await,
            }
        };
        let mut pulls = self.pulls.lock().unwrap_or_else(|e| e.into_inner());
        // The last one out removes the lock (the map holds one reference, `turn` another).
        if Arc::strong_count(&turn) == 2 {
            pulls.remove(&id);
        }
        result
    }

    async fn pull(&self, id: ContentHash) -> Result<Arc<Blob>, PullError> {
        let record = self
            .chain
            .content(id)
            .await?
            .ok_or(PullError::NotPublished)?;
        let url = record.origin_url().ok_or(PullError::NoOrigin)?.to_owned();
        let mut response = self
            .http
            .get(&url)
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
        if let Some(len) = response.content_length().filter(|len| *len != record.size) {
            return Err(PullError::WrongSize {
                got: len,
                expected: record.size,
            });
        }
        // Named after the last path segment (after redirects), for the Content-Type the gateway derives.
        let name = response
            .url()
            .path_segments()
            .and_then(|mut segments| segments.next_back())
            .filter(|n| !n.is_empty())
            .map(String::from);
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
            if got > record.size {
                return Err(PullError::WrongSize {
                    got,
                    expected: record.size,
                });
            }
            file.write_all(&chunk).await.map_err(StoreError::Io)?;
        }
        if got != record.size {
            return Err(PullError::WrongSize {
                got,
                expected: record.size,
            });
        }
        file.flush().await.map_err(StoreError::Io)?;
        drop(file);
        let store = self.store.clone();
        let blob =
            tokio::task::spawn_blocking(move || store.finish_import(staging, name, Some(id)))
                .await
                .map_err(|e| StoreError::Io(std::io::Error::other(e)))??;
        info!(id = %id.to_hex(), %url, bytes = got, "pulled from origin");
        Ok(blob)
    }
}
