//! PeerHVM runs components built by today's toolchains unmodified, checks code against its content id, keeps
//! compiled code across restarts, and gives answers and compute units that a replay reproduces.

mod common;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use common::{app, hvm_with};
use enreach_hvm::{AppLimits, Execution, Hvm, HvmError, Invocation, NodeCaps, Outcome};

fn invocation(method: &str, path: &str, body: &[u8], seed: u8) -> Invocation {
    Invocation {
        method: method.into(),
        path_and_query: path.into(),
        headers: vec![("content-type".into(), b"application/json".to_vec())],
        body: Bytes::copy_from_slice(body),
        time: Duration::from_millis(1_790_000_000_123),
        seed: [seed; 32],
    }
}

fn json(execution: &Execution) -> serde_json::Value {
    serde_json::from_slice(&execution.body).unwrap_or_else(|e| panic!("{e}: {:?}", execution.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_api_built_for_wasm32_wasip2_answers_and_is_metered() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["json-api"]);
    let run = |inv: Invocation| {
        let hvm = &hvm;
        let id = ids[0];
        async move {
            hvm.invoke(&id, AppLimits::default(), Arc::from(Vec::new()), &inv)
                .await
                .unwrap()
        }
    };
    let hello = run(invocation("GET", "/hello?name=Ada", b"", 1)).await;
    assert_eq!(
        (hello.outcome.clone(), hello.status),
        (Outcome::Answered, 200)
    );
    assert_eq!(json(&hello)["greeting"], "hello, Ada");
    assert!(hello.compute_units > 0);

    let stats = run(invocation("POST", "/stats", b"[1, 2, 3, 4]", 1)).await;
    let value = json(&stats);
    assert_eq!(
        (
            value["count"].as_u64(),
            value["mean"].as_f64(),
            value["max"].as_f64()
        ),
        (Some(4), Some(2.5), Some(4.0))
    );
    // More numbers, more work: compute units follow the work done, not the wall clock.
    let numbers: Vec<String> = (0..5_000).map(|i| i.to_string()).collect();
    let bigger = run(invocation(
        "POST",
        "/stats",
        format!("[{}]", numbers.join(",")).as_bytes(),
        1,
    ))
    .await;
    assert_eq!(json(&bigger)["count"], 5_000);
    assert!(
        bigger.compute_units > 10 * stats.compute_units,
        "{} vs {}",
        bigger.compute_units,
        stats.compute_units
    );

    let bad = run(invocation("POST", "/stats", b"not json", 1)).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_reproduces_the_answer_and_the_compute_units() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["json-api"]);
    // A second node, compiling the same code itself, as a keeper would.
    let (keeper, _keeper_dir, _) = hvm_with(NodeCaps::default(), &["json-api"]);
    for inv in [
        invocation("GET", "/now", b"", 7),
        invocation("POST", "/stats", b"[3.5, -1, 1e3]", 7),
        invocation("GET", "/nowhere", b"", 7),
    ] {
        let first = hvm
            .invoke(&ids[0], AppLimits::default(), Arc::from(Vec::new()), &inv)
            .await
            .unwrap();
        let replay = keeper
            .invoke(&ids[0], AppLimits::default(), Arc::from(Vec::new()), &inv)
            .await
            .unwrap();
        assert!(first.is_replayable());
        assert_eq!(
            first.response_hash(),
            replay.response_hash(),
            "{}",
            inv.path_and_query
        );
        assert_eq!(
            first.compute_units, replay.compute_units,
            "{}",
            inv.path_and_query
        );
    }
    // Time and randomness come from the invocation: another seed, another random number, the same time.
    let a = json(
        &hvm.invoke(
            &ids[0],
            AppLimits::default(),
            Arc::from(Vec::new()),
            &invocation("GET", "/now", b"", 7),
        )
        .await
        .unwrap(),
    );
    let b = json(
        &hvm.invoke(
            &ids[0],
            AppLimits::default(),
            Arc::from(Vec::new()),
            &invocation("GET", "/now", b"", 8),
        )
        .await
        .unwrap(),
    );
    assert_ne!(a["random"], b["random"]);
    assert_eq!(a["unix_ms"], 1_790_000_000_123u64);
    assert_eq!(a["unix_ms"], b["unix_ms"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_must_match_its_content_id_and_be_a_component() {
    let dir = tempfile::tempdir().unwrap();
    let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    let wasm = app("json-api");
    let mut tampered = wasm.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let id = *blake3::hash(&wasm).as_bytes();
    assert!(matches!(
        hvm.load(&id, &tampered),
        Err(HvmError::CodeMismatch)
    ));
    let junk = b"\0asm not really".to_vec();
    let junk_id = *blake3::hash(&junk).as_bytes();
    assert!(matches!(
        hvm.load(&junk_id, &junk),
        Err(HvmError::InvalidComponent(_))
    ));
    assert!(!hvm.is_loaded(&id) && !hvm.is_loaded(&junk_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compiled_code_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = app("json-api");
    let id = *blake3::hash(&wasm).as_bytes();
    {
        let hvm = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
        assert!(!hvm.load_compiled(&id).unwrap(), "nothing compiled yet");
        assert!(!hvm.is_compiled(&id));
        // Compiled ahead of its calls: on disk, and not taking a place among the apps in memory.
        hvm.compile_ahead(&id, &wasm).unwrap();
        assert!(hvm.is_compiled(&id) && !hvm.is_loaded(&id));
        // Code that is not the id's is refused, ahead or not.
        assert!(hvm.compile_ahead(&[7; 32], &wasm).is_err());
    }
    let restarted = Hvm::new(NodeCaps::default(), dir.path()).unwrap();
    assert!(
        restarted.load_compiled(&id).unwrap(),
        "the compiled code is on disk"
    );
    let hello = restarted
        .invoke(
            &id,
            AppLimits::default(),
            Arc::from(Vec::new()),
            &invocation("GET", "/hello", b"", 1),
        )
        .await
        .unwrap();
    assert_eq!(json(&hello)["greeting"], "hello, world");
}
