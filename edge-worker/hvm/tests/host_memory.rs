//! A security review's attack on PeerHVM (`review-hvm`): memory an app makes the host hold for it. In a test
//! binary of its own, since it measures the process's peak resident memory.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use enreach_hvm::{AppLimits, Hvm, Invocation, NodeCaps};

/// The peak resident memory of this process (`VmHWM`), bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib << 10
}

/// An app with 17 pages of memory (1 MiB of `a` and room for a result) that creates a `wasi:http/types.fields`
/// and appends the 1 MiB value to it `appends` times.
fn fields_bomb(appends: u32) -> String {
    format!(
        r#"(component
  (import "wasi:http/types@0.2.6" (instance $types
    (export "incoming-request" (type (sub resource)))
    (export "response-outparam" (type (sub resource)))
    (export "fields" (type $f (sub resource)))
    (type $hev (variant (case "invalid-syntax") (case "forbidden") (case "immutable")))
    (export "header-error" (type $he (eq $hev)))
    (export "[constructor]fields" (func (result (own $f))))
    (export "[method]fields.append"
      (func (param "self" (borrow $f)) (param "name" string) (param "value" (list u8))
            (result (result (error $he)))))
  ))
  (alias export $types "incoming-request" (type $req))
  (alias export $types "response-outparam" (type $out))
  (core module $memory (memory (export "mem") 17))
  (core instance $memory (instantiate $memory))
  (alias core export $memory "mem" (core memory $mem))
  (core func $new (canon lower (func $types "[constructor]fields")))
  (core func $append (canon lower (func $types "[method]fields.append") (memory $mem)))
  (core module $main
    (import "host" "mem" (memory 17))
    (import "host" "new" (func $new (result i32)))
    (import "host" "append" (func $append (param i32 i32 i32 i32 i32 i32)))
    (func (export "handle") (param i32 i32)
      (local $f i32) (local $i i32)
      ;; the name "x" at 0, the value: 1 MiB of "a" from 16
      (i32.store8 (i32.const 0) (i32.const 120))
      (memory.fill (i32.const 16) (i32.const 97) (i32.const 1048576))
      (local.set $f (call $new))
      (loop $more
        (call $append (local.get $f) (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 1048576)
                      (i32.const 1048600))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $more (i32.lt_u (local.get $i) (i32.const {appends})))))
  )
  (core instance $main (instantiate $main (with "host" (instance
    (export "mem" (memory $mem))
    (export "new" (func $new))
    (export "append" (func $append))))))
  (func $handle (param "request" (own $req)) (param "response-out" (own $out))
    (canon lift (core func $main "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.6" (instance $handler))
)"#
    )
}

/// Attack (malicious dApp: the node's memory): the memory limit covers the app's linear memories only, not what
/// its host calls make the node allocate, and `WasiHttpCtx::new()` lets one `fields` hold 2 GiB (wasmtime's
/// default `field_size_limit`). An app under a 16 MiB limit appends a 1 MiB header value 512 times for a few
/// thousand compute units and makes the node hold 512 MiB; with more `fields` (a million table entries are
/// allowed) and the node's 64 instances at once, it takes all the node's memory and the OOM killer ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_memory_an_app_makes_the_node_hold_is_bounded_by_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let wasm = wat::parse_str(fields_bomb(512)).unwrap();
    let id = *blake3::hash(&wasm).as_bytes();
    hvm.load(&id, &wasm).unwrap();
    let limits = AppLimits {
        memory_bytes: 16 << 20,
        wall_time: Duration::from_secs(20),
        ..AppLimits::default()
    };
    let invocation = Invocation {
        method: "GET".into(),
        path_and_query: "/".into(),
        headers: vec![],
        body: Bytes::new(),
        time: Duration::from_secs(1_790_000_000),
        seed: [9; 32],
    };
    let before = peak_rss();
    let run = hvm
        .invoke(&id, limits, Arc::from(Vec::new()), &invocation)
        .await
        .unwrap();
    let grown = peak_rss().saturating_sub(before);
    assert!(
        grown < 4 * limits.memory_bytes,
        "an app under a {} MiB limit made the node hold {} MiB more ({:?}, {} compute units)",
        limits.memory_bytes >> 20,
        grown >> 20,
        run.outcome,
        run.compute_units
    );
}
