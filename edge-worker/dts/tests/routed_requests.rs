//! Routers' requests (`STATUS`, `PREFETCH`) from peers that are not routers (attacker review H3, M6, L): a
//! `PREFETCH` from any peer made an edge fetch content and hold a partial blob of it, filling its disk, and a
//! `STATUS` (the node's whole inventory, at a cost in the store's size) was answered to anyone as often as
//! asked. Each attacker here is a real peer speaking the protocol with the crate's own types.

mod common;

use std::{
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use common::{within, Node};
use enreach_dts::{
    limits::{STATUS_BURST_PER_PEER, STATUS_PER_SECOND_PER_PEER},
    protocol::{self, NodeStatus, PrefetchAnswer, Request},
    serve::{RoutedNode, ServeOptions},
    store::ContentHash,
};
use futures::{future::BoxFuture, FutureExt};
use libp2p::PeerId;

/// A node that takes `PREFETCH` from one router only, and counts what it was asked.
#[derive(Debug)]
struct Counting {
    router: PeerId,
    prefetches: AtomicU32,
    statuses: AtomicU32,
}

impl RoutedNode for Counting {
    fn status(&self) -> BoxFuture<'_, NodeStatus> {
        self.statuses.fetch_add(1, Ordering::Relaxed);
        async { NodeStatus::default() }.boxed()
    }

    fn prefetch(self: Arc<Self>, _id: ContentHash) -> BoxFuture<'static, PrefetchAnswer> {
        self.prefetches.fetch_add(1, Ordering::Relaxed);
        async { PrefetchAnswer::Started }.boxed()
    }

    fn accepts_prefetch_from(&self, peer: &PeerId) -> bool {
        *peer == self.router
    }
}

/// An edge whose routed side is [`Counting`] with `router` as its router.
async fn edge(router: &Node) -> (Node, Arc<Counting>) {
    let edge = Node::start().await;
    let routed = Arc::new(Counting {
        router: router.id(),
        prefetches: AtomicU32::new(0),
        statuses: AtomicU32::new(0),
    });
    edge.serve(ServeOptions {
        routed: Some(routed.clone()),
        ..Default::default()
    });
    router.connect(&edge).await;
    (edge, routed)
}

async fn prefetch(from: &Node, to: &Node) -> PrefetchAnswer {
    let id = blake3::hash(b"content the attacker wants the edge to fetch");
    let control = from.network.control();
    let ask = protocol::ask(&control, to.id(), Request::Prefetch(id), |s| {
        protocol::read_prefetch_answer(s).boxed()
    });
    within(Duration::from_secs(20), ask).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefetch_is_taken_from_the_nodes_routers_only() {
    let router = Node::start().await;
    let (edge, routed) = edge(&router).await;
    let attacker = Node::start().await;
    attacker.connect(&edge).await;
    assert_eq!(
        prefetch(&attacker, &edge).await,
        PrefetchAnswer::NotAuthorized
    );
    assert_eq!(
        routed.prefetches.load(Ordering::Relaxed),
        0,
        "the node was asked to fetch"
    );
    assert_eq!(prefetch(&router, &edge).await, PrefetchAnswer::Started);
    assert_eq!(routed.prefetches.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_answered_to_a_peer_at_a_bounded_rate() {
    let router = Node::start().await;
    let (edge, routed) = edge(&router).await;
    let attacker = Node::start().await;
    attacker.connect(&edge).await;
    let began = Instant::now();
    let mut answered = 0u32;
    let control = attacker.network.control();
    for _ in 0..40 {
        let ask = protocol::ask(&control, edge.id(), Request::Status, |s| {
            protocol::read_status(s).boxed()
        });
        if within(Duration::from_secs(20), ask).await.is_ok() {
            answered += 1;
        }
    }
    let allowed = STATUS_BURST_PER_PEER
        + (began.elapsed().as_secs_f64() * STATUS_PER_SECOND_PER_PEER as f64).ceil() as u32;
    assert!(answered >= 1, "the first STATUS is answered");
    assert!(
        routed.statuses.load(Ordering::Relaxed) <= allowed,
        "{} of 40 STATUS answered, {allowed} allowed",
        routed.statuses.load(Ordering::Relaxed)
    );
    // Another peer (the router) is answered all the same.
    let control = router.network.control();
    let ask = protocol::ask(&control, edge.id(), Request::Status, |s| {
        protocol::read_status(s).boxed()
    });
    within(Duration::from_secs(20), ask)
        .await
        .expect("the router's STATUS is answered");
}
