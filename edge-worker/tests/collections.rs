//! Collections between real `edge-worker` processes (AiDN): a multi-file model published as one collection on
//! one node is fetched whole and one file alone on others, byte-identical; a second version that shares all but
//! one shard moves only that shard; a fetch killed midway resumes.

mod common;

use std::{
    fs,
    path::{Path, PathBuf},
    time::Duration,
};

use common::{loopback, publish, random_file, Worker};
use serde_json::Value;

const MIB: usize = 1 << 20;

/// A tiny model repository: a config, a tokenizer in a subfolder and two weight shards of `shard` bytes.
fn model(dir: &Path, shard: usize, seed: u64) -> PathBuf {
    fs::create_dir_all(dir.join("tokenizer")).unwrap();
    fs::write(
        dir.join("config.json"),
        br#"{"architectures": ["TinyLM"], "hidden_size": 64}"#,
    )
    .unwrap();
    fs::write(dir.join("tokenizer/vocab.txt"), b"<s>\n</s>\nhello\nedge\n").unwrap();
    random_file(&dir.join("model-00001-of-00002.safetensors"), shard, seed);
    random_file(
        &dir.join("model-00002-of-00002.safetensors"),
        shard,
        seed + 1,
    );
    dir.to_owned()
}

/// A node serving `folder` published as a collection; its id and the node.
fn provider(data: &Path, folder: &Path, extra: &[&str]) -> (String, Worker, String) {
    let id = publish(data, folder);
    let listen = loopback();
    let mut worker = Worker::spawn(data, &[&["run", "--listen", &listen][..], extra].concat());
    let address = worker.address();
    (id, worker, address)
}

fn fetch_args<'a>(id: &'a str, out: &'a str, peer: &'a str, file: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec!["fetch", id, "-o", out, "--json", "--peer", peer];
    if let Some(file) = file {
        args.extend(["--file", file]);
    }
    args
}

/// Runs a collection fetch to completion; its JSON report.
fn fetch(data: &Path, id: &str, out: &Path, peer: &str, file: Option<&str>) -> Value {
    let out = out.display().to_string();
    let mut worker = Worker::spawn(data, &fetch_args(id, &out, peer, file));
    let event = worker.event("fetched_collection", Duration::from_secs(180));
    assert!(worker.wait(Duration::from_secs(10)).success());
    event
}

fn same_files(a: &Path, b: &Path, paths: &[&str]) {
    for path in paths {
        assert!(
            fs::read(a.join(path)).unwrap() == fs::read(b.join(path)).unwrap(),
            "{path} is byte-identical"
        );
    }
}

const FILES: [&str; 4] = [
    "config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "tokenizer/vocab.txt",
];

#[test]
fn a_model_is_fetched_whole_or_one_file_and_a_new_version_moves_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = model(&dir.path().join("v1"), 2 * MIB, 1);
    let (id, _seed, address) = provider(&dir.path().join("seed"), &v1, &[]);

    // Whole, on one node.
    let client = dir.path().join("client");
    let out = dir.path().join("out-v1");
    let whole = fetch(&client, &id, &out, &address, None);
    assert_eq!(whole["files"], 4, "{whole}");
    assert_eq!(whole["fetched"].as_array().unwrap().len(), 4, "{whole}");
    same_files(&v1, &out, &FILES);

    // One file alone, on another: nothing else is fetched or written.
    let single = dir.path().join("single");
    let one = fetch(
        &dir.path().join("other"),
        &id,
        &single,
        &address,
        Some("config.json"),
    );
    assert_eq!(one["fetched"], serde_json::json!(["config.json"]), "{one}");
    same_files(&v1, &single, &["config.json"]);
    assert_eq!(fs::read_dir(&single).unwrap().count(), 1);

    // A fine-tune that changes one shard: the node holding v1 fetches that shard and nothing else of v2.
    let v2 = dir.path().join("v2");
    fs::create_dir_all(&v2).unwrap();
    for path in FILES {
        fs::create_dir_all(v2.join(path).parent().unwrap()).unwrap();
        fs::copy(v1.join(path), v2.join(path)).unwrap();
    }
    let changed = random_file(&v2.join(FILES[2]), 2 * MIB, 99);
    let (id2, _seed2, address2) = provider(&dir.path().join("seed-v2"), &v2, &[]);
    assert_ne!(id2, id);
    let out2 = dir.path().join("out-v2");
    let update = fetch(&client, &id2, &out2, &address2, None);
    assert_eq!(update["fetched"], serde_json::json!([FILES[2]]), "{update}");
    assert_eq!(update["already_held"].as_array().unwrap().len(), 3);
    let moved = update["bytes_fetched"].as_u64().unwrap();
    assert!(
        moved >= changed.len() as u64 && moved < changed.len() as u64 + 64 * 1024,
        "only the changed shard (and the manifest) moved: {moved} bytes"
    );
    same_files(&v2, &out2, &FILES);
}

#[test]
fn a_collection_fetch_killed_midway_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let v1 = model(&dir.path().join("v1"), 8 * MIB, 5);
    // Served at 8 MiB/s, so the 16 MiB of shards take seconds and the fetch can be killed midway.
    let (id, _seed, address) =
        provider(&dir.path().join("seed"), &v1, &["--rate-limit", "8388608"]);
    let client = dir.path().join("client");
    let out = dir.path().join("out");
    let out_arg = out.display().to_string();
    let mut first = Worker::spawn(&client, &fetch_args(&id, &out_arg, &address, None));
    std::thread::sleep(Duration::from_millis(1200));
    first.kill();
    assert!(!out.join(FILES[1]).exists(), "killed before it finished");

    let resumed = fetch(&client, &id, &out, &address, None);
    same_files(&v1, &out, &FILES);
    let total: u64 = FILES
        .iter()
        .map(|p| fs::metadata(v1.join(p)).unwrap().len())
        .sum();
    let moved = resumed["bytes_fetched"].as_u64().unwrap();
    assert!(
        moved < total,
        "what the first run verified was kept: {moved} of {total} bytes fetched again"
    );
}

/// Swarming: three nodes pull a file at once from a seed whose upload is capped; they find each other through
/// their provider records as soon as they hold verified groups and trade those, so the seed sends less than a
/// copy per node.
#[test]
fn nodes_pulling_at_once_serve_each_other_what_they_verified() {
    let dir = tempfile::tempdir().unwrap();
    let size = 12 * MIB;
    let file = dir.path().join("shard.safetensors");
    let bytes = random_file(&file, size, 21);
    let seed_data = dir.path().join("seed");
    let id = publish(&seed_data, &file);
    let listen = loopback();
    let mut seed = Worker::spawn(
        &seed_data,
        &["run", "--listen", &listen, "--rate-limit", "4194304"],
    );
    let seed_address = seed.address();
    let pullers: Vec<(Worker, PathBuf)> = (0..3)
        .map(|n| {
            let out = dir.path().join(format!("out-{n}"));
            let (out_arg, listen) = (out.display().to_string(), loopback());
            // Listening, so that the other pullers can dial it.
            let mut args = fetch_args(&id, &out_arg, &seed_address, None);
            args.extend(["--listen", &listen]);
            let worker = Worker::spawn(&dir.path().join(format!("puller-{n}")), &args);
            (worker, out)
        })
        .collect();
    let seed_peer = seed.peer_id();
    let mut from_seed = 0;
    let mut from_others = 0;
    for (mut worker, out) in pullers {
        let report = worker.event("fetched", Duration::from_secs(180));
        assert!(fs::read(&out).unwrap() == bytes);
        for (peer, sent) in report["report"]["bytes_by_peer"].as_object().unwrap() {
            if *peer == seed_peer {
                from_seed += sent.as_u64().unwrap();
            } else {
                from_others += sent.as_u64().unwrap();
            }
        }
    }
    eprintln!("seed sent {from_seed}, pullers {from_others}, for {size} x 3");
    assert!(from_others > 0, "the pullers traded nothing");
    assert!(
        from_seed < 3 * size as u64 * 4 / 5,
        "the seed sent {from_seed} bytes for three copies of {size}"
    );
}
