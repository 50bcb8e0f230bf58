//! The genesis presets build into a working state: the validators the presets name become the BABE and
//! GRANDPA authorities through pallet-session, BABE runs with VRF secondary slots, and the GPoW parameters
//! are valid.

use enreach_runtime::{
    configs::governance,
    genesis_config_presets::{self as presets, get_preset},
    Runtime, RuntimeGenesisConfig, DAYS, HOURS, MINUTES,
};
use frame_support::traits::Get;
use pallet_referenda::TracksInfo;
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_runtime::BuildStorage;

/// Builds the storage of preset `id` and runs `check` inside it.
fn with_preset(id: &str, check: impl FnOnce()) {
    let json = get_preset(&id.into()).expect("preset exists");
    let patch: serde_json::Value = serde_json::from_slice(&json).expect("preset is JSON");
    let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
    sc_chain_spec::json_patch::merge(&mut config, patch);
    let config: RuntimeGenesisConfig =
        serde_json::from_value(config).expect("preset matches the runtime's genesis");
    let storage = config.build_storage().expect("genesis builds");
    sp_io::TestExternalities::new(storage).execute_with(check);
}

#[test]
fn local_testnet_has_four_validators_in_babe_and_grandpa() {
    with_preset(LOCAL_TESTNET_RUNTIME_PRESET, || {
        assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 4);
        assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 4);
        assert_eq!(
            pallet_babe::EpochConfig::<Runtime>::get(),
            Some(enreach_runtime::BABE_GENESIS_EPOCH_CONFIG)
        );
        assert_eq!(
            enreach_runtime::BABE_GENESIS_EPOCH_CONFIG.allowed_slots,
            sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots
        );
        assert_eq!(
            pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(),
            4
        );
        assert!(pallet_sudo::Key::<Runtime>::get().is_some());
        // The validators are bonded GPoS keepers with effective stake in era 0, so elections keep them.
        assert_eq!(pallet_gpos::Candidates::<Runtime>::count(), 4);
        let (guarantor, backed) = presets::genesis_guarantee();
        for validator in pallet_session::Validators::<Runtime>::get() {
            let exposure = pallet_gpos::ErasExposure::<Runtime>::get(0, &validator)
                .expect("genesis keepers are exposed in era 0");
            let guaranteed = if validator == backed.to_account_id() {
                assert_eq!(
                    exposure.guarantors.into_inner(),
                    vec![(guarantor.to_account_id(), presets::GENESIS_GUARANTEE)]
                );
                presets::GENESIS_GUARANTEE
            } else {
                0
            };
            assert_eq!(exposure.total, presets::GENESIS_BOND + guaranteed);
        }
    });
}

#[test]
fn test_networks_have_short_eras_and_fast_referenda() {
    for preset in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
        with_preset(preset, || {
            assert_eq!(
                pallet_gpos::SessionsPerEra::<Runtime>::get(),
                presets::TEST_SESSIONS_PER_ERA
            );
            let production = <Runtime as pallet_gpos::Config>::SessionsPerEra::get();
            assert!(presets::TEST_SESSIONS_PER_ERA < production);
            let track = <Runtime as pallet_referenda::Config>::Tracks::info(
                governance::track::PROTOCOL_PARAMETERS,
            )
            .expect("track exists");
            // Production: 30 minutes to prepare, 3 hours to confirm, 7 days to decide.
            assert_eq!(
                track.prepare_period,
                30 * MINUTES / presets::TEST_TRACK_PERIOD_DIVISOR
            );
            assert_eq!(
                track.confirm_period,
                3 * HOURS / presets::TEST_TRACK_PERIOD_DIVISOR
            );
            assert_eq!(
                track.decision_period,
                7 * DAYS / presets::TEST_TRACK_PERIOD_DIVISOR
            );
        });
    }
    // Without a genesis setting, the production periods.
    sp_io::TestExternalities::default().execute_with(|| {
        let track = <Runtime as pallet_referenda::Config>::Tracks::info(
            governance::track::PROTOCOL_PARAMETERS,
        )
        .expect("track exists");
        assert_eq!(track.confirm_period, 3 * HOURS);
    });
}

#[test]
fn development_has_alice_alone_and_valid_gpow_parameters() {
    with_preset(DEV_RUNTIME_PRESET, || {
        assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), 1);
        let params = pallet_gpow::Params::<Runtime>::get().expect("GPoW configured at genesis");
        assert!(pallet_gpow::Pallet::<Runtime>::params_are_valid(&params));
        assert!(params.sample_size <= <Runtime as pallet_gpow::Config>::MaxSampleSize::get());
    });
}
