//! FRAME v2 benchmarks of every GPoS call, each in its most expensive path, and of the era start.

use super::*;
use crate::Pallet as Gpos;
use alloc::{vec, vec::Vec};
use enreach_primitives::Continent;
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{fungible::Mutate, Get},
    BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::{Bounded, Saturating};

fn region() -> Region {
    Region {
        continent: Continent::Europe,
        country: *b"DE",
    }
}

fn prefs() -> KeeperPrefs {
    KeeperPrefs {
        commission: Perbill::from_percent(5),
        region: region(),
    }
}

/// A comfortable stake: a hundred times the minimum bond.
fn stake<T: Config>() -> BalanceOf<T> {
    T::MinBond::get()
        .max(T::MinGuarantee::get())
        .max(1u32.into())
        .saturating_mul(100u32.into())
}

/// An account with plenty of free balance.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    let who: T::AccountId = account(name, index, 0);
    T::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
    who
}

/// A validating keeper with `guarantors` guarantees.
fn keeper<T: Config>(index: u32, guarantors: u32) -> T::AccountId {
    let keeper = funded::<T>("keeper", index);
    Gpos::<T>::bond(RawOrigin::Signed(keeper.clone()).into(), stake::<T>()).unwrap();
    Gpos::<T>::validate(RawOrigin::Signed(keeper.clone()).into(), prefs()).unwrap();
    for g in 0..guarantors {
        let guarantor = funded::<T>("guarantor", index * 1000 + g);
        Gpos::<T>::guarantee(
            RawOrigin::Signed(guarantor).into(),
            keeper.clone(),
            stake::<T>(),
        )
        .unwrap();
    }
    keeper
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn bond() {
        let who = funded::<T>("staker", 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), stake::<T>());

        assert_eq!(Ledgers::<T>::get(&who).unwrap().active, stake::<T>());
    }

    #[benchmark]
    fn unbond() {
        let who = keeper::<T>(0, 0);
        Gpos::<T>::bond(RawOrigin::Signed(who.clone()).into(), stake::<T>()).unwrap();

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), stake::<T>());

        assert_eq!(Ledgers::<T>::get(&who).unwrap().unlocking.len(), 1);
    }

    #[benchmark]
    fn withdraw_unbonded() {
        let who = funded::<T>("staker", 0);
        Gpos::<T>::bond(RawOrigin::Signed(who.clone()).into(), stake::<T>()).unwrap();
        Gpos::<T>::unbond(RawOrigin::Signed(who.clone()).into(), stake::<T>()).unwrap();
        CurrentEra::<T>::put(T::BondingDuration::get());

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(Ledgers::<T>::get(&who).is_none());
    }

    #[benchmark]
    fn validate() {
        let _ = Candidates::<T>::clear(u32::MAX, None);
        let who = funded::<T>("staker", 0);
        Gpos::<T>::bond(RawOrigin::Signed(who.clone()).into(), stake::<T>()).unwrap();

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), prefs());

        assert!(Candidates::<T>::contains_key(&who));
    }

    #[benchmark]
    fn chill() {
        let who = keeper::<T>(0, 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(!Candidates::<T>::contains_key(&who));
    }

    #[benchmark]
    fn guarantee() {
        let target = keeper::<T>(0, T::MaxGuarantorsPerKeeper::get() - 1);
        let guarantor = funded::<T>("guarantor", u32::MAX);

        #[extrinsic_call]
        _(RawOrigin::Signed(guarantor), target.clone(), stake::<T>());

        assert_eq!(
            Guarantees::<T>::get(&target).len() as u32,
            T::MaxGuarantorsPerKeeper::get()
        );
    }

    #[benchmark]
    fn cut_guarantee() {
        let target = keeper::<T>(0, T::MaxGuarantorsPerKeeper::get());
        let last = Guarantees::<T>::get(&target).last().unwrap().0.clone();

        #[extrinsic_call]
        _(RawOrigin::Signed(last.clone()), target, stake::<T>());

        assert_eq!(Ledgers::<T>::get(&last).unwrap().unlocking.len(), 1);
    }

    #[benchmark]
    fn payout_stakers(n: Linear<0, { T::ExposurePageSize::get() }>) {
        let target = keeper::<T>(0, n);
        Gpos::<T>::fix_exposures(0);
        ErasRewardPot::<T>::insert(0, stake::<T>());
        CurrentEra::<T>::put(1);
        let caller: T::AccountId = whitelisted_caller();

        #[extrinsic_call]
        _(RawOrigin::Signed(caller), target.clone(), 0, 0);

        assert_eq!(ClaimedPages::<T>::get(0, &target), 1);
    }

    #[benchmark]
    fn cancel_deferred_slash(s: Linear<1, { T::MaxSlashesPerEra::get() }>) {
        let offender = keeper::<T>(0, 0);
        let slashes: BoundedVec<_, T::MaxSlashesPerEra> = BoundedVec::truncate_from(
            (0..s)
                .map(|_| PendingSlash {
                    target: SlashTarget::Keeper(offender.clone()),
                    fraction: Perbill::from_percent(1),
                    reason: SlashReason::KeeperDeviation,
                    reported_era: 0,
                    offence_era: 0,
                })
                .collect(),
        );
        UnappliedSlashes::<T>::insert(1, slashes);
        let indices = BoundedVec::truncate_from((0..s).collect());

        #[extrinsic_call]
        _(RawOrigin::Root, 1, indices);

        assert!(UnappliedSlashes::<T>::get(1).is_empty());
    }

    /// An era start with `c` keepers, each with the most guarantors, and one slash to apply.
    #[benchmark]
    fn new_era(c: Linear<1, { T::MaxCandidates::get().min(100) }>) {
        let _ = Candidates::<T>::clear(u32::MAX, None);
        let guarantors = T::MaxGuarantorsPerKeeper::get().min(16);
        let keepers: Vec<T::AccountId> = (0..c).map(|i| keeper::<T>(i, guarantors)).collect();
        UnappliedSlashes::<T>::insert(
            1,
            BoundedVec::truncate_from(vec![PendingSlash {
                target: SlashTarget::Keeper(keepers[0].clone()),
                fraction: Perbill::from_percent(1),
                reason: SlashReason::KeeperDeviation,
                reported_era: 0,
                offence_era: 0,
            }]),
        );

        #[block]
        {
            Gpos::<T>::start_era(1);
        }

        assert_eq!(ErasExposure::<T>::iter_prefix(1).count() as u32, c);
    }

    impl_benchmark_test_suite!(Gpos, crate::mock::new_test_ext(), crate::mock::Test);
}
