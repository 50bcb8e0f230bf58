//! What the runtime's integration tests share: a genesis preset's state, and blocks produced the way a BABE
//! chain produces them, so BABE's slots advance and end epochs, and with them sessions and GPoS eras.

use enreach_runtime::{
    genesis_config_presets::get_preset, AllPalletsWithSystem, Babe, Runtime, RuntimeGenesisConfig,
    RuntimeOrigin, System, Timestamp, SLOT_DURATION,
};
use frame_support::traits::{OnFinalize, OnInitialize};
use sp_consensus_babe::{
    digests::{CompatibleDigestItem, PreDigest, SecondaryVRFPreDigest},
    AuthorityIndex, AuthorityPair, Slot,
};
use sp_core::crypto::{Pair, VrfSecret};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{BuildStorage, Digest, DigestItem};

/// The genesis state of runtime preset `id` (`development`, `local_testnet`).
pub fn preset_ext(id: &str) -> sp_io::TestExternalities {
    let json = get_preset(&id.into()).expect("preset exists");
    let patch: serde_json::Value = serde_json::from_slice(&json).expect("preset is JSON");
    let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
    sc_chain_spec::json_patch::merge(&mut config, patch);
    let config: RuntimeGenesisConfig =
        serde_json::from_value(config).expect("preset matches the runtime's genesis");
    sp_io::TestExternalities::new(config.build_storage().expect("genesis builds"))
}

/// The BABE key of a well-known account (`//Alice` ...): the presets register it as its session key.
pub fn babe_pair(keyring: Sr25519Keyring) -> AuthorityPair {
    AuthorityPair::from_string(&keyring.to_seed(), None).expect("well-known seeds are valid")
}

/// Where `author` sits in the current BABE authority list.
pub fn authority_index(author: &AuthorityPair) -> AuthorityIndex {
    pallet_babe::Authorities::<Runtime>::get()
        .iter()
        .position(|(id, _)| *id == author.public())
        .expect("the author is a BABE authority") as AuthorityIndex
}

/// The pre-digest `author` puts in a block of `slot`: a secondary VRF slot claim whose VRF output, over the
/// randomness of the slot's epoch, becomes the block's randomness.
pub fn pre_digest(author: &AuthorityPair, slot: Slot) -> PreDigest {
    let genesis = pallet_babe::GenesisSlot::<Runtime>::get();
    let (epoch, randomness) = if *genesis == 0 {
        // The first block starts epoch 0, with the genesis randomness.
        (0, pallet_babe::Randomness::<Runtime>::get())
    } else {
        let epoch = sp_consensus_babe::epoch_index(
            slot,
            genesis,
            <Runtime as pallet_babe::Config>::EpochDuration::get(),
        );
        if epoch == pallet_babe::EpochIndex::<Runtime>::get() {
            (epoch, pallet_babe::Randomness::<Runtime>::get())
        } else {
            // This block starts the next epoch, whose randomness was announced an epoch ahead.
            (epoch, pallet_babe::NextRandomness::<Runtime>::get())
        }
    };
    let sign_data = sp_consensus_babe::make_vrf_sign_data(&randomness, slot, epoch);
    PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
        authority_index: authority_index(author),
        slot,
        vrf_signature: author.as_ref().vrf_sign(&sign_data),
    })
}

/// Opens the next block, authored by `author` in the slot after the current one, as the executive does:
/// initializes it with the author's BABE pre-digest, runs every pallet's `on_initialize` and sets the
/// timestamp (BABE checks it lies in the slot). Calls dispatched next run inside the block.
pub fn open_block(author: &AuthorityPair) {
    let number = System::block_number() + 1;
    let slot = Babe::current_slot() + 1;
    let digest = Digest {
        logs: vec![DigestItem::babe_pre_digest(pre_digest(author, slot))],
    };
    System::reset_events();
    System::initialize(&number, &System::parent_hash(), &digest);
    AllPalletsWithSystem::on_initialize(number);
    Timestamp::set(RuntimeOrigin::none(), *slot * SLOT_DURATION).expect("the slot's time is later");
}

/// Closes the open block: every pallet's `on_finalize` (BABE's folds the block's VRF output into the
/// epoch's randomness).
pub fn close_block() {
    AllPalletsWithSystem::on_finalize(System::block_number());
}

/// Produces the next block, authored by `author`.
pub fn produce_block(author: &AuthorityPair) {
    open_block(author);
    close_block();
}
