//! A real EnReach dev chain for the tests that need one: `enreach-node --dev` on free loopback ports, built by
//! the same `cargo build --workspace` as edge-worker (scripts/build), killed when dropped.

use std::{
    net::TcpStream,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use super::binary;

/// A running dev chain.
pub struct DevChain {
    child: Child,
    /// Its JSON-RPC endpoint, as edge-worker's `--chain` takes it.
    pub url: String,
    rpc_port: u16,
    p2p_port: u16,
    base: tempfile::TempDir,
}

/// The node binary next to the edge-worker binary under test.
fn node_binary() -> PathBuf {
    let path = std::path::Path::new(binary()).with_file_name("enreach-node");
    assert!(
        path.exists(),
        "{} is missing: build the whole workspace first (scripts/build)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind loopback")
}

/// Starts `enreach-node --dev` on `base` and the given ports; waits until its RPC port accepts connections.
fn spawn(base: &std::path::Path, rpc_port: u16, p2p_port: u16) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(base.join("node.log"))
        .expect("node log");
    let child = Command::new(node_binary())
        .args(["--dev", "--base-path"])
        .arg(base)
        .args(["--rpc-port", &rpc_port.to_string()])
        .args(["--no-prometheus", "--no-telemetry", "--no-mdns"])
        .args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("enreach-node starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", rpc_port)).is_err() {
        assert!(Instant::now() < deadline, "the dev node's RPC did not open");
        std::thread::sleep(Duration::from_millis(200));
    }
    child
}

impl DevChain {
    /// Starts `enreach-node --dev` with its own database.
    pub fn start() -> Self {
        let base = tempfile::tempdir().expect("base path");
        let (rpc_port, p2p_port) = (free_port(), free_port());
        Self {
            child: spawn(base.path(), rpc_port, p2p_port),
            url: format!("ws://127.0.0.1:{rpc_port}"),
            rpc_port,
            p2p_port,
            base,
        }
    }

    /// Kills the node (SIGKILL) and starts it again on the same database and ports.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.base.path(), self.rpc_port, self.p2p_port);
    }
}

impl Drop for DevChain {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
