//! Registration of real nodes (ed25519 keys, proof of possession, deposit) for the tests of pallets built on
//! the registry.

use crate::{pop_payload, Config, Pallet};
use enreach_primitives::{Capabilities, Continent, NatType, NodeId, Region, SoftwareVersion};
use frame_system::RawOrigin;
use sp_core::{ed25519, Pair};

/// Capabilities of a modest node in `region`.
pub fn capabilities(region: Region) -> Capabilities {
    Capabilities {
        bandwidth_up_mbps: 100,
        bandwidth_down_mbps: 100,
        storage_gib: 100,
        cpu_cores: 2,
        memory_mib: 2048,
        gpu: None,
        region,
        nat: NatType::Public,
        hvm: None,
        version: SoftwareVersion {
            major: 0,
            minor: 1,
            patch: 0,
        },
    }
}

/// A node in Germany registered by `operator` with the key derived from `seed`; panics if registration fails.
pub fn register_node<T: Config>(operator: T::AccountId, seed: u8) -> NodeId {
    let key = ed25519::Pair::from_seed(&[seed; 32]);
    let node = NodeId(key.public().0);
    let genesis = frame_system::Pallet::<T>::block_hash(
        frame_system::pallet_prelude::BlockNumberFor::<T>::default(),
    );
    let proof = key.sign(&pop_payload(&operator, &genesis)).0;
    let region = Region {
        continent: Continent::Europe,
        country: *b"DE",
    };
    Pallet::<T>::register(
        RawOrigin::Signed(operator).into(),
        node,
        proof,
        capabilities(region),
        Default::default(),
    )
    .expect("test node registers");
    node
}
