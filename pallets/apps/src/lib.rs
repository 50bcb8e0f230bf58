//! # Apps pallet: the registry of PeerHVM edge applications
//!
//! A dApp's edge application is a WebAssembly component (`wasi:http/proxy`) that edge nodes run for every
//! request to `<gateway>/a/<name>/<path>`. This pallet is where the name is bound to the code and to what
//! each request may use, so that every node serves the same app under a name, within the limits its owner
//! agreed to pay for.
//!
//! ## For dApp developers
//! 1. Publish the component as content first (settlement's `publish_content`): its content id is the BLAKE3
//!    root of the wasm bytes, so a node can check the code it fetched is the code registered here, and the
//!    content is owned by the dApp, so nobody can deploy an app from code they do not own (it would make
//!    the code's owner pay to store what others run).
//! 2. [`Pallet::deploy`] the app under a free [`AppName`] (3 to 32 bytes of `[a-z0-9-]`, the URL path
//!    segment), with its [`AppLimits`] per request (within [`Config::MaxMemoryMib`],
//!    [`Config::MaxComputeUnits`] and [`Config::MaxWallMs`], which governance can raise as machines grow),
//!    the most it pays per million compute units, the regions it runs in (none: everywhere) and the origins
//!    (`scheme://host[:port]`) it may call. [`Config::AppDeposit`] is held while the app exists, so names
//!    are not free to squat and every stored record is paid for.
//! 3. [`Pallet::upgrade`] replaces any of it under the same name and bumps [`AppInfo::version`];
//!    [`Pallet::remove`] frees the name and releases the deposit.
//!
//! A removed name can be deployed again, by anyone, with version 1: nodes must key what they cache on the
//! code's content id, never on the name and version alone.
//!
//! ## For GPoW
//! Compute receipts name the code they ran, and GPoW accepts them only for code an app ran in the receipt's
//! epoch ([`pallet_gpow::AppCatalog`]). [`Codes`] counts the apps running each code and, once none does, the
//! epoch the last one stopped: receipts of that epoch are still accepted while they can be challenged (through
//! the next epoch), so upgrading or removing an app cannot void the nodes that served it. Records no app has
//! run since are deleted in idle block time.
//!
//! ## For nodes
//! `AppsApi::app` ([`runtime_api`]) answers what a gateway needs to route a request: the code to fetch and
//! run, the limits, regions and origins.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

use codec::{Decode, Encode, MaxEncodedLen};
pub use enreach_primitives::{AppLimits, AppName};
use enreach_primitives::{ContentId, EpochIndex, OriginUrl, Region};
use frame_support::{
    traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;

/// Where an app's code comes from: published content and its owner (settlement's `Contents` in the runtime).
pub trait CodeOwner<AccountId> {
    /// The owner of `code` if it is published content an app may be deployed from now, `None` if it is not
    /// published (or is being unpublished: it would stop being stored while the app still names it).
    fn owner(code: &ContentId) -> Option<AccountId>;
    /// Publishes `code` as owned by `owner`, for this pallet's benchmarks.
    #[cfg(feature = "runtime-benchmarks")]
    fn publish_for_benchmark(code: &ContentId, owner: &AccountId);
}

/// How the registry uses one code: how many apps run it now and, once none does, the last epoch one did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct CodeUse {
    /// Apps running it now.
    pub apps: u32,
    /// The epoch the last app running it was upgraded to other code or removed, once no app runs it.
    pub until: Option<EpochIndex>,
}

impl CodeUse {
    /// Whether receipts of `epoch` may bill this code: an app runs it now, or ran it until `epoch` or later.
    /// Epochs before any app ran it are not told apart: the client signed for the code either way.
    pub fn runs_in(&self, epoch: EpochIndex) -> bool {
        self.apps > 0 || self.until.is_some_and(|until| epoch <= until)
    }

    /// Whether the record can go in epoch `now`: no app runs the code, and receipts of its last epoch can no
    /// longer be challenged (a report's challenge ends within the epoch after the one it reports).
    fn is_stale(&self, now: EpochIndex) -> bool {
        self.apps == 0 && self.until.is_none_or(|until| until.saturating_add(1) < now)
    }
}

/// A registered app, as stored.
#[derive(
    CloneNoBound, DebugNoBound, PartialEqNoBound, EqNoBound, Encode, Decode, MaxEncodedLen, TypeInfo,
)]
#[scale_info(skip_type_params(MaxRegions, MaxOrigins))]
pub struct AppInfo<AccountId, Balance, MaxRegions: Get<u32>, MaxOrigins: Get<u32>>
where
    AccountId: Clone + core::fmt::Debug + PartialEq + Eq,
    Balance: Clone + core::fmt::Debug + PartialEq + Eq,
{
    /// Who deployed it: the only account that may upgrade or remove it, and whose deposit is held.
    pub owner: AccountId,
    /// The component's content id (BLAKE3 root of the wasm), published by the owner.
    pub code: ContentId,
    /// 1 at deployment, one more at every upgrade: tells nodes and clients the app changed.
    pub version: u32,
    /// What one request may use.
    pub limits: AppLimits,
    /// The most the owner pays per million compute units: nodes asking more do not run it.
    pub max_price: Balance,
    /// Where it runs; empty means everywhere.
    pub regions: BoundedVec<Region, MaxRegions>,
    /// The `scheme://host[:port]` origins its requests may call; nothing else is reachable from it.
    pub origins: BoundedVec<OriginUrl, MaxOrigins>,
    /// Held from the owner until the app is removed (the amount in force at deployment).
    pub deposit: Balance,
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use alloc::vec::Vec;
    use enreach_primitives::{is_valid_app_name, is_valid_app_origin};
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, MutateHold},
            tokens::Precision,
        },
    };
    use frame_system::pallet_prelude::*;

    /// Balance type of the currency deposits are held in.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// The regions an app runs in, as calls take them.
    pub type RegionsOf<T> = BoundedVec<Region, <T as Config>::MaxRegions>;

    /// The origins an app may call, as calls take them.
    pub type OriginsOf<T> = BoundedVec<OriginUrl, <T as Config>::MaxOrigins>;

    /// A stored app record.
    pub type AppInfoOf<T> = AppInfo<
        <T as frame_system::Config>::AccountId,
        BalanceOf<T>,
        <T as Config>::MaxRegions,
        <T as Config>::MaxOrigins,
    >;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// Holds app deposits.
        type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// Who owns which code: an app runs only code its owner published.
        type Code: CodeOwner<Self::AccountId>;
        /// Held from the owner while an app exists: what squatting a name costs, and what pays for its record.
        #[pallet::constant]
        type AppDeposit: Get<BalanceOf<Self>>;
        /// Most apps registered at once: bounds the registry, whatever deposits attackers can afford.
        #[pallet::constant]
        type MaxApps: Get<u32>;
        /// Most apps one account may own: bounds the owner's list, which `remove` scans.
        #[pallet::constant]
        type MaxAppsPerAccount: Get<u32>;
        /// Largest memory an app may ask for per request, MiB: what nodes are expected to lend.
        #[pallet::constant]
        type MaxMemoryMib: Get<u32>;
        /// Most compute units an app may ask for per request.
        #[pallet::constant]
        type MaxComputeUnits: Get<u64>;
        /// Longest wall-clock time an app may ask for per request, milliseconds.
        #[pallet::constant]
        type MaxWallMs: Get<u32>;
        /// Most regions an app may be restricted to.
        #[pallet::constant]
        type MaxRegions: Get<u32>;
        /// Most origins an app may call.
        #[pallet::constant]
        type MaxOrigins: Get<u32>;
        /// The GPoW epoch in progress: when an app stops running a code, receipts of this epoch still bill it.
        type CurrentEpoch: Get<EpochIndex>;
        /// Most [`Codes`] records checked for deletion per block, in idle time.
        #[pallet::constant]
        type MaxCodeSweep: Get<u32>;
        /// Weights of this pallet's calls.
        type WeightInfo: WeightInfo;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// An app's deposit.
        AppDeposit,
    }

    /// Every registered app, by name. Counted, so that [`Config::MaxApps`] bounds it.
    #[pallet::storage]
    pub type Apps<T: Config> = CountedStorageMap<_, Blake2_128Concat, AppName, AppInfoOf<T>>;

    /// The names of the apps each account owns.
    #[pallet::storage]
    pub type AppsOf<T: Config> = StorageMap<
        _,
        Blake2_128Concat,
        T::AccountId,
        BoundedVec<AppName, T::MaxAppsPerAccount>,
        ValueQuery,
    >;

    /// How many apps run each code, and when the last one stopped ([`CodeUse`]): what compute receipts may
    /// bill. At most one record per app plus those retired within the last two epochs, which idle blocks delete.
    #[pallet::storage]
    pub type Codes<T: Config> = StorageMap<_, Blake2_128Concat, ContentId, CodeUse>;

    /// Where the deletion of stale [`Codes`] records resumes.
    #[pallet::storage]
    pub type CodeSweepCursor<T: Config> = StorageValue<_, BoundedVec<u8, ConstU32<256>>>;

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        /// Deletes the stale records among the next `MaxCodeSweep` of [`Codes`], if the block has room for the
        /// whole page, wrapping around at the end.
        fn on_idle(_: BlockNumberFor<T>, remaining: Weight) -> Weight {
            let page = T::MaxCodeSweep::get();
            let weight = T::DbWeight::get().reads_writes(page as u64 + 1, page as u64 + 1);
            if page == 0 || !remaining.all_gte(weight) {
                return Weight::zero();
            }
            let now = T::CurrentEpoch::get();
            let mut codes = match CodeSweepCursor::<T>::take() {
                Some(cursor) => Codes::<T>::iter_from(cursor.into_inner()),
                None => Codes::<T>::iter(),
            };
            for _ in 0..page {
                let Some((code, use_of)) = codes.next() else {
                    return weight;
                };
                if use_of.is_stale(now) {
                    Codes::<T>::remove(code);
                }
            }
            // A key is 32 + 16 + 32 bytes, far below the bound.
            if let Ok(cursor) = BoundedVec::try_from(codes.last_raw_key().to_vec()) {
                CodeSweepCursor::<T>::put(cursor);
            }
            weight
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// An app was deployed under a free name.
        AppDeployed {
            /// Its name.
            name: AppName,
            /// Its owner.
            owner: T::AccountId,
            /// Its code's content id.
            code: ContentId,
            /// Its version (1).
            version: u32,
        },
        /// An app's code or settings changed.
        AppUpgraded {
            /// Its name.
            name: AppName,
            /// Its owner.
            owner: T::AccountId,
            /// Its code's content id now.
            code: ContentId,
            /// Its new version.
            version: u32,
        },
        /// An app was removed: its name is free and its deposit released.
        AppRemoved {
            /// Its name.
            name: AppName,
            /// Its owner.
            owner: T::AccountId,
            /// The code it ran last.
            code: ContentId,
            /// The version it had last.
            version: u32,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The name must be 3 to 32 bytes of `a-z`, `0-9` and `-`, neither starting nor ending with `-`.
        InvalidName,
        /// Another app has this name.
        NameTaken,
        /// No app has this name.
        UnknownApp,
        /// Only the app's owner may do this.
        NotAppOwner,
        /// The code is not published content (or is being unpublished): publish it first.
        CodeNotPublished,
        /// The code is content someone else published: an app may only run its owner's code.
        NotCodeOwner,
        /// Every limit must be at least 1.
        ZeroLimit,
        /// A limit is above the chain's ceiling for it (`MaxMemoryMib`, `MaxComputeUnits`, `MaxWallMs`).
        LimitsOverBounds,
        /// A region's country code is not two upper-case ASCII letters.
        InvalidRegion,
        /// A region is listed twice.
        DuplicateRegion,
        /// An origin is not `http(s)://host[:port]` of printable ASCII, with no path, query or user info.
        InvalidOrigin,
        /// An origin is listed twice (letter case aside, as nodes compare them).
        DuplicateOrigin,
        /// The registry holds the most apps allowed.
        TooManyApps,
        /// This account owns the most apps allowed.
        TooManyAppsForAccount,
        /// The owner cannot hold the app deposit.
        InsufficientDeposit,
        /// The app was upgraded the most times a version can count.
        VersionOverflow,
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Deploys an app of code `code` (content the signer published) under the free `name`, holding
        /// [`Config::AppDeposit`]. `regions` empty means everywhere; `origins` are all it may call.
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::deploy())]
        pub fn deploy(
            origin: OriginFor<T>,
            name: AppName,
            code: ContentId,
            limits: AppLimits,
            max_price: BalanceOf<T>,
            regions: RegionsOf<T>,
            origins: OriginsOf<T>,
        ) -> DispatchResult {
            let owner = ensure_signed(origin)?;
            ensure!(is_valid_app_name(&name), Error::<T>::InvalidName);
            ensure!(!Apps::<T>::contains_key(&name), Error::<T>::NameTaken);
            ensure!(
                Apps::<T>::count() < T::MaxApps::get(),
                Error::<T>::TooManyApps
            );
            Self::ensure_runnable(&owner, &code, &limits, &regions, &origins)?;
            AppsOf::<T>::try_mutate(&owner, |names| names.try_push(name.clone()))
                .map_err(|_| Error::<T>::TooManyAppsForAccount)?;
            let deposit = T::AppDeposit::get();
            T::Currency::hold(&HoldReason::AppDeposit.into(), &owner, deposit)
                .map_err(|_| Error::<T>::InsufficientDeposit)?;
            Self::start_running(&code);
            let version = 1;
            Apps::<T>::insert(
                &name,
                AppInfo {
                    owner: owner.clone(),
                    code,
                    version,
                    limits,
                    max_price,
                    regions,
                    origins,
                    deposit,
                },
            );
            Self::deposit_event(Event::AppDeployed {
                name,
                owner,
                code,
                version,
            });
            Ok(())
        }

        /// Replaces the code and settings of the signer's app `name`, with the same checks as
        /// [`Pallet::deploy`], and bumps its version. The deposit stays as it was held.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::upgrade())]
        pub fn upgrade(
            origin: OriginFor<T>,
            name: AppName,
            code: ContentId,
            limits: AppLimits,
            max_price: BalanceOf<T>,
            regions: RegionsOf<T>,
            origins: OriginsOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let version = Apps::<T>::try_mutate(&name, |app| {
                let app = app.as_mut().ok_or(Error::<T>::UnknownApp)?;
                ensure!(app.owner == who, Error::<T>::NotAppOwner);
                Self::ensure_runnable(&who, &code, &limits, &regions, &origins)?;
                app.version = app
                    .version
                    .checked_add(1)
                    .ok_or(Error::<T>::VersionOverflow)?;
                if app.code != code {
                    Self::stop_running(&app.code);
                    Self::start_running(&code);
                }
                app.code = code;
                app.limits = limits;
                app.max_price = max_price;
                app.regions = regions;
                app.origins = origins;
                Ok::<_, DispatchError>(app.version)
            })?;
            Self::deposit_event(Event::AppUpgraded {
                name,
                owner: who,
                code,
                version,
            });
            Ok(())
        }

        /// Removes the signer's app `name`: nodes stop serving it, the name is free again and the deposit is
        /// released.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::remove())]
        pub fn remove(origin: OriginFor<T>, name: AppName) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let app = Apps::<T>::get(&name).ok_or(Error::<T>::UnknownApp)?;
            ensure!(app.owner == who, Error::<T>::NotAppOwner);
            // Best effort: nothing else takes from this hold, but a failed release must not keep a name taken.
            T::Currency::release(
                &HoldReason::AppDeposit.into(),
                &who,
                app.deposit,
                Precision::BestEffort,
            )?;
            Apps::<T>::remove(&name);
            Self::stop_running(&app.code);
            AppsOf::<T>::mutate_exists(&who, |names| {
                if let Some(list) = names {
                    list.retain(|n| *n != name);
                    if list.is_empty() {
                        *names = None;
                    }
                }
            });
            Self::deposit_event(Event::AppRemoved {
                name,
                owner: who,
                code: app.code,
                version: app.version,
            });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// The ceilings of [`AppLimits`] in force.
        pub fn max_limits() -> AppLimits {
            AppLimits {
                memory_mib: T::MaxMemoryMib::get(),
                compute_units: T::MaxComputeUnits::get(),
                wall_ms: T::MaxWallMs::get(),
            }
        }

        /// One more app runs `code`.
        pub(crate) fn start_running(code: &ContentId) {
            Codes::<T>::mutate(code, |use_of| {
                let use_of = use_of.get_or_insert_with(Default::default);
                use_of.apps = use_of.apps.saturating_add(1);
                use_of.until = None;
            });
        }

        /// One app fewer runs `code`; if none does any more, receipts of the current epoch still bill it.
        fn stop_running(code: &ContentId) {
            Codes::<T>::mutate(code, |use_of| {
                if let Some(use_of) = use_of {
                    use_of.apps = use_of.apps.saturating_sub(1);
                    if use_of.apps == 0 {
                        use_of.until = Some(T::CurrentEpoch::get());
                    }
                }
            });
        }

        /// The names of `owner`'s apps.
        pub fn apps_of(owner: &T::AccountId) -> Vec<AppName> {
            AppsOf::<T>::get(owner).into_inner()
        }

        /// Checks what both `deploy` and `upgrade` take: code `owner` published, limits no node would refuse
        /// for being too large, and regions and origins a node can interpret.
        fn ensure_runnable(
            owner: &T::AccountId,
            code: &ContentId,
            limits: &AppLimits,
            regions: &RegionsOf<T>,
            origins: &OriginsOf<T>,
        ) -> DispatchResult {
            match T::Code::owner(code) {
                None => return Err(Error::<T>::CodeNotPublished.into()),
                Some(code_owner) => ensure!(code_owner == *owner, Error::<T>::NotCodeOwner),
            }
            ensure!(limits.is_nonzero(), Error::<T>::ZeroLimit);
            ensure!(
                limits.is_within(&Self::max_limits()),
                Error::<T>::LimitsOverBounds
            );
            for (i, region) in regions.iter().enumerate() {
                ensure!(region.is_valid(), Error::<T>::InvalidRegion);
                ensure!(!regions[..i].contains(region), Error::<T>::DuplicateRegion);
            }
            for (i, url) in origins.iter().enumerate() {
                ensure!(is_valid_app_origin(url), Error::<T>::InvalidOrigin);
                ensure!(
                    !origins[..i].iter().any(|o| o.eq_ignore_ascii_case(url)),
                    Error::<T>::DuplicateOrigin
                );
            }
            Ok(())
        }
    }
}

impl<T: Config> pallet_gpow::AppCatalog for Pallet<T> {
    fn runs_code(code: &ContentId, epoch: EpochIndex) -> bool {
        Codes::<T>::get(code).is_some_and(|use_of| use_of.runs_in(epoch))
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn deploy_for_benchmark(code: &ContentId) {
        Pallet::<T>::start_running(code);
    }
}
