//! The data directory is one node's: a second `edge-worker` started on it (an operator's mistake, a unit file
//! started twice) must fail fast with a clear error, not share the store and the receipt ledger with the
//! first.

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{binary, cli, loopback, publish, random_file, Worker};

#[test]
fn a_second_worker_on_the_same_data_dir_fails_fast_and_the_first_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let file = dir.path().join("page.html");
    let bytes = random_file(&file, 1 << 20, 5);
    let id = publish(&data, &file);
    let mut first = Worker::spawn(&data, &["run", "--listen", &loopback()]);
    let address = format!("{}/p2p/{}", first.address(), first.peer_id());

    let mut second = Command::new(binary())
        .arg("--data-dir")
        .arg(&data)
        .args(["run", "--listen", &loopback()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let began = Instant::now();
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if began.elapsed() > Duration::from_secs(10) {
            second.kill().unwrap();
            panic!("a second edge-worker kept running on the same data directory");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::io::read_to_string(second.stderr.take().unwrap()).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("in use by another edge-worker"), "{stderr}");

    // The first is undisturbed.
    let out = dir.path().join("out.html");
    cli(
        &dir.path().join("client"),
        &[
            "fetch",
            &id,
            "-o",
            out.to_str().unwrap(),
            "--json",
            "--peer",
            &address,
        ],
    );
    assert!(std::fs::read(&out).unwrap() == bytes);
}
