//! Test support shared with the crates above: a small real filesystem to fill, so disk-full paths are tested
//! against the kernel's own `ENOSPC` rather than a mock.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
};

/// A small tmpfs mounted on a fresh temporary directory, unmounted when dropped.
pub struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    /// Mounts a tmpfs of `size` (`mount -o size=`, e.g. `8m`). `None`, with the reason printed, where
    /// mounting is impossible (not root): the caller then skips its test.
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        match status {
            Ok(s) if s.success() => Some(Self(dir)),
            other => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs to fill ({other:?}); run as root to test a full disk"
                );
                None
            }
        }
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes a ballast file until the disk is full, to the last byte; returns its path (remove it to make
    /// room again).
    pub fn fill(&self) -> PathBuf {
        let path = self.path().join("ballast");
        let mut file = std::fs::File::create(&path).expect("ballast file");
        for block in [64 << 10, 512, 1] {
            while file.write_all(&vec![0xa5; block]).is_ok() {}
        }
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.path()).status();
    }
}
