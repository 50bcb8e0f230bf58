//! One request of one application: a fresh instance, a sandbox seeded by the request, the app's limits, and an
//! [`Execution`] that says what the app answered and how many compute units it burned.

use std::{collections::HashMap, path::Path, sync::Arc, sync::Mutex, time::Duration};

use bytes::Bytes;
use codec::{Decode, Encode};
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::Semaphore;
use wasmtime::{component::Linker, Engine, Store, Trap};
use wasmtime_wasi_http::{
    bindings::{http::types::Scheme, ProxyPre},
    WasiHttpView,
};

use crate::{
    cache::{CodeCache, CodeId},
    engine::{self, EpochTicker, FUEL_YIELD_INTERVAL},
    inference::Models,
    limits::{AppLimits, NodeCaps},
    sandbox::Sandbox,
    HvmError,
};

/// Time past a request's wall-time limit the node waits for the instance to notice its epoch deadline before
/// stopping it: an app blocked in a host call (waiting on a timer or an outgoing request) never reaches one.
const WALL_TIME_GRACE: Duration = Duration::from_millis(500);

/// A request as the app receives it, complete: its hash goes in the client's compute receipt and a keeper
/// replays it byte for byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub method: String,
    /// Path (as the app sees it, without the gateway's `/a/<app>` prefix) and query.
    pub path_and_query: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
    /// The time the app's wall clock starts at, since the Unix epoch.
    pub time: Duration,
    /// The seed of the app's randomness.
    pub seed: [u8; 32],
}

impl Invocation {
    /// A hash of every field, length-prefixed so that no two invocations share an encoding.
    pub fn hash(&self) -> [u8; 32] {
        let mut h = Hasher::new("enreach hvm invocation");
        h.field(self.method.as_bytes());
        h.field(self.path_and_query.as_bytes());
        h.headers(&self.headers);
        h.field(&self.body);
        h.field(&self.time.as_nanos().to_le_bytes());
        h.field(&self.seed);
        h.finish()
    }
}

/// SCALE, field by field in declaration order (the time in whole nanoseconds): what the node keeps for a
/// replay and hands to a keeper, which checks its [`Invocation::hash`] against the signed transcript.
impl Encode for Invocation {
    fn encode_to<T: codec::Output + ?Sized>(&self, dest: &mut T) {
        self.method.encode_to(dest);
        self.path_and_query.encode_to(dest);
        self.headers.encode_to(dest);
        self.body.as_ref().encode_to(dest);
        (self.time.as_nanos() as u64).encode_to(dest);
        self.seed.encode_to(dest);
    }
}

impl Decode for Invocation {
    fn decode<I: codec::Input>(input: &mut I) -> Result<Self, codec::Error> {
        Ok(Self {
            method: Decode::decode(input)?,
            path_and_query: Decode::decode(input)?,
            headers: Decode::decode(input)?,
            body: Bytes::from(Vec::<u8>::decode(input)?),
            time: Duration::from_nanos(u64::decode(input)?),
            seed: Decode::decode(input)?,
        })
    }
}

/// How a request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The app answered.
    Answered,
    /// The app reached its compute-unit limit; it is billed the whole limit.
    OutOfCompute,
    /// The app asked for memory past its limit and trapped.
    OutOfMemory,
    /// The app trapped (a panic, an unreachable, an invalid host call).
    Trapped(String),
    /// The app ended without setting a response.
    NoResponse,
    /// The app ran or waited past its wall-time limit. Wall time depends on the machine, so this outcome
    /// cannot be replayed: the compute units burned until the stop are billed as measured (waiting included,
    /// whatever it burned before), on the client's signature alone.
    TimedOut,
    /// The app's response (headers and body) passed the node's limit and was cut off; the instance is stopped
    /// then and billed what it burned until that moment.
    ResponseTooLarge,
    /// The app recursed past the native stack: how deep that is depends on the machine's compiled frames, so
    /// this outcome, like a wall-time stop, cannot be replayed.
    StackOverflow,
}

impl Outcome {
    /// Whether this outcome can be reached again by a replay (see [`Execution::is_replayable`], which also
    /// asks whether the app saw the real world).
    pub fn is_replayable(&self) -> bool {
        !matches!(
            self,
            Outcome::TimedOut | Outcome::ResponseTooLarge | Outcome::StackOverflow
        )
    }
}

/// What a request produced: the answer given to the client (the app's, or the node's explanation of why there
/// is none) and its cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    pub outcome: Outcome,
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
    /// Fuel the request burned: WebAssembly operations, the same on every node.
    pub compute_units: u64,
    /// Time taken to set up the request's instance (machine-dependent: in no hash, for metrics and benchmarks).
    pub instantiation: Duration,
    /// Whether the app subscribed to a timer or sent an outgoing request: how much real time passed and what
    /// an origin answered are not in the invocation, so a replay may answer or bill otherwise, and such an
    /// execution is not replayable ([`Self::is_replayable`]).
    pub external_inputs: bool,
    /// Models the app named that this node could not run: [`Hvm::invoke`] fetches them and runs the request
    /// again, so this is non-empty only when that failed. The node's own state, not the app's doing.
    pub missing_models: Vec<[u8; 32]>,
    /// Whether a model ran for the app (`enreach:ai/inference`).
    pub models_used: bool,
}

impl Execution {
    /// Whether a replay on any node must reach the same outcome, answer and compute units: what keepers may
    /// replay. Otherwise the execution is billed on the client's signature alone.
    pub fn is_replayable(&self) -> bool {
        self.outcome.is_replayable() && !self.external_inputs
    }
    /// A hash of the answer: what a receipt signs and what a replay must reproduce.
    pub fn response_hash(&self) -> [u8; 32] {
        let mut h = Hasher::new("enreach hvm response");
        h.field(&self.status.to_le_bytes());
        h.headers(&self.headers);
        h.field(&self.body);
        h.finish()
    }

    fn failed(outcome: Outcome, status: u16, message: String, compute_units: u64) -> Self {
        let headers = vec![(
            "content-type".to_owned(),
            b"text/plain; charset=utf-8".to_vec(),
        )];
        Self {
            outcome,
            status,
            headers,
            body: Bytes::from(message),
            compute_units,
            instantiation: Duration::ZERO,
            external_inputs: false,
            missing_models: Vec::new(),
            models_used: false,
        }
    }
}

/// The PeerHVM of one node: its engine, its compiled apps and its instance slots.
pub struct Hvm {
    engine: Engine,
    linker: Linker<Sandbox>,
    cache: CodeCache,
    caps: NodeCaps,
    ready: Mutex<Ready>,
    /// Instance slots; a permit lives in the instance's task, so a slot is free only once its instance is gone.
    slots: Arc<Semaphore>,
    /// Instances alive per app, held under `NodeCaps::app_instance_cap`.
    per_app: Arc<Mutex<HashMap<CodeId, u32>>>,
    /// The models apps may run (`enreach:ai/inference`); without them, an app's call is told the node runs none.
    models: Option<Arc<dyn Models>>,
    _ticker: EpochTicker,
}

impl Hvm {
    /// PeerHVM with compiled code kept in `cache_dir`.
    pub fn new(caps: NodeCaps, cache_dir: &Path) -> Result<Self, HvmError> {
        let engine =
            engine::engine(&caps).map_err(|e| HvmError::Io(format!("starting wasmtime: {e:#}")))?;
        let mut linker = Linker::new(&engine);
        // Everything WASI 0.2 defines, not only the proxy world: components from today's toolchains import
        // wasi:cli (environment, exit, stdio) too. The sandbox gives them an empty environment, no arguments,
        // no preopened directories and no sockets.
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .and_then(|()| wasmtime_wasi_http::add_only_http_to_linker_async(&mut linker))
            .and_then(|()| crate::sandbox::link_timers(&mut linker))
            .and_then(|()| crate::inference::link(&mut linker))
            .map_err(|e| HvmError::Io(format!("linking WASI: {e:#}")))?;
        Ok(Self {
            cache: CodeCache::open(engine.clone(), &caps, cache_dir)?,
            _ticker: EpochTicker::start(engine.clone()),
            slots: Arc::new(Semaphore::new(caps.instances as usize)),
            per_app: Arc::default(),
            models: None,
            ready: Mutex::new(Ready::default()),
            engine,
            linker,
            caps,
        })
    }

    /// PeerHVM whose apps run the models `models` finds.
    pub fn with_models(mut self, models: Arc<dyn Models>) -> Self {
        self.models = Some(models);
        self
    }

    pub fn caps(&self) -> &NodeCaps {
        &self.caps
    }

    /// Whether `id` is ready to run.
    pub fn is_loaded(&self, id: &CodeId) -> bool {
        self.ready.lock().expect("hvm lock").apps.contains_key(id)
    }

    /// How many apps are ready to run (at most [`NodeCaps::loaded_apps`]).
    pub fn loaded_count(&self) -> usize {
        self.ready.lock().expect("hvm lock").apps.len()
    }

    /// Refuses code of `size` bytes if it is over the node's cap: what the apps role asks with the chain's
    /// size of an app's content, before fetching it.
    pub fn check_code_size(&self, size: u64) -> Result<(), HvmError> {
        let limit = self.caps.code_bytes;
        if size > limit as u64 {
            return Err(HvmError::CodeTooLarge { size, limit });
        }
        Ok(())
    }

    /// Makes `id` ready from this node's compiled code, if it compiled it before; false if it did not.
    pub fn load_compiled(&self, id: &CodeId) -> Result<bool, HvmError> {
        match self.cache.get(id) {
            Some(component) => self.prepare(id, &component).map(|()| true),
            None => Ok(false),
        }
    }

    /// Whether `id` is compiled on this node's disk (or was refused on this build): its first request then
    /// only loads it.
    pub fn is_compiled(&self, id: &CodeId) -> bool {
        self.cache.is_settled(id)
    }

    /// Compiles `wasm` as `id` onto disk (seconds of CPU: call it off the async runtime) without making it
    /// ready, so compiling apps ahead of their calls does not push the apps in use out of memory.
    pub fn compile_ahead(&self, id: &CodeId, wasm: &[u8]) -> Result<(), HvmError> {
        self.check_code_size(wasm.len() as u64)?;
        self.cache.compile(id, wasm).map(drop)
    }

    /// Checks `wasm` against `id`, compiles it (seconds of CPU: call it off the async runtime) and makes it
    /// ready. A component that imports what PeerHVM does not provide is refused here, not at its first request.
    pub fn load(&self, id: &CodeId, wasm: &[u8]) -> Result<(), HvmError> {
        self.check_code_size(wasm.len() as u64)?;
        if self.load_compiled(id)? {
            return Ok(());
        }
        let component = self.cache.compile(id, wasm)?;
        self.prepare(id, &component)
    }

    fn prepare(
        &self,
        id: &CodeId,
        component: &wasmtime::component::Component,
    ) -> Result<(), HvmError> {
        let pre = self
            .linker
            .instantiate_pre(component)
            .and_then(ProxyPre::new)
            .map_err(|e| HvmError::InvalidComponent(format!("{e:#}")))?;
        self.ready
            .lock()
            .expect("hvm lock")
            .insert(*id, pre, self.caps.loaded_apps);
        Ok(())
    }

    /// Runs `invocation` on app `id` within `limits` (lowered to the node's caps), with outgoing HTTP allowed
    /// to `origins` only. An app that named models the node did not hold has them fetched (within
    /// [`MODEL_FETCH_DEADLINE`]) and runs once more: the answer is the one that ran with them.
    pub async fn invoke(
        &self,
        id: &CodeId,
        limits: AppLimits,
        origins: Arc<[String]>,
        invocation: &Invocation,
    ) -> Result<Execution, HvmError> {
        let execution = self
            .invoke_once(id, limits, origins.clone(), invocation)
            .await?;
        let missing = &execution.missing_models;
        let Some(models) = self.models.as_ref().filter(|_| !missing.is_empty()) else {
            return Ok(execution);
        };
        let fetches = missing
            .iter()
            .map(|model| tokio::time::timeout(MODEL_FETCH_DEADLINE, models.fetch(*model)));
        let fetched = futures::future::join_all(fetches).await;
        if !fetched.iter().any(|f| matches!(f, Ok(Ok(())))) {
            tracing::debug!(?fetched, "an app's models could not be fetched");
            return Ok(execution);
        }
        self.invoke_once(id, limits, origins, invocation).await
    }

    /// Runs `invocation` once.
    async fn invoke_once(
        &self,
        id: &CodeId,
        limits: AppLimits,
        origins: Arc<[String]>,
        invocation: &Invocation,
    ) -> Result<Execution, HvmError> {
        let limits = self.caps.apply(limits);
        if invocation.body.len() > self.caps.request_body_bytes {
            return Err(HvmError::RequestTooLarge(self.caps.request_body_bytes));
        }
        let pre = self
            .ready
            .lock()
            .expect("hvm lock")
            .get(id)
            .ok_or(HvmError::NotLoaded)?;
        let app_slot = AppSlot::take(&self.per_app, *id, self.caps.app_instance_cap())?;
        let slot = (
            app_slot,
            self.slots
                .clone()
                .try_acquire_owned()
                .map_err(|_| HvmError::Busy)?,
        );
        let request = request(invocation)?;

        let sandbox = Sandbox::new(
            invocation.time,
            invocation.seed,
            limits.memory_bytes,
            origins,
            self.caps.allow_private_origins,
            self.models.clone(),
        );
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|sandbox| sandbox.limiter());
        let setup = store
            .set_fuel(limits.compute_units)
            .and_then(|()| store.fuel_async_yield_interval(Some(FUEL_YIELD_INTERVAL)));
        setup.map_err(|e| HvmError::Io(format!("configuring the store: {e:#}")))?;
        store.set_epoch_deadline(engine::ticks(limits.wall_time));
        store.epoch_deadline_trap();

        let (sender, receiver) = tokio::sync::oneshot::channel();
        let host_error = |e: wasmtime::Error| HvmError::Io(format!("preparing the request: {e:#}"));
        let req = store
            .data_mut()
            .new_incoming_request(Scheme::Http, request)
            .map_err(host_error)?;
        let out = store
            .data_mut()
            .new_response_outparam(sender)
            .map_err(host_error)?;
        // Sent when the node refuses the answer (too large): the instance stops then, and is billed what it
        // burned until that moment.
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let wall_stop = limits.wall_time + WALL_TIME_GRACE;
        // The wall-time stop lives inside the task, around the whole run, so that however the run ends (an epoch
        // trap, a host call that never returns, the node refusing the answer) the store is still here to say
        // how much fuel was burned: an app cannot burn compute and then wait in a host call to be billed 0.
        let task = tokio::spawn(async move {
            let _slot = slot;
            let mut instantiation = Duration::ZERO;
            let run = async {
                let started = std::time::Instant::now();
                let proxy = pre.instantiate_async(&mut store).await;
                instantiation = started.elapsed();
                proxy?
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, req, out)
                    .await
            };
            let result = tokio::select! {
                ran = tokio::time::timeout(wall_stop, run) => {
                    // A run still blocked in a host call at its stop is a wall-time stop, as an epoch trap is.
                    ran.unwrap_or_else(|_| Err(Trap::Interrupt.into()))
                }
                Ok(()) = stopped => Err(wasmtime::Error::msg(TOO_LARGE)),
            };
            let fuel_left = store.get_fuel().unwrap_or(0);
            let sandbox = store.data();
            let seen = Seen {
                memory_denied: sandbox.memory_denied(),
                external_inputs: sandbox.external_inputs(),
                missing_models: sandbox.missing_models().to_vec(),
                models_used: sandbox.models_used(),
                instantiation,
            };
            (result, fuel_left, seen)
        });

        let max_body = self.caps.response_body_bytes;
        let answer = async {
            let response = match receiver.await {
                Ok(Ok(response)) => response,
                Ok(Err(code)) => {
                    return Err(Some(format!("the app answered with an error: {code:?}")))
                }
                Err(_) => return Err(None),
            };
            let (parts, body) = response.into_parts();
            // Headers count against the cap too: they are kept, hashed and sent like the body.
            let header_bytes: usize = parts
                .headers
                .iter()
                .map(|(name, value)| name.as_str().len() + value.len())
                .sum();
            let Some(body_cap) = max_body.checked_sub(header_bytes) else {
                return Err(Some(TOO_LARGE.to_owned()));
            };
            match Limited::new(body, body_cap).collect().await {
                Ok(body) => Ok((parts, body.to_bytes())),
                Err(e)
                    if e.downcast_ref::<http_body_util::LengthLimitError>()
                        .is_some() =>
                {
                    Err(Some(TOO_LARGE.to_owned()))
                }
                Err(_) => Err(None),
            }
        };
        let answer = async {
            // The answer ends when the instance does (its store holds the response's sender and body); the
            // timeout only backs that up.
            let answer = tokio::time::timeout(wall_stop + WALL_TIME_GRACE, answer)
                .await
                .unwrap_or(Err(None));
            if matches!(&answer, Err(Some(message)) if message == TOO_LARGE) {
                let _ = stop.send(());
            }
            answer
        };
        let (answer, joined) = tokio::join!(answer, task);
        let (result, fuel_left, seen) =
            joined.map_err(|e| HvmError::Io(format!("the instance's task failed: {e}")))?;
        let compute_units = limits.compute_units.saturating_sub(fuel_left);
        if matches!(&answer, Err(Some(message)) if message == TOO_LARGE) {
            let message = format!(
                "the app's response (headers and body) passed the node's limit of {max_body} bytes"
            );
            return Ok(Execution {
                missing_models: seen.missing_models,
                ..Execution::failed(Outcome::ResponseTooLarge, 502, message, compute_units)
            });
        }
        Ok(Execution {
            instantiation: seen.instantiation,
            external_inputs: seen.external_inputs,
            missing_models: seen.missing_models,
            models_used: seen.models_used,
            ..classify(result, answer, compute_units, seen.memory_denied, &limits)
        })
    }
}

/// What the instance's store said of the run when it ended.
struct Seen {
    memory_denied: bool,
    external_inputs: bool,
    missing_models: Vec<[u8; 32]>,
    models_used: bool,
    instantiation: Duration,
}

/// How long a request waits for the node to fetch the models its app named and did not find: a model is
/// gigabytes, but a client waits on the answer.
pub const MODEL_FETCH_DEADLINE: Duration = Duration::from_secs(120);

const TOO_LARGE: &str = "response too large";

/// One of an app's instances alive, counted until dropped (with the instance's task).
struct AppSlot {
    per_app: Arc<Mutex<HashMap<CodeId, u32>>>,
    id: CodeId,
}

impl AppSlot {
    /// One more instance of `id`, or `Busy` if it has `cap` alive.
    fn take(
        per_app: &Arc<Mutex<HashMap<CodeId, u32>>>,
        id: CodeId,
        cap: u32,
    ) -> Result<Self, HvmError> {
        let mut alive = per_app.lock().expect("hvm lock");
        let count = alive.entry(id).or_insert(0);
        if *count >= cap {
            return Err(HvmError::Busy);
        }
        *count += 1;
        Ok(Self {
            per_app: per_app.clone(),
            id,
        })
    }
}

impl Drop for AppSlot {
    fn drop(&mut self) {
        let mut alive = self.per_app.lock().expect("hvm lock");
        if let Some(count) = alive.get_mut(&self.id) {
            *count -= 1;
            if *count == 0 {
                alive.remove(&self.id);
            }
        }
    }
}

/// The apps ready to run, at most `NodeCaps::loaded_apps` of them: each holds its compiled code in memory, and
/// anyone who can deploy can make a node load new code.
#[derive(Default)]
struct Ready {
    apps: HashMap<CodeId, (ProxyPre<Sandbox>, u64)>,
    /// A counter, so that each app remembers when it was last used.
    uses: u64,
}

impl Ready {
    fn get(&mut self, id: &CodeId) -> Option<ProxyPre<Sandbox>> {
        self.uses += 1;
        let uses = self.uses;
        self.apps.get_mut(id).map(|(pre, used)| {
            *used = uses;
            pre.clone()
        })
    }

    /// Makes `id` ready, dropping the least recently used app if `max` are already.
    fn insert(&mut self, id: CodeId, pre: ProxyPre<Sandbox>, max: usize) {
        if !self.apps.contains_key(&id) && self.apps.len() >= max.max(1) {
            let oldest = self.apps.iter().min_by_key(|(_, (_, used))| *used);
            if let Some(oldest) = oldest.map(|(id, _)| *id) {
                self.apps.remove(&oldest);
            }
        }
        self.uses += 1;
        self.apps.insert(id, (pre, self.uses));
    }
}

/// The execution of a finished instance: the app's answer if it gave one and ended cleanly, otherwise the
/// reason it did not, as the node tells the client.
fn classify(
    result: wasmtime::Result<()>,
    answer: Result<(hyper::http::response::Parts, Bytes), Option<String>>,
    compute_units: u64,
    memory_denied: bool,
    limits: &AppLimits,
) -> Execution {
    if let Err(error) = result {
        return match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => Execution::failed(
                Outcome::OutOfCompute,
                500,
                format!(
                    "the app reached its limit of {} compute units",
                    limits.compute_units
                ),
                limits.compute_units,
            ),
            Some(Trap::Interrupt) => Execution::failed(
                Outcome::TimedOut,
                504,
                format!(
                    "the app took longer than its limit of {:?}",
                    limits.wall_time
                ),
                compute_units,
            ),
            Some(Trap::StackOverflow) => Execution::failed(
                Outcome::StackOverflow,
                500,
                "the app failed: StackOverflow".to_owned(),
                compute_units,
            ),
            _ if memory_denied => Execution::failed(
                Outcome::OutOfMemory,
                500,
                format!(
                    "the app ran out of its {} bytes of memory",
                    limits.memory_bytes
                ),
                compute_units,
            ),
            _ => {
                // The answer names the trap by its kind only: wasmtime's wording of it (and of host errors) may
                // change between releases, and the answer is hashed into what a keeper's replay must match.
                let kind = error.downcast_ref::<Trap>().map(|t| format!("{t:?}"));
                let reason = error.root_cause().to_string();
                let message = match &kind {
                    Some(kind) => format!("the app failed: {kind}"),
                    None => "the app failed".to_owned(),
                };
                Execution::failed(Outcome::Trapped(reason), 500, message, compute_units)
            }
        };
    }
    match answer {
        Ok((parts, body)) => Execution {
            outcome: Outcome::Answered,
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
                .collect(),
            body,
            compute_units,
            instantiation: Duration::ZERO,
            external_inputs: false,
            missing_models: Vec::new(),
            models_used: false,
        },
        Err(Some(message)) => Execution::failed(
            Outcome::Trapped(message.clone()),
            502,
            message,
            compute_units,
        ),
        Err(None) => Execution::failed(
            Outcome::NoResponse,
            500,
            "the app ended without answering".to_owned(),
            compute_units,
        ),
    }
}

/// The hyper request the app receives, built from the invocation.
fn request(
    invocation: &Invocation,
) -> Result<hyper::Request<http_body_util::combinators::BoxBody<Bytes, hyper::Error>>, HvmError> {
    let mut builder = hyper::Request::builder()
        .method(invocation.method.as_str())
        .uri(format!("http://app{}", invocation.path_and_query));
    for (name, value) in &invocation.headers {
        builder = builder.header(name.as_str(), value.as_slice());
    }
    let body = Full::new(invocation.body.clone())
        .map_err(|never| match never {})
        .boxed();
    builder
        .body(body)
        .map_err(|e| HvmError::InvalidRequest(e.to_string()))
}

/// BLAKE3 over length-prefixed fields under a context string.
struct Hasher(blake3::Hasher);

impl Hasher {
    fn new(context: &str) -> Self {
        Self(blake3::Hasher::new_derive_key(context))
    }

    fn field(&mut self, bytes: &[u8]) {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    fn headers(&mut self, headers: &[(String, Vec<u8>)]) {
        self.field(&(headers.len() as u64).to_le_bytes());
        for (name, value) in headers {
            self.field(name.as_bytes());
            self.field(value);
        }
    }

    fn finish(self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a node keeps and a keeper decodes is the invocation that ran: same fields, same hash.
    #[test]
    fn an_invocation_survives_its_encoding_and_keeps_its_hash() {
        let invocation = Invocation {
            method: "POST".into(),
            path_and_query: "/stats?x=1".into(),
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            body: Bytes::from_static(b"[1,2,3]"),
            time: Duration::from_secs(1_700_000_000),
            seed: [7; 32],
        };
        let decoded = Invocation::decode(&mut &invocation.encode()[..]).unwrap();
        assert_eq!(decoded, invocation);
        assert_eq!(decoded.hash(), invocation.hash());
        let mut other = invocation.clone();
        other.time += Duration::from_secs(1);
        assert_ne!(other.hash(), invocation.hash());
    }
}
