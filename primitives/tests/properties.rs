//! Properties of the shared formats: every type survives a SCALE round trip and a client's signature covers
//! every field of its receipt. The receipt tree has its own file (`receipt_tree.rs`).

use codec::{Decode, Encode};
use ed25519_dalek::{Signer, SigningKey, Verifier};
use enreach_primitives::{
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
                    hvm: (patch % 2 == 0).then_some(SoftwareVersion {
                        major: minor,
                        minor: patch,
                        patch: major,
                    }),
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
        roundtrip(&WorkReport {
            node: NodeId(node), epoch, receipts_root: root, receipt_count: count, total_bytes: total,
            compute_root: node, compute_receipt_count: count / 2, total_units: total / 3,
        });
        let (probes_answered, probes_sent, median_rtt_ms, storage_passed, storage_sent, bandwidth_mbps) = probes;
        roundtrip(&KeeperObservation {
            node: NodeId(node), epoch, probes_answered, probes_sent, median_rtt_ms, storage_passed, storage_sent,
            bandwidth_mbps, replays_sent: probes_sent, replays_failed: storage_passed,
        });
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
        hvm: None,
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
        ..good.clone()
    };
    assert_eq!(bad_gpu.validate(), Err(CapabilitiesError::InvalidGpu));
    // Apps need a core and memory to run on: a bandwidth-only node cannot claim a PeerHVM runtime.
    let runtime = Some(SoftwareVersion {
        major: 36,
        minor: 0,
        patch: 20,
    });
    let apps = Capabilities {
        hvm: runtime,
        ..good.clone()
    };
    assert_eq!(apps.validate(), Ok(()));
    let apps_without_compute = Capabilities {
        hvm: runtime,
        cpu_cores: 0,
        ..good
    };
    assert_eq!(
        apps_without_compute.validate(),
        Err(CapabilitiesError::HvmWithoutCompute)
    );
}
