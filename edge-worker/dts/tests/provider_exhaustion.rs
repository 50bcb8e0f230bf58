//! Provider exhaustion (issue 2.3): requesters that cost a provider without end. Before the limits, a provider
//! served every substream in a task of its own with no deadline, so a peer that opened many substreams and sent
//! nothing, sent its request a byte at a time, or sent a `GET` and never read (pinning a blocking encoder
//! thread each: about 512 exhaust tokio's pool) held its resources for good. Each attacker here is a real peer
//! speaking the protocol with the crate's own types; an honest download from the same provider runs meanwhile
//! and must complete. Peer ids are free, so attackers also come as several peers at once (Sybils).

// Single ranges are what the API takes: slices of group ranges.
#![allow(clippy::single_range_in_vec_init)]

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{content, within, Node};
use enreach_dts::{
    limits::ServeLimits,
    protocol::{self, GetStatus, Request, MAX_RANGES, PROTOCOL},
    serve::ServeOptions,
    store::{group_count, verify_encoding, ContentHash},
};
use futures::{AsyncReadExt, AsyncWriteExt};
use libp2p::Stream;

/// Short limits, so the test sees them act in seconds.
const LIMITS: ServeLimits = ServeLimits {
    streams_per_peer: 8,
    streams: 32,
    request_timeout: Duration::from_secs(1),
    write_idle_timeout: Duration::from_secs(1),
    answer_deadline: Duration::from_secs(5),
};

/// How long past a limit the test waits for it to act.
const SLACK: Duration = Duration::from_secs(5);

/// How long a whole transfer may take before the test calls it hung.
const TRANSFER_GUARD: Duration = Duration::from_secs(60);

/// A provider serving 8 MiB (more than a substream's flow-control window and the encoder's buffers hold) with
/// [`LIMITS`], and an attacker connected to it.
async fn provider_and_attacker() -> (Node, ContentHash, Vec<u8>, Node) {
    let provider = Node::start().await;
    let bytes = content(8 << 20, 7);
    let id = provider.publish(&bytes);
    provider.serve(ServeOptions {
        limits: LIMITS,
        ..Default::default()
    });
    let attacker = Node::start().await;
    attacker.connect(&provider).await;
    (provider, id, bytes, attacker)
}

/// An honest download of `id` from `provider` completes with the right bytes.
async fn honest_download(provider: &Node, id: ContentHash, bytes: &[u8]) {
    let honest = Node::start().await;
    honest.connect(provider).await;
    let report = within(
        Duration::from_secs(60),
        honest.fetch(id, vec![provider.id()]),
    )
    .await
    .expect("the honest download completes");
    assert_eq!(report.size, bytes.len() as u64);
    assert_eq!(honest.complete_bytes(&id).as_deref(), Some(bytes));
}

async fn open(attacker: &Node, provider: &Node) -> Stream {
    attacker
        .network
        .control()
        .open_stream(provider.id(), PROTOCOL)
        .await
        .unwrap()
}

/// Waits until `stream` is closed or reset by the provider.
async fn cut_off(mut stream: Stream) {
    let mut buf = [0u8; 1024];
    while let Ok(1..) = stream.read(&mut buf).await {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_silent_substreams_is_cut_off() {
    let (provider, id, bytes, attacker) = provider_and_attacker().await;
    let flood = futures::future::join_all((0..64).map(|_| async {
        cut_off(open(&attacker, &provider).await).await;
    }));
    // Past the attacker's slots substreams are refused at once; those admitted wait for a request in vain.
    let (_, ()) = tokio::join!(
        within(LIMITS.request_timeout + SLACK, flood),
        honest_download(&provider, id, &bytes)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sent_a_byte_at_a_time_is_cut_off() {
    let (provider, id, bytes, attacker) = provider_and_attacker().await;
    let drip = async {
        let mut stream = open(&attacker, &provider).await;
        let mut request = Vec::new();
        Request::Get(id, vec![0..1; MAX_RANGES])
            .write(&mut request)
            .await
            .unwrap();
        for byte in request {
            if stream.write_all(&[byte]).await.is_err() || stream.flush().await.is_err() {
                return;
            }
            let mut answer = [0u8; 1];
            if let Ok(_closed) =
                tokio::time::timeout(Duration::from_millis(200), stream.read(&mut answer)).await
            {
                return;
            }
        }
        panic!("the whole request went through, a byte every 200 ms");
    };
    let (_, ()) = tokio::join!(
        within(LIMITS.request_timeout + SLACK, drip),
        honest_download(&provider, id, &bytes)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requester_that_never_reads_is_cut_off_and_releases_its_resources() {
    let (provider, id, bytes, attacker) = provider_and_attacker().await;
    let groups = group_count(bytes.len() as u64);
    let mut stalled = Vec::new();
    // As many unread transfers as the attacker gets slots for (one whose substream was reset is asked again).
    for _ in 0..LIMITS.streams_per_peer * 2 {
        let mut stream = open(&attacker, &provider).await;
        if Request::Get(id, vec![0..groups])
            .write(&mut stream)
            .await
            .is_ok()
        {
            stalled.push(stream);
        }
        if stalled.len() == LIMITS.streams_per_peer {
            break;
        }
    }
    within(SLACK, async {
        while provider.metrics.active_transfers() == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    honest_download(&provider, id, &bytes).await;
    // The attacker still holds its substreams open and unread: the provider's transfers (each a blocking
    // encoder thread and its buffers) end anyway.
    within(LIMITS.write_idle_timeout + SLACK, async {
        while provider.metrics.active_transfers() > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    drop(stalled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_range_list_costs_one_pass_over_the_blob() {
    let (provider, id, bytes, attacker) = provider_and_attacker().await;
    let size = bytes.len() as u64;
    let groups = group_count(size);
    // Every range past the blob: refused.
    let mut stream = open(&attacker, &provider).await;
    Request::Get(id, vec![0..u64::MAX; MAX_RANGES])
        .write(&mut stream)
        .await
        .unwrap();
    let status = within(SLACK, protocol::read_get_status(&mut stream)).await;
    assert_eq!(status.unwrap(), GetStatus::Missing);
    // The whole blob, a thousand times over: served once.
    let mut stream = open(&attacker, &provider).await;
    Request::Get(id, vec![0..groups; MAX_RANGES])
        .write(&mut stream)
        .await
        .unwrap();
    // A guard against a hang only: 8 MiB through an unoptimized build beside the rest of the test suite can
    // take longer than a limit's slack.
    let encoding = within(TRANSFER_GUARD, async {
        assert_eq!(
            protocol::read_get_status(&mut stream).await.unwrap(),
            GetStatus::Ok
        );
        let mut encoding = Vec::new();
        stream.read_to_end(&mut encoding).await.unwrap();
        encoding
    })
    .await;
    assert!(encoding.len() < bytes.len() * 11 / 10, "{}", encoding.len());
    verify_encoding(id, size, &[0..groups], &encoding[..]).unwrap();
    honest_download(&provider, id, &bytes).await;
}

/// Attacker review H1: the per-peer cap alone let `streams / streams_per_peer` Sybil peer ids hold every slot
/// of the provider with silent substreams, re-opened the moment one was cut off, so an honest download was
/// refused until it gave up.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sybil_peers_holding_silent_substreams_do_not_starve_an_honest_download() {
    let (provider, id, bytes, first) = provider_and_attacker().await;
    let mut sybils = vec![first];
    while sybils.len() < LIMITS.streams / LIMITS.streams_per_peer {
        let sybil = Node::start().await;
        sybil.connect(&provider).await;
        sybils.push(sybil);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for sybil in &sybils {
        // Twice its slots, so every slot it loses is taken again at once.
        for _ in 0..LIMITS.streams_per_peer * 2 {
            let (control, peer, stop) = (sybil.network.control(), provider.id(), stop.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match control.clone().open_stream(peer, PROTOCOL).await {
                        Ok(stream) => cut_off(stream).await,
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
            }));
        }
    }
    // The Sybils hold every slot before the honest peer comes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    honest_download(&provider, id, &bytes).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
}

/// Second attacker review: a slot is evicted only while its request is awaited; once answering, it is kept
/// until the answer is done, and a `GET` answer has no deadline and no minimum rate, only
/// [`ServeLimits::write_idle_timeout`] between writes. So Sybil peers that each ask for a whole blob and read
/// it in bursts just often enough never to idle hold every slot for as long as the blob takes at their pace
/// (a 16 MiB batch at the gateway's 4 KiB/s minimum is an hour), and take each freed slot again at once; an
/// honest peer cannot even ask `HAVE`. A paid edge bounds the bytes per host, not the time: a host's
/// UNRECEIPTED_LIMIT is several such batches, and hosts are IPv6 /64s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sybil_peers_reading_slowly_do_not_hold_every_slot_for_ever() {
    let (provider, id, bytes, first) = provider_and_attacker().await;
    let groups = group_count(bytes.len() as u64);
    let mut sybils = vec![first];
    while sybils.len() < LIMITS.streams / LIMITS.streams_per_peer {
        let sybil = Node::start().await;
        sybil.connect(&provider).await;
        sybils.push(sybil);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for sybil in &sybils {
        // Twice its slots, so every slot freed is taken again at once.
        for _ in 0..LIMITS.streams_per_peer * 2 {
            let (control, peer, stop) = (sybil.network.control(), provider.id(), stop.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut stream) = control.clone().open_stream(peer, PROTOCOL).await else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    };
                    if Request::Get(id, vec![0..groups])
                        .write(&mut stream)
                        .await
                        .is_err()
                    {
                        continue;
                    }
                    // A burst past half the flow-control window (so the provider may write on), then a pause
                    // shorter than the write idle timeout: about 250 KiB/s, 30 s for the 8 MiB blob.
                    let mut buf = vec![0u8; 64 << 10];
                    'transfer: loop {
                        let mut burst = 0;
                        while burst < 192 << 10 {
                            match stream.read(&mut buf).await {
                                Ok(0) | Err(_) => break 'transfer,
                                Ok(n) => burst += n,
                            }
                        }
                        tokio::time::sleep(LIMITS.write_idle_timeout * 6 / 10).await;
                    }
                }
            }));
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let honest = Node::start().await;
    honest.connect(&provider).await;
    let fetched = tokio::time::timeout(
        Duration::from_secs(30),
        honest.fetch(id, vec![provider.id()]),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.abort();
    }
    assert!(
        matches!(fetched, Ok(Ok(_))),
        "an honest download of 8 MiB from a provider whose every slot slow readers hold: {:?}",
        fetched.map(|r| r.map(|r| r.size))
    );
}
