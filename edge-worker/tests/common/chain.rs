//! A real EnReach dev chain for the tests that need one: a `dev` node validating as Alice on free loopback
//! ports, started by the same harness as the node's own tests (enreach-node-process), from the node binary
//! that the same `cargo build --workspace` built (scripts/build), killed when dropped.

use std::path::PathBuf;

use enreach_node_process::{NodeConfig, NodeProcess, STARTUP};

use super::binary;

/// A running dev chain.
pub struct DevChain {
    node: NodeProcess,
    /// Its JSON-RPC endpoint, as edge-worker's `--chain` takes it.
    pub url: String,
    _base: tempfile::TempDir,
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

impl DevChain {
    /// Starts a dev chain with its own database and waits until its RPC port is open.
    pub fn start() -> Self {
        let base = tempfile::tempdir().expect("base path");
        let mut node = NodeProcess::start(NodeConfig::new(
            node_binary(),
            "dev",
            Some("alice"),
            base.path(),
        ));
        node.wait_rpc_port(STARTUP);
        Self {
            url: format!("ws://127.0.0.1:{}", node.config.rpc_port),
            node,
            _base: base,
        }
    }

    /// Kills the node (SIGKILL) and starts it again on the same database and ports.
    pub fn restart(&mut self) {
        self.node.restart();
        self.node.wait_rpc_port(STARTUP);
    }
}
