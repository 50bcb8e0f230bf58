//! Every call and named error of GPoW, with real ed25519 receipts in real receipt trees, and the attacks on
//! the trust layer (docs/PROTOCOL.md, threat model) played against it.

use crate::{
    mock::*, ComputeCredits, Credits, Error, Event, KeeperCandidate, KeeperDeviations,
    Observations, Params, ReportStatus, Reports, WorkOffence, WorkScores,
};
use enreach_primitives::content::chunk_proof;
use enreach_primitives::{
    merkle::forgery, Capabilities, ClientKey, ComputeReceipt, ContentId, Continent,
    DeliveryReceipt, KeeperObservation, NatType, NodeId, ReceiptTree, Region, SessionId,
    SoftwareVersion, TreeNode, WorkReport,
};
use frame_support::{assert_noop, assert_ok, dispatch::DispatchResultWithPostInfo, BoundedVec};
use pallet_edge_nodes::{pop_payload, NodeStatus};
use sp_core::{ed25519, Pair};
use sp_runtime::DispatchError;

const OPERATOR: u64 = 1;
const DAPP: u64 = 100;
const OTHER_DAPP: u64 = 200;

fn node_key(seed: u8) -> ed25519::Pair {
    ed25519::Pair::from_seed(&[seed; 32])
}

fn node_id(seed: u8) -> NodeId {
    NodeId(node_key(seed).public().0)
}

fn client_key(seed: u8) -> ed25519::Pair {
    ed25519::Pair::from_seed(&[100 + seed; 32])
}

fn genesis() -> [u8; 32] {
    System::block_hash(0).0
}

fn region(country: &[u8; 2]) -> Region {
    Region {
        continent: Continent::Europe,
        country: *country,
    }
}

/// Registers node `seed` for `operator` in region FR.
fn register(operator: u64, seed: u8) {
    let proof = node_key(seed)
        .sign(&pop_payload(&operator, &System::block_hash(0)))
        .0;
    assert_ok!(EdgeNodes::register(
        RuntimeOrigin::signed(operator),
        node_id(seed),
        proof,
        caps(b"FR"),
        Default::default()
    ));
}

/// A node offering 100 Mbit/s up from `country`.
fn caps(country: &[u8; 2]) -> Capabilities {
    Capabilities {
        bandwidth_up_mbps: 100,
        bandwidth_down_mbps: 100,
        storage_gib: 100,
        cpu_cores: 2,
        memory_mib: 2048,
        gpu: None,
        region: region(country),
        nat: NatType::Public,
        hvm: None,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    }
}

/// A receipt from client `client` to node `node` in `epoch`, session `session`, signed by `signer`.
fn receipt(
    node: NodeId,
    epoch: u32,
    client: u8,
    session: u8,
    bytes: u64,
    signer: &ed25519::Pair,
) -> DeliveryReceipt {
    let mut r = DeliveryReceipt {
        genesis_hash: genesis(),
        epoch,
        node,
        client: ClientKey(client_key(client).public().0),
        content: ContentId([7; 32]),
        session: SessionId([session; 16]),
        cumulative_bytes: bytes,
        signature: [0; 64],
    };
    r.signature = signer.sign(&r.signing_payload()).0;
    r
}

/// `count` honest receipts for node 7 in epoch 0, 1000 bytes each, from client 1.
fn honest_receipts(count: u8) -> Vec<DeliveryReceipt> {
    (0..count)
        .map(|s| receipt(node_id(7), 0, 1, s, 1000, &client_key(1)))
        .collect()
}

fn tree(receipts: &[DeliveryReceipt]) -> ReceiptTree {
    ReceiptTree::new(receipts.to_vec()).unwrap()
}

/// Node 7's epoch-0 report over the honest tree of `receipts`, claiming `total` bytes.
fn report_for(receipts: &[DeliveryReceipt], total: u64) -> WorkReport {
    let tree = tree(receipts);
    WorkReport {
        node: node_id(7),
        epoch: 0,
        receipts_root: tree.root(),
        receipt_count: tree.len(),
        total_bytes: total,
        compute_root: [0; 32],
        compute_receipt_count: 0,
        total_units: 0,
    }
}

/// Answers node 7's epoch-0 challenge from `tree`: for each sampled offset the leaf `pick` chooses (given the
/// leaf that covers the offset, or the last leaf for offsets beyond the tree's bytes).
fn answer_picking(tree: &ReceiptTree, pick: impl Fn(u32) -> u32) -> crate::AnswerOf<Test> {
    let offsets = Gpow::challenge_of(0, &node_id(7))
        .expect("challenge is open")
        .offsets;
    BoundedVec::truncate_from(
        offsets
            .iter()
            .map(|&offset| {
                let leaf = pick(tree.leaf_at(offset).unwrap_or(tree.len() - 1));
                (
                    tree.receipts()[leaf as usize].clone(),
                    tree.proof(leaf).unwrap(),
                )
            })
            .collect(),
    )
}

/// The honest answer to node 7's epoch-0 challenge over the tree of `receipts`.
fn answer(receipts: &[DeliveryReceipt]) -> crate::AnswerOf<Test> {
    answer_picking(&tree(receipts), |leaf| leaf)
}

fn authorize(client: u8, dapp: u64) {
    Clients::mutate(|clients| clients.insert(ClientKey(client_key(client).public().0), dapp));
}

/// Node 7 registered, client 1 authorized for DAPP, at block 11 (epoch 1, reports for epoch 0 open).
fn setup() {
    register(OPERATOR, 7);
    authorize(1, DAPP);
    run_to(11);
}

/// Submits `receipts` as node 7's epoch-0 report claiming `total`, then waits for the challenge seed.
fn report_and_wait(receipts: &[DeliveryReceipt], total: u64) {
    assert_ok!(Gpow::submit_work_report(
        RuntimeOrigin::signed(OPERATOR),
        report_for(receipts, total)
    ));
    run_to(System::block_number() + 2);
}

fn answer_with(receipts: &[DeliveryReceipt]) -> sp_runtime::DispatchResult {
    Gpow::answer_challenge(
        RuntimeOrigin::signed(9),
        node_id(7),
        0,
        answer(receipts),
        BoundedVec::new(),
    )
    .map(|_| ())
    .map_err(|e| e.error)
}

#[test]
fn honest_work_is_verified_and_credited_to_the_paying_dapps() {
    new_test_ext().execute_with(|| {
        setup();
        authorize(2, OTHER_DAPP);
        // 6 receipts of client 1 (DAPP) and 6 of client 2 (OTHER_DAPP), all 1000 bytes: a 12-leaf tree, so
        // every sample of 4 is drawn from both.
        let mut receipts = honest_receipts(6);
        receipts.extend((0..6).map(|s| receipt(node_id(7), 0, 2, 50 + s, 1000, &client_key(2))));
        report_and_wait(&receipts, 12_000);
        let reply = answer(&receipts);
        assert_ok!(Gpow::answer_challenge(
            RuntimeOrigin::signed(9),
            node_id(7),
            0,
            reply.clone(),
            BoundedVec::new()
        ));

        let record = Reports::<Test>::get(0, node_id(7)).unwrap();
        assert_eq!(record.status, ReportStatus::Verified);
        let dapp = Credits::<Test>::get(0, (node_id(7), DAPP));
        let other = Credits::<Test>::get(0, (node_id(7), OTHER_DAPP));
        assert_eq!(
            dapp + other,
            12_000,
            "the claimed total is credited, split by the sample"
        );
        System::assert_last_event(
            Event::WorkVerified {
                node: node_id(7),
                epoch: 0,
                bytes: 12_000,
                units: 0,
            }
            .into(),
        );
        assert!(
            Gpow::challenge_of(0, &node_id(7)).is_none(),
            "nothing left to answer"
        );
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                reply,
                BoundedVec::new()
            ),
            Error::<Test>::NotChallenged
        );
    });
}

#[test]
fn reports_need_parameters_an_active_node_and_its_operator() {
    new_test_ext_with(false).execute_with(|| {
        register(OPERATOR, 7);
        let r = honest_receipts(4);
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), report_for(&r, 4000)),
            Error::<Test>::NotConfigured
        );
    });
    new_test_ext().execute_with(|| {
        setup();
        let r = honest_receipts(4);
        let mut unknown = report_for(&r, 4000);
        unknown.node = node_id(9);
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), unknown),
            Error::<Test>::NodeNotActive
        );
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(2), report_for(&r, 4000)),
            Error::<Test>::NotOperator
        );
        assert_ok!(EdgeNodes::set_status(
            RuntimeOrigin::root(),
            node_id(7),
            NodeStatus::Suspended
        ));
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), report_for(&r, 4000)),
            Error::<Test>::NodeNotActive
        );
    });
}

#[test]
fn reports_are_accepted_once_and_only_inside_the_window() {
    new_test_ext().execute_with(|| {
        register(OPERATOR, 7);
        let r = honest_receipts(4);
        // Epoch 0 has not ended at block 5.
        run_to(5);
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), report_for(&r, 4000)),
            Error::<Test>::OutsideSubmissionWindow
        );
        run_to(11);
        let empty = WorkReport {
            receipt_count: 0,
            ..report_for(&r, 4000)
        };
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), empty),
            Error::<Test>::EmptyReport
        );
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            report_for(&r, 4000)
        ));
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), report_for(&r, 4000)),
            Error::<Test>::DuplicateReport
        );
    });
    new_test_ext().execute_with(|| {
        register(OPERATOR, 7);
        // The window of epoch 0's reports is blocks 11..16.
        run_to(16);
        assert_noop!(
            Gpow::submit_work_report(
                RuntimeOrigin::signed(OPERATOR),
                report_for(&honest_receipts(4), 4000)
            ),
            Error::<Test>::OutsideSubmissionWindow
        );
    });
}

#[test]
fn reports_per_block_are_bounded() {
    new_test_ext().execute_with(|| {
        for seed in [7, 8, 9] {
            register(OPERATOR, seed);
        }
        run_to(11);
        let r = honest_receipts(4);
        for seed in [7, 8] {
            let report = WorkReport {
                node: node_id(seed),
                ..report_for(&r, 4000)
            };
            assert_ok!(Gpow::submit_work_report(
                RuntimeOrigin::signed(OPERATOR),
                report
            ));
        }
        let third = WorkReport {
            node: node_id(9),
            ..report_for(&r, 4000)
        };
        assert_noop!(
            Gpow::submit_work_report(RuntimeOrigin::signed(OPERATOR), third.clone()),
            Error::<Test>::TooManyReportsThisBlock
        );
        run_to(12);
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            third
        ));
    });
}

#[test]
fn answers_must_come_after_the_seed_and_before_the_deadline() {
    new_test_ext().execute_with(|| {
        setup();
        register(OPERATOR, 8);
        let r = honest_receipts(8);
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                BoundedVec::new(),
                BoundedVec::new()
            ),
            Error::<Test>::ReportNotFound
        );
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            report_for(&r, 8000)
        ));
        let other = WorkReport {
            node: node_id(8),
            ..report_for(&r, 8000)
        };
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            other
        ));
        // The seed block (12) has not been produced: nobody can know the sample yet.
        assert!(Gpow::challenge_of(0, &node_id(7)).is_none());
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                BoundedVec::new(),
                BoundedVec::new()
            ),
            Error::<Test>::ChallengeNotReady
        );
        run_to(13);
        let late = answer(&r);
        // Both deadlines are block 15. At block 16 expiry has voided one report (one per block); the other,
        // node 7's, is still waiting, and its answer is now too late.
        run_to(16);
        assert_eq!(
            Reports::<Test>::get(0, node_id(8)).unwrap().status,
            ReportStatus::Voided
        );
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                late,
                BoundedVec::new()
            ),
            Error::<Test>::LateAnswer
        );
    });
}

/// Class 7: the seed block's author can vary its block (and so its hash) at will, but not its VRF output; the
/// sample and the next epoch's keeper draw follow the VRF output only.
#[test]
fn challenge_seeds_do_not_follow_block_hashes() {
    let challenge = |grind: u8| {
        new_test_ext().execute_with(|| {
            setup();
            let receipts = honest_receipts(8);
            assert_ok!(Gpow::submit_work_report(
                RuntimeOrigin::signed(OPERATOR),
                report_for(&receipts, 8000)
            ));
            // The seed block's author tries another block content.
            run_to(System::block_number() + 1);
            System::deposit_log(sp_runtime::DigestItem::Other(vec![grind]));
            run_to(System::block_number() + 1);
            let hash = System::block_hash(System::block_number() - 1);
            (Gpow::challenge_of(0, &node_id(7)).unwrap().offsets, hash)
        })
    };
    let (offsets, hash) = challenge(0);
    for grind in 1..=8 {
        let (ground, other_hash) = challenge(grind);
        assert_ne!(hash, other_hash, "the author changed its block");
        assert_eq!(ground, offsets, "but not the sample");
    }
}

/// Class 7: a block's author can compute its own VRF output before its slot. The challenge seed chains the VRF
/// output of every block after the report up to the seed block, so it is known in advance only to whoever
/// authors all of them: any other output there changes the sample.
#[test]
fn a_challenge_seed_depends_on_every_block_after_the_report() {
    let challenge = |other_author_at: Option<u64>| {
        new_test_ext().execute_with(|| {
            setup();
            Params::<Test>::mutate(|p| p.as_mut().unwrap().challenge_delay = 3);
            assert_ok!(Gpow::submit_work_report(
                RuntimeOrigin::signed(OPERATOR),
                report_for(&honest_receipts(8), 8000)
            ));
            let reported = System::block_number();
            for block in reported + 1..=reported + 4 {
                run_to(block);
                // The VRF output of this block is another one.
                crate::testing::set_vrf_salt((other_author_at == Some(block)) as u32);
            }
            Gpow::challenge_of(0, &node_id(7)).unwrap().offsets
        })
    };
    let honest = challenge(None);
    for block in 12..=14 {
        assert_ne!(
            challenge(Some(block)),
            honest,
            "other VRF output in block {block}"
        );
    }
}

#[test]
fn a_missed_challenge_voids_the_report_and_reports_an_offence_in_pages() {
    new_test_ext().execute_with(|| {
        setup();
        register(OPERATOR, 8);
        let r = honest_receipts(4);
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            report_for(&r, 4000)
        ));
        let other = WorkReport {
            node: node_id(8),
            ..report_for(&r, 4000)
        };
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            other
        ));
        // Both deadlines are block 15; one expiry per block is processed, from block 16 on.
        run_to(16);
        assert_eq!(Offences::get().len(), 1, "one page per block");
        run_to(17);
        let offences = Offences::get();
        assert_eq!(offences.len(), 2);
        for seed in [7, 8] {
            assert_eq!(
                Reports::<Test>::get(0, node_id(seed)).unwrap().status,
                ReportStatus::Voided
            );
            assert!(offences.contains(&(node_id(seed), OPERATOR, 0, WorkOffence::MissedChallenge)));
            assert_eq!(
                pallet_edge_nodes::Nodes::<Test>::get(node_id(seed))
                    .unwrap()
                    .status,
                NodeStatus::Jailed
            );
        }
        assert_eq!(
            Credits::<Test>::iter_prefix(0).count(),
            0,
            "a void report earns nothing"
        );
    });
}

#[test]
fn an_answer_must_be_exactly_the_sample() {
    new_test_ext().execute_with(|| {
        setup();
        let r = honest_receipts(8);
        report_and_wait(&r, 8000);
        let mut short = answer(&r);
        short.pop();
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                short,
                BoundedVec::new()
            ),
            Error::<Test>::WrongSample
        );
        // The right count, but each receipt the neighbour of the one covering the sampled byte.
        let wrong = answer_picking(&tree(&r), |leaf| (leaf + 1) % 8);
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                wrong,
                BoundedVec::new()
            ),
            Error::<Test>::WrongSample
        );
    });
}

#[test]
fn a_wrong_merkle_path_is_rejected() {
    new_test_ext().execute_with(|| {
        setup();
        let r = honest_receipts(8);
        report_and_wait(&r, 8000);
        let mut bad = answer(&r);
        bad[0].1.siblings[0].hash[0] ^= 1;
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                bad,
                BoundedVec::new()
            ),
            Error::<Test>::WrongMerklePath
        );
    });
}

/// Reports a tree whose every receipt is made by `bad`, answers, and expects `error`.
fn assert_tree_rejected(bad: impl Fn(u8) -> DeliveryReceipt, error: Error<Test>) {
    new_test_ext().execute_with(|| {
        setup();
        let bad: Vec<DeliveryReceipt> = (0..4).map(&bad).collect();
        report_and_wait(&bad, 1000 * bad.len() as u64);
        assert_noop!(answer_with(&bad), error);
    });
}

/// Every challenge light: one sample per part.
fn light_challenges_only() {
    Params::<Test>::put(crate::GpowParams {
        audit_percent: 0,
        light_sample_size: 1,
        ..test_params()
    });
}

#[test]
fn a_light_challenge_samples_less_and_still_pays_the_honest_claim() {
    new_test_ext().execute_with(|| {
        setup();
        light_challenges_only();
        let honest = honest_receipts(8);
        report_and_wait(&honest, 8000);
        assert_eq!(Gpow::challenge_of(0, &node_id(7)).unwrap().offsets.len(), 1);
        assert_ok!(answer_with(&honest));
        assert_eq!(Credits::<Test>::get(0, (node_id(7), DAPP)), 8000);
    });
}

#[test]
fn a_light_challenge_still_voids_a_report_of_forged_receipts() {
    new_test_ext().execute_with(|| {
        setup();
        light_challenges_only();
        let forged: Vec<DeliveryReceipt> = (0..4)
            .map(|s| receipt(node_id(7), 0, 1, s, 1000, &node_key(7)))
            .collect();
        report_and_wait(&forged, 4000);
        assert_noop!(answer_with(&forged), Error::<Test>::ForgedClientSignature);
        run_to(System::block_number() + 10);
        assert_eq!(
            Reports::<Test>::get(0, node_id(7)).unwrap().status,
            ReportStatus::Voided
        );
        assert_eq!(Offences::get().len(), 1);
    });
}

#[test]
fn audits_are_drawn_for_the_governed_share_of_reports_only() {
    let audited = |percent| {
        (0..4000u32)
            .filter(|i| {
                let mut node = [0u8; 32];
                node[..4].copy_from_slice(&i.to_le_bytes());
                crate::sampling::is_audited(&[3; 32], &NodeId(node), 5, percent)
            })
            .count()
    };
    assert_eq!(audited(0), 0);
    assert_eq!(audited(100), 4000);
    // 10 % of 4 000 is 400, with a standard deviation of 19.
    let tenth = audited(10);
    assert!((320..480).contains(&tenth), "{tenth}");
    // Another seed audits other reports.
    let node = |i: u32| {
        let mut node = [0u8; 32];
        node[..4].copy_from_slice(&i.to_le_bytes());
        NodeId(node)
    };
    let differ = (0..400)
        .filter(|&i| {
            crate::sampling::is_audited(&[3; 32], &node(i), 5, 50)
                != crate::sampling::is_audited(&[4; 32], &node(i), 5, 50)
        })
        .count();
    assert!((140..260).contains(&differ), "{differ}");
}

#[test]
fn receipts_for_another_chain_are_rejected() {
    let bad = |s| {
        let mut r = receipt(node_id(7), 0, 1, s, 1000, &client_key(1));
        r.genesis_hash = [1; 32];
        r.signature = client_key(1).sign(&r.signing_payload()).0;
        r
    };
    assert_tree_rejected(bad, Error::<Test>::WrongGenesis);
}

#[test]
fn receipts_replayed_from_an_earlier_epoch_are_rejected() {
    // Receipts genuinely signed for epoch 5, committed in a report for epoch 0.
    let bad = |s| receipt(node_id(7), 5, 1, s, 1000, &client_key(1));
    assert_tree_rejected(bad, Error::<Test>::ReceiptFromOtherEpoch);
}

#[test]
fn receipts_of_another_node_are_rejected() {
    let bad = |s| receipt(node_id(8), 0, 1, s, 1000, &client_key(1));
    assert_tree_rejected(bad, Error::<Test>::ReceiptForOtherNode);
}

#[test]
fn forged_client_signatures_are_rejected() {
    // Claimed to be from client 1, signed by a key the node made up.
    let bad = |s| receipt(node_id(7), 0, 1, s, 1000, &node_key(7));
    assert_tree_rejected(bad, Error::<Test>::ForgedClientSignature);
}

#[test]
fn receipts_of_unauthorized_clients_are_rejected() {
    // Client 3 signs correctly, but no dApp pays for it: a node cannot mint traffic with its own client.
    let bad = |s| receipt(node_id(7), 0, 3, s, 1000, &client_key(3));
    assert_tree_rejected(bad, Error::<Test>::UnauthorizedClient);
}

#[test]
fn an_inflated_byte_total_is_rejected() {
    new_test_ext().execute_with(|| {
        setup();
        let r = honest_receipts(8);
        // The receipts carry 8000 bytes; the report claims 10x.
        report_and_wait(&r, 80_000);
        assert_noop!(answer_with(&r), Error::<Test>::InflatedByteTotal);
    });
}

#[test]
fn governance_sets_valid_parameters_only() {
    new_test_ext().execute_with(|| {
        let mut params = test_params();
        params.sample_size = 16;
        assert_noop!(
            Gpow::set_params(RuntimeOrigin::signed(1), params.clone()),
            DispatchError::BadOrigin
        );
        assert_ok!(Gpow::set_params(RuntimeOrigin::root(), params.clone()));
        assert_eq!(Params::<Test>::get(), Some(params.clone()));
        for invalid in [
            crate::GpowParams {
                sample_size: 0,
                ..params.clone()
            },
            crate::GpowParams {
                sample_size: 33,
                ..params.clone()
            },
            crate::GpowParams {
                keepers_per_node: 9,
                ..params.clone()
            },
            crate::GpowParams {
                challenge_delay: 0,
                ..params.clone()
            },
            crate::GpowParams {
                epoch_length: 0,
                ..params.clone()
            },
            // Challenges would outlive the next epoch, when settlement pays for them.
            crate::GpowParams {
                answer_window: 5,
                ..params.clone()
            },
        ] {
            assert_noop!(
                Gpow::set_params(RuntimeOrigin::root(), invalid),
                Error::<Test>::InvalidParams
            );
        }
    });
}

fn observation(node: NodeId, answered: u16, bandwidth: u32) -> KeeperObservation {
    KeeperObservation {
        node,
        epoch: 1,
        probes_answered: answered,
        probes_sent: 10,
        median_rtt_ms: 30,
        storage_passed: 1,
        storage_sent: 1,
        bandwidth_mbps: bandwidth,
        replays_sent: 0,
        replays_failed: 0,
    }
}

/// Keepers 11, 12, 13, 14 and the node's own operator (1), eligible from epoch 1 on; three keepers per node; node 7 registered; at block 21, when observations of epoch 1 are
/// accepted. Returns the node's assigned keepers and one that is not.
fn setup_keepers() -> (Vec<u64>, u64) {
    Keepers::set(
        [11, 12, 13, 14, OPERATOR]
            .into_iter()
            .map(|account| KeeperCandidate { account, weight: 1 })
            .collect(),
    );
    Params::<Test>::put(crate::GpowParams {
        keepers_per_node: 3,
        ..test_params()
    });
    register(OPERATOR, 7);
    run_to(21);
    let assigned = Gpow::keepers_of(1, &node_id(7), 3);
    assert_eq!(assigned.len(), 3);
    let unassigned = [11, 12, 13, 14]
        .into_iter()
        .find(|k| !assigned.contains(k))
        .unwrap();
    (assigned, unassigned)
}

fn observe(keeper: u64, observation: KeeperObservation) -> sp_runtime::DispatchResult {
    Gpow::submit_observations(
        RuntimeOrigin::signed(keeper),
        BoundedVec::truncate_from(vec![observation]),
    )
    .map(|_| ())
    .map_err(|e| e.error)
}

#[test]
fn keepers_are_assigned_deterministically_never_the_nodes_operator() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        assert!(!assigned.contains(&OPERATOR), "{assigned:?}");
        assert_eq!(
            Gpow::keepers_of(1, &node_id(7), 3),
            assigned,
            "same seed, same assignment"
        );
        assert_eq!(Gpow::keepers_of(1, &node_id(7), 4).len(), 4);
    });
}

#[test]
fn only_assigned_keepers_observe_and_a_majority_sets_the_score() {
    new_test_ext().execute_with(|| {
        let (assigned, unassigned) = setup_keepers();
        let node = node_id(7);
        assert_noop!(
            observe(unassigned, observation(node, 10, 100)),
            Error::<Test>::KeeperNotAssigned
        );
        assert_noop!(
            observe(assigned[0], observation(node, 11, 100)),
            Error::<Test>::InconsistentObservation
        );
        assert_noop!(
            observe(
                assigned[0],
                KeeperObservation {
                    epoch: 2,
                    ..observation(node, 10, 100)
                }
            ),
            Error::<Test>::ObservationOutsideWindow
        );
        assert_ok!(observe(assigned[0], observation(node, 10, 100)));
        assert_noop!(
            observe(assigned[0], observation(node, 10, 100)),
            Error::<Test>::DuplicateObservation
        );
        assert_eq!(
            WorkScores::<Test>::get(1, node),
            0,
            "one keeper is no majority"
        );
        // The second keeper says the node was down: no two keepers agree yet, so no score and nobody deviates.
        assert_ok!(observe(assigned[1], observation(node, 0, 0)));
        assert_eq!(WorkScores::<Test>::get(1, node), 0);
        assert_eq!(KeeperDeviations::<Test>::iter_prefix((1, node)).count(), 0);
        // The third agrees with the first: the node scores, the low outlier deviates, the honest do not.
        assert_ok!(observe(assigned[2], observation(node, 10, 100)));
        assert_eq!(
            WorkScores::<Test>::get(1, node),
            100_000,
            "100 Mbit/s, all probes answered"
        );
        assert!(KeeperDeviations::<Test>::contains_key((
            1,
            node,
            assigned[1]
        )));
        assert!(!KeeperDeviations::<Test>::contains_key((
            1,
            node,
            assigned[0]
        )));
        assert!(!KeeperDeviations::<Test>::contains_key((
            1,
            node,
            assigned[2]
        )));
        assert_eq!(Observations::<Test>::iter_prefix((1, node)).count(), 3);
        // What GPoS reads: every observer vouches for the final score, only the outlier counts a deviation,
        // and the epoch's total follows the score.
        for keeper in &assigned {
            assert_eq!(crate::KeeperOversight::<Test>::get(1, keeper), 100_000);
        }
        assert_eq!(crate::DeviationCount::<Test>::get(1, assigned[1]), 1);
        assert_eq!(crate::DeviationCount::<Test>::get(1, assigned[0]), 0);
        assert_eq!(crate::TotalWorkScore::<Test>::get(1), 100_000);
        // Observations of epoch 1 close when the last challenge answer and the replays after it may be in:
        // here `W + D + 2A` is past the end of epoch 2, so with it.
        run_to(31);
        assert_noop!(
            observe(assigned[0], observation(node, 10, 100)),
            Error::<Test>::ObservationOutsideWindow
        );
    });
}

// --- Attack class 3: keepers setting any score -------------------------------------------------------------

#[test]
fn nodes_not_active_at_the_epochs_start_cannot_be_observed() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        // Never registered.
        assert_noop!(
            observe(assigned[0], observation(node_id(9), 10, 100)),
            Error::<Test>::NodeNotActive
        );
        // Registered during epoch 2: it was not active when epoch 1 started... nor during it.
        register(2, 8);
        assert_noop!(
            observe(assigned[0], observation(node_id(8), 10, 100)),
            Error::<Test>::NodeNotActive
        );
        assert!(Gpow::keepers_of(1, &node_id(8), 3).is_empty());
    });
    new_test_ext().execute_with(|| {
        Keepers::set(vec![KeeperCandidate {
            account: 11,
            weight: 1,
        }]);
        register(OPERATOR, 7);
        // Jailed during epoch 1: observations of epoch 1 judge the node as it was when epoch 1 started
        // (active), but epoch 2 starts with it jailed, so nobody can score it for epoch 2.
        run_to(15);
        <EdgeNodes as pallet_edge_nodes::NodeRegistry<u64>>::jail(&node_id(7));
        run_to(21);
        assert_eq!(Gpow::keepers_of(1, &node_id(7), 1), vec![11]);
        assert!(Gpow::keepers_of(2, &node_id(7), 1).is_empty());
    });
}

/// `keeper`'s batch of `observations`.
fn observe_batch(keeper: u64, observations: Vec<KeeperObservation>) -> DispatchResultWithPostInfo {
    Gpow::submit_observations(
        RuntimeOrigin::signed(keeper),
        BoundedVec::truncate_from(observations),
    )
}

fn refusals() -> Vec<(NodeId, sp_runtime::DispatchError)> {
    System::events()
        .into_iter()
        .filter_map(|record| match record.event {
            RuntimeEvent::Gpow(crate::Event::ObservationRefused { node, error, .. }) => {
                Some((node, error))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_batch_keeps_every_observation_that_counts_and_refuses_the_rest_one_by_one() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        let keeper = assigned[0];
        assert_ok!(observe(assigned[1], observation(node_id(7), 10, 100)));
        System::reset_events();
        // A keeper sending its batch again after losing the connection, with a node the chain does not know:
        // what was new counts, the rest is refused alone.
        let batch = vec![
            observation(node_id(7), 10, 100),
            observation(node_id(7), 10, 100),
            observation(node_id(9), 10, 100),
        ];
        let charged = Gpow::observations_weight(&batch);
        let done = observe_batch(keeper, batch);
        assert_ok!(done);
        assert!(Observations::<Test>::contains_key((1, node_id(7), keeper)));
        assert!(!Observations::<Test>::contains_key((1, node_id(9), keeper)));
        assert_eq!(
            refusals(),
            vec![
                (node_id(7), Error::<Test>::DuplicateObservation.into()),
                (node_id(9), Error::<Test>::NodeNotActive.into()),
            ]
        );
        // Two agreeing keepers of three: the node scores, and the epoch's total counts it once.
        let score = WorkScores::<Test>::get(1, node_id(7));
        assert!(score > 0);
        assert_eq!(crate::TotalWorkScore::<Test>::get(1), score as u128);
        // Charged for the worst case, refunded to what was done.
        let actual = done.unwrap().actual_weight.expect("refunded");
        assert!(
            actual.ref_time() < charged.ref_time(),
            "{actual:?} < {charged:?}"
        );
    });
}

#[test]
fn a_batch_of_nothing_but_refusals_fails_and_stores_nothing() {
    new_test_ext().execute_with(|| {
        let (assigned, unassigned) = setup_keepers();
        assert_noop!(
            observe_batch(unassigned, vec![observation(node_id(7), 10, 100)]).map_err(|e| e.error),
            Error::<Test>::KeeperNotAssigned
        );
        assert_noop!(
            observe_batch(assigned[0], vec![]).map_err(|e| e.error),
            Error::<Test>::NoObservations
        );
        // The first refusal names the error; nothing of the batch is kept, events included.
        assert_noop!(
            observe_batch(
                assigned[0],
                vec![
                    observation(node_id(9), 10, 100),
                    observation(node_id(7), 11, 100)
                ]
            )
            .map_err(|e| e.error),
            Error::<Test>::NodeNotActive
        );
    });
}

#[test]
fn a_keepers_assigned_nodes_are_listed_in_one_call_as_each_node_names_them() {
    new_test_ext().execute_with(|| {
        Keepers::set(
            [11, 12, 13, 14, 2]
                .into_iter()
                .map(|account| KeeperCandidate { account, weight: 1 })
                .collect(),
        );
        Params::<Test>::put(crate::GpowParams {
            keepers_per_node: 2,
            ..test_params()
        });
        let nodes = [node_id(7), node_id(8), node_id(9), node_id(10)];
        register(OPERATOR, 7);
        register(2, 8);
        register(2, 9);
        register(3, 10);
        run_to(21);
        let listed = |keeper| {
            Gpow::epoch_assignments(1)
                .expect("epoch 1 has a snapshot")
                .by_keeper()
                .remove(&keeper)
                .unwrap_or_default()
        };
        assert_eq!(Gpow::epoch_assignments(2), None, "not begun");
        for keeper in [11, 12, 13, 14, 2] {
            let expected: Vec<NodeId> = nodes
                .into_iter()
                .filter(|node| Gpow::keepers_of(1, node, 2).contains(&keeper))
                .collect();
            let mut got = listed(keeper);
            got.sort_by_key(|n| nodes.iter().position(|m| m == n));
            assert_eq!(got, expected, "keeper {keeper}");
        }
        let total: usize = [11, 12, 13, 14, 2]
            .into_iter()
            .map(|k| listed(k).len())
            .sum();
        assert_eq!(total, nodes.len() * 2, "two keepers per node");
        // An operator never watches its own nodes; an account outside the snapshot watches nothing.
        assert!(!listed(2).contains(&node_id(8)) && !listed(2).contains(&node_id(9)));
        assert!(listed(99).is_empty());
        // A node registered after the epoch started was not active at its start: nobody watches it for it.
        register(3, 11);
        assert!([11, 12, 13, 14, 2]
            .into_iter()
            .all(|k| !listed(k).contains(&node_id(11))));
    });
}

#[test]
fn observations_are_deleted_two_epochs_on_and_scores_kept_for_the_history_depth() {
    let mut ext = new_test_ext();
    ext.execute_with(|| {
        let (assigned, _) = setup_keepers();
        for keeper in &assigned {
            assert_ok!(observe(*keeper, observation(node_id(7), 10, 100)));
        }
        assert_eq!(Observations::<Test>::iter_prefix((1,)).count(), 3);
        // Epoch 3 starts at block 31: epoch 1's observation window closed long before.
        run_to(30);
        assert_eq!(Observations::<Test>::iter_prefix((1,)).count(), 3);
    });
    // One record per block (the mock's page), committed between blocks as a node does.
    let mut left = Vec::new();
    for block in 31..=34 {
        ext.commit_all().unwrap();
        left.push(ext.execute_with(|| {
            run_to(block);
            Observations::<Test>::iter_prefix((1,)).count()
        }));
    }
    assert_eq!(left, vec![2, 1, 0, 0]);
    ext.execute_with(|| {
        assert!(WorkScores::<Test>::get(1, node_id(7)) > 0, "scores stay");
        assert!(
            crate::PruneCursor::<Test>::get().is_none_or(|state| state.epoch <= 1),
            "epoch 1 is not older than the history depth yet"
        );
    });
}

#[test]
fn a_keeper_cannot_observe_its_own_operators_node() {
    new_test_ext().execute_with(|| {
        setup_keepers();
        assert_noop!(
            observe(OPERATOR, observation(node_id(7), 10, 100)),
            Error::<Test>::OwnNode
        );
    });
}

#[test]
fn one_keeper_cannot_capture_the_subsidy_with_an_absurd_bandwidth() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        let node = node_id(7);
        // 4e12 claimed by one keeper: no majority, no score.
        assert_ok!(observe(assigned[0], observation(node, 10, u32::MAX)));
        assert_eq!(WorkScores::<Test>::get(1, node), 0);
        // Two colluding keepers: the bandwidth is capped by what the node claimed (100 Mbit/s).
        assert_ok!(observe(assigned[1], observation(node, 10, u32::MAX)));
        assert_eq!(WorkScores::<Test>::get(1, node), 100_000);
        assert_eq!(
            Observations::<Test>::get((1, node, assigned[0]))
                .unwrap()
                .bandwidth_mbps,
            100
        );
    });
}

#[test]
fn moving_region_during_an_epoch_changes_nothing_for_it() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        let node = node_id(7);
        // Honest keepers measured epoch 1; the node now declares another country and 10x the bandwidth.
        let mut moved = caps(b"DE");
        moved.bandwidth_up_mbps = 1000;
        assert_ok!(EdgeNodes::update_capabilities(
            RuntimeOrigin::signed(OPERATOR),
            node,
            moved,
            Default::default()
        ));
        assert_eq!(
            Gpow::keepers_of(1, &node, 3),
            assigned,
            "epoch 1's keepers stay"
        );
        assert_ok!(observe(assigned[0], observation(node, 10, 1000)));
        assert_ok!(observe(assigned[1], observation(node, 10, 1000)));
        assert_eq!(
            WorkScores::<Test>::get(1, node),
            100_000,
            "capped by the 100 Mbit/s claimed when epoch 1 started"
        );
        // From epoch 3 on, the new declaration counts.
        run_to(31);
        assert_eq!(Gpow::node_state_at(&node, 3).bandwidth_up_mbps, 1000);
        assert_eq!(Gpow::node_state_at(&node, 2).bandwidth_up_mbps, 100);
    });
}

/// A blob of `len` pseudo-random bytes.
fn blob(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// Content id of `data`.
fn content_of(data: &[u8]) -> ContentId {
    ContentId(*blake3::hash(data).as_bytes())
}

/// Publishes `data` at its size.
fn publish(data: &[u8]) {
    Published::mutate(|p| p.insert(content_of(data), data.len() as u64));
}

/// Node `seed` of [`OPERATOR`], active from epoch 1, pinning each of `blobs` (published) since epoch 1; the
/// chain is at epoch 1's second block, where its seed is drawn.
fn storing_node(seed: u8, blobs: &[&[u8]]) {
    register(OPERATOR, seed);
    for data in blobs {
        publish(data);
        assert_ok!(EdgeNodes::pin(
            RuntimeOrigin::signed(OPERATOR),
            node_id(seed),
            content_of(data),
            data.len() as u64
        ));
    }
    run_to(12);
}

/// An answer for `node` on `data` in `epoch` as if it were challenged at length `len`: the chunks the epoch's
/// seed draws, with their paths in the whole of `data`.
fn answer_as_if_challenged(
    node: NodeId,
    epoch: u32,
    data: &[u8],
    len: u64,
) -> crate::StorageAnswerOf<Test> {
    let chunks = crate::sampling::storage_chunks(
        &crate::EpochSeeds::<Test>::get(epoch).unwrap(),
        &node,
        &content_of(data),
        len,
        test_params().storage_samples,
    );
    crate::testing::answer_of::<Test>(data, &chunks)
}

fn prove(node: NodeId, epoch: u32, data: &[u8]) -> sp_runtime::DispatchResult {
    Gpow::answer_storage_challenge(
        RuntimeOrigin::signed(9),
        node,
        epoch,
        content_of(data),
        crate::testing::storage_answer::<Test>(node, epoch, data),
    )
}

#[test]
fn nodes_prove_every_chunk_the_epoch_seed_draws_of_each_pin() {
    new_test_ext().execute_with(|| {
        let data = blob(10_000);
        storing_node(7, &[&data]);
        let challenges = Gpow::storage_challenges_of(1, &node_id(7));
        assert_eq!(challenges.len(), 1);
        assert_eq!(challenges[0].epoch, 1);
        assert_eq!(challenges[0].chunks.len(), 3, "storage_samples chunks");
        assert!(challenges[0].chunks.iter().all(|&c| c < 10), "10 chunks");
        let content = content_of(&data);
        let honest = crate::testing::storage_answer::<Test>(node_id(7), 1, &data);
        let answer = |samples: Vec<_>| {
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                1,
                content,
                BoundedVec::truncate_from(samples),
            )
        };

        // Other chunks than those drawn, each with its own valid proof, do not answer.
        let others = challenges[0]
            .chunks
            .iter()
            .map(|&c| {
                let (chunk, proof) = chunk_proof(&data, (c + 1) % 10).unwrap();
                (BoundedVec::truncate_from(chunk), proof)
            })
            .collect();
        assert_noop!(answer(others), Error::<Test>::WrongStorageProof);
        // One draw left out.
        assert_noop!(
            answer(honest[..2].to_vec()),
            Error::<Test>::WrongStorageProof
        );
        // A drawn chunk with one byte changed.
        let mut corrupted = honest.to_vec();
        corrupted[2].0[0] ^= 1;
        assert_noop!(answer(corrupted), Error::<Test>::WrongStorageProof);

        assert_ok!(answer(honest.to_vec()));
        assert_eq!(
            crate::StorageProvers::<Test>::get(1, content).into_inner(),
            vec![node_id(7)]
        );
        System::assert_last_event(
            Event::StorageProven {
                node: node_id(7),
                epoch: 1,
                content,
                ranked: true,
            }
            .into(),
        );
        assert_noop!(answer(honest.to_vec()), Error::<Test>::StorageAlreadyProven);
    });
}

/// Class 6: content pinned after the epoch began (after its seed, or after proving the other pins) is neither
/// challenged nor provable for that epoch, and a node inactive at the epoch's start proves nothing.
#[test]
fn a_pin_made_during_an_epoch_counts_from_the_next_one() {
    new_test_ext().execute_with(|| {
        let early = blob(5000);
        storing_node(7, &[&early]);
        let late = blob(3000);
        publish(&late);
        assert_ok!(EdgeNodes::pin(
            RuntimeOrigin::signed(OPERATOR),
            node_id(7),
            content_of(&late),
            late.len() as u64
        ));
        let challenged: Vec<_> = Gpow::storage_challenges_of(1, &node_id(7))
            .into_iter()
            .map(|c| c.content)
            .collect();
        assert_eq!(challenged, vec![content_of(&early)]);
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                1,
                content_of(&late),
                answer_as_if_challenged(node_id(7), 1, &late, late.len() as u64)
            ),
            Error::<Test>::NotPinned
        );
        assert_ok!(prove(node_id(7), 1, &early));

        // The next epoch challenges both.
        run_to(22);
        assert_eq!(Gpow::storage_challenges_of(2, &node_id(7)).len(), 2);
        assert_ok!(prove(node_id(7), 2, &late));

        // A node registered during epoch 2 was not active when it began.
        register(OPERATOR, 8);
        assert_ok!(EdgeNodes::pin(
            RuntimeOrigin::signed(OPERATOR),
            node_id(8),
            content_of(&early),
            early.len() as u64
        ));
        pallet_edge_nodes::Pins::<Test>::mutate(node_id(8), |pins| pins[0].since = 0);
        assert!(Gpow::storage_challenges_of(2, &node_id(8)).is_empty());
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(8),
                2,
                content_of(&early),
                answer_as_if_challenged(node_id(8), 2, &early, early.len() as u64)
            ),
            Error::<Test>::NodeNotActive
        );
    });
}

/// Class 6: a BLAKE3 chunk proof does not bind the blob's length (a prefix proves against the same root). A
/// node that kept only the first half of a published blob and pins it at a shorter length answers every draw
/// below that length; it is neither challenged nor paid for the pin, and a proof for it is refused.
#[test]
fn a_pin_shorter_than_the_published_content_is_not_paid() {
    new_test_ext().execute_with(|| {
        let data = blob(2048 * 1024);
        publish(&data);
        register(OPERATOR, 7);
        let kept = 1024 * 1024 + 1;
        assert_ok!(EdgeNodes::pin(
            RuntimeOrigin::signed(OPERATOR),
            node_id(7),
            content_of(&data),
            kept as u64
        ));
        run_to(12);
        assert!(Gpow::storage_challenges_of(1, &node_id(7)).is_empty());
        // Every draw over the short length lies in the kept half, whose paths (with the root's right child)
        // verify against the content id at that length.
        let answer = answer_as_if_challenged(node_id(7), 1, &data, kept as u64);
        let chunks = crate::sampling::storage_chunks(
            &crate::EpochSeeds::<Test>::get(1).unwrap(),
            &node_id(7),
            &content_of(&data),
            kept as u64,
            3,
        );
        assert!(chunks.iter().all(|&i| i < 1024));
        assert!(answer.iter().zip(&chunks).all(|((chunk, proof), &i)| {
            enreach_primitives::content::verify_chunk(
                &content_of(&data).0,
                kept as u64,
                i,
                chunk,
                proof,
            )
        }));
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                1,
                content_of(&data),
                answer
            ),
            Error::<Test>::NotPublished
        );
    });
}

/// A storage answer names its epoch: one sent near the end of an epoch and included after the next began still
/// answers its own epoch's draws; older epochs are closed, future ones have no challenge.
#[test]
fn storage_answers_name_their_epoch() {
    new_test_ext().execute_with(|| {
        let data = blob(20_000);
        storing_node(7, &[&data]);
        let answer = crate::testing::storage_answer::<Test>(node_id(7), 1, &data);
        run_to(22);
        assert_ok!(Gpow::answer_storage_challenge(
            RuntimeOrigin::signed(9),
            node_id(7),
            1,
            content_of(&data),
            answer.clone()
        ));
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                3,
                content_of(&data),
                answer.clone()
            ),
            Error::<Test>::NoStorageChallenge
        );
        run_to(31);
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                1,
                content_of(&data),
                answer
            ),
            Error::<Test>::StorageEpochClosed
        );
    });
}

/// Class 6: paid replica slots go to the provers the epoch seed ranks best, whatever the order they answered
/// in or their storage keys, and a worse-ranked prover is pushed out by a better one.
#[test]
fn replica_slots_go_to_the_best_ranked_provers_whatever_the_order() {
    let data = blob(4000);
    let provers = |order: &[u8]| {
        new_test_ext().execute_with(|| {
            register(OPERATOR, 7);
            register(OPERATOR, 8);
            register(OPERATOR, 9);
            publish(&data);
            for seed in [7, 8, 9] {
                assert_ok!(EdgeNodes::pin(
                    RuntimeOrigin::signed(OPERATOR),
                    node_id(seed),
                    content_of(&data),
                    data.len() as u64
                ));
            }
            run_to(12);
            for &seed in order {
                assert_ok!(prove(node_id(seed), 1, &data));
            }
            let seed = crate::EpochSeeds::<Test>::get(1).unwrap();
            let mut expected = vec![node_id(7), node_id(8), node_id(9)];
            expected.sort_by_key(|n| crate::sampling::replica_rank(&seed, &content_of(&data), n));
            expected.truncate(2);
            (
                crate::StorageProvers::<Test>::get(1, content_of(&data)).into_inner(),
                expected,
            )
        })
    };
    for order in [[7, 8, 9], [9, 8, 7], [8, 9, 7]] {
        let (ranked, expected) = provers(&order);
        assert_eq!(ranked, expected, "answered in order {order:?}");
    }
}
#[test]
fn old_epochs_are_pruned_a_page_per_block() {
    let mut ext = new_test_ext();
    ext.execute_with(|| {
        setup();
        register(OPERATOR, 8);
        let r = honest_receipts(4);
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            report_for(&r, 4000)
        ));
        let other = WorkReport {
            node: node_id(8),
            ..report_for(&r, 4000)
        };
        assert_ok!(Gpow::submit_work_report(
            RuntimeOrigin::signed(OPERATOR),
            other
        ));
        // HistoryDepth is 3: epoch 0's records are kept until epoch 3 starts at block 31.
        run_to(30);
        assert_eq!(
            Reports::<Test>::iter_prefix(0).count(),
            2,
            "kept while within the history depth"
        );
    });
    // A node commits every block's changes to its database before the next block; so does this test, since
    // the page limit counts records deleted from the database.
    let mut left = Vec::new();
    for block in 31..=33 {
        ext.commit_all().unwrap();
        left.push(ext.execute_with(|| {
            run_to(block);
            Reports::<Test>::iter_prefix(0).count()
        }));
    }
    assert_eq!(left, vec![1, 0, 0], "one record per block, from block 31");
    ext.execute_with(|| {
        run_to(41);
        assert_eq!(
            crate::PruneCursor::<Test>::get().map(|state| state.epoch),
            Some(1),
            "moved on to epoch 1 once all its maps are clear"
        );
    });
}

// --- Attack class 1: duplicated receipts (docs/PROTOCOL.md, threat model) -----------------------------------

/// Node 7 reports the attacker-built tree `rows` (leaves first, of `receipts`) as having `count` leaves and its
/// root's byte sum, answers every sample with the leaf at `pick(offset)` and its forged path, and lets the
/// deadline pass. Returns the answer's result and the bytes credited to the node in the end.
fn play_forged_rows(
    rows: &[Vec<TreeNode>],
    receipts: &[DeliveryReceipt],
    count: u32,
    pick: impl Fn(u64) -> u32,
) -> (sp_runtime::DispatchResult, u64) {
    let root = rows.last().unwrap()[0];
    assert_ok!(Gpow::submit_work_report(
        RuntimeOrigin::signed(OPERATOR),
        WorkReport {
            node: node_id(7),
            epoch: 0,
            receipts_root: root.hash,
            receipt_count: count,
            total_bytes: root.sum,
            compute_root: [0; 32],
            compute_receipt_count: 0,
            total_units: 0,
        }
    ));
    run_to(System::block_number() + 2);
    let offsets = Gpow::challenge_of(0, &node_id(7))
        .expect("challenge is open")
        .offsets;
    let reply = BoundedVec::truncate_from(
        offsets
            .iter()
            .map(|&o| {
                let leaf = pick(o);
                (receipts[leaf as usize].clone(), forgery::proof(rows, leaf))
            })
            .collect(),
    );
    let answered = Gpow::answer_challenge(
        RuntimeOrigin::signed(9),
        node_id(7),
        0,
        reply,
        BoundedVec::new(),
    )
    .map(|_| ())
    .map_err(|e| e.error);
    run_to(System::block_number() + 5);
    (answered, Credits::<Test>::get(0, (node_id(7), DAPP)))
}

/// [`play_forged_rows`] over the attacker's tree of `receipts` in the given order.
fn play_forged_tree(
    receipts: &[DeliveryReceipt],
    count: u32,
    pick: impl Fn(u64) -> u32,
) -> (sp_runtime::DispatchResult, u64) {
    let rows = forgery::rows(receipts.iter().map(TreeNode::leaf).collect());
    play_forged_rows(&rows, receipts, count, pick)
}

#[test]
fn copies_of_one_receipt_earn_no_more_than_the_receipt() {
    new_test_ext().execute_with(|| {
        setup();
        // One genuine 1000-byte receipt, committed eight times: 8000 bytes claimed.
        let copies = vec![receipt(node_id(7), 0, 1, 1, 1000, &client_key(1)); 8];
        let (answered, credited) = play_forged_tree(&copies, 8, |o| (o / 1000) as u32);
        assert_eq!(answered, Err(Error::<Test>::DuplicateReceipt.into()));
        assert!(
            credited <= 1000,
            "credited {credited} for one 1000-byte receipt"
        );
        assert_eq!(
            Reports::<Test>::get(0, node_id(7)).unwrap().status,
            ReportStatus::Voided
        );
    });
}

#[test]
fn every_cumulative_receipt_of_a_session_as_a_leaf_earns_no_more_than_the_last() {
    new_test_ext().execute_with(|| {
        setup();
        // One session's receipts at 1000, 2000, 3000, 4000 bytes: the session delivered 4000, 10 000 claimed.
        let cumulative: Vec<_> = (1..=4)
            .map(|n| receipt(node_id(7), 0, 1, 1, n * 1000, &client_key(1)))
            .collect();
        let starts = [0u64, 1000, 3000, 6000];
        let (answered, credited) = play_forged_tree(&cumulative, 4, |o| {
            starts.iter().rposition(|&s| s <= o).unwrap() as u32
        });
        assert_eq!(answered, Err(Error::<Test>::DuplicateReceipt.into()));
        assert!(
            credited <= 4000,
            "credited {credited} for a 4000-byte session"
        );
    });
}

#[test]
fn a_short_path_cannot_pass_for_a_leaf_of_a_huge_tree() {
    new_test_ext().execute_with(|| {
        setup();
        // Two genuine receipts, reported as a tree of a million leaves.
        let two: Vec<_> = (0..2)
            .map(|s| receipt(node_id(7), 0, 1, s, 1000, &client_key(1)))
            .collect();
        let (answered, credited) = play_forged_tree(&two, 1 << 20, |o| (o / 1000) as u32);
        assert_eq!(answered, Err(Error::<Test>::WrongProofShape.into()));
        assert_eq!(credited, 0);
    });
}

#[test]
fn a_receipt_that_does_not_cover_its_sampled_byte_is_refused() {
    new_test_ext().execute_with(|| {
        setup();
        // A small receipt answering for bytes a big one carries: the tree is honest, the answer is not.
        let r = vec![
            receipt(node_id(7), 0, 1, 1, 10, &client_key(1)),
            receipt(node_id(7), 0, 1, 2, 100_000, &client_key(1)),
        ];
        report_and_wait(&r, 100_010);
        let small = answer_picking(&tree(&r), |_| 0);
        assert_noop!(
            Gpow::answer_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                0,
                small,
                BoundedVec::new()
            ),
            Error::<Test>::WrongSample
        );
        assert_ok!(answer_with(&r));
        assert_eq!(Credits::<Test>::get(0, (node_id(7), DAPP)), 100_010);
    });
}

// --- Attack class 2: over-billing within a sampling tolerance ----------------------------------------------

#[test]
fn any_claim_above_the_receipts_sum_earns_nothing() {
    // The old rule credited a claim whenever the sample supported 80 % of it: 25 % over-billing was free.
    for claimed in [8_001, 8_800, 10_000] {
        new_test_ext().execute_with(|| {
            setup();
            let r = honest_receipts(8);
            report_and_wait(&r, claimed);
            assert_noop!(answer_with(&r), Error::<Test>::InflatedByteTotal);
            run_to(System::block_number() + 5);
            assert_eq!(Credits::<Test>::get(0, (node_id(7), DAPP)), 0);
        });
    }
    // The exact sum is credited in full.
    new_test_ext().execute_with(|| {
        setup();
        let r = honest_receipts(8);
        report_and_wait(&r, 8_000);
        assert_ok!(answer_with(&r));
        assert_eq!(Credits::<Test>::get(0, (node_id(7), DAPP)), 8_000);
    });
}

#[test]
fn a_lying_subtree_sum_is_caught_by_a_sample_under_it() {
    new_test_ext().execute_with(|| {
        setup();
        // Four honest receipts of 1000 bytes; the right pair's sum is claimed as 1 000 000. Nearly every sample
        // lands in the inflated range, where no path verifies.
        let r: Vec<_> = honest_receipts(4);
        let mut rows = forgery::rows(r.iter().map(TreeNode::leaf).collect());
        rows[1][1].sum = 1_000_000;
        rows[2] = vec![TreeNode::parent(&rows[1][0], &rows[1][1]).unwrap()];
        let (answered, credited) = play_forged_rows(&rows, &r, 4, |o| (o / 1000).min(2) as u32);
        assert_eq!(answered, Err(Error::<Test>::WrongMerklePath.into()));
        assert_eq!(credited, 0);
    });
}

// --- Compute metering (issue [2.4]) -----------------------------------------------------------------------

/// The code of the app the compute receipts below ran.
const APP_CODE: ContentId = ContentId([42; 32]);

/// A compute receipt from client `client` to `node` in `epoch`, session `session`, `units` in all, signed by
/// `signer`.
fn compute_receipt(
    node: NodeId,
    epoch: u32,
    client: u8,
    session: u8,
    units: u64,
    signer: &ed25519::Pair,
) -> ComputeReceipt {
    let mut r = ComputeReceipt {
        genesis_hash: genesis(),
        epoch,
        node,
        client: ClientKey(client_key(client).public().0),
        code: APP_CODE,
        session: SessionId([session; 16]),
        requests: 3,
        cumulative_units: units,
        transcript: [session; 32],
        signature: [0; 64],
    };
    r.signature = signer.sign(&r.signing_payload()).0;
    r
}

/// `count` honest compute receipts for node 7 in `epoch`, 1000 units each, from client 1.
fn honest_compute(epoch: u32, count: u8) -> Vec<ComputeReceipt> {
    (0..count)
        .map(|s| compute_receipt(node_id(7), epoch, 1, s, 1000, &client_key(1)))
        .collect()
}

/// Node 7's report for `epoch` of `delivery` bytes (none if empty) and of compute `root`, `count` and `units`.
fn report_with_compute(
    epoch: u32,
    delivery: &[DeliveryReceipt],
    (root, count, units): ([u8; 32], u32, u64),
) -> WorkReport {
    let bytes = match ReceiptTree::new(delivery.to_vec()) {
        Ok(tree) => (tree.root(), tree.len(), tree.total()),
        Err(_) => ([0; 32], 0, 0),
    };
    WorkReport {
        node: node_id(7),
        epoch,
        receipts_root: bytes.0,
        receipt_count: bytes.1,
        total_bytes: bytes.2,
        compute_root: root,
        compute_receipt_count: count,
        total_units: units,
    }
}

/// The compute part of the honest tree of `receipts`: root, leaf count, total.
fn compute_part(receipts: &[ComputeReceipt]) -> ([u8; 32], u32, u64) {
    let tree = ReceiptTree::new(receipts.to_vec()).unwrap();
    (tree.root(), tree.len(), tree.total())
}

/// The compute answer to node 7's challenge for `epoch` from the rows of a (possibly forged) tree over
/// `receipts` in leaf order: for each unit offset the leaf `pick` chooses.
fn compute_answer_from(
    epoch: u32,
    rows: &[Vec<TreeNode>],
    receipts: &[ComputeReceipt],
    pick: impl Fn(u64) -> u32,
) -> crate::ComputeAnswerOf<Test> {
    let offsets = Gpow::challenge_of(epoch, &node_id(7))
        .expect("challenge is open")
        .compute_offsets;
    BoundedVec::truncate_from(
        offsets
            .iter()
            .map(|&o| {
                let leaf = pick(o);
                (receipts[leaf as usize].clone(), forgery::proof(rows, leaf))
            })
            .collect(),
    )
}

/// The honest compute answer over the tree of `receipts`.
fn honest_compute_answer(epoch: u32, receipts: &[ComputeReceipt]) -> crate::ComputeAnswerOf<Test> {
    let tree = ReceiptTree::new(receipts.to_vec()).unwrap();
    let offsets = Gpow::challenge_of(epoch, &node_id(7))
        .expect("challenge is open")
        .compute_offsets;
    BoundedVec::truncate_from(
        offsets
            .iter()
            .map(|&o| {
                let leaf = tree.leaf_at(o).unwrap();
                (
                    tree.receipts()[leaf as usize].clone(),
                    tree.proof(leaf).unwrap(),
                )
            })
            .collect(),
    )
}

/// Node 7 reports `delivery` and the compute `part` for `epoch` and waits for the seed. Returns the honest
/// delivery answer.
fn report_compute(
    epoch: u32,
    delivery: &[DeliveryReceipt],
    part: ([u8; 32], u32, u64),
) -> crate::AnswerOf<Test> {
    assert_ok!(Gpow::submit_work_report(
        RuntimeOrigin::signed(OPERATOR),
        report_with_compute(epoch, delivery, part)
    ));
    run_to(System::block_number() + 2);
    if delivery.is_empty() {
        return BoundedVec::new();
    }
    let offsets = Gpow::challenge_of(epoch, &node_id(7)).unwrap().offsets;
    let tree = tree(delivery);
    BoundedVec::truncate_from(
        offsets
            .iter()
            .map(|&o| {
                let leaf = tree.leaf_at(o).unwrap();
                (
                    tree.receipts()[leaf as usize].clone(),
                    tree.proof(leaf).unwrap(),
                )
            })
            .collect(),
    )
}

/// Answers node 7's challenge for `epoch`.
fn answer_both(
    epoch: u32,
    answer: crate::AnswerOf<Test>,
    compute_answer: crate::ComputeAnswerOf<Test>,
) -> sp_runtime::DispatchResult {
    Gpow::answer_challenge(
        RuntimeOrigin::signed(9),
        node_id(7),
        epoch,
        answer,
        compute_answer,
    )
    .map(|_| ())
    .map_err(|e| e.error)
}

/// [`report_compute`], then the answer with the honest compute answer over `compute`.
fn report_compute_and_answer(
    epoch: u32,
    delivery: &[DeliveryReceipt],
    compute: &[ComputeReceipt],
) -> sp_runtime::DispatchResult {
    let part = if compute.is_empty() {
        ([0; 32], 0, 0)
    } else {
        compute_part(compute)
    };
    let answer = report_compute(epoch, delivery, part);
    let compute_answer = if compute.is_empty() {
        BoundedVec::new()
    } else {
        honest_compute_answer(epoch, compute)
    };
    answer_both(epoch, answer, compute_answer)
}

/// [`setup`] with the app's code registered.
fn setup_compute() {
    setup();
    AppCodes::mutate(|codes| codes.insert(APP_CODE));
}

#[test]
fn verified_compute_is_credited_to_the_paying_dapps_by_sample() {
    new_test_ext().execute_with(|| {
        setup_compute();
        authorize(2, OTHER_DAPP);
        let mut compute = honest_compute(0, 3);
        compute.extend(
            (0..3).map(|s| compute_receipt(node_id(7), 0, 2, 50 + s, 1000, &client_key(2))),
        );
        let delivery = honest_receipts(4);
        assert_ok!(report_compute_and_answer(0, &delivery, &compute));
        assert_eq!(
            Reports::<Test>::get(0, node_id(7)).unwrap().status,
            ReportStatus::Verified
        );
        let credited: u64 = ComputeCredits::<Test>::get(0, node_id(7))
            .iter()
            .map(|(_, units)| units)
            .sum();
        // Three samples split the 6000 units over the payers in thirds.
        assert_eq!(credited, 6_000);
        assert_eq!(Credits::<Test>::get(0, (node_id(7), DAPP)), 4_000);
        System::assert_last_event(
            Event::WorkVerified {
                node: node_id(7),
                epoch: 0,
                bytes: 4_000,
                units: 6_000,
            }
            .into(),
        );
    });
}

#[test]
fn a_report_of_compute_only_is_accepted_and_one_of_nothing_is_not() {
    new_test_ext().execute_with(|| {
        setup_compute();
        let compute = honest_compute(0, 2);
        assert_noop!(
            Gpow::submit_work_report(
                RuntimeOrigin::signed(OPERATOR),
                report_with_compute(0, &[], ([0; 32], 0, 0))
            ),
            Error::<Test>::EmptyReport
        );
        assert_ok!(report_compute_and_answer(0, &[], &compute));
        assert_eq!(
            ComputeCredits::<Test>::get(0, node_id(7)).into_inner(),
            vec![(DAPP, 2_000)]
        );
        assert_eq!(Credits::<Test>::get(0, (node_id(7), DAPP)), 0);
    });
}

#[test]
fn a_compute_answer_must_match_the_compute_claim() {
    new_test_ext().execute_with(|| {
        setup_compute();
        let compute = honest_compute(0, 2);
        // Units claimed, nothing answered.
        let answer = report_compute(0, &[], compute_part(&compute));
        assert_noop!(
            answer_both(0, answer, BoundedVec::new()),
            Error::<Test>::WrongComputeSample
        );
    });
    new_test_ext().execute_with(|| {
        setup_compute();
        let compute = honest_compute(0, 2);
        // No units claimed, receipts answered anyway.
        let stray = BoundedVec::truncate_from(vec![(
            compute[0].clone(),
            ReceiptTree::new(compute.clone()).unwrap().proof(0).unwrap(),
        )]);
        let answer = report_compute(0, &honest_receipts(2), ([0; 32], 0, 0));
        assert_noop!(
            answer_both(0, answer, stray),
            Error::<Test>::WrongComputeSample
        );
    });
}

#[test]
fn copies_of_one_compute_receipt_are_refused() {
    new_test_ext().execute_with(|| {
        setup_compute();
        let copies = vec![compute_receipt(node_id(7), 0, 1, 1, 1000, &client_key(1)); 4];
        let rows = forgery::rows(copies.iter().map(TreeNode::leaf).collect());
        let root = rows.last().unwrap()[0];
        let answer = report_compute(0, &[], (root.hash, 4, root.sum));
        assert_noop!(
            answer_both(
                0,
                answer,
                compute_answer_from(0, &rows, &copies, |o| (o / 1000) as u32)
            ),
            Error::<Test>::DuplicateReceipt
        );
    });
}

#[test]
fn an_inflated_unit_total_is_refused() {
    new_test_ext().execute_with(|| {
        setup_compute();
        let compute = honest_compute(0, 4);
        let (root, count, units) = compute_part(&compute);
        let answer = report_compute(0, &[], (root, count, units + 1));
        let rows = forgery::rows(compute.iter().map(TreeNode::leaf).collect());
        assert_noop!(
            answer_both(
                0,
                answer,
                compute_answer_from(0, &rows, &compute, |o| (o / 1000).min(3) as u32)
            ),
            Error::<Test>::InflatedUnitTotal
        );
    });
}

/// Each compute receipt an edge could forge or replay, alone in the tree, against the error that refuses it.
/// Each compute receipt an edge could forge or replay, with the error that refuses it (built in a test
/// externality: receipts name the genesis hash).
fn forged_compute_receipts() -> Vec<(ComputeReceipt, Error<Test>)> {
    let genuine = || compute_receipt(node_id(7), 0, 1, 1, 1000, &client_key(1));
    let resigned = |mut r: ComputeReceipt| {
        r.signature = client_key(1).sign(&r.signing_payload()).0;
        r
    };
    vec![
        (
            compute_receipt(node_id(7), 0, 1, 1, 1000, &client_key(3)),
            Error::<Test>::ForgedClientSignature,
        ),
        (
            ComputeReceipt {
                cumulative_units: 2000,
                ..genuine()
            },
            Error::<Test>::ForgedClientSignature,
        ),
        (
            compute_receipt(node_id(8), 0, 1, 1, 1000, &client_key(1)),
            Error::<Test>::ReceiptForOtherNode,
        ),
        (
            compute_receipt(node_id(7), 1, 1, 1, 1000, &client_key(1)),
            Error::<Test>::ReceiptFromOtherEpoch,
        ),
        (
            resigned(ComputeReceipt {
                genesis_hash: [9; 32],
                ..genuine()
            }),
            Error::<Test>::WrongGenesis,
        ),
        (
            resigned(ComputeReceipt {
                code: ContentId([43; 32]),
                ..genuine()
            }),
            Error::<Test>::UnknownAppCode,
        ),
        (
            compute_receipt(node_id(7), 0, 3, 1, 1000, &client_key(3)),
            Error::<Test>::UnauthorizedClient,
        ),
    ]
}

#[test]
fn compute_receipts_not_signed_for_this_node_epoch_chain_and_app_are_refused() {
    let cases = new_test_ext().execute_with(|| forged_compute_receipts().len());
    for case in 0..cases {
        new_test_ext().execute_with(|| {
            setup_compute();
            let (receipt, error) = forged_compute_receipts().remove(case);
            let one = [receipt];
            let answer = report_compute(0, &[], compute_part(&one));
            assert_noop!(
                answer_both(0, answer, honest_compute_answer(0, &one)),
                error
            );
        });
    }
}

#[test]
fn a_delivery_tree_cannot_be_answered_as_compute() {
    new_test_ext().execute_with(|| {
        setup_compute();
        // The node commits its delivery tree as its compute part too, and answers the compute samples with its
        // delivery receipts restated as compute receipts (same client, session, terms and amounts).
        let delivery = honest_receipts(2);
        let delivered = tree(&delivery);
        let restated: Vec<ComputeReceipt> = delivered
            .receipts()
            .iter()
            .map(|d| ComputeReceipt {
                genesis_hash: d.genesis_hash,
                epoch: d.epoch,
                node: d.node,
                client: d.client,
                code: APP_CODE,
                session: d.session,
                requests: 1,
                cumulative_units: d.cumulative_bytes,
                transcript: [0; 32],
                signature: d.signature,
            })
            .collect();
        let rows = forgery::rows(delivered.receipts().iter().map(TreeNode::leaf).collect());
        let answer = report_compute(
            0,
            &delivery,
            (delivered.root(), delivered.len(), delivered.total()),
        );
        assert_noop!(
            answer_both(
                0,
                answer,
                compute_answer_from(0, &rows, &restated, |o| (o / 1000) as u32)
            ),
            Error::<Test>::WrongMerklePath
        );
    });
}

/// Node 7's epoch-1 report with 3000 verified compute units, and its three assigned keepers (11 to 14 but
/// the node's operator), at block 23: its observations are open.
fn verified_compute_with_keepers() -> Vec<u64> {
    let (assigned, _) = setup_keepers();
    authorize(1, DAPP);
    AppCodes::mutate(|codes| codes.insert(APP_CODE));
    let compute = honest_compute(1, 3);
    assert_ok!(report_compute_and_answer(1, &[], &compute));
    assert_eq!(
        ComputeCredits::<Test>::get(1, node_id(7)).into_inner(),
        vec![(DAPP, 3_000)]
    );
    assigned
}

fn replayed(failed: u16) -> KeeperObservation {
    KeeperObservation {
        replays_sent: 2,
        replays_failed: failed,
        ..observation(node_id(7), 10, 100)
    }
}

#[test]
fn one_lying_keeper_cannot_refute_an_honest_nodes_compute() {
    new_test_ext().execute_with(|| {
        let assigned = verified_compute_with_keepers();
        assert_ok!(observe(assigned[0], replayed(2)));
        assert_ok!(observe(assigned[1], replayed(0)));
        assert_ok!(observe(assigned[2], replayed(0)));
        assert!(Offences::get().is_empty());
        assert_eq!(
            ComputeCredits::<Test>::get(1, node_id(7)).into_inner(),
            vec![(DAPP, 3_000)]
        );
        assert!(!Reports::<Test>::get(1, node_id(7)).unwrap().compute_refuted);
        // The liar is recorded for GPoS, which slashes repeat offenders.
        assert!(KeeperDeviations::<Test>::contains_key((
            1,
            node_id(7),
            assigned[0]
        )));
    });
}

#[test]
fn a_majority_of_failed_replays_voids_the_compute_and_reports_wrong_compute_once() {
    new_test_ext().execute_with(|| {
        let assigned = verified_compute_with_keepers();
        assert_noop!(
            observe(
                assigned[0],
                KeeperObservation {
                    replays_sent: 1,
                    ..replayed(2)
                }
            ),
            Error::<Test>::InconsistentObservation
        );
        assert_ok!(observe(assigned[0], replayed(1)));
        assert!(Offences::get().is_empty());
        assert_ok!(observe(assigned[1], replayed(2)));
        assert_eq!(
            Offences::get(),
            vec![(node_id(7), OPERATOR, 1, WorkOffence::WrongCompute)]
        );
        assert!(ComputeCredits::<Test>::get(1, node_id(7)).is_empty());
        assert!(Reports::<Test>::get(1, node_id(7)).unwrap().compute_refuted);
        assert!(System::events().iter().any(|r| r.event
            == Event::ComputeRefuted {
                node: node_id(7),
                epoch: 1,
                units: 3_000,
            }
            .into()));
        // The third keeper agrees: nothing is reported twice.
        assert_ok!(observe(assigned[2], replayed(2)));
        assert_eq!(Offences::get().len(), 1);
    });
}

/// A node answers its challenge late in the observation window, after its keepers observed it: their verdict
/// still applies once the answer verifies the report.
#[test]
fn failed_replays_observed_before_a_late_answer_refute_the_compute_it_verifies() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        authorize(1, DAPP);
        AppCodes::mutate(|codes| codes.insert(APP_CODE));
        let compute = honest_compute(1, 3);
        let answer = report_compute(1, &[], compute_part(&compute));
        assert_ok!(observe(assigned[0], replayed(2)));
        assert_ok!(observe(assigned[1], replayed(1)));
        assert!(Offences::get().is_empty(), "nothing verified to refute yet");
        assert_ok!(answer_both(1, answer, honest_compute_answer(1, &compute)));
        assert_eq!(
            Offences::get(),
            vec![(node_id(7), OPERATOR, 1, WorkOffence::WrongCompute)]
        );
        assert!(ComputeCredits::<Test>::get(1, node_id(7)).is_empty());
        assert!(Reports::<Test>::get(1, node_id(7)).unwrap().compute_refuted);
    });
}

#[test]
fn failed_replays_of_a_node_that_claimed_no_compute_frame_nobody() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        authorize(1, DAPP);
        let delivery: Vec<_> = (0..2)
            .map(|s| receipt(node_id(7), 1, 1, s, 1000, &client_key(1)))
            .collect();
        assert_ok!(report_compute_and_answer(1, &delivery, &[]));
        for keeper in &assigned {
            assert_ok!(observe(*keeper, replayed(2)));
        }
        assert!(Offences::get().is_empty());
    });
}
