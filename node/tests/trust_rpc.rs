//! The trust layer on the real node: an operator registers an edge node with a proof of possession signed by
//! the node key, and dApps and operators read it back through the `edgeNodes_*` and `gpow_*` JSON-RPC methods.

mod common;

use codec::Encode;
use common::{dev_node, wait_for, TempDir, BLOCKS};
use enreach_node::transaction::sign;
use enreach_primitives::{Capabilities, Continent, NatType, NodeId, Region, SoftwareVersion};
use enreach_runtime::RuntimeCall;
use jsonrpsee::rpc_params;
use serde_json::Value;
use sp_core::{ed25519, Pair};
use sp_keyring::Sr25519Keyring;

#[tokio::test(flavor = "multi_thread")]
async fn operators_register_nodes_and_dapps_read_them_over_rpc() {
    let dir = TempDir::new("trust");
    let mut node = dev_node(&dir).await;

    let epoch: Value = node
        .call("gpow_currentEpoch", rpc_params![])
        .await
        .expect("current epoch");
    assert!(
        epoch["index"].is_u64() && epoch["start"].is_u64(),
        "GPoW runs on the dev chain: {epoch}"
    );

    // The operator (Alice) registers an edge node whose key proves it belongs to her on this chain.
    let alice = Sr25519Keyring::Alice;
    let node_key = ed25519::Pair::from_seed(&[42; 32]);
    let node_id = NodeId(node_key.public().0);
    let genesis = node.genesis_hash().await;
    let proof = node_key
        .sign(&pallet_edge_nodes::pop_payload(
            &alice.to_account_id(),
            &genesis,
        ))
        .0;
    let capabilities = Capabilities {
        bandwidth_up_mbps: 500,
        bandwidth_down_mbps: 1000,
        storage_gib: 1000,
        cpu_cores: 4,
        memory_mib: 8192,
        gpu: None,
        region: Region {
            continent: Continent::Asia,
            country: *b"JP",
        },
        nat: NatType::Cone,
        hvm: None,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    };
    let endpoint = b"/ip4/198.51.100.4/tcp/4001".to_vec();
    let call = RuntimeCall::EdgeNodes(pallet_edge_nodes::Call::register {
        node: node_id,
        proof,
        capabilities: capabilities.clone(),
        endpoints: vec![endpoint.try_into().unwrap()].try_into().unwrap(),
    });
    let (_, nonce) = node.account(&alice.to_account_id()).await;
    let ctx = node.signing_context(node.best_number().await).await;
    node.submit(&sign(&alice.pair(), call, nonce, ctx))
        .await
        .expect("registration accepted by the pool");

    let node_hex = format!("0x{}", hex::encode(node_id.0));
    let info: Value = wait_for("the node to be registered", BLOCKS, || async {
        let info: Value = node
            .call("edgeNodes_nodeInfo", rpc_params![node_hex.clone()])
            .await
            .expect("node info");
        (!info.is_null()).then_some(info)
    })
    .await;
    assert_eq!(info["operator"], alice.to_account_id().to_string());
    assert_eq!(info["status"], "active");
    assert_eq!(info["endpoints"][0], "/ip4/198.51.100.4/tcp/4001");
    assert_eq!(
        info["capabilities"]["storageGib"]
            .as_u64()
            .or(info["capabilities"]["storage_gib"].as_u64()),
        Some(1000)
    );

    let nodes: Vec<String> = node
        .call(
            "edgeNodes_nodesOf",
            rpc_params![alice.to_account_id().to_string()],
        )
        .await
        .expect("nodes of");
    assert_eq!(nodes, vec![node_hex.clone()]);

    // Nothing reported yet: no challenge, no score.
    let challenge: Value = node
        .call("gpow_openChallenge", rpc_params![node_hex.clone()])
        .await
        .unwrap();
    assert!(challenge.is_null());
    let index = epoch["index"].as_u64().unwrap() as u32;
    let score: u64 = node
        .call("gpow_workScore", rpc_params![index, node_hex.clone()])
        .await
        .unwrap();
    assert_eq!(score, 0);
    let keepers: Vec<String> = node
        .call("gpow_keepers", rpc_params![index, node_hex])
        .await
        .unwrap();
    assert!(keepers.len() <= 3, "at most K keepers: {keepers:?}");

    // Bad input gets a clear error, not a crash.
    let err = node
        .call::<Value>("edgeNodes_nodeInfo", rpc_params!["0x1234"])
        .await
        .expect_err("short key");
    assert!(err.to_string().contains("node key is 32 bytes"), "{err}");
    let err = node
        .call::<Value>("gpow_workScore", rpc_params![0, "not hex"])
        .await
        .expect_err("not hex");
    assert!(err.to_string().contains("not hex"), "{err}");
    assert!(node.is_running());

    // A second registration of the same key is rejected by the runtime with the named error.
    let again = RuntimeCall::EdgeNodes(pallet_edge_nodes::Call::register {
        node: node_id,
        proof,
        capabilities,
        endpoints: Default::default(),
    });
    let (_, nonce) = node.account(&alice.to_account_id()).await;
    // `system_dryRun` applies at the best block, whose own hash is not yet in its state: use its parent as
    // the mortality checkpoint.
    let ctx = node.signing_context(node.best_number().await - 1).await;
    let xt = sign(&alice.pair(), again, nonce, ctx);
    let dry_run: String = node
        .call(
            "system_dryRun",
            rpc_params![format!("0x{}", hex::encode(xt.encode()))],
        )
        .await
        .expect("dry run answers");
    // ApplyExtrinsicResult = Ok(Err(DispatchError::Module { index: 20 (EdgeNodes), error: [1, 0, 0, 0]
    // (AlreadyRegistered) })).
    let bytes = hex::decode(dry_run.trim_start_matches("0x")).unwrap();
    assert_eq!(
        bytes,
        vec![0x00, 0x01, 0x03, 20, 1, 0, 0, 0],
        "AlreadyRegistered from EdgeNodes: {dry_run}"
    );
}
