//! The economy on the real node: GPoS stakes of the genesis keeper, a dApp opening its settlement account and
//! authorizing a client, and every `gpos_*` and `settlement_*` JSON-RPC method answering about them.

mod common;

use common::{dev_node, wait_for, TempDir, BLOCKS};
use enreach_node::transaction::sign;
use enreach_primitives::ClientKey;
use enreach_runtime::{
    configs::governance::dynamic_params::{gpos, settlement},
    genesis_config_presets::GENESIS_BOND,
    RuntimeCall, UNIT,
};
use frame_support::traits::Get;
use jsonrpsee::rpc_params;
use serde_json::{json, Value};
use sp_keyring::Sr25519Keyring;

/// A governed parameter's genesis value: read from empty storage, where the default applies.
fn genesis_value<V>(read: impl FnOnce() -> V) -> V {
    sp_io::TestExternalities::default().execute_with(read)
}

#[tokio::test(flavor = "multi_thread")]
async fn dapps_and_stakers_read_stakes_accounts_and_prices_over_rpc() {
    let dir = TempDir::new("economy");
    let node = dev_node(&dir).await;
    let alice = Sr25519Keyring::Alice.to_account_id();

    let era: u32 = node.call("gpos_currentEra", rpc_params![]).await.unwrap();
    assert_eq!(era, 0);

    // Alice is the genesis keeper: her bond counts in full, under the bootstrap stake limit.
    let stake: Value = node
        .call("gpos_keeperStake", rpc_params![alice.clone()])
        .await
        .unwrap();
    let base_limit: u128 = genesis_value(gpos::BaseStakeLimit::get);
    assert_eq!(
        stake,
        json!({
            "bonded": GENESIS_BOND.to_string(),
            "guaranteed": "0",
            "stakeLimit": base_limit.to_string(),
            "effectiveStake": GENESIS_BOND.min(base_limit).to_string(),
            "eraEffectiveStake": GENESIS_BOND.min(base_limit).to_string(),
        })
    );
    // Bob and Charlie keep too (the dev preset's extra keepers); Dave does not.
    let dave = Sr25519Keyring::Dave.to_account_id();
    let none: Value = node
        .call("gpos_keeperStake", rpc_params![dave.clone()])
        .await
        .unwrap();
    assert!(none.is_null(), "Dave is not a keeper: {none}");
    let pending: String = node
        .call("gpos_pendingRewards", rpc_params![alice.clone()])
        .await
        .unwrap();
    assert_eq!(pending, "0");
    assert!(
        node.call::<Value>("gpos_keeperStake", rpc_params!["not-an-account"])
            .await
            .is_err(),
        "a malformed account is rejected"
    );

    let params: Value = node.call("settlement_params", rpc_params![]).await.unwrap();
    let price: u128 = genesis_value(settlement::DeliveryPrice::get);
    assert_eq!(params["deliveryPricePerGib"], price.to_string());
    assert_eq!(
        params["protocolFeePpb"],
        genesis_value(settlement::ProtocolFee::get).deconstruct()
    );
    assert_eq!(
        params["keeperSharePpb"],
        genesis_value(settlement::KeeperShare::get).deconstruct()
    );

    // Eve opens a dApp account and authorizes a client key, in one batch.
    let eve = Sr25519Keyring::Eve;
    let none: Value = node
        .call("settlement_dappAccount", rpc_params![eve.to_account_id()])
        .await
        .unwrap();
    assert!(none.is_null());
    let calls = vec![
        RuntimeCall::Settlement(pallet_settlement::Call::open_account {
            balance: 500 * UNIT,
        }),
        RuntimeCall::Settlement(pallet_settlement::Call::authorize_client {
            client: ClientKey([7; 32]),
        }),
    ];
    let call = RuntimeCall::Utility(pallet_utility::Call::batch_all { calls });
    let (_, nonce) = node.account(&eve.to_account_id()).await;
    let ctx = node.signing_context(node.best_number().await).await;
    node.submit(&sign(&eve.pair(), call, nonce, ctx))
        .await
        .expect("accepted by the pool");
    let account: Value = wait_for("the dApp account", BLOCKS, || async {
        let account: Value = node
            .call("settlement_dappAccount", rpc_params![eve.to_account_id()])
            .await
            .unwrap();
        (!account.is_null()).then_some(account)
    })
    .await;
    assert_eq!(
        account,
        json!({
            "balance": (500 * UNIT).to_string(),
            "debt": "0",
            "paused": false,
            "clients": 1,
            "contents": 0,
        })
    );

    let usage: Value = node
        .call("settlement_usage", rpc_params![eve.to_account_id(), 0])
        .await
        .unwrap();
    assert_eq!(
        usage,
        json!({"bytes": 0, "stored": 0, "units": 0, "settled": false, "cost": "0", "paid": "0"})
    );
    let rewards: String = node
        .call("settlement_nodeRewards", rpc_params![dave])
        .await
        .unwrap();
    assert_eq!(rewards, "0");
}
