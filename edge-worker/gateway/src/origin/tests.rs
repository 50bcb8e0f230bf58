//! Origin pulls against origins on this machine that answer well, slowly or not at all, with publications from
//! a table instead of the chain.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use futures::future::BoxFuture;

use enreach_dts::store::{ContentHash, ContentStore};
use enreach_edge_chain::{ChainError, ContentRecord};

use super::{OriginLimits, OriginPull, Publications, PullError};

/// Far longer than any outcome here takes on a loaded machine: a test that waits this long has failed.
const GENEROUS: Duration = Duration::from_secs(60);

/// Publications from a table.
#[derive(Clone, Default)]
struct Table(Arc<Mutex<HashMap<ContentHash, ContentRecord>>>);

impl Publications for Table {
    fn content(&self, id: ContentHash) -> BoxFuture<'_, Result<Option<ContentRecord>, ChainError>> {
        let record = self.0.lock().unwrap().get(&id).cloned();
        Box::pin(async move { Ok(record) })
    }
}

/// An origin on 127.0.0.x: `/ok/<name>` answers a content at once, `/trickle/<name>` a byte every 50 ms,
/// `/hang/<name>` never, `/fail/<name>` 500 after a second; every request is counted by path.
#[derive(Clone, Default)]
struct Origin {
    contents: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Origin {
    /// Serves on 127.0.0.`host`; returns its address.
    async fn start(&self, host: u8) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::new(127, 0, 0, host), 0))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/{how}/{name}", get(answer))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn answer(
    State(origin): State<Origin>,
    Path((how, name)): Path<(String, String)>,
) -> Response {
    *origin
        .hits
        .lock()
        .unwrap()
        .entry(format!("/{how}/{name}"))
        .or_default() += 1;
    let bytes = origin
        .contents
        .lock()
        .unwrap()
        .get(&name)
        .cloned()
        .unwrap_or_default();
    match how.as_str() {
        "ok" => bytes.into_response(),
        "trickle" => {
            let len = bytes.len();
            let stream = futures::stream::unfold(bytes.into_iter(), |mut rest| async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let byte = rest.next()?;
                Some((Ok::<_, std::io::Error>(Bytes::from(vec![byte])), rest))
            });
            Response::builder()
                .header("content-length", len)
                .body(Body::from_stream(stream))
                .unwrap()
        }
        "hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::OK.into_response()
        }
        _ => {
            tokio::time::sleep(Duration::from_secs(1)).await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A gateway's puller over a fresh store, its publications and its origin on 127.0.0.1.
struct Setup {
    _dir: tempfile::TempDir,
    store: Arc<ContentStore>,
    table: Table,
    origin: Origin,
    addr: SocketAddr,
}

impl Setup {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(ContentStore::open(dir.path().join("store")).unwrap());
        let origin = Origin::default();
        let addr = origin.start(1).await;
        Self {
            _dir: dir,
            store,
            table: Table::default(),
            origin,
            addr,
        }
    }

    /// Publishes a content of `len` bytes named `name`, owned by dApp `owner`, at `/<how>/<name>` of `addr`;
    /// returns its id.
    fn publish(
        &self,
        name: &str,
        len: usize,
        owner: u8,
        how: &str,
        addr: SocketAddr,
    ) -> ContentHash {
        // Different names, different contents (and ids).
        let seed = name
            .bytes()
            .fold(0u8, |a, b| a.wrapping_mul(31).wrapping_add(b));
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7) as u8 ^ seed).collect();
        let id = blake3_of(&bytes);
        self.origin
            .contents
            .lock()
            .unwrap()
            .insert(name.into(), bytes);
        let record = ContentRecord {
            owner: [owner; 32],
            size: len as u64,
            replicas: 1,
            max_price: 0,
            origin: Some(format!("http://{addr}/{how}/{name}").into_bytes()),
        };
        self.table.0.lock().unwrap().insert(id, record);
        id
    }

    fn pull(&self, limits: OriginLimits) -> Arc<OriginPull> {
        let limits = OriginLimits {
            allow_private: true,
            ..limits
        };
        Arc::new(OriginPull::new(self.table.clone(), self.store.clone(), limits).unwrap())
    }
}

/// The content id of `bytes`, as the store computes it.
fn blake3_of(bytes: &[u8]) -> ContentHash {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bytes");
    std::fs::write(&file, bytes).unwrap();
    ContentStore::open(dir.path().join("s"))
        .unwrap()
        .import(&file)
        .unwrap()
}

/// Waits until the origin has seen a request for `path`.
async fn until_requested(origin: &Origin, path: &str) {
    tokio::time::timeout(GENEROUS, async {
        while origin.hits(path) == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the origin was asked");
}

/// While `slow` (published at the origin's `/hang/slow.bin`) hangs and holds its places, `refused` is
/// answered busy and `allowed`, which shares none of them, is pulled.
async fn busy_while_one_hangs(
    setup: &Setup,
    pull: &Arc<OriginPull>,
    slow: ContentHash,
    refused: ContentHash,
    allowed: ContentHash,
) {
    tokio::spawn({
        let pull = pull.clone();
        async move { pull.get(slow).await }
    });
    until_requested(&setup.origin, "/hang/slow.bin").await;
    let refused = pull.get(refused).await;
    assert!(busy(&refused), "{:?}", refused.err());
    let pulled = tokio::time::timeout(GENEROUS, pull.get(allowed))
        .await
        .unwrap();
    assert!(pulled.is_ok(), "{:?}", pulled.err());
}

#[tokio::test]
async fn a_slow_origin_holding_every_slot_does_not_make_other_pulls_remembered_failures() {
    let setup = Setup::new().await;
    let slow = setup.publish("slow.bin", 10_000, 1, "hang", setup.addr);
    let slower = setup.publish("slower.bin", 10_000, 1, "hang", setup.addr);
    let legit = setup.publish("legit.bin", 10_000, 2, "ok", setup.addr);
    let pull = setup.pull(OriginLimits {
        max_pulls: 1,
        deadline: Duration::from_secs(3),
        slot_wait: Duration::from_secs(1),
        ..Default::default()
    });
    let hog = tokio::spawn({
        let pull = pull.clone();
        async move { pull.get(slow).await.is_ok() }
    });
    until_requested(&setup.origin, "/hang/slow.bin").await;
    // The attacker keeps every slot busy, with a miss queued just ahead of the dApp's: this miss cannot be
    // pulled now...
    let (hogged, first) = tokio::join!(pull.get(slower), pull.get(legit));
    assert!(hogged.is_err());
    assert!(busy(&first), "{:?}", first.err());
    assert!(!hog.await.unwrap(), "the hanging origin's pull fails");
    // ...but that is no failure of its origin: once a slot is free, it is pulled.
    let retried = pull.get(legit).await;
    assert!(
        retried.is_ok(),
        "{:?}",
        retried.err().map(|e| e.to_string())
    );
}

#[tokio::test]
async fn a_client_leaving_mid_pull_leaks_no_lock_and_its_failure_is_remembered() {
    let setup = Setup::new().await;
    let failing = setup.publish("failing.bin", 1000, 1, "fail", setup.addr);
    let pull = setup.pull(OriginLimits::default());
    // The client leaves while the origin is still answering.
    let left = tokio::time::timeout(Duration::from_millis(300), pull.get(failing)).await;
    assert!(left.is_err(), "the origin answers after a second");
    // The pull runs on: it fails, and the failure is remembered, so the origin is not asked again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(pull.pulls_in_flight(), 0, "the pull's entry is gone");
    let again = pull.get(failing).await;
    let again = again.err().map(|e| e.to_string());
    assert_eq!(again, Some(PullError::RecentlyFailed.to_string()));
    assert_eq!(setup.origin.hits("/fail/failing.bin"), 1);
}

#[tokio::test]
async fn a_stale_partial_blob_does_not_block_the_origin_import() {
    let setup = Setup::new().await;
    let id = setup.publish("model.bin", 200_000, 1, "ok", setup.addr);
    // A prefetch that got no bytes (its provider lied or refused) left the blob partial.
    let partial = setup.store.create(id, 200_000, None).unwrap();
    assert!(!partial.is_complete());
    let pull = setup.pull(OriginLimits::default());
    let pulled = tokio::time::timeout(GENEROUS, pull.get(id)).await.unwrap();
    assert!(pulled.is_ok(), "{:?}", pulled.err().map(|e| e.to_string()));
    assert!(setup.store.get(&id).unwrap().is_complete());
}

/// Whether `pulled` failed because a place was taken.
fn busy(pulled: &super::Pulled) -> bool {
    matches!(pulled.as_ref().map_err(|e| &**e), Err(PullError::Busy(_)))
}

#[tokio::test]
async fn one_origin_host_takes_at_most_its_share_of_the_pull_slots() {
    let setup = Setup::new().await;
    let other_host = setup.origin.start(2).await;
    let slow = setup.publish("slow.bin", 1000, 1, "hang", setup.addr);
    let same_host = setup.publish("same.bin", 1000, 2, "ok", setup.addr);
    let elsewhere = setup.publish("elsewhere.bin", 1000, 3, "ok", other_host);
    let pull = setup.pull(OriginLimits {
        max_pulls_per_host: 1,
        ..Default::default()
    });
    busy_while_one_hangs(&setup, &pull, slow, same_host, elsewhere).await;
}

#[tokio::test]
async fn one_origin_server_takes_at_most_its_share_under_any_of_its_names() {
    // Second attacker review: the per-host cap was keyed by the URL's host name, so a wildcard DNS name
    // (a1.evil.example, a2.evil.example...) or a redirect gave one slow server a fresh share per name.
    let setup = Setup::new().await;
    let other_host = setup.origin.start(4).await;
    let slow = setup.publish("slow.bin", 1000, 1, "trickle", setup.addr);
    let alias = format!("localhost:{}", setup.addr.port());
    let same_server = setup.publish("alias.bin", 1000, 2, "ok", setup.addr);
    setup
        .table
        .0
        .lock()
        .unwrap()
        .get_mut(&same_server)
        .unwrap()
        .origin = Some(format!("http://{alias}/ok/alias.bin").into_bytes());
    let elsewhere = setup.publish("elsewhere.bin", 1000, 3, "ok", other_host);
    let pull = setup.pull(OriginLimits {
        max_pulls_per_host: 1,
        ..Default::default()
    });
    tokio::spawn({
        let pull = pull.clone();
        async move { pull.get(slow).await }
    });
    until_requested(&setup.origin, "/trickle/slow.bin").await;
    // The trickle's head is sent at once; give the puller a moment to read it and take the address's place.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refused = pull.get(same_server).await;
    assert!(busy(&refused), "{:?}", refused.err());
    let pulled = tokio::time::timeout(GENEROUS, pull.get(elsewhere))
        .await
        .unwrap();
    assert!(pulled.is_ok(), "{:?}", pulled.err());
}

#[tokio::test]
async fn one_dapp_takes_at_most_its_share_of_the_pull_slots() {
    let setup = Setup::new().await;
    let other_host = setup.origin.start(3).await;
    let slow = setup.publish("slow.bin", 1000, 1, "hang", setup.addr);
    let same_dapp = setup.publish("mine.bin", 1000, 1, "ok", other_host);
    let other_dapp = setup.publish("theirs.bin", 1000, 2, "ok", other_host);
    let pull = setup.pull(OriginLimits {
        max_pulls_per_dapp: 1,
        ..Default::default()
    });
    busy_while_one_hangs(&setup, &pull, slow, same_dapp, other_dapp).await;
}

#[tokio::test]
async fn an_origin_trickling_below_the_minimum_rate_is_dropped_before_its_deadline() {
    let setup = Setup::new().await;
    // A byte every 50 ms: 20 bytes/s, which never trips the read timeout.
    let trickling = setup.publish("trickle.bin", 100_000, 1, "trickle", setup.addr);
    let pull = setup.pull(OriginLimits {
        min_rate: 1000,
        rate_grace: Duration::from_secs(1),
        deadline: Duration::from_secs(3600),
        ..Default::default()
    });
    let pulled = tokio::time::timeout(GENEROUS, pull.get(trickling))
        .await
        .expect("dropped long before the deadline");
    assert!(
        matches!(
            pulled.as_ref().map_err(|e| &**e),
            Err(PullError::TooSlow { .. })
        ),
        "{:?}",
        pulled.err()
    );
    // A slow origin is an origin failure: remembered.
    let again = pull.get(trickling).await;
    assert!(matches!(
        again.as_ref().map_err(|e| &**e),
        Err(PullError::RecentlyFailed)
    ));
}
