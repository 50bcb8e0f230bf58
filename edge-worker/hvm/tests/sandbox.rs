//! PeerHVM's sandbox against an app that attacks it (`apps/sandbox-probe`): each attack is stopped with a clear
//! answer, billed as the rules say, and the node goes on serving that app and others.

mod common;

use std::{
    io::{Read, Write},
    net::TcpListener,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use bytes::Bytes;
use common::hvm_with;
use enreach_hvm::{AppLimits, CodeId, Execution, Hvm, Invocation, NodeCaps, Outcome};

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

const LIMITS: AppLimits = AppLimits {
    memory_bytes: 32 << 20,
    compute_units: 200_000_000,
    wall_time: Duration::from_secs(20),
};

async fn call(hvm: &Hvm, app: &CodeId, path: &str) -> Execution {
    hvm.invoke(app, LIMITS, Arc::from(Vec::new()), &get(path))
        .await
        .expect("PeerHVM runs the request")
}

fn text(execution: &Execution) -> String {
    String::from_utf8_lossy(&execution.body).into_owned()
}

/// After an attack, the same app and another one still answer.
async fn still_serving(hvm: &Hvm, probe: &CodeId, other: &CodeId) {
    let ok = call(hvm, probe, "/ok").await;
    assert_eq!(
        (ok.outcome.clone(), ok.status, text(&ok)),
        (Outcome::Answered, 200, "ok".into())
    );
    let other = call(hvm, other, "/hello?name=edge").await;
    assert_eq!(other.status, 200, "{}", text(&other));
}

/// Attack: a request reads what an earlier one (another client's) left in the memory of the pooled slot its
/// instance reuses. Every instance starts from zeroed memory however the slot is reset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_never_sees_what_an_earlier_one_left_in_memory() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe"]);
    for n in 0..20 {
        let kept = call(&hvm, &ids[0], &format!("/remember?secret=s3cret-{n}")).await;
        assert_eq!(text(&kept), "kept");
        let recalled = call(&hvm, &ids[0], "/recall").await;
        assert_eq!(
            (recalled.status, text(&recalled)),
            (200, String::new()),
            "request {n} read an earlier request's memory"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_loop_stops_at_its_compute_limit_and_is_billed_for_it() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe", "json-api"]);
    let stopped = call(&hvm, &ids[0], "/loop").await;
    assert_eq!(stopped.outcome, Outcome::OutOfCompute, "{}", text(&stopped));
    assert_eq!(stopped.status, 500);
    assert_eq!(
        stopped.compute_units, LIMITS.compute_units,
        "billed the whole limit"
    );
    assert!(
        text(&stopped).contains("compute units"),
        "{}",
        text(&stopped)
    );
    still_serving(&hvm, &ids[0], &ids[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_memory_bomb_is_capped_at_the_apps_memory_limit() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe", "json-api"]);
    let bomb = call(&hvm, &ids[0], "/memory").await;
    assert_eq!(bomb.outcome, Outcome::OutOfMemory, "{}", text(&bomb));
    assert_eq!(bomb.status, 500);
    assert!(bomb.compute_units > 0 && bomb.compute_units < LIMITS.compute_units);
    still_serving(&hvm, &ids[0], &ids[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_that_waits_for_ever_stops_at_its_wall_time_limit() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe", "json-api"]);
    let limits = AppLimits {
        wall_time: Duration::from_millis(300),
        ..LIMITS
    };
    let slept = hvm
        .invoke(&ids[0], limits, Arc::from(Vec::new()), &get("/sleep"))
        .await
        .unwrap();
    assert_eq!(slept.outcome, Outcome::TimedOut, "{}", text(&slept));
    assert_eq!(slept.status, 504);
    assert!(!slept.outcome.is_replayable());
    still_serving(&hvm, &ids[0], &ids[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trap_is_a_clear_error_and_harms_nothing() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe", "json-api"]);
    let trapped = call(&hvm, &ids[0], "/trap").await;
    assert!(
        matches!(trapped.outcome, Outcome::Trapped(_)),
        "{:?}",
        trapped.outcome
    );
    assert_eq!(trapped.status, 500);
    assert!(
        text(&trapped).starts_with("the app failed"),
        "{}",
        text(&trapped)
    );
    still_serving(&hvm, &ids[0], &ids[1]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn there_is_no_filesystem_environment_or_arguments() {
    let (hvm, _dir, ids) = hvm_with(NodeCaps::default(), &["sandbox-probe"]);
    for path in ["/etc/passwd", "/proc/self/environ", "."] {
        let read = call(&hvm, &ids[0], &format!("/file?path={path}")).await;
        assert_eq!(read.status, 403, "{path}: {}", text(&read));
        assert!(text(&read).starts_with("file refused"), "{}", text(&read));
    }
    let env = call(&hvm, &ids[0], "/env").await;
    assert_eq!(text(&env), "env=[] args=[]");
}

/// A local HTTP server counting the connections it accepts.
fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\norigin",
            );
        }
    });
    (origin, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_requests_reach_declared_origins_only() {
    // The origin is a local server: a local test network's setting.
    let caps = NodeCaps {
        allow_private_origins: true,
        ..NodeCaps::default()
    };
    let (hvm, _dir, ids) = hvm_with(caps, &["sandbox-probe"]);
    let (origin, accepted) = counting_server();
    let fetch = get(&format!("/fetch?url={origin}/data"));

    let undeclared = hvm.invoke(
        &ids[0],
        LIMITS,
        Arc::from(vec!["http://example.org".to_owned()]),
        &fetch,
    );
    let undeclared = undeclared.await.unwrap();
    assert_eq!(undeclared.status, 502, "{}", text(&undeclared));
    assert!(
        text(&undeclared).starts_with("fetch refused"),
        "{}",
        text(&undeclared)
    );
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "the undeclared origin was never contacted"
    );

    let declared = hvm
        .invoke(&ids[0], LIMITS, Arc::from(vec![origin.clone()]), &fetch)
        .await
        .unwrap();
    assert_eq!(text(&declared), "fetched 200 OK: origin");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_nodes_caps_are_refused_before_running() {
    let caps = NodeCaps {
        request_body_bytes: 1024,
        instances: 2,
        ..NodeCaps::default()
    };
    let (hvm, _dir, ids) = hvm_with(caps, &["json-api"]);
    let big = Invocation {
        method: "POST".into(),
        body: Bytes::from(vec![b'1'; 2048]),
        ..get("/stats")
    };
    let refused = hvm
        .invoke(&ids[0], LIMITS, Arc::from(Vec::new()), &big)
        .await;
    assert!(
        matches!(refused, Err(enreach_hvm::HvmError::RequestTooLarge(1024))),
        "{refused:?}"
    );
    let unknown = hvm
        .invoke(&[0; 32], LIMITS, Arc::from(Vec::new()), &get("/"))
        .await;
    assert!(
        matches!(unknown, Err(enreach_hvm::HvmError::NotLoaded)),
        "{unknown:?}"
    );
}
