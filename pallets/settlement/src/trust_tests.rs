//! GPoW and settlement together, driven the way the network drives them: clients sign receipts, nodes report
//! them and answer their challenges, and settlement charges and pays. These are the attacks of a dApp on honest
//! nodes (docs/PROTOCOL.md, threat model, class 4), and a property test over random epochs.

use crate::{mock::*, Accounts, Clients, Error, PendingRewards, Usage, GIB};
use enreach_primitives::{
    Capabilities, ClientKey, ComputeReceipt, ContentId, Continent, DeliveryReceipt, EpochIndex,
    NatType, NodeId, ReceiptProof, ReceiptTree, Region, SessionId, SoftwareVersion, SummedLeaf,
    WorkReport,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::Inspect, BoundedVec};
use pallet_edge_nodes::pop_payload;
use pallet_gpow::{Credits, ReportStatus, Reports};
use proptest::prelude::*;
use sp_core::{ed25519, Pair};

const DAPP: u64 = 1;
const OPERATOR: u64 = 6;

fn client_pair(n: u8) -> ed25519::Pair {
    ed25519::Pair::from_seed(&[100 + n; 32])
}

fn client_key(n: u8) -> ClientKey {
    ClientKey(client_pair(n).public().0)
}

/// Registers node `n` for `operator`.
fn register(operator: u64, n: u8) -> NodeId {
    let pair = ed25519::Pair::from_seed(&[n; 32]);
    let node = NodeId(pair.public().0);
    let caps = Capabilities {
        bandwidth_up_mbps: 100,
        bandwidth_down_mbps: 100,
        storage_gib: 10,
        cpu_cores: 1,
        memory_mib: 1024,
        gpu: None,
        region: Region {
            continent: Continent::Europe,
            country: *b"DE",
        },
        nat: NatType::Public,
        hvm: None,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    };
    let proof = pair.sign(&pop_payload(&operator, &System::block_hash(0))).0;
    assert_ok!(EdgeNodes::register(
        RuntimeOrigin::signed(operator),
        node,
        proof,
        caps,
        Default::default()
    ));
    node
}

/// Client `client`'s receipt for `bytes` served by `node` in session `session` of `epoch`.
fn receipt(
    node: NodeId,
    epoch: EpochIndex,
    client: u8,
    session: u8,
    bytes: u64,
) -> DeliveryReceipt {
    let mut r = DeliveryReceipt {
        genesis_hash: System::block_hash(0).0,
        epoch,
        node,
        client: client_key(client),
        content: ContentId([3; 32]),
        session: SessionId([session; 16]),
        cumulative_bytes: bytes,
        signature: [0; 64],
    };
    r.signature = client_pair(client).sign(&r.signing_payload()).0;
    r
}

/// The block at which reports for `epoch` open (10-block epochs starting at block 1).
fn report_block(epoch: EpochIndex) -> u64 {
    (epoch as u64 + 1) * 10 + 1
}

/// Client `client`'s compute receipt for `units` run by `node` in session `session` of `epoch`, of code 5.
fn compute_receipt(
    node: NodeId,
    epoch: EpochIndex,
    client: u8,
    session: u8,
    units: u64,
) -> ComputeReceipt {
    let mut r = ComputeReceipt {
        genesis_hash: System::block_hash(0).0,
        epoch,
        node,
        client: client_key(client),
        code: ContentId([5; 32]),
        session: SessionId([session; 16]),
        requests: 1,
        cumulative_units: units,
        transcript: [6; 32],
        signature: [0; 64],
    };
    r.signature = client_pair(client).sign(&r.signing_payload()).0;
    r
}

/// The root, leaf count and total of the honest tree of `receipts` (zeros for none), and the tree.
fn part<L: SummedLeaf + Clone>(receipts: &[L]) -> (([u8; 32], u32, u64), Option<ReceiptTree<L>>) {
    match ReceiptTree::new(receipts.to_vec()) {
        Ok(tree) => ((tree.root(), tree.len(), tree.total()), Some(tree)),
        Err(_) => (([0; 32], 0, 0), None),
    }
}

/// The receipt of `tree` covering each of `offsets`, with its proof.
fn answer_from<L: SummedLeaf + Clone, S: frame_support::traits::Get<u32>>(
    tree: Option<&ReceiptTree<L>>,
    offsets: &[u64],
) -> BoundedVec<(L, ReceiptProof), S> {
    let Some(tree) = tree else {
        return BoundedVec::default();
    };
    BoundedVec::truncate_from(
        offsets
            .iter()
            .map(|&offset| {
                let leaf = tree.leaf_at(offset).unwrap_or(tree.len() - 1);
                (
                    tree.receipts()[leaf as usize].clone(),
                    tree.proof(leaf).unwrap(),
                )
            })
            .collect(),
    )
}

/// `node`'s operator reports `receipts` for `epoch` claiming `claim` bytes (their sum if `None`), then answers
/// the challenge from the honest tree. Returns the answer's result.
fn report_and_answer(
    operator: u64,
    node: NodeId,
    epoch: EpochIndex,
    receipts: &[DeliveryReceipt],
    claim: Option<u64>,
) -> sp_runtime::DispatchResult {
    report_work_and_answer(operator, node, epoch, receipts, &[], claim)
}

/// [`report_and_answer`] with `compute` receipts in the report's compute part.
fn report_work_and_answer(
    operator: u64,
    node: NodeId,
    epoch: EpochIndex,
    receipts: &[DeliveryReceipt],
    compute: &[ComputeReceipt],
    claim: Option<u64>,
) -> sp_runtime::DispatchResult {
    let ((receipts_root, receipt_count, total_bytes), tree) = part(receipts);
    let ((compute_root, compute_receipt_count, total_units), compute_tree) = part(compute);
    pallet_gpow::Pallet::<Test>::submit_work_report(
        RuntimeOrigin::signed(operator),
        WorkReport {
            node,
            epoch,
            receipts_root,
            receipt_count,
            total_bytes: claim.unwrap_or(total_bytes),
            compute_root,
            compute_receipt_count,
            total_units,
        },
    )?;
    run_to(System::block_number() + 2);
    let challenge = pallet_gpow::Pallet::<Test>::challenge_of(epoch, &node).expect("open");
    pallet_gpow::Pallet::<Test>::answer_challenge(
        RuntimeOrigin::signed(9),
        node,
        epoch,
        answer_from(tree.as_ref(), &challenge.offsets),
        answer_from(compute_tree.as_ref(), &challenge.compute_offsets),
    )
    .map(|_| ())
    .map_err(|e| e.error)
}

/// DAPP's account with `balance`, paying for client 1; node 7 registered for OPERATOR.
fn dapp_and_node(balance: u64) -> NodeId {
    assert_ok!(Settlement::open_account(
        RuntimeOrigin::signed(DAPP),
        balance
    ));
    assert_ok!(Settlement::authorize_client(
        RuntimeOrigin::signed(DAPP),
        client_key(1)
    ));
    register(OPERATOR, 7)
}

fn status(epoch: EpochIndex, node: NodeId) -> Option<ReportStatus<u64>> {
    Reports::<Test>::get(epoch, node).map(|r| r.status)
}

/// Class 6: a node is paid storage for the pins it proved in the epoch only (proving one pin no longer pays for
/// all of them), and a dApp that unpublishes its content before the epoch is settled still pays for it.
#[test]
fn storage_is_paid_only_for_the_pins_a_node_proved() {
    new_test_ext().execute_with(|| {
        assert_ok!(Settlement::open_account(
            RuntimeOrigin::signed(DAPP),
            100_000
        ));
        let blob = |tag: u8| -> Vec<u8> { (0..4096u32).map(|i| (i as u8) ^ tag).collect() };
        let (kept, dropped) = (blob(1), blob(2));
        let id = |data: &[u8]| ContentId(*blake3::hash(data).as_bytes());
        let node = register(OPERATOR, 7);
        for data in [&kept, &dropped] {
            assert_ok!(Settlement::publish_content(
                RuntimeOrigin::signed(DAPP),
                id(data),
                data.len() as u64,
                1,
                100,
                None
            ));
            assert_ok!(EdgeNodes::pin(
                RuntimeOrigin::signed(OPERATOR),
                node,
                id(data),
                data.len() as u64
            ));
        }
        run_to(12);
        assert_eq!(
            pallet_gpow::Pallet::<Test>::storage_challenges_of(1, &node).len(),
            2
        );
        // The node kept one blob and proves it; it cannot prove the one it dropped.
        assert_ok!(pallet_gpow::Pallet::<Test>::answer_storage_challenge(
            RuntimeOrigin::signed(9),
            node,
            1,
            id(&kept),
            pallet_gpow::testing::storage_answer::<Test>(node, 1, &kept)
        ));
        // In epoch 2, before epoch 1 is settled, the dApp unpublishes what was proven.
        run_to(21);
        assert_ok!(Settlement::unpublish_content(
            RuntimeOrigin::signed(DAPP),
            id(&kept)
        ));
        settle(1);
        assert_eq!(Usage::<Test>::get(1, DAPP).stored, kept.len() as u64);
    });
}

#[test]
fn revoking_a_client_afterwards_cannot_void_an_honest_report() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(100_000);
        let served: Vec<_> = (0..3).map(|s| receipt(node, 0, 1, s, GIB)).collect();
        // Epoch 0 is over; the dApp revokes the key whose receipts the node is about to report.
        run_to(report_block(0));
        assert_ok!(Settlement::revoke_client(
            RuntimeOrigin::signed(DAPP),
            client_key(1)
        ));
        assert_ok!(report_and_answer(OPERATOR, node, 0, &served, None));
        assert_eq!(status(0, node), Some(ReportStatus::Verified));
        settle(0);
        let usage = Usage::<Test>::get(0, DAPP);
        assert_eq!((usage.bytes, usage.paid), (3 * GIB, 3_000));
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 3_000 - 300);
    });
}

#[test]
fn a_revocation_at_an_epoch_boundary_cannot_void_receipts_an_edge_took_before_seeing_it() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(100_000);
        // Revoked in the last block of epoch 0; the edge, reading finalized state, still takes a receipt of
        // epoch 1.
        run_to(10);
        assert_ok!(Settlement::revoke_client(
            RuntimeOrigin::signed(DAPP),
            client_key(1)
        ));
        let late = vec![receipt(node, 1, 1, 0, GIB)];
        run_to(report_block(1));
        assert_ok!(report_and_answer(OPERATOR, node, 1, &late, None));
        assert_eq!(status(1, node), Some(ReportStatus::Verified));
    });
}

#[test]
fn a_dapp_in_debt_cannot_get_an_honest_report_voided() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(1_000);
        let epoch0 = vec![receipt(node, 0, 1, 0, 2 * GIB)];
        run_to(report_block(0));
        assert_ok!(report_and_answer(OPERATOR, node, 0, &epoch0, None));
        let epoch1 = vec![receipt(node, 1, 1, 1, GIB)];
        // Epoch 0 settles: 2 000 owed, 1 000 paid, the dApp is in debt.
        settle(0);
        assert_eq!(Accounts::<Test>::get(DAPP).unwrap().debt, 1_000);
        run_to(report_block(1).max(System::block_number()));
        assert_ok!(report_and_answer(OPERATOR, node, 1, &epoch1, None));
        assert_eq!(status(1, node), Some(ReportStatus::Verified));
        settle(1);
        assert_eq!(
            Accounts::<Test>::get(DAPP).unwrap().debt,
            2_000,
            "the dApp owes it"
        );
    });
}

#[test]
fn a_dapp_cannot_withdraw_what_its_unsettled_epochs_cost() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(10_000);
        run_to(report_block(0));
        assert_ok!(report_and_answer(
            OPERATOR,
            node,
            0,
            &[receipt(node, 0, 1, 0, 4 * GIB)],
            None
        ));
        // In epoch 1 the dApp asks for everything back, while its client is still being served.
        assert_ok!(Settlement::request_withdrawal(
            RuntimeOrigin::signed(DAPP),
            10_000
        ));
        let before = Balances::balance(&DAPP);
        run_to(report_block(1));
        assert_noop!(
            Settlement::withdraw(RuntimeOrigin::signed(DAPP)),
            Error::<Test>::UnsettledEpochs
        );
        assert_ok!(report_and_answer(
            OPERATOR,
            node,
            1,
            &[receipt(node, 1, 1, 1, 5 * GIB)],
            None
        ));
        run_to(report_block(2));
        assert_ok!(report_and_answer(
            OPERATOR,
            node,
            2,
            &[receipt(node, 2, 1, 2, GIB / 2)],
            None
        ));
        settle(1);
        // Epochs 0 and 1 are charged in full; epoch 2's verified work (500) stays behind.
        assert_ok!(Settlement::withdraw(RuntimeOrigin::signed(DAPP)));
        assert_eq!(
            Balances::balance(&DAPP) - before,
            10_000 - 4_000 - 5_000 - 500
        );
        settle(2);
        for (epoch, cost) in [(0, 4_000), (1, 5_000), (2, 500)] {
            assert_eq!(Usage::<Test>::get(epoch, DAPP).paid, cost, "epoch {epoch}");
        }
    });
}

/// What a dApp does in one epoch of the property test.
#[derive(Clone, Copy, Debug)]
enum DappMove {
    Nothing,
    Revoke,
    Reauthorize,
    WithdrawAll,
    TopUp(u64),
}

fn dapp_move() -> impl Strategy<Value = DappMove> {
    prop_oneof![
        3 => Just(DappMove::Nothing),
        1 => Just(DappMove::Revoke),
        1 => Just(DappMove::Reauthorize),
        1 => Just(DappMove::WithdrawAll),
        1 => (1u64..20_000).prop_map(DappMove::TopUp),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random epochs through GPoW and settlement: two dApps with one client each that revoke, re-authorize,
    /// withdraw and top up at will; two honest nodes that collect every receipt of an authorized client and
    /// report it; a cheater that reports the same receipts inflated. An honest node is never voided and is
    /// credited exactly its distinct receipts; the cheater is credited nothing; nodes never earn more than
    /// dApps paid.
    #[test]
    fn honest_nodes_are_paid_for_receipts_only_and_never_punished(
        balances in (1_000u64..50_000, 1_000u64..50_000),
        traffic in prop::collection::vec(prop::collection::vec((0usize..2, 0usize..2, 1u64..4), 0..5), 3),
        moves in prop::collection::vec((dapp_move(), dapp_move()), 3),
        inflation in 2u64..10,
    ) {
        new_test_ext().execute_with(|| {
            let dapps = [DAPP, 2];
            for (i, balance) in [balances.0, balances.1].into_iter().enumerate() {
                assert_ok!(Settlement::open_account(RuntimeOrigin::signed(dapps[i]), balance));
                assert_ok!(Settlement::authorize_client(RuntimeOrigin::signed(dapps[i]), client_key(i as u8)));
            }
            let honest = [register(OPERATOR, 7), register(OPERATOR + 1, 8)];
            let cheater = register(OPERATOR + 2, 9);
            let mut held: Vec<Vec<Vec<DeliveryReceipt>>> = vec![vec![Vec::new(); 2]; traffic.len()];
            let mut session = 0u8;
            for epoch in 0..traffic.len() as EpochIndex {
                // Serving: a node takes receipts only from clients authorized now, as the edge checks.
                for &(dapp, node, quarter_gib) in &traffic[epoch as usize] {
                    if Clients::<Test>::get(client_key(dapp as u8)).is_some_and(|a| a.until.is_none()) {
                        session += 1;
                        held[epoch as usize][node].push(receipt(honest[node], epoch, dapp as u8, session, quarter_gib * GIB / 4));
                    }
                }
                // The dApps' moves, during the epoch.
                let (a, b) = moves[epoch as usize];
                for (i, m) in [a, b].into_iter().enumerate() {
                    let origin = RuntimeOrigin::signed(dapps[i]);
                    let _ = match m {
                        DappMove::Nothing => Ok(()),
                        DappMove::Revoke => Settlement::revoke_client(origin, client_key(i as u8)),
                        DappMove::Reauthorize => Settlement::authorize_client(origin, client_key(i as u8)),
                        DappMove::WithdrawAll => Settlement::request_withdrawal(origin, Accounts::<Test>::get(dapps[i]).unwrap().balance.max(1))
                            .and_then(|_| Settlement::withdraw(RuntimeOrigin::signed(dapps[i]))),
                        DappMove::TopUp(amount) => Settlement::top_up(origin, amount),
                    };
                }
                // The epoch ends: every node reports what it holds and answers.
                run_to(report_block(epoch));
                for node in 0..2 {
                    let receipts = &held[epoch as usize][node];
                    if receipts.is_empty() {
                        continue;
                    }
                    prop_assert_eq!(report_and_answer(OPERATOR + node as u64, honest[node], epoch, receipts, None), Ok(()));
                    if node == 0 {
                        // The cheater served the same clients as node 0 and claims a multiple of it.
                        let own: Vec<_> = receipts
                            .iter()
                            .map(|r| {
                                let client = (0..2u8).find(|c| client_key(*c) == r.client).unwrap();
                                receipt(cheater, epoch, client, r.session.0[0], r.cumulative_bytes)
                            })
                            .collect();
                        let sum: u64 = own.iter().map(|r| r.cumulative_bytes).sum();
                        let _ = report_and_answer(OPERATOR + 2, cheater, epoch, &own, Some(sum * inflation));
                    }
                }
                // Judged before old epochs are pruned: honest reports verified, credited at most what the
                // distinct receipts hold; the cheater credited nothing.
                for (node, receipts) in held[epoch as usize].iter().enumerate() {
                    let distinct: u64 = receipts.iter().map(|r| r.cumulative_bytes).sum();
                    let credited: u64 = dapps.iter().map(|d| Credits::<Test>::get(epoch, (honest[node], *d))).sum();
                    prop_assert!(credited <= distinct, "credited {} of {} held", credited, distinct);
                    if !receipts.is_empty() {
                        prop_assert_eq!(status(epoch, honest[node]), Some(ReportStatus::Verified));
                    }
                }
                let cheats: u64 = dapps.iter().map(|d| Credits::<Test>::get(epoch, (cheater, *d))).sum();
                prop_assert_eq!(cheats, 0, "the cheater is credited nothing");
                // Withdrawals requested earlier are taken whenever they may be.
                for dapp in dapps {
                    let _ = Settlement::withdraw(RuntimeOrigin::signed(dapp));
                }
            }
            // Everything settled, nothing pruned yet.
            settle(traffic.len() as EpochIndex - 1);

            let earned: u64 = (OPERATOR..OPERATOR + 3).map(PendingRewards::<Test>::get).sum();
            let paid: u64 = System::events()
                .into_iter()
                .filter_map(|r| match r.event {
                    RuntimeEvent::Settlement(crate::Event::Charged { paid, .. }) => Some(paid),
                    _ => None,
                })
                .sum();
            prop_assert!(earned <= paid, "nodes earned {} of {} paid", earned, paid);
            Ok(())
        })?;
    }
}

/// The code of [`compute_receipt`], registered as an app's.
fn deploy_app_code() {
    AppCodes::set(vec![ContentId([5; 32])]);
}

/// Issue [2.4]: a report with only compute (no bytes) is accepted, its units are verified by the challenge,
/// charged to the client's dApp at the governed price per million units and paid to the node less the fee.
#[test]
fn verified_compute_is_charged_at_the_governed_price_and_paid_to_the_node() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(100_000);
        deploy_app_code();
        let compute = [
            compute_receipt(node, 0, 1, 1, 3_000_000),
            compute_receipt(node, 0, 1, 2, 1_000_000),
        ];
        run_to(report_block(0));
        assert_ok!(report_work_and_answer(
            OPERATOR,
            node,
            0,
            &[],
            &compute,
            None
        ));
        assert_eq!(status(0, node), Some(ReportStatus::Verified));
        assert_eq!(Usage::<Test>::get(0, DAPP).units, 4_000_000);
        settle(0);
        // 4 million units at 500 per million; the node gets it less the 10 % fee.
        let usage = Usage::<Test>::get(0, DAPP);
        assert_eq!((usage.cost, usage.paid), (2_000, 2_000));
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 1_800);
        // Governance prices compute like everything else.
        ComputePrice::set(1_000);
        assert_eq!(Settlement::cost_of(0, 0, 4_000_000), 4_000);
        assert_eq!(Settlement::params().compute_price, 1_000);
    });
}

/// Keepers 20, 21 and 22 assigned to every node from epoch 1 on; epoch 1's report of `node` holds one GiB of
/// delivery and 4 million compute units, verified. Returns the keepers assigned to `node`.
fn compute_verified_in_epoch_1(node: NodeId) -> Vec<u64> {
    pallet_gpow::Params::<Test>::mutate(|params| {
        params.as_mut().expect("configured").keepers_per_node = 3
    });
    Keepers::set(
        (20..23)
            .map(|account| pallet_gpow::KeeperCandidate { account, weight: 1 })
            .collect(),
    );
    deploy_app_code();
    run_to(report_block(1));
    assert_ok!(report_work_and_answer(
        OPERATOR,
        node,
        1,
        &[receipt(node, 1, 1, 0, GIB)],
        &[compute_receipt(node, 1, 1, 1, 4_000_000)],
        None
    ));
    assert_eq!(Usage::<Test>::get(1, DAPP).units, 4_000_000);
    let keepers = pallet_gpow::Pallet::<Test>::keepers_of(1, &node, 3);
    assert_eq!(keepers.len(), 3);
    keepers
}

/// `keeper`'s observation of `node` in epoch 1: it replayed 2 sampled sessions, `failed` of them failed.
fn observe_replays(keeper: u64, node: NodeId, failed: u16) -> sp_runtime::DispatchResult {
    pallet_gpow::Pallet::<Test>::submit_observations(
        RuntimeOrigin::signed(keeper),
        frame_support::BoundedVec::truncate_from(vec![enreach_primitives::KeeperObservation {
            node,
            epoch: 1,
            probes_answered: 10,
            probes_sent: 10,
            median_rtt_ms: 20,
            storage_passed: 0,
            storage_sent: 0,
            bandwidth_mbps: 100,
            replays_sent: 2,
            replays_failed: failed,
        }]),
    )
    .map(|_| ())
    .map_err(|e| e.error)
}

#[test]
fn one_lying_keeper_cannot_void_an_honest_nodes_compute() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(100_000);
        let keepers = compute_verified_in_epoch_1(node);
        assert_ok!(observe_replays(keepers[0], node, 2));
        assert_ok!(observe_replays(keepers[1], node, 0));
        assert_ok!(observe_replays(keepers[2], node, 0));
        assert!(Offences::get().is_empty());
        settle(1);
        // One GiB at 1 000 and 4 million units at 500 per million.
        assert_eq!(Usage::<Test>::get(1, DAPP).cost, 3_000);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 2_700);
    });
}

#[test]
fn compute_a_majority_of_keepers_could_not_replay_is_void_and_never_charged() {
    new_test_ext().execute_with(|| {
        let node = dapp_and_node(100_000);
        let keepers = compute_verified_in_epoch_1(node);
        assert_ok!(observe_replays(keepers[0], node, 1));
        assert!(
            Offences::get().is_empty(),
            "one keeper alone refutes nothing"
        );
        assert_ok!(observe_replays(keepers[1], node, 2));
        assert_eq!(
            Offences::get(),
            vec![(node, 1, pallet_gpow::WorkOffence::WrongCompute)]
        );
        assert_eq!(Usage::<Test>::get(1, DAPP).units, 0);
        // A third failed replay reports nothing more.
        assert_ok!(observe_replays(keepers[2], node, 2));
        assert_eq!(Offences::get().len(), 1);
        settle(1);
        // The delivery is paid; the refuted compute is neither charged nor paid.
        assert_eq!(Usage::<Test>::get(1, DAPP).cost, 1_000);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 900);
    });
}
