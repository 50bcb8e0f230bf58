//! Providers that never answer (attacker review L): a download asked its candidates for `HAVE` one after the
//! other, each with the full answer timeout, so two silent peers named by a routing hint used up the whole
//! search for providers and the download failed though an honest provider was connected; providers joining
//! later were asked the same way, so the end of a download waited for them. Candidates are now asked at once,
//! each within its own deadline. And providers that leave mid-download: the download looks for others.

mod common;

use std::time::Duration;

use common::{content, within, Node};
use std::sync::Arc;

use enreach_dts::{
    bitfield::Bitfield,
    protocol::{self, HaveAnswer, Request, PROTOCOL},
    serve::{RateLimiter, ServeOptions},
    store::group_count,
};
use futures::StreamExt;

/// Makes `node` a peer that takes every PeerDTS substream and never answers on it.
fn stay_silent(node: &Node) {
    let mut incoming = node.network.control().accept(PROTOCOL).unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some((_, stream)) = incoming.next().await {
            held.push(stream);
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_routed_providers_do_not_stall_the_search_for_an_honest_one() {
    let bytes = content(300_000, 5);
    let honest = Node::start().await;
    let id = honest.publish(&bytes);
    honest.serve(ServeOptions::default());
    let client = Node::start().await;
    let mut silent = Vec::new();
    for _ in 0..2 {
        let peer = Node::start().await;
        stay_silent(&peer);
        client.connect(&peer).await;
        silent.push(peer);
    }
    // The honest provider is connected, not routed: found once the routed ones had their time.
    client.connect(&honest).await;
    let routed = silent.iter().map(Node::id).collect();
    // Found after ROUTED_PATIENCE (5 s) and a discovery round (Kademlia, at most 10 s): asked one after the
    // other, each silent peer cost the answer timeout (10 s) in the search and again before the end.
    within(Duration::from_secs(18), client.fetch(id, routed))
        .await
        .expect("the honest provider is found and used");
    assert_eq!(client.complete_bytes(&id).as_deref(), Some(&bytes[..]));
}

/// A routed download of `bytes` from a provider sending `rate` bytes per second, which leaves after `stay`
/// while another provider of the same content is connected: it must finish from that one within `limit`.
async fn finishes_after_its_provider_leaves(
    bytes: Vec<u8>,
    rate: u64,
    stay: Duration,
    limit: Duration,
) {
    let leaving = Node::start().await;
    let id = leaving.publish(&bytes);
    leaving.serve(ServeOptions {
        rate_limit: Some(Arc::new(RateLimiter::new(rate))),
        ..Default::default()
    });
    let other = Node::start().await;
    assert_eq!(other.publish(&bytes), id);
    other.serve(ServeOptions::default());
    let client = Node::start().await;
    client.connect(&leaving).await;
    client.connect(&other).await;
    let download = client.fetch(id, vec![leaving.id()]);
    let leave = async {
        tokio::time::sleep(stay).await;
        drop(leaving);
    };
    let (report, ()) = within(limit, futures::future::join(download, leave)).await;
    let report = report.expect("the connected provider finishes the download");
    assert_eq!(client.complete_bytes(&id).as_deref(), Some(&bytes[..]));
    assert!(
        report.bytes_by_peer.contains_key(&other.id().to_string()),
        "{report:?}"
    );
}

/// A routed download whose only provider leaves halfway (a node restarting, an edge whose operator stops it)
/// used to end `Incomplete` though another provider was connected: while downloading it looked only at the
/// routed peers again, and ended as soon as its providers' workers did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_whose_provider_leaves_finishes_from_another() {
    let (stay, limit) = (Duration::from_millis(1500), Duration::from_secs(40));
    finishes_after_its_provider_leaves(content(8 << 20, 6), 1 << 20, stay, limit).await;
}

/// A provider that leaves while one of its workers waits for something to ask (its other worker holds the
/// only batch): the waiting worker kept asking the gone provider what it held, each failure ignored, so the
/// download never saw its provider gone and never took the connected one in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_leaves_while_a_worker_waits_is_given_up() {
    // Two groups at 8 KiB/s: the size proof brings the last (about 2 s), then one worker fetches the first
    // (about 2 s more) while the other has nothing to ask.
    let (stay, limit) = (Duration::from_secs(3), Duration::from_secs(30));
    finishes_after_its_provider_leaves(content(32 << 10, 8), 8 << 10, stay, limit).await;
}

/// Attacker review: once its routed providers had ROUTED_PATIENCE, a routed download took in every connected
/// peer and provider record even while its routed provider was working, so whoever sits near the content in
/// the DHT joined it (and could stall batches without ever being banned). Strangers now join only a download
/// whose providers are all gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routed_download_with_a_working_provider_takes_no_strangers() {
    let bytes = content(8 << 20, 7);
    let routed = Node::start().await;
    let id = routed.publish(&bytes);
    // About 8 s at 1 MiB/s: well past ROUTED_PATIENCE.
    routed.serve(ServeOptions {
        rate_limit: Some(Arc::new(RateLimiter::new(1 << 20))),
        ..Default::default()
    });
    let stranger = Node::start().await;
    assert_eq!(stranger.publish(&bytes), id);
    stranger.serve(ServeOptions::default());
    let client = Node::start().await;
    client.connect(&routed).await;
    client.connect(&stranger).await;
    let report = within(Duration::from_secs(40), client.fetch(id, vec![routed.id()]))
        .await
        .expect("the routed provider serves it all");
    assert_eq!(client.complete_bytes(&id).as_deref(), Some(&bytes[..]));
    assert!(
        !report
            .bytes_by_peer
            .contains_key(&stranger.id().to_string()),
        "{report:?}"
    );
}

/// Attacker review: a peer that claims every group but the last (a partial provider, so seeds leave those groups
/// to it) and takes `GET`s without ever answering held both of its workers for good, and the seed never sent
/// what it claimed: the download stalled. A `GET`'s status now comes within the answer timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_claims_groups_and_never_sends_them_is_given_up() {
    let bytes = content(1 << 20, 11);
    let seed = Node::start().await;
    let id = seed.publish(&bytes);
    seed.serve(ServeOptions::default());
    let claimer = Node::start().await;
    let groups = group_count(bytes.len() as u64);
    let mut incoming = claimer.network.control().accept(PROTOCOL).unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Some((_, mut stream)) = incoming.next().await {
            if let Ok(Request::Have(_)) = Request::read(&mut stream).await {
                let mut present = Bitfield::new(groups);
                (0..groups - 1).for_each(|g| present.set(g));
                let answer = HaveAnswer {
                    size: 1 << 20,
                    name: None,
                    present,
                    terms: None,
                };
                let _ = protocol::write_have(&mut stream, Some(&answer)).await;
            }
            held.push(stream);
        }
    });
    let client = Node::start().await;
    client.connect(&seed).await;
    client.connect(&claimer).await;
    let report = within(
        Duration::from_secs(60),
        client.fetch(id, vec![claimer.id(), seed.id()]),
    )
    .await
    .expect("the seed sends what the claimer never did");
    assert_eq!(client.complete_bytes(&id).as_deref(), Some(&bytes[..]));
    assert!(!report.bytes_by_peer.contains_key(&claimer.id().to_string()));
}
