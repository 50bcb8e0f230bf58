//! The models PeerHVM apps name (`enreach:ai/inference`), as a node holds them: model collections in its content
//! store, fetched through PeerDTS like app code. Shared by an edge's apps role, which fetches a model the first
//! time a call names it, and a keeper's replays, which fetch it from the node they judge ([`Fetching`]).
//!
//! A node runs only models published on chain: a model it holds but no one published (its operator's own) is
//! one no keeper could fetch to check its answers. Each id is checked once per process, when it is fetched
//! (a model already in the store is not fetched again, only checked).

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use enreach_dts::{
    collection::{fetch_files, manifest_of, CollectionFailure, MAX_MANIFEST_BYTES},
    store::{ContentHash, ContentStore},
    transfer::Sources,
};
use enreach_hvm::{Held, Models};
use enreach_infer::{Model, MAX_MODEL_BYTES};
use enreach_primitives::{collection::Collection, ContentId};

use crate::replay::{CodeSource, CodeUnavailable};

/// Models kept loaded in memory at once: a model is up to [`enreach_infer::MAX_MODEL_MEMORY`] once loaded, and
/// anyone who deploys an app can make a node load one.
const LOADED_MODELS: usize = 2;

/// Refusals remembered (models that are not models), so that naming one again costs no load.
const REFUSALS_KEPT: usize = 64;

/// Ids checked on chain, at most: past it the oldest check is forgotten (checked again at its next use).
const PUBLISHED_KEPT: usize = 4096;

/// How long a check that a model is published holds: a dApp may withdraw a model, after which no keeper can
/// fetch it to check a node's answers, so a node stops running it within this.
const PUBLISHED_TTL: Duration = Duration::from_secs(600);

/// How long a keeper waits for a model from the node it replays, at least, and the slowest rate it accepts
/// beyond that.
const MODEL_FETCH_GRACE: Duration = Duration::from_secs(60);
const MODEL_FETCH_RATE: u64 = 4 << 20;

/// Model fetches in flight at once: each is up to [`MAX_MODEL_BYTES`], and any app can name any published
/// collection.
const FETCHES_AT_ONCE: usize = 2;

/// Where a node fetches a model it lacks when a call names one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fetching {
    /// From the providers discovery finds (an edge, for its own calls).
    Discover,
    /// Never on its own: a keeper fetches a model from the node it replays ([`StoreModels::fetch_from`]).
    Asked,
}

/// Why a model could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum ModelUnavailable {
    #[error("no one published the model")]
    NotPublished,
    #[error("a model collection of {0} bytes, over the protocol's limit")]
    TooLarge(u64),
    #[error("the model could not be fetched: {0}")]
    Unfetchable(String),
    /// What the chain names is not a model collection this node could ever run (the same everywhere).
    #[error("not a model: {0}")]
    NotAModel(String),
}

/// The node's models: collections in `source`'s store, loaded on first use.
pub struct StoreModels {
    source: CodeSource,
    fetching: Fetching,
    /// The models loaded most recently, newest last.
    loaded: Mutex<Vec<([u8; 32], Arc<Model>)>>,
    /// Models refused (not runnable, the same on every node), newest last.
    refused: Mutex<Vec<([u8; 32], String)>>,
    /// Loads run one at a time, outside the locks above: a call of a loaded model never waits on a load.
    loading: Mutex<()>,
    /// Ids this process found published on chain, and when.
    published: Mutex<HashMap<[u8; 32], Instant>>,
    fetches: tokio::sync::Semaphore,
}

impl StoreModels {
    pub fn new(source: CodeSource, fetching: Fetching) -> Self {
        Self {
            source,
            fetching,
            loaded: Mutex::default(),
            refused: Mutex::default(),
            loading: Mutex::default(),
            published: Mutex::default(),
            fetches: tokio::sync::Semaphore::new(FETCHES_AT_ONCE),
        }
    }

    /// Fetches the model of collection `id` from `sources` (what the store lacks of it), once the chain says it
    /// is published and no larger than a model may be.
    pub async fn fetch_from(&self, id: [u8; 32], sources: Sources) -> Result<(), ModelUnavailable> {
        let source = &self.source;
        let published = source.chain.content(ContentHash::from_bytes(id)).await;
        let published = published.map_err(|e| ModelUnavailable::Unfetchable(e.to_string()))?;
        if published.is_none() {
            return Err(ModelUnavailable::NotPublished);
        }
        let _place = self.fetches.acquire().await.expect("never closed");
        let manifest = source
            .published(ContentId(id), MAX_MANIFEST_BYTES, sources.clone())
            .await
            .map_err(|e| match e {
                CodeUnavailable::NotPublished => ModelUnavailable::NotPublished,
                CodeUnavailable::TooLarge { size, .. } => ModelUnavailable::TooLarge(size),
                CodeUnavailable::Unfetchable => ModelUnavailable::Unfetchable(e.to_string()),
            })?;
        let collection = match manifest_of(&manifest) {
            Ok(collection) => collection,
            Err(e @ CollectionFailure::Read(..)) => {
                return Err(ModelUnavailable::Unfetchable(e.to_string()))
            }
            Err(e) => return Err(self.refuse(id, e.to_string())),
        };
        // Configuration and index files are small beside the weights: a collection past the weights' limit by
        // more than a manifest's room is not fetched at all.
        let bytes = collection.total_size().unwrap_or(u64::MAX);
        if bytes > MAX_MODEL_BYTES.saturating_add(MAX_MANIFEST_BYTES) {
            return Err(self.refuse(id, format!("a collection of {bytes} bytes")));
        }
        fetch_files(
            &source.network,
            source.store.clone(),
            &collection,
            None,
            sources,
            source.metrics.clone(),
            None,
        )
        .await
        .map_err(|e| ModelUnavailable::Unfetchable(e.to_string()))?;
        let mut checked = lock(&self.published);
        if checked.len() >= PUBLISHED_KEPT {
            let oldest = checked.iter().min_by_key(|(_, at)| **at).map(|(id, _)| *id);
            if let Some(oldest) = oldest {
                checked.remove(&oldest);
            }
        }
        checked.insert(id, Instant::now());
        Ok(())
    }

    /// [`Self::fetch_from`] the node at `peer` first, within the time the largest model takes at
    /// [`MODEL_FETCH_RATE`] (the chain names only the manifest's size before it is fetched).
    pub async fn fetch_within(
        &self,
        id: [u8; 32],
        peer: libp2p::PeerId,
    ) -> Result<(), ModelUnavailable> {
        let deadline = MODEL_FETCH_GRACE + Duration::from_secs(MAX_MODEL_BYTES / MODEL_FETCH_RATE);
        tokio::time::timeout(deadline, self.fetch_from(id, Sources::Routed(vec![peer])))
            .await
            .unwrap_or_else(|_| {
                Err(ModelUnavailable::Unfetchable(format!(
                    "not within {deadline:?}"
                )))
            })
    }

    /// Remembers that `id` is not a model (so naming it again costs no fetch); the error saying so.
    fn refuse(&self, id: [u8; 32], reason: String) -> ModelUnavailable {
        let mut refused = lock(&self.refused);
        if refused.len() >= REFUSALS_KEPT {
            refused.remove(0);
        }
        refused.push((id, reason.clone()));
        ModelUnavailable::NotAModel(reason)
    }

    /// Whether `id` was found published within [`PUBLISHED_TTL`].
    fn is_published(&self, id: &[u8; 32]) -> bool {
        lock(&self.published)
            .get(id)
            .is_some_and(|at| at.elapsed() < PUBLISHED_TTL)
    }

    fn store(&self) -> &ContentStore {
        &self.source.store
    }

    /// Loads the model of collection `id` from the files the store holds: a file it lacks, or one it cannot
    /// read, is this node's state ([`Held::Unavailable`]); what the files say is the model's.
    fn load(&self, id: &[u8; 32]) -> Held {
        let store = self.store();
        let Some(manifest) = store
            .get(&ContentHash::from_bytes(*id))
            .filter(|b| b.is_complete())
        else {
            return Held::Unavailable("the node does not hold the model".into());
        };
        let collection: Collection = match manifest_of(&manifest) {
            Ok(collection) => collection,
            Err(e @ CollectionFailure::Read(..)) => return Held::Unavailable(e.to_string()),
            Err(e) => return Held::Invalid(e.to_string()),
        };
        Model::load(|path, most| {
            let Some(file) = collection.file(path) else {
                return Ok(None);
            };
            let blob = store
                .get(&ContentHash::from_bytes(file.content.0))
                .filter(|b| b.is_complete())
                .ok_or_else(|| std::io::Error::other(format!("{path} is not held yet")))?;
            // The blob's own size (its id fixes it), not the manifest's word for it.
            if blob.size() > most {
                return Err(std::io::ErrorKind::FileTooLarge.into());
            }
            std::fs::read(blob.data_path()).map(Some)
        })
        .into()
    }
}

impl Models for StoreModels {
    fn held(&self, id: &[u8; 32]) -> Held {
        // Refusals first: what the content is does not change, published or not.
        let refused = lock(&self.refused)
            .iter()
            .find(|(held, _)| held == id)
            .map(|(_, r)| r.clone());
        if let Some(reason) = refused {
            return Held::Invalid(reason);
        }
        if !self.is_published(id) {
            return Held::Unavailable("not found published on chain lately".into());
        }
        let cached = |id: &[u8; 32]| {
            let mut loaded = lock(&self.loaded);
            let at = loaded.iter().position(|(held, _)| held == id)?;
            let entry = loaded.remove(at);
            let model = entry.1.clone();
            loaded.push(entry);
            Some(Held::Ready(model))
        };
        if let Some(held) = cached(id) {
            return held;
        }
        let _loading = lock(&self.loading);
        // Loaded by the call that held the place before this one, perhaps.
        if let Some(held) = cached(id) {
            return held;
        }
        let held = self.load(id);
        match &held {
            Held::Ready(model) => {
                let mut loaded = lock(&self.loaded);
                if loaded.len() >= LOADED_MODELS {
                    loaded.remove(0);
                }
                loaded.push((*id, model.clone()));
            }
            Held::Invalid(reason) => {
                self.refuse(*id, reason.clone());
            }
            Held::Unavailable(_) => {}
        }
        held
    }

    fn fetch(&self, id: [u8; 32]) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            if self.fetching == Fetching::Asked {
                return Err("a keeper fetches models from the node it replays".into());
            }
            self.fetch_from(id, Sources::Discover)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// `mutex`'s guard, also after a panic elsewhere (the lists stay consistent at every step).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
