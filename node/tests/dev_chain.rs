//! The real node on `--chain dev`: it authors and finalizes, includes a transfer this test signs itself, and
//! rejects malformed and unfunded transactions with clear errors while it keeps running.

mod common;

use common::{dev_node, wait_for, TempDir, BLOCKS};
use enreach_node::transaction::sign;
use enreach_runtime::{BalancesCall, RuntimeCall, UNIT};
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_authors_finalizes_and_transfers() {
    let dir = TempDir::new("dev");
    let node = dev_node(&dir).await;

    wait_for("3 authored blocks", BLOCKS, || async {
        (node.best_number().await >= 3).then_some(())
    })
    .await;
    wait_for("a finalized block", BLOCKS, || async {
        (node.finalized_number().await >= 1).then_some(())
    })
    .await;

    // A transfer from Alice to an account that does not exist yet, signed here, not by the node.
    let alice = Sr25519Keyring::Alice;
    let dest = sr25519::Pair::from_seed(&[7u8; 32]);
    let dest_id: enreach_runtime::AccountId = dest.public().into();
    let amount = 42 * UNIT;
    let (alice_before, alice_nonce) = node.account(&alice.to_account_id()).await;
    assert_eq!(
        node.account(&dest_id).await.0,
        0,
        "destination starts empty"
    );

    let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
        dest: dest_id.clone().into(),
        value: amount,
    });
    let xt = sign(
        &alice.pair(),
        call,
        alice_nonce,
        node.signing_context(node.best_number().await).await,
    );
    node.submit(&xt)
        .await
        .expect("the node accepts a correctly signed transfer");

    let dest_balance = wait_for("the transfer to be included", BLOCKS, || async {
        let balance = node.account(&dest_id).await.0;
        (balance > 0).then_some(balance)
    })
    .await;
    assert_eq!(
        dest_balance, amount,
        "destination receives exactly the amount sent"
    );
    let (alice_after, alice_nonce_after) = node.account(&alice.to_account_id()).await;
    assert_eq!(
        alice_nonce_after,
        alice_nonce + 1,
        "Alice's nonce advances by one"
    );
    let fee = alice_before - amount - alice_after;
    assert!(
        fee > 0 && fee < UNIT,
        "Alice pays the amount plus a small fee, paid {fee}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_chain_rejects_bad_transactions_and_keeps_running() {
    let dir = TempDir::new("dev-bad");
    let mut node = dev_node(&dir).await;

    // Bytes that are not an extrinsic at all.
    let err = node
        .submit_raw(&[0xde, 0xad, 0xbe, 0xef])
        .await
        .expect_err("garbage is rejected");
    let message = err.to_string();
    assert!(
        message.contains("decode") || message.contains("Decode"),
        "malformed extrinsic error names decoding: {message}"
    );

    // A well-formed transfer from an account with no funds to pay its fee.
    let pauper = sr25519::Pair::from_seed(&[9u8; 32]);
    let call = RuntimeCall::Balances(BalancesCall::transfer_keep_alive {
        dest: Sr25519Keyring::Bob.to_account_id().into(),
        value: UNIT,
    });
    let xt = sign(
        &pauper,
        call,
        0,
        node.signing_context(node.best_number().await).await,
    );
    let err = node
        .submit(&xt)
        .await
        .expect_err("an unfunded transfer is rejected");
    let message = err.to_string();
    assert!(
        message.contains("Inability to pay some fees"),
        "unfunded transfer error says why: {message}"
    );

    // The node is unharmed: still running and still authoring.
    let height = node.best_number().await;
    wait_for("blocks after the rejections", BLOCKS, || async {
        (node.best_number().await > height).then_some(())
    })
    .await;
    assert!(node.is_running(), "node keeps running after bad input");
}
