//! Real `edge-worker` processes on loopback for the integration tests: spawn, read their JSON events, kill.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

pub mod chain;
pub mod netns;

use std::{
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use serde_json::Value;

/// A running worker and the events it printed.
pub struct Worker {
    child: Child,
    events: mpsc::Receiver<Value>,
    seen: Vec<Value>,
    /// Its data directory.
    pub data_dir: PathBuf,
}

/// The binary under test: `$ENREACH_TEST_EDGE_WORKER` if set, else the one cargo built. The variable names a
/// copy (with `enreach-node` beside it) for a target directory shared by several checkouts, where another
/// checkout's build can replace `target/debug/edge-worker` while the tests run.
pub fn binary() -> &'static str {
    static BINARY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        std::env::var("ENREACH_TEST_EDGE_WORKER")
            .unwrap_or_else(|_| env!("CARGO_BIN_EXE_edge-worker").to_string())
    })
}

impl Worker {
    /// Starts `edge-worker --data-dir <data_dir> <args>`.
    pub fn spawn(data_dir: &Path, args: &[&str]) -> Self {
        Self::spawn_command(Command::new(binary()), data_dir, args)
    }

    /// Starts `edge-worker --data-dir <data_dir> <args>` inside the network namespace `netns`
    /// (`ip netns exec`, which execs the worker: the child is the worker itself).
    pub fn spawn_in(netns: &str, data_dir: &Path, args: &[&str]) -> Self {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", netns, binary()]);
        Self::spawn_command(command, data_dir, args)
    }

    fn spawn_command(mut command: Command, data_dir: &Path, args: &[&str]) -> Self {
        let mut child = command
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("edge-worker starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Ok(event) = serde_json::from_str::<Value>(&line) {
                    if tx.send(event).is_err() {
                        return;
                    }
                }
            }
        });
        Self {
            child,
            events,
            seen: Vec::new(),
            data_dir: data_dir.into(),
        }
    }

    /// The first event named `name`, waiting up to `timeout`.
    pub fn event(&mut self, name: &str, timeout: Duration) -> Value {
        self.event_matching(name, |_| true, timeout)
    }

    /// The first event named `name` for which `wanted` holds, waiting up to `timeout`.
    pub fn event_matching(
        &mut self,
        name: &str,
        wanted: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Value {
        let matches = |e: &Value| e["event"] == name && wanted(e);
        if let Some(e) = self.seen.iter().find(|e| matches(e)) {
            return e.clone();
        }
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) => {
                    self.seen.push(e.clone());
                    if matches(&e) {
                        return e;
                    }
                }
                Err(_) => panic!(
                    "no matching `{name}` event within {timeout:?}; saw {:?}",
                    self.seen
                ),
            }
        }
    }

    /// Its TCP multiaddress with peer id.
    pub fn address(&mut self) -> String {
        self.event("listening", Duration::from_secs(20))["address"]
            .as_str()
            .expect("address")
            .to_string()
    }

    /// Its HTTP gateway's socket address (`host:port`).
    pub fn gateway(&mut self) -> String {
        self.event("gateway", Duration::from_secs(60))["address"]
            .as_str()
            .expect("gateway address")
            .to_string()
    }

    /// Its peer id.
    pub fn peer_id(&mut self) -> String {
        self.event("started", Duration::from_secs(20))["peer_id"]
            .as_str()
            .expect("peer id")
            .to_string()
    }

    /// Waits for it to exit; its status.
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "worker did not exit in {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILLs it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A file of `len` pseudo-random bytes (xorshift, seeded).
pub fn random_file(path: &Path, len: usize, seed: u64) -> Vec<u8> {
    // Distinct seeds give distinct files (a plain `seed | 1` would make 8 and 9 the same).
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(len);
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&bytes))
        .expect("test file written");
    bytes
}

/// Runs `edge-worker --data-dir <data_dir> <args>` to completion; it must succeed, and the last JSON line it
/// printed (a command's summary comes after its node's events) is returned.
pub fn cli(data_dir: &Path, args: &[&str]) -> Value {
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("edge-worker runs");
    assert!(out.status.success(), "{args:?} failed: {out:?}");
    out.stdout
        .split(|b| *b == b'\n')
        .rev()
        .find_map(|line| serde_json::from_slice(line).ok())
        .unwrap_or_else(|| panic!("{args:?} printed no JSON: {out:?}"))
}

/// Imports `file` into the store in `data_dir`; returns the content id.
pub fn publish(data_dir: &Path, file: &Path) -> String {
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(data_dir)
        .arg("publish")
        .arg(file)
        .output()
        .expect("publish runs");
    assert!(out.status.success(), "publish failed: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A file holding the secret URI `uri` (e.g. `//Bob`), for `--operator-key`; its path.
pub fn secret_file(dir: &Path, name: &str, uri: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{uri}\n")).unwrap();
    path.to_str().unwrap().to_string()
}

/// A keeper (`run --role keeper`) with data folder `data_dir`, signing with the key in `key_file`, on the chain
/// at `chain_url`, with `extra` arguments (e.g. `--peer`).
pub fn keeper(data_dir: &Path, chain_url: &str, key_file: &str, extra: &[&str]) -> Worker {
    let listen = loopback();
    let args = [
        "run",
        "--listen",
        &listen,
        "--role",
        "keeper",
        "--chain",
        chain_url,
        "--operator-key",
        key_file,
    ];
    Worker::spawn(data_dir, &[&args[..], extra].concat())
}

/// A loopback TCP listen address on a free port.
pub fn loopback() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("/ip4/127.0.0.1/tcp/{port}")
}

/// `curl -s -D - -o - <extra> url`: the status code, the headers (lower case) and the body.
pub fn curl(url: &str, extra: &[&str]) -> (u16, String, Vec<u8>) {
    // With -I curl prints the headers itself; otherwise -D - puts them before the body.
    let dump: &[&str] = if extra.contains(&"-I") {
        &[]
    } else {
        &["-D", "-"]
    };
    let out = Command::new("curl")
        .arg("-s")
        .args(dump)
        .args(["-o", "-"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "curl failed: {out:?}");
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers end");
    let head = String::from_utf8_lossy(&out.stdout[..split]).to_string();
    let body = out.stdout[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head.to_lowercase(), body)
}

pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}
