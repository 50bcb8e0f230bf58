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
    fs::{self, File},
    io::{self, Read},
    ops::Range,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use bao_tree::{
    io::{outboard::PreOrderOutboard, sync::DecodeResponseIter},
    BaoTree, BlockSize, ChunkNum, ChunkRanges,
};

use crate::bitfield::Bitfield;

mod blob;

use blob::{decode_error, open_rw, write_atomically, Meta, SYNCED_RECORD};
pub use blob::{Blob, Durability, DIRECT_WRITE_MIN, PERSIST_INTERVAL, SYNC_INTERVAL};

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

/// Whether content `id` can be `size` bytes long, as far as can be told without its bytes. Only the empty size
/// can be refuted so: a blob of no groups is complete the moment it exists, so it may only ever be the empty
/// content. Any other size is proven by the bao encoding of the blob's last group ([`verify_encoding`]),
/// since the root hash commits to the length.
pub fn size_is_possible(id: &ContentHash, size: u64) -> bool {
    size > 0 || *id == blake3::hash(&[])
}

/// Chunk ranges of a blob of `size` bytes covering the groups `groups` (half-open group indices).
pub fn chunk_ranges(size: u64, groups: &[Range<u64>]) -> ChunkRanges {
    let end = BaoTree::new(size, block_size()).chunks();
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

/// Checks, in memory and without a blob, that `encoding` is the bao encoding of `groups` of content `id` *if it
/// is `size` bytes long*. Verifying the last group this way proves the size: its chunk counter, its length and
/// the tree's shape all follow from the size, and all are hashed into the root.
pub fn verify_encoding(
    id: ContentHash,
    size: u64,
    groups: &[Range<u64>],
    encoding: impl Read,
) -> Result<(), StoreError> {
    let tree = BaoTree::new(size, block_size());
    let ranges = chunk_ranges(size, groups);
    let mut items = 0;
    for item in DecodeResponseIter::new(id, tree, encoding, &ranges) {
        item.map_err(decode_error)?;
        items += 1;
    }
    if items == 0 {
        // Nothing to verify (no such group): nothing is proven.
        return Err(StoreError::Missing(groups.first().map_or(0, |r| r.start)));
    }
    Ok(())
}

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file could not be read or written.
    #[error("store I/O: {0}")]
    Io(io::Error),
    /// The disk has no room for the content: it is refused, and what the store holds is kept.
    #[error("the disk is full: {0}")]
    DiskFull(String),
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
    /// A blob cannot have this size (an empty blob that is not the empty content).
    #[error("content {0} cannot be {1} bytes long")]
    ImpossibleSize(String, u64),
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::StorageFull => StoreError::DiskFull(e.to_string()),
            _ => StoreError::Io(e),
        }
    }
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
            if let Some(blob) = Blob::load(&dir, id)? {
                blobs.insert(id, Arc::new(blob));
            }
        }
        Ok(Self {
            root,
            blobs: Mutex::new(blobs),
        })
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
    /// is; an incomplete one is replaced (attacker review H3: a partial blob, which any peer's `PREFETCH` or a
    /// wrong size on chain could leave, blocked the verified import for good); a download still writing into
    /// it goes on harmlessly ([`Blob::persist`] of a replaced blob records nothing).
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
            serde_json::to_vec(&Meta {
                size,
                name,
                sparse: false,
            })
            .expect("metadata serializes"),
        )?;
        write_atomically(
            &staging.0.path().join(SYNCED_RECORD),
            Bitfield::full(group_count(size)).as_bytes(),
        )?;
        let mut blobs = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        match blobs.remove(&id) {
            Some(blob) if blob.is_complete() => {
                blobs.insert(id, blob.clone());
                return Ok(blob);
            }
            Some(partial) => {
                if let Err(e) = self.retire(&partial) {
                    blobs.insert(id, partial);
                    return Err(e);
                }
            }
            None => {}
        }
        let dir = self.root.join(id.to_hex().as_str());
        if dir.exists() {
            // Left by a crash before the blob was loaded: not a blob of this store.
            fs::remove_dir_all(&dir)?;
        }
        fs::rename(staging.0.keep(), &dir)?;
        let blob = Arc::new(Blob::load(&dir, id)?.ok_or(StoreError::Metadata(dir))?);
        blobs.insert(id, blob.clone());
        Ok(blob)
    }

    /// The blob `id` of `size` bytes, created empty if it is not known yet, to download into, with the room
    /// for what it misses reserved until the [`Reserved`] handle is dropped: hold it for as long as the download
    /// runs. `size` must be proven ([`verify_encoding`]; `transfer::fetch` proves it even when the chain names
    /// it, as a record can be wrong): a blob of a wrong size never completes. So an incomplete blob of another
    /// size (made with a wrong one) is replaced by the new one; a complete blob of another size proves `size`
    /// wrong and stays.
    pub fn create(
        &self,
        id: ContentHash,
        size: u64,
        name: Option<String>,
    ) -> Result<Reserved, StoreError> {
        self.create_blob(id, size, name, true)
    }

    /// As [`Self::create`], for a blob only ever filled in part (a keeper's samples of a node's pin): its
    /// sparse files take only what is written, so the room for the whole size is not asked for (nor reserved).
    /// Checking it made every sample of a pin larger than the keeper's free disk fail, scoring honest nodes as
    /// failing.
    pub fn create_sparse(&self, id: ContentHash, size: u64) -> Result<Arc<Blob>, StoreError> {
        self.create_blob(id, size, None, false)
            .map(|reserved| reserved.blob.clone())
    }

    fn create_blob(
        &self,
        id: ContentHash,
        size: u64,
        name: Option<String>,
        whole: bool,
    ) -> Result<Reserved, StoreError> {
        if !size_is_possible(&id, size) {
            return Err(StoreError::ImpossibleSize(id.to_hex().to_string(), size));
        }
        // Held throughout, so concurrent creates of one blob agree on which one exists, and on what room the
        // downloads running have reserved.
        let mut blobs = self.blobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(blob) = blobs.get(&id) {
            if blob.size() == size {
                // Resumed: its room is asked for again unless a running download holds it already.
                if whole && !blob.is_downloading() {
                    self.check_room(&blobs, &id, blob.bytes_to_come())?;
                }
                return Ok(Reserved::new(blob.clone()));
            }
            if blob.is_complete() {
                return Err(StoreError::SizeMismatch(
                    id.to_hex().to_string(),
                    blob.size(),
                    size,
                ));
            }
            self.retire(blob)?;
            blobs.remove(&id);
        }
        let outboard_size = BaoTree::new(size, block_size()).outboard_size();
        if whole {
            self.check_room(&blobs, &id, size.saturating_add(outboard_size))?;
        }
        let dir = self.root.join(id.to_hex().as_str());
        let created = (|| {
            fs::create_dir_all(&dir)?;
            open_rw(&dir.join("data"))?.set_len(size)?;
            open_rw(&dir.join("outboard"))?.set_len(outboard_size)?;
            write_atomically(
                &dir.join("meta.json"),
                &serde_json::to_vec(&Meta {
                    size,
                    name,
                    sparse: !whole,
                })
                .expect("metadata serializes"),
            )
        })();
        if let Err(e) = created {
            // Half-created (the disk filled meanwhile): not a blob of this store.
            let _ = fs::remove_dir_all(&dir);
            return Err(e.into());
        }
        let blob = Arc::new(Blob::load(&dir, id)?.ok_or(StoreError::Metadata(dir))?);
        blobs.insert(id, blob.clone());
        Ok(Reserved::new(blob))
    }

    /// Refuses a download of `id` that needs `needed` bytes more than the disk has free beyond what the running
    /// downloads of `blobs` still have to write. Files are sparse: without this check a download that cannot
    /// fit would begin, and fail halfway; and downloads begun together would each see the whole disk free.
    fn check_room(
        &self,
        blobs: &HashMap<ContentHash, Arc<Blob>>,
        id: &ContentHash,
        needed: u64,
    ) -> Result<(), StoreError> {
        let reserved: u64 = blobs.values().map(|b| b.reserved()).sum();
        let available = fs2::available_space(&self.root)?.saturating_sub(reserved);
        if needed > available {
            return Err(StoreError::DiskFull(format!(
                "{id} needs {needed} bytes, {available} are free",
                id = id.to_hex()
            )));
        }
        Ok(())
    }

    /// Takes the incomplete `blob`'s folder out of the store and deletes it; the caller forgets the blob.
    fn retire(&self, blob: &Blob) -> Result<(), StoreError> {
        // Under the staging prefix: a crash before the deletion leaves nothing the next open keeps.
        let trash = self.staging()?;
        blob.retire(&trash.0.path().join("retired"))?;
        drop(trash);
        Ok(())
    }
}

/// A blob being downloaded into ([`ContentStore::create`]): the room for its missing bytes stays reserved
/// while this handle lives, and is given back when it is dropped, however the download ended. Derefs to the
/// blob; clones of that `Arc` (for the download's tasks) hold no reservation.
pub struct Reserved {
    blob: Arc<Blob>,
}

impl Reserved {
    /// Called with the store's lock held, so the reservation is counted before another create looks.
    fn new(blob: Arc<Blob>) -> Self {
        blob.download_begins();
        Self { blob }
    }
}

impl std::ops::Deref for Reserved {
    type Target = Arc<Blob>;

    fn deref(&self) -> &Arc<Blob> {
        &self.blob
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        self.blob.download_ends();
    }
}

#[cfg(test)]
// Single ranges are what the API takes: slices of group ranges.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;
    use blob::BOOT_RECORD;
    use std::ops::Range;

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
    fn only_the_right_size_verifies_and_no_empty_blob_poses_as_content() {
        let (_dir, source, id, bytes) = publish(200_000);
        let size = bytes.len() as u64;
        let last = group_count(size) - 1;
        let mut wire = Vec::new();
        source
            .get(&id)
            .unwrap()
            .encode(&[last..last + 1], &mut wire)
            .unwrap();
        verify_encoding(id, size, &[last..last + 1], &wire[..]).unwrap();
        // Same last group, one byte short or long; a group more or less: the proof fails for each.
        for wrong in [size - 1, size + 1, size + GROUP_BYTES, size - GROUP_BYTES] {
            let last = group_count(wrong) - 1;
            assert!(
                verify_encoding(id, wrong, &[last..last + 1], &wire[..]).is_err(),
                "size {wrong} verified"
            );
        }
        let target_dir = tempfile::tempdir().unwrap();
        let target = ContentStore::open(target_dir.path()).unwrap();
        assert!(matches!(
            target.create(id, 0, None),
            Err(StoreError::ImpossibleSize(_, 0))
        ));
        let empty = blake3::hash(&[]);
        assert!(target.create(empty, 0, None).unwrap().is_complete());
    }

    /// Attacker review M6: every download checked the free space alone, so prefetches started together (or
    /// one after the other, before either wrote much: their files are sparse) each saw the whole disk free.
    #[test]
    fn downloads_begun_reserve_their_room() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let free = fs2::available_space(dir.path()).unwrap();
        let (first, second) = (blake3::hash(b"first"), blake3::hash(b"second"));
        let partial = store.create(first, free / 10 * 6, None).unwrap();
        let created = store.create(second, free / 10 * 6, None);
        assert!(
            matches!(created, Err(StoreError::DiskFull(_))),
            "two downloads of 60 % of the free space each: {:?}",
            created.map(|b| b.size())
        );
        assert!(store.get(&second).is_none());
        // A replaced partial blob gives its reservation back.
        let staging = store.staging().unwrap();
        fs::write(staging.data_path(), b"first").unwrap();
        store.finish_import(staging, None, Some(first)).unwrap();
        drop(partial);
        assert!(store.create(second, free / 10 * 6, None).is_ok());
    }

    /// Second attacker review: the room is reserved by a running download, not by the blob; a download resumed
    /// into a blob nobody downloads asks for the room again, one joining a running download shares its room.
    #[test]
    fn a_resumed_download_asks_for_its_room_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let free = fs2::available_space(dir.path()).unwrap();
        let (abandoned, running) = (blake3::hash(b"abandoned"), blake3::hash(b"running"));
        drop(store.create(abandoned, free / 10 * 6, None).unwrap());
        let download = store.create(running, free / 10 * 6, None).unwrap();
        let resumed = store.create(abandoned, free / 10 * 6, None);
        assert!(
            matches!(resumed, Err(StoreError::DiskFull(_))),
            "resumed beside a running download of 60 % of the disk: {:?}",
            resumed.map(|b| b.size())
        );
        assert!(
            store.create(running, free / 10 * 6, None).is_ok(),
            "a second download of a running one"
        );
        drop(download);
        assert!(store.create(abandoned, free / 10 * 6, None).is_ok());
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

    #[test]
    fn a_full_disk_refuses_new_content_clearly_and_keeps_what_it_holds() {
        let Some(disk) = crate::testing::SmallDisk::mount("4m") else {
            return;
        };
        let bytes = blob_bytes(300_000);
        let file = disk.path().join("input.bin");
        fs::write(&file, &bytes).unwrap();
        let large = disk.path().join("large.bin");
        fs::write(&large, blob_bytes(1 << 20)).unwrap();
        let store = ContentStore::open(disk.path().join("store")).unwrap();
        let held = store.import(&file).unwrap();
        let ballast = disk.fill();
        // An import that runs out of room midway is refused as such.
        let imported = store.import(&large);
        assert!(
            matches!(imported, Err(StoreError::DiskFull(_))),
            "{imported:?}"
        );
        // Some room again, not enough for a large download: refused before a byte is fetched, not halfway.
        fs::remove_file(&file).unwrap();
        let big = blake3::hash(b"a blob larger than the disk");
        let created = store.create(big, 64 << 20, None);
        assert!(
            matches!(created, Err(StoreError::DiskFull(_))),
            "a 64 MiB download begun with {} bytes free: {:?}",
            fs2::available_space(disk.path()).unwrap(),
            created.err()
        );
        assert!(store.get(&big).is_none());
        // A keeper's sample of a pin that large takes only the groups it fetches: created all the same
        // (attacker review H4: refusing it scored honest nodes with large pins as failing storage).
        let sampled = blake3::hash(b"a pin a keeper samples");
        assert!(store.create_sparse(sampled, 64 << 20).is_ok());
        // Nothing held was lost, and the store still opens.
        drop(store);
        let store = ContentStore::open(disk.path().join("store")).unwrap();
        let blob = store.get(&held).unwrap();
        assert!(blob.is_complete());
        let mut buf = vec![0; 5000];
        blob.read_at(40_000, &mut buf).unwrap();
        assert_eq!(buf, bytes[40_000..45_000]);
        fs::remove_file(ballast).unwrap();
        assert!(store.create(big, 1 << 20, None).is_ok(), "room again");
    }
}
