//! The downloader side of PeerDTS: finds providers, learns what each holds, and fetches chunk groups from all
//! of them at once as the [`Scheduler`] assigns them, verifying every group before it is stored. A provider
//! that sends a group that fails verification is banned for the download; its groups are fetched elsewhere.
//! Groups already verified on disk (an earlier, interrupted run) are never fetched again. With a client key,
//! the downloader signs delivery receipts to every provider that asks for them ([`crate::signing`]).
//!
//! Why one module of about 600 lines: a download is one state machine (providers found and the size proven,
//! then workers sharing the scheduler, the receipts and the endgame through `Shared`); the size proof itself
//! and the range arithmetic live in [`crate::size_proof`] and [`crate::ranges`].

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    io,
    ops::Range,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use libp2p::PeerId;
use serde::Serialize;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::{
    chunked::{pump_in, ChunkReader},
    metrics::Metrics,
    network::Network,
    protocol::{self, GetStatus, HaveAnswer, Request},
    schedule::Scheduler,
    signing::{ClientSigner, ProviderReceipts, RECEIPT_INTERVAL},
    size_proof::{self, SizeError as SizeProofError},
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
    /// Providers answered, but none proved the size it named for the content.
    #[error("no provider proved the size of {0}")]
    SizeUnproven(String),
    /// Providers disagree with the content id or all were banned before it completed.
    #[error("every provider failed or was banned; {0} of {1} groups verified")]
    Incomplete(u64, u64),
    /// Providers stopped serving because this download signs no delivery receipts.
    #[error(
        "providers require delivery receipts: fetch with a client key a dApp authorized ({0} of {1} groups verified)"
    )]
    ReceiptsRequired(u64, u64),
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
    /// Bytes covered by receipts each paid provider accepted.
    pub receipted_by_peer: BTreeMap<String, u64>,
    /// Providers that stopped serving because receipts were owed.
    pub unpaid: Vec<String>,
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
    /// When each provider was last asked `HAVE` by one of this download's workers: asked once per
    /// [`HAVE_REFRESH`] whatever the number of its workers (a provider's accept queue drops what comes in
    /// faster than it takes it, and each question was twice as many as needed).
    have_asked: HashMap<PeerId, Instant>,
}

/// How long requests still in flight when a download completes may finish before they are dropped.
const ENDGAME_GRACE: Duration = Duration::from_secs(2);

/// How often a busy partial provider's bitfield is asked for again.
const HAVE_REFRESH: Duration = Duration::from_secs(1);

/// How often a receipt task looks at what its provider delivered.
const RECEIPT_POLL: Duration = Duration::from_millis(20);

/// How long a worker waits for its receipts to catch up when a provider answers `UNPAID`, in all, before it
/// gives the provider up.
const UNPAID_PATIENCE: Duration = Duration::from_secs(5);

/// How long a worker keeps retrying a provider whose requests fail in a row before it gives the provider up. A
/// busy provider refuses (resets) substreams past its limits, and takes back slots from its largest users for
/// newcomers, rather than queue them, so failures while it is shared say little; a few quick retries gave an
/// honest provider up under contention (seen when six downloaders shared one).
const IO_PATIENCE: Duration = Duration::from_secs(5);

/// The pause before a retry, times the failures in a row, up to [`IO_RETRY_PAUSE_MAX`].
const IO_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// See [`IO_RETRY_PAUSE`].
const IO_RETRY_PAUSE_MAX: Duration = Duration::from_secs(1);

/// Where a download looks for providers.
#[derive(Clone, Debug, Default)]
pub enum Sources {
    /// Connected peers and Kademlia's provider records.
    #[default]
    Discover,
    /// The peers a router chose, best first (dialed beforehand); discovery only if none of them answers within
    /// [`ROUTED_PATIENCE`].
    Routed(Vec<PeerId>),
}

impl Sources {
    /// Whether to look beyond the routed peers: always for [`Sources::Discover`], else once `discover`.
    fn discovers(&self, discover: bool) -> bool {
        discover || matches!(self, Sources::Discover)
    }

    /// The peers to ask without a round trip: the routed ones, and when it [`Self::discovers`] connected peers.
    async fn at_hand(&self, network: &Network, discover: bool) -> Vec<PeerId> {
        let mut peers = match self {
            Sources::Routed(peers) => peers.clone(),
            Sources::Discover => Vec::new(),
        };
        if self.discovers(discover) {
            peers.extend(network.connected().await);
        }
        peers
    }

    /// The peers to ask for `id` now: [`Self::at_hand`], and when it [`Self::discovers`] provider records too
    /// (a DHT query, which may take seconds).
    async fn look(&self, network: &Network, id: ContentHash, discover: bool) -> Vec<PeerId> {
        let mut peers = self.at_hand(network, discover).await;
        if self.discovers(discover) {
            peers.extend(network.providers(id).await);
        }
        peers
    }
}

/// How often a download looks up provider records (a DHT query), in its search for providers and after.
const LOOK_INTERVAL: Duration = Duration::from_secs(2);

/// How long a peer that gave no usable answer to a download's first question waits before it is asked again.
const PROBE_RETRY: Duration = Duration::from_millis(500);

/// How long a routed download waits for its routed providers before it looks for others.
pub const ROUTED_PATIENCE: Duration = Duration::from_secs(5);

/// How long a download whose providers all failed or left looks for others before it ends incomplete.
const ORPHANED_PATIENCE: Duration = Duration::from_secs(6);

/// How long a peer that did not know the content is left before a download asks it again.
const UNAWARE_RETRY: Duration = Duration::from_secs(3);

/// Providers one download works with at most, however many a look names: each costs requests, receipts and
/// batch splitting, and a handful already fills a downloader's link.
const MAX_PROVIDERS: usize = 32;

/// Fetches `id` into `store` from the providers `sources` names, signing receipts with `signer` for the
/// providers that collect them. A provider must prove the size it names ([`size_proof`]) before the blob is
/// created, so no provider can make the store hold a blob of a wrong size. `size` is the length the caller was
/// told (the chain's record, which a front-runner or a mistaken dApp can make wrong: attacker review M5): only
/// providers naming it are asked, and it is proven all the same.
#[allow(clippy::too_many_arguments)]
pub async fn fetch(
    network: &Network,
    store: Arc<ContentStore>,
    id: ContentHash,
    size: Option<u64>,
    sources: Sources,
    metrics: Arc<Metrics>,
    signer: Option<Arc<ClientSigner>>,
    progress: impl Fn(Progress) + Send + Sync + 'static,
) -> Result<FetchReport, FetchError> {
    let control = network.control();
    let asked = Instant::now();
    let deadline = asked + Duration::from_secs(20);
    let mut candidates: HashSet<PeerId> = HashSet::new();
    // Peers that answered `KNOWN` (whatever the size they named), and the answers that may still serve.
    let mut heard: HashSet<PeerId> = HashSet::new();
    let mut answers: Vec<(PeerId, HaveAnswer)> = Vec::new();
    let expected = size;
    // The size a provider proved.
    let mut size = None;
    let mut proof: Option<(PeerId, u64, Vec<u8>)> = None;
    let agreeing = |answers: &[(PeerId, HaveAnswer)], size: Option<u64>| {
        answers.iter().any(|(_, a)| Some(a.size) == size)
    };
    // Candidates are asked at once, each in a task within its own deadlines (running while discovery looks
    // for more), so silent ones cost no one else time (attacker review L: asked one after the other, two silent
    // peers used up the whole search). The tasks left are aborted when the search ends. Provider records are
    // looked up beside them: a DHT query that took its whole 10 s on a busy network held up the probes, and
    // a search of 20 s asked twice. One that gave no usable answer is asked again after PROBE_RETRY, not in a
    // loop.
    let mut probes = tokio::task::JoinSet::new();
    let mut probing: HashSet<PeerId> = HashSet::new();
    let mut unanswered: HashMap<PeerId, Instant> = HashMap::new();
    let mut lookup: Option<futures::future::BoxFuture<'_, Vec<PeerId>>> = None;
    let mut looked_up: Option<Instant> = None;
    while !agreeing(&answers, size) && Instant::now() < deadline {
        let discover = asked.elapsed() >= ROUTED_PATIENCE;
        candidates.extend(sources.at_hand(network, discover).await);
        if sources.discovers(discover)
            && lookup.is_none()
            && looked_up.is_none_or(|at| at.elapsed() >= LOOK_INTERVAL)
        {
            looked_up = Some(Instant::now());
            lookup = Some(Box::pin(network.providers(id)));
        }
        for peer in candidates.iter().copied() {
            let resting = unanswered
                .get(&peer)
                .is_some_and(|at| at.elapsed() < PROBE_RETRY);
            if !heard.contains(&peer) && !resting && probing.insert(peer) {
                probes.spawn(probe(control.clone(), peer, id, expected));
            }
        }
        let (peer, outcome) = tokio::select! {
            Some(Ok(probed)) = probes.join_next() => probed,
            found = async { lookup.as_mut().expect("guarded").await }, if lookup.is_some() => {
                lookup = None;
                candidates.extend(found);
                continue;
            }
            // Dials to the hinted peers are usually still in flight: look again shortly.
            () = tokio::time::sleep(Duration::from_millis(50)) => continue,
        };
        probing.remove(&peer);
        unanswered.insert(peer, Instant::now());
        let (answer, proven) = match outcome {
            // Unreachable, silent or without the content: asked again in the next round.
            Probe::Unanswered => continue,
            Probe::OtherSize(named) => {
                heard.insert(peer);
                warn!(%peer, named, ?expected, "provider names another size than expected: ignored");
                continue;
            }
            Probe::Answered(answer, proven) => (answer, proven),
        };
        match proven {
            Ok(proven) => {
                if size.is_none() {
                    size = Some(proven.size);
                    proof = proven.last_group.map(|(g, encoding)| (peer, g, encoding));
                }
            }
            // An honest partial copy may serve once another provider proved the size.
            Err(SizeProofError::LastGroupNotHeld) => {}
            // Its size is proven already by another provider.
            Err(SizeProofError::Io(_)) if size == Some(answer.size) => {}
            // Refused or reset (a provider at its limits), or slow: asked again in the next round.
            Err(SizeProofError::Io(e)) => {
                debug!(%peer, %e, "size proof failed: retrying");
                continue;
            }
            Err(e) => {
                heard.insert(peer);
                warn!(%peer, %e, "provider's size not proven: ignored");
                continue;
            }
        }
        heard.insert(peer);
        answers.push((peer, answer));
    }
    drop((probes, lookup));
    let Some(size) = size.filter(|s| agreeing(&answers, Some(*s))) else {
        return Err(if heard.is_empty() {
            FetchError::NoProviders(id.to_hex().to_string())
        } else {
            FetchError::SizeUnproven(id.to_hex().to_string())
        });
    };
    answers.retain(|(_, a)| a.size == size);
    let name = answers.first().and_then(|(_, a)| a.name.clone());
    let blob = store.create(id, size, name)?;
    let already = blob.present().count();
    let mut proof_bytes = BTreeMap::new();
    if let Some((peer, group, encoding)) = proof.filter(|(_, g, _)| !blob.present().get(*g)) {
        // The group that proved the size is verified already: stored, not fetched again.
        let blob = blob.clone();
        let mut bytes = 0;
        tokio::task::spawn_blocking(move || {
            let group = group..group + 1;
            blob.decode(&[group], &encoding[..], |_, len| bytes += len)
                .map(|()| bytes)
        })
        .await
        .map_err(|e| StoreError::Io(io::Error::other(e)))?
        .map(|bytes| proof_bytes.insert(peer.to_string(), bytes))?;
    }
    let shared = Arc::new(Mutex::new(Shared {
        scheduler: Scheduler::new(blob.present()),
        report: FetchReport {
            id: id.to_hex().to_string(),
            size,
            groups_already_present: already,
            bytes_by_peer: proof_bytes,
            ..Default::default()
        },
        have_asked: HashMap::new(),
    }));
    for (peer, answer) in &answers {
        lock(&shared)
            .scheduler
            .update_provider(*peer, answer.present.clone());
    }
    let done_bytes = move |s: &Shared| (s.scheduler.done_count() * GROUP_BYTES).min(size);
    // Progress reports and the recording of verified groups, stopped with the download however it ends (also
    // when the caller drops it, e.g. at a deadline: attacker review, they ran on for ever).
    let mut background = tokio::task::JoinSet::new();
    {
        let shared = shared.clone();
        background.spawn(async move {
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
        });
    }
    // Verified groups are recorded on disk in the background: the transfer never waits for a disk sync. Once
    // some are, the downloader announces itself as a provider: nodes fetching the same content at the same time
    // find each other and trade the groups they verified (they ask HAVE again as they go), so a seed's egress
    // stays near one copy however many pull at once.
    {
        let blob = blob.clone();
        let network = network.clone();
        background.spawn(async move {
            let mut last_sync = Instant::now();
            let mut announced = false;
            loop {
                tokio::time::sleep(PERSIST_INTERVAL).await;
                if !announced && blob.present().count() > 0 {
                    network.announce(blob.id()).await;
                    announced = true;
                }
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
        });
    }
    let began = Instant::now();
    let (finished, finished_rx) = watch::channel(false);
    let mut receipt_tasks = Vec::new();
    let mut start_receipts = |peer: PeerId, answer: &HaveAnswer| {
        let (Some(signer), Some(terms)) = (&signer, answer.terms) else {
            return;
        };
        match ProviderReceipts::new(peer, id, terms) {
            Ok(receipts) => receipt_tasks.push(tokio::spawn(settle_receipts(
                control.clone(),
                receipts,
                signer.clone(),
                shared.clone(),
                finished_rx.clone(),
            ))),
            Err(e) => warn!(%peer, %e, "cannot sign receipts for this provider"),
        }
    };
    // Set once every group is verified: workers waiting for something to ask stop at once instead of at the
    // end of their pause, which the download's end (and its measured time) would otherwise wait for.
    let (complete, complete_rx) = watch::channel(false);
    // Worker tasks, aborted with the download however it ends (also when the caller drops it).
    let mut workers = tokio::task::JoinSet::new();
    // Providers asked or working, with how many of their workers run; those whose workers all ended (failed,
    // idle or slow) are retired: asked again only once the download has no provider left.
    let mut started: HashMap<PeerId, usize> = HashMap::new();
    let mut retired: HashSet<PeerId> = HashSet::new();
    // Peers that did not know the content when asked, with when: another node pulling the same content that
    // had not started on it yet. Asked again once UNAWARE_RETRY passed, if a look names them again: retired for
    // good, nodes starting together each found only the few that had begun before them, and took the rest from
    // the seed.
    let mut unaware: HashMap<PeerId, Instant> = HashMap::new();
    let spawn_workers = |peer: PeerId,
                         workers: &mut tokio::task::JoinSet<PeerId>,
                         started: &mut HashMap<PeerId, usize>| {
        // One worker per batch a provider may have in flight: requests overlap round trips.
        for _ in 0..Scheduler::<PeerId>::BATCHES_IN_FLIGHT {
            let task = worker(
                control.clone(),
                peer,
                blob.clone(),
                shared.clone(),
                metrics.clone(),
                complete_rx.clone(),
            );
            workers.spawn(async move {
                task.await;
                peer
            });
        }
        started.insert(peer, Scheduler::<PeerId>::BATCHES_IN_FLIGHT);
    };
    for (peer, answer) in answers {
        start_receipts(peer, &answer);
        spawn_workers(peer, &mut workers, &mut started);
    }
    // Providers that show up later join the download, up to MAX_PROVIDERS; each is asked in a task of its own,
    // so a silent one holds up neither the others nor the end of the download, and the look for them (a DHT
    // query may take seconds) runs beside the download rather than in its way. Providers may also leave (a
    // node restarts, a peer that had the content goes away): with none left, the download keeps looking for a
    // while before it gives up, then also beyond its routed peers once those had their chance. A routed
    // download with providers at work never takes strangers in (attacker review: discovery named every
    // provider record a DHT neighbourhood returns, and providers that stall are never banned).
    let mut rediscover = tokio::time::interval(LOOK_INTERVAL);
    rediscover.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut looking: Option<futures::future::BoxFuture<'_, Vec<PeerId>>> = None;
    let mut joining = tokio::task::JoinSet::new();
    let mut orphaned_since: Option<Instant> = None;
    loop {
        if lock(&shared).scheduler.is_complete() {
            break;
        }
        let orphaned = workers.is_empty();
        if orphaned {
            if orphaned_since.get_or_insert_with(Instant::now).elapsed() > ORPHANED_PATIENCE {
                break;
            }
        } else {
            orphaned_since = None;
        }
        tokio::select! {
            Some(Ok(peer)) = workers.join_next(), if !workers.is_empty() => {
                let left = started.get_mut(&peer).map(|n| {
                    *n = n.saturating_sub(1);
                    *n
                });
                if left == Some(0) {
                    started.remove(&peer);
                    retired.insert(peer);
                    // An idle provider no longer counts as one: batches are sized by those at work. A banned
                    // one keeps its entry, which is what keeps it out of the download for good.
                    let mut s = lock(&shared);
                    if !s.scheduler.is_banned(&peer) {
                        s.scheduler.provider_failed(&peer);
                    }
                }
            }
            _ = rediscover.tick(), if looking.is_none() => {
                let discover = orphaned && asked.elapsed() >= ROUTED_PATIENCE;
                looking = Some(Box::pin(sources.look(network, id, discover)));
            }
            peers = async { looking.as_mut().expect("guarded").await }, if looking.is_some() => {
                looking = None;
                if orphaned {
                    retired.clear();
                }
                unaware.retain(|_, at| at.elapsed() < UNAWARE_RETRY);
                for peer in peers {
                    // A provider banned for bad data, or one that wants receipts this download does not sign,
                    // is never asked again: the second would serve a freeloader a first batch per epoch.
                    let excluded = {
                        let s = lock(&shared);
                        s.scheduler.is_banned(&peer) || s.report.unpaid.contains(&peer.to_string())
                    };
                    // A peer being asked is in `started` already (attacker review: counted twice, 16 slow
                    // answers filled the 32 places).
                    if started.len() >= MAX_PROVIDERS
                        || excluded
                        || retired.contains(&peer)
                        || unaware.contains_key(&peer)
                        || started.contains_key(&peer)
                    {
                        continue;
                    }
                    started.insert(peer, 0);
                    let control = control.clone();
                    joining.spawn(async move {
                        (peer, have(&control, peer, id).await)
                    });
                }
            }
            Some(Ok((peer, answer))) = joining.join_next() => {
                match answer {
                    Ok(Some(answer)) if answer.size == size => {
                        start_receipts(peer, &answer);
                        lock(&shared).scheduler.update_provider(peer, answer.present);
                        spawn_workers(peer, &mut workers, &mut started);
                    }
                    Ok(None) => {
                        started.remove(&peer);
                        unaware.insert(peer, Instant::now());
                    }
                    _ => {
                        started.remove(&peer);
                        retired.insert(peer);
                    }
                }
            }
        }
    }
    drop((joining, looking));
    let _ = complete.send(lock(&shared).scheduler.is_complete());
    drop(background);
    // Requests still in flight (endgame duplicates) may finish for a moment, then are dropped (aborted with
    // the set), so the final receipts cover everything that arrived.
    let _ = tokio::time::timeout(ENDGAME_GRACE, async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    drop(workers);
    // Final receipts for what arrived since the last ones.
    let _ = finished.send(true);
    for task in receipt_tasks {
        if let Ok((peer, acknowledged)) = task.await {
            lock(&shared)
                .report
                .receipted_by_peer
                .insert(peer.to_string(), acknowledged);
        }
    }
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
    if !complete && !report.unpaid.is_empty() {
        return Err(FetchError::ReceiptsRequired(done, group_count(size)));
    }
    if !complete {
        return Err(FetchError::Incomplete(done, group_count(size)));
    }
    info!(id = %id.to_hex(), bytes = report.bytes_fetched(), "download complete");
    Ok(report)
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// Signs receipts to one provider as its verified bytes grow, at least every [`RECEIPT_INTERVAL`], and once
/// more when the download ends; returns the provider and the bytes its accepted receipts cover.
async fn settle_receipts(
    control: libp2p_stream::Control,
    mut receipts: ProviderReceipts,
    signer: Arc<ClientSigner>,
    shared: Arc<Mutex<Shared>>,
    mut finished: watch::Receiver<bool>,
) -> (PeerId, u64) {
    let peer = receipts.peer();
    let label = peer.to_string();
    loop {
        let last = tokio::select! {
            _ = tokio::time::sleep(RECEIPT_POLL) => false,
            _ = finished.changed() => true,
        };
        let received = lock(&shared)
            .report
            .bytes_by_peer
            .get(&label)
            .copied()
            .unwrap_or(0);
        if last || received.saturating_sub(receipts.acknowledged()) >= RECEIPT_INTERVAL {
            if let Err(e) = receipts.settle(&control, &signer, received).await {
                warn!(%peer, %e, "no more receipts for this provider");
                return (peer, receipts.acknowledged());
            }
        }
        if last {
            return (peer, receipts.acknowledged());
        }
    }
}

/// What asking a candidate provider found.
enum Probe {
    /// No answer in time, or it does not hold the content.
    Unanswered,
    /// It names a size other than the caller's.
    OtherSize(u64),
    /// Its answer, and whether it proved the size it names.
    Answered(HaveAnswer, Result<size_proof::ProvenSize, SizeProofError>),
}

/// Asks `peer` for `id` (within [`protocol::ANSWER_TIMEOUT`], the substream's opening included) and for the
/// proof of the size it names (within its own deadline), unless it names another size than `expected`.
async fn probe(
    control: libp2p_stream::Control,
    peer: PeerId,
    id: ContentHash,
    expected: Option<u64>,
) -> (PeerId, Probe) {
    let Ok(Some(answer)) = have(&control, peer, id).await else {
        return (peer, Probe::Unanswered);
    };
    if expected.is_some_and(|expected| expected != answer.size) {
        return (peer, Probe::OtherSize(answer.size));
    }
    let proven = size_proof::prove(&control, peer, id, &answer).await;
    (peer, Probe::Answered(answer, proven))
}

/// Asks `peer` which groups of `id` it holds, within [`protocol::ANSWER_TIMEOUT`] from the substream's opening to
/// the answer ([`protocol::ask`]); keepers use it as a liveness probe.
pub async fn have(
    control: &libp2p_stream::Control,
    peer: PeerId,
    id: ContentHash,
) -> io::Result<Option<HaveAnswer>> {
    protocol::ask(control, peer, Request::Have(id), |stream| {
        Box::pin(protocol::read_have(stream))
    })
    .await
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
    mut complete: watch::Receiver<bool>,
) {
    let mut idle_rounds = 0u32;
    let mut unpaid_since: Option<Instant> = None;
    let mut failures = 0u32;
    let mut failing_since: Option<Instant> = None;
    loop {
        let batch = {
            let mut s = lock(&shared);
            if s.scheduler.is_complete() || s.scheduler.is_banned(&peer) {
                return;
            }
            s.scheduler.next_batch(&peer, Instant::now())
        };
        let Some((batch, ranges)) = batch else {
            // Nothing to ask of this provider now: refresh what it holds (it may be downloading too). One that
            // holds groups still missing (a seed left the groups partial providers do not have) stays, and so
            // does a partial provider, asked again each second: a node that started later has nothing for
            // this one yet, and will.
            let Some(standing) = lock(&shared).scheduler.standing(&peer) else {
                return;
            };
            if standing.seed && !standing.holds_missing {
                idle_rounds += 1;
            }
            if idle_rounds > 150 {
                return;
            }
            let pause = if standing.holds_missing {
                Duration::from_millis(500)
            } else {
                HAVE_REFRESH
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = complete.wait_for(|complete| *complete) => return,
            }
            // A provider that stops answering is given up like one whose requests fail: a waiting worker that
            // ignored failed questions kept a provider that had left in the download for good.
            match refresh(&control, peer, &blob, &shared).await {
                Ok(true) => failing_since = None,
                // Another worker asked it a moment ago: what that answer was shows in the scheduler.
                Ok(false) => {}
                Err(e)
                    if failing_since.get_or_insert_with(Instant::now).elapsed() < IO_PATIENCE =>
                {
                    debug!(%e, "HAVE failed: asking again");
                }
                Err(e) => {
                    warn!(%e, "provider failed");
                    lock(&shared).scheduler.provider_failed(&peer);
                    return;
                }
            }
            continue;
        };
        idle_rounds = 0;
        // A partial provider (another node downloading) is asked what it holds now and then while it serves,
        // so that what it verified since is taken from it rather than from a seed. A failure shows in the
        // request that follows.
        let seed = lock(&shared)
            .scheduler
            .standing(&peer)
            .is_some_and(|s| s.seed);
        if !seed {
            let _ = refresh(&control, peer, &blob, &shared).await;
        }
        let started = Instant::now();
        let on_group = {
            let (shared, label) = (shared.clone(), peer.to_string());
            move |group, len| {
                let mut s = lock(&shared);
                s.scheduler.group_done(&peer, group);
                *s.report.bytes_by_peer.entry(label.clone()).or_default() += len;
            }
        };
        match get_groups(&control, peer, &blob, ranges, &metrics, on_group).await {
            Ok(bytes) => {
                unpaid_since = None;
                failures = 0;
                failing_since = None;
                lock(&shared)
                    .scheduler
                    .batch_finished(&peer, batch, bytes, started.elapsed())
            }
            Err(GetError::Unpaid) => {
                // Receipts lag behind: give them a moment, then give the provider up.
                let gave_up = {
                    let mut s = lock(&shared);
                    s.scheduler.batch_deferred(&peer, batch);
                    let gave_up =
                        unpaid_since.get_or_insert_with(Instant::now).elapsed() > UNPAID_PATIENCE;
                    if gave_up {
                        warn!("provider requires receipts this download does not sign");
                        s.scheduler.provider_failed(&peer);
                        s.report.unpaid.push(peer.to_string());
                    }
                    gave_up
                };
                if gave_up {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
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
            Err(GetError::Io(e))
                if failing_since.get_or_insert_with(Instant::now).elapsed() < IO_PATIENCE =>
            {
                // A refused or reset substream (a provider at its limits drops what it cannot serve): the
                // batch goes back to the pool and the provider is tried again shortly.
                failures += 1;
                debug!(%e, failures, "request failed: retrying");
                lock(&shared).scheduler.batch_deferred(&peer, batch);
                tokio::time::sleep((IO_RETRY_PAUSE * failures).min(IO_RETRY_PAUSE_MAX)).await;
            }
            Err(GetError::Io(e)) => {
                warn!(%e, "provider failed");
                lock(&shared).scheduler.provider_failed(&peer);
                return;
            }
        }
    }
}

/// Asks `peer` again which groups it holds and tells the scheduler, unless another of the download's workers
/// did within [`HAVE_REFRESH`] (then `false`: a skipped question is no sign of life, or two workers taking
/// turns would keep a provider that left for ever); within the answer timeout ([`have`]), as a silent provider
/// would otherwise hold its worker for good. A provider that no longer holds the content fails.
async fn refresh(
    control: &libp2p_stream::Control,
    peer: PeerId,
    blob: &Blob,
    shared: &Mutex<Shared>,
) -> io::Result<bool> {
    {
        let mut s = lock(shared);
        let now = Instant::now();
        match s.have_asked.get(&peer) {
            Some(at) if now.duration_since(*at) < HAVE_REFRESH => return Ok(false),
            _ => s.have_asked.insert(peer, now),
        };
    }
    let answer = have(control, peer, blob.id())
        .await?
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no longer holds the content"))?;
    let mut s = lock(shared);
    // Given up by another worker meanwhile (failed, unpaid): not put back by a late answer.
    if s.scheduler.standing(&peer).is_none() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "given up"));
    }
    s.scheduler.update_provider(peer, answer.present);
    Ok(true)
}

/// Why a `GET` failed.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    /// The provider sent data that does not verify against the content id.
    #[error("data failed verification: {0}")]
    Verification(String),
    /// The provider wants receipts first.
    #[error("the provider requires delivery receipts")]
    Unpaid,
    /// The provider could not be reached, does not hold the groups, or broke the protocol.
    #[error(transparent)]
    Io(io::Error),
}

/// One `GET` of `ranges` from `peer`, decoded and verified into `blob`; calls `on_group(group, bytes)` for
/// every group as it verifies and returns the content bytes stored. Keepers use it to sample a node's
/// storage.
pub async fn get_groups(
    control: &libp2p_stream::Control,
    peer: PeerId,
    blob: &Arc<Blob>,
    ranges: Vec<Range<u64>>,
    metrics: &Arc<Metrics>,
    mut on_group: impl FnMut(u64, u64) + Send + 'static,
) -> Result<u64, GetError> {
    let request = Request::Get(blob.id(), ranges.clone());
    // Within the answer timeout: a provider that took the request and never answered held both of its workers
    // for good, and its advertised groups kept the seeds from sending them (attacker review).
    let sent = protocol::send(control, peer, &request, |stream| {
        Box::pin(protocol::read_get_status(stream))
    });
    let (stream, status) = tokio::time::timeout(protocol::ANSWER_TIMEOUT, sent)
        .await
        .map_err(|_| {
            GetError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "no GET status in time",
            ))
        })?
        .map_err(GetError::Io)?;
    match status {
        GetStatus::Ok => {}
        GetStatus::Missing => {
            return Err(GetError::Io(io::Error::other(
                "provider no longer holds the groups",
            )))
        }
        GetStatus::Unpaid => return Err(GetError::Unpaid),
    }
    // The stream is read on the runtime in large chunks and handed to the blocking decoder through a channel:
    // one thread wake-up per chunk rather than per transport frame.
    let (chunks, reader) = ChunkReader::channel();
    let pump = pump_in(stream, chunks);
    let (blob, metrics) = (blob.clone(), metrics.clone());
    let _active = metrics.transfer_started();
    let decode = tokio::task::spawn_blocking(move || {
        let received = metrics.bytes_in(&peer);
        let mut bytes = 0u64;
        let result = blob.decode(&ranges, reader, |group, len| {
            bytes += len;
            received.inc_by(len);
            metrics.groups_verified.inc();
            on_group(group, len);
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
