//! The apps role: an edge runs PeerHVM edge applications at `<gateway>/a/<app>/<path>`.
//!
//! A call names a registered app; the node reads its record from the chain (cached briefly), gets its code
//! through PeerDTS (or the dApp's origin) verified against the code's content id, compiles it once, and runs the
//! request in [`enreach_hvm`]'s sandbox under the app's limits. Calls are paid: the caller names a client key a
//! dApp authorized and a session, and signs compute receipts as [`enreach_gpow::compute`] says; the response
//! carries what it signs next ([`enreach_gpow::compute_wire`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use bytes::Bytes;
use enreach_dts::{
    network::announce_event,
    store::{Blob, ContentHash},
    transfer::Sources,
};
use enreach_edge_chain::AppRecord;
use enreach_gateway::{AppCall, AppReply, AppRunner, TranscriptSource};
use enreach_gpow::{
    collector::Collector,
    compute::{request_seed, Refusal, Sessions, Totals, Verified},
    compute_ledger::{ComputeWrite, ComputeWriter, RecordedInvocation},
    compute_wire as wire,
    receipts::{Expected, LedgerError},
    replay::CodeSource,
    transcripts::Transcripts,
};
use enreach_hvm::{AppLimits, Execution, Hvm, HvmError, Invocation};
use enreach_primitives::{
    is_valid_app_name, ClientKey, ComputeReceipt, ComputeStep, ContentId, EpochIndex, NodeId,
    SessionId,
};
use futures::future::BoxFuture;
use tracing::{debug, warn};

/// How long an app's chain record is used before it is read again: an upgrade or removal takes effect on
/// every node within this time.
pub const RECORD_TTL: Duration = Duration::from_secs(10);

/// How long the chain's answer that a name has no app is used: long enough that calls of one unknown name cost
/// a chain read every so often rather than each, short enough that an app just deployed is reachable at once.
const UNKNOWN_APP_TTL: Duration = Duration::from_secs(2);

/// App records cached at once (a name that does not exist is cached too, so random names cannot make every
/// call a chain read); past it the record read longest ago makes room, so a flood of names does not push out
/// more than its own number of the apps being called.
const MAX_RECORDS: usize = 4096;

/// Apps' code loading at once (each may wait a minute for a fetch); past it a first call of
/// yet another app is answered `503`. Each is a deployed app's code (a deposit each), so this is room for
/// many apps' first calls at once while bounding what a burst of them holds.
const MAX_LOADING: usize = 64;

/// Compilations at once: compiling takes a core for seconds, and the node's other work (content, the apps it
/// has loaded) needs the rest. Fetches do not wait for it.
const MAX_COMPILATIONS: usize = 1;

/// How long a failed load's answer goes to callers that waited for that load, rather than each of them trying
/// again in turn (a fetch that fails can take a minute); a caller after it tries again.
const LOAD_FAILURE_SHARED_FOR: Duration = Duration::from_secs(5);

/// Request bytes (bodies, paths, headers) the node keeps for keepers' replays per epoch; past it calls are
/// refused until the next epoch. Kept three epochs, so this bounds the disk that requests take.
const MAX_KEPT_PER_EPOCH: u64 = 8 << 30;

/// What one client key's requests may take of [`MAX_KEPT_PER_EPOCH`]: a body costs its dApp few compute units,
/// so without it one paid key could fill the epoch's room and have every other caller refused.
const MAX_KEPT_PER_CLIENT: u64 = MAX_KEPT_PER_EPOCH / 16;

/// How often the apps role reads every deployed app's record and prepares the code it holds.
const PREPARE_EVERY: Duration = Duration::from_secs(10);

/// The apps role of one edge.
pub struct AppService {
    hvm: Arc<Hvm>,
    /// The chain (app records) and where code comes from.
    code: CodeSource,
    collector: Arc<Collector>,
    node: NodeId,
    records: Mutex<Records>,
    sessions: Mutex<Sessions>,
    loads: Loads,
    /// [`MAX_COMPILATIONS`] permits.
    compiling: Arc<tokio::sync::Semaphore>,
    /// Commits receipts and invocations in groups.
    writer: ComputeWriter,
    /// The request bytes kept for replay this epoch.
    kept: Mutex<Kept>,
    /// Testing only: answers every call wrongly (and signs that answer into the transcript), as a node that
    /// skips the work would, so that tests see keepers' replays catch it.
    wrong_answers: bool,
}

/// One request that ran: what the app received, what it answered, and the memory limit it ran with.
struct Ran {
    invocation: Invocation,
    execution: Execution,
    memory_bytes: u64,
}

impl AppService {
    pub fn new(
        hvm: Arc<Hvm>,
        code: CodeSource,
        collector: Arc<Collector>,
        node: NodeId,
        wrong_answers: bool,
    ) -> Arc<Self> {
        let writer = ComputeWriter::start(collector.ledger().clone());
        let terms = Expected {
            genesis_hash: code.chain.genesis_hash(),
            node,
            epoch: 0,
        };
        Arc::new(Self {
            hvm,
            code,
            collector,
            node,
            records: Mutex::new(Records::default()),
            sessions: Mutex::new(Sessions::new(terms)),
            loads: Loads::default(),
            compiling: Arc::new(tokio::sync::Semaphore::new(MAX_COMPILATIONS)),
            writer,
            kept: Mutex::new(Kept::default()),
            wrong_answers,
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, Sessions> {
        lock(&self.sessions)
    }

    /// The app's chain record, from the cache while it is fresh.
    async fn record(&self, name: &str) -> Result<Option<AppRecord>, AppReply> {
        if let Some(record) = lock(&self.records).get(name, Instant::now()) {
            return Ok(record);
        }
        let record = self.code.chain.app(name).await.map_err(|e| {
            warn!(%e, "cannot read an app's record");
            AppReply::text(503, "the chain cannot be read now")
        })?;
        lock(&self.records).insert(name.to_owned(), record.clone(), Instant::now());
        Ok(record)
    }

    /// Makes the app's code ready to run: compiled before, held in the store, or fetched and verified first.
    /// Callers of one app wait for one load of its code; no app's load waits for another's fetch.
    async fn load(&self, code: ContentId) -> Result<(), AppReply> {
        if self.hvm.is_loaded(&code.0) {
            return Ok(());
        }
        self.loads
            .run(code, || self.hvm.is_loaded(&code.0), || self.load_now(code))
            .await
    }

    /// Loads `code`, for the one caller [`Loads`] lets.
    async fn load_now(&self, code: ContentId) -> Result<(), AppReply> {
        let hvm = self.hvm.clone();
        let compiled = tokio::task::spawn_blocking(move || hvm.load_compiled(&code.0)).await;
        if matches!(compiled, Ok(Ok(true))) {
            return Ok(());
        }
        let blob = self
            .code
            .held(&self.hvm, code, Sources::Discover)
            .await
            .map_err(|e| AppReply::text(502, e.to_string()))?;
        let loaded = self
            .compile(blob, move |hvm, wasm| hvm.load(&code.0, wasm))
            .await;
        match loaded {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(AppReply::text(
                502,
                format!("the app's code does not run here: {e}"),
            )),
            Err(e) => Err(AppReply::text(500, format!("loading the app failed: {e}"))),
        }
    }

    /// Runs `compile` (a load or a compilation ahead) on the code in `blob`, off the async runtime, within
    /// [`MAX_COMPILATIONS`]: the permit is held by the compilation itself, so a caller that goes away does not
    /// free it while it runs.
    async fn compile(
        &self,
        blob: Arc<Blob>,
        compile: impl FnOnce(&Hvm, &[u8]) -> Result<(), HvmError> + Send + 'static,
    ) -> Result<Result<(), HvmError>, tokio::task::JoinError> {
        let permit = self
            .compiling
            .clone()
            .acquire_owned()
            .await
            .expect("the compilation semaphore is never closed");
        let hvm = self.hvm.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let wasm = std::fs::read(blob.data_path()).map_err(|e| HvmError::Io(e.to_string()))?;
            compile(&hvm, &wasm)
        })
        .await
    }

    /// Keeps every deployed app ready for its first call here: its record read (the cache is refreshed with
    /// all apps' records every [`PREPARE_EVERY`], so a call reads the chain only for an app deployed since), and
    /// the code of those whose code this node holds (fetched for an earlier call, published here, or prefetched
    /// where a router expects the app's demand to rise) compiled and loaded, so a first call runs at once.
    /// Code it does not hold is left to the first call, which fetches it: deploying an app makes no node
    /// download anything. One compilation at a time, shared with the calls' loads ([`MAX_COMPILATIONS`]); code
    /// that does not compile is remembered as such and not tried again. Loading stops at half the apps the
    /// node keeps in memory, leaving the rest to the apps being called.
    pub async fn prepare_ahead(self: Arc<Self>) {
        loop {
            match self.code.chain.apps().await {
                Ok(apps) => {
                    let now = Instant::now();
                    let mut codes: Vec<ContentId> = Vec::new();
                    {
                        let mut records = lock(&self.records);
                        for (name, record) in apps.into_iter().take(MAX_RECORDS) {
                            codes.push(record.code);
                            records.insert(name, Some(record), now);
                        }
                    }
                    codes.sort();
                    codes.dedup();
                    for code in codes {
                        self.compile_one_ahead(code).await;
                        self.load_ahead(code).await;
                    }
                }
                Err(e) => debug!(%e, "cannot list the apps"),
            }
            tokio::time::sleep(PREPARE_EVERY).await;
        }
    }

    /// Loads compiled `code` into memory while there is room for it beside the apps being called.
    async fn load_ahead(&self, code: ContentId) {
        if self.hvm.is_loaded(&code.0)
            || !self.hvm.is_compiled(&code.0)
            || self.hvm.loaded_count() >= self.hvm.caps().loaded_apps / 2
        {
            return;
        }
        let hvm = self.hvm.clone();
        let loaded = tokio::task::spawn_blocking(move || hvm.load_compiled(&code.0)).await;
        if !matches!(loaded, Ok(Ok(true))) {
            debug!(code = %hex::encode(code.0), "compiled app code did not load ahead");
        }
    }

    async fn compile_one_ahead(&self, code: ContentId) {
        if self.hvm.is_loaded(&code.0) || self.hvm.is_compiled(&code.0) {
            return;
        }
        let Some(blob) = self
            .code
            .store
            .get(&ContentHash::from_bytes(code.0))
            .filter(|b| b.is_complete())
        else {
            return;
        };
        let compiled = self
            .compile(blob, move |hvm, wasm| hvm.compile_ahead(&code.0, wasm))
            .await;
        match compiled {
            Ok(Ok(())) => {
                self.load_ahead(code).await;
                announce_event(serde_json::json!({
                    "event": "app_code_compiled",
                    "code": hex::encode(code.0),
                    "loaded": self.hvm.is_loaded(&code.0),
                }))
            }
            Ok(Err(e)) => {
                debug!(code = %hex::encode(code.0), %e, "app code held here does not compile")
            }
            Err(e) => warn!(%e, "compiling app code ahead panicked"),
        }
    }

    /// Answers a call. What needs no chain read is checked first (the name, the session headers), then the
    /// client key, and only then the app's record: a caller without a paying key costs at most the (cached)
    /// question whether its key is paid for, however many app names it tries.
    async fn serve(&self, call: AppCall) -> AppReply {
        if !is_valid_app_name(call.app.as_bytes()) {
            return AppReply::text(404, "no such app");
        }
        let (client, session, receipt) = match paid_session(&call) {
            Ok(paid) => paid,
            Err(reply) => return reply,
        };
        match self.collector.authorized(client).await {
            Ok(true) => {}
            Ok(false) => return AppReply::text(403, "no dApp pays for this client key"),
            Err(()) => return AppReply::text(503, "the chain cannot be read now"),
        }
        let record = match self.record(&call.app).await {
            Ok(Some(record)) => record,
            Ok(None) => return AppReply::text(404, "no such app"),
            Err(reply) => return reply,
        };
        let Some(terms) = self.collector.terms() else {
            return AppReply::text(503, "this node is not serving an epoch yet");
        };
        let expected = Expected {
            genesis_hash: terms.genesis_hash,
            node: self.node,
            epoch: terms.epoch,
        };
        // Checked before the sessions are locked: calls verify their receipts side by side.
        let receipt = match receipt.map(Verified::check).transpose() {
            Ok(receipt) => receipt,
            Err(refusal) => return refused(refusal, &expected),
        };
        let (admitted, epoch_ended) = {
            let mut sessions = self.sessions();
            let epoch_ended = sessions.terms().epoch != terms.epoch;
            if epoch_ended {
                sessions.next_epoch(terms.epoch);
            }
            let admitted = sessions
                .begin(client, session, record.code, receipt)
                .map(|totals| (totals, sessions.unledgered(client, session)));
            (admitted, epoch_ended)
        };
        if epoch_ended {
            // The ended epoch's receipts go into its work report: durable before that.
            let ledger = self.collector.ledger().clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || ledger.sync()).await {
                warn!(%e, "making the ended epoch's compute receipts durable failed");
            }
        }
        let (totals, unledgered) = match admitted {
            Ok(admitted) => admitted,
            Err(refusal) => return refused(refusal, &expected),
        };
        // The receipt the call brought is in the journal before the request it pays ahead for runs: a node
        // that is killed loses no receipt it served on.
        if let Some((receipt, from, steps)) = unledgered {
            let requests = receipt.requests;
            let write = ComputeWrite::Receipt {
                receipt,
                from,
                steps,
            };
            match self.writer.write(write) {
                Ok(()) | Err(LedgerError::NotNewer) => {
                    self.sessions().ledgered(client, session, requests)
                }
                Err(e) => {
                    warn!(%e, "recording a compute receipt failed");
                    self.sessions().abandon(client, session);
                    return AppReply::text(503, "this node cannot record receipts now");
                }
            }
        }
        let index = totals.requests;
        let ran = if lock(&self.kept).reserve(terms.epoch, client, kept_bytes(&call)) {
            let ran = self.run(&call, &record, client, session, index).await;
            if ran.is_err() {
                // Nothing ran, so nothing is kept: the room goes back.
                lock(&self.kept).release(terms.epoch, client, kept_bytes(&call));
            }
            ran
        } else {
            Err(AppReply::text(
                507,
                "this node keeps no more requests for replay this epoch",
            ))
        };
        let ran = match ran {
            Ok(ran) => ran,
            Err(reply) => {
                self.sessions().abandon(client, session);
                return reply;
            }
        };
        let Ran {
            invocation,
            mut execution,
            memory_bytes,
        } = ran;
        if self.wrong_answers {
            execution.body = Bytes::from([&execution.body[..], b" (wrong)"].concat());
        }
        // In the journal before the answer leaves, so before any later receipt of the session: a step a client
        // signs is one the node can hand a keeper to replay. If it is lost (a full disk), only this node pays,
        // failing a replay that samples it.
        let kept = self.writer.write(ComputeWrite::Invocation {
            epoch: terms.epoch,
            client,
            session,
            index,
            record: RecordedInvocation::new(&invocation, memory_bytes),
        });
        if let Err(e) = kept {
            warn!(%e, "keeping an invocation for replay failed");
        }
        let mut sessions = self.sessions();
        let step = ComputeStep {
            invocation: invocation.hash(),
            response: execution.response_hash(),
            units: execution.compute_units,
            replayable: execution.is_replayable(),
        };
        let Some(totals) = sessions.finish(client, session, step) else {
            return AppReply::text(
                409,
                "the session ended while the request ran (a new epoch began)",
            );
        };
        let Execution {
            status,
            headers,
            body,
            ..
        } = execution;
        let metered = Metered {
            terms: &expected,
            code: record.code,
            time: invocation.time,
            step: &step,
            totals: &totals,
        };
        let headers = metered_headers(headers, &metered);
        AppReply {
            status,
            headers,
            body,
        }
    }

    /// Runs one admitted request.
    async fn run(
        &self,
        call: &AppCall,
        record: &AppRecord,
        client: ClientKey,
        session: SessionId,
        index: u32,
    ) -> Result<Ran, AppReply> {
        self.load(record.code).await?;
        let invocation = Invocation {
            method: call.method.clone(),
            path_and_query: call.path_and_query.clone(),
            headers: call
                .headers
                .iter()
                .filter(|(name, _)| !wire::is_session_header(name))
                .cloned()
                .collect(),
            body: Bytes::clone(&call.body),
            time: invocation_time(SystemTime::now()),
            seed: request_seed(&client, &session, index),
        };
        let limits = AppLimits {
            memory_bytes: u64::from(record.limits.memory_mib) << 20,
            compute_units: record.limits.compute_units,
            wall_time: Duration::from_millis(u64::from(record.limits.wall_ms)),
        };
        let origins: Arc<[String]> = record.origin_urls().into();
        let memory_bytes = self.hvm.caps().apply(limits).memory_bytes;
        match self
            .hvm
            .invoke(&record.code.0, limits, origins, &invocation)
            .await
        {
            Ok(execution) => Ok(Ran {
                invocation,
                execution,
                memory_bytes,
            }),
            Err(HvmError::Busy) => Err(AppReply::text(
                503,
                "every instance slot of this node is busy",
            )),
            Err(e @ HvmError::RequestTooLarge(_)) => Err(AppReply::text(413, e.to_string())),
            Err(e @ HvmError::InvalidRequest(_)) => Err(AppReply::text(400, e.to_string())),
            Err(e) => Err(AppReply::text(500, e.to_string())),
        }
    }
}

/// The client key, session and receipt a call names, read from its headers alone.
fn paid_session(
    call: &AppCall,
) -> Result<(ClientKey, SessionId, Option<ComputeReceipt>), AppReply> {
    let header = |name: &str| {
        call.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    };
    let (Some(client), Some(session)) = (
        header(wire::CLIENT).and_then(wire::parse_client),
        header(wire::SESSION).and_then(wire::parse_session),
    ) else {
        return Err(AppReply::text(
            401,
            "calls are paid: name your client key and session (enreach-client, enreach-session)",
        ));
    };
    match header(wire::RECEIPT).map(wire::parse_receipt) {
        Some(None) => Err(AppReply::text(
            400,
            "the enreach-receipt header does not decode",
        )),
        receipt => Ok((client, session, receipt.flatten())),
    }
}

/// The node's answers to its keepers' queries, served by the gateway.
pub struct TranscriptAnswers(pub Transcripts);

impl TranscriptSource for TranscriptAnswers {
    fn answer(&self, query: Bytes) -> BoxFuture<'_, Result<Vec<u8>, (u16, String)>> {
        Box::pin(async move {
            self.0
                .answer(&query)
                .await
                .map_err(|e| (e.status(), e.to_string()))
        })
    }
}

/// The request bytes kept for replay in one epoch, in all and per client key.
#[derive(Default)]
struct Kept {
    epoch: EpochIndex,
    total: u64,
    per_client: HashMap<ClientKey, u64>,
}

impl Kept {
    /// Counts `bytes` of `client`'s request against the room of `epoch` ([`MAX_KEPT_PER_EPOCH`], and
    /// [`MAX_KEPT_PER_CLIENT`] for each key); `false` once either is full.
    fn reserve(&mut self, epoch: EpochIndex, client: ClientKey, bytes: u64) -> bool {
        if self.epoch != epoch {
            *self = Self {
                epoch,
                ..Self::default()
            };
        }
        let of_client = self.per_client.get(&client).copied().unwrap_or(0);
        if self.total + bytes > MAX_KEPT_PER_EPOCH || of_client + bytes > MAX_KEPT_PER_CLIENT {
            return false;
        }
        self.total += bytes;
        self.per_client.insert(client, of_client + bytes);
        true
    }

    /// Gives back what [`Self::reserve`] counted for a request that did not run.
    fn release(&mut self, epoch: EpochIndex, client: ClientKey, bytes: u64) {
        if self.epoch == epoch {
            self.total = self.total.saturating_sub(bytes);
            if let Some(of_client) = self.per_client.get_mut(&client) {
                *of_client = of_client.saturating_sub(bytes);
            }
        }
    }
}

/// The bytes of `call` the node keeps for replay.
fn kept_bytes(call: &AppCall) -> u64 {
    let headers: usize = call.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    (call.body.len() + call.path_and_query.len() + headers) as u64
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The answer of a code's latest failed load, and when it was given.
type LastFailure = Option<(Instant, AppReply)>;

/// Loads of apps' code in progress, one per code id and at most [`MAX_LOADING`]: the callers of an app whose
/// code is loading wait for that one load (and share its failure), and nothing waits for another app's.
#[derive(Default)]
struct Loads(Mutex<HashMap<ContentId, Arc<tokio::sync::Mutex<LastFailure>>>>);

impl Loads {
    /// Runs `load` of `code` unless `loaded()` after waiting for a load of it that is in progress, or that load
    /// failed less than [`LOAD_FAILURE_SHARED_FOR`] ago (its answer is given again).
    async fn run<F>(
        &self,
        code: ContentId,
        loaded: impl Fn() -> bool,
        load: impl FnOnce() -> F,
    ) -> Result<(), AppReply>
    where
        F: std::future::Future<Output = Result<(), AppReply>>,
    {
        let flight = {
            let mut flights = lock(&self.0);
            match flights.get(&code) {
                Some(flight) => flight.clone(),
                None if flights.len() >= MAX_LOADING => {
                    return Err(AppReply::text(
                        503,
                        "too many apps are loading on this node now",
                    ))
                }
                None => flights.entry(code).or_default().clone(),
            }
        };
        let _leave = Leave {
            loads: self,
            code,
            flight: &flight,
        };
        let mut last_failure = flight.lock().await;
        if loaded() {
            return Ok(());
        }
        if let Some((at, reply)) = &*last_failure {
            if at.elapsed() < LOAD_FAILURE_SHARED_FOR {
                return Err(reply.clone());
            }
        }
        let loaded = load().await;
        if let Err(reply) = &loaded {
            *last_failure = Some((Instant::now(), reply.clone()));
        }
        loaded
    }
}

/// Removes a code's entry from [`Loads`] when its last caller leaves (also a caller that went away while it
/// waited), so the map holds only loads someone waits for.
struct Leave<'a> {
    loads: &'a Loads,
    code: ContentId,
    flight: &'a Arc<tokio::sync::Mutex<LastFailure>>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        let mut flights = lock(&self.loads.0);
        // The map's handle and this caller's: nobody else waits. New callers take a handle under this lock.
        if Arc::strong_count(self.flight) == 2 {
            flights.remove(&self.code);
        }
    }
}

/// App records (or the absence of one) as the chain last answered, at most [`MAX_RECORDS`] names.
#[derive(Default)]
struct Records(HashMap<String, (Instant, Option<AppRecord>)>);

impl Records {
    /// The answer about `name`, if it is still fresh at `now`.
    fn get(&self, name: &str, now: Instant) -> Option<Option<AppRecord>> {
        let (at, record) = self.0.get(name)?;
        let ttl = if record.is_some() {
            RECORD_TTL
        } else {
            UNKNOWN_APP_TTL
        };
        (now.saturating_duration_since(*at) < ttl).then(|| record.clone())
    }

    /// Remembers the chain's answer about `name`, read at `now`; when full, forgets the answer read longest
    /// ago (a scan of the cache, small beside the chain read that comes before every insert).
    fn insert(&mut self, name: String, record: Option<AppRecord>, now: Instant) {
        if self.0.len() >= MAX_RECORDS && !self.0.contains_key(&name) {
            let oldest = self
                .0
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(name, _)| name.clone());
            if let Some(oldest) = oldest {
                self.0.remove(&oldest);
            }
        }
        self.0.insert(name, (now, record));
    }
}

/// What a response tells the client about the request it metered.
struct Metered<'a> {
    terms: &'a Expected,
    code: ContentId,
    time: Duration,
    step: &'a ComputeStep,
    totals: &'a Totals,
}

/// The app's response headers with what the client signs next. Those come from this node only: an app's own
/// `enreach-*` headers would stand beside (and could be read instead of) the real ones.
fn metered_headers(
    mut headers: Vec<(String, Vec<u8>)>,
    metered: &Metered,
) -> Vec<(String, Vec<u8>)> {
    headers.retain(|(name, _)| !wire::is_session_header(&name.to_ascii_lowercase()));
    headers.push((
        wire::TERMS.into(),
        wire::encode_terms(metered.terms).into_bytes(),
    ));
    headers.push((wire::CODE.into(), hex::encode(metered.code.0).into_bytes()));
    headers.push((
        wire::STEP.into(),
        wire::encode_step(metered.step).into_bytes(),
    ));
    headers.push((
        wire::TOTALS.into(),
        wire::encode_totals(metered.totals).into_bytes(),
    ));
    headers.push((
        wire::TIME.into(),
        wire::encode_time(metered.time).into_bytes(),
    ));
    headers
}

/// The time an invocation's wall clock starts at: `now` in whole seconds since the Unix epoch. The node picks
/// it, and a keeper's replay takes it from the invocation, so whole seconds leave the node one choice per
/// second (not a billion) of a time that could change what the app does and burns; the response names it.
fn invocation_time(now: SystemTime) -> Duration {
    Duration::from_secs(now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs())
}

fn refused(refusal: Refusal, terms: &Expected) -> AppReply {
    let status = match refusal {
        Refusal::ReceiptRequired => 402,
        Refusal::Busy => 409,
        Refusal::TooManySessions => 429,
        Refusal::SessionFull
        | Refusal::OtherApp
        | Refusal::BadReceipt
        | Refusal::ReceiptMismatch => 400,
    };
    let mut reply = AppReply::text(status, refusal.to_string());
    reply
        .headers
        .push((wire::TERMS.into(), wire::encode_terms(terms).into_bytes()));
    reply
}

impl AppRunner for AppService {
    fn call(&self, call: AppCall) -> BoxFuture<'_, AppReply> {
        Box::pin(self.serve(call))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use enreach_primitives::NodeId;

    fn app_record(version: u32) -> AppRecord {
        AppRecord {
            owner: [1; 32],
            code: ContentId([2; 32]),
            version,
            limits: enreach_primitives::AppLimits {
                memory_mib: 64,
                compute_units: 1_000_000,
                wall_ms: 1_000,
            },
            origins: Vec::new(),
        }
    }

    #[test]
    fn a_flood_of_names_pushes_out_only_the_oldest_records() {
        let start = Instant::now();
        let at = |n: usize| start + Duration::from_micros(n as u64 + 1);
        let mut records = Records::default();
        records.insert("called".into(), Some(app_record(1)), start);
        for n in 0..MAX_RECORDS {
            records.insert(format!("unknown-{n}"), None, at(n));
            // The app being called is read again when its record is due, and is then among the newest.
            if n == MAX_RECORDS / 2 {
                records.insert("called".into(), Some(app_record(2)), at(n));
            }
        }
        let now = at(MAX_RECORDS);
        assert_eq!(records.0.len(), MAX_RECORDS, "bounded");
        assert_eq!(
            records.get("called", now),
            Some(Some(app_record(2))),
            "not emptied when full"
        );
        assert_eq!(records.get("unknown-0", now), None, "the oldest went");
        assert_eq!(
            records.get(&format!("unknown-{}", MAX_RECORDS - 1), now),
            Some(None)
        );
    }

    #[test]
    fn a_call_without_a_session_is_answered_from_its_headers() {
        let call = |headers: &[(&str, &str)]| AppCall {
            app: "stats".into(),
            method: "GET".into(),
            path_and_query: "/".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: Bytes::new(),
        };
        let (client, session) = ("ab".repeat(32), "cd".repeat(16));
        let status =
            |headers: &[(&str, &str)]| paid_session(&call(headers)).err().map(|r| r.status);
        assert_eq!(status(&[]), Some(401));
        assert_eq!(status(&[(wire::CLIENT, &client)]), Some(401));
        assert_eq!(
            status(&[(wire::CLIENT, "not hex"), (wire::SESSION, &session)]),
            Some(401)
        );
        let named = [(wire::CLIENT, client.as_str()), (wire::SESSION, &session)];
        assert_eq!(status(&named), None);
        assert_eq!(
            status(&[named[0], named[1], (wire::RECEIPT, "00")]),
            Some(400)
        );
    }

    #[tokio::test]
    async fn an_app_whose_code_cannot_be_fetched_holds_up_only_its_own_callers() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let loads = Arc::new(Loads::default());
        let (stuck, other) = (ContentId([1; 32]), ContentId([2; 32]));
        let attempts = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let released = futures::FutureExt::shared(released);
        // Two callers of an app whose code is being fetched: one load for both, and they share its failure.
        let callers: Vec<_> = (0..2)
            .map(|_| {
                let (loads, attempts, released) =
                    (loads.clone(), attempts.clone(), released.clone());
                tokio::spawn(async move {
                    loads
                        .run(
                            stuck,
                            || false,
                            || async {
                                attempts.fetch_add(1, Ordering::SeqCst);
                                let _ = released.await;
                                Err(AppReply::text(502, "the app's code cannot be fetched now"))
                            },
                        )
                        .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        // Meanwhile another app loads at once.
        let done = AtomicBool::new(false);
        let ran = tokio::time::timeout(
            Duration::from_secs(5),
            loads.run(
                other,
                || done.load(Ordering::SeqCst),
                || async {
                    done.store(true, Ordering::SeqCst);
                    Ok(())
                },
            ),
        )
        .await;
        assert_eq!(ran, Ok(Ok(())), "another app's load did not wait");
        release.send(()).unwrap();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap_err().status, 502);
        }
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            1,
            "one load for both callers"
        );
        assert!(
            lock(&loads.0).is_empty(),
            "nothing is kept once nobody waits"
        );
    }

    #[tokio::test]
    async fn loads_in_progress_are_bounded() {
        let loads = Arc::new(Loads::default());
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let released = futures::FutureExt::shared(released);
        let pending: Vec<_> = (0..MAX_LOADING)
            .map(|n| {
                let (loads, released) = (loads.clone(), released.clone());
                let mut code = [0; 32];
                code[..8].copy_from_slice(&(n as u64).to_le_bytes());
                tokio::spawn(async move {
                    loads
                        .run(
                            ContentId(code),
                            || false,
                            || async {
                                let _ = released.await;
                                Ok(())
                            },
                        )
                        .await
                })
            })
            .collect();
        while lock(&loads.0).len() < MAX_LOADING {
            tokio::task::yield_now().await;
        }
        let refused = loads
            .run(ContentId([0xff; 32]), || false, || async { Ok(()) })
            .await;
        assert_eq!(refused.unwrap_err().status, 503);
        release.send(()).unwrap();
        for load in pending {
            load.await.unwrap().unwrap();
        }
        assert!(lock(&loads.0).is_empty());
    }

    /// A paid key whose requests carry big bodies (which cost its dApp few compute units) fills only its own
    /// share of the room the node keeps for replays; the other callers are still served, and a new epoch
    /// starts afresh.
    #[test]
    fn one_client_cannot_take_the_room_kept_for_everyone_s_replays() {
        let mut kept = Kept::default();
        let (hog, other) = (ClientKey([1; 32]), ClientKey([2; 32]));
        let body = 4 << 20;
        let mut served = 0;
        while kept.reserve(5, hog, body) {
            served += body;
        }
        assert_eq!(served, MAX_KEPT_PER_CLIENT);
        assert!(kept.reserve(5, other, body));
        // What did not run is given back.
        kept.release(5, hog, body);
        assert!(kept.reserve(5, hog, body));
        assert!(kept.reserve(6, hog, body));
        // Sixteen keys at their share fill the epoch's room.
        let mut kept = Kept::default();
        for key in 0..16u8 {
            assert!(kept.reserve(7, ClientKey([key; 32]), MAX_KEPT_PER_CLIENT));
        }
        assert!(!kept.reserve(7, ClientKey([99; 32]), 1));
    }

    #[test]
    fn an_unknown_name_is_asked_about_again_sooner_than_an_app() {
        let start = Instant::now();
        let mut records = Records::default();
        records.insert("app".into(), Some(app_record(1)), start);
        records.insert("none".into(), None, start);
        let after = start + UNKNOWN_APP_TTL;
        assert_eq!(records.get("none", after), None);
        assert_eq!(records.get("app", after), Some(Some(app_record(1))));
        assert_eq!(records.get("app", start + RECORD_TTL), None);
    }

    #[test]
    fn an_app_cannot_forge_what_its_callers_sign() {
        let terms = Expected {
            genesis_hash: [1; 32],
            node: NodeId([2; 32]),
            epoch: 3,
        };
        let step = ComputeStep {
            invocation: [4; 32],
            response: [5; 32],
            units: 1_000,
            replayable: true,
        };
        let totals = Totals {
            requests: 1,
            units: 1_000,
            transcript: [6; 32],
        };
        let forged = vec![
            ("content-type".to_owned(), b"text/plain".to_vec()),
            ("Enreach-Totals".to_owned(), b"1.1.0000".to_vec()),
            ("enreach-step".to_owned(), b"forged".to_vec()),
            ("enreach-time".to_owned(), b"0".to_vec()),
        ];
        let time = invocation_time(UNIX_EPOCH + Duration::from_millis(1_700_000_000_999));
        assert_eq!(time, Duration::from_secs(1_700_000_000), "whole seconds");
        let metered = Metered {
            terms: &terms,
            code: ContentId([7; 32]),
            time,
            step: &step,
            totals: &totals,
        };
        let headers = metered_headers(forged, &metered);
        let values = |name: &str| -> Vec<&[u8]> {
            headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_slice())
                .collect()
        };
        assert_eq!(
            values(wire::TOTALS),
            [wire::encode_totals(&totals).as_bytes()]
        );
        assert_eq!(values(wire::STEP), [wire::encode_step(&step).as_bytes()]);
        assert_eq!(values(wire::TIME), [&b"1700000000"[..]]);
        assert_eq!(values("content-type"), [&b"text/plain"[..]]);
    }
}
