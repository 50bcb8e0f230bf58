//! PeerHVM edge applications end to end on a dev chain: a dApp deploys a WebAssembly component with one
//! command, two edges fetch its code over PeerDTS from the node that holds it and run it at
//! `<gateway>/a/<app>/<path>`; a client calls both, signing compute receipts as it goes; strangers, unpaid
//! calls and calls of apps that do not exist are refused, and a removed app stops being served.

mod common;

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use common::{binary, chain::DevChain, cli, curl, loopback, publish, secret_file, Worker};
use serde_json::Value;

/// Runs `edge-worker --data-dir <dir> <args>`; its success and every JSON line it printed.
fn run(dir: &Path, args: &[&str]) -> (bool, Vec<Value>, String) {
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("edge-worker runs");
    let lines = out
        .stdout
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect();
    (
        out.status.success(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The dev chain's Alice, the dApp here.
const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

/// The answer of the node's JSON-RPC `method` over HTTP at `url`.
fn rpc(url: &str, method: &str, params: Value) -> Value {
    let request =
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let out = std::process::Command::new("curl")
        .args(["-s", "-H", "content-type: application/json", "-d"])
        .arg(request.to_string())
        .arg(url)
        .output()
        .expect("curl runs");
    let answer: Value = serde_json::from_slice(&out.stdout).expect("a JSON-RPC answer");
    answer
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method}: {answer}"))
}

/// An edge with the apps role, dialing `peer` (which holds the app's code), with `extra` arguments; its
/// gateway URL and node id.
fn apps_edge(
    dir: &Path,
    chain: &DevChain,
    operator: &str,
    peer: &str,
    extra: &[&str],
) -> (Worker, String, String) {
    let data = dir.join(operator);
    let key = secret_file(dir, &format!("{operator}.key"), &format!("//{operator}"));
    let listen = loopback();
    let mut edge = Worker::spawn(
        &data,
        &[
            &[
                "run",
                "--listen",
                &listen,
                "--peer",
                peer,
                "--gateway",
                "127.0.0.1:0",
                "--role",
                "edge",
                "--apps",
                "--chain",
                &chain.url,
                "--operator-key",
                &key,
            ][..],
            extra,
        ]
        .concat(),
    );
    let gateway = edge.gateway();
    let node = edge.event("registered", Duration::from_secs(120))["node"]
        .as_str()
        .unwrap()
        .to_string();
    (edge, format!("http://{gateway}"), node)
}

/// A keeper signing as `//<account>`, dialing `peer`.
fn keeper(dir: &Path, chain: &DevChain, account: &str, peer: &str) -> Worker {
    let key = secret_file(dir, &format!("{account}.key"), &format!("//{account}"));
    common::keeper(&dir.join(account), &chain.url, &key, &["--peer", peer])
}

/// Calls `app` at `gateway` three times in one session; the answers.
fn call_three(client_dir: &Path, gateway: &str) -> Vec<Value> {
    let (ok, answers, stderr) = run(
        client_dir,
        &[
            "app",
            "call",
            gateway,
            "stats",
            "/hello?name=Ada",
            "--repeat",
            "3",
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(answers.len(), 3, "{answers:?}");
    answers
}

#[test]
fn a_dapp_deploys_an_app_that_edges_run_and_clients_pay_for() {
    let chain = DevChain::start();
    let dir = tempfile::tempdir().unwrap();
    let wasm = enreach_hvm::examples::component("json-api");
    let wasm = wasm.to_str().unwrap();
    let dapp = ["--chain", chain.url.as_str(), "--account", "//Alice"];

    // The dApp (Alice) pays for one client key.
    let client_dir = dir.path().join("client");
    let client = cli(&client_dir, &["key", "client"])["client"]
        .as_str()
        .unwrap()
        .to_string();
    let mut args = vec!["dapp"];
    args.extend(dapp);
    cli(
        &client_dir,
        &[
            &args[..],
            &["open-account", "--deposit", "100000000000000000"],
        ]
        .concat(),
    );
    cli(
        &client_dir,
        &[&args[..], &["authorize-client", &client]].concat(),
    );

    // Something that is not a component is refused before anything is paid for.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"\0asm\x01\0\0\0").unwrap();
    let (ok, _, stderr) = run(
        &client_dir,
        &[
            &["app", "deploy", junk.to_str().unwrap(), "--name", "junk"][..],
            &dapp,
        ]
        .concat(),
    );
    assert!(!ok && stderr.contains("cannot run on PeerHVM"), "{stderr}");

    // The dApp's own node holds the code, and a model with the app that asks it (AiDN at the edge, below).
    let holder_dir = dir.path().join("holder");
    let model_dir = dir.path().join("tiny-model");
    enreach_infer::tiny::write(&model_dir, 7).unwrap();
    let model = publish(&holder_dir, &model_dir);
    let chat_wasm = enreach_hvm::examples::component("edge-chat");
    publish(&holder_dir, &chat_wasm);
    let holder_listen = loopback();
    let mut holder = Worker::spawn(
        &holder_dir,
        &["publish", wasm, "--serve", "--listen", &holder_listen],
    );
    let holder_addr = holder.address();
    let deploy = [
        &[
            "app",
            "deploy",
            wasm,
            "--name",
            "stats",
            "--max-cpu",
            "500000000",
        ][..],
        &dapp,
    ]
    .concat();
    let deployed = cli(&client_dir, &deploy);
    assert_eq!(
        (deployed["event"].as_str(), deployed["version"].as_u64()),
        (Some("app_deployed"), Some(1))
    );

    // Bob and Charlie keep (with Alice, who does not run: two of the three keepers every node is assigned).
    let mut keepers = [
        keeper(dir.path(), &chain, "Bob", &holder_addr),
        keeper(dir.path(), &chain, "Charlie", &holder_addr),
    ];
    let (mut eve, eve_gateway, eve_node) = apps_edge(dir.path(), &chain, "Eve", &holder_addr, &[]);
    let (_ferdie, ferdie_gateway, _) = apps_edge(dir.path(), &chain, "Ferdie", &holder_addr, &[]);
    // Dave's edge skips the work: it answers every call wrongly and has the client sign that answer.
    let (_dave, dave_gateway, dave_node) = apps_edge(
        dir.path(),
        &chain,
        "Dave",
        &holder_addr,
        &["--test-wrong-answers"],
    );

    // A client calls the app through both edges, three requests per session, each answer metered and signed.
    for gateway in [&eve_gateway, &ferdie_gateway] {
        let answers = call_three(&client_dir, gateway);
        // A session is one epoch's: a call answered in the next epoch starts a new one.
        let (mut epoch, mut requests, mut total) = (None, 0, 0);
        for answer in &answers {
            assert_eq!(answer["status"], 200, "{answer}");
            assert_eq!(answer["body"], "{\"greeting\":\"hello, Ada\"}");
            let units = answer["compute_units"].as_u64().unwrap();
            assert!(units > 0);
            if epoch != answer["epoch"].as_u64() {
                (epoch, requests, total) = (answer["epoch"].as_u64(), 0, 0);
            }
            requests += 1;
            total += units;
            assert_eq!(answer["requests"].as_u64(), Some(requests), "{answers:?}");
            assert_eq!(
                answer["session_units"].as_u64(),
                Some(total),
                "the session's units add up"
            );
        }
        assert!(epoch.is_some());
        let (ok, answers, stderr) = run(
            &client_dir,
            &[
                "app",
                "call",
                gateway,
                "stats",
                "/stats",
                "--method",
                "POST",
                "--data",
                "[1,2,3,4]",
            ],
        );
        assert!(ok, "{stderr}");
        assert_eq!(answers[0]["status"], 200);
        let stats: Value = serde_json::from_str(answers[0]["body"].as_str().unwrap()).unwrap();
        assert_eq!(stats["mean"], 2.5);
    }

    // AiDN at the edge: the dApp publishes the model on chain and deploys an app that asks it. An edge fetches
    // the model over PeerDTS at the first call that names it, and answers a prompt with it; the same prompt
    // gets the same answer on every edge and every time, each call metered in compute units and signed.
    let (chat_wasm, model_path) = (chat_wasm.to_str().unwrap(), model_dir.to_str().unwrap());
    let (ok, _, stderr) = run(
        &client_dir,
        &[&args[..], &["publish", model_path, "--max-price", "1"]].concat(),
    );
    assert!(ok, "{stderr}");
    let chat = [
        &[
            "app",
            "deploy",
            chat_wasm,
            "--name",
            "chat",
            "--max-cpu",
            "500000000",
        ][..],
        &dapp,
    ]
    .concat();
    cli(&client_dir, &chat);
    let call_chat = |gateway: &str| {
        let path = format!("/generate?model={model}&max=16");
        let prompt = "What is an edge cloud?";
        let (ok, answers, stderr) = run(
            &client_dir,
            &[
                "app", "call", gateway, "chat", &path, "--method", "POST", "--data", prompt,
            ],
        );
        assert!(ok, "{stderr}");
        answers[0].clone()
    };
    let ask = |gateway: &str| {
        let answer = call_chat(gateway);
        assert_eq!(answer["status"], 200, "{answer}");
        answer
    };
    // An edge reads the registry at its view of the chain, a block or two behind the deploy.
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        let answer = call_chat(&eve_gateway);
        if answer["body"] != "no such app\n" {
            assert_eq!(answer["status"], 200, "{answer}");
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "the chat app never reached the edge"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    let answer: Value = serde_json::from_str(first["body"].as_str().unwrap()).unwrap();
    let tokens = answer["tokens"].as_array().unwrap().len();
    assert!((1..=16).contains(&tokens), "{answer}");
    assert_eq!(answer["model"], model.as_str());
    // The model's multiply-adds are billed: every token ran every weight of the model (about 100 000).
    assert!(
        first["compute_units"].as_u64().unwrap() > 100_000 * (22 + tokens as u64 - 1),
        "{first}"
    );
    assert!(first["session_units"].as_u64() >= first["compute_units"].as_u64());
    for again in [ask(&eve_gateway), ask(&ferdie_gateway)] {
        assert_eq!(again["body"], first["body"]);
        assert_eq!(again["compute_units"], first["compute_units"]);
    }

    // Through the router: `/r/a/<app>/<path>` sends the caller (with a 307, so a POST stays a POST) to an
    // edge that runs apps, where the call is metered as any other.
    let router_dir = dir.path().join("router");
    let mut router = Worker::spawn(
        &router_dir,
        &[
            "run",
            "--listen",
            &loopback(),
            "--gateway",
            "127.0.0.1:0",
            "--role",
            "router",
            "--chain",
            &chain.url,
        ],
    );
    let router_gateway = format!("http://{}", router.gateway());
    let deadline = Instant::now() + Duration::from_secs(60);
    let location = loop {
        let (status, head, _) = curl(&format!("{router_gateway}/r/a/stats/hello?name=bob"), &[]);
        if status == 307 {
            let location = head
                .lines()
                .find_map(|l| l.strip_prefix("location: "))
                .expect("a location")
                .trim()
                .to_string();
            break location;
        }
        assert_eq!(status, 503, "no node yet, until the router knows the edges");
        assert!(Instant::now() < deadline, "the router never routed the app");
        std::thread::sleep(Duration::from_secs(1));
    };
    // Any of the three apps edges (Dave's too, which answers wrongly until it is caught).
    let routed_gateway = [&eve_gateway, &ferdie_gateway, &dave_gateway]
        .into_iter()
        .find(|g| location == format!("{g}/a/stats/hello?name=bob"))
        .unwrap_or_else(|| panic!("routed to {location}, not an apps edge"));
    let (ok, answers, stderr) = run(
        &client_dir,
        &["app", "call", routed_gateway, "stats", "/hello?name=bob"],
    );
    assert!(ok, "{stderr}");
    let greeting = "{\"greeting\":\"hello, bob\"}";
    let expected = if routed_gateway == &dave_gateway {
        format!("{greeting} (wrong)")
    } else {
        greeting.to_string()
    };
    assert_eq!(answers[0]["body"], expected.as_str());
    assert_eq!(
        curl(&format!("{router_gateway}/r/a/nosuchapp/"), &[]).0,
        404,
        "an unknown app has no route"
    );
    router.kill();

    // The edge reports the compute its receipts sign, answers the challenge's compute samples with them, and
    // settlement charges the dApp per compute unit at the governed price.
    let reported = eve.event_matching(
        "work_reported",
        |e| e["units"].as_u64().is_some_and(|u| u > 0),
        Duration::from_secs(120),
    );
    let epoch = reported["epoch"].as_u64().unwrap();
    let units = reported["units"].as_u64().unwrap();
    let answered = eve.event_matching(
        "challenge_answered",
        |e| e["epoch"].as_u64() == Some(epoch),
        Duration::from_secs(120),
    );
    assert!(
        answered["compute_samples"].as_u64().unwrap() > 0,
        "{answered}"
    );
    let http = chain.url.replace("ws://", "http://");
    let deadline = Instant::now() + Duration::from_secs(180);
    let usage = loop {
        let usage = rpc(&http, "settlement_usage", serde_json::json!([ALICE, epoch]));
        if usage["settled"] == true {
            break usage;
        }
        assert!(
            Instant::now() < deadline,
            "epoch {epoch} never settled: {usage}"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    // Ferdie's verified units of the epoch, if it served some then, count too.
    assert!(
        usage["units"].as_u64().unwrap() >= units,
        "{usage} {reported}"
    );
    let price: u128 = rpc(&http, "settlement_params", serde_json::json!([]))
        ["computePricePerMillionUnits"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let cost: u128 = usage["cost"].as_str().unwrap().parse().unwrap();
    assert!(price > 0);
    assert!(
        cost >= price * usage["units"].as_u64().unwrap() as u128 / 1_000_000,
        "{usage}"
    );
    assert_eq!(usage["paid"], usage["cost"]);

    // Keepers replay sampled compute. Once they watch Eve and Dave (from the epoch after they registered),
    // both serve a session: Eve's replays reproduce what its clients signed; Dave's do not, so a majority of
    // its keepers report failed replays and the chain refutes its compute and jails it.
    keepers[0].event_matching(
        "keeper_assigned",
        |e| {
            let nodes = e["nodes"].as_array().unwrap();
            [&eve_node, &dave_node]
                .iter()
                .all(|n| nodes.iter().any(|m| m == n.as_str()))
        },
        Duration::from_secs(180),
    );
    call_three(&client_dir, &eve_gateway);
    let wrong = call_three(&client_dir, &dave_gateway);
    assert!(
        wrong[0]["body"].as_str().unwrap().ends_with("(wrong)"),
        "{wrong:?}"
    );
    for keeper in &mut keepers {
        let observed = keeper.event_matching(
            "observed",
            |e| e["node"] == eve_node.as_str() && e["replays_sent"].as_u64() > Some(0),
            Duration::from_secs(240),
        );
        assert_eq!(observed["replays_failed"], 0, "{observed}");
        let observed = keeper.event_matching(
            "observed",
            |e| e["node"] == dave_node.as_str() && e["replays_sent"].as_u64() > Some(0),
            Duration::from_secs(240),
        );
        assert!(observed["replays_failed"].as_u64() > Some(0), "{observed}");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = rpc(&http, "edgeNodes_nodeInfo", serde_json::json!([dave_node]));
        if info["status"] == "jailed" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Dave's edge is not jailed: {info}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }

    // A key no dApp pays for is refused; so is a client that stops signing, after its allowance.
    let stranger_dir = dir.path().join("stranger");
    let (ok, answers, _) = run(
        &stranger_dir,
        &["app", "call", &eve_gateway, "stats", "/hello"],
    );
    assert!(ok);
    assert_eq!(answers[0]["status"], 403, "{answers:?}");
    let unsigned = |session: &str| {
        curl(
            &format!("{eve_gateway}/a/stats/hello"),
            &[
                "-H",
                &format!("enreach-client: {client}"),
                "-H",
                &format!("enreach-session: {session}"),
            ],
        )
        .0
    };
    let session = "5e".repeat(16);
    let statuses: Vec<u16> = (0..4).map(|_| unsigned(&session)).collect();
    assert_eq!(
        statuses,
        [200, 200, 402, 402],
        "two requests ahead of the receipts, no more"
    );
    assert_eq!(
        curl(&format!("{eve_gateway}/a/stats/hello"), &[]).0,
        401,
        "calls are paid"
    );
    // Headers are checked before the chain is asked anything; a paying caller of an unknown app gets 404.
    let (client_header, session_header) = (
        format!("enreach-client: {client}"),
        format!("enreach-session: {}", "7a".repeat(16)),
    );
    let paying = ["-H", client_header.as_str(), "-H", session_header.as_str()];
    assert_eq!(curl(&format!("{eve_gateway}/a/nosuchapp/"), &[]).0, 401);
    assert_eq!(curl(&format!("{eve_gateway}/a/nosuchapp/"), &paying).0, 404);

    // Removed: within the record cache's lifetime, every edge stops running it.
    cli(
        &client_dir,
        &[&["app", "remove", "stats"][..], &dapp].concat(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, answers, _) = run(
            &client_dir,
            &["app", "call", &ferdie_gateway, "stats", "/hello"],
        );
        if answers[0]["status"] == 404 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a removed app is still served: {answers:?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    holder.kill();
}
