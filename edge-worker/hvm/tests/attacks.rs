//! A security review's attacks on PeerHVM (`review-hvm`): each test is an attack that the current code does not
//! stop. Hostile components that no toolchain would emit are written in the component text format (`wat`), so
//! each attack is exactly the few instructions it needs.

mod common;

use std::{
    io::{Read, Write},
    net::TcpListener,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use common::hvm_with;
use enreach_hvm::{AppLimits, CodeId, Execution, Hvm, HvmError, Invocation, NodeCaps, Outcome};

fn get(path: &str) -> Invocation {
    Invocation {
        method: "GET".into(),
        path_and_query: path.into(),
        headers: vec![],
        body: Bytes::new(),
        time: Duration::from_secs(1_790_000_000),
        seed: [9; 32],
    }
}

fn text(execution: &Execution) -> String {
    String::from_utf8_lossy(&execution.body).into_owned()
}

fn no_origins() -> Arc<[String]> {
    Arc::from(Vec::new())
}

/// A `wasi:http/proxy` component whose handler is the core function `handle` (params: the request and the
/// response-outparam handles) of the core module `main`, instantiated with `main_with`; `prelude` declares
/// anything `main` needs (imports, lowered functions, other core instances).
fn proxy_component(prelude: &str, main: &str, main_with: &str) -> String {
    format!(
        r#"(component $C
  (import "wasi:http/types@0.2.6" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))
  ))
  (alias export $types "incoming-request" (type $req))
  (alias export $types "response-outparam" (type $out))
  {prelude}
  (core module $main {main})
  (core instance $main (instantiate $main {main_with}))
  (func $handle (param "request" (own $req)) (param "response-out" (own $out))
    (canon lift (core func $main "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.6" (instance $handler))
)"#
    )
}

/// The monotonic clock's `subscribe-duration` and the pollable's `ready` and `block`, lowered as the core
/// instance `$host` (`sub`, `ready`, `block`).
const TIMERS: &str = r#"
  (import "wasi:io/poll@0.2.6" (instance $poll
    (export "pollable" (type $p (sub resource)))
    (export "[method]pollable.ready" (func (param "self" (borrow $p)) (result bool)))
    (export "[method]pollable.block" (func (param "self" (borrow $p))))
  ))
  (alias export $poll "pollable" (type $pollable))
  (import "wasi:clocks/monotonic-clock@0.2.6" (instance $clock
    (alias outer $C $pollable (type $outer))
    (export "pollable" (type $p (eq $outer)))
    (export "subscribe-duration" (func (param "when" u64) (result (own $p))))
  ))
  (core func $sub (canon lower (func $clock "subscribe-duration")))
  (core func $ready (canon lower (func $poll "[method]pollable.ready")))
  (core func $block (canon lower (func $poll "[method]pollable.block")))
  (core instance $host
    (export "sub" (func $sub))
    (export "ready" (func $ready))
    (export "block" (func $block)))
"#;

const TIMER_IMPORTS: &str = r#"
    (import "host" "sub" (func $sub (param i64) (result i32)))
    (import "host" "ready" (func $ready (param i32) (result i32)))
    (import "host" "block" (func $block (param i32)))
"#;

/// Compiles `wat` into `hvm` and returns its code id.
fn load_wat(hvm: &Hvm, wat: &str) -> CodeId {
    let wasm = wat::parse_str(wat).unwrap_or_else(|e| panic!("{e}\n{wat}"));
    let id = *blake3::hash(&wasm).as_bytes();
    hvm.load(&id, &wasm).expect("loading the hostile component");
    id
}

/// Attack (malicious dApp, against honest nodes): an app's answer depends on the real time although its clocks
/// are seeded. `wasi:clocks/monotonic-clock.subscribe-duration` arms a real tokio timer, and
/// `pollable.ready` polls it immediately, so an app that spins on `ready()` burns a number of compute units set
/// by the machine's speed and load, with an outcome PeerHVM calls replayable (`Answered` or `NoResponse`; an app
/// could as well put the count in its answer). A keeper replaying the request gets other units (and another
/// response hash): an honest node fails its replay. Same with `wasi:io/poll.poll` over a timer and another
/// pollable, and with any outgoing HTTP (the origin's answer is not in the invocation).
///
/// Fixed by contract: an execution that subscribed to a timer or sent an outgoing request says so
/// (`Execution::external_inputs`) and is not replayable (`Execution::is_replayable`), so no keeper replays it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayable_outcome_does_not_depend_on_real_time() {
    let (hvm, _dir, _) = hvm_with(NodeCaps::default(), &[]);
    let spin = proxy_component(
        TIMERS,
        &format!(
            r#"
    {TIMER_IMPORTS}
    (func (export "handle") (param i32 i32)
      (local $p i32)
      (local.set $p (call $sub (i64.const 2000000)))
      (block $done (loop $spin
        (br_if $done (call $ready (local.get $p)))
        (br $spin))))
"#
        ),
        r#"(with "host" (instance $host))"#,
    );
    let id = load_wat(&hvm, &spin);
    let limits = AppLimits {
        wall_time: Duration::from_secs(5),
        ..AppLimits::default()
    };
    let mut runs = Vec::new();
    for _ in 0..3 {
        let run = hvm
            .invoke(&id, limits, no_origins(), &get("/"))
            .await
            .unwrap();
        runs.push((
            run.is_replayable(),
            run.outcome.clone(),
            run.compute_units,
            run.response_hash(),
        ));
    }
    let replayable = runs.iter().filter(|run| run.0).collect::<Vec<_>>();
    assert!(
        replayable.iter().all(|run| run == &replayable[0]),
        "one invocation, three runs, different compute units for a replayable outcome: {runs:?}"
    );
    // Timers stay real (an app's timeout around an outgoing request must fire in real time), so the contract
    // is that an execution that subscribed to one is not replayable: keepers never replay it.
    assert!(
        replayable.is_empty(),
        "an execution that polled a real timer is called replayable: {runs:?}"
    );
}

/// Attack (malicious dApp or its client: free compute): an app burns compute, then blocks in a host call (a
/// timer of an hour, or an outgoing request that never answers) past its wall time. The instance is then
/// stopped by the node's timeout, not by an epoch trap, and `invoke` reports `TimedOut` with 0 compute units:
/// the client signs 0 and the dApp pays nothing for up to its full compute limit per request (the same with a
/// response one byte over the node's cap: `ResponseTooLarge`, 0 units). Repeatable for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compute_burned_before_a_wall_time_stop_is_billed() {
    let (hvm, _dir, _) = hvm_with(NodeCaps::default(), &[]);
    let burn_then_wait = proxy_component(
        TIMERS,
        &format!(
            r#"
    {TIMER_IMPORTS}
    (func (export "handle") (param i32 i32)
      (local $i i32)
      (loop $burn
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $burn (i32.lt_u (local.get $i) (i32.const 20000000))))
      (call $block (call $sub (i64.const 3600000000000))))
"#
        ),
        r#"(with "host" (instance $host))"#,
    );
    let id = load_wat(&hvm, &burn_then_wait);
    let limits = AppLimits {
        wall_time: Duration::from_millis(1500),
        ..AppLimits::default()
    };
    let run = hvm
        .invoke(&id, limits, no_origins(), &get("/"))
        .await
        .unwrap();
    assert_eq!(run.outcome, Outcome::TimedOut, "{}", text(&run));
    assert!(
        run.compute_units >= 20_000_000,
        "the app burned at least 20 million compute units (a 20-million-iteration loop) and was billed {}",
        run.compute_units
    );
}

/// The same with a response over the node's cap (here its headers alone pass it): the instance is stopped when
/// the node refuses the answer, and billed what it burned until then, not 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compute_burned_before_a_response_over_the_cap_is_billed() {
    let caps = NodeCaps {
        response_body_bytes: 8,
        ..NodeCaps::default()
    };
    let (hvm, _dir, ids) = hvm_with(caps, &["json-api"]);
    let run = hvm
        .invoke(
            &ids[0],
            AppLimits::default(),
            no_origins(),
            &get("/hello?name=edge"),
        )
        .await
        .unwrap();
    assert_eq!(run.outcome, Outcome::ResponseTooLarge, "{}", text(&run));
    assert!(run.compute_units > 0, "billed {}", run.compute_units);
}

/// A component of `n + 1` memories of `pages` 64 KiB pages: `n` core instances of a module with one, and the
/// handler's own; the handler fills each memory and then, if `spin`, loops for ever.
fn many_memories(n: usize, pages: u32, spin: bool) -> String {
    let bytes = u64::from(pages) * 65536;
    let mut prelude = format!(
        r#"(core module $mem
    (memory {pages})
    (func (export "touch") (memory.fill (i32.const 0) (i32.const 7) (i32.const {bytes}))))"#
    );
    let mut imports = String::new();
    let mut calls = String::new();
    let mut with = String::new();
    for i in 0..n {
        prelude.push_str(&format!("\n  (core instance $m{i} (instantiate $mem))"));
        imports.push_str(&format!("\n    (import \"m{i}\" \"touch\" (func $t{i}))"));
        calls.push_str(&format!(" (call $t{i})"));
        with.push_str(&format!(" (with \"m{i}\" (instance $m{i}))"));
    }
    let tail = if spin { "(loop $l (br $l))" } else { "" };
    let main = format!(
        r#"
    {imports}
    (memory {pages})
    (func (export "handle") (param i32 i32)
      (memory.fill (i32.const 0) (i32.const 7) (i32.const {bytes})) {calls} {tail})
"#
    );
    proxy_component(&prelude, &main, &with)
}

/// Attack (malicious dApp: memory): the memory limit is per linear memory, not per instance. A component is
/// made of up to 32 core instances, each with its own memory, and `MemoryLimiter::memory_growing` checks each
/// against the whole limit: a component of 8 memories of 16 MiB, under a 16 MiB limit, holds 128 MiB of the
/// node's memory per request (and 32 x the node's 256 MiB cap, 8 GiB, at the largest limits).
///
/// Fixed twice: a component may now define at most 2 memories (one toolchains emit, and one spare), so the one
/// of 8 is refused when loaded; and the limiter adds up every memory of the instance, so two memories of 16 MiB
/// under a 16 MiB limit are out of memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cannot_hold_more_memory_than_its_limit_across_memories() {
    let (hvm, _dir, _) = hvm_with(NodeCaps::default(), &[]);
    let eight = wat::parse_str(many_memories(7, 256, false)).unwrap();
    let refused = hvm.load(blake3::hash(&eight).as_bytes(), &eight);
    assert!(refused.is_err(), "a component of 8 memories was loaded");
    let id = load_wat(&hvm, &many_memories(1, 256, false));
    let limits = AppLimits {
        memory_bytes: 16 << 20,
        ..AppLimits::default()
    };
    let run = hvm
        .invoke(&id, limits, no_origins(), &get("/"))
        .await
        .unwrap();
    assert_eq!(
        run.outcome,
        Outcome::OutOfMemory,
        "the app filled 2 x 16 MiB = 32 MiB under a 16 MiB limit: {}",
        text(&run)
    );
}

/// Attack (malicious dApp: other apps): the pooling allocator has `2 x instances` memories in all (128 by
/// default) but lets one component use 32. Four requests of a component with 32 one-page memories that spin
/// until their wall time take every memory of the pool, and every other app's requests fail to instantiate
/// while they run (a `500` "the app failed"), although 60 of the 64 instance slots are free.
///
/// Fixed: a component may define at most 2 memories and the pool holds 2 per instance slot, so the component
/// of 32 is refused when loaded, and the memories of the pool run out only with its slots. Four requests of the
/// largest component that loads leave every other app its memories.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_app_cannot_take_every_memory_of_the_pool() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["json-api"]);
    let hvm = Arc::new(hvm);
    let greedy = wat::parse_str(many_memories(31, 1, true)).unwrap();
    let refused = hvm.load(blake3::hash(&greedy).as_bytes(), &greedy);
    assert!(refused.is_err(), "a component of 32 memories was loaded");
    let hog = load_wat(&hvm, &many_memories(1, 1, true));
    let limits = AppLimits {
        wall_time: Duration::from_secs(3),
        compute_units: 20_000_000_000,
        ..AppLimits::default()
    };
    let hogs: Vec<_> = (0..4)
        .map(|_| {
            let hvm = hvm.clone();
            tokio::spawn(async move { hvm.invoke(&hog, limits, no_origins(), &get("/")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let honest = hvm
        .invoke(
            &ids[0],
            AppLimits::default(),
            no_origins(),
            &get("/hello?name=edge"),
        )
        .await;
    for hog in hogs {
        let _ = hog.await;
    }
    let honest = honest.expect("PeerHVM runs the request");
    assert_eq!(
        (honest.outcome.clone(), honest.status),
        (Outcome::Answered, 200),
        "another app's requests starved the pool of memories: {}",
        text(&honest)
    );
}

/// Attack (one dApp against all others): instance slots are shared by every app with no share per app or per
/// client, and waiting costs nothing (a request stopped while it waits is billed 0 units, see above). A dApp's
/// clients (one key holds 16 sessions, each with a request running) keep every slot busy with requests that
/// sleep until their wall time, and every other app on the node answers `503` (`HvmError::Busy`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_app_cannot_take_every_instance_slot() {
    let caps = NodeCaps {
        instances: 8,
        ..NodeCaps::default()
    };
    let (hvm, _dir, ids) = hvm_with(caps, &["sandbox-probe", "json-api"]);
    let hvm = Arc::new(hvm);
    let limits = AppLimits {
        wall_time: Duration::from_secs(2),
        ..AppLimits::default()
    };
    let probe = ids[0];
    let sleepers: Vec<_> = (0..caps.instances)
        .map(|_| {
            let hvm = hvm.clone();
            tokio::spawn(async move {
                hvm.invoke(&probe, limits, no_origins(), &get("/sleep"))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let honest = hvm
        .invoke(
            &ids[1],
            AppLimits::default(),
            no_origins(),
            &get("/hello?name=edge"),
        )
        .await;
    let mut billed = 0;
    let mut busy = 0;
    for sleeper in sleepers {
        match sleeper.await.unwrap() {
            Ok(run) => billed += run.compute_units,
            Err(HvmError::Busy) => busy += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let honest = honest.unwrap_or_else(|e| {
        panic!("one app's sleeping requests (billed {billed} units in all) took every slot: {e}")
    });
    assert_eq!(honest.status, 200, "{}", text(&honest));
    assert_eq!(
        busy,
        caps.instances - caps.app_instance_cap(),
        "one app holds a quarter of the slots at most"
    );
}

/// A local HTTP server counting the connections it accepts (a stand-in for the operator's chain node RPC on
/// 127.0.0.1:9944, a router's admin port, or 169.254.169.254).
fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nsecret",
            );
        }
    });
    (port, accepted)
}

/// Attack (malicious dApp: the operator's network): an app's declared origins are checked only for their
/// spelling (on chain, `is_valid_app_origin`, which accepts `http://127.0.0.1:8080`) and then connected to as
/// they resolve. A dApp declares `http://127.0.0.1:9944` (the operator's node RPC), `http://169.254.169.254`
/// (cloud metadata), a private address, or a name it controls that resolves to one (`localhost` here), and its
/// app reads them and hands them to its client. The gateway's origin pulls refuse all of these (`egress`);
/// PeerHVM's outgoing requests do not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_cannot_reach_the_nodes_loopback_or_private_network() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe"]);
    let (port, accepted) = counting_server();
    let limits = AppLimits {
        wall_time: Duration::from_secs(5),
        ..AppLimits::default()
    };
    for origin in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
    ] {
        let fetch = get(&format!("/fetch?url={origin}/"));
        let run = hvm
            .invoke(&ids[0], limits, Arc::from(vec![origin.clone()]), &fetch)
            .await
            .unwrap();
        assert!(
            text(&run).starts_with("fetch refused"),
            "{origin}: {}",
            text(&run)
        );
    }
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the app reached a loopback service of the node"
    );
}

/// Attack (anyone who can deploy, or whose code a node is asked to run): nothing bounds the size of an app's
/// code. Neither the chain (`pallet-apps` never looks at the content's size) nor the node (`roles/apps.rs`
/// fetches the whole content, `std::fs::read`s it into memory and compiles it; `Hvm::load` takes any size)
/// refuses a component of 64 MiB (here mostly a data segment: cheap to compile, but read, compiled, written
/// to the cache directory and kept in memory for good, with every upgrade's code beside it); gigabytes are
/// as welcome. A node should refuse code past a cap (the chain should too) before fetching it.
#[test]
fn oversized_code_is_refused_before_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    assert!(
        hvm.check_code_size(64 << 20).is_err(),
        "checked before fetching"
    );
    let data = "a".repeat(64 << 20);
    let main = format!(r#"(memory 1) (data "{data}") (func (export "handle") (param i32 i32))"#);
    let wasm = wat::parse_str(proxy_component("", &main, "")).expect("a valid component");
    let id = *blake3::hash(&wasm).as_bytes();
    let started = Instant::now();
    let loaded = hvm.load(&id, &wasm);
    assert!(
        loaded.is_err(),
        "a component of {} MiB was compiled ({:?}) and kept, with nothing bounding its size",
        wasm.len() >> 20,
        started.elapsed()
    );
}

/// Related: compiled apps kept in memory are bounded (`NodeCaps::loaded_apps`); the least recently used is
/// dropped, and its compiled code is loaded again from disk.
#[test]
fn compiled_apps_kept_in_memory_are_bounded() {
    let caps = NodeCaps {
        loaded_apps: 1,
        ..NodeCaps::default()
    };
    let (hvm, _dir, ids) = hvm_with(caps, &["json-api", "sandbox-probe"]);
    assert!(!hvm.is_loaded(&ids[0]) && hvm.is_loaded(&ids[1]));
    assert!(hvm.load_compiled(&ids[0]).unwrap(), "compiled before");
    assert!(hvm.is_loaded(&ids[0]) && !hvm.is_loaded(&ids[1]));
}

/// Attack (same attackers; a node's cores): compile time is superlinear in some shapes of code, and nothing
/// bounds it. One function with `n` i64 locals all live around a loop: here 10 000 locals (218 KB) compile
/// in 0.8 s, 20 000 (455 KB) in 7.6 s, 40 000 (about 1 MB) had not finished after 5 minutes of CPU (measured on this review's machine, on
/// the dev profile, whose cranelift is optimized). The apps role compiles under one `loading` lock, so while
/// it runs no other app can be loaded on the node, and a load that fails is not remembered: each call of the
/// app starts it again. A node should bound compilation (a size cap, per-function limits, a compile deadline
/// off the shared lock, failures remembered per code id).
#[test]
fn code_that_takes_seconds_to_compile_is_refused() {
    let wasm = slow_component(20_000, 1, "");
    let dir = tempfile::tempdir().unwrap();
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let id = *blake3::hash(&wasm).as_bytes();
    let started = Instant::now();
    let loaded = hvm.load(&id, &wasm);
    let took = started.elapsed();
    assert!(
        loaded.is_err() || took < Duration::from_secs(3),
        "a component of {} KB held a core for {took:?} while it compiled",
        wasm.len() >> 10
    );
}

/// Attack (same attackers): a component that compiles for seconds and then fails (one more function that does
/// not validate: wasmtime validates function bodies as it compiles them, in parallel) is compiled again at
/// every load, since neither `Hvm` nor the apps role remembers a failure: every call of the app costs the
/// node the whole compilation again, under the apps role's single `loading` lock.
///
/// Since functions of 14 000 locals are now refused before compiling (see above), the slow part is made of
/// functions within PeerHVM's limits: the failure is remembered (on disk, per code id), not compiled again.
#[test]
fn a_compilation_that_failed_is_not_paid_for_again() {
    let wasm = slow_component(4_000, 24, "(func $bad (result i32) (i64.const 0))");
    let dir = tempfile::tempdir().unwrap();
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let id = *blake3::hash(&wasm).as_bytes();
    let first = Instant::now();
    assert!(
        hvm.load(&id, &wasm).is_err(),
        "the component does not validate"
    );
    let first = first.elapsed();
    let again = Instant::now();
    let refused = hvm.load(&id, &wasm);
    let again = again.elapsed();
    assert!(refused.is_err());
    assert!(
        again < first / 10,
        "the same invalid code was compiled again: {first:?} the first time, {again:?} the second"
    );
    let restarted = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let after_restart = Instant::now();
    assert!(restarted.load(&id, &wasm).is_err());
    assert!(
        after_restart.elapsed() < first / 10,
        "a restart forgot the failure"
    );
}

/// A component whose core module has `copies` functions of `n` i64 locals all live around a loop, and `extra`.
fn slow_component(n: usize, copies: usize, extra: &str) -> Vec<u8> {
    let mut f = String::from("(param i32) (result i64)");
    for i in 0..n {
        f.push_str(&format!(" (local $l{i} i64)"));
    }
    f.push_str(" (loop $top");
    for i in 0..n {
        f.push_str(&format!(
            " (local.set $l{i} (i64.add (local.get $l{}) (local.get $l{i})))",
            (i + 1) % n
        ));
    }
    f.push_str(" (br_if $top (local.get 0))) (i64.const 0)");
    for i in 0..n {
        f.push_str(&format!(" (local.get $l{i}) i64.add"));
    }
    let functions: String = (0..copies).map(|c| format!("(func $f{c} {f})")).collect();
    let main = format!(r#"{functions} {extra} (func (export "handle") (param i32 i32))"#);
    wat::parse_str(proxy_component("", &main, "")).expect("a component")
}
