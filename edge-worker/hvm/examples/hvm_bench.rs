//! PeerHVM's own costs, for `scripts/bench/hvm` (not a test): per-request instantiation from the pooling
//! allocator, a whole `json-api` request in process, and the first request on a node that holds the code,
//! compiled from the component's bytes or loaded from its compile cache.
//! Usage: `hvm_bench [requests]` (default 2000); prints one JSON object.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use enreach_hvm::{examples, AppLimits, Hvm, Invocation, NodeCaps};

fn invocation(n: u32) -> Invocation {
    Invocation {
        method: "GET".into(),
        path_and_query: "/hello?name=bench".into(),
        headers: Vec::new(),
        body: Bytes::new(),
        time: Duration::from_secs(1_790_000_000),
        seed: *blake3::hash(&n.to_le_bytes()).as_bytes(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e6
}

#[tokio::main]
async fn main() {
    let requests: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000);
    let wasm = std::fs::read(examples::component("json-api")).expect("the json-api component");
    let id = *blake3::hash(&wasm).as_bytes();
    let dir = tempfile::tempdir().unwrap();
    let origins: Arc<[String]> = Arc::from(Vec::new());

    // First request on a node holding the code: compile, instantiate, run.
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let started = Instant::now();
    hvm.load(&id, &wasm).unwrap();
    hvm.invoke(&id, AppLimits::default(), origins.clone(), &invocation(0))
        .await
        .unwrap();
    let first_compiling = started.elapsed();
    drop(hvm);
    // The same after a restart: the compiled code comes from the cache.
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let started = Instant::now();
    assert!(hvm.load_compiled(&id).unwrap());
    hvm.invoke(&id, AppLimits::default(), origins.clone(), &invocation(0))
        .await
        .unwrap();
    let first_cached = started.elapsed();

    let (mut instantiation, mut whole) = (Vec::new(), Vec::new());
    for n in 0..requests {
        let started = Instant::now();
        let execution = hvm
            .invoke(&id, AppLimits::default(), origins.clone(), &invocation(n))
            .await
            .unwrap();
        whole.push(started.elapsed());
        instantiation.push(execution.instantiation);
        assert_eq!(execution.status, 200);
    }
    instantiation.sort();
    whole.sort();
    println!(
        "{}",
        serde_json::json!({
            "requests": requests,
            "instantiation_p50_us": percentile(&instantiation, 0.5),
            "instantiation_p99_us": percentile(&instantiation, 0.99),
            "request_p50_us": percentile(&whole, 0.5),
            "request_p99_us": percentile(&whole, 0.99),
            "first_request_compiling_ms": first_compiling.as_secs_f64() * 1e3,
            "first_request_cached_ms": first_cached.as_secs_f64() * 1e3,
        })
    );
}
