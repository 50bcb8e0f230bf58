//! # GPoS pallet: Guarantee Proof of Stake
//!
//! Keepers verify edge nodes for GPoW and the best of them validate the chain. Stake alone does not make a
//! keeper powerful: its **stake limit** follows the GPoW-verified work of the nodes it observed
//! ([`WorkOracle::oversight`]), and its **effective stake** is `min(own bond + guarantees, stake limit)`.
//!
//! - Keepers [`bond`](Pallet::bond), announce themselves with [`validate`](Pallet::validate) (commission and
//!   region) and step back with [`chill`](Pallet::chill). Guarantors back keepers with
//!   [`guarantee`](Pallet::guarantee) and [`cut_guarantee`](Pallet::cut_guarantee). Funds are held with the
//!   `fungible` hold traits and come back through [`unbond`](Pallet::unbond) and
//!   [`withdraw_unbonded`](Pallet::withdraw_unbonded) after `BondingDuration` eras.
//! - Every `SessionsPerEra` sessions a new era starts ([`pallet_session::SessionManager`]): the counted stake of
//!   every keeper is fixed for the era (own bond first, then guarantees in the order made, up to the limit, so
//!   guarantees above the limit earn nothing), keepers are weighted by it for GPoW assignments
//!   ([`pallet_gpow::KeeperSet`]), and the top `MaxValidators` keepers with session keys become the chain's
//!   validators.
//! - Offences (a missed work challenge, a keeper repeatedly far from its nodes' medians) schedule slashes that
//!   are applied `SlashDeferDuration` eras later unless governance cancels them
//!   ([`cancel_deferred_slash`](Pallet::cancel_deferred_slash)).
//! - Settlement adds to each era's keeper reward pot ([`StakingRewards`]); keepers and guarantors are paid per
//!   era, a page of guarantors per call ([`payout_stakers`](Pallet::payout_stakers)), for `HistoryDepth` eras.

#![cfg_attr(not(feature = "std"), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod exposure;
#[cfg(test)]
mod mock;
mod oracle;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

pub use oracle::WorkOracle;
pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use enreach_primitives::{NodeId, Region};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// Index of an era: the span of [`SessionsPerEra`] sessions over which the keeper set and stakes are fixed.
pub type EraIndex = u32;

/// What a keeper announces with [`Pallet::validate`].
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct KeeperPrefs {
    /// Share of its era reward the keeper takes before the rest is split by counted stake.
    pub commission: Perbill,
    /// Where the keeper works from; GPoW assigns it nodes of its own region first.
    pub region: Region,
}

/// Funds on their way out: withdrawable once `era` has started.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct UnlockChunk<Balance> {
    /// Amount unlocking.
    pub value: Balance,
    /// First era in which it may be withdrawn.
    pub era: EraIndex,
}

/// Who a slash falls on.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub enum SlashTarget<AccountId> {
    /// An edge node: its registration deposit.
    Node(NodeId),
    /// A keeper: its own bond and the guarantees backing it.
    Keeper(AccountId),
}

/// Why a slash was scheduled.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub enum SlashReason {
    /// The node did not answer its work-report challenge.
    MissedChallenge,
    /// The keeper's observations were far from the median more than `DeviationsBeforeSlash` times in an epoch.
    KeeperDeviation,
    /// The keeper, as a validator, equivocated (two BABE blocks in one slot, or two GRANDPA votes in one round,
    /// reported through `pallet-offences`).
    Equivocation,
    /// A majority of the node's keepers could not reproduce its sampled compute.
    WrongCompute,
}

/// A slash waiting for its era.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct PendingSlash<AccountId> {
    /// Who is slashed.
    pub target: SlashTarget<AccountId>,
    /// Share of the target's stake or deposit taken.
    pub fraction: Perbill,
    /// Why.
    pub reason: SlashReason,
    /// The era in which the offence was reported.
    pub reported_era: EraIndex,
    /// The era whose exposure is slashed: the stake that backed the keeper when it offended, wherever that
    /// stake is by the time the slash lands (bonded, unlocking, or a guarantee since cut).
    pub offence_era: EraIndex,
}

/// Where rewards for keepers come from and which era it is, as settlement sees GPoS.
pub trait StakingRewards<Balance> {
    /// The era in progress.
    fn current_era() -> EraIndex;
    /// Adds `amount` to the current era's keeper reward pot, minted when it is paid out.
    fn reward_keepers(amount: Balance);
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use crate::exposure::{counted_stake, guarantor_reward, keeper_reward, pro_rata};
    use alloc::vec::Vec;
    use enreach_primitives::EpochIndex;
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, Mutate, MutateHold},
            tokens::{Fortitude, Precision, Restriction},
            Contains,
        },
    };
    use frame_system::pallet_prelude::*;
    use pallet_edge_nodes::NodeRegistry;
    use sp_runtime::{
        traits::{Saturating, Zero},
        SaturatedConversion,
    };
    use sp_staking::SessionIndex;

    /// Balance of the staking currency.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// A staker's held funds.
    #[derive(
        CloneNoBound,
        PartialEqNoBound,
        EqNoBound,
        DebugNoBound,
        frame_support::DefaultNoBound,
        Encode,
        Decode,
        MaxEncodedLen,
        TypeInfo,
    )]
    #[scale_info(skip_type_params(T))]
    pub struct StakingLedger<T: Config> {
        /// Own bond: counts for the account as a keeper.
        pub active: BalanceOf<T>,
        /// Sum of the account's guarantees of keepers.
        pub guaranteed: BalanceOf<T>,
        /// Funds unbonded or guarantees cut, waiting for the bonding duration.
        pub unlocking: BoundedVec<UnlockChunk<BalanceOf<T>>, T::MaxUnlockingChunks>,
    }

    impl<T: Config> StakingLedger<T> {
        /// Everything this ledger holds.
        pub fn total(&self) -> BalanceOf<T> {
            self.unlocking
                .iter()
                .fold(self.active.saturating_add(self.guaranteed), |sum, c| {
                    sum.saturating_add(c.value)
                })
        }
    }

    /// A keeper's stake as counted for one era.
    #[derive(
        CloneNoBound,
        PartialEqNoBound,
        EqNoBound,
        DebugNoBound,
        Encode,
        Decode,
        MaxEncodedLen,
        TypeInfo,
    )]
    #[scale_info(skip_type_params(T))]
    pub struct Exposure<T: Config> {
        /// The keeper's own bond that counts.
        pub own: BalanceOf<T>,
        /// Effective stake: own plus counted guarantees, at most the stake limit.
        pub total: BalanceOf<T>,
        /// The stake limit the keeper's verified work gave it.
        pub limit: BalanceOf<T>,
        /// Commission in force for the era.
        pub commission: Perbill,
        /// Guarantors with counted stake, paid a page of `ExposurePageSize` at a time.
        pub guarantors: BoundedVec<(T::AccountId, BalanceOf<T>), T::MaxGuarantorsPerKeeper>,
    }

    /// Guarantees of one keeper, oldest first: the order in which they count.
    pub type GuaranteesOf<T> = BoundedVec<
        (<T as frame_system::Config>::AccountId, BalanceOf<T>),
        <T as Config>::MaxGuarantorsPerKeeper,
    >;

    /// A slash scheduled for an era.
    pub type PendingSlashOf<T> = PendingSlash<<T as frame_system::Config>::AccountId>;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config {
        /// Holds bonds and guarantees; mints rewards.
        type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + Mutate<Self::AccountId>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// GPoW's verified work per keeper.
        type Work: WorkOracle<Self::AccountId>;
        /// The node registry: jails nodes and slashes their deposits.
        type Registry: NodeRegistry<Self::AccountId>;
        /// Accounts that have session keys set; only they can be elected validators.
        type HasSessionKeys: Contains<Self::AccountId>;
        /// The active validators, kept when an election has too few electable keepers.
        type SessionValidators: frame_support::traits::ValidatorSet<
            Self::AccountId,
            ValidatorId = Self::AccountId,
        >;
        /// Receives slashed funds (the treasury).
        type SlashBeneficiary: Get<Self::AccountId>;
        /// Who may cancel a deferred slash (a governance track).
        type SlashCancelOrigin: EnsureOrigin<Self::RuntimeOrigin>;
        /// Sessions per era, unless the genesis config sets another count (test networks shorten eras so
        /// payouts come within a test).
        #[pallet::constant]
        type SessionsPerEra: Get<SessionIndex>;
        /// Eras between unbonding and withdrawal (governed).
        type BondingDuration: Get<EraIndex>;
        /// Eras between an offence and its slash, during which governance may cancel it (governed).
        type SlashDeferDuration: Get<EraIndex>;
        /// Smallest own bond of a staker, and of a keeper that validates (governed).
        type MinBond: Get<BalanceOf<Self>>;
        /// Smallest guarantee, so the bounded guarantor list cannot be filled with dust (governed).
        type MinGuarantee: Get<BalanceOf<Self>>;
        /// Stake limit every keeper has before any verified work, to bootstrap a network (governed).
        type BaseStakeLimit: Get<BalanceOf<Self>>;
        /// Stake limit added per point of work score the keeper oversaw in the last scored epoch (governed).
        type StakePerWorkScore: Get<BalanceOf<Self>>;
        /// Share of a node's deposit slashed for a missed challenge (governed).
        type MissedChallengeSlash: Get<Perbill>;
        /// Share of a keeper's stake slashed for repeated deviation (governed).
        type DeviationSlash: Get<Perbill>;
        /// Deviations from the median in one epoch at which a keeper is slashed (governed).
        type DeviationsBeforeSlash: Get<u32>;
        /// An election with fewer electable keepers keeps the current validators.
        #[pallet::constant]
        type MinValidators: Get<u32>;
        /// Most validators elected.
        #[pallet::constant]
        type MaxValidators: Get<u32>;
        /// Most keepers that may validate at once.
        #[pallet::constant]
        type MaxCandidates: Get<u32>;
        /// Most guarantors of one keeper.
        #[pallet::constant]
        type MaxGuarantorsPerKeeper: Get<u32>;
        /// Guarantors paid per [`Pallet::payout_stakers`] call; at most 32 pages per keeper and era.
        #[pallet::constant]
        type ExposurePageSize: Get<u32>;
        /// Most unlocking chunks per staker.
        #[pallet::constant]
        type MaxUnlockingChunks: Get<u32>;
        /// Most slashes scheduled for one era; more are applied at once, without deferral.
        #[pallet::constant]
        type MaxSlashesPerEra: Get<u32>;
        /// Eras for which rewards stay claimable; older era records are deleted.
        #[pallet::constant]
        type HistoryDepth: Get<EraIndex>;
        /// Weights of this pallet's calls.
        type WeightInfo: WeightInfo;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// Bonded by a keeper or guaranteeing one, or unbonding.
        #[codec(index = 0)]
        Staking,
    }

    /// The era in progress.
    #[pallet::storage]
    pub type CurrentEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

    /// Sessions per era: `T::SessionsPerEra` unless the genesis config set it.
    #[pallet::storage]
    pub type SessionsPerEra<T: Config> =
        StorageValue<_, SessionIndex, ValueQuery, T::SessionsPerEra>;

    /// Stakers' held funds.
    #[pallet::storage]
    pub type Ledgers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, StakingLedger<T>>;

    /// Keepers that want to keep and validate, with their preferences.
    #[pallet::storage]
    pub type Candidates<T: Config> = CountedStorageMap<_, Twox64Concat, T::AccountId, KeeperPrefs>;

    /// Guarantees of each keeper, oldest first.
    #[pallet::storage]
    pub type Guarantees<T: Config> =
        StorageMap<_, Twox64Concat, T::AccountId, GuaranteesOf<T>, ValueQuery>;

    /// Counted stake of every keeper with effective stake, per era.
    #[pallet::storage]
    pub type ErasExposure<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, T::AccountId, Exposure<T>>;

    /// Sum of effective stake per era: the denominator of keeper rewards.
    #[pallet::storage]
    pub type ErasTotalStake<T: Config> =
        StorageMap<_, Twox64Concat, EraIndex, BalanceOf<T>, ValueQuery>;

    /// Keeper reward pot per era, filled by settlement.
    #[pallet::storage]
    pub type ErasRewardPot<T: Config> =
        StorageMap<_, Twox64Concat, EraIndex, BalanceOf<T>, ValueQuery>;

    /// Pages already paid per era and keeper, as a bit set.
    #[pallet::storage]
    pub type ClaimedPages<T: Config> =
        StorageDoubleMap<_, Twox64Concat, EraIndex, Twox64Concat, T::AccountId, u32, ValueQuery>;

    /// Slashes to apply when an era starts.
    #[pallet::storage]
    pub type UnappliedSlashes<T: Config> = StorageMap<
        _,
        Twox64Concat,
        EraIndex,
        BoundedVec<PendingSlashOf<T>, T::MaxSlashesPerEra>,
        ValueQuery,
    >;

    /// The last epoch whose keeper deviations were checked for slashing.
    #[pallet::storage]
    pub type DeviationsChecked<T: Config> = StorageValue<_, EpochIndex, OptionQuery>;

    #[pallet::genesis_config]
    #[derive(frame_support::DefaultNoBound)]
    pub struct GenesisConfig<T: Config> {
        /// Keepers bonded and validating at genesis: account, bond, commission, region.
        pub keepers: Vec<(T::AccountId, BalanceOf<T>, Perbill, Region)>,
        /// Guarantees counted from era 0: guarantor, keeper, amount.
        pub guarantees: Vec<(T::AccountId, T::AccountId, BalanceOf<T>)>,
        /// Sessions per era, if not `T::SessionsPerEra`.
        pub sessions_per_era: Option<SessionIndex>,
    }

    #[pallet::genesis_build]
    impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
        fn build(&self) {
            for (keeper, bond, commission, region) in &self.keepers {
                assert!(
                    *bond >= T::MinBond::get(),
                    "genesis keeper bond below MinBond"
                );
                Pallet::<T>::hold_into_ledger(keeper, *bond, |ledger| {
                    ledger.active = ledger.active.saturating_add(*bond)
                })
                .expect("genesis keeper has the funds to bond");
                Candidates::<T>::insert(
                    keeper,
                    KeeperPrefs {
                        commission: *commission,
                        region: *region,
                    },
                );
            }
            for (guarantor, keeper, amount) in &self.guarantees {
                Pallet::<T>::guarantee(
                    frame_system::RawOrigin::Signed(guarantor.clone()).into(),
                    keeper.clone(),
                    *amount,
                )
                .expect("genesis guarantee backs a genesis keeper from the guarantor's funds");
            }
            if let Some(sessions) = self.sessions_per_era {
                assert!(sessions > 0, "an era is at least one session");
                SessionsPerEra::<T>::put(sessions);
            }
            Pallet::<T>::fix_exposures(0);
        }
    }

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// Funds were bonded as own stake.
        Bonded {
            /// The staker.
            who: T::AccountId,
            /// Amount added.
            amount: BalanceOf<T>,
        },
        /// Own stake started unbonding.
        Unbonded {
            /// The staker.
            who: T::AccountId,
            /// Amount unbonding.
            amount: BalanceOf<T>,
            /// Era from which it can be withdrawn.
            era: EraIndex,
        },
        /// Unlocked funds were released.
        Withdrawn {
            /// The staker.
            who: T::AccountId,
            /// Amount released.
            amount: BalanceOf<T>,
        },
        /// A keeper announced or changed its preferences.
        KeeperAnnounced {
            /// The keeper.
            keeper: T::AccountId,
            /// Its preferences.
            prefs: KeeperPrefs,
        },
        /// A keeper stopped keeping and validating from the next era.
        Chilled {
            /// The keeper.
            keeper: T::AccountId,
        },
        /// A guarantor backed a keeper.
        Guaranteed {
            /// The guarantor.
            guarantor: T::AccountId,
            /// The keeper.
            keeper: T::AccountId,
            /// Amount added.
            amount: BalanceOf<T>,
        },
        /// A guarantee was cut; the amount unlocks after the bonding duration.
        GuaranteeCut {
            /// The guarantor.
            guarantor: T::AccountId,
            /// The keeper.
            keeper: T::AccountId,
            /// Amount cut.
            amount: BalanceOf<T>,
        },
        /// An era started with these keepers' stakes fixed.
        EraStarted {
            /// The era.
            era: EraIndex,
            /// Keepers with effective stake.
            keepers: u32,
            /// Sum of their effective stake.
            total_stake: BalanceOf<T>,
        },
        /// The election chose new validators for the next session.
        ValidatorsElected {
            /// The era.
            era: EraIndex,
            /// The validators, by effective stake, highest first.
            validators: Vec<T::AccountId>,
        },
        /// Too few keepers were electable; the current validators stay.
        ElectionKeptValidators {
            /// The era.
            era: EraIndex,
            /// How many keepers were electable.
            electable: u32,
        },
        /// A slash was scheduled.
        SlashDeferred {
            /// The slash.
            slash: PendingSlashOf<T>,
            /// The era at whose start it applies.
            apply_at: EraIndex,
        },
        /// A slash was applied.
        Slashed {
            /// Who was slashed.
            target: SlashTarget<T::AccountId>,
            /// Why.
            reason: SlashReason,
            /// Amount taken from bonded stake (deposit slashes are reported by the registry).
            amount: BalanceOf<T>,
        },
        /// Governance cancelled deferred slashes.
        SlashesCancelled {
            /// The era they were due.
            era: EraIndex,
            /// How many.
            count: u32,
        },
        /// A staker was paid its share of an era's keeper rewards.
        Rewarded {
            /// The staker.
            who: T::AccountId,
            /// The era.
            era: EraIndex,
            /// Amount minted.
            amount: BalanceOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// A new bond, or what stays bonded, must reach `MinBond`.
        BondTooSmall,
        /// The account has not bonded.
        NotBonded,
        /// The account's free balance cannot cover the amount.
        InsufficientBalance,
        /// Less is bonded than the amount asked for.
        NotEnoughBonded,
        /// A validating keeper must keep `MinBond` bonded; chill first.
        KeeperBondTooSmall,
        /// Too many unlocking chunks; withdraw the unlocked ones or wait.
        TooManyUnlockingChunks,
        /// Nothing has finished unlocking.
        NothingToWithdraw,
        /// The account is not a keeper.
        NotKeeper,
        /// The keeper set is full.
        TooManyCandidates,
        /// The region's country code is not two upper-case letters.
        InvalidRegion,
        /// The amount is zero or below `MinGuarantee`.
        GuaranteeTooSmall,
        /// A keeper cannot guarantee itself; bond instead.
        SelfGuarantee,
        /// The keeper has as many guarantors as it may.
        TooManyGuarantors,
        /// The account does not guarantee this keeper, or for less than the amount.
        NoSuchGuarantee,
        /// The era has not ended yet.
        EraNotEnded,
        /// The era's rewards are no longer claimable.
        EraTooOld,
        /// The keeper had no effective stake in that era.
        NoExposure,
        /// The keeper's exposure has no such page.
        InvalidPage,
        /// This page was already paid.
        AlreadyClaimed,
        /// No slash indices given.
        EmptySlashList,
        /// A slash index is out of range.
        InvalidSlashIndex,
        /// Slash indices must be strictly ascending.
        NotSortedAndUnique,
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Bonds `amount` of the signer's free balance as own stake (holding it).
        #[pallet::call_index(0)]
        #[pallet::weight(T::WeightInfo::bond())]
        pub fn bond(
            origin: OriginFor<T>,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let active = Ledgers::<T>::get(&who)
                .map(|l| l.active)
                .unwrap_or_default();
            ensure!(
                !amount.is_zero() && active.saturating_add(amount) >= T::MinBond::get(),
                Error::<T>::BondTooSmall
            );
            Self::hold_into_ledger(&who, amount, |ledger| {
                ledger.active = ledger.active.saturating_add(amount)
            })?;
            Self::deposit_event(Event::Bonded { who, amount });
            Ok(())
        }

        /// Starts unbonding `amount` of own stake: it stops counting from the next era and can be withdrawn
        /// after `BondingDuration` eras. A validating keeper must keep `MinBond`.
        #[pallet::call_index(1)]
        #[pallet::weight(T::WeightInfo::unbond())]
        pub fn unbond(
            origin: OriginFor<T>,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            ensure!(
                !amount.is_zero() && amount <= ledger.active,
                Error::<T>::NotEnoughBonded
            );
            let remaining = ledger.active.saturating_sub(amount);
            if Candidates::<T>::contains_key(&who) {
                ensure!(
                    remaining >= T::MinBond::get(),
                    Error::<T>::KeeperBondTooSmall
                );
            } else {
                ensure!(
                    remaining.is_zero() || remaining >= T::MinBond::get(),
                    Error::<T>::BondTooSmall
                );
            }
            ledger.active = remaining;
            let era = Self::push_unlocking(&mut ledger, amount)?;
            Ledgers::<T>::insert(&who, ledger);
            Self::deposit_event(Event::Unbonded { who, amount, era });
            Ok(())
        }

        /// Releases every unlocking chunk whose era has come.
        #[pallet::call_index(2)]
        #[pallet::weight(T::WeightInfo::withdraw_unbonded())]
        pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let mut ledger = Ledgers::<T>::get(&who).ok_or(Error::<T>::NotBonded)?;
            let era = CurrentEra::<T>::get();
            let mut amount = BalanceOf::<T>::zero();
            ledger.unlocking.retain(|chunk| {
                let ready = chunk.era <= era;
                if ready {
                    amount = amount.saturating_add(chunk.value);
                }
                !ready
            });
            ensure!(!amount.is_zero(), Error::<T>::NothingToWithdraw);
            // Slashes may have taken part of the hold: release what is there.
            let released = T::Currency::release(
                &HoldReason::Staking.into(),
                &who,
                amount,
                Precision::BestEffort,
            )?;
            if ledger.total().is_zero() {
                Ledgers::<T>::remove(&who);
            } else {
                Ledgers::<T>::insert(&who, ledger);
            }
            Self::deposit_event(Event::Withdrawn {
                who,
                amount: released,
            });
            Ok(())
        }

        /// Announces the signer as a keeper (or updates its preferences): from the next era it is assigned
        /// nodes to verify, earns rewards and may be elected validator.
        #[pallet::call_index(3)]
        #[pallet::weight(T::WeightInfo::validate())]
        pub fn validate(origin: OriginFor<T>, prefs: KeeperPrefs) -> DispatchResult {
            let keeper = ensure_signed(origin)?;
            let ledger = Ledgers::<T>::get(&keeper).ok_or(Error::<T>::NotBonded)?;
            ensure!(ledger.active >= T::MinBond::get(), Error::<T>::BondTooSmall);
            ensure!(prefs.region.is_valid(), Error::<T>::InvalidRegion);
            ensure!(
                Candidates::<T>::contains_key(&keeper)
                    || Candidates::<T>::count() < T::MaxCandidates::get(),
                Error::<T>::TooManyCandidates
            );
            Candidates::<T>::insert(&keeper, prefs);
            Self::deposit_event(Event::KeeperAnnounced { keeper, prefs });
            Ok(())
        }

        /// Stops keeping and validating from the next era. Guarantees stay but earn nothing.
        #[pallet::call_index(4)]
        #[pallet::weight(T::WeightInfo::chill())]
        pub fn chill(origin: OriginFor<T>) -> DispatchResult {
            let keeper = ensure_signed(origin)?;
            ensure!(
                Candidates::<T>::contains_key(&keeper),
                Error::<T>::NotKeeper
            );
            Candidates::<T>::remove(&keeper);
            Self::deposit_event(Event::Chilled { keeper });
            Ok(())
        }

        /// Backs `keeper` with `amount` of the signer's free balance (held). It counts from the next era, after
        /// the keeper's own bond and older guarantees, up to the keeper's stake limit.
        #[pallet::call_index(5)]
        #[pallet::weight(T::WeightInfo::guarantee())]
        pub fn guarantee(
            origin: OriginFor<T>,
            keeper: T::AccountId,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let guarantor = ensure_signed(origin)?;
            ensure!(guarantor != keeper, Error::<T>::SelfGuarantee);
            ensure!(
                Candidates::<T>::contains_key(&keeper),
                Error::<T>::NotKeeper
            );
            Guarantees::<T>::try_mutate(&keeper, |guarantees| -> DispatchResult {
                match guarantees.iter_mut().find(|(who, _)| *who == guarantor) {
                    Some((_, existing)) => *existing = existing.saturating_add(amount),
                    None => {
                        ensure!(
                            amount >= T::MinGuarantee::get() && !amount.is_zero(),
                            Error::<T>::GuaranteeTooSmall
                        );
                        guarantees
                            .try_push((guarantor.clone(), amount))
                            .map_err(|_| Error::<T>::TooManyGuarantors)?;
                    }
                }
                ensure!(!amount.is_zero(), Error::<T>::GuaranteeTooSmall);
                Self::hold_into_ledger(&guarantor, amount, |ledger| {
                    ledger.guaranteed = ledger.guaranteed.saturating_add(amount)
                })
            })?;
            Self::deposit_event(Event::Guaranteed {
                guarantor,
                keeper,
                amount,
            });
            Ok(())
        }

        /// Withdraws `amount` of the signer's guarantee of `keeper`; it unlocks after `BondingDuration` eras.
        #[pallet::call_index(6)]
        #[pallet::weight(T::WeightInfo::cut_guarantee())]
        pub fn cut_guarantee(
            origin: OriginFor<T>,
            keeper: T::AccountId,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let guarantor = ensure_signed(origin)?;
            let mut ledger = Ledgers::<T>::get(&guarantor).ok_or(Error::<T>::NotBonded)?;
            let mut guarantees = Guarantees::<T>::get(&keeper);
            let position = guarantees
                .iter()
                .position(|(who, value)| *who == guarantor && *value >= amount && !amount.is_zero())
                .ok_or(Error::<T>::NoSuchGuarantee)?;
            let left = guarantees[position].1.saturating_sub(amount);
            if left.is_zero() {
                guarantees.remove(position);
            } else {
                guarantees[position].1 = left;
            }
            ledger.guaranteed = ledger.guaranteed.saturating_sub(amount);
            Self::push_unlocking(&mut ledger, amount)?;
            Ledgers::<T>::insert(&guarantor, ledger);
            Guarantees::<T>::insert(&keeper, guarantees);
            Self::deposit_event(Event::GuaranteeCut {
                guarantor,
                keeper,
                amount,
            });
            Ok(())
        }

        /// Pays `keeper`'s share of `era`'s reward pot: page 0 pays the keeper (commission and own stake) and
        /// the first `ExposurePageSize` guarantors, page `p` the next. Anyone may call it.
        #[pallet::call_index(7)]
        #[pallet::weight(T::WeightInfo::payout_stakers(T::ExposurePageSize::get()))]
        pub fn payout_stakers(
            origin: OriginFor<T>,
            keeper: T::AccountId,
            era: EraIndex,
            page: u32,
        ) -> DispatchResult {
            ensure_signed(origin)?;
            let current = CurrentEra::<T>::get();
            ensure!(era < current, Error::<T>::EraNotEnded);
            ensure!(
                era.saturating_add(T::HistoryDepth::get()) >= current,
                Error::<T>::EraTooOld
            );
            let exposure = ErasExposure::<T>::get(era, &keeper).ok_or(Error::<T>::NoExposure)?;
            ensure!(page < Self::page_count(&exposure), Error::<T>::InvalidPage);
            let claimed = ClaimedPages::<T>::get(era, &keeper);
            ensure!(claimed & (1 << page) == 0, Error::<T>::AlreadyClaimed);
            ClaimedPages::<T>::insert(era, &keeper, claimed | (1 << page));

            let reward = Self::keeper_era_reward(era, &exposure);
            if page == 0 {
                let amount =
                    keeper_reward(reward, exposure.commission, exposure.own, exposure.total);
                Self::mint_reward(&keeper, era, amount);
            }
            let size = T::ExposurePageSize::get() as usize;
            for (guarantor, counted) in exposure
                .guarantors
                .iter()
                .skip(page as usize * size)
                .take(size)
            {
                let amount =
                    guarantor_reward(reward, exposure.commission, *counted, exposure.total);
                Self::mint_reward(guarantor, era, amount);
            }
            Ok(())
        }

        /// Cancels the deferred slashes at `indices` (strictly ascending) of those due at `era`. Governance
        /// (the slash-cancellation track) only.
        #[pallet::call_index(8)]
        #[pallet::weight(T::WeightInfo::cancel_deferred_slash(indices.len() as u32))]
        pub fn cancel_deferred_slash(
            origin: OriginFor<T>,
            era: EraIndex,
            indices: BoundedVec<u32, T::MaxSlashesPerEra>,
        ) -> DispatchResult {
            T::SlashCancelOrigin::ensure_origin(origin)?;
            ensure!(!indices.is_empty(), Error::<T>::EmptySlashList);
            ensure!(
                indices.windows(2).all(|w| w[0] < w[1]),
                Error::<T>::NotSortedAndUnique
            );
            UnappliedSlashes::<T>::try_mutate(era, |slashes| -> DispatchResult {
                ensure!(
                    indices
                        .last()
                        .is_some_and(|last| (*last as usize) < slashes.len()),
                    Error::<T>::InvalidSlashIndex
                );
                for index in indices.iter().rev() {
                    slashes.remove(*index as usize);
                }
                Ok(())
            })?;
            Self::deposit_event(Event::SlashesCancelled {
                era,
                count: indices.len() as u32,
            });
            Ok(())
        }
    }

    impl<T: Config> Pallet<T> {
        /// Holds `amount` from `who` and records it in the ledger with `record`.
        pub(crate) fn hold_into_ledger(
            who: &T::AccountId,
            amount: BalanceOf<T>,
            record: impl FnOnce(&mut StakingLedger<T>),
        ) -> DispatchResult {
            T::Currency::hold(&HoldReason::Staking.into(), who, amount)
                .map_err(|_| Error::<T>::InsufficientBalance)?;
            Ledgers::<T>::mutate(who, |ledger| {
                record(ledger.get_or_insert_with(Default::default))
            });
            Ok(())
        }

        /// Adds an unlocking chunk for `amount`, merged with one of the same era; returns that era.
        fn push_unlocking(
            ledger: &mut StakingLedger<T>,
            amount: BalanceOf<T>,
        ) -> Result<EraIndex, DispatchError> {
            let era = CurrentEra::<T>::get().saturating_add(T::BondingDuration::get());
            match ledger.unlocking.iter_mut().find(|chunk| chunk.era == era) {
                Some(chunk) => chunk.value = chunk.value.saturating_add(amount),
                None => ledger
                    .unlocking
                    .try_push(UnlockChunk { value: amount, era })
                    .map_err(|_| Error::<T>::TooManyUnlockingChunks)?,
            }
            Ok(era)
        }

        /// Pages of `exposure`'s guarantors (at least one: the keeper is paid on page 0).
        fn page_count(exposure: &Exposure<T>) -> u32 {
            let size = T::ExposurePageSize::get().max(1) as usize;
            (exposure.guarantors.len().div_ceil(size) as u32).clamp(1, 32)
        }

        /// The keeper's share of the era's pot, by effective stake.
        fn keeper_era_reward(era: EraIndex, exposure: &Exposure<T>) -> BalanceOf<T> {
            pro_rata(
                ErasRewardPot::<T>::get(era),
                exposure.total,
                ErasTotalStake::<T>::get(era),
            )
        }

        /// Mints `amount` to `who`; an amount below the existential deposit of a new account is lost.
        fn mint_reward(who: &T::AccountId, era: EraIndex, amount: BalanceOf<T>) {
            if amount.is_zero() {
                return;
            }
            if let Ok(amount) = T::Currency::mint_into(who, amount) {
                Self::deposit_event(Event::Rewarded {
                    who: who.clone(),
                    era,
                    amount,
                });
            }
        }

        /// `keeper`'s stake limit from the work it oversaw in `epoch`.
        pub fn stake_limit(keeper: &T::AccountId, epoch: Option<EpochIndex>) -> BalanceOf<T> {
            let oversight = epoch.map(|e| T::Work::oversight(e, keeper)).unwrap_or(0);
            T::StakePerWorkScore::get()
                .saturating_mul(oversight.saturated_into())
                .saturating_add(T::BaseStakeLimit::get())
        }

        /// What would count of `keeper`'s stake now, with the work of `epoch`.
        pub fn exposure_now(
            keeper: &T::AccountId,
            epoch: Option<EpochIndex>,
        ) -> Option<Exposure<T>> {
            let prefs = Candidates::<T>::get(keeper)?;
            let own = Ledgers::<T>::get(keeper)
                .map(|l| l.active)
                .unwrap_or_default();
            let guarantees = Guarantees::<T>::get(keeper);
            let limit = Self::stake_limit(keeper, epoch);
            let counted = counted_stake(own, &guarantees, limit);
            Some(Exposure {
                own: counted.own,
                total: counted.total,
                limit,
                commission: prefs.commission,
                // Never more than the guarantees it was counted from.
                guarantors: BoundedVec::truncate_from(counted.guarantors),
            })
        }

        /// Fixes every keeper's counted stake for `era`; returns the keepers with effective stake, highest
        /// first.
        pub(crate) fn fix_exposures(era: EraIndex) -> Vec<(T::AccountId, BalanceOf<T>)> {
            let epoch = T::Work::last_scored_epoch();
            let mut ranked: Vec<(T::AccountId, BalanceOf<T>)> = Vec::new();
            let mut total = BalanceOf::<T>::zero();
            for keeper in Candidates::<T>::iter_keys() {
                if let Some(exposure) = Self::exposure_now(&keeper, epoch) {
                    if !exposure.total.is_zero() {
                        total = total.saturating_add(exposure.total);
                        ranked.push((keeper.clone(), exposure.total));
                        ErasExposure::<T>::insert(era, &keeper, exposure);
                    }
                }
            }
            ranked.sort_by_key(|(_, stake)| core::cmp::Reverse(*stake));
            ErasTotalStake::<T>::insert(era, total);
            Self::deposit_event(Event::EraStarted {
                era,
                keepers: ranked.len() as u32,
                total_stake: total,
            });
            ranked
        }

        /// Starts `era`: applies its slashes, checks keeper deviations, fixes exposures, deletes the era that
        /// fell out of history and elects validators (`None` keeps the current ones).
        pub(crate) fn start_era(era: EraIndex) -> Option<Vec<T::AccountId>> {
            CurrentEra::<T>::put(era);
            for slash in UnappliedSlashes::<T>::take(era) {
                Self::apply_slash(slash);
            }
            Self::check_deviations();
            let ranked = Self::fix_exposures(era);
            if let Some(old) = era.checked_sub(T::HistoryDepth::get().saturating_add(1)) {
                let _ = ErasExposure::<T>::clear_prefix(old, T::MaxCandidates::get(), None);
                let _ = ClaimedPages::<T>::clear_prefix(old, T::MaxCandidates::get(), None);
                ErasTotalStake::<T>::remove(old);
                ErasRewardPot::<T>::remove(old);
            }
            let validators: Vec<T::AccountId> = ranked
                .into_iter()
                .map(|(keeper, _)| keeper)
                .filter(T::HasSessionKeys::contains)
                .take(T::MaxValidators::get() as usize)
                .collect();
            if (validators.len() as u32) < T::MinValidators::get().max(1) {
                Self::deposit_event(Event::ElectionKeptValidators {
                    era,
                    electable: validators.len() as u32,
                });
                // Returned rather than `None`, so every era has a validator set of its own (GRANDPA set and
                // historical session root) that offences can be proven against.
                return Some(
                    <T::SessionValidators as frame_support::traits::ValidatorSet<_>>::validators(),
                );
            }
            Self::deposit_event(Event::ValidatorsElected {
                era,
                validators: validators.clone(),
            });
            Some(validators)
        }

        /// Schedules slashes of keepers that deviated from the median `DeviationsBeforeSlash` times or more in
        /// the last scored epoch, once per epoch.
        fn check_deviations() {
            let Some(epoch) = T::Work::last_scored_epoch() else {
                return;
            };
            if DeviationsChecked::<T>::get().is_some_and(|checked| checked >= epoch) {
                return;
            }
            DeviationsChecked::<T>::put(epoch);
            let threshold = T::DeviationsBeforeSlash::get().max(1);
            for keeper in Candidates::<T>::iter_keys() {
                if T::Work::deviations(epoch, &keeper) >= threshold {
                    // The deviations were found at this era's start: they happened in the era before.
                    Self::schedule_slash(
                        SlashTarget::Keeper(keeper),
                        T::DeviationSlash::get(),
                        SlashReason::KeeperDeviation,
                        CurrentEra::<T>::get().saturating_sub(1),
                    );
                }
            }
        }

        /// Schedules a slash `SlashDeferDuration` eras ahead; applies it now if that era is full. A target is
        /// slashed at most once per reason and era: a repeated report raises the fraction to the larger one.
        pub(crate) fn schedule_slash(
            target: SlashTarget<T::AccountId>,
            fraction: Perbill,
            reason: SlashReason,
            offence_era: EraIndex,
        ) {
            let reported_era = CurrentEra::<T>::get();
            let slash = PendingSlash {
                target,
                fraction,
                reason,
                reported_era,
                offence_era,
            };
            // Never later than stake unbonded in the offence's era unlocks, so it is still held when the slash
            // lands (governance sets both durations).
            let apply_at = reported_era
                .saturating_add(T::SlashDeferDuration::get())
                .min(offence_era.saturating_add(T::BondingDuration::get()))
                .max(reported_era);
            if apply_at == reported_era {
                return Self::apply_slash(slash);
            }
            let queued = UnappliedSlashes::<T>::mutate(apply_at, |slashes| {
                match slashes
                    .iter_mut()
                    .find(|s| s.target == slash.target && s.reason == slash.reason)
                {
                    Some(existing) => {
                        existing.fraction = existing.fraction.max(slash.fraction);
                        Ok(existing.clone())
                    }
                    None => slashes.try_push(slash.clone()).map(|()| slash.clone()),
                }
            });
            match queued {
                Ok(slash) => Self::deposit_event(Event::SlashDeferred { slash, apply_at }),
                Err(_) => Self::apply_slash(slash),
            }
        }

        /// Takes the slash's fraction: of the node's deposit, or of the stake that backed the keeper in the
        /// offence's era (its own bond and each counted guarantee), as pallet-staking slashes an exposure.
        /// Without that era's exposure (older than `HistoryDepth`), of the stake backing it now.
        fn apply_slash(slash: PendingSlashOf<T>) {
            let beneficiary = T::SlashBeneficiary::get();
            let mut amount = BalanceOf::<T>::zero();
            match &slash.target {
                SlashTarget::Node(node) => {
                    T::Registry::slash_deposit(node, slash.fraction, &beneficiary)
                }
                SlashTarget::Keeper(keeper) => {
                    let (own, guarantors) = match ErasExposure::<T>::get(slash.offence_era, keeper)
                    {
                        Some(exposure) => (exposure.own, exposure.guarantors.into_inner()),
                        None => (
                            Ledgers::<T>::get(keeper)
                                .map(|l| l.active)
                                .unwrap_or_default(),
                            Guarantees::<T>::get(keeper).into_inner(),
                        ),
                    };
                    amount = Self::slash_stake(keeper, slash.fraction.mul_floor(own), None);
                    // One read and one write of the guarantee list, whatever the number of guarantors.
                    let mut current = Guarantees::<T>::get(keeper);
                    for (guarantor, value) in guarantors {
                        amount = amount.saturating_add(Self::slash_stake(
                            &guarantor,
                            slash.fraction.mul_floor(value),
                            Some(&mut current),
                        ));
                    }
                    current.retain(|(_, value)| !value.is_zero());
                    Guarantees::<T>::insert(keeper, current);
                }
            }
            Self::deposit_event(Event::Slashed {
                target: slash.target,
                reason: slash.reason,
                amount,
            });
        }

        /// Takes up to `amount` of `who`'s stake: its guarantee in `backing` (a keeper's guarantee list; its
        /// own bond if `None`) first, then its unlocking chunks, newest first, so unbonding or cutting a
        /// guarantee after an offence escapes nothing. The ledger loses exactly what moved to the slash
        /// beneficiary; returns that.
        fn slash_stake(
            who: &T::AccountId,
            amount: BalanceOf<T>,
            backing: Option<&mut GuaranteesOf<T>>,
        ) -> BalanceOf<T> {
            let Some(mut ledger) = Ledgers::<T>::get(who) else {
                return Zero::zero();
            };
            // What backs the offender now, before the unlocking chunks: the guarantee (none left if it was
            // cut since: then only the chunk the cut made), or the keeper's own bond.
            let mut guarantee = None;
            let at_stake = match backing {
                None => ledger.active,
                Some(list) => match list.iter_mut().find(|(g, _)| g == who) {
                    Some((_, value)) => {
                        let at_stake = *value;
                        guarantee = Some(value);
                        at_stake
                    }
                    None => Zero::zero(),
                },
            };
            let unlocking = ledger
                .unlocking
                .iter()
                .fold(BalanceOf::<T>::zero(), |sum, c| sum.saturating_add(c.value));
            let taken = Self::take_held(who, amount.min(at_stake.saturating_add(unlocking)));
            let mut left = taken;
            let first = left.min(at_stake);
            match guarantee {
                Some(value) => {
                    *value = value.saturating_sub(first);
                    ledger.guaranteed = ledger.guaranteed.saturating_sub(first);
                }
                // With a guarantee cut since, `first` is zero.
                None => ledger.active = ledger.active.saturating_sub(first),
            }
            left = left.saturating_sub(first);
            for chunk in ledger.unlocking.iter_mut().rev() {
                let from_chunk = left.min(chunk.value);
                chunk.value = chunk.value.saturating_sub(from_chunk);
                left = left.saturating_sub(from_chunk);
            }
            ledger.unlocking.retain(|chunk| !chunk.value.is_zero());
            Ledgers::<T>::insert(who, ledger);
            taken
        }

        /// Moves up to `amount` of `who`'s staking hold to the slash beneficiary; returns what moved.
        fn take_held(who: &T::AccountId, amount: BalanceOf<T>) -> BalanceOf<T> {
            T::Currency::transfer_on_hold(
                &HoldReason::Staking.into(),
                who,
                &T::SlashBeneficiary::get(),
                amount,
                Precision::BestEffort,
                Restriction::Free,
                Fortitude::Force,
            )
            .unwrap_or_default()
        }

        /// `keeper`'s stake as it would count now and as it counts this era, if it is a keeper.
        pub fn keeper_stake(
            keeper: &T::AccountId,
        ) -> Option<crate::runtime_api::KeeperStake<BalanceOf<T>>> {
            let now = Self::exposure_now(keeper, T::Work::last_scored_epoch())?;
            let guaranteed = Guarantees::<T>::get(keeper)
                .iter()
                .fold(BalanceOf::<T>::zero(), |sum, (_, value)| {
                    sum.saturating_add(*value)
                });
            Some(crate::runtime_api::KeeperStake {
                bonded: Ledgers::<T>::get(keeper)
                    .map(|l| l.active)
                    .unwrap_or_default(),
                guaranteed,
                stake_limit: now.limit,
                effective_stake: now.total,
                era_effective_stake: ErasExposure::<T>::get(CurrentEra::<T>::get(), keeper)
                    .map(|e| e.total)
                    .unwrap_or_default(),
            })
        }

        /// What `who` may still claim as keeper or guarantor over the claimable eras.
        pub fn pending_rewards(who: &T::AccountId) -> BalanceOf<T> {
            let current = CurrentEra::<T>::get();
            let first = current.saturating_sub(T::HistoryDepth::get());
            let size = T::ExposurePageSize::get().max(1) as usize;
            let mut pending = BalanceOf::<T>::zero();
            for era in first..current {
                for (keeper, exposure) in ErasExposure::<T>::iter_prefix(era) {
                    let claimed = ClaimedPages::<T>::get(era, &keeper);
                    let reward = Self::keeper_era_reward(era, &exposure);
                    if keeper == *who && claimed & 1 == 0 {
                        pending = pending.saturating_add(keeper_reward(
                            reward,
                            exposure.commission,
                            exposure.own,
                            exposure.total,
                        ));
                    }
                    for (i, (guarantor, counted)) in exposure.guarantors.iter().enumerate() {
                        if guarantor == who && claimed & (1 << (i / size)) == 0 {
                            pending = pending.saturating_add(guarantor_reward(
                                reward,
                                exposure.commission,
                                *counted,
                                exposure.total,
                            ));
                        }
                    }
                }
            }
            pending
        }
    }

    impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
        fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
            let per_era = SessionsPerEra::<T>::get().max(1);
            if new_index == 0 || !new_index.is_multiple_of(per_era) {
                return None;
            }
            let candidates = Candidates::<T>::count();
            let validators = Self::start_era(CurrentEra::<T>::get().saturating_add(1));
            frame_system::Pallet::<T>::register_extra_weight_unchecked(
                T::WeightInfo::new_era(candidates),
                DispatchClass::Mandatory,
            );
            validators
        }

        /// The genesis validators are the session pallet's genesis keys, so a chain spec (or zombienet) that
        /// names its own validators is obeyed.
        fn new_session_genesis(_: SessionIndex) -> Option<Vec<T::AccountId>> {
            None
        }

        fn end_session(_: SessionIndex) {}

        fn start_session(_: SessionIndex) {}
    }

    impl<T: Config> pallet_gpow::KeeperSet<T::AccountId> for Pallet<T> {
        /// Keepers with effective stake this era, weighted by it (scaled so the weights sum to at most 2^40).
        fn keepers() -> Vec<pallet_gpow::KeeperCandidate<T::AccountId>> {
            let era = CurrentEra::<T>::get();
            let total = ErasTotalStake::<T>::get(era)
                .saturated_into::<u128>()
                .max(1);
            ErasExposure::<T>::iter_prefix(era)
                .filter_map(|(account, exposure)| {
                    Candidates::<T>::contains_key(&account).then_some(())?;
                    let weight = (exposure.total.saturated_into::<u128>() << 40) / total;
                    Some(pallet_gpow::KeeperCandidate {
                        account,
                        weight: (weight as u64).max(1),
                    })
                })
                .collect()
        }

        #[cfg(feature = "runtime-benchmarks")]
        fn set_for_benchmark(keepers: Vec<pallet_gpow::KeeperCandidate<T::AccountId>>) {
            let era = CurrentEra::<T>::get();
            // Exactly these keepers: the genesis ones are removed.
            let _ = Candidates::<T>::clear(u32::MAX, None);
            let _ = ErasExposure::<T>::clear_prefix(era, u32::MAX, None);
            ErasTotalStake::<T>::remove(era);
            for keeper in keepers {
                Candidates::<T>::insert(
                    &keeper.account,
                    KeeperPrefs {
                        commission: Perbill::zero(),
                        // Assignment ignores regions; any valid one does.
                        region: Region {
                            continent: enreach_primitives::Continent::Europe,
                            country: *b"DE",
                        },
                    },
                );
                let stake: BalanceOf<T> = (keeper.weight as u128).saturated_into();
                ErasExposure::<T>::insert(
                    era,
                    &keeper.account,
                    Exposure {
                        own: stake,
                        total: stake,
                        limit: stake,
                        commission: Perbill::zero(),
                        guarantors: BoundedVec::new(),
                    },
                );
                ErasTotalStake::<T>::mutate(era, |total| *total = total.saturating_add(stake));
            }
        }
    }

    impl<T: Config> pallet_gpow::WorkOffenceHandler<T::AccountId> for Pallet<T> {
        /// Jails the node at once and slashes `MissedChallengeSlash` of its deposit after the deferral: wrong
        /// compute costs what a failed challenge does.
        fn on_offence(
            node: &NodeId,
            _operator: &T::AccountId,
            _epoch: EpochIndex,
            offence: pallet_gpow::WorkOffence,
        ) {
            T::Registry::jail(node);
            let reason = match offence {
                pallet_gpow::WorkOffence::MissedChallenge => SlashReason::MissedChallenge,
                pallet_gpow::WorkOffence::WrongCompute => SlashReason::WrongCompute,
            };
            Self::schedule_slash(
                SlashTarget::Node(*node),
                T::MissedChallengeSlash::get(),
                reason,
                CurrentEra::<T>::get(),
            );
        }
    }

    impl<T: Config> pallet_session::historical::SessionManager<T::AccountId, ()> for Pallet<T> {
        fn new_session(new_index: SessionIndex) -> Option<Vec<(T::AccountId, ())>> {
            <Self as pallet_session::SessionManager<_>>::new_session(new_index)
                .map(|validators| validators.into_iter().map(|v| (v, ())).collect())
        }

        fn start_session(_: SessionIndex) {}

        fn end_session(_: SessionIndex) {}
    }

    impl<T: Config, Identification>
        sp_staking::offence::OnOffenceHandler<T::AccountId, (T::AccountId, Identification), Weight>
        for Pallet<T>
    {
        /// Validators reported for equivocation (through `pallet-offences`) are chilled at once and slashed
        /// the reported fraction of their bond and guarantees after the deferral.
        fn on_offence(
            offenders: &[sp_staking::offence::OffenceDetails<
                T::AccountId,
                (T::AccountId, Identification),
            >],
            slash_fraction: &[Perbill],
            _session: SessionIndex,
        ) -> Weight {
            for (details, fraction) in offenders.iter().zip(slash_fraction) {
                let keeper = &details.offender.0;
                if Candidates::<T>::take(keeper).is_some() {
                    Self::deposit_event(Event::Chilled {
                        keeper: keeper.clone(),
                    });
                }
                Self::schedule_slash(
                    SlashTarget::Keeper(keeper.clone()),
                    *fraction,
                    SlashReason::Equivocation,
                    CurrentEra::<T>::get(),
                );
            }
            T::DbWeight::get().reads_writes(2 * offenders.len() as u64, 2 * offenders.len() as u64)
        }
    }

    impl<T: Config> StakingRewards<BalanceOf<T>> for Pallet<T> {
        fn current_era() -> EraIndex {
            CurrentEra::<T>::get()
        }

        fn reward_keepers(amount: BalanceOf<T>) {
            ErasRewardPot::<T>::mutate(CurrentEra::<T>::get(), |pot| {
                *pot = pot.saturating_add(amount)
            });
        }
    }
}

/// Accounts with session keys set in `pallet_session`: what [`Config::HasSessionKeys`] needs when validator ids
/// are account ids.
pub struct WithSessionKeys<T>(core::marker::PhantomData<T>);

impl<T: pallet_session::Config> frame_support::traits::Contains<T::ValidatorId>
    for WithSessionKeys<T>
{
    fn contains(who: &T::ValidatorId) -> bool {
        pallet_session::NextKeys::<T>::contains_key(who)
    }
}
