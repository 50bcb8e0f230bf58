//! A harness for tests that run the real `enreach-node` binary: start nodes on free loopback ports with their
//! own base paths, talk to them over JSON-RPC, and kill or restart them.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::{
    future::Future,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use codec::{Decode, Encode};
use enreach_runtime::{AccountId, Balance, Hash, Nonce};
use jsonrpsee::{
    core::{client::ClientT, ClientError},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::Value;

/// The node binary cargo built for these tests.
pub const NODE_BIN: &str = env!("CARGO_BIN_EXE_enreach-node");

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind loopback")
}

/// How to start one node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// `--chain`: `dev`, `local` or a spec file.
    pub chain: String,
    /// Dev account whose keys the node validates with (`--alice`, ...), if any.
    pub validator: Option<&'static str>,
    /// Database and keystore folder, kept across restarts.
    pub base_path: PathBuf,
    /// libp2p listen port.
    pub p2p_port: u16,
    /// JSON-RPC port.
    pub rpc_port: u16,
    /// Multiaddresses of peers to dial first.
    pub bootnodes: Vec<String>,
}

impl NodeConfig {
    /// A node on free ports storing its data under `base_path`.
    pub fn new(chain: &str, validator: Option<&'static str>, base_path: &Path) -> Self {
        Self {
            chain: chain.into(),
            validator,
            base_path: base_path.into(),
            p2p_port: free_port(),
            rpc_port: free_port(),
            bootnodes: Vec::new(),
        }
    }
}

/// A running node process, killed when dropped so a failing test leaves nothing behind.
pub struct Node {
    /// How it was started, to restart it the same way.
    pub config: NodeConfig,
    child: Child,
    /// Its JSON-RPC endpoint.
    pub rpc: HttpClient,
}

impl Node {
    /// Starts the node; its log goes to `<base_path>/node.log`.
    pub fn start(config: NodeConfig) -> Self {
        std::fs::create_dir_all(&config.base_path).expect("create base path");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(config.base_path.join("node.log"))
            .expect("open node log");
        let mut cmd = Command::new(NODE_BIN);
        cmd.arg("--chain")
            .arg(&config.chain)
            .arg("--base-path")
            .arg(&config.base_path)
            .args(["--rpc-port", &config.rpc_port.to_string()])
            .args(["--no-prometheus", "--no-telemetry", "--no-mdns"])
            // A validator needs a network key; generated once into the base path, so restarts keep the identity.
            .arg("--unsafe-force-node-key-generation")
            .args([
                "--listen-addr",
                &format!("/ip4/127.0.0.1/tcp/{}", config.p2p_port),
            ]);
        if let Some(name) = config.validator {
            cmd.arg(format!("--{name}"));
        }
        if !config.bootnodes.is_empty() {
            cmd.arg("--bootnodes").args(&config.bootnodes);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {NODE_BIN}: {e}"));
        let rpc = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(10))
            .build(format!("http://127.0.0.1:{}", config.rpc_port))
            .expect("valid RPC url");
        Self { config, child, rpc }
    }

    /// SIGKILLs the process: no shutdown hooks, no flushed caches, as in a crash or power loss.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the process again with the same configuration and database.
    pub fn restart(&mut self) {
        self.kill();
        let config = self.config.clone();
        *self = Node::start(config);
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The multiaddress peers dial to reach this node.
    pub async fn multiaddr(&self) -> String {
        let peer_id: String = self
            .call("system_localPeerId", rpc_params![])
            .await
            .expect("peer id");
        format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", self.config.p2p_port)
    }

    /// One JSON-RPC call.
    pub async fn call<R: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: jsonrpsee::core::params::ArrayParams,
    ) -> Result<R, ClientError> {
        self.rpc.request(method, params).await
    }

    /// Waits until the node answers JSON-RPC.
    pub async fn wait_rpc(&mut self, timeout: Duration) {
        let start = Instant::now();
        loop {
            assert!(
                self.is_running(),
                "node exited; see {}",
                self.config.base_path.join("node.log").display()
            );
            if self
                .call::<Value>("system_health", rpc_params![])
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "node did not answer JSON-RPC within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Number of the best block.
    pub async fn best_number(&self) -> u32 {
        let header: Value = self
            .call("chain_getHeader", rpc_params![])
            .await
            .expect("best header");
        parse_number(&header)
    }

    /// Number of the last finalized block.
    pub async fn finalized_number(&self) -> u32 {
        let hash: Hash = self
            .call("chain_getFinalizedHead", rpc_params![])
            .await
            .expect("finalized head");
        let header: Value = self
            .call("chain_getHeader", rpc_params![hash])
            .await
            .expect("finalized header");
        parse_number(&header)
    }

    /// Hash of the block at `number` on the best chain, if the node has it.
    pub async fn block_hash(&self, number: u32) -> Option<Hash> {
        self.call("chain_getBlockHash", rpc_params![number])
            .await
            .expect("block hash")
    }

    /// What a transaction signed now commits to: this chain's genesis and block `at` as mortality checkpoint.
    pub async fn signing_context(&self, at: u32) -> enreach_node::transaction::SigningContext {
        enreach_node::transaction::SigningContext {
            genesis_hash: self.genesis_hash().await,
            checkpoint: (
                self.block_hash(at).await.expect("checkpoint block exists"),
                at,
            ),
        }
    }

    /// Genesis hash, for signing.
    pub async fn genesis_hash(&self) -> Hash {
        self.block_hash(0).await.expect("genesis exists")
    }

    /// Free balance and nonce of `who` at the best block (zero for an account that does not exist).
    pub async fn account(&self, who: &AccountId) -> (Balance, Nonce) {
        let key = frame_system::Account::<enreach_runtime::Runtime>::hashed_key_for(who);
        let raw: Option<String> = self
            .call(
                "state_getStorage",
                rpc_params![format!("0x{}", hex::encode(key))],
            )
            .await
            .expect("storage");
        match raw {
            None => (0, 0),
            Some(hex_value) => {
                let bytes =
                    hex::decode(hex_value.trim_start_matches("0x")).expect("hex storage value");
                let info = frame_system::AccountInfo::<Nonce, pallet_balances::AccountData<Balance>>::decode(
                    &mut &bytes[..],
                )
                .expect("AccountInfo decodes");
                (info.data.free, info.nonce)
            }
        }
    }

    /// Submits an encoded extrinsic; returns its hash or the node's error.
    pub async fn submit(&self, extrinsic: &impl Encode) -> Result<Hash, ClientError> {
        self.submit_raw(&extrinsic.encode()).await
    }

    /// Submits raw bytes as an extrinsic.
    pub async fn submit_raw(&self, bytes: &[u8]) -> Result<Hash, ClientError> {
        self.call(
            "author_submitExtrinsic",
            rpc_params![format!("0x{}", hex::encode(bytes))],
        )
        .await
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn parse_number(header: &Value) -> u32 {
    let hex_number = header["number"].as_str().expect("header has a number");
    u32::from_str_radix(hex_number.trim_start_matches("0x"), 16).expect("hex block number")
}

/// How long a node may take to start (wasm compilation on a loaded 2-core machine).
pub const STARTUP: Duration = Duration::from_secs(120);
/// How long a few 6 s blocks may take on a loaded machine.
pub const BLOCKS: Duration = Duration::from_secs(90);

/// A `--chain dev` node validating as Alice in `dir`, answering JSON-RPC and past its first block.
pub async fn dev_node(dir: &TempDir) -> Node {
    let mut node = Node::start(NodeConfig::new("dev", Some("alice"), &dir.0));
    node.wait_rpc(STARTUP).await;
    wait_for("a first block", BLOCKS, || async {
        (node.best_number().await >= 1).then_some(())
    })
    .await;
    node
}

/// Polls `probe` every second until it returns `Some`, failing the test with `what` after `timeout`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A fresh temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates `<tmp>/enreach-<tag>-<pid>-<nanos>`.
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path =
            std::env::temp_dir().join(format!("enreach-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
