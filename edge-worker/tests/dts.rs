//! PeerDTS between real `edge-worker` processes on loopback: multi-source verified downloads, banning a
//! provider that corrupts data, resuming a download killed with SIGKILL, and serving through a relay.

mod common;

use std::{fs, time::Duration};

use common::{loopback, publish, random_file, Worker};
use serde_json::Value;

const MIB: usize = 1 << 20;
const GROUP: u64 = 16 * 1024;

/// Runs `fetch` to completion and returns its JSON report.
fn fetch(
    data_dir: &std::path::Path,
    id: &str,
    output: &std::path::Path,
    peers: &[String],
) -> Value {
    let mut args = vec![
        "fetch".to_string(),
        id.to_string(),
        "-o".into(),
        output.display().to_string(),
        "--json".into(),
    ];
    for p in peers {
        args.push("--peer".into());
        args.push(p.clone());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut worker = Worker::spawn(data_dir, &args);
    let event = worker.event("fetched", Duration::from_secs(180));
    assert!(worker.wait(Duration::from_secs(10)).success());
    event
}

/// `count` providers of the same file, each serving from its own store.
fn providers(
    dir: &std::path::Path,
    file: &std::path::Path,
    count: usize,
    extra: &[&[&str]],
) -> (String, Vec<Worker>, Vec<String>) {
    let mut workers = Vec::new();
    let mut addresses = Vec::new();
    let mut id = String::new();
    for i in 0..count {
        let data = dir.join(format!("provider-{i}"));
        id = publish(&data, file);
        let listen = loopback();
        let mut args = vec!["run", "--listen", &listen];
        if let Some(more) = extra.get(i) {
            args.extend_from_slice(more);
        }
        let mut worker = Worker::spawn(&data, &args);
        addresses.push(worker.address());
        workers.push(worker);
    }
    (id, workers, addresses)
}

#[test]
fn a_100_mib_file_is_fetched_byte_identical_from_all_three_providers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model.bin");
    let bytes = random_file(&file, 100 * MIB, 7);
    let (id, _providers, addresses) = providers(dir.path(), &file, 3, &[]);
    assert_eq!(id, blake3::hash(&bytes).to_hex().as_str());

    let out = dir.path().join("out.bin");
    let report = fetch(&dir.path().join("client"), &id, &out, &addresses);
    assert!(
        fs::read(&out).unwrap() == bytes,
        "the fetched file is byte-identical"
    );
    let by_peer = report["report"]["bytes_by_peer"].as_object().unwrap();
    assert_eq!(
        by_peer.len(),
        3,
        "fetched from all three providers: {report}"
    );
    assert!(by_peer.values().all(|b| b.as_u64().unwrap() > 0));
    // Everything once, plus what the endgame fetched twice to not wait on the slowest provider.
    let fetched = report["bytes_fetched"].as_u64().unwrap();
    let size = bytes.len() as u64;
    assert!(
        fetched >= size && fetched <= size + size / 20,
        "{fetched} bytes for {size}"
    );
    assert!(report["report"]["banned"].as_array().unwrap().is_empty());
}

#[test]
fn a_provider_that_corrupts_chunks_is_banned_and_the_file_still_arrives_intact() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.tar");
    let bytes = random_file(&file, 8 * MIB, 11);
    let (id, mut providers, addresses) = providers(dir.path(), &file, 2, &[&[], &["--corrupt"]]);
    let liar = providers[1].peer_id();
    let out = dir.path().join("out.tar");
    let report = fetch(&dir.path().join("client"), &id, &out, &addresses);
    assert!(fs::read(&out).unwrap() == bytes);
    let banned: Vec<&str> = report["report"]["banned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    assert_eq!(banned, vec![liar.as_str()], "{report}");
}

#[test]
fn a_fetch_killed_midway_resumes_and_downloads_only_the_missing_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("video.mp4");
    let size = 24 * MIB;
    let bytes = random_file(&file, size, 13);
    // A provider capped at 8 MiB/s, so the download takes seconds and can be killed midway.
    let (id, _providers, addresses) =
        providers(dir.path(), &file, 1, &[&["--rate-limit", "8388608"]]);
    let client = dir.path().join("client");
    let out = dir.path().join("out.mp4");
    let out_arg = out.display().to_string();
    let mut first = Worker::spawn(
        &client,
        &[
            "fetch",
            &id,
            "-o",
            &out_arg,
            "--json",
            "--peer",
            &addresses[0],
        ],
    );
    std::thread::sleep(Duration::from_millis(1500));
    first.kill();
    assert!(!out.exists(), "killed before it finished");

    let report = fetch(&client, &id, &out, &addresses);
    assert!(fs::read(&out).unwrap() == bytes);
    let already = report["report"]["groups_already_present"].as_u64().unwrap();
    assert!(
        already > 0,
        "the first run's verified groups were kept: {report}"
    );
    let fetched = report["bytes_fetched"].as_u64().unwrap();
    assert_eq!(
        fetched,
        size as u64 - already * GROUP,
        "only the missing groups were fetched again"
    );
}

#[test]
fn a_node_reachable_only_through_a_relay_still_serves() {
    let dir = tempfile::tempdir().unwrap();
    let listen = loopback();
    let mut relay = Worker::spawn(
        &dir.path().join("relay"),
        &["run", "--listen", &listen, "--relay-server"],
    );
    let relay_addr = relay.address();

    // The provider listens on nothing but its relay circuit.
    let file = dir.path().join("page.html");
    let bytes = random_file(&file, 3 * MIB, 17);
    let provider_dir = dir.path().join("hidden");
    let id = publish(&provider_dir, &file);
    let mut provider = Worker::spawn(&provider_dir, &["run", "--relay", &relay_addr]);
    let provider_id = provider.peer_id();
    provider.event("relayed", Duration::from_secs(30));

    let via_relay = format!("{relay_addr}/p2p-circuit/p2p/{provider_id}");
    let out = dir.path().join("out.html");
    let report = fetch(&dir.path().join("client"), &id, &out, &[via_relay]);
    assert!(fs::read(&out).unwrap() == bytes);
    let by_peer = report["report"]["bytes_by_peer"].as_object().unwrap();
    assert_eq!(
        by_peer.keys().collect::<Vec<_>>(),
        vec![&provider_id],
        "{report}"
    );
}
