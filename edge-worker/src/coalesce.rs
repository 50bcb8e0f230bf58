//! Positioned writes gathered into few large ones. A verified download writes each 16 KiB group to the data
//! file and each 64-byte hash pair to the outboard, in stream order, so consecutive writes are almost always
//! adjacent: merging them saves tens of thousands of system calls per GiB, a large share of a fast fetch's CPU.
//!
//! Writers of the same file (a download's concurrent batches) take turns through a shared lock: the kernel
//! serializes writes to a file anyway, but makes the waiting writer spin for the lock, which burns the core the
//! writing one needs.

use std::{fs::File, io, os::unix::fs::FileExt, sync::Mutex};

use positioned_io::WriteAt;

/// Buffers adjacent writes to `file` up to a limit; anything else (or [`WriteAt::flush`]) writes them out.
/// Nothing written is durable, or visible to readers of the file, before the next flush.
pub struct CoalescedWrites<'a> {
    file: &'a File,
    turn: &'a Mutex<()>,
    /// File offset of `pending[0]`.
    start: u64,
    pending: Vec<u8>,
}

impl<'a> CoalescedWrites<'a> {
    /// Most bytes held before they are written out.
    pub const LIMIT: usize = 1 << 20;

    /// Gathers writes to `file`; every writer of `file` passes the same `turn`.
    pub fn new(file: &'a File, turn: &'a Mutex<()>) -> Self {
        Self {
            file,
            turn,
            start: 0,
            pending: Vec::new(),
        }
    }
}

impl WriteAt for CoalescedWrites<'_> {
    fn write_at(&mut self, pos: u64, buf: &[u8]) -> io::Result<usize> {
        let adjacent = pos == self.start + self.pending.len() as u64;
        if !self.pending.is_empty() && (!adjacent || self.pending.len() + buf.len() > Self::LIMIT) {
            self.flush()?;
        }
        if self.pending.is_empty() {
            self.start = pos;
        }
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
            self.file.write_all_at(&self.pending, self.start)?;
            self.pending.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_and_scattered_writes_land_where_they_were_aimed() {
        let file = tempfile::tempfile().unwrap();
        let mut expected = vec![0u8; 3 << 20];
        file.set_len(expected.len() as u64).unwrap();
        let turn = Mutex::new(());
        let mut writes = CoalescedWrites::new(&file, &turn);
        // Adjacent runs longer than the limit, a jump back, a jump forward, single bytes.
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
        writes.flush().unwrap();
        let mut on_disk = vec![0u8; expected.len()];
        file.read_exact_at(&mut on_disk, 0).unwrap();
        assert!(on_disk == expected);
    }
}
