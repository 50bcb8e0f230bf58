//! Decision latency of the engine over a large network in a few large regions, as the chain's epoch capacity
//! benchmark (`edge-worker/chain/examples/epoch_capacity.rs`, `router_and_keeper`) builds it: 100 000 nodes
//! spread round-robin over 6 continents (about 16 700 nodes a region), each within 20 ms of its continent's
//! centre (centres 100 ms apart), upload 100 to 1 000 Mbit/s, then 200 000 decisions for 10 000 contents from
//! clients of every continent, each timed alone. Loads are never decayed, so they grow for the whole run.
//!
//! Beside the decisions it times a fixed computation of about the same length the same way (the control):
//! what of the tail is the machine's (interrupts, preemption) rather than the engine's. It prints a digest of
//! all decisions, equal for two versions of the engine that decide alike.
//!
//! `cargo run -p enreach-routing --release --example large_regions [nodes] [decisions] [seed]`

use std::time::{Duration, Instant};

use enreach_routing::{ring::mix, ClientHint, Coord, NodeInfo, Params, Router};

/// 32 pseudo-random bytes from `seed` (the benchmark draws them with BLAKE3).
fn bytes(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(seed ^ mix(i as u64)).to_le_bytes());
    }
    out
}

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let nodes = *args.first().unwrap_or(&100_000);
    let decisions = *args.get(1).unwrap_or(&200_000);
    let seed = *args.get(2).unwrap_or(&7);
    let regions = 6u64;

    let started = Instant::now();
    let mut engine = Router::new(Params::default());
    for i in 0..nodes {
        let key = bytes(seed ^ mix(i));
        let region = (i % regions) as u16;
        let idx = engine.upsert(
            NodeInfo {
                key,
                region,
                coord: Coord::near_region(region, &key),
                capacity: 100 + (i % 10) as u32 * 100,
                score: 1,
                runs_apps: false,
            },
            0,
        );
        engine.heartbeat(idx, 0);
    }
    engine.rebuild();
    let built = started.elapsed();

    let mut took: Vec<Duration> = Vec::with_capacity(decisions as usize);
    // The machine's own tail, measured alike: after each decision, a fixed computation of about the same
    // time, timed the same way. Its p99 and above are interrupts and preemption, not the engine.
    let mut control: Vec<Duration> = Vec::with_capacity(decisions as usize);
    let mut sink = 0u64;
    // A digest of every decision, so two versions of the engine can be checked to decide alike.
    let mut digest = 0u64;
    for r in 0..decisions {
        let content = mix(!seed ^ (r % 10_000));
        let region = (r % regions) as u16;
        let client = ClientHint {
            region,
            coord: Some(Coord::near_region(region, &bytes(seed.rotate_left(32) ^ r))),
        };
        let started = Instant::now();
        let chosen = engine.route(content, &client, 4, 1);
        took.push(started.elapsed());
        assert!(!chosen.is_empty(), "the router found no node");
        for idx in chosen {
            digest = mix(digest ^ idx as u64);
        }
        let started = Instant::now();
        for i in 0..1_000 {
            sink = std::hint::black_box(mix(sink ^ i));
        }
        control.push(started.elapsed());
    }
    println!(
        "engine over {nodes} nodes in {regions} regions built in {built:.1?}; digest of its decisions {digest:016x}"
    );
    println!("{decisions} decisions: {}", summary(&took));
    println!("control (fixed work):  {}", summary(&control));
    // How latency moves as loads grow over the run (they are never decayed).
    let tenth = (took.len() / 10).max(1);
    for (i, part) in took.chunks(tenth).enumerate() {
        println!("  decisions {:>7}..: {}", i * tenth, summary(part));
    }
    std::hint::black_box(sink);
}

/// Percentiles of `times`, and how many are over 20 µs.
fn summary(times: &[Duration]) -> String {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    let over = sorted.len() - sorted.partition_point(|t| *t <= Duration::from_micros(20));
    format!(
        "p50 {:.1?}, p90 {:.1?}, p99 {:.1?}, p99.9 {:.1?}, max {:.1?}; {over} over 20µs",
        at(0.5),
        at(0.9),
        at(0.99),
        at(0.999),
        at(1.0),
    )
}
