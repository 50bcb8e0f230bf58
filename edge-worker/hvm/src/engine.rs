//! The wasmtime engine PeerHVM runs every application on, and the clock that bounds a request's wall time.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    thread,
    time::Duration,
};

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::limits::NodeCaps;

/// How often the engine's epoch advances: the granularity of a request's wall-clock limit.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Fuel a running instance burns between yields to the async runtime, so that a long computation does not
/// hold a tokio worker: about a millisecond of work here.
pub const FUEL_YIELD_INTERVAL: u64 = 1_000_000;

/// Core instances one component may hold: what components built by today's toolchains use (a Rust
/// `wasm32-wasip2` component has one module and a few shims), with room to spare. A core instance without
/// memories or tables holds only its small context.
const CORE_INSTANCES_PER_COMPONENT: u32 = 32;

/// Linear memories one component may define: today's toolchains give a component one (its main module's;
/// shims and adapters share it). The pool holds this many per instance slot, so that no app can take the
/// memories of the pool while instance slots are free: a component of more is refused when it is loaded.
const MEMORIES_PER_COMPONENT: u32 = 2;

/// Tables one component may define: a Rust `wasm32-wasip2` component has two (its module's function table and
/// the shim's table of lowered imports). Sized per instance slot for the same reason as memories.
const TABLES_PER_COMPONENT: u32 = 4;

/// Bytes of each pooled memory and table kept resident between instances: wasmtime zeroes what an instance
/// could reach up to this with `memset` and `madvise`s the rest away. Small apps fit in it whole (a Rust
/// `wasm32-wasip2` component starts at 1.1 MiB: its 1 MiB stack and its data), so their memory is never
/// returned to the kernel between requests.
const KEEP_RESIDENT: usize = 2 << 20;

/// The engine: fuel for compute units, epochs for wall time, the component model, and a pooling allocator
/// sized by the node's caps so that a request's instance is a few microseconds of set-up, not an `mmap`.
pub fn engine(caps: &NodeCaps) -> wasmtime::Result<Engine> {
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(caps.instances)
        .total_core_instances(caps.instances * CORE_INSTANCES_PER_COMPONENT)
        .total_memories(caps.instances * MEMORIES_PER_COMPONENT)
        .total_tables(caps.instances * TABLES_PER_COMPONENT)
        .max_memories_per_component(MEMORIES_PER_COMPONENT)
        .max_tables_per_component(TABLES_PER_COMPONENT)
        .max_core_instances_per_component(CORE_INSTANCES_PER_COMPONENT)
        .max_memory_size(caps.memory_bytes as usize)
        // An instance's first pages are zeroed in place when it ends rather than returned with `madvise`, which
        // costs a page fault per page on the next request and a TLB shootdown across cores.
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT);
    let mut config = Config::new();
    config
        .async_support(true)
        .wasm_component_model(true)
        .consume_fuel(true)
        .epoch_interruption(true)
        // A keeper replays an execution on its own machine and must get the same bytes: relaxed SIMD and NaN
        // bit patterns otherwise follow the CPU (FMA or not, x86 or ARM).
        .relaxed_simd_deterministic(true)
        .cranelift_nan_canonicalization(true)
        // Data segments are copied into a fresh instance's memory rather than mapped copy-on-write from the
        // module's image: a small app's memory then stays resident and is zeroed in place (above), where the
        // image's mapping cost a copy-on-write fault with a TLB shootdown across cores for every page an
        // instance wrote and an `madvise` to restore it after each request (0.60x to about 1.0x the requests
        // per second of `wasmtime serve` through the paid edge path, `scripts/bench/hvm`)
        .memory_init_cow(false)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on a thread of its own until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl EpochTicker {
    pub fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = thread::Builder::new()
            .name("hvm-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Epoch ticks that cover `wall_time`, at least one.
pub fn ticks(wall_time: Duration) -> u64 {
    (wall_time.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
}
