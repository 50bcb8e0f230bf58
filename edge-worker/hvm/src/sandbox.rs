//! What an application sees of the node during one request: no files, no sockets, no environment, clocks and
//! randomness derived from the request's seed, memory under its limit, and outgoing HTTP only to the origins its
//! owner declared. Everything an app can observe is a function of the request, so a keeper replaying the
//! request on the same code sees the same answer and burns the same compute units.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use rand_chacha::{rand_core::SeedableRng, ChaCha20Rng};
use wasmtime::{component::ResourceTable, ResourceLimiter};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    bindings::http::types::ErrorCode,
    body::HyperOutgoingBody,
    types::{default_send_request, HostFutureIncomingResponse, OutgoingRequestConfig},
    HttpResult, WasiHttpCtx, WasiHttpView,
};

/// The store's data for one request.
pub struct Sandbox {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limiter: MemoryLimiter,
    origins: Arc<[String]>,
}

impl Sandbox {
    /// A fresh sandbox: its wall clock starts at `time` (since the Unix epoch), `seed` makes its randomness,
    /// `origins` are the `scheme://host[:port]` the app may call.
    pub fn new(time: Duration, seed: [u8; 32], memory_bytes: u64, origins: Arc<[String]>) -> Self {
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
        Self {
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter {
                limit: memory_bytes as usize,
                denied: AtomicBool::new(false),
            },
            origins,
        }
    }

    pub fn limiter(&mut self) -> &mut MemoryLimiter {
        &mut self.limiter
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

    /// Outgoing requests reach only the app's declared origins: the node is not an open proxy, and an app
    /// cannot reach the operator's internal network.
    fn send_request(
        &mut self,
        request: hyper::Request<HyperOutgoingBody>,
        config: OutgoingRequestConfig,
    ) -> HttpResult<HostFutureIncomingResponse> {
        let uri = request.uri();
        let origin = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
            _ => return Err(ErrorCode::HttpRequestUriInvalid.into()),
        };
        if !self
            .origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(&origin))
        {
            tracing::debug!(%origin, "an app's request to an undeclared origin refused");
            return Err(ErrorCode::HttpRequestDenied.into());
        }
        Ok(default_send_request(request, config))
    }
}

/// Denies memory growth past the app's limit and remembers that it did, so that the node can tell an app out
/// of memory from one that trapped for another reason.
pub struct MemoryLimiter {
    limit: usize,
    denied: AtomicBool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = desired <= self.limit;
        if !allowed {
            self.denied.store(true, Ordering::Relaxed);
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}

/// Table elements an instance may grow to (function references, resource handles): generous for real code,
/// far from what would take the node's memory.
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
