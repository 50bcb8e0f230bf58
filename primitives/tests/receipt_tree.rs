//! The receipt tree against an attacker who builds whatever tree it likes: duplicated receipts, unsorted
//! leaves, lying byte sums, paths shorter than the leaf count implies. Honest trees prove every leaf and every
//! byte offset; in any tree, the leaves that verify have distinct keys, so no signed receipt counts twice.

use codec::{Decode, Encode};
use enreach_primitives::{
    merkle::{verify_receipt, ProofError, ReceiptProof, SummedLeaf, TreeError},
    ClientKey, ComputeReceipt, ContentId, DeliveryReceipt, LeafKey, NodeId, ReceiptTree, SessionId,
    TreeNode,
};
use proptest::prelude::*;

fn receipt(client: u8, session: u8, bytes: u64) -> DeliveryReceipt {
    DeliveryReceipt {
        genesis_hash: [1; 32],
        epoch: 3,
        node: NodeId([2; 32]),
        client: ClientKey([client; 32]),
        content: ContentId([4; 32]),
        session: SessionId([session; 16]),
        cumulative_bytes: bytes,
        signature: [5; 64],
    }
}

fn receipts_strategy() -> impl Strategy<Value = Vec<DeliveryReceipt>> {
    prop::collection::vec((0u8..4, 0u8..8, 1u64..1_000_000), 1..40).prop_map(|leaves| {
        leaves
            .into_iter()
            .map(|(c, s, b)| receipt(c, s, b))
            .collect()
    })
}

use enreach_primitives::merkle::forgery::{proof as forged_proof_of, rows as forged_rows};

fn forged_proof(rows: &[Vec<TreeNode>], index: usize) -> ReceiptProof {
    forged_proof_of(rows, index as u32)
}

proptest! {
    #[test]
    fn every_leaf_and_every_offset_proves(receipts in receipts_strategy(), pick in any::<prop::sample::Index>()) {
        let tree = ReceiptTree::new(receipts.clone()).unwrap();
        // One leaf per session, the highest receipt of each.
        let mut keys: Vec<LeafKey> = receipts.iter().map(SummedLeaf::key).collect();
        keys.sort();
        keys.dedup();
        prop_assert_eq!(tree.len() as usize, keys.len());
        let expected_total: u64 = keys
            .iter()
            .map(|k| receipts.iter().filter(|r| r.key() == *k).map(|r| r.cumulative_bytes).max().unwrap())
            .sum();
        prop_assert_eq!(tree.total(), expected_total);

        let mut next_offset = 0;
        for (i, r) in tree.receipts().iter().enumerate() {
            let proof = tree.proof(i as u32).unwrap();
            let start = verify_receipt(&tree.root(), tree.len(), tree.total(), r, &proof);
            prop_assert_eq!(start, Ok(next_offset), "leaf {} covers the bytes after its predecessor", i);
            next_offset += r.cumulative_bytes;
        }
        // Any offset leads to the leaf whose proven range covers it.
        let offset = pick.index(tree.total() as usize) as u64;
        let leaf = tree.leaf_at(offset).unwrap();
        let r = &tree.receipts()[leaf as usize];
        let start = verify_receipt(&tree.root(), tree.len(), tree.total(), r, &tree.proof(leaf).unwrap()).unwrap();
        prop_assert!(start <= offset && offset < start + r.cumulative_bytes);
        prop_assert_eq!(tree.leaf_at(tree.total()), None);
    }

    #[test]
    fn any_changed_byte_fails(
        receipts in receipts_strategy(),
        pick in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let tree = ReceiptTree::new(receipts).unwrap();
        let i = pick.index(tree.len() as usize);
        let r = &tree.receipts()[i];
        let proof = tree.proof(i as u32).unwrap();
        let check = |r: &DeliveryReceipt, p: &ReceiptProof, root: &[u8; 32]| {
            verify_receipt(root, tree.len(), tree.total(), r, p).is_ok()
        };
        let mut encoded = r.encode();
        let at = byte.index(encoded.len());
        encoded[at] ^= flip;
        prop_assert!(!check(&DeliveryReceipt::decode(&mut &encoded[..]).unwrap(), &proof, &tree.root()));
        let mut root = tree.root();
        root[byte.index(32)] ^= flip;
        prop_assert!(!check(r, &proof, &root));
        if !proof.siblings.is_empty() {
            let mut bad = proof.clone();
            let s = byte.index(bad.siblings.len());
            let mut sibling = bad.siblings[s].encode();
            let at = byte.index(sibling.len());
            sibling[at] ^= flip;
            bad.siblings[s] = TreeNode::decode(&mut &sibling[..]).unwrap();
            prop_assert!(!check(r, &bad, &tree.root()));
        }
        if tree.len() > 1 {
            let mut moved = proof.clone();
            moved.leaf_index = (i as u32 + 1) % tree.len();
            prop_assert!(!check(r, &moved, &tree.root()));
        }
    }

    /// Whatever tree the attacker commits to, the leaves it can prove have distinct keys: their bytes never add
    /// up to more than the distinct receipts it holds.
    #[test]
    fn verifying_leaves_of_any_tree_are_distinct(
        order in prop::collection::vec((0u8..3, 0u8..3, 1u64..1000), 1..24),
    ) {
        let receipts: Vec<DeliveryReceipt> = order.iter().map(|&(c, s, b)| receipt(c, s, b)).collect();
        let rows = forged_rows(receipts.iter().map(TreeNode::leaf).collect());
        let root = rows.last().unwrap()[0];
        let mut proven: Vec<(LeafKey, u64)> = Vec::new();
        for (i, r) in receipts.iter().enumerate() {
            if verify_receipt(&root.hash, receipts.len() as u32, root.sum, r, &forged_proof(&rows, i)).is_ok() {
                proven.push((r.key(), r.cumulative_bytes));
            }
        }
        let mut keys: Vec<LeafKey> = proven.iter().map(|(k, _)| *k).collect();
        keys.sort();
        keys.dedup();
        prop_assert_eq!(keys.len(), proven.len(), "a key proven twice");
    }
}

#[test]
fn a_tree_of_copies_of_one_receipt_fails_every_sample() {
    // The old attack: N copies of one real receipt, every copy a valid leaf of a plain Merkle tree.
    let copies = vec![TreeNode::leaf(&receipt(1, 1, 1000)); 8];
    let rows = forged_rows(copies);
    let root = rows.last().unwrap()[0];
    assert_eq!(root.sum, 8000);
    for i in 0..8 {
        assert_eq!(
            verify_receipt(
                &root.hash,
                8,
                8000,
                &receipt(1, 1, 1000),
                &forged_proof(&rows, i)
            ),
            Err(ProofError::Unordered),
            "copy {i}"
        );
    }
}

#[test]
fn every_cumulative_receipt_of_a_session_as_its_own_leaf_fails() {
    // Sorted by bytes, each receipt of one session as a leaf: same key, so out of order at every pair.
    let leaves: Vec<TreeNode> = (1..=4)
        .map(|n| TreeNode::leaf(&receipt(1, 1, n * 1000)))
        .collect();
    let rows = forged_rows(leaves);
    let root = rows.last().unwrap()[0];
    for i in 0..4 {
        let r = receipt(1, 1, (i as u64 + 1) * 1000);
        assert_eq!(
            verify_receipt(&root.hash, 4, root.sum, &r, &forged_proof(&rows, i)),
            Err(ProofError::Unordered)
        );
    }
    // Built honestly, the session is one leaf: its highest receipt.
    let tree = ReceiptTree::new((1..=4).map(|n| receipt(1, 1, n * 1000)).collect()).unwrap();
    assert_eq!((tree.len(), tree.total()), (1, 4000));
}

#[test]
fn a_short_path_cannot_pass_for_a_leaf_of_a_larger_tree() {
    // A two-leaf tree reported as if it had 1024 leaves: the path is one sibling long, ten are needed.
    let tree = ReceiptTree::new(vec![receipt(1, 1, 10), receipt(1, 2, 10)]).unwrap();
    let r = &tree.receipts()[0];
    let proof = tree.proof(0).unwrap();
    assert_eq!(
        verify_receipt(&tree.root(), 1024, tree.total(), r, &proof),
        Err(ProofError::WrongShape)
    );
    assert_eq!(
        verify_receipt(&tree.root(), 2, tree.total(), r, &proof),
        Ok(0)
    );
    let beyond = ReceiptProof {
        leaf_index: 2,
        ..proof
    };
    assert_eq!(
        verify_receipt(&tree.root(), 2, tree.total(), r, &beyond),
        Err(ProofError::WrongShape)
    );
}

#[test]
fn a_claimed_total_above_the_root_sum_fails() {
    let tree = ReceiptTree::new(vec![receipt(1, 1, 10), receipt(2, 1, 20)]).unwrap();
    let r = &tree.receipts()[1];
    assert_eq!(
        verify_receipt(&tree.root(), 2, 300, r, &tree.proof(1).unwrap()),
        Err(ProofError::WrongTotal)
    );
}

#[test]
fn a_lying_byte_sum_is_caught_by_any_sample_under_it() {
    // Four honest leaves; the attacker claims the right pair holds 1000x its bytes. Samples in the honest left
    // pair verify against the inflated root, but any offset in the inflated range has no valid path.
    let receipts: Vec<_> = (0..4).map(|s| receipt(1, s, 100)).collect();
    let mut rows = forged_rows(receipts.iter().map(TreeNode::leaf).collect());
    rows[1][1].sum = 200_000;
    let top = TreeNode::parent(&rows[1][0], &rows[1][1]).unwrap();
    rows[2] = vec![top];
    assert!(verify_receipt(&top.hash, 4, top.sum, &receipts[0], &forged_proof(&rows, 0)).is_ok());
    for (i, receipt) in receipts.iter().enumerate().skip(2) {
        assert_eq!(
            verify_receipt(&top.hash, 4, top.sum, receipt, &forged_proof(&rows, i)),
            Err(ProofError::WrongRoot)
        );
    }
    // The honest left pair is 200 bytes of 200 200 claimed: a sample passes with probability under 0.1 %.
    assert_eq!(rows[1][0].sum * 1000, top.sum - 200);
}

#[test]
fn an_empty_or_overflowing_tree_is_refused() {
    assert_eq!(
        ReceiptTree::<DeliveryReceipt>::new(vec![]).unwrap_err(),
        TreeError::Empty
    );
    assert_eq!(
        ReceiptTree::new(vec![receipt(1, 1, u64::MAX), receipt(1, 2, 1)]).unwrap_err(),
        TreeError::Overflow
    );
}

fn compute(client: u8, session: u8, units: u64) -> ComputeReceipt {
    ComputeReceipt {
        genesis_hash: [1; 32],
        epoch: 3,
        node: NodeId([2; 32]),
        client: ClientKey([client; 32]),
        code: ContentId([4; 32]),
        session: SessionId([session; 16]),
        requests: 1,
        cumulative_units: units,
        transcript: [6; 32],
        signature: [5; 64],
    }
}

#[test]
fn compute_receipts_form_the_same_tree_summed_by_units() {
    // Three sessions, the middle one reported at two points: one leaf per session, its highest receipt.
    let receipts = vec![
        compute(1, 1, 300),
        compute(2, 1, 100),
        compute(2, 1, 500),
        compute(1, 2, 50),
    ];
    let tree = ReceiptTree::new(receipts).unwrap();
    assert_eq!((tree.len(), tree.total()), (3, 850));
    let mut next_offset = 0;
    for (i, r) in tree.receipts().iter().enumerate() {
        let proof = tree.proof(i as u32).unwrap();
        assert_eq!(
            verify_receipt(&tree.root(), tree.len(), tree.total(), r, &proof),
            Ok(next_offset)
        );
        assert_eq!(tree.leaf_at(next_offset), Some(i as u32));
        next_offset += r.cumulative_units;
    }
    // Copies of one compute receipt are out of order, as delivery receipts are.
    let rows = forged_rows(vec![TreeNode::leaf(&compute(1, 1, 10)); 2]);
    let root = rows.last().unwrap()[0];
    assert_eq!(
        verify_receipt(
            &root.hash,
            2,
            20,
            &compute(1, 1, 10),
            &forged_proof(&rows, 1)
        ),
        Err(ProofError::Unordered)
    );
    assert_eq!(
        ReceiptTree::new(vec![compute(1, 1, u64::MAX), compute(1, 2, 1)]).unwrap_err(),
        TreeError::Overflow
    );
}

#[test]
fn a_delivery_leaf_never_verifies_as_a_compute_leaf() {
    // The same key and the same amount in both kinds: a leaf hash of one kind must not be one of the other, so a
    // node cannot commit one tree and answer it as both parts of its report.
    let delivery = receipt(1, 1, 1000);
    let compute = compute(1, 1, 1000);
    let (d, c) = (TreeNode::leaf(&delivery), TreeNode::leaf(&compute));
    assert_eq!((d.sum, d.first), (c.sum, c.first));
    assert_ne!(d.hash, c.hash);
    // A one-leaf delivery tree claimed as compute: its root is the delivery leaf, which no compute receipt is.
    let tree = ReceiptTree::new(vec![delivery.clone()]).unwrap();
    let proof = tree.proof(0).unwrap();
    assert_eq!(
        verify_receipt(&tree.root(), 1, 1000, &compute, &proof),
        Err(ProofError::WrongRoot)
    );
    // Nor is the hash of a compute leaf ever that of the same bytes as a delivery leaf or an inner node: every
    // hash is BLAKE3 of a prefix naming its kind, then the encoding.
    let hash = |prefix: u8, bytes: &[u8]| {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&[prefix]);
        hasher.update(bytes);
        *hasher.finalize().as_bytes()
    };
    assert_eq!(c.hash, hash(ComputeReceipt::LEAF_PREFIX, &compute.encode()));
    assert_eq!(
        d.hash,
        hash(DeliveryReceipt::LEAF_PREFIX, &delivery.encode())
    );
    assert_ne!(ComputeReceipt::LEAF_PREFIX, DeliveryReceipt::LEAF_PREFIX);
}
