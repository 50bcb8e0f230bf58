//! dApp commands and origin pull against a real dev chain: a dApp opens its account and authorizes a client key
//! through `edge-worker dapp`, and registers contents with origin URLs;
//! a gateway that misses them pulls from the origin (one pull for concurrent misses), verifies the bytes
//! against the content id and serves them, refuses an origin whose bytes are another content, answers 404
//! for contents without an origin or unknown to the chain, and keeps reading the chain across a node restart.

mod common;

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use common::{binary, chain::DevChain, cli, curl, header, loopback, random_file, Worker};
use enreach_edge_chain::Chain;
use enreach_primitives::ClientKey;

/// The dev chain's funded account that acts as the dApp.
const DAPP: &str = "//Alice";

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
    let model_id = dapp(
        &chain,
        &[
            "publish",
            model_path.to_str().unwrap(),
            "--max-price",
            "1",
            "--origin",
            &origin.url("model.json"),
        ],
    );
    // A dApp whose origin URL serves other bytes (of the same length).
    let lying = dir.path().join("lying.bin");
    random_file(&lying, 300_000, 33);
    let lying_id = dapp(
        &chain,
        &[
            "publish",
            lying.to_str().unwrap(),
            "--max-price",
            "1",
            "--origin",
            &origin.url("other.bin"),
        ],
    );
    let orphan = dir.path().join("orphan.bin");
    random_file(&orphan, 1_000, 45);
    let orphan_id = dapp(
        &chain,
        &["publish", orphan.to_str().unwrap(), "--max-price", "1"],
    );

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
        ],
    );
    let gateway = worker.event("gateway", Duration::from_secs(60))["address"]
        .as_str()
        .unwrap()
        .to_string();
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

    // Bytes that are not the content are refused and not kept: every request goes back to the origin.
    for attempt in 1..=2 {
        let (status, _, body) = curl(&url(&lying_id), &[]);
        assert_eq!(status, 502);
        assert!(String::from_utf8_lossy(&body).contains("hash"), "{body:?}");
        assert_eq!(origin.requests("other.bin"), attempt);
    }

    // No origin registered, or not on chain at all: a plain miss.
    assert_eq!(curl(&url(&orphan_id), &[]).0, 404);
    assert_eq!(curl(&url(&"ab".repeat(32)), &[]).0, 404);

    // The gateway's node restarts: the next miss reconnects and still reads the chain (404, not 502).
    chain.restart();
    assert_eq!(curl(&url(&orphan_id), &[]).0, 404);

    // Once pulled, the content is the gateway's own: served (with ranges) without the origin.
    drop(origin);
    let (status, _, body) = curl(&url(&model_id), &["-H", "Range: bytes=100-199"]);
    assert_eq!(status, 206);
    assert!(body == model[100..200]);
}
