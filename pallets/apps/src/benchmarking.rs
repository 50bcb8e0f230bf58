//! FRAME v2 benchmarks of every registry call, each in its most expensive path: the most regions and the
//! most, longest origins to validate and compare, and the owner's list of apps as long as it gets.

use super::*;
use crate::Pallet as AppRegistry;
use alloc::vec::Vec;
use enreach_primitives::{app::MAX_APP_NAME_LEN, Continent, MAX_ORIGIN_URL_LEN};
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Mutate;
use frame_system::RawOrigin;
use sp_runtime::traits::Saturating;

/// A name of the longest length, unique by `index`, sharing all other bytes with its siblings so that every
/// comparison of two names reads to the end.
fn app_name(index: u32) -> AppName {
    let mut name = alloc::vec![b'a'; MAX_APP_NAME_LEN as usize - 8];
    name.extend_from_slice(alloc::format!("{index:08}").as_bytes());
    AppName::truncate_from(name)
}

/// The code an app of `owner` runs, published by them.
fn published_code<T: Config>(owner: &T::AccountId, index: u8) -> ContentId {
    let code = ContentId([index; 32]);
    T::Code::publish_for_benchmark(&code, owner);
    code
}

/// Limits at the chain's ceilings.
fn limits<T: Config>() -> AppLimits {
    Pallet::<T>::max_limits()
}

/// The most regions, all valid and distinct: the duplicate scan compares each with all before it.
fn regions<T: Config>() -> RegionsOf<T> {
    let list = (0..T::MaxRegions::get())
        .map(|i| Region {
            continent: Continent::Europe,
            country: [b'A' + (i / 26 % 26) as u8, b'A' + (i % 26) as u8],
        })
        .collect::<Vec<_>>();
    BoundedVec::truncate_from(list)
}

/// The most origins, each of the longest length and differing only in its last bytes.
fn origins<T: Config>() -> OriginsOf<T> {
    let list = (0..T::MaxOrigins::get())
        .map(|i| {
            let mut url = b"https://".to_vec();
            url.resize(MAX_ORIGIN_URL_LEN as usize - 8, b'a');
            url.extend_from_slice(alloc::format!("{i:08}").as_bytes());
            OriginUrl::truncate_from(url)
        })
        .collect::<Vec<_>>();
    BoundedVec::truncate_from(list)
}

/// An owner funded for as many deposits as it may need.
fn funded_owner<T: Config>() -> T::AccountId
where
    T::Currency: Mutate<T::AccountId>,
{
    let who: T::AccountId = account("owner", 0, 0);
    let amount = T::AppDeposit::get()
        .saturating_mul(T::MaxAppsPerAccount::get().saturating_add(1).into())
        .saturating_add(1_000_000u32.into());
    let _ = T::Currency::set_balance(&who, amount);
    who
}

/// Deploys `count` apps of `owner` with the largest settings, named `app_name(0..count)`.
fn deploy_apps<T: Config>(owner: &T::AccountId, count: u32) {
    let code = published_code::<T>(owner, 1);
    for i in 0..count {
        AppRegistry::<T>::deploy(
            RawOrigin::Signed(owner.clone()).into(),
            app_name(i),
            code,
            limits::<T>(),
            1u32.into(),
            regions::<T>(),
            origins::<T>(),
        )
        .expect("a funded owner deploys its own code under a free name");
    }
}

#[benchmarks(where T::Currency: Mutate<T::AccountId>)]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn deploy() {
        let owner = funded_owner::<T>();
        // All but one of the owner's slots taken: its list is the longest read and written.
        let others = T::MaxAppsPerAccount::get() - 1;
        deploy_apps::<T>(&owner, others);
        let code = published_code::<T>(&owner, 2);
        let name = app_name(others);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner.clone()),
            name.clone(),
            code,
            limits::<T>(),
            1u32.into(),
            regions::<T>(),
            origins::<T>(),
        );

        assert_eq!(Apps::<T>::get(&name).map(|a| a.code), Some(code));
        assert_eq!(
            AppsOf::<T>::get(&owner).len() as u32,
            T::MaxAppsPerAccount::get()
        );
    }

    #[benchmark]
    fn upgrade() {
        let owner = funded_owner::<T>();
        deploy_apps::<T>(&owner, 1);
        let code = published_code::<T>(&owner, 2);

        #[extrinsic_call]
        _(
            RawOrigin::Signed(owner),
            app_name(0),
            code,
            limits::<T>(),
            2u32.into(),
            regions::<T>(),
            origins::<T>(),
        );

        assert_eq!(Apps::<T>::get(app_name(0)).map(|a| a.version), Some(2));
    }

    #[benchmark]
    fn remove() {
        let owner = funded_owner::<T>();
        let count = T::MaxAppsPerAccount::get();
        deploy_apps::<T>(&owner, count);
        // The last name: every other name of the owner's full list is compared with it first.
        let name = app_name(count - 1);

        #[extrinsic_call]
        _(RawOrigin::Signed(owner.clone()), name.clone());

        assert!(!Apps::<T>::contains_key(&name));
        assert_eq!(AppsOf::<T>::get(&owner).len() as u32, count - 1);
    }

    impl_benchmark_test_suite!(AppRegistry, crate::mock::new_test_ext(), crate::mock::Test);
}
