//! A harness for tests that run the real `enreach-node` binary: start nodes on free loopback ports with their
//! own base paths, talk to them over JSON-RPC, and kill or restart them.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::{
    future::Future,
    path::{Path, PathBuf},
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

pub use enreach_node_process::NodeConfig;
use enreach_node_process::NodeProcess;

/// How to start a node of `chain` from the binary under test, on free ports, storing its data under `base_path`.
pub fn node_config(chain: &str, validator: Option<&'static str>, base_path: &Path) -> NodeConfig {
    NodeConfig::new(NODE_BIN, chain, validator, base_path)
}

/// A running node process and its JSON-RPC client.
pub struct Node {
    /// The process, killed when dropped.
    pub process: NodeProcess,
    /// Its JSON-RPC endpoint.
    pub rpc: HttpClient,
}

impl Node {
    /// Starts the node; its log goes to `<base_path>/node.log`.
    pub fn start(config: NodeConfig) -> Self {
        let rpc = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(10))
            .build(format!("http://127.0.0.1:{}", config.rpc_port))
            .expect("valid RPC url");
        Self {
            process: NodeProcess::start(config),
            rpc,
        }
    }

    /// How it was started.
    pub fn config(&self) -> &NodeConfig {
        &self.process.config
    }

    /// SIGKILLs the process: no shutdown hooks, no flushed caches, as in a crash or power loss.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts the process again with the same configuration and database.
    pub fn restart(&mut self) {
        self.process.restart();
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// The multiaddress peers dial to reach this node.
    pub async fn multiaddr(&self) -> String {
        let peer_id: String = self
            .call("system_localPeerId", rpc_params![])
            .await
            .expect("peer id");
        format!(
            "/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}",
            self.config().p2p_port
        )
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
                self.config().log().display()
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

fn parse_number(header: &Value) -> u32 {
    let hex_number = header["number"].as_str().expect("header has a number");
    u32::from_str_radix(hex_number.trim_start_matches("0x"), 16).expect("hex block number")
}

pub use enreach_node_process::STARTUP;
/// How long a few 6 s blocks may take on a loaded machine.
pub const BLOCKS: Duration = Duration::from_secs(180);

/// A `--chain dev` node validating as Alice in `dir`, answering JSON-RPC and past its first block.
pub async fn dev_node(dir: &TempDir) -> Node {
    let mut node = Node::start(node_config("dev", Some("alice"), &dir.0));
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
