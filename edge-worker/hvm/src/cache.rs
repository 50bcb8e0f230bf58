//! Compiled applications: code is checked against its content id, compiled once, and kept on disk so that a
//! restart or a second app with the same code does not compile again.

use std::{
    collections::HashMap,
    fs,
    io::Write,
    path::{Path, PathBuf},
    sync::Mutex,
};

use wasmtime::{component::Component, Engine};

use crate::HvmError;

/// A content id: the BLAKE3 hash of the component's bytes, as PeerDTS and the chain name it.
pub type CodeId = [u8; 32];

/// Compiled components by code id, in memory and in a directory of wasmtime's serialized artifacts.
pub struct CodeCache {
    engine: Engine,
    dir: PathBuf,
    loaded: Mutex<HashMap<CodeId, Component>>,
}

impl CodeCache {
    pub fn open(engine: Engine, dir: &Path) -> Result<Self, HvmError> {
        fs::create_dir_all(dir)
            .map_err(|e| HvmError::Io(format!("creating {}: {e}", dir.display())))?;
        Ok(Self {
            engine,
            dir: dir.to_owned(),
            loaded: Mutex::new(HashMap::new()),
        })
    }

    fn artifact(&self, id: &CodeId) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex(id)))
    }

    /// The compiled component of `id`, if this node compiled it before (in this run or an earlier one).
    pub fn get(&self, id: &CodeId) -> Option<Component> {
        if let Some(component) = self.loaded.lock().expect("code cache lock").get(id) {
            return Some(component.clone());
        }
        let path = self.artifact(id);
        if !path.exists() {
            return None;
        }
        // SAFETY: the file is one this cache wrote (below) into the node's own data directory, which is what
        // wasmtime requires of `deserialize_file`; an artifact from another wasmtime build or configuration is
        // refused by wasmtime's own compatibility check, and then compiled again.
        match unsafe { Component::deserialize_file(&self.engine, &path) } {
            Ok(component) => {
                self.loaded
                    .lock()
                    .expect("code cache lock")
                    .insert(*id, component.clone());
                Some(component)
            }
            Err(e) => {
                tracing::info!(artifact = %path.display(), "compiling again: {e}");
                None
            }
        }
    }

    /// Compiles `wasm` as the code of `id`, after checking that it is: code that does not hash to its id is
    /// refused, whoever handed it over.
    pub fn compile(&self, id: &CodeId, wasm: &[u8]) -> Result<Component, HvmError> {
        if blake3::hash(wasm).as_bytes() != id {
            return Err(HvmError::CodeMismatch);
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|e| HvmError::InvalidComponent(format!("{e:#}")))?;
        let bytes = component
            .serialize()
            .map_err(|e| HvmError::InvalidComponent(format!("{e:#}")))?;
        self.store(id, &bytes)?;
        self.loaded
            .lock()
            .expect("code cache lock")
            .insert(*id, component.clone());
        Ok(component)
    }

    /// Writes an artifact through a temporary file and a rename, so that a crash never leaves half of one.
    fn store(&self, id: &CodeId, bytes: &[u8]) -> Result<(), HvmError> {
        let path = self.artifact(id);
        let tmp = path.with_extension("cwasm.tmp");
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(|e| HvmError::Io(format!("writing {}: {e}", path.display())))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
