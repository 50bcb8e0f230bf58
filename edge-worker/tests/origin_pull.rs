//! dApp commands and origin pull against a real dev chain: a dApp opens its account and authorizes a client key
//! through `edge-worker dapp`, and registers contents with origin URLs;
//! a gateway that misses them pulls from the origin (one pull for concurrent misses), verifies the bytes
//! against the content id and serves them, refuses an origin whose bytes are another content (and does not
//! ask it again at once), fetches a model's file (which has no origin) from the node holding it, answers 404
//! for contents without an origin that no node holds or unknown to the chain, and keeps reading the chain
//! across a node restart. And a hostile dApp: origin URLs that point into the edge's own
//! network, at a closed port, at an origin that fails, trickles, is too large or redirects to the cloud
//! metadata service, while the edge keeps serving honest clients.

mod common;

use std::{
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use common::{binary, chain::DevChain, cli, curl, header, loopback, random_file, Worker};
use enreach_edge_chain::Chain;
use enreach_primitives::ClientKey;

/// The dev chain's funded account that acts as the dApp.
const DAPP: &str = "//Alice";

/// Publishes `file` on `chain` at a price of 1 with `origin` as its origin URL; the content id.
fn publish_from_origin(chain: &DevChain, file: &Path, origin: &str) -> String {
    dapp(
        chain,
        &[
            "publish",
            file.to_str().unwrap(),
            "--max-price",
            "1",
            "--origin",
            origin,
        ],
    )
}

/// Runs `edge-worker dapp` against `chain`; its trimmed stdout.
fn dapp(chain: &DevChain, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(["dapp", "--chain", &chain.url])
        .env("ENREACH_DAPP_SURI", DAPP)
        .args(args)
        .output()
        .expect("edge-worker dapp runs");
    assert!(out.status.success(), "dapp {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A plain HTTP origin (Python's http.server) serving a folder and logging every request.
struct Origin {
    child: Child,
    log: std::path::PathBuf,
    port: u16,
}

impl Origin {
    fn serve(folder: &Path, log: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .arg("--directory")
            .arg(folder)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("python3 starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the origin did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            log: log.into(),
            port,
        }
    }

    fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}/{name}", self.port)
    }

    /// How many times `name` was requested.
    fn requests(&self, name: &str) -> usize {
        let needle = format!("\"GET /{name} ");
        std::fs::read_to_string(&self.log)
            .unwrap()
            .matches(&needle)
            .count()
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_dapp_authorizes_clients_and_gateways_pull_its_misses_from_their_origins_verified() {
    let mut chain = DevChain::start();
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    let model = random_file(&www.join("model.json"), 300_000, 7);
    random_file(&www.join("other.bin"), 300_000, 21);
    let origin = Origin::serve(&www, &dir.path().join("origin.log"));

    dapp(&chain, &["open-account", "--deposit", "1000000000000000"]);
    // A client key (created private by `key client`) is authorized: the dApp pays for its receipts.
    let client_dir = dir.path().join("client");
    let client = cli(&client_dir, &["key", "client"])["client"]
        .as_str()
        .unwrap()
        .to_string();
    dapp(&chain, &["authorize-client", &client]);
    let owner = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let key = ClientKey(hex::decode(&client).unwrap().try_into().unwrap());
        Chain::connect(&chain.url)
            .await
            .unwrap()
            .client_owner(key)
            .await
            .unwrap()
    });
    assert_eq!(
        owner,
        Some(subxt_signer::sr25519::dev::alice().public_key().0)
    );
    let model_path = www.join("model.json");
    let model_id = publish_from_origin(&chain, &model_path, &origin.url("model.json"));
    // A dApp whose origin URL serves other bytes (of the same length).
    let lying = dir.path().join("lying.bin");
    random_file(&lying, 300_000, 33);
    let lying_id = publish_from_origin(&chain, &lying, &origin.url("other.bin"));
    let orphan = dir.path().join("orphan.bin");
    random_file(&orphan, 1_000, 45);
    let orphan_id = dapp(
        &chain,
        &["publish", orphan.to_str().unwrap(), "--max-price", "1"],
    );
    // A model folder is one collection, published in one call: its manifest and each of its files is a
    // content on chain, the manifest's id the one a node's store gives the folder.
    let tiny_model = dir.path().join("tiny-model");
    std::fs::create_dir(&tiny_model).unwrap();
    let shard = random_file(&tiny_model.join("model.safetensors"), 50_000, 51);
    std::fs::write(tiny_model.join("config.json"), b"{}").unwrap();
    let collection_id = dapp(
        &chain,
        &["publish", tiny_model.to_str().unwrap(), "--max-price", "1"],
    );
    let holder_data = dir.path().join("holder");
    assert_eq!(collection_id, common::publish(&holder_data, &tiny_model));
    let mut holder = Worker::spawn(&holder_data, &["run", "--listen", &loopback()]);
    let holder_address = holder.address();
    let (manifest, shard_size) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let on_chain = Chain::connect(&chain.url).await.unwrap();
        let size = |id: blake3::Hash| {
            let on_chain = &on_chain;
            async move { on_chain.content(id).await.unwrap().map(|c| c.size) }
        };
        (
            size(blake3::Hash::from_hex(&collection_id).unwrap()).await,
            size(blake3::hash(&shard)).await,
        )
    });
    assert!(manifest.is_some_and(|size| size > 0));
    assert_eq!(shard_size, Some(50_000));

    let listen = loopback();
    let data = dir.path().join("edge");
    let mut worker = Worker::spawn(
        &data,
        &[
            "run",
            "--listen",
            &listen,
            "--gateway",
            "127.0.0.1:0",
            "--chain",
            &chain.url,
            // The test's origin is on loopback.
            "--allow-private-origins",
            "--peer",
            &holder_address,
        ],
    );
    let gateway = worker.gateway();
    let url = |id: &str| format!("http://{gateway}/c/{id}");

    // Three clients miss at once: one pull from the origin, all three get the verified bytes.
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let url = url(&model_id);
            std::thread::spawn(move || curl(&url, &[]))
        })
        .collect();
    for client in clients {
        let (status, head, body) = client.join().unwrap();
        assert_eq!(status, 200, "{head}");
        assert!(body == model, "pulled bytes are the content");
        assert_eq!(header(&head, "content-type"), Some("application/json"));
        assert_eq!(
            header(&head, "etag"),
            Some(format!("\"{model_id}\"").as_str())
        );
    }
    assert_eq!(
        origin.requests("model.json"),
        1,
        "concurrent misses share one pull"
    );

    // Bytes that are not the content are refused and not kept; the origin is not asked again at once.
    for _ in 1..=2 {
        let (status, _, body) = curl(&url(&lying_id), &[]);
        assert_eq!(status, 502);
        assert_eq!(body, PULL_FAILED, "no internal error text to the client");
        assert_eq!(origin.requests("other.bin"), 1);
    }

    // No origin registered and no node holding it, or not on chain at all: a plain miss (the first after a
    // search of the network, the next one remembered).
    assert_eq!(curl(&url(&orphan_id), &[]).0, 404);
    assert_eq!(curl(&url(&orphan_id), &[]).0, 404);
    assert_eq!(curl(&url(&"ab".repeat(32)), &[]).0, 404);

    // A model's files have no origin: a gateway that misses one fetches the collection's manifest and the file
    // from the node that holds them, verified over PeerDTS, and answers a Hugging Face client's request.
    let (status, head, body) = curl(
        &format!("http://{gateway}/enreach/{collection_id}/resolve/main/model.safetensors"),
        &[],
    );
    assert_eq!(status, 200, "{head}");
    assert!(
        body == shard,
        "the shard fetched from the holder is the published one"
    );
    holder.kill();

    // The gateway's node restarts: the next miss reconnects and still reads the chain (404, not 502).
    chain.restart();
    assert_eq!(curl(&url(&"cd".repeat(32)), &[]).0, 404);

    // Once pulled, the content is the gateway's own: served (with ranges) without the origin.
    drop(origin);
    let (status, _, body) = curl(&url(&model_id), &["-H", "Range: bytes=100-199"]);
    assert_eq!(status, 206);
    assert!(body == model[100..200]);
}

/// The body of every failed pull, whatever the reason (which only the edge's log tells).
const PULL_FAILED: &[u8] = b"origin pull failed\n";

#[test]
fn a_hostile_dapp_cannot_turn_gateways_against_their_network_or_its_origins() {
    let chain = DevChain::start();
    let dir = tempfile::tempdir().unwrap();
    dapp(&chain, &["open-account", "--deposit", "1000000000000000"]);
    let honest_path = dir.path().join("honest.bin");
    let honest = random_file(&honest_path, 300_000, 51);
    let origin = HostileOrigin::start(honest.clone());
    let closed_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Publishes a content of `len` bytes whose origin is `url`; its id.
    let mut seed = 60;
    let mut publish = |len: usize, url: &str| {
        seed += 1;
        let file = dir.path().join(format!("content-{seed}"));
        random_file(&file, len, seed);
        publish_from_origin(&chain, &file, url)
    };
    let honest_id = publish_from_origin(&chain, &honest_path, &origin.url("/honest.bin"));
    let port = origin.port;
    let internal = [
        (publish(1_000, &origin.url("/internal")), "/internal"),
        (
            publish(1_000, &format!("http://[::ffff:127.0.0.1]:{port}/mapped")),
            "/mapped",
        ),
        (
            publish(1_000, &format!("http://localhost:{port}/named")),
            "/named",
        ),
    ];
    let closed_id = publish(1_000, &format!("http://127.0.0.1:{closed_port}/x"));
    let failing_id = publish(1_000, &origin.url("/fail"));
    let big_id = publish(600_000, &origin.url("/big"));
    let slow_id = publish(100_000, &origin.url("/slow"));
    let metadata_id = publish(1_000, &origin.url("/metadata"));

    // An edge on the open internet: origin URLs into its own network are refused before any connection.
    let data = dir.path().join("edges");
    let edge = |name: &str, extra: &[&str]| {
        let listen = loopback();
        let mut args = vec![
            "run",
            "--listen",
            &listen,
            "--gateway",
            "127.0.0.1:0",
            "--chain",
            &chain.url,
        ];
        args.extend_from_slice(extra);
        let mut worker = Worker::spawn(&data.join(name), &args);
        let gateway = worker.gateway();
        (worker, gateway)
    };
    let (_public, gateway) = edge("public", &[]);
    for (id, path) in &internal {
        let (status, _, body) = curl(&format!("http://{gateway}/c/{id}"), &[]);
        assert_eq!(origin.requests(path), 0, "{path} was fetched from loopback");
        assert_eq!(status, 502);
        assert_eq!(body, PULL_FAILED);
    }

    // An edge of a local test network, where loopback origins are allowed, with limits tightened for the test.
    let (_local, gateway) = edge(
        "local",
        &[
            "--allow-private-origins",
            "--origin-timeout",
            "3",
            "--max-origin-bytes",
            "500000",
        ],
    );
    let url = |id: &str| format!("http://{gateway}/c/{id}");
    let (status, _, body) = curl(&url(&honest_id), &[]);
    assert_eq!(status, 200);
    assert!(body == honest, "the honest content is pulled and served");

    // A closed port and an origin that fails look alike: no port-scan oracle, no echo of the origin's error.
    let (status, _, body) = curl(&url(&closed_id), &[]);
    assert_eq!((status, body.as_slice()), (502, PULL_FAILED));
    // A failed pull is remembered: clients asking again do not make the edge download the URL again.
    for _ in 0..3 {
        let (status, _, body) = curl(&url(&failing_id), &[]);
        assert_eq!((status, body.as_slice()), (502, PULL_FAILED));
    }
    assert_eq!(origin.requests("/fail"), 1, "one pull per failure period");

    // Larger than the edge pulls: refused without asking the origin.
    assert_eq!(curl(&url(&big_id), &[]).0, 502);
    assert_eq!(origin.requests("/big"), 0);

    // An origin that trickles bytes is cut off at the deadline; honest clients are served meanwhile.
    let started = Instant::now();
    let slow = {
        let url = url(&slow_id);
        std::thread::spawn(move || curl(&url, &[]))
    };
    while origin.requests("/slow") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "slow pull started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, _, body) = curl(&url(&honest_id), &["-H", "Range: bytes=100-199"]);
    assert_eq!(status, 206);
    assert!(body == honest[100..200]);
    let (status, _, body) = slow.join().unwrap();
    assert_eq!((status, body.as_slice()), (502, PULL_FAILED));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the pull ended at its deadline, not the origin's pace: {:?}",
        started.elapsed()
    );

    // A redirect to the cloud metadata service: the hop is checked like the first URL, and never connected
    // to (link-local addresses stay refused with --allow-private-origins).
    let (status, _, body) = curl(&url(&metadata_id), &[]);
    assert_eq!((status, body.as_slice()), (502, PULL_FAILED));
    assert_eq!(origin.requests("/metadata"), 1);
}

/// An origin on loopback that answers by path: `/honest.bin` the honest content, `/fail` a 500 with internal
/// details, `/slow` a trickle of one byte each 200 ms, `/metadata` a redirect to the cloud metadata service,
/// anything else 404. It records every request's path.
struct HostileOrigin {
    port: u16,
    paths: Arc<Mutex<Vec<String>>>,
}

impl HostileOrigin {
    fn start(honest: Vec<u8>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let paths = Arc::new(Mutex::new(Vec::new()));
        let seen = paths.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (seen, honest) = (seen.clone(), honest.clone());
                std::thread::spawn(move || Self::answer(conn, &seen, &honest));
            }
        });
        Self { port, paths }
    }

    fn answer(mut conn: TcpStream, seen: &Mutex<Vec<String>>, honest: &[u8]) {
        let mut reader = BufReader::new(conn.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
            line.clear();
        }
        seen.lock().unwrap().push(path.clone());
        let _ = match path.as_str() {
            "/honest.bin" => conn
                .write_all(
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", honest.len()).as_bytes(),
                )
                .and_then(|_| conn.write_all(honest)),
            "/fail" => conn.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 21\r\n\r\ndb password: hunter2\n",
            ),
            "/slow" => conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                .and_then(|_| {
                    // Bounded: 30 s at most, whether or not the edge gives up.
                    for _ in 0..150 {
                        conn.write_all(b"x")?;
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    Ok(())
                }),
            "/metadata" => conn.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n",
            ),
            _ => conn.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        };
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// How many times `path` was requested.
    fn requests(&self, path: &str) -> usize {
        self.paths
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}
