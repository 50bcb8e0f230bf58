//! The edge applications that ship with EnReach (`edge-worker/hvm/apps`), built from source for
//! `wasm32-wasip2`: the tests of every crate and `scripts/start` find them here. `scripts/build` builds them
//! once; [`component`] builds them on demand where that has not happened (cargo makes a second build a no-op).

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

/// The root of the EnReach workspace: found at run time from the manifest directory cargo and nextest give a
/// test process, else the one this crate was built in. A path compiled in goes stale when the checkout moves
/// and cargo reuses the build (two checkouts sharing one target directory: cargo does not rebuild for it).
pub fn workspace_root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    start
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .map_or(start.clone(), Path::to_path_buf)
}

/// The apps workspace.
fn manifest() -> PathBuf {
    workspace_root().join("edge-worker/hvm/apps/Cargo.toml")
}

/// Where the apps are built: `$ENREACH_APPS_TARGET`, else `wasm-apps` in the cargo target directory, as
/// `scripts/build` does.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ENREACH_APPS_TARGET") {
        return dir.into();
    }
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    base.join("wasm-apps")
}

/// The path of the component of app `name` (a package of the apps workspace), built if needed.
pub fn component(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let target = target_dir();
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "build",
                "--release",
                "--target",
                "wasm32-wasip2",
                "--manifest-path",
            ])
            .arg(manifest())
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
    dir.join(format!("{name}.wasm"))
}
