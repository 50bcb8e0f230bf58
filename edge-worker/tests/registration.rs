//! Keys and registration against a real dev chain: `key generate | inspect` keep two private keys apart;
//! `run --role edge` registers the node with a proof of possession of its node key, does nothing when started
//! again unchanged, updates the entry when the offer changes, and refuses a node key another operator holds. A
//! registry follower (what the router keeps) sees each change from the blocks' events after one full read.

mod common;

use std::{os::unix::fs::PermissionsExt, time::Duration};

use common::{chain::DevChain, cli, loopback, Worker};
use enreach_edge_chain::{registry::Registry, Chain};
use enreach_primitives::NodeId;
use serde_json::Value;

fn key(data_dir: &std::path::Path, action: &str) -> Value {
    cli(data_dir, &["key", action])
}

#[test]
fn keys_are_private_and_stable_and_edges_register_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("edge");

    // Two keys, each readable by its owner only; generating again keeps them.
    let generated = key(&data, "generate");
    for file in ["node_key", "operator_key"] {
        let mode = std::fs::metadata(data.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    assert_eq!(key(&data, "generate"), generated);
    assert_eq!(key(&data, "inspect"), generated);
    assert_ne!(generated["node_id"], Value::Null);
    assert!(generated["peer_id"].as_str().unwrap().starts_with("12D3"));

    // The edge's operator is a funded dev account.
    let chain = DevChain::start();
    let bob = dir.path().join("bob_key");
    std::fs::write(&bob, "//Bob\n").unwrap();
    let listen = loopback();
    let edge = |operator: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--listen",
            &listen,
            "--role",
            "edge",
            "--chain",
            &chain.url,
            "--operator-key",
            operator.to_str().unwrap(),
            "--continent",
            "europe",
            "--country",
            "FR",
        ];
        args.extend_from_slice(extra);
        Worker::spawn(&data, &args)
    };
    let outcome = |worker: &mut Worker| {
        worker.event("registered", Duration::from_secs(120))["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // A follower that read the registry before the node registered.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let follower = runtime.block_on(Chain::connect(&chain.url)).unwrap();
    let mut registry = Registry::default();
    let mut sync = || runtime.block_on(registry.sync(&follower)).unwrap();
    assert!(sync().full);

    let mut worker = edge(&bob, &[]);
    let registered = worker.event("registered", Duration::from_secs(120));
    assert_eq!(registered["outcome"], "registered");
    assert_eq!(registered["node"], generated["node_id"]);
    let node = NodeId(
        hex::decode(generated["node_id"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap(),
    );
    let on_chain = || {
        runtime.block_on(async {
            let chain = Chain::connect(&chain.url).await.unwrap();
            chain.node(node).await.unwrap().expect("registered")
        })
    };
    let entry = on_chain();
    assert_eq!(
        entry.operator,
        subxt_signer::sr25519::dev::bob().public_key().0
    );
    assert_eq!(entry.capabilities.region.country, *b"FR");
    assert_eq!(entry.capabilities.bandwidth_up_mbps, 100);
    let peer = generated["peer_id"].as_str().unwrap();
    assert_eq!(
        entry.endpoints,
        vec![format!("{listen}/p2p/{peer}").into_bytes()]
    );
    worker.kill();

    // Started again as it was: nothing to do.
    let mut worker = edge(&bob, &[]);
    assert_eq!(outcome(&mut worker), "unchanged");
    worker.kill();

    // Offering more: the entry follows.
    let mut worker = edge(&bob, &["--bandwidth-up-mbps", "700"]);
    assert_eq!(outcome(&mut worker), "updated");
    worker.kill();
    assert_eq!(on_chain().capabilities.bandwidth_up_mbps, 700);
    // The follower learnt the registration and the update from the events of the blocks since its last
    // read, reading again only the entry they name.
    let synced = sync();
    assert!(!synced.full, "{synced:?}");
    assert_eq!(synced.changed, 1, "{synced:?}");
    assert_eq!(registry.nodes()[&node].capabilities.bandwidth_up_mbps, 700);

    // Another account cannot take over this node key.
    let charlie = dir.path().join("charlie_key");
    std::fs::write(&charlie, "//Charlie\n").unwrap();
    let mut worker = edge(&charlie, &["--bandwidth-up-mbps", "700"]);
    assert!(!worker.wait(Duration::from_secs(60)).success());
    assert_eq!(
        on_chain().operator,
        subxt_signer::sr25519::dev::bob().public_key().0
    );
}
