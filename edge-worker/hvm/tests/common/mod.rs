//! The edge applications of `edge-worker/hvm/apps`, built from source for `wasm32-wasip2` once per test process
//! (cargo makes the second build in a run a no-op).

use std::{path::PathBuf, process::Command, sync::OnceLock};

use enreach_hvm::{CodeId, Hvm, NodeCaps};

/// The bytes of app `name` (a package of the apps workspace).
pub fn app(name: &str) -> Vec<u8> {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("apps/Cargo.toml");
        let target = std::env::var_os("ENREACH_APPS_TARGET")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let base = std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| {
                        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
                    });
                base.join("wasm-apps")
            });
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--target-dir")
            .arg(&target)
            .status()
            .expect("running cargo to build the edge apps");
        assert!(
            status.success(),
            "building the edge apps for wasm32-wasip2 failed (is the target installed?)"
        );
        target.join("wasm32-wasip2/release")
    });
    let path = dir.join(format!("{}.wasm", name.replace('-', "_")));
    let path = if path.exists() {
        path
    } else {
        dir.join(format!("{name}.wasm"))
    };
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A PeerHVM with its compile cache in a temporary directory, and `names` loaded.
pub fn hvm_with(caps: NodeCaps, names: &[&str]) -> (Hvm, tempfile::TempDir, Vec<CodeId>) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let hvm = Hvm::new(caps, dir.path()).expect("starting PeerHVM");
    let ids = names
        .iter()
        .map(|name| {
            let wasm = app(name);
            let id = *blake3::hash(&wasm).as_bytes();
            hvm.load(&id, &wasm).expect("loading the app");
            id
        })
        .collect();
    (hvm, dir, ids)
}
