//! Collections in the store ([`enreach_primitives::collection`]): a folder imported as one (each file a blob,
//! and the manifest naming them a blob too), and a collection fetched whole or one file of it. Files are blobs
//! like any other, so each is verified and resumed on its own, and a file the store already holds (from
//! another version of the collection) is not fetched again.

use std::{
    io::Read,
    path::{Path, PathBuf},
    sync::Arc,
};

use enreach_primitives::{
    collection::COLLECTION_MAGIC, Collection, CollectionError, CollectionFile, ContentId,
};
use serde::Serialize;

use crate::{
    metrics::Metrics,
    network::Network,
    signing::ClientSigner,
    store::{Blob, ContentHash, ContentStore, StoreError},
    transfer::{fetch, FetchError, FetchReport, Progress, Sources},
};

/// Largest manifest read: [`enreach_primitives::collection::MAX_COLLECTION_FILES`] files with long paths.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Files of one collection fetched at once.
const FILES_AT_ONCE: usize = 4;

/// Why a folder cannot be imported or a collection fetched.
#[derive(Debug, thiserror::Error)]
pub enum CollectionFailure {
    #[error("reading {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// A link is not followed: a folder published with a link to a private file would publish that file.
    #[error("{0} is a symbolic link; collections hold regular files only")]
    Link(PathBuf),
    #[error("{0} in the output folder is a symbolic link: nothing is written through it")]
    LinkInOutput(PathBuf),
    #[error("{0} is not valid UTF-8")]
    NotUtf8(PathBuf),
    #[error("not a collection: {0:?}")]
    Collection(CollectionError),
    #[error("the manifest is {0} bytes, over the cap of {MAX_MANIFEST_BYTES}")]
    ManifestTooLarge(u64),
    #[error("the collection has no file {0}")]
    NoSuchFile(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("fetching {path}: {error}")]
    Fetch { path: String, error: FetchError },
}

/// A folder imported as a collection.
pub struct Imported {
    /// The manifest's content id: the collection's id.
    pub id: ContentHash,
    pub collection: Collection,
}

/// Imports every regular file under `dir` (not following links) into `store`, and the manifest naming them.
pub fn import_dir(store: &ContentStore, dir: &Path) -> Result<Imported, CollectionFailure> {
    let collection = describe_dir(dir, |path| {
        let id = store.import(path)?;
        let size = store.get(&id).map(|blob| blob.size()).unwrap_or_default();
        Ok((id, size))
    })?;
    let staging = store.staging()?;
    std::fs::write(staging.data_path(), collection.to_manifest())
        .map_err(|e| CollectionFailure::Read(staging.data_path(), e))?;
    let name = dir.file_name().and_then(|n| n.to_str()).map(String::from);
    let id = store.finish_import(staging, name, None)?.id();
    Ok(Imported { id, collection })
}

/// The collection of the regular files under `dir` (not following links), each file's content id and size
/// given by `content_of` from the bytes it read (importing the file into a store, or only hashing it): a file
/// still being written is described as it was read, not by a later length.
pub fn describe_dir(
    dir: &Path,
    mut content_of: impl FnMut(&Path) -> Result<(ContentHash, u64), CollectionFailure>,
) -> Result<Collection, CollectionFailure> {
    let mut found = Vec::new();
    walk(dir, dir, &mut found)?;
    let mut files = Vec::with_capacity(found.len());
    for (path, relative) in found {
        let (id, size) = content_of(&path)?;
        files.push(CollectionFile {
            path: relative,
            content: ContentId(*id.as_bytes()),
            size,
        });
    }
    Collection::new(files).map_err(CollectionFailure::Collection)
}

/// The regular files under `dir`, with their paths relative to `root` (`/`-separated).
fn walk(
    root: &Path,
    dir: &Path,
    found: &mut Vec<(PathBuf, String)>,
) -> Result<(), CollectionFailure> {
    let read = |e| CollectionFailure::Read(dir.to_owned(), e);
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        let kind = std::fs::symlink_metadata(&path)
            .map_err(|e| CollectionFailure::Read(path.clone(), e))?
            .file_type();
        if kind.is_symlink() {
            return Err(CollectionFailure::Link(path));
        }
        if kind.is_dir() {
            // A cloned repository's git data (its remote URL may hold a token) and tools' caches are not the
            // model's files.
            if matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some(".git" | ".cache")
            ) {
                continue;
            }
            walk(root, &path, found)?;
        } else if kind.is_file() {
            let relative = path
                .strip_prefix(root)
                .expect("under the root")
                .components()
                .map(|c| c.as_os_str().to_str())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| CollectionFailure::NotUtf8(path.clone()))?
                .join("/");
            found.push((path, relative));
        }
    }
    Ok(())
}

/// The collection whose manifest is the complete blob `id` in `store`; `None` if the store lacks it.
pub fn read_manifest(
    store: &ContentStore,
    id: &ContentHash,
) -> Option<Result<Collection, CollectionFailure>> {
    let blob = store.get(id).filter(|b| b.is_complete())?;
    Some(manifest_of(&blob))
}

/// The collection whose manifest is the complete `blob`. Its magic is read first, so content that is not a
/// collection (whatever a stranger asks a gateway about) costs a 22-byte read, not the whole blob.
pub fn manifest_of(blob: &Blob) -> Result<Collection, CollectionFailure> {
    let path = blob.data_path();
    let read = |e| CollectionFailure::Read(path.clone(), e);
    let mut file = std::fs::File::open(&path).map_err(read)?;
    let mut magic = [0; COLLECTION_MAGIC.len()];
    if file.read_exact(&mut magic).is_err() || magic != COLLECTION_MAGIC {
        return Err(CollectionFailure::Collection(
            CollectionError::NotACollection,
        ));
    }
    if blob.size() > MAX_MANIFEST_BYTES {
        return Err(CollectionFailure::ManifestTooLarge(blob.size()));
    }
    let mut bytes = magic.to_vec();
    file.read_to_end(&mut bytes).map_err(read)?;
    Collection::from_manifest(&bytes).map_err(CollectionFailure::Collection)
}

/// How a collection's fetch went.
#[derive(Debug, Serialize)]
pub struct CollectionReport {
    /// The files fetched in this run, with each one's report.
    pub fetched: Vec<(String, FetchReport)>,
    /// The files the store held already (from another version, or a fetch before).
    pub already_held: Vec<String>,
}

impl CollectionReport {
    /// Content bytes fetched in this run, over all files.
    pub fn bytes_fetched(&self) -> u64 {
        self.fetched.iter().map(|(_, r)| r.bytes_fetched()).sum()
    }

    /// Content bytes each provider sent in this run, over all files.
    pub fn bytes_by_peer(&self) -> std::collections::BTreeMap<String, u64> {
        let mut by_peer = std::collections::BTreeMap::new();
        for (_, report) in &self.fetched {
            for (peer, bytes) in &report.bytes_by_peer {
                *by_peer.entry(peer.clone()).or_insert(0) += bytes;
            }
        }
        by_peer
    }
}

/// Fetches the files of `collection` into `store` (only the one at `only`, if given) from `sources`; files the
/// store holds complete are not fetched.
#[allow(clippy::too_many_arguments)]
pub async fn fetch_files(
    network: &Network,
    store: Arc<ContentStore>,
    collection: &Collection,
    only: Option<&str>,
    sources: Sources,
    metrics: Arc<Metrics>,
    signer: Option<Arc<ClientSigner>>,
) -> Result<CollectionReport, CollectionFailure> {
    let files: Vec<&CollectionFile> = match only {
        Some(path) => vec![collection
            .file(path)
            .ok_or_else(|| CollectionFailure::NoSuchFile(path.into()))?],
        None => collection.files().iter().collect(),
    };
    let mut report = CollectionReport {
        fetched: Vec::new(),
        already_held: Vec::new(),
    };
    let mut wanted = Vec::new();
    let mut asked = std::collections::HashSet::new();
    for file in files {
        let id = ContentHash::from_bytes(file.content.0);
        if store.get(&id).is_some_and(|b| b.is_complete()) || !asked.insert(id) {
            // Held, or fetched once for another path naming the same content.
            report.already_held.push(file.path.clone());
        } else {
            // Owned, so that the fetches' futures name no borrowed lifetime and can be spawned (Send).
            wanted.push((file.clone(), id));
        }
    }
    use futures::StreamExt;
    let mut fetches = futures::stream::iter(wanted.into_iter().map(|(file, id)| {
        let (store, sources, metrics, signer) = (
            store.clone(),
            sources.clone(),
            metrics.clone(),
            signer.clone(),
        );
        async move {
            let fetched = fetch(
                network,
                store,
                id,
                Some(file.size),
                sources,
                metrics,
                signer,
                |_: Progress| {},
            )
            .await;
            (file.path.clone(), fetched)
        }
    }))
    .buffer_unordered(FILES_AT_ONCE);
    while let Some((path, fetched)) = fetches.next().await {
        match fetched {
            Ok(fetched) => report.fetched.push((path, fetched)),
            Err(error) => return Err(CollectionFailure::Fetch { path, error }),
        }
    }
    report.fetched.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(report)
}

/// Writes the files of `collection` the store holds under `dir` (only `only`, if given), at their paths.
pub fn export(
    store: &ContentStore,
    collection: &Collection,
    only: Option<&str>,
    dir: &Path,
) -> Result<(), CollectionFailure> {
    for file in collection
        .files()
        .iter()
        .filter(|f| only.is_none_or(|p| p == f.path))
    {
        let id = ContentHash::from_bytes(file.content.0);
        let blob = store
            .get(&id)
            .filter(|b| b.is_complete())
            .ok_or_else(|| CollectionFailure::NoSuchFile(file.path.clone()))?;
        // Valid collection paths have no `..`, root or empty component: the file lands under `dir`, unless a
        // link already in `dir` points elsewhere (a folder another tool filled with links into a shared
        // cache): then nothing is written through it.
        let mut at = dir.to_owned();
        for part in file.path.split('/') {
            at.push(part);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(CollectionFailure::LinkInOutput(at));
            }
        }
        let target = dir.join(&file.path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CollectionFailure::Read(parent.into(), e))?;
        }
        // Written beside and renamed over the target, so a reader never sees half a file.
        let mut partial = target.as_os_str().to_owned();
        partial.push(".enreach-partial");
        let partial = PathBuf::from(partial);
        blob.export(&partial)?;
        std::fs::rename(&partial, &target)
            .map_err(|e| CollectionFailure::Read(target.clone(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_imported_as_a_collection_and_exported_identically() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("tiny-model");
        std::fs::create_dir_all(model.join("tokenizer")).unwrap();
        std::fs::write(model.join("config.json"), b"{\"layers\": 2}").unwrap();
        std::fs::write(model.join("tokenizer/vocab.txt"), b"a\nb\n").unwrap();
        std::fs::write(model.join("model.safetensors"), vec![7u8; 100_000]).unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let imported = import_dir(&store, &model).unwrap();
        let paths: Vec<_> = imported
            .collection
            .files()
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(
            paths,
            ["config.json", "model.safetensors", "tokenizer/vocab.txt"]
        );
        let read = read_manifest(&store, &imported.id).unwrap().unwrap();
        assert_eq!(read, imported.collection);
        // The same files make the same collection id.
        let again = ContentStore::open(dir.path().join("again")).unwrap();
        assert_eq!(import_dir(&again, &model).unwrap().id, imported.id);

        let out = dir.path().join("out");
        export(&store, &read, None, &out).unwrap();
        for path in paths {
            assert_eq!(
                std::fs::read(out.join(path)).unwrap(),
                std::fs::read(model.join(path)).unwrap()
            );
        }
        let one = dir.path().join("one");
        export(&store, &read, Some("config.json"), &one).unwrap();
        assert_eq!(std::fs::read_dir(&one).unwrap().count(), 1);
        // A blob that is not a manifest is not a collection.
        let file_id = ContentHash::from_bytes(read.file("config.json").unwrap().content.0);
        assert!(matches!(
            read_manifest(&store, &file_id),
            Some(Err(CollectionFailure::Collection(
                CollectionError::NotACollection
            )))
        ));
    }

    /// A folder published with a link in it (to a key, say) is refused rather than publishing the link's target.
    #[test]
    fn links_already_in_the_output_folder_are_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model");
        std::fs::create_dir_all(&model).unwrap();
        std::fs::write(model.join("weights"), b"new").unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let imported = import_dir(&store, &model).unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        let shared = dir.path().join("shared-cache-blob");
        std::fs::write(&shared, b"another model's weights").unwrap();
        std::os::unix::fs::symlink(&shared, out.join("weights")).unwrap();
        assert!(matches!(
            export(&store, &imported.collection, None, &out),
            Err(CollectionFailure::LinkInOutput(_))
        ));
        assert_eq!(std::fs::read(&shared).unwrap(), b"another model's weights");
    }

    #[test]
    fn links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("model");
        std::fs::create_dir_all(&model).unwrap();
        std::fs::write(dir.path().join("secret"), b"key").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), model.join("weights")).unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        assert!(matches!(
            import_dir(&store, &model),
            Err(CollectionFailure::Link(_))
        ));
    }
}
