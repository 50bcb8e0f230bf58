//! Properties of the shared formats: every type survives a SCALE round trip, every receipt's Merkle proof
//! verifies, and any changed byte (in the receipt, the proof or the root) makes verification fail.

use codec::{Decode, Encode};
use ed25519_dalek::{Signer, SigningKey, Verifier};
use enreach_primitives::{
    merkle::{receipt_proof, receipts_root, verify_receipt},
    Capabilities, ClientKey, ContentId, Continent, DeliveryReceipt, Gpu, KeeperObservation,
    NatType, NodeId, Region, SessionId, SoftwareVersion, WorkReport,
};
use proptest::prelude::*;

fn receipt_strategy() -> impl Strategy<Value = DeliveryReceipt> {
    (
        any::<[u8; 32]>(),
        any::<u32>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<[u8; 32]>(),
        any::<[u8; 16]>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 64),
    )
        .prop_map(
            |(genesis_hash, epoch, node, client, content, session, cumulative_bytes, sig)| {
                DeliveryReceipt {
                    genesis_hash,
                    epoch,
                    node: NodeId(node),
                    client: ClientKey(client),
                    content: ContentId(content),
                    session: SessionId(session),
                    cumulative_bytes,
                    signature: sig.try_into().unwrap(),
                }
            },
        )
}

fn capabilities_strategy() -> impl Strategy<Value = Capabilities> {
    (
        any::<(u32, u32, u32, u16, u32)>(),
        prop::option::of(any::<(u16, u16, u8, u32)>()),
        0u8..7,
        any::<[u8; 2]>(),
        0u8..4,
        any::<(u16, u16, u16)>(),
    )
        .prop_map(
            |(
                (up, down, storage, cores, mem),
                gpu,
                continent,
                country,
                nat,
                (major, minor, patch),
            )| {
                Capabilities {
                    bandwidth_up_mbps: up,
                    bandwidth_down_mbps: down,
                    storage_gib: storage,
                    cpu_cores: cores,
                    memory_mib: mem,
                    gpu: gpu.map(|(vendor_id, device_id, count, memory_mib)| Gpu {
                        vendor_id,
                        device_id,
                        count,
                        memory_mib,
                    }),
                    region: Region {
                        continent: Continent::decode(&mut &[continent][..]).unwrap(),
                        country,
                    },
                    nat: NatType::decode(&mut &[nat][..]).unwrap(),
                    version: SoftwareVersion {
                        major,
                        minor,
                        patch,
                    },
                }
            },
        )
}

fn roundtrip<T: Encode + Decode + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = value.encode();
    let decoded = T::decode(&mut &bytes[..]).expect("decodes");
    assert_eq!(&decoded, value);
}

proptest! {
    #[test]
    fn receipts_roundtrip(receipt in receipt_strategy()) {
        roundtrip(&receipt);
    }

    #[test]
    fn capabilities_roundtrip(caps in capabilities_strategy()) {
        roundtrip(&caps);
    }

    #[test]
    fn reports_and_observations_roundtrip(
        node in any::<[u8; 32]>(), epoch in any::<u32>(), root in any::<[u8; 32]>(), count in any::<u32>(),
        total in any::<u64>(), probes in any::<(u16, u16, u32, u16, u16, u32)>(),
    ) {
        roundtrip(&WorkReport { node: NodeId(node), epoch, receipts_root: root, receipt_count: count, total_bytes: total });
        let (probes_answered, probes_sent, median_rtt_ms, storage_passed, storage_sent, bandwidth_mbps) = probes;
        roundtrip(&KeeperObservation {
            node: NodeId(node), epoch, probes_answered, probes_sent, median_rtt_ms, storage_passed, storage_sent,
            bandwidth_mbps,
        });
    }

    #[test]
    fn every_leaf_proves_and_any_changed_byte_fails(
        receipts in prop::collection::vec(receipt_strategy(), 1..40),
        pick in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let root = receipts_root(&receipts);
        for (i, receipt) in receipts.iter().enumerate() {
            let proof = receipt_proof(&receipts, i as u32).expect("leaf exists");
            prop_assert!(verify_receipt(&root, receipt, &proof), "leaf {} of {} verifies", i, receipts.len());
        }

        let i = pick.index(receipts.len());
        let proof = receipt_proof(&receipts, i as u32).unwrap();

        // A changed byte anywhere in the receipt.
        let mut encoded = receipts[i].encode();
        let at = byte.index(encoded.len());
        encoded[at] ^= flip;
        let tampered = DeliveryReceipt::decode(&mut &encoded[..]).unwrap();
        prop_assert!(!verify_receipt(&root, &tampered, &proof));

        // A changed byte in the root.
        let mut bad_root = root;
        bad_root[byte.index(32)] ^= flip;
        prop_assert!(!verify_receipt(&bad_root, &receipts[i], &proof));

        // A changed byte in any sibling.
        if !proof.siblings.is_empty() {
            let mut bad = proof.clone();
            let s = byte.index(bad.siblings.len());
            bad.siblings[s][byte.index(32)] ^= flip;
            prop_assert!(!verify_receipt(&root, &receipts[i], &bad));
        }

        // The right receipt at the wrong position.
        if receipts.len() > 1 {
            let mut moved = proof.clone();
            moved.leaf_index = ((i + 1) % receipts.len()) as u32;
            prop_assert!(receipts[i] == receipts[moved.leaf_index as usize] || !verify_receipt(&root, &receipts[i], &moved));
        }
    }

    #[test]
    fn client_signature_covers_every_field(receipt in receipt_strategy(), byte in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let mut receipt = receipt;
        receipt.client = ClientKey(key.verifying_key().to_bytes());
        receipt.signature = key.sign(&receipt.signing_payload()).to_bytes();
        let verify = |r: &DeliveryReceipt| {
            key.verifying_key().verify(&r.signing_payload(), &ed25519_dalek::Signature::from_bytes(&r.signature)).is_ok()
        };
        prop_assert!(verify(&receipt));

        // Change one byte of the signed fields (everything before the 64-byte signature).
        let mut encoded = receipt.encode();
        let at = byte.index(encoded.len() - 64);
        encoded[at] ^= flip;
        let tampered = DeliveryReceipt::decode(&mut &encoded[..]).unwrap();
        prop_assert!(!verify(&tampered));
    }
}

#[test]
fn proof_for_missing_leaf_is_none_and_empty_tree_has_zero_root() {
    assert_eq!(receipts_root(&[]), [0u8; 32]);
    assert!(receipt_proof(&[], 0).is_none());
}

#[test]
fn capabilities_validation_names_the_problem() {
    use enreach_primitives::node::CapabilitiesError;
    let good = Capabilities {
        bandwidth_up_mbps: 100,
        bandwidth_down_mbps: 100,
        storage_gib: 500,
        cpu_cores: 4,
        memory_mib: 8192,
        gpu: None,
        region: Region {
            continent: Continent::Europe,
            country: *b"DE",
        },
        nat: NatType::Cone,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    };
    assert_eq!(good.validate(), Ok(()));
    let nothing = Capabilities {
        bandwidth_up_mbps: 0,
        storage_gib: 0,
        cpu_cores: 0,
        ..good.clone()
    };
    assert_eq!(nothing.validate(), Err(CapabilitiesError::NothingOffered));
    let bad_country = Capabilities {
        region: Region {
            continent: Continent::Europe,
            country: *b"de",
        },
        ..good.clone()
    };
    assert_eq!(
        bad_country.validate(),
        Err(CapabilitiesError::InvalidCountry)
    );
    let bad_gpu = Capabilities {
        gpu: Some(Gpu {
            vendor_id: 0x10de,
            device_id: 1,
            count: 0,
            memory_mib: 1,
        }),
        ..good
    };
    assert_eq!(bad_gpu.validate(), Err(CapabilitiesError::InvalidGpu));
}
