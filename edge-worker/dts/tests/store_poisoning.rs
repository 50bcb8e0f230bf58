//! Store poisoning (issue 2.3): a provider that lies about a blob's size in its `HAVE` answer. Before size
//! proofs, size 0 made the blob complete with nothing verified (then served and announced), and a wrong size
//! left a blob that never completes and blocks the right one. Any peer can aim this at an edge through
//! `PREFETCH` or a routing hint, so the liar here is named as the only source; the edge finds the honest
//! provider by discovery.

mod common;

use std::time::Duration;

use common::{content, within, Node};
use enreach_dts::{
    bitfield::Bitfield,
    protocol::{self, GetStatus, HaveAnswer, Request, PROTOCOL},
    serve::ServeOptions,
    store::{group_count, ContentHash, ContentStore, GROUP_BYTES},
    transfer::FetchError,
};
use futures::{AsyncWriteExt, FutureExt, StreamExt};

/// Makes `node` a provider that claims to hold every group of a blob of `size` bytes, whatever is asked, and
/// answers every `GET` with junk.
fn lie_about_size(node: &Node, size: u64) {
    let mut incoming = node.network.control().accept(PROTOCOL).unwrap();
    tokio::spawn(async move {
        while let Some((_, mut stream)) = incoming.next().await {
            tokio::spawn(async move {
                let _ = match Request::read(&mut stream).await {
                    Ok(Request::Have(_)) => {
                        let answer = HaveAnswer {
                            size,
                            name: None,
                            present: Bitfield::full(group_count(size)),
                            terms: None,
                        };
                        protocol::write_have(&mut stream, Some(&answer)).await
                    }
                    Ok(Request::Get(_, ranges)) => {
                        let groups: u64 = ranges.iter().map(|r| r.end - r.start).sum();
                        let junk = vec![0x5a; (groups * GROUP_BYTES + 4096).min(1 << 20) as usize];
                        let _ = protocol::write_get_status(&mut stream, GetStatus::Ok).await;
                        stream.write_all(&junk).await
                    }
                    _ => Ok(()),
                };
                let _ = stream.close().await;
            });
        }
    });
}

/// An edge fetches `id` (of `bytes`) with `liar` as its only hint and `honest` connected: it must end with the
/// honest content complete, nothing from the liar, and serve it onward.
async fn attack(id: ContentHash, bytes: &[u8], honest: &Node, lie: u64) {
    let liar = Node::start().await;
    lie_about_size(&liar, lie);
    let edge = Node::start().await;
    edge.serve(ServeOptions::default());
    edge.connect(&liar).await;
    edge.connect(honest).await;
    let outcome = edge.fetch(id, vec![liar.id()]).await;
    if let Some(blob) = edge.store.get(&id) {
        assert_eq!(
            blob.size(),
            bytes.len() as u64,
            "lie {lie}: the store holds a blob of the liar's size ({outcome:?})"
        );
    }
    let report = outcome.unwrap_or_else(|e| panic!("lie {lie}: honest provider not used: {e}"));
    assert_eq!(
        edge.complete_bytes(&id).as_deref(),
        Some(bytes),
        "lie {lie}"
    );
    assert!(
        !report.bytes_by_peer.contains_key(&liar.id().to_string()),
        "lie {lie}: bytes counted from the liar: {report:?}"
    );
    // The edge serves the honest content onward.
    let client = Node::start().await;
    client.connect(&edge).await;
    client.fetch(id, vec![edge.id()]).await.unwrap();
    assert_eq!(
        client.complete_bytes(&id).as_deref(),
        Some(bytes),
        "lie {lie}"
    );
}

/// With only the liar to ask, the download fails cleanly and the store holds no blob at all.
async fn attack_alone(id: ContentHash, lie: u64) {
    let liar = Node::start().await;
    lie_about_size(&liar, lie);
    let edge = Node::start().await;
    edge.connect(&liar).await;
    let outcome = edge.fetch(id, vec![liar.id()]).await;
    assert!(
        edge.store.get(&id).is_none(),
        "lie {lie}: a blob exists after {outcome:?}"
    );
    assert!(
        matches!(outcome, Err(FetchError::SizeUnproven(_))),
        "lie {lie}: {outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_lying_about_the_size_cannot_poison_the_store() {
    let bytes = content(300_000, 1);
    let len = bytes.len() as u64;
    let honest = Node::start().await;
    let id = honest.publish(&bytes);
    honest.serve(ServeOptions::default());
    // Empty; one byte short (same groups, another last chunk); groups more; all at once.
    within(
        Duration::from_secs(60),
        futures::future::join_all(
            [0, len - 1, len + 3 * GROUP_BYTES]
                .map(|lie| attack(id, &bytes, &honest, lie).boxed())
                .into_iter()
                .chain([
                    attack_alone(id, 0).boxed(),
                    attack_alone(id, len + 1).boxed(),
                ]),
        ),
    )
    .await;
}

/// Attacker review H3: a partial blob (a `PREFETCH` whose providers lied or refused, a wrong size on chain, a
/// restart) made the import of the verified, complete content fail with `Busy` for good, so the gateway's
/// origin pull downloaded the whole content and could not store it, again after every `FAILED_PULL_TTL`.
#[test]
fn a_stale_partial_blob_does_not_block_the_verified_import() {
    let bytes = content(200_000, 9);
    let id = blake3::hash(&bytes);
    // At the right size with nothing fetched, and at a wrong size.
    for stale_size in [bytes.len() as u64, bytes.len() as u64 + GROUP_BYTES] {
        let dir = tempfile::tempdir().unwrap();
        let store = ContentStore::open(dir.path().join("store")).unwrap();
        let partial = store.create(id, stale_size, None).unwrap();
        assert!(!partial.is_complete());
        drop(partial);
        let staging = store.staging().unwrap();
        std::fs::write(staging.data_path(), &bytes).unwrap();
        let imported = store
            .finish_import(staging, None, Some(id))
            .unwrap_or_else(|e| panic!("stale size {stale_size}: verified content refused: {e}"));
        assert!(imported.is_complete());
        assert_eq!(store.get(&id).unwrap().size(), bytes.len() as u64);
        drop((imported, store));
        let reopened = ContentStore::open(dir.path().join("store")).unwrap();
        assert!(
            reopened.get(&id).is_some_and(|b| b.is_complete()),
            "stale size {stale_size}: not complete after reopening"
        );
    }
}

/// Attacker review M5: the size a caller gave (a prefetch takes the chain's record, which a front-runner or a
/// mistaken dApp can make wrong) was trusted: a liar agreeing with it got the blob created at that size, which
/// never completed and blocked the right one. Now it must be proven like any other, and a proven size replaces
/// such a blob.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_size_the_caller_gives_is_proven_and_a_blob_of_a_wrong_one_is_replaced() {
    let bytes = content(300_000, 4);
    let honest = Node::start().await;
    let id = honest.publish(&bytes);
    honest.serve(ServeOptions::default());
    let wrong = bytes.len() as u64 + GROUP_BYTES;
    let liar = Node::start().await;
    lie_about_size(&liar, wrong);
    let edge = Node::start().await;
    edge.connect(&honest).await;
    edge.connect(&liar).await;
    let outcome = within(
        Duration::from_secs(60),
        edge.fetch_sized(id, Some(wrong), vec![liar.id(), honest.id()]),
    )
    .await;
    assert!(
        matches!(outcome, Err(FetchError::SizeUnproven(_))),
        "{outcome:?}"
    );
    assert!(
        edge.store.get(&id).is_none(),
        "a blob of the unproven size exists"
    );
    // A blob of the wrong size left behind (by an older version) gives way to the proven size.
    drop(edge.store.create(id, wrong, None).unwrap());
    within(Duration::from_secs(60), edge.fetch(id, vec![honest.id()]))
        .await
        .expect("the proven size replaces the wrong blob");
    assert_eq!(edge.complete_bytes(&id).as_deref(), Some(&bytes[..]));
}

/// Second attacker review: the room a download reserves ([`enreach_dts::store::Blob::bytes_to_come`]) is held by
/// the blob itself, not by the download. A download that ends without completing (its provider proved the
/// size and then withheld the bytes, an app's code that cannot be fetched within its deadline, a prefetch
/// whose sources vanished) leaves a partial blob whose whole missing size stays reserved for ever, also across
/// restarts, though its sparse files take nothing. A few such blobs and every later download is refused
/// `DiskFull` on a disk that is empty.
#[test]
fn an_abandoned_download_does_not_keep_its_room_reserved_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    let store = ContentStore::open(&root).unwrap();
    let free = fs2::available_space(dir.path()).unwrap();
    let (abandoned, wanted) = (blake3::hash(b"abandoned"), blake3::hash(b"wanted"));
    // A download begun and given up: nothing holds the blob any more, nothing was written.
    drop(store.create(abandoned, free / 10 * 6, None).unwrap());
    let created = store.create(wanted, free / 10 * 6, None);
    assert!(
        created.is_ok(),
        "a download nobody runs any more still reserves 60 % of the disk: {:?}",
        created.err()
    );
    drop(created);
    drop(store);
    // Nor after a restart.
    let store = ContentStore::open(&root).unwrap();
    let third = store.create(blake3::hash(b"third"), free / 10 * 6, None);
    assert!(third.is_ok(), "after a restart: {:?}", third.err());
}
