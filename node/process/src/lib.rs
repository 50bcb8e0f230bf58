//! Starts real `enreach-node` processes for tests: each on free loopback ports with its own base path and log,
//! killed (SIGKILL, as in a crash) or restarted on the same database and ports, and killed when dropped so a
//! failing test leaves nothing behind.
//!
//! The node's own tests (`node/tests`) and edge-worker's process-level tests both start nodes; this crate is
//! the one place that knows how. It depends on std alone, so edge-worker's tests do not compile the node's
//! crates to use it.

use std::{
    fs::OpenOptions,
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a node may take to open its RPC port. Generous on purpose: the test command starts several nodes at
/// once beside zombienet networks on a 2-core machine, and each compiles the runtime before it listens. A start
/// slower than this is a hang, not a slow machine.
pub const STARTUP: Duration = Duration::from_secs(300);

/// A loopback port nothing listens on right now.
///
/// The kernel hands out a random free port and the listener is closed at once; a test starting many nodes in
/// parallel with other tests can, rarely, lose that port to another process before the node binds it.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind loopback")
}

/// How to start one node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The `enreach-node` binary.
    pub binary: PathBuf,
    /// `--chain`: `dev`, `local` or a spec file.
    pub chain: String,
    /// Dev account whose keys the node validates with (`--alice`, ...), if any.
    pub validator: Option<&'static str>,
    /// Database and keystore folder, kept across restarts; the node's log is `node.log` in it.
    pub base_path: PathBuf,
    /// libp2p listen port.
    pub p2p_port: u16,
    /// JSON-RPC port (HTTP and WebSocket).
    pub rpc_port: u16,
    /// Multiaddresses of peers to dial first.
    pub bootnodes: Vec<String>,
    /// Further command-line arguments (a benchmark's larger transaction pool).
    pub extra_args: Vec<String>,
}

impl NodeConfig {
    /// A node of `chain` on free ports storing its data under `base_path`.
    pub fn new(
        binary: impl Into<PathBuf>,
        chain: &str,
        validator: Option<&'static str>,
        base_path: &Path,
    ) -> Self {
        Self {
            binary: binary.into(),
            chain: chain.into(),
            validator,
            base_path: base_path.into(),
            p2p_port: free_port(),
            rpc_port: free_port(),
            bootnodes: Vec::new(),
            extra_args: Vec::new(),
        }
    }

    /// The node's log file.
    pub fn log(&self) -> PathBuf {
        self.base_path.join("node.log")
    }
}

/// A running node process.
pub struct NodeProcess {
    /// How it was started, to restart it the same way.
    pub config: NodeConfig,
    child: Child,
}

impl NodeProcess {
    /// Starts the node; its log goes to `<base_path>/node.log`, appended across restarts.
    pub fn start(config: NodeConfig) -> Self {
        std::fs::create_dir_all(&config.base_path).expect("create base path");
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(config.log())
            .expect("open node log");
        let mut cmd = Command::new(&config.binary);
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
        cmd.args(&config.extra_args);
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", config.binary.display()));
        Self { config, child }
    }

    /// SIGKILLs the process: no shutdown hooks, no flushed caches, as in a crash or power loss.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the process again with the same configuration, ports and database.
    pub fn restart(&mut self) {
        self.kill();
        *self = NodeProcess::start(self.config.clone());
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Blocks until the JSON-RPC port accepts connections; panics, naming the log, if the node exits first or
    /// `timeout` passes.
    pub fn wait_rpc_port(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while TcpStream::connect(("127.0.0.1", self.config.rpc_port)).is_err() {
            assert!(
                self.is_running(),
                "the node exited; see {}",
                self.config.log().display()
            );
            assert!(
                Instant::now() < deadline,
                "the node's RPC port did not open within {timeout:?}; see {}",
                self.config.log().display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
