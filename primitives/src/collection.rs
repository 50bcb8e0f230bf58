//! Collections: many files published as one piece of content, such as an AI model's repository (config,
//! tokenizer, weight shards). A collection's manifest lists every file's path, content id and size; the manifest
//! is itself content, so its id names the whole collection, and each file stays content of its own: fetched,
//! verified and resumed like any blob, one file alone if that is all a client wants, and never fetched again by
//! a node that holds it from another version of the collection.
//!
//! The manifest's bytes are canonical (a magic line, then the SCALE encoding of the files sorted by path), so
//! one set of files has one collection id whoever builds it. Paths are relative, `/`-separated, and may not
//! name a parent or an absolute place: a manifest from a stranger cannot make a fetch write outside the folder
//! it writes into.

use alloc::{string::String, vec::Vec};

use codec::{Decode, Encode};

use crate::ContentId;

/// What a manifest's bytes start with: content that does not is not a collection.
pub const COLLECTION_MAGIC: &[u8] = b"enreach-collection-v1\n";

/// Most files in one collection.
pub const MAX_COLLECTION_FILES: usize = 10_000;

/// Longest path of a file in a collection, in bytes.
pub const MAX_COLLECTION_PATH: usize = 1024;

/// One file of a collection.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CollectionFile {
    /// Where the file sits in the collection (see [`is_valid_collection_path`]).
    pub path: String,
    /// The file's content id.
    pub content: ContentId,
    /// Its size in bytes.
    pub size: u64,
}

/// A collection's files, sorted by path, each path once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    files: Vec<CollectionFile>,
}

/// Why files or bytes are not a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CollectionError {
    /// The bytes do not start with [`COLLECTION_MAGIC`]: other content.
    NotACollection,
    /// The bytes after the magic do not decode, or something follows the files.
    Malformed,
    /// No files, or more than [`MAX_COLLECTION_FILES`].
    FileCount,
    /// A path is not a valid collection path.
    InvalidPath(String),
    /// Two files have the same path.
    DuplicatePath(String),
    /// The files are not sorted by path (a manifest must be canonical).
    NotCanonical,
}

/// Whether `path` may name a file in a collection: 1 to [`MAX_COLLECTION_PATH`] bytes of `/`-separated
/// components, none empty, `.`, `..` or `.git` (in any case), without a backslash, a NUL or another control
/// character.
pub fn is_valid_collection_path(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= MAX_COLLECTION_PATH
        && !path.chars().any(|c| c == '\\' || c.is_control())
        && path.split('/').all(|part| {
            // A `.git` written into a working tree would configure git (its hooks, `core.fsmonitor`).
            !part.is_empty() && part != "." && part != ".." && !part.eq_ignore_ascii_case(".git")
        })
}

impl Collection {
    /// The collection of `files`, in any order: checked, and sorted by path.
    pub fn new(mut files: Vec<CollectionFile>) -> Result<Self, CollectionError> {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Self::checked(files)
    }

    fn checked(files: Vec<CollectionFile>) -> Result<Self, CollectionError> {
        if files.is_empty() || files.len() > MAX_COLLECTION_FILES {
            return Err(CollectionError::FileCount);
        }
        if let Some(bad) = files.iter().find(|f| !is_valid_collection_path(&f.path)) {
            return Err(CollectionError::InvalidPath(bad.path.clone()));
        }
        for pair in files.windows(2) {
            match pair[0].path.cmp(&pair[1].path) {
                core::cmp::Ordering::Less => {}
                core::cmp::Ordering::Equal => {
                    return Err(CollectionError::DuplicatePath(pair[0].path.clone()))
                }
                core::cmp::Ordering::Greater => return Err(CollectionError::NotCanonical),
            }
        }
        Ok(Self { files })
    }

    /// The manifest's bytes: the magic, then the files' SCALE encoding.
    pub fn to_manifest(&self) -> Vec<u8> {
        let mut bytes = COLLECTION_MAGIC.to_vec();
        self.files.encode_to(&mut bytes);
        bytes
    }

    /// The collection a manifest's bytes describe; only canonical manifests are accepted, so a collection has
    /// one id.
    pub fn from_manifest(bytes: &[u8]) -> Result<Self, CollectionError> {
        let mut rest = bytes
            .strip_prefix(COLLECTION_MAGIC)
            .ok_or(CollectionError::NotACollection)?;
        // The count is read first, so a forged length cannot make the decoder reserve room for more.
        let count = codec::Compact::<u32>::decode(&mut rest)
            .map_err(|_| CollectionError::Malformed)?
            .0 as usize;
        if count == 0 || count > MAX_COLLECTION_FILES {
            return Err(CollectionError::FileCount);
        }
        let files = (0..count)
            .map(|_| CollectionFile::decode(&mut rest))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| CollectionError::Malformed)?;
        if !rest.is_empty() {
            return Err(CollectionError::Malformed);
        }
        Self::checked(files)
    }

    /// The files, sorted by path.
    pub fn files(&self) -> &[CollectionFile] {
        &self.files
    }

    /// The file at `path`.
    pub fn file(&self, path: &str) -> Option<&CollectionFile> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The files' total size, if it fits a `u64`.
    pub fn total_size(&self) -> Option<u64> {
        self.files
            .iter()
            .try_fold(0u64, |total, f| total.checked_add(f.size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::{string::ToString, vec};

    fn file(path: &str, n: u8) -> CollectionFile {
        CollectionFile {
            path: path.to_string(),
            content: ContentId([n; 32]),
            size: 100 + n as u64,
        }
    }

    #[test]
    fn a_manifest_round_trips_and_one_set_of_files_has_one_manifest() {
        let a = Collection::new(vec![
            file("model-00002.safetensors", 2),
            file("config.json", 1),
        ])
        .unwrap();
        let b = Collection::new(vec![
            file("config.json", 1),
            file("model-00002.safetensors", 2),
        ])
        .unwrap();
        assert_eq!(a.to_manifest(), b.to_manifest());
        let read = Collection::from_manifest(&a.to_manifest()).unwrap();
        assert_eq!(read, a);
        assert_eq!(read.file("config.json").unwrap().size, 101);
        assert!(read.file("missing.json").is_none());
        assert_eq!(read.total_size(), Some(101 + 102));
    }

    /// Attack: a manifest whose paths climb out of the folder a fetch writes into, or name an absolute place.
    #[test]
    fn paths_cannot_leave_the_collection() {
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "a/../../b",
            "a//b",
            "a/./b",
            "",
            "a\\..\\b",
            "a\0b",
            "dir/",
            ".git/config",
            "sub/.GIT/hooks/post-checkout",
        ] {
            assert!(!is_valid_collection_path(bad), "{bad:?}");
            assert!(matches!(
                Collection::new(vec![file(bad, 1)]),
                Err(CollectionError::InvalidPath(_))
            ));
        }
        for good in [
            "config.json",
            "onnx/model.onnx",
            "a.b/..c",
            "tokenizer/vocab..txt",
        ] {
            assert!(is_valid_collection_path(good), "{good:?}");
        }
        assert!(!is_valid_collection_path(
            &"a".repeat(MAX_COLLECTION_PATH + 1)
        ));
    }

    /// Only canonical manifests are read: unsorted or duplicated files, trailing bytes, other content, or a
    /// count past the cap (without the decoder reserving room for it) are refused.
    #[test]
    fn non_canonical_or_forged_manifests_are_refused() {
        let sorted = vec![file("a", 1), file("b", 2)];
        let mut unsorted = COLLECTION_MAGIC.to_vec();
        vec![file("b", 2), file("a", 1)].encode_to(&mut unsorted);
        assert_eq!(
            Collection::from_manifest(&unsorted),
            Err(CollectionError::NotCanonical)
        );
        let mut twice = COLLECTION_MAGIC.to_vec();
        vec![file("a", 1), file("a", 2)].encode_to(&mut twice);
        assert_eq!(
            Collection::from_manifest(&twice),
            Err(CollectionError::DuplicatePath("a".into()))
        );
        let mut trailing = Collection::new(sorted).unwrap().to_manifest();
        trailing.push(0);
        assert_eq!(
            Collection::from_manifest(&trailing),
            Err(CollectionError::Malformed)
        );
        assert_eq!(
            Collection::from_manifest(b"{\"not\": \"a collection\"}"),
            Err(CollectionError::NotACollection)
        );
        let mut huge = COLLECTION_MAGIC.to_vec();
        codec::Compact(u32::MAX).encode_to(&mut huge);
        assert_eq!(
            Collection::from_manifest(&huge),
            Err(CollectionError::FileCount)
        );
        assert_eq!(Collection::new(vec![]), Err(CollectionError::FileCount));
    }
}
