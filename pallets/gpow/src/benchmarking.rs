//! FRAME v2 benchmarks of every GPoW call and of the paged hooks, each in its most expensive path: answers
//! with `k` delivery and `c` compute receipts, real ed25519-signed, with receipt-tree paths of the greatest
//! depth, observations with the node's other keepers' already stored, a compute refutation taking back the
//! credit of a full sample of payers, epoch starts with a full keeper snapshot, and a full page of expiring
//! challenges.

use super::*;
use crate::Pallet as Gpow;
use alloc::vec::Vec;
use enreach_primitives::{
    merkle::{ReceiptProof, MAX_PROOF_DEPTH},
    ComputeReceipt, ContentId, Continent, DeliveryReceipt, LeafKey, ReceiptTree, Region, SessionId,
    TreeNode,
};
use frame_benchmarking::v2::*;
use frame_support::pallet_prelude::*;
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use pallet_edge_nodes::NodeRegistry;
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::{One, Saturating};

const BENCH_KEY_TYPE: KeyTypeId = KeyTypeId(*b"gpwb");

/// Deepest storage proof benchmarked (blobs up to 4 MiB, what a runtime benchmark can hash); deeper paths are
/// charged by the slope, measured with every sample at this depth.
const STORAGE_BENCH_DEPTH: u32 = 12;

fn content_id(i: u32) -> ContentId {
    let mut id = [0u8; 32];
    id[..4].copy_from_slice(&i.to_le_bytes());
    ContentId(id)
}

fn region() -> Region {
    Region {
        continent: Continent::Europe,
        country: *b"FR",
    }
}

fn params<T: Config>(sample_size: u32) -> GpowParams<BlockNumberFor<T>> {
    GpowParams {
        epoch_length: 100u32.into(),
        submission_window: 50u32.into(),
        challenge_delay: One::one(),
        answer_window: 20u32.into(),
        sample_size,
        compute_sample_size: T::MaxSampleSize::get(),
        keepers_per_node: T::MaxKeepersPerNode::get(),
        keeper_tolerance_percent: 20,
        max_bandwidth_mbps: 10_000,
        storage_samples: T::MaxStorageSamples::get(),
        // Every challenge benchmarked is an audit with the sample it names.
        audit_percent: 100,
        light_sample_size: sample_size,
    }
}

/// Epoch 1 in progress since the current block, so reports and observations for epoch 0 are accepted.
fn in_submission_window<T: Config>(sample_size: u32) {
    Params::<T>::put(params::<T>(sample_size));
    let now = frame_system::Pallet::<T>::block_number().max(One::one());
    frame_system::Pallet::<T>::set_block_number(now);
    CurrentEpoch::<T>::put(EpochInfo {
        index: 1,
        start: now,
    });
    EpochSeeds::<T>::insert(0, [7u8; 32]);
}

/// A node registered and active, operated by `operator`.
fn active_node<T: Config>(index: u32) -> (NodeId, T::AccountId) {
    let operator: T::AccountId = account("operator", index, 0);
    let mut id = [0u8; 32];
    id[..4].copy_from_slice(&index.to_le_bytes());
    let node = NodeId(id);
    T::Registry::register_for_benchmark(node, operator.clone(), region());
    (node, operator)
}

/// A report of `node` for epoch 0 with each part's root, leaf count and total.
fn report(node: NodeId, delivery: (Hash32, u32, u64), compute: (Hash32, u32, u64)) -> WorkReport {
    WorkReport {
        node,
        epoch: 0,
        receipts_root: delivery.0,
        receipt_count: delivery.1,
        total_bytes: delivery.2,
        compute_root: compute.0,
        compute_receipt_count: compute.1,
        total_units: compute.2,
    }
}

fn report_of(node: NodeId, receipts: &[DeliveryReceipt]) -> WorkReport {
    let tree = ReceiptTree::new(receipts.to_vec()).expect("receipts form a tree");
    report(
        node,
        (tree.root(), tree.len(), tree.total()),
        ([0; 32], 0, 0),
    )
}

/// The costliest tree to check: `u32::MAX` leaves, so every proof is `MAX_PROOF_DEPTH` siblings long, with
/// `receipt` as leaf 0 holding the whole sum (its siblings hold none), so every sampled offset lands on it.
/// Returns the part of a report it makes (root, leaf count, total) and the receipt's proof.
fn deepest_tree<L: SummedLeaf>(receipt: &L) -> ((Hash32, u32, u64), ReceiptProof) {
    let mut path = TreeNode::leaf(receipt);
    let siblings: Vec<TreeNode> = (0..MAX_PROOF_DEPTH)
        .map(|level| {
            let mut session = [0u8; 16];
            session[12..].copy_from_slice(&(level + 1).to_be_bytes());
            let key = LeafKey {
                client: ClientKey([0xff; 32]),
                session: SessionId(session),
            };
            let sibling = TreeNode {
                hash: [level as u8; 32],
                sum: 0,
                first: key,
                last: key,
            };
            path = TreeNode::parent(&path, &sibling).expect("keys increase up the path");
            sibling
        })
        .collect();
    (
        (path.hash, u32::MAX, path.sum),
        ReceiptProof {
            leaf_index: 0,
            siblings,
        },
    )
}

/// A new client key in the benchmark keystore, authorized for a dApp.
fn paying_client<T: Config>() -> sp_core::ed25519::Public {
    let client = sp_io::crypto::ed25519_generate(BENCH_KEY_TYPE, None);
    let payer: T::AccountId = account("dapp", 0, 0);
    T::ClientAuthority::authorize_for_benchmark(&ClientKey(client.0), &payer);
    client
}

/// `client`'s signature of `payload`.
fn sign(client: &sp_core::ed25519::Public, payload: &[u8]) -> [u8; 64] {
    sp_io::crypto::ed25519_sign(BENCH_KEY_TYPE, client, payload)
        .expect("key generated in this keystore")
        .0
}

/// A compute receipt for `node` in epoch 0 of an app's code, signed by a client key authorized for a dApp.
fn signed_compute_receipt<T: Config>(node: NodeId) -> ComputeReceipt {
    let client = paying_client::<T>();
    let code = ContentId([2; 32]);
    T::Apps::deploy_for_benchmark(&code);
    let mut receipt = ComputeReceipt {
        genesis_hash: Gpow::<T>::genesis_hash(),
        epoch: 0,
        node,
        client: ClientKey(client.0),
        code,
        session: SessionId([1; 16]),
        requests: 1000,
        cumulative_units: 1 << 30,
        transcript: [3; 32],
        signature: [0; 64],
    };
    receipt.signature = sign(&client, &receipt.signing_payload());
    receipt
}

/// `count` receipts for `node` in epoch 0, signed by one client key authorized for a dApp.
fn signed_receipts<T: Config>(node: NodeId, count: u32) -> Vec<DeliveryReceipt> {
    let client = paying_client::<T>();
    let genesis = Gpow::<T>::genesis_hash();
    (0..count)
        .map(|i| {
            let mut session = [0u8; 16];
            session[..4].copy_from_slice(&i.to_le_bytes());
            let mut receipt = DeliveryReceipt {
                genesis_hash: genesis,
                epoch: 0,
                node,
                client: ClientKey(client.0),
                content: ContentId([1; 32]),
                session: SessionId(session),
                cumulative_bytes: 1 << 20,
                signature: [0; 64],
            };
            receipt.signature = sign(&client, &receipt.signing_payload());
            receipt
        })
        .collect()
}

fn observation(node: NodeId, bandwidth: u32) -> KeeperObservation {
    KeeperObservation {
        node,
        epoch: 0,
        probes_answered: 10,
        probes_sent: 10,
        median_rtt_ms: 25,
        storage_passed: 3,
        storage_sent: 3,
        bandwidth_mbps: bandwidth,
        replays_sent: 4,
        replays_failed: 0,
    }
}

/// Fills the challenges due at `deadline` up to one below the bound, with other nodes' entries first: the list a
/// report appends to and an answer takes its entry out of is decoded and written whole.
fn crowd_deadline<T: Config>(deadline: BlockNumberFor<T>) {
    Deadlines::<T>::mutate(deadline, |due| {
        let mut full: Vec<(EpochIndex, NodeId)> = (1..T::MaxReportsPerBlock::get())
            .map(|i| {
                let mut other = [0xff; 32];
                other[..4].copy_from_slice(&i.to_le_bytes());
                (1, NodeId(other))
            })
            .collect();
        full.extend(due.iter().cloned());
        *due = BoundedVec::truncate_from(full);
    });
}

/// A report of node 0 challenged with `k` delivery and `c` compute samples (no compute part for none), and the
/// answer to each: every sample answered by one receipt on the deepest path a tree may have.
fn challenged_answer<T: Config>(k: u32, c: u32) -> (NodeId, AnswerOf<T>, ComputeAnswerOf<T>) {
    in_submission_window::<T>(k);
    Params::<T>::mutate(|params| {
        if let Some(params) = params {
            params.compute_sample_size = c.max(1);
        }
    });
    let (node, operator) = active_node::<T>(0);
    let receipt = signed_receipts::<T>(node, 1).remove(0);
    let compute = signed_compute_receipt::<T>(node);
    let (delivery_part, proof) = deepest_tree(&receipt);
    let (compute_part, compute_proof) = deepest_tree(&compute);
    let claim = report(
        node,
        delivery_part,
        if c > 0 { compute_part } else { ([0; 32], 0, 0) },
    );
    Gpow::<T>::submit_work_report(RawOrigin::Signed(operator).into(), claim).expect("valid report");
    let now = frame_system::Pallet::<T>::block_number();
    let seed_block = now.saturating_add(One::one());
    BlockSeeds::<T>::insert(seed_block, [5u8; 32]);
    frame_system::Pallet::<T>::set_block_number(seed_block.saturating_add(One::one()));
    let challenge = Gpow::<T>::challenge_of(0, &node).expect("challenge open");
    assert_eq!(
        (challenge.offsets.len(), challenge.compute_offsets.len()),
        (k as usize, c as usize)
    );
    crowd_deadline::<T>(challenge.deadline);
    let answer: AnswerOf<T> = BoundedVec::truncate_from(
        challenge
            .offsets
            .iter()
            .map(|_| (receipt.clone(), proof.clone()))
            .collect(),
    );
    let compute_answer: ComputeAnswerOf<T> = BoundedVec::truncate_from(
        challenge
            .compute_offsets
            .iter()
            .map(|_| (compute.clone(), compute_proof.clone()))
            .collect(),
    );
    (node, answer, compute_answer)
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn submit_work_report() {
        in_submission_window::<T>(T::MaxSampleSize::get());
        let (node, operator) = active_node::<T>(0);
        let receipts = signed_receipts::<T>(node, 4);
        let report = report_of(node, &receipts);
        let params = Params::<T>::get().expect("configured");
        crowd_deadline::<T>(
            frame_system::Pallet::<T>::block_number()
                .saturating_add(params.challenge_delay)
                .saturating_add(params.answer_window),
        );

        #[extrinsic_call]
        _(RawOrigin::Signed(operator), report);

        assert!(Reports::<T>::contains_key(0, node));
    }

    /// `k` delivery and `c` compute samples. `k` starts at 1 so every report claims something; a compute-only
    /// answer is charged the fit's value at `k` = 0. A compute answer also reads the node's keepers and their
    /// observations, whose cost the fit puts in its base: answers without compute are charged by
    /// `answer_delivery` instead.
    #[benchmark]
    fn answer_challenge(
        k: Linear<1, { T::MaxSampleSize::get() }>,
        c: Linear<0, { T::MaxSampleSize::get() }>,
    ) {
        let (node, answer, compute_answer) = challenged_answer::<T>(k, c);
        let caller: T::AccountId = whitelisted_caller();

        #[extrinsic_call]
        answer_challenge(RawOrigin::Signed(caller), node, 0, answer, compute_answer);

        assert_eq!(
            Reports::<T>::get(0, node).map(|r| r.status),
            Some(ReportStatus::Verified)
        );
    }

    /// `k` delivery samples and no compute part: most answers (bandwidth only).
    #[benchmark]
    fn answer_delivery(k: Linear<1, { T::MaxSampleSize::get() }>) {
        let (node, answer, compute_answer) = challenged_answer::<T>(k, 0);
        let caller: T::AccountId = whitelisted_caller();

        #[extrinsic_call]
        answer_challenge(RawOrigin::Signed(caller), node, 0, answer, compute_answer);

        assert_eq!(
            Reports::<T>::get(0, node).map(|r| r.status),
            Some(ReportStatus::Verified)
        );
    }

    /// `f` observations of nodes nobody observed yet and `p` of nodes whose `MaxKeepersPerNode - 1` other
    /// keepers all observed first (agreeing: deviation rewrites are charged as database work by the call), from
    /// a full keeper snapshot that draws the observing keeper for every node.
    #[benchmark]
    fn submit_observations(
        f: Linear<1, { T::MaxObservationsPerCall::get() / 2 }>,
        p: Linear<0, { T::MaxObservationsPerCall::get() / 2 }>,
    ) {
        in_submission_window::<T>(T::MaxSampleSize::get());
        let keeper: T::AccountId = account("keeper", 0, 0);
        let keepers: Vec<KeeperCandidate<T::AccountId>> = (0..T::MaxKeepers::get())
            .map(|i| KeeperCandidate {
                account: account("keeper", i, 0),
                weight: if i == 0 { u64::MAX / 2 } else { 1 },
            })
            .collect();
        EpochKeepers::<T>::insert(0, BoundedVec::truncate_from(keepers));
        let nodes: Vec<NodeId> = (0..f + p).map(|i| active_node::<T>(i).0).collect();
        for node in &nodes[f as usize..] {
            for other in Gpow::<T>::keepers_of(0, node, T::MaxKeepersPerNode::get())
                .iter()
                .filter(|k| **k != keeper)
            {
                Observations::<T>::insert((0, *node, other), observation(*node, 100));
            }
        }
        let batch: Vec<KeeperObservation> = nodes.iter().map(|n| observation(*n, 100)).collect();

        #[extrinsic_call]
        _(
            RawOrigin::Signed(keeper.clone()),
            BoundedVec::truncate_from(batch),
        );

        for node in &nodes {
            assert!(Observations::<T>::contains_key((0, *node, &keeper)));
        }
    }

    /// A verified report whose compute was credited to `p` payers, refuted by its keepers.
    #[benchmark]
    fn refute_compute(p: Linear<1, { T::MaxSampleSize::get() }>) {
        in_submission_window::<T>(T::MaxSampleSize::get());
        let (node, operator) = active_node::<T>(0);
        let claim = report(node, ([0; 32], 0, 0), ([1; 32], 1, 1 << 30));
        Reports::<T>::insert(
            0,
            node,
            ReportRecord {
                report: claim,
                operator,
                status: ReportStatus::Verified,
                compute_refuted: false,
            },
        );
        let credits: Vec<(T::AccountId, u64)> =
            (0..p).map(|i| (account("dapp", i, 0), 1 << 20)).collect();
        ComputeCredits::<T>::insert(0, node, BoundedVec::truncate_from(credits));

        #[block]
        {
            Gpow::<T>::refute_compute(0, &node);
        }

        assert!(Reports::<T>::get(0, node).is_some_and(|r| r.compute_refuted));
    }

    #[benchmark]
    fn set_params() -> Result<(), BenchmarkError> {
        let origin =
            T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
        let new = params::<T>(T::MaxSampleSize::get());

        #[extrinsic_call]
        _(origin as T::RuntimeOrigin, new.clone());

        assert_eq!(Params::<T>::get(), Some(new));
        Ok(())
    }

    #[benchmark]
    fn start_epoch(n: Linear<0, { T::MaxKeepers::get() }>) {
        Params::<T>::put(params::<T>(T::MaxSampleSize::get()));
        T::Keepers::set_for_benchmark(
            (0..n)
                .map(|i| KeeperCandidate {
                    account: account("keeper", i, 0),
                    weight: 1,
                })
                .collect(),
        );
        // Two epochs back exist, so pruning runs too.
        CurrentEpoch::<T>::put(EpochInfo {
            index: 2,
            start: One::one(),
        });
        EpochSeeds::<T>::insert(1, [1u8; 32]);
        EpochKeepers::<T>::insert(1, BoundedVec::default());

        #[block]
        {
            Gpow::<T>::start_epoch(3, 200u32.into());
        }

        assert_eq!(CurrentEpoch::<T>::get().map(|e| e.index), Some(3));
        assert_eq!(EpochKeepers::<T>::get(3).len() as u32, n);
    }

    #[benchmark]
    fn expire_challenges(n: Linear<0, { T::MaxExpiriesPerBlock::get() }>) {
        in_submission_window::<T>(T::MaxSampleSize::get());
        let deadline = frame_system::Pallet::<T>::block_number();
        let mut due = BoundedVec::<_, T::MaxReportsPerBlock>::default();
        for i in 0..n {
            let (node, operator) = active_node::<T>(i);
            Reports::<T>::insert(
                0,
                node,
                ReportRecord {
                    report: report(node, ([0; 32], 1, 1), ([0; 32], 0, 0)),
                    operator,
                    status: ReportStatus::Challenged {
                        seed_block: deadline,
                        deadline,
                    },
                    compute_refuted: false,
                },
            );
            due.try_push((0, node))
                .expect("MaxExpiriesPerBlock <= MaxReportsPerBlock");
        }
        Deadlines::<T>::insert(deadline, due);
        ExpiryCursor::<T>::put(deadline);
        let now = deadline.saturating_add(One::one());

        #[block]
        {
            Gpow::<T>::expire_challenges(now);
        }

        assert!(Deadlines::<T>::get(deadline).is_empty());
    }

    /// `s` chunks with `d`-level paths (a blob of 2^d KiB) of the last of a full list of pins, into a content's
    /// list of provers one short of full.
    #[benchmark]
    fn answer_storage_challenge(
        s: Linear<1, { T::MaxStorageSamples::get() }>,
        d: Linear<1, STORAGE_BENCH_DEPTH>,
    ) {
        in_submission_window::<T>(T::MaxSampleSize::get());
        let mut params = params::<T>(T::MaxSampleSize::get());
        params.storage_samples = s;
        Params::<T>::put(params);
        EpochSeeds::<T>::insert(1, [3u8; 32]);
        let (node, _) = active_node::<T>(0);
        for i in 1..T::Registry::max_pins() {
            T::Registry::pin_for_benchmark(node, content_id(i), 1 << 20);
        }
        let data: Vec<u8> = (0..(1u32 << (10 + d))).map(|i| (i % 251) as u8).collect();
        let content = ContentId(*blake3::hash(&data).as_bytes());
        T::Registry::pin_for_benchmark(node, content, data.len() as u64);
        T::Contents::publish_for_benchmark(&content, data.len() as u64);
        let others: Vec<NodeId> = (1..T::MaxReplicas::get())
            .map(|i| active_node::<T>(i).0)
            .collect();
        StorageProvers::<T>::insert(1, content, BoundedVec::truncate_from(others));
        let challenge = Gpow::<T>::storage_challenges_of(1, &node)
            .into_iter()
            .find(|c| c.content == content)
            .expect("pinned");
        let answer: StorageAnswerOf<T> = BoundedVec::truncate_from(
            challenge
                .chunks
                .iter()
                .map(|&i| {
                    let (chunk, proof) =
                        enreach_primitives::content::chunk_proof(&data, i).expect("in range");
                    (BoundedVec::truncate_from(chunk), proof)
                })
                .collect::<Vec<_>>(),
        );
        assert_eq!(Gpow::<T>::deepest_path(&answer), d);
        let caller: T::AccountId = whitelisted_caller();

        #[extrinsic_call]
        _(RawOrigin::Signed(caller), node, 1, content, answer);

        assert!(StorageProvers::<T>::get(1, content).contains(&node));
    }

    #[benchmark]
    fn prune_old_epochs(n: Linear<0, { T::MaxPrunePerBlock::get() }>) {
        let depth = T::HistoryDepth::get();
        CurrentEpoch::<T>::put(EpochInfo {
            index: depth,
            start: One::one(),
        });
        PruneCursor::<T>::put(PruneState::default());
        for i in 0..n {
            let mut id = [0u8; 32];
            id[..4].copy_from_slice(&i.to_le_bytes());
            let operator: T::AccountId = account("operator", i, 0);
            Reports::<T>::insert(
                0,
                NodeId(id),
                ReportRecord {
                    report: report(NodeId(id), ([0; 32], 1, 1), ([0; 32], 0, 0)),
                    operator,
                    status: ReportStatus::Verified,
                    compute_refuted: false,
                },
            );
        }

        #[block]
        {
            Gpow::<T>::prune_old_epochs();
        }

        assert_eq!(Reports::<T>::iter_prefix(0).count(), 0);
    }

    impl_benchmark_test_suite!(Gpow, crate::mock::new_bench_ext(), crate::mock::Test);
}
