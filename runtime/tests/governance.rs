//! OpenGov in the real runtime: a referendum on the `protocol_parameters` track changes the delivery price
//! through `pallet-parameters`, and the next settlement charges dApps at the new price. Blocks are produced
//! by running every pallet's `on_initialize`, so referenda, the scheduler, GPoW epochs, GPoS eras and
//! settlement all advance as on a chain.

use enreach_primitives::NodeId;
use enreach_runtime::{
    configs::governance::{
        dynamic_params::settlement as settlement_params, pallet_custom_origins, RuntimeParameters,
    },
    genesis_config_presets::get_preset,
    AllPalletsWithSystem, ConvictionVoting, OriginCaller, Preimage, Referenda, Runtime,
    RuntimeCall, RuntimeGenesisConfig, RuntimeOrigin, Settlement, System, UNIT,
};
use frame_support::{
    assert_ok,
    traits::{schedule::DispatchTime, Get, OnInitialize, StorePreimage},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_gpow::WorkAccounting;
use pallet_referenda::TracksInfo;
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

/// The development chain's genesis state.
fn dev_ext() -> sp_io::TestExternalities {
    let json = get_preset(&DEV_RUNTIME_PRESET.into()).expect("preset exists");
    let patch: serde_json::Value = serde_json::from_slice(&json).expect("preset is JSON");
    let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
    sc_chain_spec::json_patch::merge(&mut config, patch);
    let config: RuntimeGenesisConfig = serde_json::from_value(config).unwrap();
    let mut ext = sp_io::TestExternalities::new(config.build_storage().unwrap());
    ext.execute_with(|| run_to(1));
    ext
}

/// Produces blocks up to `n`, running every pallet's `on_initialize`.
fn run_to(n: u32) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        System::reset_events();
        AllPalletsWithSystem::on_initialize(next);
    }
}

fn signed(keyring: Sr25519Keyring) -> RuntimeOrigin {
    RuntimeOrigin::signed(keyring.to_account_id())
}

/// Submits a `protocol_parameters` referendum setting the delivery price, decided by the dev accounts' votes;
/// returns the block by which it is enacted at the latest.
fn pass_referendum_setting_delivery_price(price: u128) -> u32 {
    let call = RuntimeCall::Parameters(pallet_parameters::Call::set_parameter {
        key_value: RuntimeParameters::Settlement(settlement_params::Parameters::DeliveryPrice(
            settlement_params::DeliveryPrice,
            Some(price),
        )),
    });
    let proposal = Preimage::bound(call).expect("small calls are inlined");
    let index = pallet_referenda::ReferendumCount::<Runtime>::get();
    assert_ok!(Referenda::submit(
        signed(Sr25519Keyring::Alice),
        Box::new(OriginCaller::Origins(
            pallet_custom_origins::Origin::ProtocolParameters
        )),
        proposal,
        DispatchTime::After(1),
    ));
    assert_ok!(Referenda::place_decision_deposit(
        signed(Sr25519Keyring::Bob),
        index
    ));
    for voter in [
        Sr25519Keyring::Alice,
        Sr25519Keyring::Bob,
        Sr25519Keyring::Charlie,
        Sr25519Keyring::Dave,
    ] {
        assert_ok!(ConvictionVoting::vote(
            signed(voter),
            index,
            AccountVote::Standard {
                vote: Vote {
                    aye: true,
                    conviction: Conviction::Locked1x,
                },
                balance: 900_000 * UNIT,
            }
        ));
    }
    let track = enreach_runtime::configs::governance::track::PROTOCOL_PARAMETERS;
    let info = <Runtime as pallet_referenda::Config>::Tracks::info(track).expect("track exists");
    System::block_number()
        + info.prepare_period
        + info.confirm_period
        + info.min_enactment_period
        + 10
}

#[test]
fn a_referendum_changes_the_delivery_price_and_the_next_settlement_uses_it() {
    dev_ext().execute_with(|| {
        let old_price: u128 = settlement_params::DeliveryPrice::get();
        let new_price = old_price * 3;
        let deadline = pass_referendum_setting_delivery_price(new_price);
        let mut passed_at = None;
        while System::block_number() < deadline {
            run_to(System::block_number() + 1);
            if settlement_params::DeliveryPrice::get() == new_price {
                passed_at = Some(System::block_number());
                break;
            }
        }
        let passed_at = passed_at.expect("the referendum passed and was enacted");
        assert!(matches!(
            pallet_referenda::ReferendumInfoFor::<Runtime>::get(0),
            Some(pallet_referenda::ReferendumInfo::Approved(..))
        ));

        // A dApp's clients are served 5 GiB in the current epoch; when that epoch is settled, the new
        // price applies.
        let dapp = Sr25519Keyring::Eve;
        assert_ok!(Settlement::open_account(signed(dapp), 1_000 * UNIT));
        let epoch = pallet_gpow::CurrentEpoch::<Runtime>::get().unwrap().index;
        let operator = Sr25519Keyring::Ferdie.to_account_id();
        Settlement::on_traffic_verified(
            epoch,
            &NodeId([1; 32]),
            &operator,
            &dapp.to_account_id(),
            5 << 30,
        );
        let params = pallet_gpow::Params::<Runtime>::get().unwrap();
        run_to(passed_at + 3 * params.epoch_length + 20);
        let usage = pallet_settlement::Usage::<Runtime>::get(epoch, dapp.to_account_id());
        assert!(usage.settled, "epoch {epoch} settled");
        assert_eq!(usage.cost, 5 * new_price);
        let fee = <Runtime as pallet_settlement::Config>::ProtocolFee::get();
        assert_eq!(
            pallet_settlement::PendingRewards::<Runtime>::get(&operator),
            5 * new_price - fee.mul_ceil(5 * new_price)
        );
    });
}
