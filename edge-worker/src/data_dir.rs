//! The data directory belongs to one `edge-worker` at a time: two on the same folder would share the content
//! store (one removing the other's imports in progress), the receipt ledger and the node key, and serve
//! under one identity. Commands that write the store hold an exclusive lock on `<data dir>/lock` (an OS file
//! lock, released when the process ends however it ends, so a crash leaves nothing to clean up).

use std::{
    fs::{self, File, TryLockError},
    path::{Path, PathBuf},
};

/// The file locked, inside the data directory.
const LOCK_FILE: &str = "lock";

/// Why the data directory cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// Another process holds it.
    #[error("data directory {0} is in use by another edge-worker")]
    InUse(PathBuf),
    /// It cannot be created or its lock file opened.
    #[error("data directory {0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// The held lock; the directory is free again when it is dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes `dir` (creating it if needed) for this process, or fails at once if another process holds it.
pub fn lock(dir: &Path) -> Result<DataDirLock, DataDirError> {
    let io = |e| DataDirError::Io(dir.into(), e);
    fs::create_dir_all(dir).map_err(io)?;
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(DataDirError::InUse(dir.into())),
        Err(TryLockError::Error(e)) => Err(io(e)),
    }
}
