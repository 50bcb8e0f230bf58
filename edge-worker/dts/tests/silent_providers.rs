//! Providers that never answer (attacker review L): a download asked its candidates for `HAVE` one after the
//! other, each with the full answer timeout, so two silent peers named by a routing hint used up the whole
//! search for providers and the download failed though an honest provider was connected; providers joining
//! later were asked the same way, so the end of a download waited for them. Candidates are now asked at once,
//! each within its own deadline.

mod common;

use std::time::Duration;

use common::{content, within, Node};
use enreach_dts::{protocol::PROTOCOL, serve::ServeOptions};
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
