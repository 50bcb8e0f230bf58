//! The real `huggingface_hub` client (PyPI, pinned by `scripts/setup`, unmodified) against an edge's gateway
//! with `HF_ENDPOINT`: `hf_hub_download` of one file and `snapshot_download` of a whole published model,
//! byte-identical, and a second call answered from the client's cache once the gateway is gone.

mod common;

use std::{fs, path::Path, process::Command};

use common::{loopback, publish, random_file, Worker};

/// The Python with `huggingface_hub` that `scripts/setup` installs (`ENREACH_HF_PYTHON`).
fn hf_python() -> String {
    std::env::var("ENREACH_HF_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").expect("HOME");
        format!("{home}/.cache/enreach/hf-venv/bin/python")
    })
}

/// Evaluates `call` (of `hf_hub_download` or `snapshot_download`) with `huggingface_hub` against `endpoint`,
/// caching in `cache`; what it printed (the path the call returned).
fn hf(endpoint: &str, cache: &Path, call: &str) -> String {
    let python = hf_python();
    let script =
        format!("from huggingface_hub import hf_hub_download, snapshot_download\nprint({call})");
    let out = Command::new(&python)
        .args(["-c", &script])
        .env("HF_ENDPOINT", endpoint)
        .env("HF_HUB_CACHE", cache)
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .output()
        .unwrap_or_else(|e| panic!("{python} runs (scripts/setup installs huggingface_hub): {e}"));
    assert!(
        out.status.success(),
        "huggingface_hub failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn huggingface_hub_downloads_a_published_model_through_the_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("tiny-model");
    fs::create_dir_all(model.join("tokenizer")).unwrap();
    fs::write(
        model.join("config.json"),
        br#"{"model_type": "tiny", "hidden_size": 64}"#,
    )
    .unwrap();
    fs::write(
        model.join("tokenizer/tokenizer.json"),
        br#"{"vocab": {"edge": 0}}"#,
    )
    .unwrap();
    random_file(&model.join("model.safetensors"), 3 << 20, 17);
    let data = dir.path().join("edge");
    let id = publish(&data, &model);
    let listen = loopback();
    let mut edge = Worker::spawn(
        &data,
        &["run", "--listen", &listen, "--gateway", "127.0.0.1:0"],
    );
    let endpoint = format!("http://{}", edge.gateway());
    let repo = format!("enreach/{id}");
    let cache = dir.path().join("hf-cache");

    let one = hf(
        &endpoint,
        &cache,
        &format!("hf_hub_download('{repo}', 'config.json')"),
    );
    assert_eq!(
        fs::read(&one).unwrap(),
        fs::read(model.join("config.json")).unwrap()
    );

    let snapshot = hf(&endpoint, &cache, &format!("snapshot_download('{repo}')"));
    for path in [
        "config.json",
        "model.safetensors",
        "tokenizer/tokenizer.json",
    ] {
        assert!(
            fs::read(Path::new(&snapshot).join(path)).unwrap()
                == fs::read(model.join(path)).unwrap(),
            "{path} is byte-identical"
        );
    }

    // The gateway is gone: the client answers the same call from its cache.
    edge.kill();
    let cached = hf(
        &endpoint,
        &cache,
        &format!("hf_hub_download('{repo}', 'model.safetensors')"),
    );
    assert_eq!(
        fs::read(&cached).unwrap(),
        fs::read(model.join("model.safetensors")).unwrap()
    );
}
