//! FRAME v2 benchmarks of every settlement call, each in its most expensive path, and of each settlement step
//! per item, from which `on_initialize` charges what it processed.

use super::*;
use crate::Pallet as Settlement;
use alloc::vec::Vec;
use enreach_primitives::{ClientKey, ContentId, Continent, NodeId, Region, MAX_ORIGIN_URL_LEN};
use frame_benchmarking::v2::*;
use frame_support::{
    traits::{fungible::Mutate, Get},
    BoundedVec,
};
use frame_system::RawOrigin;
use pallet_edge_nodes::NodeRegistry;
use pallet_gpos::StakingRewards;
use pallet_gpow::WorkAccounting;
use sp_runtime::traits::{Bounded, Saturating, Zero};

fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
    let who: T::AccountId = account(name, index, 0);
    <T as Config>::Currency::set_balance(&who, BalanceOf::<T>::max_value() / 1_000_000u32.into());
    who
}

fn amount<T: Config>() -> BalanceOf<T> {
    T::AccountDeposit::get()
        .max(1u32.into())
        .saturating_mul(1_000u32.into())
}

/// A dApp with an open account.
fn dapp<T: Config>(index: u32) -> T::AccountId {
    let dapp = funded::<T>("dapp", index);
    Settlement::<T>::open_account(RawOrigin::Signed(dapp.clone()).into(), amount::<T>()).unwrap();
    dapp
}

fn node_id(index: u32) -> NodeId {
    let mut id = [0u8; 32];
    id[..4].copy_from_slice(&index.to_le_bytes());
    NodeId(id)
}

fn content_id(index: u32) -> ContentId {
    let mut id = [0xC0u8; 32];
    id[..4].copy_from_slice(&index.to_le_bytes());
    ContentId(id)
}

/// A registered, active node operated by a fresh account.
fn node<T: Config>(index: u32) -> (NodeId, T::AccountId) {
    let operator: T::AccountId = account("operator", index, 0);
    let region = Region {
        continent: Continent::Europe,
        country: *b"DE",
    };
    <T as pallet_gpow::Config>::Registry::register_for_benchmark(
        node_id(index),
        operator.clone(),
        region,
    );
    (node_id(index), operator)
}

#[benchmarks]
mod benchmarks {
    use super::*;

    #[benchmark]
    fn open_account() {
        let who = funded::<T>("dapp", 0);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), amount::<T>());

        assert!(Accounts::<T>::contains_key(&who));
    }

    /// With debt to repay to the treasury.
    #[benchmark]
    fn top_up() {
        let who = dapp::<T>(0);
        Accounts::<T>::mutate(&who, |a| a.as_mut().unwrap().debt = amount::<T>());

        #[extrinsic_call]
        _(
            RawOrigin::Signed(who.clone()),
            amount::<T>().saturating_mul(2u32.into()),
        );

        assert!(Accounts::<T>::get(&who).unwrap().debt.is_zero());
    }

    #[benchmark]
    fn authorize_client() {
        let who = dapp::<T>(0);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), ClientKey([9; 32]));

        assert_eq!(
            Clients::<T>::get(ClientKey([9; 32])).map(|auth| auth.dapp),
            Some(who)
        );
    }

    /// The costlier of its two paths: purging a record revoked long enough ago (it also frees the dApp's slot).
    #[benchmark]
    fn revoke_client() {
        let who = dapp::<T>(0);
        Settlement::<T>::authorize_client(
            RawOrigin::Signed(who.clone()).into(),
            ClientKey([9; 32]),
        )
        .unwrap();
        Settlement::<T>::revoke_client(RawOrigin::Signed(who.clone()).into(), ClientKey([9; 32]))
            .unwrap();
        // Revoked in epoch 0, paid through epoch 1, challengeable two epochs after that.
        pallet_gpow::CurrentEpoch::<T>::put(pallet_gpow::EpochInfo {
            index: CHALLENGEABLE_EPOCHS + 2,
            start: frame_system::Pallet::<T>::block_number(),
        });

        #[extrinsic_call]
        _(RawOrigin::Signed(who), ClientKey([9; 32]));

        assert!(!Clients::<T>::contains_key(ClientKey([9; 32])));
    }

    #[benchmark]
    fn request_withdrawal() {
        let who = dapp::<T>(0);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()), amount::<T>());

        assert!(Accounts::<T>::get(&who).unwrap().withdrawal.is_some());
    }

    #[benchmark]
    fn withdraw() {
        let who = dapp::<T>(0);
        Settlement::<T>::request_withdrawal(RawOrigin::Signed(who.clone()).into(), amount::<T>())
            .unwrap();
        let later = frame_system::Pallet::<T>::block_number()
            .saturating_add(T::WithdrawDelay::get())
            .saturating_add(1u32.into());
        frame_system::Pallet::<T>::set_block_number(later);
        // The epoch it was asked in is settled and the most epochs that can be unsettled are read.
        pallet_gpow::CurrentEpoch::<T>::put(pallet_gpow::EpochInfo {
            index: CHALLENGEABLE_EPOCHS + 1,
            start: later,
        });
        Settling::<T>::mutate(|state| state.epoch = 1);

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(Accounts::<T>::get(&who).unwrap().balance.is_zero());
    }

    #[benchmark]
    fn publish_content() {
        let who = dapp::<T>(0);
        // The longest origin a dApp may register: validation reads every byte.
        let mut url = b"https://".to_vec();
        url.resize(MAX_ORIGIN_URL_LEN as usize, b'a');
        let origin = OriginUrl::try_from(url).expect("within the bound");

        #[extrinsic_call]
        _(
            RawOrigin::Signed(who),
            content_id(0),
            1 << 30,
            <T as pallet_gpow::Config>::MaxReplicas::get(),
            amount::<T>(),
            Some(origin.clone()),
        );

        assert_eq!(
            Contents::<T>::get(content_id(0)).unwrap().origin,
            Some(origin)
        );
    }

    #[benchmark]
    fn publish_collection(n: Linear<1, { T::MaxCollectionFiles::get() }>) {
        let who = dapp::<T>(0);
        let files: Vec<(ContentId, u64)> = (1..=n).map(|i| (content_id(i), 1 << 30)).collect();
        let files = BoundedVec::try_from(files).expect("within the bound");

        #[extrinsic_call]
        _(
            RawOrigin::Signed(who),
            content_id(0),
            4096,
            files,
            <T as pallet_gpow::Config>::MaxReplicas::get(),
            amount::<T>(),
        );

        assert!(Contents::<T>::contains_key(content_id(n)));
    }

    #[benchmark]
    fn unpublish_content() {
        let who = dapp::<T>(0);
        Settlement::<T>::publish_content(
            RawOrigin::Signed(who.clone()).into(),
            content_id(0),
            1 << 30,
            1,
            amount::<T>(),
            None,
        )
        .unwrap();
        Settlement::<T>::unpublish_content(RawOrigin::Signed(who.clone()).into(), content_id(0))
            .unwrap();
        // Unpublished in epoch 0, paid through it, settled two epochs later: the second call purges it.
        pallet_gpow::CurrentEpoch::<T>::put(pallet_gpow::EpochInfo {
            index: CHALLENGEABLE_EPOCHS + 1,
            start: frame_system::Pallet::<T>::block_number(),
        });

        #[extrinsic_call]
        _(RawOrigin::Signed(who), content_id(0));

        assert!(!Contents::<T>::contains_key(content_id(0)));
    }

    #[benchmark]
    fn claim_rewards() {
        let who: T::AccountId = account("operator", 0, 0);
        <T as Config>::Currency::set_balance(&Settlement::<T>::account_id(), amount::<T>());
        PendingRewards::<T>::insert(&who, amount::<T>() / 2u32.into());

        #[extrinsic_call]
        _(RawOrigin::Signed(who.clone()));

        assert!(PendingRewards::<T>::get(&who).is_zero());
    }

    /// One published content proven by `r` nodes, all paid: the cost per content and per replica.
    #[benchmark]
    fn accrue_storage(r: Linear<0, { <T as pallet_gpow::Config>::MaxReplicas::get() }>) {
        let owner = dapp::<T>(0);
        Contents::<T>::insert(
            content_id(0),
            ContentInfo {
                owner: owner.clone(),
                size: 1 << 20,
                replicas: r.max(1),
                max_price: T::StoragePrice::get(),
                origin: None,
                until: None,
            },
        );
        let provers: Vec<NodeId> = (0..r).map(|i| node::<T>(i).0).collect();
        pallet_gpow::StorageProvers::<T>::insert(
            0,
            content_id(0),
            BoundedVec::truncate_from(provers),
        );
        let mut state = SettleState::default();

        #[block]
        {
            Settlement::<T>::accrue_storage(&mut state, 1);
        }

        assert_eq!(Usage::<T>::get(0, &owner).stored, r as u64 * (1 << 20));
    }

    /// `n` accruals, each of a different dApp charged for the first time.
    #[benchmark]
    fn charge_and_pay(n: Linear<1, { T::MaxSettlePerBlock::get() }>) {
        <T as Config>::Currency::set_balance(
            &Settlement::<T>::account_id(),
            amount::<T>().saturating_mul(n.into()),
        );
        for i in 0..n {
            let payer = dapp::<T>(i);
            let operator: T::AccountId = account("operator", i, 0);
            Settlement::<T>::on_traffic_verified(0, &node_id(i), &operator, &payer, 1 << 30);
        }

        #[block]
        {
            Settlement::<T>::charge_and_pay(0, n);
        }

        assert_eq!(Accruals::<T>::iter_prefix(0).count(), 0);
    }

    /// The subsidy for `n` active nodes with work scores.
    #[benchmark]
    fn pay_subsidy(n: Linear<1, { T::MaxSettlePerBlock::get() }>) {
        for i in 0..n {
            let (node, _) = node::<T>(i);
            pallet_gpow::WorkScores::<T>::insert(0, node, 1_000);
        }
        pallet_gpow::TotalWorkScore::<T>::insert(0, n as u128 * 1_000);
        let mut state = SettleState::default();

        #[block]
        {
            Settlement::<T>::pay_subsidy(&mut state, n);
        }

        let emission = T::Emission::get().per_epoch_in(T::Staking::current_era());
        assert_eq!(
            state.subsidy,
            emission.saturating_sub(T::KeeperShare::get().mul_floor(emission))
        );
    }

    /// Deleting `n` usage records.
    #[benchmark]
    fn prune_usage(n: Linear<1, { T::MaxSettlePerBlock::get() }>) {
        for i in 0..n {
            let payer: T::AccountId = account("dapp", i, 0);
            Usage::<T>::insert(0, payer, EpochUsage::default());
        }
        let mut state = SettleState {
            epoch: T::UsageHistory::get(),
            ..Default::default()
        };

        #[block]
        {
            Settlement::<T>::prune_usage(&mut state, n);
        }

        assert_eq!(Usage::<T>::iter_prefix(0).count(), 0);
    }

    impl_benchmark_test_suite!(Settlement, crate::mock::new_test_ext(), crate::mock::Test);
}
