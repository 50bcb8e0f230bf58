//! Every call and named error of GPoS, and the scenarios the protocol promises: stake above the limit earns
//! nothing, the election follows effective stake into the session's validators, offences slash after the
//! deferral unless governance cancels them.

use crate::{
    mock::*, Candidates, CurrentEra, ErasExposure, ErasRewardPot, Error, Event, Guarantees,
    KeeperPrefs, Ledgers, SlashReason, SlashTarget, StakingRewards, UnappliedSlashes,
};
use enreach_primitives::{Continent, NodeId, Region};
use frame_support::{
    assert_noop, assert_ok,
    traits::fungible::{Inspect, InspectHold},
    BoundedVec,
};
use pallet_edge_nodes::NodeStatus;
use pallet_gpow::{KeeperSet, WorkOffence, WorkOffenceHandler};
use sp_runtime::{testing::UintAuthorityId, DispatchError, Perbill};

/// The region every test keeper works from.
pub fn region() -> Region {
    Region {
        continent: Continent::Europe,
        country: *b"DE",
    }
}

fn prefs(commission: u32) -> KeeperPrefs {
    KeeperPrefs {
        commission: Perbill::from_percent(commission),
        region: region(),
    }
}

fn held(who: u64) -> u64 {
    Balances::balance_on_hold(&crate::HoldReason::Staking.into(), &who)
}

fn signed(who: u64) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Gpos(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn set_keys(who: u64) {
    assert_ok!(Session::set_keys(signed(who), UintAuthorityId(who), vec![]));
}

#[test]
fn genesis_guarantees_count_in_era_zero_and_genesis_may_shorten_eras() {
    test_ext(vec![(3, 1, 50)], Some(1)).execute_with(|| {
        assert_eq!(held(3), 50);
        assert_eq!(Ledgers::<Test>::get(3).unwrap().guaranteed, 50);
        let exposure = ErasExposure::<Test>::get(0, 1).expect("keeper 1 exposed in era 0");
        assert_eq!((exposure.own, exposure.total), (100, 150));
        assert_eq!(exposure.guarantors.into_inner(), vec![(3, 50)]);
        // Sessions rotate every 5 blocks: with one session per era, every rotation starts an era.
        run_to(10);
        assert_eq!(CurrentEra::<Test>::get(), 2);
    });
    new_test_ext().execute_with(|| {
        run_to(10);
        assert_eq!(
            CurrentEra::<Test>::get(),
            1,
            "two sessions per era by default"
        );
    });
}

#[test]
fn bond_holds_funds_and_needs_the_minimum() {
    new_test_ext().execute_with(|| {
        assert_noop!(Gpos::bond(signed(3), 9), Error::<Test>::BondTooSmall);
        assert_noop!(
            Gpos::bond(signed(3), 20_000),
            Error::<Test>::InsufficientBalance
        );
        assert_ok!(Gpos::bond(signed(3), 10));
        // Topping up needs no minimum once the bond is there.
        assert_ok!(Gpos::bond(signed(3), 1));
        assert_eq!(held(3), 11);
        assert_eq!(Ledgers::<Test>::get(3).unwrap().active, 11);
        assert_noop!(Gpos::bond(signed(3), 0), Error::<Test>::BondTooSmall);
    });
}

#[test]
fn unbonded_funds_unlock_after_the_bonding_duration() {
    new_test_ext().execute_with(|| {
        assert_noop!(Gpos::unbond(signed(3), 1), Error::<Test>::NotBonded);
        assert_ok!(Gpos::bond(signed(3), 50));
        assert_noop!(Gpos::unbond(signed(3), 51), Error::<Test>::NotEnoughBonded);
        // What stays must be zero or at least the minimum.
        assert_noop!(Gpos::unbond(signed(3), 45), Error::<Test>::BondTooSmall);
        assert_ok!(Gpos::unbond(signed(3), 20));
        assert_noop!(
            Gpos::withdraw_unbonded(signed(3)),
            Error::<Test>::NothingToWithdraw
        );
        run_to_era(1);
        assert_ok!(Gpos::unbond(signed(3), 30));
        run_to_era(2);
        assert_ok!(Gpos::withdraw_unbonded(signed(3)));
        assert_eq!(held(3), 30);
        run_to_era(3);
        assert_ok!(Gpos::withdraw_unbonded(signed(3)));
        assert_eq!(held(3), 0);
        assert_eq!(Balances::balance(&3), 10_000);
        assert!(
            Ledgers::<Test>::get(3).is_none(),
            "an empty ledger is removed"
        );
    });
}

#[test]
fn unlocking_chunks_are_bounded_and_keepers_keep_the_minimum() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Gpos::unbond(signed(1), 91),
            Error::<Test>::KeeperBondTooSmall
        );
        assert_ok!(Gpos::unbond(signed(1), 10));
        run_to_era(1);
        assert_ok!(Gpos::unbond(signed(1), 10));
        run_to_era(2);
        // Two chunks (eras 2 and 3) are waiting; era 2's is withdrawable but not withdrawn yet.
        assert_noop!(
            Gpos::unbond(signed(1), 10),
            Error::<Test>::TooManyUnlockingChunks
        );
        assert_ok!(Gpos::withdraw_unbonded(signed(1)));
        assert_ok!(Gpos::unbond(signed(1), 10));
    });
}

#[test]
fn validate_and_chill_manage_the_keeper_set() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Gpos::validate(signed(3), prefs(5)),
            Error::<Test>::NotBonded
        );
        assert_ok!(Gpos::bond(signed(3), 10));
        assert_ok!(Gpos::unbond(signed(3), 10));
        assert_noop!(
            Gpos::validate(signed(3), prefs(5)),
            Error::<Test>::BondTooSmall
        );
        assert_ok!(Gpos::bond(signed(3), 10));
        let bad = KeeperPrefs {
            commission: Perbill::zero(),
            region: Region {
                continent: Continent::Europe,
                country: *b"de",
            },
        };
        assert_noop!(Gpos::validate(signed(3), bad), Error::<Test>::InvalidRegion);
        assert_ok!(Gpos::validate(signed(3), prefs(5)));
        assert_eq!(Candidates::<Test>::get(3), Some(prefs(5)));
        for who in [4, 5] {
            assert_ok!(Gpos::bond(signed(who), 10));
        }
        assert_ok!(Gpos::validate(signed(4), prefs(5)));
        assert_noop!(
            Gpos::validate(signed(5), prefs(5)),
            Error::<Test>::TooManyCandidates
        );
        // A keeper already in the set may change its preferences when the set is full.
        assert_ok!(Gpos::validate(signed(4), prefs(7)));
        assert_ok!(Gpos::chill(signed(4)));
        assert_noop!(Gpos::chill(signed(4)), Error::<Test>::NotKeeper);
        assert_ok!(Gpos::validate(signed(5), prefs(5)));
    });
}

#[test]
fn guarantees_are_held_bounded_and_cut_into_unlocking() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Gpos::guarantee(signed(1), 1, 10),
            Error::<Test>::SelfGuarantee
        );
        assert_noop!(Gpos::guarantee(signed(3), 7, 10), Error::<Test>::NotKeeper);
        assert_noop!(
            Gpos::guarantee(signed(3), 1, 4),
            Error::<Test>::GuaranteeTooSmall
        );
        assert_noop!(
            Gpos::guarantee(signed(3), 1, 20_000),
            Error::<Test>::InsufficientBalance
        );
        for who in [3, 4, 5] {
            assert_ok!(Gpos::guarantee(signed(who), 1, 10));
        }
        assert_noop!(
            Gpos::guarantee(signed(6), 1, 10),
            Error::<Test>::TooManyGuarantors
        );
        // An existing guarantor may add any amount.
        assert_ok!(Gpos::guarantee(signed(3), 1, 1));
        assert_eq!(Guarantees::<Test>::get(1)[0], (3, 11));
        assert_eq!(held(3), 11);

        assert_noop!(
            Gpos::cut_guarantee(signed(6), 1, 1),
            Error::<Test>::NotBonded
        );
        assert_noop!(
            Gpos::cut_guarantee(signed(3), 1, 12),
            Error::<Test>::NoSuchGuarantee
        );
        assert_noop!(
            Gpos::cut_guarantee(signed(3), 2, 1),
            Error::<Test>::NoSuchGuarantee
        );
        assert_ok!(Gpos::cut_guarantee(signed(3), 1, 11));
        assert_eq!(Guarantees::<Test>::get(1).len(), 2);
        let ledger = Ledgers::<Test>::get(3).unwrap();
        assert_eq!((ledger.guaranteed, ledger.unlocking[0].value), (0, 11));
        assert_eq!(held(3), 11, "cut funds stay held until they unlock");
        run_to_era(2);
        assert_ok!(Gpos::withdraw_unbonded(signed(3)));
        assert_eq!(held(3), 0);
    });
}

#[test]
fn stake_above_the_limit_earns_nothing() {
    new_test_ext().execute_with(|| {
        // Keeper 1 bonded 100; its limit is 100 (base) + 10 per point of oversight, 5 points: 150.
        BaseStakeLimit::set(100);
        ScoredEpoch::set(Some(0));
        Oversight::mutate(|o| o.insert(1, 5));
        assert_ok!(Gpos::guarantee(signed(3), 1, 50));
        assert_ok!(Gpos::guarantee(signed(4), 1, 100));
        run_to_era(1);
        let exposure = ErasExposure::<Test>::get(1, 1).unwrap();
        assert_eq!(
            (exposure.own, exposure.total, exposure.limit),
            (100, 150, 150)
        );
        assert_eq!(exposure.guarantors.to_vec(), vec![(3, 50)]);

        Gpos::reward_keepers(1_000);
        run_to_era(2);
        let before = (
            Balances::balance(&1),
            Balances::balance(&3),
            Balances::balance(&4),
        );
        assert_ok!(Gpos::payout_stakers(signed(9), 1, 1, 0));
        // Keeper 2 has limit 100 and stake 100: the pot splits 150 : 100.
        let keeper1_reward = 1_000 * 150 / 250;
        let commission = keeper1_reward / 10;
        let own = commission + (keeper1_reward - commission) * 100 / 150;
        let guarantor = (keeper1_reward - commission) * 50 / 150;
        assert_eq!(Balances::balance(&1) - before.0, own);
        assert_eq!(Balances::balance(&3) - before.1, guarantor);
        assert_eq!(
            Balances::balance(&4),
            before.2,
            "the guarantee above the limit earned nothing"
        );
        assert_eq!(Gpos::pending_rewards(&4), 0);
    });
}

#[test]
fn payouts_are_paged_claimed_once_and_expire() {
    new_test_ext().execute_with(|| {
        for who in [3, 4, 5] {
            assert_ok!(Gpos::guarantee(signed(who), 1, 10));
        }
        run_to_era(1);
        assert_noop!(
            Gpos::payout_stakers(signed(9), 1, 1, 0),
            Error::<Test>::EraNotEnded
        );
        Gpos::reward_keepers(900);
        assert_eq!(ErasRewardPot::<Test>::get(1), 900);
        run_to_era(2);
        assert!(Gpos::pending_rewards(&5) > 0);
        assert_noop!(
            Gpos::payout_stakers(signed(9), 7, 1, 0),
            Error::<Test>::NoExposure
        );
        // Three guarantors, two per page: pages 0 and 1.
        assert_noop!(
            Gpos::payout_stakers(signed(9), 1, 1, 2),
            Error::<Test>::InvalidPage
        );
        let five = Balances::balance(&5);
        assert_ok!(Gpos::payout_stakers(signed(9), 1, 1, 1));
        assert!(
            Balances::balance(&5) > five,
            "page 1 paid the third guarantor"
        );
        assert_eq!(Gpos::pending_rewards(&5), 0);
        assert_noop!(
            Gpos::payout_stakers(signed(9), 1, 1, 1),
            Error::<Test>::AlreadyClaimed
        );
        assert_ok!(Gpos::payout_stakers(signed(9), 1, 1, 0));
        assert_eq!(Gpos::pending_rewards(&1), 0);
        // Era 1 is claimable while it is within three eras of the current one.
        run_to_era(5);
        assert_noop!(
            Gpos::payout_stakers(signed(9), 1, 1, 0),
            Error::<Test>::EraTooOld
        );
        assert!(
            ErasExposure::<Test>::get(1, 1).is_none(),
            "old eras are deleted"
        );
    });
}

#[test]
fn the_election_follows_effective_stake_and_changes_the_session_validators() {
    new_test_ext().execute_with(|| {
        assert_eq!(Session::validators(), vec![1, 2]);
        // Keeper 3 bonds the most but is limited by its work; keeper 4 has the work and enough stake.
        BaseStakeLimit::set(100);
        ScoredEpoch::set(Some(0));
        for (who, bond) in [(3, 5_000), (4, 300)] {
            assert_ok!(Gpos::bond(signed(who), bond));
            assert_ok!(Gpos::validate(signed(who), prefs(5)));
            set_keys(who);
        }
        Oversight::mutate(|o| {
            o.insert(4, 20); // limit 100 + 200 = 300
            o.insert(3, 10); // limit 200
        });
        run_to_era(1);
        assert!(events().contains(&Event::ValidatorsElected {
            era: 1,
            validators: vec![4, 3]
        }));
        // The set planned at the era start is active one session later.
        run_to(System::block_number() + 5);
        assert_eq!(Session::validators(), vec![4, 3]);

        // Keeper 3's work vanishes and keeper 1 gains work: the next era replaces 3 with 1.
        Oversight::mutate(|o| {
            o.insert(3, 0);
            o.insert(1, 15);
        });
        assert_ok!(Gpos::bond(signed(1), 200));
        run_to_era(2);
        run_to(System::block_number() + 5);
        assert_eq!(Session::validators(), vec![4, 1]);
        // The keeper set of GPoW is weighted by effective stake.
        let keepers = Gpos::keepers();
        let weight = |who| keepers.iter().find(|k| k.account == who).unwrap().weight;
        assert!(weight(4) > weight(1) && weight(1) > weight(3));
    });
}

#[test]
fn too_few_electable_keepers_keep_the_current_validators() {
    new_test_ext().execute_with(|| {
        assert_ok!(Gpos::chill(signed(2)));
        run_to_era(1);
        assert!(events().contains(&Event::ElectionKeptValidators {
            era: 1,
            electable: 1
        }));
        run_to(System::block_number() + 5);
        assert_eq!(Session::validators(), vec![1, 2]);
    });
}

fn register_node(operator: u64, seed: u8) -> NodeId {
    pallet_edge_nodes::testing::register_node::<Test>(operator, seed)
}

/// A failed challenge, and wrong compute alike (issue [2.4]: the same consequences).
#[test]
fn a_failed_challenge_slashes_the_node_after_the_deferral() {
    for offence in [WorkOffence::MissedChallenge, WorkOffence::WrongCompute] {
        a_work_offence_slashes_the_node_after_the_deferral(offence);
    }
}

fn a_work_offence_slashes_the_node_after_the_deferral(offence: WorkOffence) {
    new_test_ext().execute_with(|| {
        let node = register_node(6, 1);
        let treasury = Balances::balance(&Treasury::get());
        Gpos::on_offence(&node, &6, 0, offence);
        assert_eq!(
            pallet_edge_nodes::Nodes::<Test>::get(node).unwrap().status,
            NodeStatus::Jailed
        );
        assert_eq!(UnappliedSlashes::<Test>::get(2).len(), 1);
        run_to_era(1);
        assert_eq!(
            pallet_edge_nodes::Nodes::<Test>::get(node).unwrap().deposit,
            100
        );
        run_to_era(2);
        assert_eq!(
            pallet_edge_nodes::Nodes::<Test>::get(node).unwrap().deposit,
            50
        );
        assert_eq!(Balances::balance(&Treasury::get()), treasury + 50);
        assert!(UnappliedSlashes::<Test>::get(2).is_empty());
    });
}

#[test]
fn governance_cancels_a_deferred_slash() {
    new_test_ext().execute_with(|| {
        let node = register_node(6, 1);
        let other = register_node(7, 2);
        Gpos::on_offence(&node, &6, 0, WorkOffence::MissedChallenge);
        Gpos::on_offence(&other, &7, 0, WorkOffence::MissedChallenge);
        let cancel = |indices: Vec<u32>| BoundedVec::truncate_from(indices);
        assert_noop!(
            Gpos::cancel_deferred_slash(signed(1), 2, cancel(vec![0])),
            DispatchError::BadOrigin
        );
        assert_noop!(
            Gpos::cancel_deferred_slash(RuntimeOrigin::root(), 2, cancel(vec![])),
            Error::<Test>::EmptySlashList
        );
        assert_noop!(
            Gpos::cancel_deferred_slash(RuntimeOrigin::root(), 2, cancel(vec![1, 0])),
            Error::<Test>::NotSortedAndUnique
        );
        assert_noop!(
            Gpos::cancel_deferred_slash(RuntimeOrigin::root(), 2, cancel(vec![2])),
            Error::<Test>::InvalidSlashIndex
        );
        assert_ok!(Gpos::cancel_deferred_slash(
            RuntimeOrigin::root(),
            2,
            cancel(vec![0])
        ));
        run_to_era(2);
        let deposit = |n| pallet_edge_nodes::Nodes::<Test>::get(n).unwrap().deposit;
        assert_eq!(deposit(node), 100, "the cancelled slash was not applied");
        assert_eq!(deposit(other), 50);
    });
}

#[test]
fn keepers_far_from_the_median_too_often_are_slashed_with_their_guarantors() {
    new_test_ext().execute_with(|| {
        SlashDeferDuration::set(1);
        assert_ok!(Gpos::guarantee(signed(3), 2, 50));
        // The guarantee counts from era 1, in which the keeper deviates.
        run_to_era(1);
        ScoredEpoch::set(Some(0));
        Deviations::mutate(|d| {
            d.insert(1, 1); // below the threshold of 2
            d.insert(2, 2);
        });
        run_to_era(2);
        let pending = UnappliedSlashes::<Test>::get(3);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].target, SlashTarget::Keeper(2));
        assert_eq!(pending[0].reason, SlashReason::KeeperDeviation);
        assert_eq!(pending[0].offence_era, 1);
        let treasury = Balances::balance(&Treasury::get());
        run_to_era(3);
        // 10% of keeper 2's bond of 100 and of guarantor 3's 50.
        assert_eq!(Ledgers::<Test>::get(2).unwrap().active, 90);
        assert_eq!(Guarantees::<Test>::get(2)[0], (3, 45));
        assert_eq!(Ledgers::<Test>::get(3).unwrap().guaranteed, 45);
        assert_eq!((held(2), held(3)), (90, 45));
        assert_eq!(Balances::balance(&Treasury::get()), treasury + 15);
        // The same epoch is not checked twice.
        run_to_era(4);
        assert!(UnappliedSlashes::<Test>::get(4).is_empty());
        assert_eq!(CurrentEra::<Test>::get(), 4);
    });
}

/// Attack class 5 (docs/PROTOCOL.md): after an equivocation is reported, the keeper unbonds everything and its
/// guarantor cuts its guarantee before the deferred slash lands. The stake that backed it in the offence's
/// era is slashed all the same, from the unlocking chunks.
#[test]
fn unbonding_and_cutting_guarantees_before_a_deferred_slash_escapes_nothing() {
    use sp_staking::offence::{OffenceDetails, OnOffenceHandler};
    new_test_ext().execute_with(|| {
        assert_ok!(Gpos::guarantee(signed(3), 2, 50));
        run_to_era(1);
        <Gpos as OnOffenceHandler<u64, (u64, ()), _>>::on_offence(
            &[OffenceDetails {
                offender: (2, ()),
                reporters: vec![],
            }],
            &[Perbill::from_percent(20)],
            0,
        );
        assert_ok!(Gpos::unbond(signed(2), 100));
        assert_ok!(Gpos::cut_guarantee(signed(3), 2, 50));
        let treasury = Balances::balance(&Treasury::get());
        run_to_era(3);
        let unlocking = |who| -> u64 {
            Ledgers::<Test>::get(who)
                .unwrap()
                .unlocking
                .iter()
                .map(|c| c.value)
                .sum()
        };
        assert_eq!((unlocking(2), unlocking(3)), (80, 40));
        assert_eq!((held(2), held(3)), (80, 40));
        assert_eq!(Balances::balance(&Treasury::get()), treasury + 30);
        // Only what is left unlocks.
        assert_ok!(Gpos::withdraw_unbonded(signed(2)));
        assert_eq!(held(2), 0);
    });
}

/// A guarantor that cut its guarantee after the offence loses its share from the unlocking chunk the cut
/// made, never from the bond it holds for its own keeping.
#[test]
fn a_cut_guarantee_is_slashed_from_its_unlocking_chunk_not_the_guarantors_own_bond() {
    use sp_staking::offence::{OffenceDetails, OnOffenceHandler};
    new_test_ext().execute_with(|| {
        // Keeper 1 (own bond 100) also guarantees keeper 2 with 50.
        assert_ok!(Gpos::guarantee(signed(1), 2, 50));
        run_to_era(1);
        <Gpos as OnOffenceHandler<u64, (u64, ()), _>>::on_offence(
            &[OffenceDetails {
                offender: (2, ()),
                reporters: vec![],
            }],
            &[Perbill::from_percent(20)],
            0,
        );
        assert_ok!(Gpos::cut_guarantee(signed(1), 2, 50));
        run_to_era(3);
        let ledger = Ledgers::<Test>::get(1).unwrap();
        let unlocking: u64 = ledger.unlocking.iter().map(|c| c.value).sum();
        assert_eq!((ledger.active, unlocking), (100, 40));
        assert_eq!(held(1), 140);
    });
}

#[test]
fn a_full_era_of_slashes_applies_further_slashes_at_once() {
    new_test_ext().execute_with(|| {
        let nodes: Vec<NodeId> = (1..=5).map(|seed| register_node(6, seed)).collect();
        for node in &nodes {
            Gpos::on_offence(node, &6, 0, WorkOffence::MissedChallenge);
        }
        assert_eq!(UnappliedSlashes::<Test>::get(2).len(), 4);
        assert_eq!(
            pallet_edge_nodes::Nodes::<Test>::get(nodes[4])
                .unwrap()
                .deposit,
            50
        );
    });
}

#[test]
fn equivocating_validators_are_chilled_and_slashed_once_after_the_deferral() {
    use sp_staking::offence::{OffenceDetails, OnOffenceHandler};
    new_test_ext().execute_with(|| {
        let report = |fraction: u32| {
            <Gpos as OnOffenceHandler<u64, (u64, ()), _>>::on_offence(
                &[OffenceDetails {
                    offender: (2, ()),
                    reporters: vec![],
                }],
                &[Perbill::from_percent(fraction)],
                0,
            )
        };
        report(5);
        assert!(
            Candidates::<Test>::get(2).is_none(),
            "the offender is chilled"
        );
        // The same offence reported again with a larger fraction: still one slash, at the larger fraction.
        report(20);
        let pending = UnappliedSlashes::<Test>::get(2);
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].reason, SlashReason::Equivocation);
        assert_eq!(pending[0].fraction, Perbill::from_percent(20));
        run_to_era(2);
        assert_eq!(Ledgers::<Test>::get(2).unwrap().active, 80);
        assert_eq!(held(2), 80);
    });
}
