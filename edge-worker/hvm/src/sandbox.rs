//! What an application sees of the node during one request: no files, no sockets, no environment, clocks and
//! randomness derived from the request's seed, memory under its limit, and outgoing HTTP only to the origins its
//! owner declared. Everything an app can observe is a function of the request, so a keeper replaying the
//! request on the same code sees the same answer and burns the same compute units.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use enreach_reach::{reach, Reach};

use crate::inference::{Models, MAX_MISSING_MODELS};
use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use wasmtime::{
    component::{Linker, ResourceTable},
    ResourceLimiter, StoreContextMut,
};
use wasmtime_wasi::{
    p2::bindings::clocks::monotonic_clock, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView,
    WasiView,
};
use wasmtime_wasi_http::{
    bindings::http::types::ErrorCode,
    body::HyperOutgoingBody,
    types::{
        default_send_request, default_send_request_handler, HostFutureIncomingResponse,
        OutgoingRequestConfig,
    },
    HttpResult, WasiHttpCtx, WasiHttpView,
};

/// The store's data for one request.
pub struct Sandbox {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    origins: Arc<[String]>,
    /// Whether the app subscribed to a timer or sent an outgoing request: what it observed then (how much real
    /// time passed, what an origin answered) is not in the invocation, so a replay may differ.
    external_inputs: bool,
    /// Whether declared origins may be loopback and private addresses (local test networks only).
    allow_private_origins: bool,
    /// The models the node runs for apps (`enreach:ai/inference`).
    models: Option<Arc<dyn Models>>,
    /// Models the app named that the node could not run then (at most [`MAX_MISSING_MODELS`]).
    missing_models: Vec<[u8; 32]>,
    /// Whether a model ran for the app.
    models_used: bool,
}

impl Sandbox {
    /// A fresh sandbox: its wall clock starts at `time` (since the Unix epoch), `seed` makes its randomness,
    /// `origins` are the `scheme://host[:port]` the app may call (public addresses only, unless
    /// `allow_private_origins`).
    pub fn new(
        time: Duration,
        seed: [u8; 32],
        memory_bytes: u64,
        origins: Arc<[String]>,
        allow_private_origins: bool,
        models: Option<Arc<dyn Models>>,
    ) -> Self {
        let mut wasi = WasiCtx::builder();
        wasi.wall_clock(SeededWallClock::new(time))
            .monotonic_clock(SeededMonotonicClock::default())
            .secure_random(ChaCha20Rng::from_seed(seed))
            .insecure_random(ChaCha20Rng::from_seed(blake3::derive_key(
                "enreach hvm insecure random",
                &seed,
            )))
            .insecure_random_seed(u128::from_le_bytes(
                seed[16..].try_into().expect("16 bytes"),
            ))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        let host = HostMemory::for_limit(memory_bytes);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(host.field_bytes);
        let mut table = ResourceTable::new();
        table.set_max_capacity(host.resources);
        Self {
            wasi: wasi.build(),
            http,
            table,
            limiter: MemoryLimiter::new(usize::try_from(memory_bytes).unwrap_or(usize::MAX)),
            origins,
            external_inputs: false,
            allow_private_origins,
            models,
            missing_models: Vec::new(),
            models_used: false,
        }
    }

    pub fn limiter(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
    }

    /// Whether the app saw something of the real world (see [`Execution::external_inputs`]).
    ///
    /// [`Execution::external_inputs`]: crate::Execution::external_inputs
    pub fn external_inputs(&self) -> bool {
        self.external_inputs
    }

    pub(crate) fn models(&self) -> Option<Arc<dyn Models>> {
        self.models.clone()
    }

    /// Records that the app named model `id` and the node could not run it: what the app saw then is the
    /// node's own state, so the execution is not replayable as it is.
    pub(crate) fn model_missing(&mut self, id: [u8; 32]) {
        self.external_inputs = true;
        if !self.missing_models.contains(&id) && self.missing_models.len() < MAX_MISSING_MODELS {
            self.missing_models.push(id);
        }
    }

    /// Records that a model ran for the app.
    pub(crate) fn model_used(&mut self) {
        self.models_used = true;
    }

    /// Whether a model ran for the app.
    pub fn models_used(&self) -> bool {
        self.models_used
    }

    /// The models the app named that the node could not run (see [`Self::model_missing`]).
    pub fn missing_models(&self) -> &[[u8; 32]] {
        &self.missing_models
    }

    /// Whether the app asked for more memory than its limit during the request.
    pub fn memory_denied(&self) -> bool {
        self.limiter.denied.load(Ordering::Relaxed)
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Sandbox {
    fn ctx(&mut self) -> &mut WasiHttpCtx {
        &mut self.http
    }

    fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    /// Outgoing requests reach only the app's declared origins: the node is not an open proxy. And only at
    /// public addresses: an origin's spelling is all the chain checks (`http://127.0.0.1:9944` is a valid
    /// origin), so a dApp could otherwise aim its app at the node's RPC, the operator's network or the cloud
    /// metadata service and hand what they answer to its client. A literal address is checked here; a name is
    /// resolved, every address it resolves to must be public, and a plain-HTTP request is then sent to the
    /// checked address itself (its `host` header keeps the name), so a name that resolves to a public address
    /// and then to a private one (DNS rebinding) gains nothing. Over HTTPS the connection resolves the name
    /// again (certificate checks need it): a rebinding name then reaches a private address only with a TLS
    /// handshake that the service there cannot complete for the dApp's name.
    fn send_request(
        &mut self,
        mut request: hyper::Request<HyperOutgoingBody>,
        config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        let uri = request.uri();
        let (origin, authority) = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => {
                (format!("{scheme}://{authority}"), authority.clone())
            }
            _ => return Err(ErrorCode::HttpRequestUriInvalid.into()),
        };
        // Any attempt counts, refused or not: a keeper replays without the app's origins, so the attempt is
        // what both sides see the same way.
        self.external_inputs = true;
        if !self
            .origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(&origin))
        {
            tracing::debug!(%origin, "an app's request to an undeclared origin refused");
            return Err(ErrorCode::HttpRequestDenied.into());
        }
        let allow_private = self.allow_private_origins;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            if !reachable(ip, allow_private) {
                tracing::debug!(%origin, "an app's request to a non-public address refused");
                return Err(ErrorCode::HttpRequestDenied.into());
            }
            return Ok(default_send_request(request, config));
        }
        let host = host.to_owned();
        let port = authority
            .port_u16()
            .unwrap_or(if config.use_tls { 443 } else { 80 });
        let handle = wasmtime_wasi::runtime::spawn(async move {
            let resolved = tokio::time::timeout(
                config.connect_timeout,
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await;
            let addresses: Vec<SocketAddr> = match resolved {
                Ok(Ok(addresses)) => addresses.collect(),
                _ => Vec::new(),
            };
            let Some(first) = addresses.first() else {
                return Ok(Err(ErrorCode::DnsError(
                    wasmtime_wasi_http::bindings::http::types::DnsErrorPayload {
                        rcode: Some("address not available".to_owned()),
                        info_code: Some(0),
                    },
                )));
            };
            if !addresses.iter().all(|a| reachable(a.ip(), allow_private)) {
                tracing::debug!(%host, "an app's request to a name of a non-public address refused");
                return Ok(Err(ErrorCode::HttpRequestDenied));
            }
            if !config.use_tls {
                let mut parts = request.uri().clone().into_parts();
                parts.authority = first.to_string().parse().ok();
                if let Ok(uri) = hyper::Uri::from_parts(parts) {
                    *request.uri_mut() = uri;
                }
            }
            Ok(default_send_request_handler(request, config).await)
        });
        Ok(HostFutureIncomingResponse::pending(handle))
    }
}

/// Whether an app's outgoing request may reach `ip`: a public unicast address, or with `allow_private` also
/// loopback and private ones (never link-local, hence never a metadata service). The same classification as
/// the gateway's origin pulls ([`enreach_reach`]).
fn reachable(ip: IpAddr, allow_private: bool) -> bool {
    match reach(ip) {
        Reach::Public => true,
        Reach::Private => allow_private,
        Reach::Never => false,
    }
}

/// Links `wasi:clocks/monotonic-clock` over wasmtime-wasi's own, recording in the sandbox that the app
/// subscribed to a timer: a timer's pollable becomes ready in real time, so an app that polls it (`ready` in a
/// loop, `poll` with another pollable) burns compute units and takes paths set by the machine's speed and load,
/// which a keeper's replay cannot reproduce. Such executions are not replayable; clocks that are read only stay
/// seeded and replayable.
pub fn link_timers(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap("now", |mut store: StoreContextMut<'_, Sandbox>, (): ()| {
        monotonic_clock::Host::now(&mut WasiView::ctx(store.data_mut())).map(|now| (now,))
    })?;
    clock.func_wrap(
        "resolution",
        |mut store: StoreContextMut<'_, Sandbox>, (): ()| {
            monotonic_clock::Host::resolution(&mut WasiView::ctx(store.data_mut())).map(|r| (r,))
        },
    )?;
    clock.func_wrap(
        "subscribe-instant",
        |mut store: StoreContextMut<'_, Sandbox>, (when,): (u64,)| {
            let sandbox = store.data_mut();
            sandbox.external_inputs = true;
            monotonic_clock::Host::subscribe_instant(&mut WasiView::ctx(sandbox), when)
                .map(|pollable| (pollable,))
        },
    )?;
    clock.func_wrap(
        "subscribe-duration",
        |mut store: StoreContextMut<'_, Sandbox>, (duration,): (u64,)| {
            let sandbox = store.data_mut();
            sandbox.external_inputs = true;
            monotonic_clock::Host::subscribe_duration(&mut WasiView::ctx(sandbox), duration)
                .map(|pollable| (pollable,))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The monotonic clock's interface as wasmtime-wasi 36 links it; components importing an earlier 0.2 version
/// are matched to it by semver.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.6";

/// What the node holds for an app outside its linear memories: each `wasi:http` `fields` (headers it builds,
/// clones or receives) and each resource handle (streams, pollables, requests) lives in the host's heap, which
/// the app's memory limit does not see. Without bounds, an app under a 16 MiB limit appends a 1 MiB header
/// value a few hundred times (wasmtime's default field limit is 2 GiB, its default table a million entries) and
/// makes the node hold gigabytes. The product of the two bounds below, the most every `fields` of the request
/// can hold together, stays within [`HOST_MEMORY_DIVISOR`]-th of the app's own limit.
struct HostMemory {
    /// `WasiHttpCtx::set_field_size_limit`: bytes of names and values one `fields` may hold.
    field_bytes: usize,
    /// `ResourceTable::set_max_capacity`: resource handles the request may hold at once.
    resources: usize,
}

/// The node holds at most half of the app's memory limit again for its headers: an app is sized (and a node's
/// pool planned) by its memory limit, not by what its host calls make the node allocate.
const HOST_MEMORY_DIVISOR: u64 = 2;

/// Smallest per-`fields` limit: larger than the header block most HTTP servers accept (nginx: 8 KiB per line),
/// so small apps still exchange real headers.
const MIN_FIELD_BYTES: usize = 8 << 10;

/// Largest per-`fields` limit: beyond what any HTTP server accepts as a header block (hyper's and node's
/// defaults are below it), so more would only hold the node's memory.
const MAX_FIELD_BYTES: usize = 64 << 10;

/// Fewest resource handles: a `wasi:http` request handled by a `wstd` or Rust app uses a few dozen.
const MIN_RESOURCES: usize = 64;

/// Most resource handles: room for dozens of concurrent outgoing requests (each a handful of handles).
const MAX_RESOURCES: usize = 1024;

impl HostMemory {
    fn for_limit(memory_bytes: u64) -> Self {
        let budget = usize::try_from(memory_bytes / HOST_MEMORY_DIVISOR).unwrap_or(usize::MAX);
        let field_bytes = (budget / MAX_RESOURCES).clamp(MIN_FIELD_BYTES, MAX_FIELD_BYTES);
        let resources = (budget / field_bytes).clamp(MIN_RESOURCES, MAX_RESOURCES);
        Self {
            field_bytes,
            resources,
        }
    }
}

/// Denies memory growth past the app's limit and remembers that it did, so that the node can tell an app out
/// of memory from one that trapped for another reason. The limit is the instance's, not one memory's: a
/// component is made of several core instances, each with memories and tables of its own, so the limiter adds
/// up every memory's bytes and every table's elements (wasmtime calls it for each, from 0 at instantiation).
pub struct MemoryLimiter {
    limit: usize,
    /// Bytes of every linear memory of the instance.
    memory: usize,
    /// Elements of every table of the instance.
    table_elements: usize,
    denied: AtomicBool,
}

impl MemoryLimiter {
    fn new(limit: usize) -> Self {
        Self {
            limit,
            memory: 0,
            table_elements: 0,
            denied: AtomicBool::new(false),
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory.saturating_add(desired.saturating_sub(current));
        let allowed = total <= self.limit;
        if allowed {
            self.memory = total;
        } else {
            self.denied.store(true, Ordering::Relaxed);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self
            .table_elements
            .saturating_add(desired.saturating_sub(current));
        let allowed = total <= MAX_TABLE_ELEMENTS;
        if allowed {
            self.table_elements = total;
        }
        Ok(allowed)
    }
}

/// Table elements an instance may hold across its tables (function references, resource handles): generous
/// for real code, far from what would take the node's memory.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// Each reading of a clock moves it on by this much, so that time passes for the app (durations it measures
/// are positive) in a way a replay reproduces.
const CLOCK_STEP: Duration = Duration::from_micros(1);

/// A wall clock that starts at the request's time and advances one step per reading.
struct SeededWallClock {
    start: Duration,
    readings: AtomicU64,
}

impl SeededWallClock {
    fn new(start: Duration) -> Self {
        Self {
            start,
            readings: AtomicU64::new(0),
        }
    }
}

impl HostWallClock for SeededWallClock {
    fn resolution(&self) -> Duration {
        CLOCK_STEP
    }

    fn now(&self) -> Duration {
        let n = self.readings.fetch_add(1, Ordering::Relaxed) as u32;
        self.start + CLOCK_STEP * n
    }
}

/// A monotonic clock that starts at zero and advances one step per reading.
#[derive(Default)]
struct SeededMonotonicClock {
    readings: AtomicU64,
}

impl HostMonotonicClock for SeededMonotonicClock {
    fn resolution(&self) -> u64 {
        CLOCK_STEP.as_nanos() as u64
    }

    fn now(&self) -> u64 {
        self.readings.fetch_add(1, Ordering::Relaxed) * CLOCK_STEP.as_nanos() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_reachable_unless_private_ones_are_allowed() {
        for (ip, public, private) in [
            ("93.184.215.14", true, true),
            ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true),
            ("127.0.0.1", false, true),
            ("10.1.2.3", false, true),
            ("::1", false, true),
            ("::ffff:127.0.0.1", false, true),
            ("169.254.169.254", false, false),
            ("fe80::1", false, false),
            ("0.0.0.0", false, false),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(reachable(ip, false), public, "{ip}");
            assert_eq!(reachable(ip, true), private, "{ip}");
        }
    }

    #[test]
    fn headers_an_app_makes_the_node_hold_stay_within_half_its_limit() {
        // From the chain's smallest limit (1 MiB) to the node's default cap.
        for mib in [1u64, 2, 16, 64, 256] {
            let limit = mib << 20;
            let host = HostMemory::for_limit(limit);
            assert!(
                (host.field_bytes * host.resources) as u64 <= limit / HOST_MEMORY_DIVISOR,
                "{mib} MiB"
            );
            assert!(host.field_bytes >= MIN_FIELD_BYTES && host.resources >= MIN_RESOURCES);
        }
    }
}
