//! PeerHVMs loaded with the example apps.

use enreach_hvm::{examples, CodeId, Hvm, NodeCaps};

/// The bytes of example app `name`.
pub fn app(name: &str) -> Vec<u8> {
    let path = examples::component(name);
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
