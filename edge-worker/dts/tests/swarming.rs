//! Nodes pulling the same content at once serve each other what they verified (AiDN's swarming): a node that
//! starts after another is taken in by it as soon as it holds groups, though it knew nothing of the content
//! when first asked.

mod common;

use std::{sync::Arc, time::Duration};

use common::{content, within, Node};
use enreach_dts::{
    limits,
    serve::{RateLimiter, ServeOptions},
    transfer::have,
};

/// A downloader asked its connected peers once; one that did not know the content yet (it had not started on
/// it) was never asked again, so nodes starting together each found only those that began before them and
/// took the rest from the seed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_starts_on_the_same_content_later_serves_the_first() {
    let bytes = content(8 << 20, 9);
    let seed = Node::start().await;
    let id = seed.publish(&bytes);
    // About 8 s for one downloader alone: the second starts well within it.
    seed.serve(ServeOptions {
        rate_limit: Some(Arc::new(RateLimiter::new(1 << 20))),
        ..Default::default()
    });
    let (first, second) = (Node::start().await, Node::start().await);
    first.serve(ServeOptions::default());
    second.serve(ServeOptions::default());
    first.connect(&seed).await;
    second.connect(&seed).await;
    first.connect(&second).await;
    let later = async {
        tokio::time::sleep(Duration::from_secs(3)).await;
        second.discover(id).await
    };
    let (from_first, from_second) = within(
        Duration::from_secs(60),
        futures::future::join(first.discover(id), later),
    )
    .await;
    let (report, _) = (from_first.unwrap(), from_second.unwrap());
    assert_eq!(first.complete_bytes(&id).as_deref(), Some(&bytes[..]));
    assert_eq!(second.complete_bytes(&id).as_deref(), Some(&bytes[..]));
    assert!(
        report
            .bytes_by_peer
            .get(&second.id().to_string())
            .is_some_and(|b| *b > 0),
        "the first took nothing from the second: {report:?}"
    );
}

/// libp2p-stream hands a provider its inbound substreams through a queue of one and drops any that finds it
/// full: taken by a task on a busy runtime, requests that came at once were lost (eight nodes pulling one model
/// from each other on two cores lost about 1 000 each in 45 s, and gave their providers up as gone). Here a
/// downloader asks as many questions at once as a provider serves it, while the provider's runtime is busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn questions_that_come_at_once_are_all_answered() {
    let bytes = content(64 << 10, 10);
    let provider = Node::start().await;
    let id = provider.publish(&bytes);
    provider.serve(ServeOptions::default());
    let client = Node::start().await;
    client.connect(&provider).await;
    let control = client.network.control();
    for round in 0..100 {
        // Tasks that hold the runtime's workers for a moment, as encoders and verifiers do on a loaded node.
        let busy: Vec<_> = (0..4)
            .map(|_| {
                tokio::spawn(async {
                    std::thread::sleep(Duration::from_millis(2));
                })
            })
            .collect();
        // Half of what the provider serves one peer at once: the slots of the round before may still be
        // closing.
        let asked =
            (0..limits::MAX_STREAMS_PER_PEER / 2).map(|_| have(&control, provider.id(), id));
        let answers = within(Duration::from_secs(30), futures::future::join_all(asked)).await;
        let lost = answers.iter().filter(|a| !matches!(a, Ok(Some(_)))).count();
        assert_eq!(
            lost,
            0,
            "round {round}: {lost} of {} questions lost: {answers:?}",
            answers.len()
        );
        for task in busy {
            task.await.unwrap();
        }
    }
}
