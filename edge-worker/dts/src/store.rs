//! The content store: blobs addressed by their BLAKE3 root (the chain's `ContentId`), each kept as a data
//! file, a pre-order bao outboard (the inner hashes of its BLAKE3 tree) and a bitfield of verified 16 KiB
//! chunk groups.
//!
//! Invariants a reader may rely on:
//! - a group is marked present only after its bytes were verified against the root hash and written; it is
//!   recorded on disk by [`Blob::persist`] (which a download runs off the transfer path every
//!   [`PERSIST_INTERVAL`], syncing every [`SYNC_INTERVAL`] and when it ends) either after a disk sync or in a
//!   record valid only for the current boot, so neither a killed process (even SIGKILL mid-write) nor an OS
//!   crash leaves a group recorded whose bytes are not there; a restarted download fetches only unrecorded
//!   groups;
//! - serving re-verifies every group against the outboard (`encode_ranges_validated`), so bytes corrupted on
//!   disk are refused rather than served.

use std::{
    collections::HashMap,
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    ops::Range,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use bao_tree::{
    io::{
        outboard::PreOrderOutboard,
        sync::{encode_ranges_validated, DecodeResponseIter, OutboardMut},
        BaoContentItem, DecodeError, Leaf, Parent,
    },
    BaoTree, BlockSize, ChunkNum, ChunkRanges,
};
use positioned_io::{ReadAt, WriteAt};
use serde::{Deserialize, Serialize};

use crate::{
    bitfield::Bitfield,
    coalesce::{open_direct, CoalescedWrites},
};

/// Chunks per group as a power of two: 2^4 BLAKE3 chunks of 1 KiB = 16 KiB groups.
pub const GROUP_CHUNK_LOG: u8 = 4;
/// Bytes per chunk group, the unit of transfer, verification and resumption.
pub const GROUP_BYTES: u64 = 1024 << GROUP_CHUNK_LOG;

/// The tree shape of every blob.
pub fn block_size() -> BlockSize {
    BlockSize::from_chunk_log(GROUP_CHUNK_LOG)
}

/// A content id: the BLAKE3 hash of the whole blob.
pub type ContentHash = blake3::Hash;

/// A content id as users and URLs write it: 64 hex digits, optionally `0x`-prefixed.
pub fn parse_content_id(id: &str) -> Option<ContentHash> {
    blake3::Hash::from_hex(id.trim_start_matches("0x")).ok()
}

/// Groups of a blob of `size` bytes.
pub fn group_count(size: u64) -> u64 {
    size.div_ceil(GROUP_BYTES)
}

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("store I/O: {0}")]
    Io(#[from] io::Error),
    /// The bytes received do not match the content id: the sender is lying or broken.
    #[error("verification failed: {0}")]
    Verification(String),
    /// A requested group is not present and verified here.
    #[error("group {0} is not available")]
    Missing(u64),
    /// The blob already exists with another size.
    #[error("content {0} is known with size {1}, not {2}")]
    SizeMismatch(String, u64, u64),
    /// A stored metadata file is unreadable.
    #[error("corrupt metadata in {0}")]
    Metadata(PathBuf),
    /// Imported bytes are not the content they were expected to be.
    #[error("the bytes hash to {actual}, not {expected}")]
    NotTheContent {
        /// The content id asked for.
        expected: String,
        /// What the bytes hash to.
        actual: String,
    },
    /// The content is being downloaded into the store; it cannot be imported at the same time.
    #[error("content {0} is being downloaded")]
    Busy(String),
}

#[derive(Serialize, Deserialize)]
struct Meta {
    size: u64,
    name: Option<String>,
}

/// One blob, complete or partial.
pub struct Blob {
    id: ContentHash,
    size: u64,
    name: Option<String>,
    dir: PathBuf,
    data: File,
    /// The data file opened for direct writes, for large downloads (see [`crate::coalesce`]).
    data_direct: Option<File>,
    outboard: File,
    present: Mutex<Bitfield>,
    /// Serializes [`Blob::persist`], so concurrent calls never race on the bitfield files.
    persisting: Mutex<()>,
    /// Lets concurrent downloads of this blob take turns writing its files.
    writing: Mutex<()>,
}

/// How often a download records its verified groups on disk: a killed process costs at most this much transfer
/// again.
pub const PERSIST_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Blobs at least this large are downloaded with direct writes: for them, bypassing the page cache saves more
/// than a later read from the device costs.
pub const DIRECT_WRITE_MIN: u64 = 64 << 20;

/// How often a download syncs to disk, so an OS crash or power loss costs at most this much transfer again.
/// Rarer than [`PERSIST_INTERVAL`]: forced writeback competes with the transfer for CPU and the file's lock.
pub const SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

impl Blob {
    /// Its content id.
    pub fn id(&self) -> ContentHash {
        self.id
    }

    /// Its length in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file name it was published under, for the gateway's `Content-Type`.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The verified groups.
    pub fn present(&self) -> Bitfield {
        self.lock().clone()
    }

    /// Whether every group is verified.
    pub fn is_complete(&self) -> bool {
        self.lock().is_complete()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bitfield> {
        self.present.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn tree(&self) -> BaoTree {
        BaoTree::new(self.size, block_size())
    }

    /// Chunk ranges covering the groups `groups` (half-open group indices).
    pub fn chunk_ranges(&self, groups: &[Range<u64>]) -> ChunkRanges {
        let end = self.tree().chunks();
        let mut ranges = ChunkRanges::empty();
        for r in groups {
            let start = ChunkNum(r.start << GROUP_CHUNK_LOG).min(end);
            let stop = ChunkNum(r.end << GROUP_CHUNK_LOG).min(end);
            if start < stop {
                ranges |= ChunkRanges::from(start..stop);
            }
        }
        ranges
    }

    /// Writes the verified encoding (data and the hashes proving it) of `groups` to `out`. Every group must
    /// be present; each is re-verified as it is read.
    pub fn encode(&self, groups: &[Range<u64>], out: impl Write) -> Result<(), StoreError> {
        {
            let present = self.lock();
            for g in groups.iter().flat_map(|r| r.clone()) {
                if !present.get(g) {
                    return Err(StoreError::Missing(g));
                }
            }
        }
        let outboard = PreOrderOutboard {
            root: self.id,
            tree: self.tree(),
            data: &self.outboard,
        };
        encode_ranges_validated(&self.data, &outboard, &self.chunk_ranges(groups), out)
            .map_err(|e| StoreError::Verification(e.to_string()))
    }

    /// Reads the encoding of `groups` from `input`, verifying every hash and every group against the content
    /// id before writing it. `on_group` is called with each group as it is stored. Stops at the first
    /// verification failure, keeping the groups verified before it.
    pub fn decode(
        &self,
        groups: &[Range<u64>],
        input: impl Read,
        mut on_group: impl FnMut(u64, u64),
    ) -> Result<(), StoreError> {
        let ranges = self.chunk_ranges(groups);
        // Hash pairs and groups arrive in file order: written out in large pieces.
        let mut outboard = PreOrderOutboard {
            root: self.id,
            tree: self.tree(),
            data: CoalescedWrites::new(&self.outboard, None, &self.writing),
        };
        let mut data = CoalescedWrites::new(&self.data, self.data_direct.as_ref(), &self.writing);
        // Groups whose bytes are still buffered: announced and marked only once they and the hashes above them
        // (which precede them in the stream) are written.
        let mut buffered: Vec<(u64, u64)> = Vec::new();
        let mut stored = Vec::new();
        let mut write_out = |hashes: &mut CoalescedWrites,
                             data: &mut CoalescedWrites,
                             buffered: &mut Vec<(u64, u64)>| {
            hashes.flush()?;
            data.flush()?;
            for (group, len) in buffered.drain(..) {
                stored.push(group);
                on_group(group, len);
            }
            io::Result::Ok(())
        };
        let mut result = Ok(());
        for item in DecodeResponseIter::new(self.id, self.tree(), input, &ranges) {
            let step = match item {
                Ok(BaoContentItem::Parent(Parent { node, pair })) => outboard.save(node, &pair),
                Ok(BaoContentItem::Leaf(Leaf {
                    offset,
                    data: bytes,
                })) => {
                    let written = data.write_all_at(offset, &bytes);
                    buffered.push((offset / GROUP_BYTES, bytes.len() as u64));
                    if buffered.len() as u64 * GROUP_BYTES >= CoalescedWrites::LIMIT as u64 {
                        written
                            .and_then(|()| write_out(&mut outboard.data, &mut data, &mut buffered))
                    } else {
                        written
                    }
                }
                Err(e) => {
                    result = Err(match e {
                        // The sender stopped early or the connection broke: not a lie.
                        DecodeError::Io(e) => StoreError::Io(e),
                        DecodeError::ParentNotFound(_) | DecodeError::LeafNotFound(_) => {
                            StoreError::Io(io::ErrorKind::UnexpectedEof.into())
                        }
                        mismatch => StoreError::Verification(mismatch.to_string()),
                    });
                    break;
                }
            };
            if let Err(e) = step {
                result = Err(e.into());
                break;
            }
        }
        // What was verified before a failure is kept.
        let flushed = write_out(&mut outboard.data, &mut data, &mut buffered);
        if let (Ok(()), Err(e)) = (&result, flushed) {
            result = Err(e.into());
        }
        let mut present = self.lock();
        for g in stored {
            present.set(g);
        }
        result
    }

    /// Records on disk the groups verified so far, as durable as `durability` asks. Serialized, so concurrent
    /// calls never race on the bitfield files.
    pub fn persist(&self, durability: Durability) -> Result<(), StoreError> {
        let _one_at_a_time = self.persisting.lock().unwrap_or_else(|e| e.into_inner());
        // Taken first: a group marked later may have been written after the sync.
        let snapshot = self.present();
        match (durability, boot_id()) {
            (Durability::ThisBoot, Some(boot)) => {
                let mut record = boot.to_vec();
                record.extend_from_slice(snapshot.as_bytes());
                replace_file(&self.dir.join(BOOT_RECORD), &record, false)?;
            }
            // Without a boot id a record could outlive the page cache it relies on: sync instead.
            (Durability::Synced, _) | (Durability::ThisBoot, None) => {
                self.data.sync_data()?;
                self.outboard.sync_data()?;
                replace_file(&self.dir.join(SYNCED_RECORD), snapshot.as_bytes(), true)?;
            }
        }
        Ok(())
    }

    /// Reads `buf.len()` bytes at `offset`; every group touched must be verified.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), StoreError> {
        let end = offset + buf.len() as u64;
        let present = self.lock();
        for g in offset / GROUP_BYTES..end.div_ceil(GROUP_BYTES) {
            if !present.get(g) {
                return Err(StoreError::Missing(g));
            }
        }
        drop(present);
        self.data.read_exact_at(offset, buf)?;
        Ok(())
    }

    /// Copies the complete blob to `path`.
    pub fn export(&self, path: &Path) -> Result<(), StoreError> {
        if !self.is_complete() {
            return Err(StoreError::Missing(self.lock().iter().count() as u64));
        }
        fs::copy(self.dir.join("data"), path)?;
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see the old or the new
/// content, never a torn one.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_file(path, bytes, true)
}

/// Replaces `path` by `bytes` through a rename, so readers see the old or the new content, never a mix;
/// `sync` makes the new content reach the disk before the rename.
fn replace_file(path: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    if sync {
        file.sync_data()?;
    }
    fs::rename(tmp, path)
}

/// How far a [`Blob::persist`] record can be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Data and outboard are synced before the record: it survives power loss and OS crashes.
    Synced,
    /// No sync: the record holds for as long as this boot lasts (a killed process loses nothing, the kernel
    /// still has the bytes it wrote) and is ignored after a reboot, when the last synced record counts. Cheap
    /// enough to run often during a download.
    ThisBoot,
}

/// The groups vouched for by a [`Durability::Synced`] record.
const SYNCED_RECORD: &str = "present";
/// The boot id followed by the groups vouched for by a [`Durability::ThisBoot`] record.
const BOOT_RECORD: &str = "present.boot";

/// This boot's id (Linux), which changes at every reboot.
fn boot_id() -> Option<&'static [u8]> {
    static BOOT_ID: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
    BOOT_ID
        .get_or_init(|| {
            fs::read("/proc/sys/kernel/random/boot_id")
                .ok()
                .filter(|id| !id.is_empty())
        })
        .as_deref()
}

/// What the records in `dir` vouch for: the synced record, plus the boot record if it is from this boot.
fn load_present(dir: &Path, groups: u64) -> Result<Bitfield, StoreError> {
    let corrupt = || StoreError::Metadata(dir.into());
    let mut present = match fs::read(dir.join(SYNCED_RECORD)) {
        Ok(bytes) => Bitfield::from_bytes(groups, bytes).ok_or_else(corrupt)?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Bitfield::new(groups),
        Err(e) => return Err(e.into()),
    };
    let this_boot = match (fs::read(dir.join(BOOT_RECORD)), boot_id()) {
        (Ok(record), Some(boot)) => record.strip_prefix(boot).map(<[u8]>::to_vec),
        (Err(e), _) if e.kind() != io::ErrorKind::NotFound => return Err(e.into()),
        _ => None,
    };
    if let Some(bytes) = this_boot {
        for g in Bitfield::from_bytes(groups, bytes)
            .ok_or_else(corrupt)?
            .iter()
        {
            present.set(g);
        }
    }
    Ok(present)
}

/// Names of the folders imports are staged in; left-overs of a crash are removed when the store opens.
const STAGING_PREFIX: &str = ".import-";

/// A blob being imported (see [`ContentStore::staging`]).
pub struct Staging(tempfile::TempDir);

impl Staging {
    /// Where the blob's bytes go.
    pub fn data_path(&self) -> PathBuf {
        self.0.path().join("data")
    }
}

/// All blobs under one directory.
pub struct ContentStore {
    root: PathBuf,
    blobs: Mutex<HashMap<ContentHash, Arc<Blob>>>,
}

impl ContentStore {
    /// Opens (creating if needed) the store in `root` and loads every blob in it.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        let mut blobs = HashMap::new();
        for entry in fs::read_dir(&root)? {
            let dir = entry?.path();
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with(STAGING_PREFIX) {
                // An import interrupted by a crash.
                fs::remove_dir_all(&dir)?;
                continue;
            }
            let Ok(id) = blake3::Hash::from_hex(name) else {
                continue;
            };
            if let Some(blob) = Self::load(&dir, id)? {
                blobs.insert(id, Arc::new(blob));
            }
        }
        Ok(Self {
            root,
            blobs: Mutex::new(blobs),
        })
    }

    fn load(dir: &Path, id: ContentHash) -> Result<Option<Blob>, StoreError> {
        let Ok(meta) = fs::read(dir.join("meta.json")) else {
            return Ok(None);
        };
        let meta: Meta =
            serde_json::from_slice(&meta).map_err(|_| StoreError::Metadata(dir.into()))?;
        let groups = group_count(meta.size);
        let present = load_present(dir, groups)?;
        // Only blobs still to be downloaded are written, and only large ones bypass the page cache.
        let data_direct = (!present.is_complete() && meta.size >= DIRECT_WRITE_MIN)
            .then(|| open_direct(&dir.join("data")))
            .flatten();
        Ok(Some(Blob {
            id,
            size: meta.size,
            name: meta.name,
            dir: dir.into(),
            data: open_rw(&dir.join("data"))?,
            data_direct,
            outboard: open_rw(&dir.join("outboard"))?,
            present: Mutex::new(present),
            persisting: Mutex::new(()),
            writing: Mutex::new(()),
        }))
    }

    /// The blob `id`, if this store knows it (complete or partial).
    pub fn get(&self, id: &ContentHash) -> Option<Arc<Blob>> {
        self.blobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every blob's id.
    pub fn ids(&self) -> Vec<ContentHash> {
        self.blobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// Imports the file at `path` as a complete blob; returns its content id.
    pub fn import(&self, path: &Path) -> Result<ContentHash, StoreError> {
        let staging = self.staging()?;
        io::copy(
            &mut File::open(path)?,
            &mut File::create(staging.data_path())?,
        )?;
        let name = path.file_name().and_then(|n| n.to_str()).map(String::from);
        Ok(self.finish_import(staging, name, None)?.id())
    }

    /// A private folder in the store for a blob being imported: write its bytes to
    /// [`Staging::data_path`], then hand it to [`ContentStore::finish_import`]. Removed if dropped.
    pub fn staging(&self) -> Result<Staging, StoreError> {
        Ok(Staging(
            tempfile::Builder::new()
                .prefix(STAGING_PREFIX)
                .tempdir_in(&self.root)?,
        ))
    }

    /// Hashes the bytes written to `staging` into their BLAKE3 tree and adds them as a complete blob named
    /// `name`; with `expected`, only if they are that content. A blob that is already complete stays as it
    /// is.
    pub fn finish_import(
        &self,
        staging: Staging,
        name: Option<String>,
        expected: Option<ContentHash>,
    ) -> Result<Arc<Blob>, StoreError> {
        let data = File::open(staging.data_path())?;
        data.sync_all()?;
        let size = data.metadata()?.len();
        let tree = BaoTree::new(size, block_size());
        let outboard_file = File::create(staging.0.path().join("outboard"))?;
        outboard_file.set_len(tree.outboard_size())?;
        let mut outboard = PreOrderOutboard {
            root: blake3::Hash::from_bytes([0; 32]),
            tree,
            data: outboard_file,
        };
        let id = bao_tree::io::sync::outboard(&data, tree, &mut outboard)?;
        if let Some(expected) = expected.filter(|e| *e != id) {
            return Err(StoreError::NotTheContent {
                expected: expected.to_hex().to_string(),
                actual: id.to_hex().to_string(),
            });
        }
        outboard.data.sync_all()?;
        fs::write(
            staging.0.path().join("meta.json"),
            serde_json::to_vec(&Meta { size, name }).expect("metadata serializes"),
        )?;
        write_atomically(
            &staging.0.path().join(SYNCED_RECORD),
            Bitfield::full(group_count(size)).as_bytes(),
        )?;
        let mut blobs = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        match blobs.get(&id) {
            Some(blob) if blob.is_complete() => return Ok(blob.clone()),
            Some(_) => return Err(StoreError::Busy(id.to_hex().to_string())),
            None => {}
        }
        let dir = self.root.join(id.to_hex().as_str());
        if dir.exists() {
            // Left by a crash before the blob was loaded: not a blob of this store.
            fs::remove_dir_all(&dir)?;
        }
        fs::rename(staging.0.keep(), &dir)?;
        let blob = Arc::new(Self::load(&dir, id)?.ok_or(StoreError::Metadata(dir))?);
        blobs.insert(id, blob.clone());
        Ok(blob)
    }

    /// The blob `id` of `size` bytes, created empty if it is not known yet, to download into.
    pub fn create(
        &self,
        id: ContentHash,
        size: u64,
        name: Option<String>,
    ) -> Result<Arc<Blob>, StoreError> {
        if let Some(blob) = self.get(&id) {
            return if blob.size == size {
                Ok(blob)
            } else {
                Err(StoreError::SizeMismatch(
                    id.to_hex().to_string(),
                    blob.size,
                    size,
                ))
            };
        }
        let dir = self.root.join(id.to_hex().as_str());
        fs::create_dir_all(&dir)?;
        let data = open_rw(&dir.join("data"))?;
        data.set_len(size)?;
        let outboard = open_rw(&dir.join("outboard"))?;
        outboard.set_len(BaoTree::new(size, block_size()).outboard_size())?;
        write_atomically(
            &dir.join("meta.json"),
            &serde_json::to_vec(&Meta { size, name }).expect("metadata serializes"),
        )?;
        let blob = Arc::new(Self::load(&dir, id)?.ok_or(StoreError::Metadata(dir))?);
        self.blobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, blob.clone());
        Ok(blob)
    }
}

fn open_rw(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

#[cfg(test)]
// Single ranges are what the API takes: slices of group ranges.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn blob_bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + i / 977) as u8).collect()
    }

    fn publish(len: usize) -> (tempfile::TempDir, ContentStore, ContentHash, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let bytes = blob_bytes(len);
        let file = dir.path().join("input.bin");
        fs::write(&file, &bytes).unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let id = store.import(&file).unwrap();
        (dir, store, id, bytes)
    }

    #[test]
    fn the_content_id_is_the_blake3_hash_and_survives_reopening() {
        let (dir, store, id, bytes) = publish(100_000);
        assert_eq!(id, blake3::hash(&bytes));
        drop(store);
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let blob = store.get(&id).unwrap();
        assert!(blob.is_complete());
        assert_eq!(blob.name(), Some("input.bin"));
        let mut buf = vec![0; 5000];
        blob.read_at(40_000, &mut buf).unwrap();
        assert_eq!(buf, bytes[40_000..45_000]);
    }

    #[test]
    fn ranges_transfer_verified_between_stores_and_resume_from_disk() {
        let (_dir, source, id, bytes) = publish(300_000);
        let groups = group_count(bytes.len() as u64);
        let target_dir = tempfile::tempdir().unwrap();
        let target = ContentStore::open(target_dir.path()).unwrap();
        let blob = target.create(id, bytes.len() as u64, None).unwrap();
        let mut wire = Vec::new();
        source
            .get(&id)
            .unwrap()
            .encode(&[2..5, groups - 1..groups], &mut wire)
            .unwrap();
        let mut seen = Vec::new();
        blob.decode(&[2..5, groups - 1..groups], &wire[..], |g, _| seen.push(g))
            .unwrap();
        assert_eq!(seen, vec![2, 3, 4, groups - 1]);
        // Recorded on disk (a download does this every PERSIST_INTERVAL), then reopened: the partial blob
        // remembers exactly those groups.
        blob.persist(Durability::Synced).unwrap();
        drop(blob);
        drop(target);
        let target = ContentStore::open(target_dir.path()).unwrap();
        let blob = target.get(&id).unwrap();
        assert_eq!(
            blob.present().iter().collect::<Vec<_>>(),
            vec![2, 3, 4, groups - 1]
        );
        assert!(matches!(
            blob.read_at(0, &mut [0; 10]),
            Err(StoreError::Missing(0))
        ));
        let rest: Vec<Range<u64>> = vec![0..2, 5..groups - 1];
        let mut wire = Vec::new();
        source.get(&id).unwrap().encode(&rest, &mut wire).unwrap();
        blob.decode(&rest, &wire[..], |_, _| {}).unwrap();
        assert!(blob.is_complete());
        let out = target_dir.path().join("out.bin");
        blob.export(&out).unwrap();
        assert_eq!(fs::read(out).unwrap(), bytes);
        // The downloaded copy serves onward.
        let mut again = Vec::new();
        blob.encode(&[0..groups], &mut again).unwrap();
    }

    #[test]
    fn a_record_of_this_boot_counts_and_one_of_another_boot_does_not() {
        let (_dir, source, id, bytes) = publish(300_000);
        let target_dir = tempfile::tempdir().unwrap();
        let target = ContentStore::open(target_dir.path()).unwrap();
        let blob = target.create(id, bytes.len() as u64, None).unwrap();
        let fetch = |groups: Range<u64>| {
            let mut wire = Vec::new();
            let ranges = [groups];
            source.get(&id).unwrap().encode(&ranges, &mut wire).unwrap();
            blob.decode(&ranges, &wire[..], |_, _| {}).unwrap();
        };
        fetch(0..2);
        blob.persist(Durability::Synced).unwrap();
        fetch(2..4);
        blob.persist(Durability::ThisBoot).unwrap();
        let reopened = || {
            let store = ContentStore::open(target_dir.path()).unwrap();
            let present = store.get(&id).unwrap().present();
            present.iter().collect::<Vec<_>>()
        };
        // A killed process: the kernel kept the bytes, the boot record vouches for them.
        assert_eq!(reopened(), vec![0, 1, 2, 3]);
        // After a reboot (another boot id) only the synced record is trusted.
        let record = blob.dir.join(BOOT_RECORD);
        let mut bytes = fs::read(&record).unwrap();
        bytes[0] ^= 1;
        fs::write(&record, bytes).unwrap();
        assert_eq!(reopened(), vec![0, 1]);
    }

    #[test]
    fn corrupted_bytes_are_rejected_and_only_verified_groups_kept() {
        let (_dir, source, id, bytes) = publish(200_000);
        let mut wire = Vec::new();
        source.get(&id).unwrap().encode(&[0..6], &mut wire).unwrap();
        // Flip a byte well inside the encoding of a later group.
        let at = wire.len() - 100;
        wire[at] ^= 0xff;
        let target_dir = tempfile::tempdir().unwrap();
        let target = ContentStore::open(target_dir.path()).unwrap();
        let blob = target.create(id, bytes.len() as u64, None).unwrap();
        let result = blob.decode(&[0..6], &wire[..], |_, _| {});
        assert!(
            matches!(result, Err(StoreError::Verification(_))),
            "{result:?}"
        );
        let kept = blob.present();
        assert!(
            kept.count() < 6 && !kept.get(5),
            "the corrupt group is not kept: {kept:?}"
        );
        assert!(
            blob.encode(&[5..6], io::sink()).is_err(),
            "a missing group is not served"
        );
    }

    #[test]
    fn bytes_corrupted_on_disk_are_not_served() {
        let (dir, store, id, _) = publish(100_000);
        let data = dir
            .path()
            .join("store")
            .join(id.to_hex().as_str())
            .join("data");
        let mut bytes = fs::read(&data).unwrap();
        bytes[20_000] ^= 1;
        fs::write(&data, bytes).unwrap();
        let blob = store.get(&id).unwrap();
        assert!(
            blob.encode(&[0..1], io::sink()).is_ok(),
            "group 0 is intact"
        );
        assert!(matches!(
            blob.encode(&[1..2], io::sink()),
            Err(StoreError::Verification(_))
        ));
    }
}
