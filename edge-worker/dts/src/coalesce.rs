//! Positioned writes gathered into few large ones. A verified download writes each 16 KiB group to the data
//! file and each 64-byte hash pair to the outboard, in stream order, so consecutive writes are almost always
//! adjacent: merging them saves tens of thousands of system calls per GiB.
//!
//! Large downloads write their data through a second, `O_DIRECT` descriptor when the file system allows it:
//! page-aligned runs go from an aligned buffer straight to the device, so storing a GiB neither copies it into
//! the page cache nor makes the kernel find (and on a VM, first touch) a GiB of cache pages, which costs more CPU
//! than the transfer itself on a small machine. Unaligned runs (the end of a blob) take the buffered descriptor;
//! the kernel keeps the two coherent.
//!
//! Writers of the same file (a download's concurrent batches) take turns through a shared lock: the kernel
//! serializes writes to a file anyway, but makes the waiting writer spin for the lock, which burns the core the
//! writing one needs.

use std::{
    fs::{File, OpenOptions},
    io,
    os::unix::fs::{FileExt, OpenOptionsExt},
    path::Path,
    sync::Mutex,
};

use positioned_io::WriteAt;

/// Alignment of direct writes: offsets, lengths and buffer addresses.
const PAGE: usize = 4096;

/// One page of a buffer that direct writes can use.
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(4096))]
struct Page([u8; PAGE]);

/// Opens `path` for direct writes, if its file system supports them.
pub fn open_direct(path: &Path) -> Option<File> {
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

/// Buffers adjacent writes to a file up to a limit; anything else (or [`WriteAt::flush`]) writes them out.
/// Nothing written is durable, or visible to readers of the file, before the next flush.
pub struct CoalescedWrites<'a> {
    file: &'a File,
    /// The same file opened with `O_DIRECT`, for aligned runs.
    direct: Option<&'a File>,
    turn: &'a Mutex<()>,
    /// File offset of the first pending byte.
    start: u64,
    pages: Vec<Page>,
    len: usize,
}

impl<'a> CoalescedWrites<'a> {
    /// Most bytes held before they are written out.
    pub const LIMIT: usize = 1 << 20;

    /// Gathers writes to `file`; every writer of `file` passes the same `turn`. With `direct` (the same file
    /// from [`open_direct`]), aligned runs bypass the page cache.
    pub fn new(file: &'a File, direct: Option<&'a File>, turn: &'a Mutex<()>) -> Self {
        Self {
            file,
            direct,
            turn,
            start: 0,
            pages: vec![Page([0; PAGE]); Self::LIMIT / PAGE],
            len: 0,
        }
    }

    fn pending(&self) -> &[u8] {
        &bytemuck::cast_slice::<Page, u8>(&self.pages)[..self.len]
    }
}

impl WriteAt for CoalescedWrites<'_> {
    fn write_at(&mut self, pos: u64, buf: &[u8]) -> io::Result<usize> {
        let adjacent = pos == self.start + self.len as u64;
        if self.len > 0 && (!adjacent || self.len + buf.len() > Self::LIMIT) {
            self.flush()?;
        }
        if buf.len() > Self::LIMIT {
            // Larger than the buffer: nothing to gather it with.
            let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
            self.file.write_all_at(buf, pos)?;
            return Ok(buf.len());
        }
        if self.len == 0 {
            self.start = pos;
        }
        let end = self.len + buf.len();
        bytemuck::cast_slice_mut::<Page, u8>(&mut self.pages)[self.len..end].copy_from_slice(buf);
        self.len = end;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.len == 0 {
            return Ok(());
        }
        let aligned = self.start.is_multiple_of(PAGE as u64) && self.len.is_multiple_of(PAGE);
        let file = match self.direct {
            Some(direct) if aligned => direct,
            _ => self.file,
        };
        {
            let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
            file.write_all_at(self.pending(), self.start)?;
        }
        self.len = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scattered_writes(direct: bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let mut expected = vec![0u8; 3 << 20];
        file.set_len(expected.len() as u64).unwrap();
        let direct_file = direct.then(|| open_direct(&path)).flatten();
        let turn = Mutex::new(());
        let mut writes = CoalescedWrites::new(&file, direct_file.as_ref(), &turn);
        // Adjacent runs longer than the limit, a jump back, a jump forward, single bytes, an oversized write.
        let mut at = |pos: u64, len: usize, fill: u8, expected: &mut Vec<u8>| {
            let bytes = vec![fill; len];
            writes.write_all_at(pos, &bytes).unwrap();
            expected[pos as usize..pos as usize + len].copy_from_slice(&bytes);
        };
        for i in 0..100u64 {
            at(i * 16_384, 16_384, i as u8, &mut expected);
        }
        at(100, 64, 0xaa, &mut expected);
        at(2 << 20, 1, 0xbb, &mut expected);
        at((2 << 20) + 1, 1, 0xcc, &mut expected);
        at(1 << 20, (1 << 20) + 5, 0xdd, &mut expected);
        writes.flush().unwrap();
        let mut on_disk = vec![0u8; expected.len()];
        file.read_exact_at(&mut on_disk, 0).unwrap();
        assert!(on_disk == expected);
    }

    #[test]
    fn adjacent_and_scattered_writes_land_where_they_were_aimed() {
        scattered_writes(false);
    }

    #[test]
    fn direct_and_buffered_writes_of_one_file_stay_coherent() {
        scattered_writes(true);
    }
}
