//! Every call and named error of settlement, and what it promises: dApps pay for verified work at the price in
//! force when the epoch is settled, nodes earn at most what clients paid, a dApp that runs out is charged pro
//! rata and paused, storage and subsidy are paid by proof and by work score.

use crate::{
    mock::*, Accounts, Clients, ContentInfo, Contents, EmissionSchedule, Error, Event,
    PendingRewards, Settling, Usage, GIB,
};
use enreach_primitives::{ClientKey, ContentId, EpochIndex, NodeId, OriginUrl};
use frame_support::{
    assert_noop, assert_ok,
    traits::fungible::{Inspect, InspectHold, Mutate},
    BoundedVec,
};
use pallet_gpow::{ClientAuthority, WorkAccounting};
use proptest::prelude::*;
use sp_runtime::Perbill;

const DAPP: u64 = 1;
const OPERATOR: u64 = 6;

fn signed(who: u64) -> RuntimeOrigin {
    RuntimeOrigin::signed(who)
}

fn client(n: u8) -> ClientKey {
    ClientKey([n; 32])
}

fn node(n: u8) -> NodeId {
    NodeId([n; 32])
}

fn balance(who: u64) -> u64 {
    Balances::balance(&who)
}

fn pot() -> u64 {
    balance(Settlement::account_id())
}

/// GPoW verified `gib` GiB served by `node` (operated by `operator`) to `dapp`'s clients in `epoch`.
fn verified(epoch: EpochIndex, node: NodeId, operator: u64, dapp: u64, gib: u64) {
    Settlement::on_traffic_verified(epoch, &node, &operator, &dapp, gib * GIB);
}

fn events() -> Vec<Event<Test>> {
    System::events()
        .into_iter()
        .filter_map(|r| match r.event {
            RuntimeEvent::Settlement(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn accounts_hold_a_deposit_and_prepay() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Settlement::open_account(signed(DAPP), 2_000_000),
            Error::<Test>::InsufficientBalance
        );
        assert_ok!(Settlement::open_account(signed(DAPP), 10_000));
        assert_noop!(
            Settlement::open_account(signed(DAPP), 1),
            Error::<Test>::AccountExists
        );
        assert_eq!(
            Balances::balance_on_hold(&crate::HoldReason::AccountDeposit.into(), &DAPP),
            50
        );
        assert_eq!(pot(), 10_000);
        assert_eq!(Accounts::<Test>::get(DAPP).unwrap().balance, 10_000);
    });
}

#[test]
fn top_ups_need_an_account_and_funds() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Settlement::top_up(signed(DAPP), 5),
            Error::<Test>::NoAccount
        );
        assert_ok!(Settlement::open_account(signed(DAPP), 0));
        assert_noop!(
            Settlement::top_up(signed(DAPP), 0),
            Error::<Test>::ZeroAmount
        );
        assert_noop!(
            Settlement::top_up(signed(DAPP), 2_000_000),
            Error::<Test>::InsufficientBalance
        );
        assert_ok!(Settlement::top_up(signed(DAPP), 500));
        assert_eq!(Accounts::<Test>::get(DAPP).unwrap().balance, 500);
    });
}

#[test]
fn dapps_authorize_and_revoke_their_clients() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Settlement::authorize_client(signed(DAPP), client(1)),
            Error::<Test>::NoAccount
        );
        assert_ok!(Settlement::open_account(signed(DAPP), 0));
        assert_ok!(Settlement::open_account(signed(2), 0));
        assert_ok!(Settlement::authorize_client(signed(DAPP), client(1)));
        // Idempotent for its owner, refused to another dApp.
        assert_ok!(Settlement::authorize_client(signed(DAPP), client(1)));
        assert_noop!(
            Settlement::authorize_client(signed(2), client(1)),
            Error::<Test>::ClientTaken
        );
        assert_ok!(Settlement::authorize_client(signed(DAPP), client(2)));
        assert_noop!(
            Settlement::authorize_client(signed(DAPP), client(3)),
            Error::<Test>::TooManyClients
        );
        assert_eq!(Settlement::payer(&client(1), 0), Some(DAPP));
        assert_noop!(
            Settlement::revoke_client(signed(2), client(1)),
            Error::<Test>::NotClientOwner
        );
        assert_ok!(Settlement::revoke_client(signed(DAPP), client(1)));
        // Receipts signed until the end of the next epoch are still paid for (an edge may not have seen the
        // revocation yet); later ones are not.
        assert_eq!(Settlement::payer(&client(1), 0), Some(DAPP));
        assert_eq!(Settlement::payer(&client(1), 1), Some(DAPP));
        assert_eq!(Settlement::payer(&client(1), 2), None);
        // Re-authorizing before the purge would make receipts signed while revoked payable.
        assert_noop!(
            Settlement::authorize_client(signed(DAPP), client(1)),
            Error::<Test>::ClientStillChallengeable
        );
        // The record, and the dApp's client slot, stay while the revocation epoch's reports may be challenged.
        assert_noop!(
            Settlement::authorize_client(signed(DAPP), client(3)),
            Error::<Test>::TooManyClients
        );
        assert_noop!(
            Settlement::revoke_client(signed(DAPP), client(1)),
            Error::<Test>::ClientStillChallengeable
        );
        run_to(31);
        assert_noop!(
            Settlement::revoke_client(signed(DAPP), client(1)),
            Error::<Test>::ClientStillChallengeable
        );
        run_to(41);
        assert_ok!(Settlement::revoke_client(signed(DAPP), client(1)));
        assert!(Clients::<Test>::get(client(1)).is_none());
        assert_ok!(Settlement::authorize_client(signed(DAPP), client(3)));
        // Authorized in epoch 4: receipts of earlier epochs are not its dApp's to pay.
        assert_eq!(Settlement::payer(&client(3), 3), None);
        assert_eq!(Settlement::payer(&client(3), 4), Some(DAPP));
    });
}

#[test]
fn withdrawals_wait_for_the_delay() {
    new_test_ext().execute_with(|| {
        assert_noop!(
            Settlement::request_withdrawal(signed(DAPP), 1),
            Error::<Test>::NoAccount
        );
        assert_noop!(Settlement::withdraw(signed(DAPP)), Error::<Test>::NoAccount);
        assert_ok!(Settlement::open_account(signed(DAPP), 1_000));
        assert_noop!(
            Settlement::request_withdrawal(signed(DAPP), 0),
            Error::<Test>::ZeroAmount
        );
        assert_noop!(
            Settlement::request_withdrawal(signed(DAPP), 1_001),
            Error::<Test>::InsufficientFunds
        );
        assert_noop!(
            Settlement::withdraw(signed(DAPP)),
            Error::<Test>::NoWithdrawal
        );
        assert_ok!(Settlement::request_withdrawal(signed(DAPP), 400));
        assert_noop!(
            Settlement::withdraw(signed(DAPP)),
            Error::<Test>::WithdrawalNotReady
        );
        let before = balance(DAPP);
        run_to(System::block_number() + 5);
        // Epoch 0, in which it was asked for, is not settled yet: what it costs may still be charged.
        assert_noop!(
            Settlement::withdraw(signed(DAPP)),
            Error::<Test>::UnsettledEpochs
        );
        settle(0);
        assert_ok!(Settlement::withdraw(signed(DAPP)));
        assert_eq!(balance(DAPP), before + 400);
        assert_eq!(Accounts::<Test>::get(DAPP).unwrap().balance, 600);
        assert_noop!(
            Settlement::withdraw(signed(DAPP)),
            Error::<Test>::NoWithdrawal
        );
    });
}

/// A collection publishes its manifest and the files not published yet in one call: a file the dApp published
/// already (for an earlier version) keeps its record, one another dApp holds or of another size is refused, and
/// the dApp's content cap counts every new record.
#[test]
fn a_collection_publishes_its_manifest_and_only_the_files_not_published_yet() {
    new_test_ext().execute_with(|| {
        let (m1, m2) = (ContentId([1; 32]), ContentId([2; 32]));
        let shard = ContentId([9; 32]);
        let files = |list: Vec<(ContentId, u64)>| BoundedVec::try_from(list).unwrap();
        assert_noop!(
            Settlement::publish_collection(signed(DAPP), m1, 100, files(vec![(shard, 10)]), 1, 100),
            Error::<Test>::NoAccount
        );
        assert_ok!(Settlement::open_account(signed(DAPP), 0));
        for empty in [vec![(shard, 0)], vec![]] {
            assert_noop!(
                Settlement::publish_collection(signed(DAPP), m1, 100, files(empty), 1, 100),
                Error::<Test>::EmptyContent
            );
        }
        // The shard is this dApp's already (an earlier version's): only the manifest is new.
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            shard,
            10,
            1,
            100,
            None
        ));
        assert_noop!(
            Settlement::publish_collection(signed(DAPP), m1, 100, files(vec![(shard, 11)]), 1, 100),
            Error::<Test>::ContentSizeDiffers
        );
        assert_ok!(Settlement::publish_collection(
            signed(DAPP),
            m1,
            100,
            files(vec![(shard, 10)]),
            1,
            100
        ));
        assert_eq!(Contents::<Test>::get(m1).unwrap().size, 100);
        assert!(events().contains(&Event::CollectionPublished {
            collection: m1,
            owner: DAPP,
            files: 1,
            new_files: 0,
            size: 100,
        }));
        assert_noop!(
            Settlement::publish_collection(signed(DAPP), m1, 100, files(vec![(shard, 10)]), 1, 100),
            Error::<Test>::ContentExists
        );
        // Another dApp cannot build on a record it does not hold (it could vanish under its collection).
        let other = DAPP + 1;
        assert_ok!(Settlement::open_account(signed(other), 0));
        assert_noop!(
            Settlement::publish_collection(signed(other), m2, 50, files(vec![(shard, 10)]), 1, 100),
            Error::<Test>::NotContentOwner
        );
        assert_ok!(Settlement::publish_collection(
            signed(other),
            m2,
            50,
            files(vec![(ContentId([4; 32]), 10)]),
            1,
            100
        ));
        assert_eq!(
            Contents::<Test>::get(ContentId([4; 32])).unwrap().owner,
            other
        );
        // A third record would pass its cap of two.
        assert_noop!(
            Settlement::publish_collection(
                signed(other),
                ContentId([3; 32]),
                50,
                files(vec![(ContentId([5; 32]), 10)]),
                1,
                100
            ),
            Error::<Test>::TooManyContents
        );
    });
}

#[test]
fn content_is_published_within_bounds_and_unpublished_by_its_owner() {
    new_test_ext().execute_with(|| {
        let content = ContentId([7; 32]);
        assert_noop!(
            Settlement::publish_content(signed(DAPP), content, 10, 1, 100, None),
            Error::<Test>::NoAccount
        );
        assert_ok!(Settlement::open_account(signed(DAPP), 0));
        assert_noop!(
            Settlement::publish_content(signed(DAPP), content, 0, 1, 100, None),
            Error::<Test>::EmptyContent
        );
        for bad in [&b"ftp://example.com/x"[..], b"https://", b"https://a b/"] {
            assert_noop!(
                Settlement::publish_content(
                    signed(DAPP),
                    content,
                    10,
                    1,
                    100,
                    Some(bad.to_vec().try_into().unwrap())
                ),
                Error::<Test>::InvalidOrigin
            );
        }
        for replicas in [0, 4] {
            assert_noop!(
                Settlement::publish_content(signed(DAPP), content, 10, replicas, 100, None),
                Error::<Test>::InvalidReplicas
            );
        }
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            content,
            10,
            3,
            100,
            None
        ));
        assert_noop!(
            Settlement::publish_content(signed(DAPP), content, 10, 1, 100, None),
            Error::<Test>::ContentExists
        );
        let origin: OriginUrl = b"https://origin.example.com/8.bin"
            .to_vec()
            .try_into()
            .unwrap();
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            ContentId([8; 32]),
            10,
            1,
            100,
            Some(origin.clone())
        ));
        assert_eq!(
            Contents::<Test>::get(ContentId([8; 32])).unwrap().origin,
            Some(origin)
        );
        assert_noop!(
            Settlement::publish_content(signed(DAPP), ContentId([9; 32]), 10, 1, 100, None),
            Error::<Test>::TooManyContents
        );
        assert_noop!(
            Settlement::unpublish_content(signed(2), content),
            Error::<Test>::NotContentOwner
        );
        // Unpublishing keeps paying for the current epoch, and the record until that epoch is settled.
        assert_ok!(Settlement::unpublish_content(signed(DAPP), content));
        assert_eq!(Contents::<Test>::get(content).unwrap().until, Some(0));
        System::assert_last_event(Event::ContentUnpublished { content }.into());
        assert_noop!(
            Settlement::unpublish_content(signed(DAPP), content),
            Error::<Test>::ContentStillPayable
        );
        assert_noop!(
            Settlement::publish_content(signed(DAPP), content, 10, 1, 100, None),
            Error::<Test>::ContentExists
        );
        run_to(31);
        assert_ok!(Settlement::unpublish_content(signed(DAPP), content));
        assert!(Contents::<Test>::get(content).is_none());
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            ContentId([9; 32]),
            10,
            1,
            100,
            None
        ));
    });
}

#[test]
fn verified_traffic_is_charged_at_the_price_in_force_at_settlement_and_paid_less_the_fee() {
    new_test_ext().execute_with(|| {
        assert_ok!(Settlement::open_account(signed(DAPP), 100_000));
        verified(0, node(1), OPERATOR, DAPP, 3);
        verified(0, node(2), 7, DAPP, 1);
        // Governance raises the delivery price before epoch 0 is settled: the new price applies.
        DeliveryPrice::set(2_000);
        let treasury = balance(Treasury::get());
        assert_noop!(
            Settlement::claim_rewards(signed(OPERATOR)),
            Error::<Test>::NothingToClaim
        );
        settle(0);
        assert_eq!(
            Accounts::<Test>::get(DAPP).unwrap().balance,
            100_000 - 8_000
        );
        let usage = Usage::<Test>::get(0, DAPP);
        assert_eq!(
            (usage.bytes, usage.cost, usage.paid),
            (4 * GIB, 8_000, 8_000)
        );
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 6_000 - 600);
        assert_eq!(PendingRewards::<Test>::get(7), 2_000 - 200);
        assert_eq!(balance(Treasury::get()), treasury + 800);
        let before = balance(OPERATOR);
        assert_ok!(Settlement::claim_rewards(signed(OPERATOR)));
        assert_eq!(balance(OPERATOR), before + 5_400);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 0);
        assert!(events().contains(&Event::Charged {
            dapp: DAPP,
            epoch: 0,
            cost: 8_000,
            paid: 8_000
        }));
    });
}

#[test]
fn a_dapp_that_runs_out_is_charged_pro_rata_and_its_clients_paused() {
    new_test_ext().execute_with(|| {
        assert_ok!(Settlement::open_account(signed(DAPP), 3_000));
        assert_ok!(Settlement::authorize_client(signed(DAPP), client(1)));
        verified(0, node(1), OPERATOR, DAPP, 4);
        verified(0, node(2), 7, DAPP, 2);
        settle(0);
        // 6 000 owed, 3 000 available: every node gets half of what it served, less the fee.
        let account = Accounts::<Test>::get(DAPP).unwrap();
        assert_eq!((account.balance, account.debt), (0, 3_000));
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 2_000 - 200);
        assert_eq!(PendingRewards::<Test>::get(7), 1_000 - 100);
        // Its clients' receipts are still its to pay: the debt is the dApp's, not an offence of the nodes
        // that served them.
        assert_eq!(Settlement::payer(&client(1), 1), Some(DAPP));
        assert!(events().contains(&Event::AccountInDebt {
            dapp: DAPP,
            debt: 3_000
        }));
        // Topping up repays the debt to the treasury first, then the clients resume.
        let treasury = balance(Treasury::get());
        assert_ok!(Settlement::top_up(signed(DAPP), 2_000));
        assert!(Settlement::account_info(&DAPP).unwrap().paused);
        assert_ok!(Settlement::top_up(signed(DAPP), 1_500));
        assert!(!Settlement::account_info(&DAPP).unwrap().paused);
        assert_eq!(balance(Treasury::get()), treasury + 3_000);
        assert_eq!(Accounts::<Test>::get(DAPP).unwrap().balance, 500);
    });
}

#[test]
fn storage_is_paid_for_proven_replicas_up_to_the_dapps_limits() {
    new_test_ext().execute_with(|| {
        assert_ok!(Settlement::open_account(signed(DAPP), 100_000));
        let content = ContentId([7; 32]);
        let cheap = ContentId([8; 32]);
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            content,
            2 * GIB,
            2,
            100,
            None
        ));
        // This one only accepts a price below the storage price: nobody is paid to store it.
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            cheap,
            GIB,
            3,
            99,
            None
        ));
        let nodes: Vec<NodeId> = (1..=3)
            .map(|seed| {
                pallet_edge_nodes::testing::register_node::<Test>(OPERATOR + seed as u64 - 1, seed)
            })
            .collect();
        // All three proved both contents; GPoW ranked them in this order.
        for proven in [content, cheap] {
            pallet_gpow::StorageProvers::<Test>::insert(
                0,
                proven,
                BoundedVec::truncate_from(nodes.clone()),
            );
        }
        settle(0);
        // Two replicas of 2 GiB at 100 per GiB: the two best-ranked nodes earn 200 less the fee.
        assert_eq!(Usage::<Test>::get(0, DAPP).stored, 4 * GIB);
        let paid: Vec<u64> = (0..3)
            .map(|i| PendingRewards::<Test>::get(OPERATOR + i))
            .collect();
        assert_eq!(paid, vec![180, 180, 0]);
        assert_eq!(Accounts::<Test>::get(DAPP).unwrap().balance, 100_000 - 400);
        assert_eq!(
            Contents::<Test>::get(content),
            Some(ContentInfo {
                owner: DAPP,
                size: 2 * GIB,
                replicas: 2,
                max_price: 100,
                origin: None,
                until: None
            })
        );
    });
}

#[test]
fn the_subsidy_tapers_per_era_and_is_paid_by_work_score_and_to_keepers() {
    new_test_ext().execute_with(|| {
        Emission::set(EmissionSchedule {
            per_epoch: 10_000,
            taper_per_era: Perbill::from_percent(50),
            floor: 1_000,
        });
        let a = pallet_edge_nodes::testing::register_node::<Test>(OPERATOR, 1);
        let b = pallet_edge_nodes::testing::register_node::<Test>(7, 2);
        for (epoch, scores) in [(0u32, [300u64, 100]), (1, [100, 100])] {
            pallet_gpow::WorkScores::<Test>::insert(epoch, a, scores[0]);
            pallet_gpow::WorkScores::<Test>::insert(epoch, b, scores[1]);
            pallet_gpow::TotalWorkScore::<Test>::insert(epoch, (scores[0] + scores[1]) as u128);
        }
        let issuance = Balances::total_issuance();
        settle(0);
        // Era 0: 10 000, 20% to keepers, 8 000 split 3:1.
        assert_eq!(KeeperPot::get(), 2_000);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 6_000);
        assert_eq!(PendingRewards::<Test>::get(7), 2_000);
        assert_eq!(Balances::total_issuance(), issuance + 8_000);
        // Era 1 halves the subsidy.
        Era::set(1);
        settle(1);
        assert_eq!(KeeperPot::get(), 2_000 + 1_000);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 6_000 + 2_000);
        // Far eras stop at the floor.
        assert_eq!(Emission::get().per_epoch_in(40), 1_000);
    });
}

#[test]
fn settlement_waits_for_the_challenges_and_runs_in_pages() {
    new_test_ext().execute_with(|| {
        MaxSettlePerBlock::set(2);
        assert_ok!(Settlement::open_account(signed(DAPP), 100_000));
        for n in 1..=5 {
            verified(0, node(n), OPERATOR, DAPP, 1);
        }
        // Epoch 0's challenges may be answered until epoch 1 ends: nothing is settled before epoch 2.
        run_to(20);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 0);
        assert_eq!(Settling::<Test>::get().epoch, 0);
        run_to(21); // storage (nothing), then a page of 2 accruals per block
        run_to(23);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 4 * 900);
        settle(0);
        assert_eq!(PendingRewards::<Test>::get(OPERATOR), 5 * 900);
        assert_eq!(crate::Accruals::<Test>::iter_prefix(0).count(), 0);
    });
}

#[test]
fn storage_accrual_runs_in_pages() {
    new_test_ext().execute_with(|| {
        MaxSettlePerBlock::set(4);
        assert_ok!(Settlement::open_account(signed(DAPP), 100_000));
        assert_ok!(Settlement::publish_content(
            signed(DAPP),
            ContentId([1; 32]),
            GIB,
            3,
            100,
            None
        ));
        let nodes: Vec<NodeId> = (1..=3)
            .map(|seed| {
                let operator = 10 + seed as u64;
                Balances::set_balance(&operator, 1_000);
                pallet_edge_nodes::testing::register_node::<Test>(operator, seed)
            })
            .collect();
        // Ten proven contents, one of them published: more than a page of four.
        for c in 1..=10u8 {
            pallet_gpow::StorageProvers::<Test>::insert(
                0,
                ContentId([c; 32]),
                BoundedVec::truncate_from(nodes.clone()),
            );
        }
        run_to(21);
        assert_eq!(
            Settling::<Test>::get().stage,
            0,
            "storage accrual spans blocks"
        );
        assert!(Settling::<Test>::get().cursor.is_some());
        settle(0);
        // Exactly three replicas of the one published content were paid.
        assert_eq!(Usage::<Test>::get(0, DAPP).stored, 3 * GIB);
    });
}

#[test]
fn old_usage_is_deleted() {
    new_test_ext().execute_with(|| {
        assert_ok!(Settlement::open_account(signed(DAPP), 100_000));
        verified(0, node(1), OPERATOR, DAPP, 1);
        settle(0);
        assert_eq!(Usage::<Test>::get(0, DAPP).bytes, GIB);
        settle(3);
        assert_eq!(Usage::<Test>::get(0, DAPP).bytes, 0);
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Over many epochs of random traffic, balances and price changes, what nodes earn from traffic never
    /// exceeds what dApps paid, and every unit paid is either a node's or the treasury's.
    #[test]
    fn traffic_rewards_never_exceed_client_payments(
        epochs in proptest::collection::vec(
            (
                proptest::collection::vec((0u8..4, 0u8..3, 0u64..(4 * GIB)), 0..12),
                1u64..5_000,
                0u64..3_000,
            ),
            6..14,
        ),
        fee in 0u32..30,
    ) {
        new_test_ext().execute_with(|| {
            ProtocolFee::set(Perbill::from_percent(fee));
            for dapp in 1..=3u64 {
                assert_ok!(Settlement::open_account(signed(dapp), 1_000));
            }
            let treasury = balance(Treasury::get());
            let mut paid_in = 3_000u64;
            let mut paid = 0u64;
            for (epoch, (traffic, price, top_up)) in epochs.iter().enumerate() {
                let epoch = epoch as EpochIndex;
                for (n, dapp, bytes) in traffic {
                    Settlement::on_traffic_verified(epoch, &node(*n), &(10 + *n as u64), &(1 + *dapp as u64), *bytes);
                }
                DeliveryPrice::set(*price);
                assert_ok!(Settlement::top_up(signed(1), *top_up + 1));
                paid_in += *top_up + 1;
                settle(epoch);
                // Read before the usage falls out of history.
                paid += (1..=3).map(|d| Usage::<Test>::get(epoch, d).paid).sum::<u64>();
            }
            let earned: u64 = (10..14).map(PendingRewards::<Test>::get).sum();
            let fees_and_debt = balance(Treasury::get()) - treasury;
            let left: u64 = (1..=3).map(|d| Accounts::<Test>::get(d).unwrap().balance).sum();
            prop_assert!(earned <= paid, "nodes earned {earned} but dApps paid {paid}");
            // Everything paid in is a balance, a node's earning, or the treasury's (fees, repaid debt), up to
            // rounding dust that stays in the pallet account.
            prop_assert!(earned + fees_and_debt + left <= paid_in);
            prop_assert_eq!(pot(), paid_in - fees_and_debt);
            Ok(())
        })?;
    }
}
