//! One blob of the store: its data file, bao outboard and bitfield of verified groups, and the records of that
//! bitfield on disk (synced, or valid for this boot only). See the store's module doc for the invariants.

use std::{
    fs::{self, File, OpenOptions},
    io::{self, Read, Write},
    ops::Range,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Mutex,
    },
};

use bao_tree::{
    io::{
        outboard::PreOrderOutboard,
        sync::{encode_ranges_validated, DecodeResponseIter, OutboardMut},
        BaoContentItem, DecodeError, Leaf, Parent,
    },
    BaoTree, ChunkRanges,
};
use positioned_io::{ReadAt, WriteAt};
use serde::{Deserialize, Serialize};

use super::{
    block_size, chunk_ranges, group_count, size_is_possible, ContentHash, StoreError, GROUP_BYTES,
};
use crate::{
    bitfield::Bitfield,
    coalesce::{open_direct, CoalescedWrites},
};

/// A blob's `meta.json`: written by [`ContentStore`](super::ContentStore) when a blob is imported or created, read by [`Blob::load`].
#[derive(Serialize, Deserialize)]
pub(super) struct Meta {
    pub(super) size: u64,
    pub(super) name: Option<String>,
    /// Created sparse ([`ContentStore::create_sparse`](super::ContentStore::create_sparse)): only ever filled
    /// in part, so no room is reserved for it. Absent (false) in blobs of older versions.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) sparse: bool,
}

/// One blob, complete or partial.
pub struct Blob {
    id: ContentHash,
    size: u64,
    name: Option<String>,
    /// Its folder (the store's tests look at its records).
    pub(super) dir: PathBuf,
    data: File,
    /// The data file opened for direct writes, for large downloads (see [`crate::coalesce`]).
    data_direct: Option<File>,
    outboard: File,
    present: Mutex<Bitfield>,
    /// Serializes [`Blob::persist`], so concurrent calls never race on the bitfield files.
    persisting: Mutex<()>,
    /// Lets concurrent downloads of this blob take turns writing its files.
    writing: Mutex<()>,
    /// Set when the store replaced this (incomplete) blob: its folder is gone, and a download still writing
    /// into it must not record groups into the folder of the blob that replaced it.
    retired: AtomicBool,
    /// Whether the room for its missing groups is reserved ([`Blob::bytes_to_come`]): not for a blob created
    /// sparse, which is only ever filled in part (a keeper's samples).
    reserves_room: bool,
    /// Downloads running into it ([`super::Reserved`] handles alive): its room is reserved only while there is
    /// one. Not stored: after a restart no download runs until one asks for the blob again.
    downloads: AtomicUsize,
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
    /// The file holding its bytes at their offsets. Public for readers that stream a complete blob with their
    /// own I/O (the HTTP gateway serves ranges from it): only groups [`Blob::present`] marks are verified.
    pub fn data_path(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The blob in `dir` (its id `id`), if it has metadata: what [`ContentStore`](super::ContentStore) opens and creates.
    pub(super) fn load(dir: &Path, id: ContentHash) -> Result<Option<Blob>, StoreError> {
        let Ok(meta) = fs::read(dir.join("meta.json")) else {
            return Ok(None);
        };
        let meta: Meta =
            serde_json::from_slice(&meta).map_err(|_| StoreError::Metadata(dir.into()))?;
        if !size_is_possible(&id, meta.size) {
            // Left by an older version that took a provider's word for the size: it would count as complete
            // with nothing verified, so it is no blob.
            return Ok(None);
        }
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
            retired: AtomicBool::new(false),
            reserves_room: !meta.sparse,
            downloads: AtomicUsize::new(0),
        }))
    }

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

    /// Whether every group of `groups` is verified (whole bytes of the bitfield at a time).
    pub fn holds(&self, groups: &Range<u64>) -> bool {
        self.lock().contains_range(groups.clone())
    }

    /// About how many bytes its files still take until it is complete: the missing groups and their share
    /// of the outboard (a hash pair, 64 bytes, per group). What a running download reserves of the disk
    /// ([`Blob::reserved`]).
    pub fn bytes_to_come(&self) -> u64 {
        if !self.reserves_room {
            return 0;
        }
        let present = self.lock();
        let missing = present.len() - present.count();
        missing
            .saturating_mul(GROUP_BYTES + 64)
            .min(self.size.saturating_add(self.tree().outboard_size()))
    }

    /// The room it holds reserved: [`Blob::bytes_to_come`] while a download runs into it, nothing otherwise.
    /// A blob whose download was abandoned (its providers withheld the bytes, the caller gave up) takes only
    /// what was written, which the free space already counts; reserving its whole missing size for as long as
    /// it exists let a few such blobs refuse every later download `DiskFull` (second attacker review).
    pub fn reserved(&self) -> u64 {
        if self.downloads.load(Ordering::Acquire) == 0 {
            return 0;
        }
        self.bytes_to_come()
    }

    /// A download begins ([`super::Reserved`]); the caller holds the store's lock, so no other create sees
    /// the room free meanwhile.
    pub(super) fn download_begins(&self) {
        self.downloads.fetch_add(1, Ordering::AcqRel);
    }

    /// A download ended ([`super::Reserved`] dropped).
    pub(super) fn download_ends(&self) {
        self.downloads.fetch_sub(1, Ordering::AcqRel);
    }

    /// Whether a download runs into it.
    pub(super) fn is_downloading(&self) -> bool {
        self.downloads.load(Ordering::Acquire) > 0
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
        chunk_ranges(self.size, groups)
    }

    /// Writes the verified encoding (data and the hashes proving it) of `groups` to `out`. Every group must
    /// be present; each is re-verified as it is read.
    pub fn encode(&self, groups: &[Range<u64>], out: impl Write) -> Result<(), StoreError> {
        if let Some(missing) = groups.iter().find(|r| !self.holds(r)) {
            return Err(StoreError::Missing(missing.start));
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
                    result = Err(decode_error(e));
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
    /// A retired blob (replaced in the store) records nothing.
    pub fn persist(&self, durability: Durability) -> Result<(), StoreError> {
        let _one_at_a_time = self.persisting.lock().unwrap_or_else(|e| e.into_inner());
        if self.retired.load(Ordering::Acquire) {
            return Ok(());
        }
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

    /// Moves the blob's folder to `to` (for the store to delete) and stops [`Blob::persist`] from recording
    /// anything more: what holds the blob still may read and write its open files, which nothing else uses.
    pub(super) fn retire(&self, to: &Path) -> io::Result<()> {
        let _no_record_meanwhile = self.persisting.lock().unwrap_or_else(|e| e.into_inner());
        fs::rename(&self.dir, to)?;
        self.retired.store(true, Ordering::Release);
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
        fs::copy(self.data_path(), path)?;
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see the old or the new
/// content, never a torn one.
/// What a failed decode means: a sender that stopped early or broke the connection is not lying; anything else
/// is data that does not match the content id.
pub(super) fn decode_error(e: DecodeError) -> StoreError {
    match e {
        DecodeError::Io(e) => StoreError::Io(e),
        DecodeError::ParentNotFound(_) | DecodeError::LeafNotFound(_) => {
            StoreError::Io(io::ErrorKind::UnexpectedEof.into())
        }
        mismatch => StoreError::Verification(mismatch.to_string()),
    }
}

pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
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
pub(super) const SYNCED_RECORD: &str = "present";
/// The boot id followed by the groups vouched for by a [`Durability::ThisBoot`] record.
pub(super) const BOOT_RECORD: &str = "present.boot";

/// This boot's id (Linux), which changes at every reboot.
pub(super) fn boot_id() -> Option<&'static [u8]> {
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

pub(super) fn open_rw(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}
