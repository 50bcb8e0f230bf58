//! Every call and every named error of the app registry, each rule with a test that fails without it.

use crate::{mock::*, AppInfo, AppsOf, Error, Event, HoldReason};
use enreach_primitives::{AppLimits, AppName, ContentId, Continent, OriginUrl, Region};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use sp_runtime::DispatchError;

/// The registry's storage; `Apps` is the pallet in the mock runtime.
type Registered = crate::Apps<Test>;

/// Code published by account `owner` in these tests: `code(n)` belongs to account `n`.
fn code(owner: u8) -> ContentId {
    ContentId([owner; 32])
}

fn name(s: &str) -> AppName {
    BoundedVec::truncate_from(s.as_bytes().to_vec())
}

fn limits() -> AppLimits {
    AppLimits {
        memory_mib: 64,
        compute_units: 500_000,
        wall_ms: 10_000,
    }
}

fn region(country: &[u8; 2]) -> Region {
    Region {
        continent: Continent::Europe,
        country: *country,
    }
}

fn regions(list: &[Region]) -> crate::RegionsOf<Test> {
    BoundedVec::truncate_from(list.to_vec())
}

fn origin_url(s: &str) -> OriginUrl {
    BoundedVec::truncate_from(s.as_bytes().to_vec())
}

fn origins(list: &[&str]) -> crate::OriginsOf<Test> {
    BoundedVec::truncate_from(list.iter().map(|s| origin_url(s)).collect())
}

/// Publishes `code(n)` for each account `n` that holds funds.
fn ext() -> sp_io::TestExternalities {
    let mut ext = new_test_ext();
    ext.execute_with(|| {
        for owner in 1..=4u8 {
            publish(code(owner), owner.into());
        }
    });
    ext
}

/// `who` deploys `app` from their own code with ordinary settings.
fn deploy(who: u64, app: &str) -> sp_runtime::DispatchResult {
    deploy_with(who, app, code(who as u8), limits())
}

fn deploy_with(
    who: u64,
    app: &str,
    code: ContentId,
    limits: AppLimits,
) -> sp_runtime::DispatchResult {
    Apps::deploy(
        RuntimeOrigin::signed(who),
        name(app),
        code,
        limits,
        7,
        regions(&[region(b"FR")]),
        origins(&["https://api.example.com"]),
    )
}

fn upgrade_with(
    who: u64,
    app: &str,
    code: ContentId,
    limits: AppLimits,
    urls: &[&str],
) -> sp_runtime::DispatchResult {
    Apps::upgrade(
        RuntimeOrigin::signed(who),
        name(app),
        code,
        limits,
        9,
        regions(&[]),
        origins(urls),
    )
}

fn held(who: u64) -> u64 {
    Balances::balance_on_hold(&RuntimeHoldReason::Apps(HoldReason::AppDeposit), &who)
}

#[test]
fn deploy_registers_the_app_and_holds_the_deposit() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        assert_eq!(
            Registered::get(name("shop")),
            Some(AppInfo {
                owner: 1,
                code: code(1),
                version: 1,
                limits: limits(),
                max_price: 7,
                regions: regions(&[region(b"FR")]),
                origins: origins(&["https://api.example.com"]),
                deposit: DEPOSIT,
            })
        );
        assert_eq!(held(1), DEPOSIT);
        assert_eq!(AppsOf::<Test>::get(1).into_inner(), vec![name("shop")]);
        assert_eq!(Registered::count(), 1);
        System::assert_last_event(
            Event::AppDeployed {
                name: name("shop"),
                owner: 1,
                code: code(1),
                version: 1,
            }
            .into(),
        );
    });
}

#[test]
fn an_app_runs_only_code_its_owner_published() {
    ext().execute_with(|| {
        // Code 2 is account 2's: account 1 cannot make it run (and make 2 pay to store it) under its name.
        assert_noop!(
            deploy_with(1, "shop", code(2), limits()),
            Error::<Test>::NotCodeOwner
        );
        assert_noop!(
            deploy_with(1, "shop", ContentId([0xee; 32]), limits()),
            Error::<Test>::CodeNotPublished
        );
        assert_eq!(held(1), 0);
    });
}

#[test]
fn a_name_is_taken_until_its_app_is_removed() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        assert_noop!(deploy(2, "shop"), Error::<Test>::NameTaken);
        assert_noop!(deploy(1, "shop"), Error::<Test>::NameTaken);
    });
}

#[test]
fn names_outside_the_url_safe_alphabet_or_length_are_refused() {
    ext().execute_with(|| {
        for bad in [
            "ab", "-shop", "shop-", "Shop", "my_shop", "my.shop", "my/shop", "sh p", "",
        ] {
            assert_noop!(deploy(1, bad), Error::<Test>::InvalidName);
        }
        // 33 bytes do not even decode as an `AppName`; 32 are the most a name has.
        assert!(AppName::try_from(vec![b'a'; 33]).is_err());
        assert_ok!(deploy(1, &"a".repeat(32)));
        assert_ok!(deploy(1, "a-1"));
    });
}

#[test]
fn limits_must_be_nonzero_and_within_the_chain_ceilings() {
    ext().execute_with(|| {
        let ceiling = AppLimits {
            memory_mib: MAX_MEMORY_MIB,
            compute_units: MAX_COMPUTE_UNITS,
            wall_ms: MAX_WALL_MS,
        };
        for over in [
            AppLimits {
                memory_mib: MAX_MEMORY_MIB + 1,
                ..ceiling
            },
            AppLimits {
                compute_units: MAX_COMPUTE_UNITS + 1,
                ..ceiling
            },
            AppLimits {
                wall_ms: MAX_WALL_MS + 1,
                ..ceiling
            },
        ] {
            assert_noop!(
                deploy_with(1, "shop", code(1), over),
                Error::<Test>::LimitsOverBounds
            );
        }
        for zero in [
            AppLimits {
                memory_mib: 0,
                ..ceiling
            },
            AppLimits {
                compute_units: 0,
                ..ceiling
            },
            AppLimits {
                wall_ms: 0,
                ..ceiling
            },
        ] {
            assert_noop!(
                deploy_with(1, "shop", code(1), zero),
                Error::<Test>::ZeroLimit
            );
        }
        assert_ok!(deploy_with(1, "shop", code(1), ceiling));
        // Upgrades are held to the same ceilings.
        assert_noop!(
            upgrade_with(
                1,
                "shop",
                code(1),
                AppLimits {
                    wall_ms: MAX_WALL_MS + 1,
                    ..ceiling
                },
                &[]
            ),
            Error::<Test>::LimitsOverBounds
        );
    });
}

#[test]
fn an_account_owns_at_most_max_apps_per_account() {
    ext().execute_with(|| {
        for app in ["one", "two", "three"] {
            assert_ok!(deploy(1, app));
        }
        assert_noop!(deploy(1, "four"), Error::<Test>::TooManyAppsForAccount);
        // Removing one frees a slot.
        assert_ok!(Apps::remove(RuntimeOrigin::signed(1), name("two")));
        assert_ok!(deploy(1, "four"));
    });
}

#[test]
fn the_registry_holds_at_most_max_apps() {
    ext().execute_with(|| {
        for (who, app) in [
            (1, "one"),
            (1, "two"),
            (2, "three"),
            (2, "four"),
            (3, "five"),
        ] {
            assert_ok!(deploy(who, app));
        }
        assert_noop!(deploy(3, "six"), Error::<Test>::TooManyApps);
        assert_ok!(Apps::remove(RuntimeOrigin::signed(2), name("four")));
        assert_ok!(deploy(3, "six"));
    });
}

#[test]
fn remove_releases_the_deposit_and_frees_the_name() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        assert_eq!(Balances::free_balance(1), 1000 - DEPOSIT);
        assert_ok!(Apps::remove(RuntimeOrigin::signed(1), name("shop")));
        assert_eq!(held(1), 0);
        assert_eq!(Balances::free_balance(1), 1000);
        assert!(!Registered::contains_key(name("shop")));
        assert_eq!(Registered::count(), 0);
        // No empty list is left behind in storage.
        assert!(!AppsOf::<Test>::contains_key(1));
        System::assert_last_event(
            Event::AppRemoved {
                name: name("shop"),
                owner: 1,
                code: code(1),
                version: 1,
            }
            .into(),
        );
        // Anyone may take the name again; it starts over at version 1 with other code.
        assert_ok!(deploy(2, "shop"));
        let app = Registered::get(name("shop")).expect("deployed");
        assert_eq!((app.owner, app.code, app.version), (2, code(2), 1));
    });
}

#[test]
fn an_owner_who_cannot_hold_the_deposit_cannot_deploy() {
    ext().execute_with(|| {
        assert_noop!(deploy(4, "shop"), Error::<Test>::InsufficientDeposit);
        assert!(!AppsOf::<Test>::contains_key(4));
    });
}

#[test]
fn only_the_owner_upgrades_or_removes_an_app() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        assert_noop!(
            upgrade_with(2, "shop", code(2), limits(), &[]),
            Error::<Test>::NotAppOwner
        );
        assert_noop!(
            Apps::remove(RuntimeOrigin::signed(2), name("shop")),
            Error::<Test>::NotAppOwner
        );
        assert_noop!(
            upgrade_with(1, "nope", code(1), limits(), &[]),
            Error::<Test>::UnknownApp
        );
        assert_noop!(
            Apps::remove(RuntimeOrigin::signed(1), name("nope")),
            Error::<Test>::UnknownApp
        );
    });
}

#[test]
fn upgrade_replaces_the_settings_and_bumps_the_version() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        publish(ContentId([0x11; 32]), 1);
        let bigger = AppLimits {
            memory_mib: 128,
            ..limits()
        };
        assert_ok!(upgrade_with(
            1,
            "shop",
            ContentId([0x11; 32]),
            bigger,
            &["https://a.example.com", "http://b.example.com:8080"]
        ));
        let app = Registered::get(name("shop")).expect("deployed");
        assert_eq!(app.version, 2);
        assert_eq!(app.code, ContentId([0x11; 32]));
        assert_eq!(app.limits, bigger);
        assert_eq!(app.max_price, 9);
        assert!(app.regions.is_empty());
        assert_eq!(app.origins.len(), 2);
        assert_eq!(app.deposit, DEPOSIT);
        assert_eq!(held(1), DEPOSIT);
        System::assert_last_event(
            Event::AppUpgraded {
                name: name("shop"),
                owner: 1,
                code: ContentId([0x11; 32]),
                version: 2,
            }
            .into(),
        );
        assert_ok!(upgrade_with(1, "shop", code(1), limits(), &[]));
        assert_eq!(Registered::get(name("shop")).map(|a| a.version), Some(3));
    });
}

#[test]
fn upgrade_checks_the_code_like_deploy() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        assert_noop!(
            upgrade_with(1, "shop", code(2), limits(), &[]),
            Error::<Test>::NotCodeOwner
        );
        assert_noop!(
            upgrade_with(1, "shop", ContentId([0xee; 32]), limits(), &[]),
            Error::<Test>::CodeNotPublished
        );
    });
}

#[test]
fn a_version_that_cannot_count_further_refuses_upgrades() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        Registered::mutate(name("shop"), |app| {
            app.as_mut().expect("deployed").version = u32::MAX
        });
        assert_noop!(
            upgrade_with(1, "shop", code(1), limits(), &[]),
            Error::<Test>::VersionOverflow
        );
    });
}

#[test]
fn origins_must_be_scheme_host_and_port_only() {
    ext().execute_with(|| {
        assert_ok!(deploy(1, "shop"));
        for bad in [
            "ftp://files.example.com",
            "https://api.example.com/v1",
            "https://api.example.com?x=1",
            "https://user:secret@api.example.com",
            "https://",
            "api.example.com",
            "https://exa mple.com",
        ] {
            assert_noop!(
                upgrade_with(1, "shop", code(1), limits(), &[bad]),
                Error::<Test>::InvalidOrigin
            );
            assert_noop!(
                Apps::deploy(
                    RuntimeOrigin::signed(2),
                    name("other"),
                    code(2),
                    limits(),
                    7,
                    regions(&[]),
                    origins(&[bad]),
                ),
                Error::<Test>::InvalidOrigin
            );
        }
        // Nodes compare origins ignoring letter case, so these are one origin listed twice.
        assert_noop!(
            upgrade_with(
                1,
                "shop",
                code(1),
                limits(),
                &["https://api.example.com", "https://API.Example.com"]
            ),
            Error::<Test>::DuplicateOrigin
        );
    });
}

#[test]
fn regions_must_be_valid_and_distinct() {
    ext().execute_with(|| {
        let deploy_in = |list: &[Region]| {
            Apps::deploy(
                RuntimeOrigin::signed(1),
                name("shop"),
                code(1),
                limits(),
                7,
                regions(list),
                origins(&[]),
            )
        };
        assert_noop!(deploy_in(&[region(b"fr")]), Error::<Test>::InvalidRegion);
        assert_noop!(
            deploy_in(&[region(b"FR"), region(b"DE"), region(b"FR")]),
            Error::<Test>::DuplicateRegion
        );
        assert_ok!(deploy_in(&[region(b"FR"), region(b"DE")]));
    });
}

#[test]
fn calls_need_a_signed_origin() {
    ext().execute_with(|| {
        assert_noop!(
            Apps::remove(RuntimeOrigin::none(), name("shop")),
            DispatchError::BadOrigin
        );
    });
}

#[test]
fn code_an_app_stopped_running_bills_until_its_receipts_cannot_be_challenged() {
    use frame_support::traits::Hooks;
    use pallet_gpow::AppCatalog;
    ext().execute_with(|| {
        let (old, new) = (code(1), ContentId([0x11; 32]));
        publish(new, 1);
        assert!(!Apps::runs_code(&old, 0), "no app runs it yet");
        Epoch::set(3);
        assert_ok!(deploy(1, "shop"));
        assert_ok!(deploy(1, "shop-eu"));
        // Upgraded away in epoch 5 by one app: the other still runs it.
        Epoch::set(5);
        assert_ok!(upgrade_with(1, "shop", new, limits(), &[]));
        assert!(Apps::runs_code(&old, 9) && Apps::runs_code(&new, 5));
        // The last app running it goes in epoch 6: receipts of epoch 6 and before still bill it, later ones not.
        Epoch::set(6);
        assert_ok!(Apps::remove(RuntimeOrigin::signed(1), name("shop-eu")));
        assert!(Apps::runs_code(&old, 6) && !Apps::runs_code(&old, 7));
        // Idle blocks keep it while epoch 6's receipts can be challenged (epoch 7), then delete it.
        let idle = || Apps::on_idle(1, frame_support::weights::Weight::MAX);
        Epoch::set(7);
        for _ in 0..2 {
            idle();
        }
        assert!(Apps::runs_code(&old, 6));
        Epoch::set(8);
        for _ in 0..2 {
            idle();
        }
        assert!(!crate::Codes::<Test>::contains_key(old));
        assert!(Apps::runs_code(&new, 8), "the running code stays");
        // An app that upgrades twice in an epoch leaves every code it ran billable for that epoch.
        publish(ContentId([0x12; 32]), 1);
        assert_ok!(upgrade_with(
            1,
            "shop",
            ContentId([0x12; 32]),
            limits(),
            &[]
        ));
        assert_ok!(upgrade_with(1, "shop", old, limits(), &[]));
        assert!([new, ContentId([0x12; 32]), old]
            .iter()
            .all(|c| Apps::runs_code(c, 8)));
    });
}
