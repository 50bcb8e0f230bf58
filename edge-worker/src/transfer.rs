//! The downloader side of PeerDTS: finds providers, learns what each holds, and fetches chunk groups from all
//! of them at once as the [`Scheduler`] assigns them, verifying every group before it is stored. A provider
//! that sends a group that fails verification is banned for the download; its groups are fetched elsewhere.
//! Groups already verified on disk (an earlier, interrupted run) are never fetched again.

use std::{
    collections::{BTreeMap, HashSet},
    io,
    ops::Range,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::{AsyncWriteExt, StreamExt};
use libp2p::PeerId;
use serde::Serialize;
use tracing::{info, warn};

use crate::{
    chunked::{pump_in, ChunkReader},
    metrics::Metrics,
    network::Network,
    protocol::{self, HaveAnswer, Request, PROTOCOL},
    schedule::Scheduler,
    store::{
        group_count, Blob, ContentHash, ContentStore, Durability, StoreError, GROUP_BYTES,
        PERSIST_INTERVAL, SYNC_INTERVAL,
    },
};

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No reachable peer holds the content.
    #[error("no provider found for {0}")]
    NoProviders(String),
    /// Providers disagree with the content id or all were banned before it completed.
    #[error("every provider failed or was banned; {0} of {1} groups verified")]
    Incomplete(u64, u64),
    /// The local store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a download went, for the CLI's summary and the tests.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FetchReport {
    /// The content id.
    pub id: String,
    /// Its size.
    pub size: u64,
    /// Groups that were already verified on disk when the download started.
    pub groups_already_present: u64,
    /// Bytes of content received and verified in this run, per provider.
    pub bytes_by_peer: BTreeMap<String, u64>,
    /// Providers banned for sending data that failed verification.
    pub banned: Vec<String>,
    /// Seconds from the first chunk request to the last verified group (provider discovery excluded).
    pub seconds: f64,
}

impl FetchReport {
    /// Content bytes fetched in this run.
    pub fn bytes_fetched(&self) -> u64 {
        self.bytes_by_peer.values().sum()
    }
}

/// A snapshot for progress display.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Verified bytes on disk.
    pub done: u64,
    /// Content size.
    pub size: u64,
    /// Providers being fetched from.
    pub sources: usize,
}

struct Shared {
    scheduler: Scheduler<PeerId>,
    report: FetchReport,
}

/// Fetches `id` into `store` from every provider it can find (and `hints`, peers dialed beforehand).
pub async fn fetch(
    network: &Network,
    store: Arc<ContentStore>,
    id: ContentHash,
    metrics: Arc<Metrics>,
    progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<FetchReport, FetchError> {
    let control = network.control();
    // Who has it: connected peers (the hints), and Kademlia's provider records.
    let mut candidates: HashSet<PeerId> = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut answers: Vec<(PeerId, HaveAnswer)> = Vec::new();
    while answers.is_empty() && Instant::now() < deadline {
        candidates.extend(network.connected().await);
        candidates.extend(network.providers(id).await);
        for peer in candidates.iter().copied() {
            if answers.iter().any(|(p, _)| *p == peer) {
                continue;
            }
            if let Ok(Some(answer)) = have(&control, peer, id).await {
                answers.push((peer, answer));
            }
        }
        if answers.is_empty() {
            // Dials to the hinted peers are usually still in flight: look again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (size, name) = match answers.first() {
        Some((_, a)) => (a.size, a.name.clone()),
        None => return Err(FetchError::NoProviders(id.to_hex().to_string())),
    };
    let blob = store.create(id, size, name)?;
    let already = blob.present().count();
    let shared = Arc::new(Mutex::new(Shared {
        scheduler: Scheduler::new(blob.present()),
        report: FetchReport {
            id: id.to_hex().to_string(),
            size,
            groups_already_present: already,
            ..Default::default()
        },
    }));
    for (peer, answer) in &answers {
        lock(&shared)
            .scheduler
            .update_provider(*peer, answer.present.clone());
    }
    let done_bytes = move |s: &Shared| (s.scheduler.done_count() * GROUP_BYTES).min(size);
    let ticker = {
        let shared = shared.clone();
        tokio::spawn(async move {
            loop {
                let snapshot = {
                    let s = lock(&shared);
                    Progress {
                        done: done_bytes(&s),
                        size,
                        sources: s.scheduler.active_providers(),
                    }
                };
                progress(snapshot);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    // Verified groups are recorded on disk in the background: the transfer never waits for a disk sync.
    let recorder = {
        let blob = blob.clone();
        tokio::spawn(async move {
            let mut last_sync = Instant::now();
            loop {
                tokio::time::sleep(PERSIST_INTERVAL).await;
                let durability = if last_sync.elapsed() >= SYNC_INTERVAL {
                    last_sync = Instant::now();
                    Durability::Synced
                } else {
                    Durability::ThisBoot
                };
                let blob = blob.clone();
                match tokio::task::spawn_blocking(move || blob.persist(durability)).await {
                    Ok(Err(e)) => warn!(%e, "recording verified groups failed"),
                    Err(e) => warn!(%e, "recording verified groups panicked"),
                    Ok(Ok(())) => {}
                }
            }
        })
    };
    let began = Instant::now();
    let mut workers = futures::stream::FuturesUnordered::new();
    let mut started: HashSet<PeerId> = HashSet::new();
    let spawn_workers = |peer: PeerId, workers: &mut futures::stream::FuturesUnordered<_>| {
        // One worker per batch a provider may have in flight: requests overlap round trips.
        for _ in 0..Scheduler::<PeerId>::BATCHES_IN_FLIGHT {
            workers.push(tokio::spawn(worker(
                control.clone(),
                peer,
                blob.clone(),
                shared.clone(),
                metrics.clone(),
            )));
        }
    };
    for (peer, _) in answers {
        started.insert(peer);
        spawn_workers(peer, &mut workers);
    }
    // Providers that show up later join the download.
    let mut rediscover = tokio::time::interval(Duration::from_secs(2));
    loop {
        if lock(&shared).scheduler.is_complete() {
            break;
        }
        tokio::select! {
            finished = workers.next() => {
                if finished.is_none() {
                    break;
                }
            }
            _ = rediscover.tick() => {
                let mut fresh: Vec<PeerId> = network.connected().await;
                fresh.extend(network.providers(id).await);
                for peer in fresh {
                    if started.insert(peer) {
                        if let Ok(Some(answer)) = have(&control, peer, id).await {
                            if answer.size == size {
                                lock(&shared).scheduler.update_provider(peer, answer.present);
                                spawn_workers(peer, &mut workers);
                            }
                        }
                    }
                }
            }
        }
    }
    ticker.abort();
    recorder.abort();
    let (report, complete, done) = {
        let mut s = lock(&shared);
        s.report.seconds = began.elapsed().as_secs_f64();
        (
            s.report.clone(),
            s.scheduler.is_complete(),
            s.scheduler.done_count(),
        )
    };
    // Durable before it is reported: complete, or kept for the next attempt.
    tokio::task::spawn_blocking(move || blob.persist(Durability::Synced))
        .await
        .map_err(|e| StoreError::Io(io::Error::other(e)))??;
    if !complete {
        return Err(FetchError::Incomplete(done, group_count(size)));
    }
    info!(id = %id.to_hex(), bytes = report.bytes_fetched(), "download complete");
    Ok(report)
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Asks `peer` which groups of `id` it holds.
async fn have(
    control: &libp2p_stream::Control,
    peer: PeerId,
    id: ContentHash,
) -> io::Result<Option<HaveAnswer>> {
    let mut control = control.clone();
    let mut stream = control
        .open_stream(peer, PROTOCOL)
        .await
        .map_err(io::Error::other)?;
    Request::Have(id).write(&mut stream).await?;
    let answer = tokio::time::timeout(Duration::from_secs(10), protocol::read_have(&mut stream))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "HAVE timed out"))??;
    let _ = stream.close().await;
    Ok(answer)
}

/// Fetches batches from one provider until the download completes, it has nothing more to give, or it is
/// banned.
#[tracing::instrument(skip_all, fields(%peer))]
async fn worker(
    control: libp2p_stream::Control,
    peer: PeerId,
    blob: Arc<Blob>,
    shared: Arc<Mutex<Shared>>,
    metrics: Arc<Metrics>,
) {
    let mut idle_rounds = 0u32;
    loop {
        let batch = {
            let mut s = lock(&shared);
            if s.scheduler.is_complete() || s.scheduler.is_banned(&peer) {
                return;
            }
            s.scheduler.next_batch(&peer, Instant::now())
        };
        let Some((batch, ranges)) = batch else {
            // Nothing to ask of this provider now: refresh what it holds (it may be downloading too).
            idle_rounds += 1;
            if idle_rounds > 150 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            if let Ok(Some(answer)) = have(&control, peer, blob.id()).await {
                lock(&shared)
                    .scheduler
                    .update_provider(peer, answer.present);
            }
            continue;
        };
        idle_rounds = 0;
        let started = Instant::now();
        match get(&control, peer, &blob, ranges, &shared, &metrics).await {
            Ok(bytes) => {
                lock(&shared)
                    .scheduler
                    .batch_finished(&peer, batch, bytes, started.elapsed())
            }
            Err(GetError::Verification(e)) => {
                metrics.groups_rejected.inc();
                let mut s = lock(&shared);
                if !s.scheduler.is_banned(&peer) {
                    warn!(%e, "provider sent data that failed verification: banned");
                    s.scheduler.ban(&peer);
                    s.report.banned.push(peer.to_string());
                }
                return;
            }
            Err(GetError::Io(e)) => {
                warn!(%e, "provider failed");
                lock(&shared).scheduler.provider_failed(&peer);
                return;
            }
        }
    }
}

enum GetError {
    Verification(String),
    Io(io::Error),
}

/// One `GET` of `ranges` from `peer`, decoded and verified into `blob`; returns the content bytes stored.
async fn get(
    control: &libp2p_stream::Control,
    peer: PeerId,
    blob: &Arc<Blob>,
    ranges: Vec<Range<u64>>,
    shared: &Arc<Mutex<Shared>>,
    metrics: &Arc<Metrics>,
) -> Result<u64, GetError> {
    let mut control = control.clone();
    let mut stream = control
        .open_stream(peer, PROTOCOL)
        .await
        .map_err(|e| GetError::Io(io::Error::other(e)))?;
    Request::Get(blob.id(), ranges.clone())
        .write(&mut stream)
        .await
        .map_err(GetError::Io)?;
    if !protocol::read_get_status(&mut stream)
        .await
        .map_err(GetError::Io)?
    {
        return Err(GetError::Io(io::Error::other(
            "provider no longer holds the groups",
        )));
    }
    // The stream is read on the runtime in large chunks and handed to the blocking decoder through a channel:
    // one thread wake-up per chunk rather than per transport frame.
    let (chunks, reader) = ChunkReader::channel();
    let pump = pump_in(stream, chunks);
    let (blob, shared, metrics) = (blob.clone(), shared.clone(), metrics.clone());
    let _active = metrics.transfer_started();
    let decode = tokio::task::spawn_blocking(move || {
        let received = metrics.bytes_in(&peer);
        let label = peer.to_string();
        let mut bytes = 0u64;
        let result = blob.decode(&ranges, reader, |group, len| {
            bytes += len;
            received.inc_by(len);
            metrics.groups_verified.inc();
            let mut s = lock(&shared);
            s.scheduler.group_done(&peer, group);
            *s.report.bytes_by_peer.entry(label.clone()).or_default() += len;
        });
        match result {
            Ok(()) => Ok(bytes),
            Err(StoreError::Verification(e)) => Err(GetError::Verification(e)),
            Err(e) => Err(GetError::Io(io::Error::other(e.to_string()))),
        }
    });
    let ((), decoded) = tokio::join!(pump, decode);
    decoded.map_err(|e| GetError::Io(io::Error::other(e)))?
}
