//! Storing a pulled content once it is verified. The store may already hold a partial blob of it: a PeerDTS
//! download in progress, or a stale one (an unsolicited prefetch whose providers lied, a download cut by a
//! restart) that nothing will ever complete and that would refuse the import for good. The pulled bytes then
//! complete that blob, verified group by group as any download's are, which is right in both cases: a
//! download in progress writes the same bytes.

use std::{path::Path, sync::Arc};

use enreach_dts::store::{
    group_count, Blob, ContentHash, ContentStore, Durability, Staging, StoreError,
};

/// Stores the bytes staged in `staged` as the complete content `id` named `name`, if they are that content.
pub(super) async fn store_pulled(
    store: Arc<ContentStore>,
    staged: Staging,
    name: Option<String>,
    id: ContentHash,
) -> Result<Arc<Blob>, StoreError> {
    tokio::task::spawn_blocking(move || match store.get(&id) {
        Some(partial) if !partial.is_complete() => complete_partial(partial, staged, id),
        _ => store.finish_import(staged, name, Some(id)),
    })
    .await
    .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
}

/// Writes the bytes staged in `staged` into the partial blob `partial` of `id`, through the store's verified
/// encoding: they are hashed (and checked to be `id`) in a scratch store inside the staging folder, then
/// encoded into `partial` as a download would.
fn complete_partial(
    partial: Arc<Blob>,
    staged: Staging,
    id: ContentHash,
) -> Result<Arc<Blob>, StoreError> {
    let folder = staged.data_path();
    let folder = folder.parent().unwrap_or(Path::new("."));
    let scratch = ContentStore::open(folder.join("verify"))?;
    let verifying = scratch.staging()?;
    std::fs::rename(staged.data_path(), verifying.data_path())?;
    let verified = scratch.finish_import(verifying, None, Some(id))?;
    // Every group, as one range of group indices: the slice is what the store's API takes.
    #[allow(clippy::single_range_in_vec_init)]
    let groups = [0..group_count(verified.size())];
    let (reader, writer) = std::io::pipe()?;
    std::thread::scope(|scope| {
        let encoding = scope.spawn(|| verified.encode(&groups, writer));
        let decoded = partial.decode(&groups, reader, |_, _| {});
        // The encoder's error, if any, explains a decode cut short: it comes first.
        encoding
            .join()
            .map_err(|_| StoreError::Io(std::io::Error::other("the encoding thread panicked")))??;
        decoded
    })?;
    partial.persist(Durability::Synced)?;
    if !partial.is_complete() {
        return Err(StoreError::Verification(format!(
            "the pulled bytes left {} incomplete",
            id.to_hex()
        )));
    }
    Ok(partial)
}
