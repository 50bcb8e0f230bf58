//! The compute ledger's journal. A paid call writes twice (the receipt it brings, its invocation), and a redb
//! commit rewrites every B-tree page it touches and waits for the disk: committing each group of writes as it
//! came cost a busy node a third of its CPU and most of its disk traffic (`scripts/bench/hvm`). So a group of
//! writes is appended to a journal file in one `write`, which survives the process being killed, and the
//! ledger's tables take the journal in large transactions: about once a second, before anything reads them,
//! and when the ledger opens after a crash. A machine that fails loses at most what the last second appended
//! (its own unreported pay: the tables stay a prefix of the journal, so no receipt is kept without the steps
//! and invocations before it); [`crate::receipts::Ledger::sync`] makes everything durable.
//!
//! The journal is a sequence of files named by a generation number, each a run of records
//! `[length: u32 LE][check: first 8 bytes of the payload's BLAKE3][payload: SCALE ComputeWrite]`. The tables
//! hold the position (generation, offset) up to which they took the journal, committed with what it took, so
//! each record is applied once. A record cut short or failing its check (the process died inside a `write`)
//! ends what is read of its file. Files wholly applied are deleted; a file is closed for a new one past
//! [`ROTATE_BYTES`], or after a failed `write` that cannot be cut off again.

use std::{
    fs::{File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use codec::{Decode, Encode};
use tracing::warn;

use crate::compute_ledger::ComputeWrite;

/// Where the tables' position in the journal is kept (the one key [`APPLIED_KEY`]).
pub(crate) const JOURNAL_APPLIED: redb::TableDefinition<&str, (u64, u64)> =
    redb::TableDefinition::new("compute_journal_applied");
pub(crate) const APPLIED_KEY: &str = "applied";

/// A position in the journal: a file's generation and an offset in it.
pub(crate) type Position = (u64, u64);

/// Size past which the next append starts a new file, so applied records are soon deleted.
const ROTATE_BYTES: u64 = if cfg!(test) { 4096 } else { 64 << 20 };

/// Most bytes of records appended and not yet applied: past it (the tables failing to take them), appends are
/// refused rather than held in memory without end.
pub(crate) const MAX_PENDING_BYTES: usize = 256 << 20;

const HEADER: usize = 12;

/// The journal's open file and what it holds that the tables do not.
pub(crate) struct Journal {
    dir: PathBuf,
    file: File,
    generation: u64,
    len: u64,
    /// Set by a failed `write` that could not be cut off: the file ends in a torn record, so the next append
    /// starts a new one.
    torn: bool,
    /// Appended, not yet applied, in order, with the size of each one's record.
    pub(crate) pending: Vec<(ComputeWrite, usize)>,
    /// Bytes of the records appended and not yet applied, those being applied included.
    pub(crate) pending_bytes: usize,
}

/// The journal directory of the ledger at `ledger`.
pub(crate) fn dir_of(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(".journal");
    name.into()
}

/// The journal files in `dir`, by generation.
pub(crate) fn generations(dir: &Path) -> std::io::Result<Vec<u64>> {
    let mut found: Vec<u64> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    found.sort_unstable();
    Ok(found)
}

pub(crate) fn file_of(dir: &Path, generation: u64) -> PathBuf {
    dir.join(generation.to_string())
}

/// An empty file at `path` that every write appends to (so a write cut off by `set_len` leaves no gap).
fn open_new(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    file.set_len(0)?;
    Ok(file)
}

/// The records of the journal in `dir` from `applied` on, in order, and the last generation present. A record
/// cut short or failing its check ends what is read of its file.
pub(crate) fn recover(dir: &Path, applied: Position) -> std::io::Result<(Vec<ComputeWrite>, u64)> {
    std::fs::create_dir_all(dir)?;
    let mut writes = Vec::new();
    let mut last = applied.0;
    for generation in generations(dir)? {
        last = last.max(generation);
        if generation < applied.0 {
            continue;
        }
        let bytes = std::fs::read(file_of(dir, generation))?;
        let start = if generation == applied.0 {
            applied.1 as usize
        } else {
            0
        };
        let rest = bytes.get(start..).unwrap_or_default();
        let (records, end) = parse(rest);
        writes.extend(records);
        if end < rest.len() {
            warn!(
                generation,
                cut = rest.len() - end,
                "the compute journal file ends in a torn record"
            );
        }
    }
    Ok((writes, last))
}

/// The whole records at the start of `bytes`, and where they end.
fn parse(bytes: &[u8]) -> (Vec<ComputeWrite>, usize) {
    let mut records = Vec::new();
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + HEADER) {
        let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
        let Some(payload) = bytes.get(at + HEADER..at + HEADER + len) else {
            break;
        };
        if check(payload) != header[4..] {
            break;
        }
        let Ok(write) = ComputeWrite::decode(&mut &payload[..]) else {
            break;
        };
        records.push(write);
        at += HEADER + len;
    }
    (records, at)
}

fn check(payload: &[u8]) -> [u8; 8] {
    blake3::hash(payload).as_bytes()[..8]
        .try_into()
        .expect("8 bytes")
}

/// Appends `write`'s record to `buffer`; the record's size.
pub(crate) fn encode(write: &ComputeWrite, buffer: &mut Vec<u8>) -> usize {
    let payload = write.encode();
    buffer.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    buffer.extend_from_slice(&check(&payload));
    buffer.extend_from_slice(&payload);
    HEADER + payload.len()
}

impl Journal {
    /// A journal in `dir` appending to a new file of `generation`; files before it (applied) are deleted.
    pub(crate) fn start(dir: &Path, generation: u64) -> std::io::Result<Self> {
        let file = open_new(&file_of(dir, generation))?;
        let journal = Self {
            dir: dir.into(),
            file,
            generation,
            len: 0,
            torn: false,
            pending: Vec::new(),
            pending_bytes: 0,
        };
        journal.forget_before(generation);
        Ok(journal)
    }

    /// Where the next record goes.
    pub(crate) fn end(&self) -> Position {
        (self.generation, self.len)
    }

    /// Appends encoded records in one `write`. A failed write is cut off again (or, if it cannot be, its file
    /// is closed for a new one), so no later record follows a torn one in the same file.
    pub(crate) fn append(&mut self, records: &[u8]) -> std::io::Result<()> {
        if self.torn || self.len >= ROTATE_BYTES {
            self.rotate()?;
        }
        let result = self.file.write_all(records);
        match &result {
            Ok(()) => self.len += records.len() as u64,
            Err(_) => self.torn = self.file.set_len(self.len).is_err(),
        }
        result
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        let generation = self.generation + 1;
        self.file = open_new(&file_of(&self.dir, generation))?;
        (self.generation, self.len, self.torn) = (generation, 0, false);
        Ok(())
    }

    /// Deletes the files before `generation`: the tables hold all they recorded.
    pub(crate) fn forget_before(&self, generation: u64) {
        for old in generations(&self.dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|g| *g < generation)
        {
            if let Err(e) = std::fs::remove_file(file_of(&self.dir, old)) {
                warn!(%e, old, "cannot delete an applied compute journal file");
            }
        }
    }
}
