//! PeerRouting end to end with real workers on a real dev chain: three edges registered in two regions (one
//! European edge holds the content), a router (`run --role router`) that learns them from the registry and
//! their `STATUS` answers. A European client asks the router (`fetch --router`) and is sent to the European
//! edge that holds the content, and only to it; a browser's `/r/<id>` is redirected to that edge's gateway. A
//! spike of requests from North America makes the router ask the North American edge to prefetch the content,
//! which it holds before any client there fetches it; the next North American client is then served by it.

mod common;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use common::{binary, chain::DevChain, cli, curl, header, loopback, publish, random_file, Worker};
use serde_json::Value;

const MIB: usize = 1 << 20;

/// A `routing_route` call over HTTP JSON-RPC.
fn route(rpc: &str, id: &str, region: &str, n: u32) -> Value {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "routing_route",
        "params": [id, {"region": region}, n],
    });
    let (status, _, answer) = curl(
        rpc,
        &[
            "-H",
            "content-type: application/json",
            "-d",
            &body.to_string(),
        ],
    );
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    answer
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("routing_route failed: {answer}"))
}

/// `edge-worker fetch` of `id` from the one node the router at `rpc` picks for a client in `region`: its
/// JSON summary.
fn routed_fetch(data_dir: &Path, id: &str, rpc: &str, region: &str) -> Value {
    cli(
        data_dir,
        &[
            "fetch",
            id,
            "--json",
            "--router",
            rpc,
            "--region",
            region,
            "--routed-nodes",
            "1",
        ],
    )
}

/// The peer ids of a route's nodes.
fn peers(route: &Value) -> Vec<String> {
    route["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["peer_id"].as_str().unwrap().to_string())
        .collect()
}

/// Polls `check` every 500 ms until it holds, for up to `timeout`.
fn eventually(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// An edge (`run --role edge`, operator key `operator`) on `continent` with a gateway, bootstrapping from
/// `peer`: the worker, its address and its gateway URL, once registered.
fn edge(
    data_dir: &Path,
    operator: &Path,
    chain: &str,
    continent: &str,
    peer: Option<&str>,
    router: &str,
) -> (Worker, String, String) {
    let listen = loopback();
    let mut args = vec![
        "run",
        "--listen",
        &listen,
        "--gateway",
        "127.0.0.1:0",
        "--role",
        "edge",
        "--chain",
        chain,
        "--operator-key",
        operator.to_str().unwrap(),
        "--continent",
        continent,
        "--router-peer",
        router,
    ];
    if let Some(peer) = peer {
        args.extend(["--peer", peer]);
    }
    let mut worker = Worker::spawn(data_dir, &args);
    let address = worker.address();
    let gateway = worker.gateway();
    worker.event("registered", Duration::from_secs(120));
    (worker, address, format!("http://{gateway}"))
}

#[test]
fn clients_are_routed_to_holders_in_their_region_and_spikes_are_placed_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let chain = DevChain::start();

    // Alice publishes 8 MiB on chain (an edge prefetches only published content); it has an origin, which the
    // router names when no node can serve.
    let content = dir.path().join("content.bin");
    let bytes = random_file(&content, 8 * MIB, 71);
    let origin = "http://127.0.0.1:9/content.bin";
    let dapp = |args: &[&str]| {
        let out = std::process::Command::new(binary())
            .arg("--data-dir")
            .arg(dir.path().join("dapp"))
            .args(["dapp", "--chain", &chain.url, "--account", "//Alice"])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    dapp(&["open-account", "--deposit", "100000000000000000"]);
    let published = dapp(&[
        "publish",
        content.to_str().unwrap(),
        "--max-price",
        "1000000000000",
        "--origin",
        origin,
    ]);
    let holder_dir = dir.path().join("europe-holder");
    let id = publish(&holder_dir, &content);
    assert_eq!(published.trim(), id);

    // The router's identity, which the edges take prefetches from.
    let router_dir = dir.path().join("router");
    let router_peer = cli(&router_dir, &["key", "generate"])["peer_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Two European edges (only the first holds the content) and one North American edge.
    let eve = dir.path().join("eve");
    std::fs::write(&eve, "//Eve\n").unwrap();
    let (_holder, holder_address, holder_gateway) =
        edge(&holder_dir, &eve, &chain.url, "europe", None, &router_peer);
    let holder_peer = holder_address.rsplit('/').next().unwrap().to_string();
    let (_europe, _, _) = edge(
        &dir.path().join("europe"),
        &eve,
        &chain.url,
        "europe",
        Some(&holder_address),
        &router_peer,
    );
    let (mut america, america_address, america_gateway) = edge(
        &dir.path().join("america"),
        &eve,
        &chain.url,
        "north-america",
        Some(&holder_address),
        &router_peer,
    );
    let america_peer = america_address.rsplit('/').next().unwrap().to_string();

    // The router learns all three from the registry and their heartbeats.
    let router_listen = loopback();
    let mut router = Worker::spawn(
        &router_dir,
        &[
            "run",
            "--listen",
            &router_listen,
            "--gateway",
            "127.0.0.1:0",
            "--role",
            "router",
            "--chain",
            &chain.url,
            "--rpc",
            "127.0.0.1:0",
        ],
    );
    let rpc = format!(
        "http://{}",
        router.event("router_rpc", Duration::from_secs(60))["address"]
            .as_str()
            .unwrap()
    );
    let router_gateway = format!("http://{}", router.gateway());
    // Readiness is polled with another content id, so the content's own demand is only what the test makes.
    let probe_id = "11".repeat(32);
    eventually(
        "the router knows every edge",
        Duration::from_secs(60),
        || {
            route(&rpc, &probe_id, "europe", 8)["nodes"]
                .as_array()
                .unwrap()
                .len()
                == 2
                && route(&rpc, &probe_id, "north-america", 8)["nodes"]
                    .as_array()
                    .unwrap()
                    .len()
                    == 1
        },
    );
    // The loads those polls counted are replaced by the edges' own at the router's next probe.
    std::thread::sleep(edge_worker::roles::router::REFRESH * 2);

    // A European client asks the router and is sent to the European edge that holds the content.
    let fetched = routed_fetch(&dir.path().join("client-europe"), &id, &rpc, "europe");
    let routed = &fetched["routed"][0];
    assert_eq!(routed["peer_id"], holder_peer.as_str(), "{fetched}");
    assert_eq!(routed["holds"], true);
    assert_eq!(routed["region"], "europe");
    let by_peer = fetched["report"]["bytes_by_peer"].as_object().unwrap();
    assert_eq!(
        by_peer.keys().collect::<Vec<_>>(),
        vec![&holder_peer],
        "{fetched}"
    );
    assert_eq!(by_peer[&holder_peer], bytes.len() as u64);

    // A browser in Europe is redirected to that edge's gateway, which serves the content.
    let (status, head, _) = curl(&format!("{router_gateway}/r/{id}?region=europe"), &[]);
    assert_eq!(status, 302, "{head}");
    let location = header(&head, "location").unwrap().to_string();
    assert_eq!(location, format!("{holder_gateway}/c/{id}"));
    let (status, _, body) = curl(&location, &[]);
    assert_eq!(status, 200);
    assert!(body == bytes, "the redirect target serves the content");

    // Where no edge is, the router names the origin.
    let nowhere = route(&rpc, &id, "oceania", 2);
    assert_eq!(nowhere["nodes"].as_array().unwrap().len(), 0);
    assert_eq!(nowhere["origin"], origin);

    // North America does not hold it yet; a spike of requests there makes the router place it ahead.
    let (status, _, _) = curl(&format!("{america_gateway}/c/{id}"), &["-I"]);
    assert_ne!(status, 200, "the North American edge starts without it");
    let first = route(&rpc, &id, "north-america", 1);
    assert_eq!(peers(&first), vec![america_peer.clone()]);
    assert_eq!(first["nodes"][0]["holds"], false);
    for _ in 0..4 {
        route(&rpc, &id, "north-america", 1);
    }
    let asked = router.event_matching(
        "prefetch_requested",
        |e| e["content"] == id.as_str() && e["peer_id"] == america_peer.as_str(),
        Duration::from_secs(30),
    );
    assert_eq!(asked["answer"], "Started", "{asked}");
    assert_eq!(asked["region"], "north-america");
    let prefetched = america.event("prefetched", Duration::from_secs(60));
    assert_eq!(prefetched["content"], id.as_str());
    // It holds the content before any client there fetched it.
    let (status, _, body) = curl(&format!("{america_gateway}/c/{id}"), &[]);
    assert_eq!(status, 200);
    assert!(body == bytes, "the prefetched copy is the content");
    eventually(
        "the router sees the North American copy",
        Duration::from_secs(30),
        || route(&rpc, &id, "north-america", 1)["nodes"][0]["holds"] == true,
    );

    // The next North American client is served there, by the edge that prefetched it.
    let fetched = routed_fetch(
        &dir.path().join("client-america"),
        &id,
        &rpc,
        "north-america",
    );
    assert_eq!(fetched["routed"][0]["peer_id"], america_peer.as_str());
    let by_peer = fetched["report"]["bytes_by_peer"].as_object().unwrap();
    assert_eq!(
        by_peer.keys().collect::<Vec<_>>(),
        vec![&america_peer],
        "{fetched}"
    );
    let (status, head, _) = curl(
        &format!("{router_gateway}/r/{id}?region=north-america"),
        &[],
    );
    assert_eq!(status, 302);
    assert_eq!(
        header(&head, "location"),
        Some(format!("{america_gateway}/c/{id}").as_str())
    );
}
