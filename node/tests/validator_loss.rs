//! Four validators on `--chain local`: one is SIGKILLed, the other three keep finalizing (GRANDPA needs
//! more than 2/3 of the votes: 3 of 4), and the killed one restarts from its own database with every block it
//! had finalized still there, then catches up.

mod common;

use std::time::Duration;

use common::{node_config, wait_for, Node, TempDir, STARTUP};

const PROGRESS: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread")]
async fn finality_survives_a_killed_validator_which_then_catches_up() {
    let dir = TempDir::new("local");
    let mut alice = Node::start(node_config("local", Some("alice"), &dir.0.join("alice")));
    alice.wait_rpc(STARTUP).await;
    let bootnode = alice.multiaddr().await;

    let mut others: Vec<Node> = ["bob", "charlie", "dave"]
        .into_iter()
        .map(|name| {
            let mut config = node_config("local", Some(name), &dir.0.join(name));
            config.bootnodes = vec![bootnode.clone()];
            Node::start(config)
        })
        .collect();
    for node in &mut others {
        node.wait_rpc(STARTUP).await;
    }

    // All four finalize together first.
    wait_for("finality with four validators", PROGRESS, || async {
        (alice.finalized_number().await >= 3).then_some(())
    })
    .await;

    let mut dave = others.pop().expect("dave");
    let dave_finalized = wait_for("dave to finalize too", PROGRESS, || async {
        let n = dave.finalized_number().await;
        (n >= 2).then_some(n)
    })
    .await;
    let dave_finalized_hash = dave
        .block_hash(dave_finalized)
        .await
        .expect("dave has his finalized block");

    dave.kill();
    assert!(!dave.is_running(), "dave is down");

    // Three of four validators are a supermajority: finality must keep advancing.
    let finalized_at_kill = alice.finalized_number().await;
    wait_for("finality to advance without dave", PROGRESS, || async {
        (alice.finalized_number().await >= finalized_at_kill + 3).then_some(())
    })
    .await;

    dave.restart();
    dave.wait_rpc(STARTUP).await;
    // Straight after restart, before any sync, his own database still has what he had finalized.
    assert_eq!(
        dave.block_hash(dave_finalized).await,
        Some(dave_finalized_hash),
        "dave's finalized block survived SIGKILL in his database"
    );
    assert!(
        dave.finalized_number().await >= dave_finalized,
        "dave's finalized height did not go backwards"
    );

    // He catches up with the others and agrees with them.
    let target = alice.finalized_number().await;
    wait_for("dave to catch up with finality", PROGRESS, || async {
        (dave.finalized_number().await >= target).then_some(())
    })
    .await;
    assert_eq!(
        dave.block_hash(target).await,
        alice.block_hash(target).await,
        "dave and alice agree on block {target}"
    );
    for node in &mut others {
        assert!(
            node.is_running(),
            "{:?} kept running",
            node.config().validator
        );
    }
}
