//! OpenGov in the real runtime: a referendum on the `protocol_parameters` track changes the delivery price
//! through `pallet-parameters`, and the next settlement charges dApps at the new price; a referendum on the
//! `slash_cancellation` track cancels a deferred GPoS slash before it applies. Blocks are produced
//! as on a BABE chain (Alice's pre-digest, every pallet's hooks), so referenda, the scheduler, GPoW epochs,
//! BABE epochs with sessions and GPoS eras, and settlement all advance as on a chain.

mod common;

use enreach_primitives::NodeId;
use enreach_runtime::{
    configs::governance::{
        dynamic_params::settlement as settlement_params, pallet_custom_origins, track,
        RuntimeParameters,
    },
    ConvictionVoting, Gpos, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall, RuntimeOrigin,
    Settlement, System, UNIT,
};
use frame_support::{
    assert_ok,
    traits::{schedule::DispatchTime, Get, StorePreimage},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_gpow::{WorkAccounting, WorkOffence, WorkOffenceHandler};
use pallet_referenda::TracksInfo;
use sp_genesis_builder::DEV_RUNTIME_PRESET;
use sp_keyring::Sr25519Keyring;

/// The development chain's genesis state.
fn dev_ext() -> sp_io::TestExternalities {
    let mut ext = common::preset_ext(DEV_RUNTIME_PRESET);
    ext.execute_with(|| run_to(1));
    ext
}

/// Produces blocks up to `n`, one a slot, all authored by Alice (the development chain's only validator).
fn run_to(n: u32) {
    let alice = common::babe_pair(Sr25519Keyring::Alice);
    while System::block_number() < n {
        common::produce_block(&alice);
    }
}

fn signed(keyring: Sr25519Keyring) -> RuntimeOrigin {
    RuntimeOrigin::signed(keyring.to_account_id())
}

/// Submits a referendum dispatching `call` from `origin`, places its decision deposit and votes it in with
/// the dev accounts; returns the block by which it is enacted at the latest.
fn vote_in(call: RuntimeCall, origin: pallet_custom_origins::Origin, track: u16) -> u32 {
    let proposal = Preimage::bound(call).expect("small calls are inlined");
    let index = pallet_referenda::ReferendumCount::<Runtime>::get();
    assert_ok!(Referenda::submit(
        signed(Sr25519Keyring::Alice),
        Box::new(OriginCaller::Origins(origin)),
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
    let info = <Runtime as pallet_referenda::Config>::Tracks::info(track).expect("track exists");
    System::block_number()
        + info.prepare_period
        + info.confirm_period
        + info.min_enactment_period
        + 10
}

/// Runs blocks until `done` holds or `deadline` passes; returns the block at which it held.
fn run_until(deadline: u32, done: impl Fn() -> bool) -> Option<u32> {
    while System::block_number() < deadline {
        run_to(System::block_number() + 1);
        if done() {
            return Some(System::block_number());
        }
    }
    None
}

#[test]
fn a_referendum_changes_the_delivery_price_and_the_next_settlement_uses_it() {
    dev_ext().execute_with(|| {
        let old_price: u128 = settlement_params::DeliveryPrice::get();
        let new_price = old_price * 3;
        let call = RuntimeCall::Parameters(pallet_parameters::Call::set_parameter {
            key_value: RuntimeParameters::Settlement(settlement_params::Parameters::DeliveryPrice(
                settlement_params::DeliveryPrice,
                Some(new_price),
            )),
        });
        let deadline = vote_in(
            call,
            pallet_custom_origins::Origin::ProtocolParameters,
            track::PROTOCOL_PARAMETERS,
        );
        let passed_at = run_until(deadline, || {
            settlement_params::DeliveryPrice::get() == new_price
        })
        .expect("the referendum passed and was enacted");
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

#[test]
fn a_slash_cancellation_referendum_undoes_a_deferred_slash() {
    dev_ext().execute_with(|| {
        let operator = Sr25519Keyring::Ferdie.to_account_id();
        let node = pallet_edge_nodes::testing::register_node::<Runtime>(operator.clone(), 9);
        let deposit = || {
            pallet_edge_nodes::Nodes::<Runtime>::get(node)
                .unwrap()
                .deposit
        };
        let before = deposit();
        <Gpos as WorkOffenceHandler<_>>::on_offence(
            &node,
            &operator,
            0,
            WorkOffence::MissedChallenge,
        );
        let era = pallet_gpos::CurrentEra::<Runtime>::get()
            + <Runtime as pallet_gpos::Config>::SlashDeferDuration::get();
        assert_eq!(pallet_gpos::UnappliedSlashes::<Runtime>::get(era).len(), 1);

        let call = RuntimeCall::Gpos(pallet_gpos::Call::cancel_deferred_slash {
            era,
            indices: vec![0].try_into().unwrap(),
        });
        let deadline = vote_in(
            call,
            pallet_custom_origins::Origin::SlashCanceller,
            track::SLASH_CANCELLATION,
        );
        run_until(deadline, || {
            pallet_gpos::UnappliedSlashes::<Runtime>::get(era).is_empty()
        })
        .expect("the cancellation passed and was enacted");
        run_until(u32::MAX, || pallet_gpos::CurrentEra::<Runtime>::get() > era);
        assert_eq!(deposit(), before, "the cancelled slash never applied");
    });
}
