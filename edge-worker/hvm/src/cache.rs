//! Compiled applications: code is checked against its content id and its shape, compiled once, and kept on
//! disk so that a restart or a second app with the same code does not compile again. Code that failed to
//! compile is remembered too, so that nobody makes the node pay for the same failure twice.

use std::{
    fs,
    hash::{Hash, Hasher},
    io::Write,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use wasmparser::{Parser, Payload};
use wasmtime::{component::Component, Engine};

use crate::{limits::NodeCaps, HvmError};

/// A content id: the BLAKE3 hash of the component's bytes, as PeerDTS and the chain name it.
pub type CodeId = [u8; 32];

/// Locals one function may declare. Cranelift's register allocation grows much faster than linearly in the
/// values live at once: one function of 10 000 i64 locals live around a loop compiles in 0.8 s, 20 000 in
/// 7.6 s, 40 000 not in minutes. Optimizing compilers (LLVM's WebAssembly backend colors locals) emit a few
/// hundred at most, so this is generous for real code and keeps one function's compilation to a fraction
/// of a second.
pub const MAX_FUNCTION_LOCALS: u64 = 4096;

/// Bytes of one function's body: the largest functions of real code (interpreters' dispatch loops) are a few
/// hundred KiB; more is generated code meant to hold a compiler thread.
pub const MAX_FUNCTION_BODY_BYTES: usize = 1 << 20;

/// Compiled components by code id, in a directory of wasmtime's serialized artifacts, with a marker for each
/// code that failed to compile.
pub struct CodeCache {
    engine: Engine,
    dir: PathBuf,
    /// What a failure marker must begin with to count: markers written by another build of this crate or of
    /// wasmtime, or under other node caps (the pool's sizes refuse some code), may not hold here and are
    /// ignored.
    stamp: String,
}

impl CodeCache {
    pub fn open(engine: Engine, caps: &NodeCaps, dir: &Path) -> Result<Self, HvmError> {
        fs::create_dir_all(dir)
            .map_err(|e| HvmError::Io(format!("creating {}: {e}", dir.display())))?;
        // Temporary files of writes a crash cut short.
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
        let mut compatibility = std::collections::hash_map::DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut compatibility);
        caps.hash(&mut compatibility);
        let stamp = format!(
            "enreach-hvm {} {:016x}\n",
            env!("CARGO_PKG_VERSION"),
            compatibility.finish()
        );
        Ok(Self {
            engine,
            dir: dir.to_owned(),
            stamp,
        })
    }

    fn artifact(&self, id: &CodeId) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex(id)))
    }

    fn failure_marker(&self, id: &CodeId) -> PathBuf {
        self.dir.join(format!("{}.failed", hex(id)))
    }

    /// Whether compiling `id` again would do nothing: it is compiled on disk, or was refused on this build.
    pub fn is_settled(&self, id: &CodeId) -> bool {
        self.artifact(id).exists() || self.failed_before(id).is_some()
    }

    /// The compiled component of `id`, if this node compiled it before (in this run or an earlier one).
    pub fn get(&self, id: &CodeId) -> Option<Component> {
        let path = self.artifact(id);
        if !path.exists() {
            return None;
        }
        // SAFETY: the file is one this cache wrote (below) into the node's own data directory, which is what
        // wasmtime requires of `deserialize_file`; an artifact from another wasmtime build or configuration is
        // refused by wasmtime's own compatibility check, and then compiled again.
        match unsafe { Component::deserialize_file(&self.engine, &path) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::info!(artifact = %path.display(), "compiling again: {e}");
                None
            }
        }
    }

    /// Compiles `wasm` as the code of `id`, after checking that it is (code that does not hash to its id is
    /// refused, whoever handed it over) and that its functions have shapes that compile in reasonable time.
    /// A refusal or a failed compilation of code that is `id` is remembered on disk and given again at once.
    pub fn compile(&self, id: &CodeId, wasm: &[u8]) -> Result<Component, HvmError> {
        if blake3::hash(wasm).as_bytes() != id {
            return Err(HvmError::CodeMismatch);
        }
        if let Some(reason) = self.failed_before(id) {
            return Err(HvmError::InvalidComponent(format!(
                "refused before: {reason}"
            )));
        }
        let compiled = check_shape(wasm).and_then(|()| {
            Component::new(&self.engine, wasm)
                .map_err(|e| HvmError::InvalidComponent(format!("{e:#}")))
        });
        let component = match compiled {
            Ok(component) => component,
            Err(HvmError::InvalidComponent(reason)) => {
                self.remember_failure(id, &reason);
                return Err(HvmError::InvalidComponent(reason));
            }
            Err(e) => return Err(e),
        };
        let bytes = component
            .serialize()
            .map_err(|e| HvmError::InvalidComponent(format!("{e:#}")))?;
        self.write(&self.artifact(id), &bytes)?;
        Ok(component)
    }

    /// Why `id` failed to compile on this build, if it did.
    fn failed_before(&self, id: &CodeId) -> Option<String> {
        let marker = fs::read_to_string(self.failure_marker(id)).ok()?;
        marker.strip_prefix(&self.stamp).map(str::to_owned)
    }

    /// Remembers that `id` does not compile. Only code that hashes to its id gets here, so nobody can mark
    /// another dApp's code as failed; a marker that cannot be written only costs a compilation again.
    fn remember_failure(&self, id: &CodeId, reason: &str) {
        let marker = self.failure_marker(id);
        if let Err(e) = self.write(&marker, format!("{}{reason}", self.stamp).as_bytes()) {
            tracing::warn!("cannot remember a failed compilation: {e}");
        }
    }

    /// Writes a file through a temporary file and a rename, so that a crash never leaves half of one. The
    /// temporary file is this write's own: two loads of one code at once (a keeper replaying two nodes that
    /// run it) each rename theirs.
    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), HvmError> {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(
            ".{}.{}.tmp",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        };
        write().map_err(|e| HvmError::Io(format!("writing {}: {e}", path.display())))
    }
}

/// Refuses code whose functions would hold a compiler thread for seconds (see [`MAX_FUNCTION_LOCALS`] and
/// [`MAX_FUNCTION_BODY_BYTES`]), before wasmtime compiles any of it. Looks at every core module of the
/// component, nested ones included; what does not parse is left to wasmtime to explain.
fn check_shape(wasm: &[u8]) -> Result<(), HvmError> {
    let invalid = |e: wasmparser::BinaryReaderError| HvmError::InvalidComponent(e.to_string());
    for payload in Parser::new(0).parse_all(wasm) {
        let Payload::CodeSectionEntry(body) = payload.map_err(invalid)? else {
            continue;
        };
        let size = body.range().len();
        if size > MAX_FUNCTION_BODY_BYTES {
            return Err(HvmError::InvalidComponent(format!(
                "a function of {size} bytes, over PeerHVM's limit of {MAX_FUNCTION_BODY_BYTES}"
            )));
        }
        let mut locals = 0u64;
        for group in body.get_locals_reader().map_err(invalid)? {
            locals += u64::from(group.map_err(invalid)?.0);
            if locals > MAX_FUNCTION_LOCALS {
                return Err(HvmError::InvalidComponent(format!(
                    "a function of more than {MAX_FUNCTION_LOCALS} locals, PeerHVM's limit"
                )));
            }
        }
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two loads of one code at once both keep it: neither renames away the other's temporary file.
    #[test]
    fn writes_of_one_file_at_once_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CodeCache::open(Engine::default(), &NodeCaps::default(), dir.path()).unwrap();
        let path = dir.path().join("same.cwasm");
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..4)
                .map(|n| {
                    let (cache, path) = (&cache, &path);
                    scope.spawn(move || (0..50).try_for_each(|_| cache.write(path, &[n; 4096])))
                })
                .collect();
            for writer in writers {
                writer.join().unwrap().unwrap();
            }
        });
        assert_eq!(fs::read(&path).unwrap().len(), 4096);
        // Nothing is left behind but the file.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
