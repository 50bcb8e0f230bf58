//! Every call and named error of GPoW, with real ed25519 receipts in real Merkle trees.

use crate::{
    mock::*, Credits, Error, Event, KeeperCandidate, KeeperDeviations, Observations, Params,
    ReportStatus, Reports, WorkOffence, WorkScores,
};
use enreach_primitives::{
    merkle::{receipt_proof, receipts_root},
    Capabilities, ClientKey, ContentId, Continent, DeliveryReceipt, KeeperObservation, NatType,
    NodeId, Region, SessionId, SoftwareVersion, WorkReport,
};
use frame_support::{assert_noop, assert_ok, BoundedVec};
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
    let caps = Capabilities {
        bandwidth_up_mbps: 100,
        bandwidth_down_mbps: 100,
        storage_gib: 100,
        cpu_cores: 2,
        memory_mib: 2048,
        gpu: None,
        region: region(b"FR"),
        nat: NatType::Public,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    };
    assert_ok!(EdgeNodes::register(
        RuntimeOrigin::signed(operator),
        node_id(seed),
        proof,
        caps,
        Default::default()
    ));
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

fn report_for(receipts: &[DeliveryReceipt], total: u64) -> WorkReport {
    WorkReport {
        node: node_id(7),
        epoch: 0,
        receipts_root: receipts_root(receipts),
        receipt_count: receipts.len() as u32,
        total_bytes: total,
    }
}

/// The answer to node 7's epoch-0 challenge built from `receipts`.
fn answer(receipts: &[DeliveryReceipt]) -> crate::AnswerOf<Test> {
    let (indices, _) = Gpow::challenge_of(0, &node_id(7)).expect("challenge is open");
    BoundedVec::truncate_from(
        indices
            .iter()
            .map(|&i| {
                (
                    receipts[i as usize].clone(),
                    receipt_proof(receipts, i).unwrap(),
                )
            })
            .collect(),
    )
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
    Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, answer(receipts))
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
            reply.clone()
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
            }
            .into(),
        );
        assert!(
            Gpow::challenge_of(0, &node_id(7)).is_none(),
            "nothing left to answer"
        );
        assert_noop!(
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, reply),
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
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, BoundedVec::new()),
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
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, BoundedVec::new()),
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
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, late),
            Error::<Test>::LateAnswer
        );
    });
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
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, short),
            Error::<Test>::WrongSample
        );
        // The right count, but receipts the challenge did not pick.
        let (indices, _) = Gpow::challenge_of(0, &node_id(7)).unwrap();
        let unpicked: Vec<u32> = (0..8).filter(|i| !indices.contains(i)).take(4).collect();
        let wrong = BoundedVec::truncate_from(
            unpicked
                .iter()
                .map(|&i| (r[i as usize].clone(), receipt_proof(&r, i).unwrap()))
                .collect(),
        );
        assert_noop!(
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, wrong),
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
        bad[0].1.siblings[0][0] ^= 1;
        assert_noop!(
            Gpow::answer_challenge(RuntimeOrigin::signed(9), node_id(7), 0, bad),
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
            crate::GpowParams {
                min_sampled_bytes_percent: 101,
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
    }
}

/// Keepers 11, 12, 13 in FR (the node's region) and 14 in DE, eligible from epoch 1 on; node 7 registered;
/// at block 21, when observations of epoch 1 are accepted.
fn setup_keepers() -> (Vec<u64>, u64) {
    Keepers::set(
        [(11, b"FR"), (12, b"FR"), (13, b"FR"), (14, b"DE")]
            .into_iter()
            .map(|(account, country)| KeeperCandidate {
                account,
                region: region(country),
                weight: 1,
            })
            .collect(),
    );
    new_test_ext_setup_keepers_inner()
}

fn new_test_ext_setup_keepers_inner() -> (Vec<u64>, u64) {
    register(OPERATOR, 7);
    run_to(21);
    let assigned = Gpow::keepers_of(1, &node_id(7), 2);
    assert_eq!(assigned.len(), 2);
    let unassigned = [11, 12, 13, 14]
        .into_iter()
        .find(|k| !assigned.contains(k))
        .unwrap();
    (assigned, unassigned)
}

#[test]
fn keepers_are_assigned_from_the_nodes_region_deterministically() {
    new_test_ext().execute_with(|| {
        let (assigned, _) = setup_keepers();
        assert!(
            assigned.iter().all(|k| [11, 12, 13].contains(k)),
            "FR keepers first: {assigned:?}"
        );
        assert_eq!(
            Gpow::keepers_of(1, &node_id(7), 2),
            assigned,
            "same seed, same assignment"
        );
        // Fewer local keepers than asked for: the others fill in.
        let four = Gpow::keepers_of(1, &node_id(7), 4);
        assert_eq!(four.len(), 4);
        assert!(four.contains(&14));
    });
}

#[test]
fn only_assigned_keepers_observe_and_the_median_sets_the_score() {
    new_test_ext().execute_with(|| {
        let (assigned, unassigned) = setup_keepers();
        let node = node_id(7);
        assert_noop!(
            Gpow::submit_observation(
                RuntimeOrigin::signed(unassigned),
                observation(node, 10, 100)
            ),
            Error::<Test>::KeeperNotAssigned
        );
        assert_noop!(
            Gpow::submit_observation(
                RuntimeOrigin::signed(assigned[0]),
                observation(node, 11, 100)
            ),
            Error::<Test>::InconsistentObservation
        );
        assert_noop!(
            Gpow::submit_observation(
                RuntimeOrigin::signed(assigned[0]),
                KeeperObservation {
                    epoch: 2,
                    ..observation(node, 10, 100)
                }
            ),
            Error::<Test>::ObservationOutsideWindow
        );
        assert_ok!(Gpow::submit_observation(
            RuntimeOrigin::signed(assigned[0]),
            observation(node, 10, 100)
        ));
        assert_noop!(
            Gpow::submit_observation(
                RuntimeOrigin::signed(assigned[0]),
                observation(node, 10, 100)
            ),
            Error::<Test>::DuplicateObservation
        );
        // The second keeper claims a dead node is fully up at 10x the bandwidth: with two observations the
        // lower median holds, and the liar is recorded as deviating.
        assert_ok!(Gpow::submit_observation(
            RuntimeOrigin::signed(assigned[1]),
            observation(node, 10, 1000)
        ));
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
        assert_eq!(Observations::<Test>::iter_prefix((1, node)).count(), 2);
        // What GPoS reads: both keepers vouch for the final score, only the liar counts a deviation, and the
        // epoch's total follows the score (not the sum of every intermediate score).
        assert_eq!(crate::KeeperOversight::<Test>::get(1, assigned[0]), 100_000);
        assert_eq!(crate::KeeperOversight::<Test>::get(1, assigned[1]), 100_000);
        assert_eq!(crate::DeviationCount::<Test>::get(1, assigned[1]), 1);
        assert_eq!(crate::DeviationCount::<Test>::get(1, assigned[0]), 0);
        assert_eq!(crate::TotalWorkScore::<Test>::get(1), 100_000);
        run_to(26);
        assert_noop!(
            Gpow::submit_observation(
                RuntimeOrigin::signed(assigned[0]),
                observation(node, 10, 100)
            ),
            Error::<Test>::ObservationOutsideWindow
        );
    });
}

/// A blob of `len` pseudo-random bytes.
fn blob(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
fn nodes_prove_they_store_a_random_chunk_of_their_pinned_content() {
    use enreach_primitives::content::chunk_proof;
    new_test_ext().execute_with(|| {
        register(OPERATOR, 7);
        let data = blob(10_000);
        let content = ContentId(*blake3::hash(&data).as_bytes());
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                Default::default(),
                Default::default()
            ),
            Error::<Test>::NoStorageChallenge
        );
        assert_ok!(EdgeNodes::pin(
            RuntimeOrigin::signed(OPERATOR),
            node_id(7),
            content,
            data.len() as u64
        ));
        let challenge =
            Gpow::storage_challenge_of(0, &node_id(7)).expect("a pinned node is challenged");
        assert_eq!(challenge.content, content);
        assert!(challenge.chunk < 10, "10 000 bytes are 10 chunks");

        // Another chunk than the one challenged, with its own valid proof, does not answer the challenge.
        let other = (challenge.chunk + 1) % 10;
        let (wrong_chunk, wrong_proof) = chunk_proof(&data, other).unwrap();
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                BoundedVec::truncate_from(wrong_chunk),
                wrong_proof
            ),
            Error::<Test>::WrongStorageProof
        );
        // The right chunk with one byte changed.
        let (chunk, proof) = chunk_proof(&data, challenge.chunk).unwrap();
        let mut corrupted = chunk.clone();
        corrupted[0] ^= 1;
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                BoundedVec::truncate_from(corrupted),
                proof.clone()
            ),
            Error::<Test>::WrongStorageProof
        );
        assert_ok!(Gpow::answer_storage_challenge(
            RuntimeOrigin::signed(9),
            node_id(7),
            BoundedVec::truncate_from(chunk.clone()),
            proof.clone()
        ));
        assert!(crate::StorageProofs::<Test>::contains_key(0, node_id(7)));
        System::assert_last_event(
            Event::StorageProven {
                node: node_id(7),
                epoch: 0,
                content,
            }
            .into(),
        );
        assert_noop!(
            Gpow::answer_storage_challenge(
                RuntimeOrigin::signed(9),
                node_id(7),
                BoundedVec::truncate_from(chunk),
                proof
            ),
            Error::<Test>::StorageAlreadyProven
        );
    });
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
        run_to(40);
        assert_eq!(
            crate::PruneCursor::<Test>::get().map(|state| state.epoch),
            Some(1),
            "moved on to epoch 1 once all its maps are clear"
        );
    });
}
