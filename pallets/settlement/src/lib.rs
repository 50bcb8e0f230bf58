//! # Settlement pallet: dApps pay for verified work, nodes and stakers earn
//!
//! - **dApp accounts.** A dApp [`open_account`](Pallet::open_account)s with a held deposit and prepaid funds,
//!   [`top_up`](Pallet::top_up)s them, and [`authorize_client`](Pallet::authorize_client)s the ed25519 keys
//!   its clients sign delivery receipts with. Withdrawals wait `WithdrawDelay` blocks, so work done before
//!   the request is still paid for.
//! - **Content.** [`publish_content`](Pallet::publish_content) names a blob, its size, how many replicas the
//!   dApp pays for and the highest storage price it accepts. Nodes that pin it and prove storage in an epoch
//!   are paid storage for it, up to `replicas` nodes per epoch.
//! - **Per epoch.** GPoW reports verified bytes and compute units per (node, dApp) as challenges are answered,
//!   and takes back compute its keepers refuted ([`pallet_gpow::WorkAccounting`]). Once the epoch's challenges
//!   and keeper verdicts are over (two epochs later), the epoch is settled a page per block: storage is accrued
//!   from the epoch's storage proofs, each dApp is charged its bytes times the delivery price, its compute units
//!   times the compute price and its storage, each node is paid what its dApps paid for it less the protocol
//!   fee (to the treasury), and a dApp that cannot pay everything is charged pro rata, its debt recorded and its
//!   clients paused until it tops up. Nodes never earn more from traffic and compute than clients paid.
//! - **Subsidy.** An emission per epoch, tapering per GPoS era, is paid by work score (capacity verified by
//!   keepers, not self-reported traffic) to nodes and, for `KeeperShare` of it, to the era's keeper pot that
//!   GPoS pays out by effective stake.
//!
//! Node earnings accumulate and are taken with [`claim_rewards`](Pallet::claim_rewards).

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
#[cfg(test)]
mod trust_tests;
pub mod weights;

pub use weights::WeightInfo;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use enreach_primitives::{EpochIndex, OriginUrl};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// One GiB: prices are per GiB delivered and per GiB stored for an epoch.
pub const GIB: u64 = 1 << 30;

/// The compute price is per million compute units (wasmtime fuel: about a million WebAssembly operations).
pub const MILLION_UNITS: u64 = 1_000_000;

/// How the subsidy per epoch tapers off: `per_epoch * (1 - taper_per_era)^era`, never below `floor`.
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
pub struct EmissionSchedule<Balance> {
    /// Subsidy per epoch in era 0.
    pub per_epoch: Balance,
    /// Share by which the subsidy shrinks each era.
    pub taper_per_era: Perbill,
    /// The subsidy never falls below this.
    pub floor: Balance,
}

impl<Balance: sp_runtime::traits::AtLeast32BitUnsigned + Copy> EmissionSchedule<Balance> {
    /// The subsidy of one epoch in `era`.
    pub fn per_epoch_in(&self, era: u32) -> Balance {
        use sp_runtime::traits::Saturating;
        let kept = Perbill::one()
            .saturating_sub(self.taper_per_era)
            .saturating_pow(era as usize);
        kept.mul_floor(self.per_epoch).max(self.floor)
    }
}

/// A dApp's prepaid account.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct DappAccount<Balance, BlockNumber> {
    /// Prepaid funds available for charges.
    pub balance: Balance,
    /// What settlement could not charge; while non-zero the dApp's clients are paused.
    pub debt: Balance,
    /// Held from the dApp while the account is open.
    pub deposit: Balance,
    /// Authorized client keys.
    pub clients: u32,
    /// Published contents.
    pub contents: u32,
    /// A requested withdrawal: amount, first block at which it may be taken, and the epoch it was asked in
    /// (which must be settled before the funds leave).
    pub withdrawal: Option<(Balance, BlockNumber, EpochIndex)>,
}

/// A client key's authorization: which dApp pays for its receipts, and for which epochs. A revoked key stays on
/// record with the epoch it was revoked in, because receipts it signed until then are still reported and
/// challenged over the next two epochs and must still be paid for.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ClientAuth<AccountId> {
    /// The paying dApp.
    pub dapp: AccountId,
    /// First epoch whose receipts it pays for.
    pub from: EpochIndex,
    /// Last epoch whose receipts it pays for, once revoked.
    pub until: Option<EpochIndex>,
}

impl<AccountId> ClientAuth<AccountId> {
    /// Whether receipts signed in `epoch` are paid by [`Self::dapp`].
    pub fn covers(&self, epoch: EpochIndex) -> bool {
        self.from <= epoch && self.until.is_none_or(|until| epoch <= until)
    }
}

/// What retiring a record the dApp still owes for (a revoked client, an unpublished content) does now.
#[derive(Debug, PartialEq, Eq)]
enum Retirement {
    /// Start: the record is paid for through this epoch and kept.
    Until(EpochIndex),
    /// Every epoch it was paid for is settled: delete it.
    Purge,
}

/// The retirement of a record paid for `until` (`None`: not retired yet) that a retirement started now would
/// pay for through `last`, in epoch `now`; `None` while an epoch it is paid for may still be challenged or
/// settled.
fn retirement(until: Option<EpochIndex>, last: EpochIndex, now: EpochIndex) -> Option<Retirement> {
    match until {
        None => Some(Retirement::Until(last)),
        Some(until) if until.saturating_add(CHALLENGEABLE_EPOCHS) < now => Some(Retirement::Purge),
        Some(_) => None,
    }
}

/// A published blob.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct ContentInfo<AccountId, Balance> {
    /// The dApp that pays for storing it.
    pub owner: AccountId,
    /// Its length in bytes.
    pub size: u64,
    /// Nodes paid per epoch for storing it.
    pub replicas: u32,
    /// Highest storage price per GiB and epoch the dApp accepts; above it nobody is paid to store it.
    pub max_price: Balance,
    /// Where gateways pull it from when a request misses their store (an http(s) URL), if anywhere.
    pub origin: Option<OriginUrl>,
    /// Last epoch its storage is paid for, once unpublished: nodes that pinned it before are paid for the
    /// epochs they may still prove, whatever the dApp does afterwards.
    pub until: Option<EpochIndex>,
}

impl<AccountId, Balance> ContentInfo<AccountId, Balance> {
    /// Whether its storage in `epoch` is paid for.
    pub fn paid_in(&self, epoch: EpochIndex) -> bool {
        self.until.is_none_or(|until| epoch <= until)
    }
}

/// Work to be paid for one (node, dApp) pair in an epoch.
#[derive(
    Clone, Debug, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo,
)]
pub struct Accrual<AccountId> {
    /// Who is paid: the node's operator when the work was verified.
    pub operator: AccountId,
    /// Verified bytes delivered.
    pub bytes: u64,
    /// Bytes stored (proven) for the epoch.
    pub stored: u64,
    /// Verified compute units run.
    pub units: u64,
}

/// A dApp's usage in one epoch and how it was settled.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    Encode,
    Decode,
    DecodeWithMemTracking,
    MaxEncodedLen,
    TypeInfo,
)]
pub struct EpochUsage<Balance> {
    /// Verified bytes delivered to its clients.
    pub bytes: u64,
    /// Bytes of its content stored and proven.
    pub stored: u64,
    /// Verified compute units its clients' requests ran.
    pub units: u64,
    /// What the epoch cost at the prices in force when it was settled; zero until then.
    pub cost: Balance,
    /// What was taken from its balance (less than `cost` if it ran out).
    pub paid: Balance,
    /// Whether the epoch was charged.
    pub settled: bool,
}

/// Where settlement stands: the epoch being settled, its stage, and the storage cursor inside that stage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct SettleState<Balance> {
    /// The epoch being settled.
    pub epoch: u32,
    /// 0: accrue storage, 1: charge and pay, 2: subsidy, 3: delete old usage.
    pub stage: u8,
    /// Where the previous page stopped.
    pub cursor: Option<frame_support::BoundedVec<u8, frame_support::traits::ConstU32<256>>>,
    /// The node part of the epoch's subsidy, fixed when stage 2 starts.
    pub subsidy: Balance,
    /// The keepers' part, paid into the GPoS pot when stage 2 starts.
    pub keeper_subsidy: Balance,
}

#[frame_support::pallet]
pub mod pallet {
    use super::*;
    use enreach_primitives::{is_valid_origin, ClientKey, ContentId, EpochIndex, NodeId};
    use frame_support::{
        pallet_prelude::*,
        traits::{
            fungible::{Inspect, Mutate, MutateHold},
            tokens::Preservation,
        },
        PalletId,
    };
    use frame_system::pallet_prelude::*;
    use pallet_edge_nodes::NodeRegistry;
    use pallet_gpos::{exposure::pro_rata, StakingRewards};
    use sp_runtime::{
        traits::{AccountIdConversion, Saturating, Zero},
        SaturatedConversion,
    };

    /// Balance of the settlement currency.
    pub type BalanceOf<T> =
        <<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

    /// A stored dApp account.
    pub type DappAccountOf<T> = DappAccount<BalanceOf<T>, BlockNumberFor<T>>;

    /// A stored content record.
    pub type ContentInfoOf<T> = ContentInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

    #[pallet::pallet]
    pub struct Pallet<T>(_);

    #[pallet::config]
    pub trait Config: frame_system::Config + pallet_gpow::Config {
        /// Moves dApp funds and payouts; holds account deposits; mints the subsidy.
        type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
            + Mutate<Self::AccountId>;
        /// The runtime's hold reasons, which include this pallet's.
        type RuntimeHoldReason: From<HoldReason>;
        /// The account that holds dApp balances and unclaimed node earnings.
        #[pallet::constant]
        type PalletId: Get<PalletId>;
        /// Receives protocol fees and repaid debt (the treasury).
        type Treasury: Get<Self::AccountId>;
        /// GPoS: the era, and the keeper reward pot.
        type Staking: StakingRewards<BalanceOf<Self>>;
        /// Price of one GiB delivered (governed).
        type DeliveryPrice: Get<BalanceOf<Self>>;
        /// Price of one GiB stored for one epoch (governed).
        type StoragePrice: Get<BalanceOf<Self>>;
        /// Price of one million compute units run (governed).
        type ComputePrice: Get<BalanceOf<Self>>;
        /// Share of every payment to nodes that goes to the treasury (governed).
        type ProtocolFee: Get<Perbill>;
        /// Held while a dApp account is open (governed).
        type AccountDeposit: Get<BalanceOf<Self>>;
        /// Blocks between a withdrawal request and the withdrawal (governed).
        type WithdrawDelay: Get<BlockNumberFor<Self>>;
        /// The subsidy schedule (governed).
        type Emission: Get<EmissionSchedule<BalanceOf<Self>>>;
        /// Share of the subsidy paid to keepers and their guarantors (governed).
        type KeeperShare: Get<Perbill>;
        /// Most client keys per dApp.
        #[pallet::constant]
        type MaxClientsPerAccount: Get<u32>;
        /// Most published contents per dApp.
        #[pallet::constant]
        type MaxContentsPerAccount: Get<u32>;
        /// Most files one collection publishes at once ([`Pallet::publish_collection`]).
        #[pallet::constant]
        type MaxCollectionFiles: Get<u32>;
        /// Most items (nodes or accruals) settled per block.
        #[pallet::constant]
        type MaxSettlePerBlock: Get<u32>;
        /// Epochs of usage kept for queries.
        #[pallet::constant]
        type UsageHistory: Get<EpochIndex>;
        /// Weights of this pallet's calls and settlement steps.
        type WeightInfo: WeightInfo;
    }

    /// Why this pallet holds funds.
    #[pallet::composite_enum]
    pub enum HoldReason {
        /// The deposit of an open dApp account.
        #[codec(index = 0)]
        AccountDeposit,
    }

    /// dApp accounts.
    #[pallet::storage]
    pub type Accounts<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, DappAccountOf<T>>;

    /// Client keys, the dApp that pays for their receipts and the epochs it pays for. Revoked keys count
    /// against their dApp's `MaxClientsPerAccount` until they are purged ([`Pallet::revoke_client`] again, once
    /// their last receipts can no longer be challenged).
    #[pallet::storage]
    pub type Clients<T: Config> =
        StorageMap<_, Blake2_128Concat, ClientKey, ClientAuth<T::AccountId>>;

    /// Published contents.
    #[pallet::storage]
    pub type Contents<T: Config> = StorageMap<_, Blake2_128Concat, ContentId, ContentInfoOf<T>>;

    /// Work to pay for, per epoch and (node, dApp); removed as it is paid.
    #[pallet::storage]
    pub type Accruals<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        (NodeId, T::AccountId),
        Accrual<T::AccountId>,
    >;

    /// Usage per epoch and dApp, kept `UsageHistory` epochs.
    #[pallet::storage]
    pub type Usage<T: Config> = StorageDoubleMap<
        _,
        Twox64Concat,
        EpochIndex,
        Blake2_128Concat,
        T::AccountId,
        EpochUsage<BalanceOf<T>>,
        ValueQuery,
    >;

    /// Earnings of node operators not claimed yet.
    #[pallet::storage]
    pub type PendingRewards<T: Config> =
        StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

    /// Where settlement stands.
    #[pallet::storage]
    pub type Settling<T: Config> = StorageValue<_, SettleState<BalanceOf<T>>, ValueQuery>;

    #[pallet::event]
    #[pallet::generate_deposit(pub(super) fn deposit_event)]
    pub enum Event<T: Config> {
        /// A dApp opened its account.
        AccountOpened {
            /// The dApp.
            dapp: T::AccountId,
            /// Prepaid funds.
            balance: BalanceOf<T>,
        },
        /// A dApp added funds; debt is repaid first.
        ToppedUp {
            /// The dApp.
            dapp: T::AccountId,
            /// Amount added.
            amount: BalanceOf<T>,
            /// Debt repaid from it.
            repaid: BalanceOf<T>,
        },
        /// A client key may now sign receipts paid by the dApp.
        ClientAuthorized {
            /// The client key.
            client: ClientKey,
            /// The dApp.
            dapp: T::AccountId,
        },
        /// A client key was revoked.
        ClientRevoked {
            /// The client key.
            client: ClientKey,
            /// The dApp.
            dapp: T::AccountId,
        },
        /// A withdrawal was requested.
        WithdrawalRequested {
            /// The dApp.
            dapp: T::AccountId,
            /// Amount.
            amount: BalanceOf<T>,
            /// First block at which it may be withdrawn.
            at: BlockNumberFor<T>,
        },
        /// Funds were withdrawn.
        Withdrawn {
            /// The dApp.
            dapp: T::AccountId,
            /// Amount.
            amount: BalanceOf<T>,
        },
        /// Content was published.
        ContentPublished {
            /// The content.
            content: ContentId,
            /// The dApp.
            owner: T::AccountId,
            /// Size in bytes.
            size: u64,
            /// Replicas paid for.
            replicas: u32,
        },
        /// A collection was published: its manifest and the files it names that were not published yet, each
        /// a content of its own.
        CollectionPublished {
            /// The manifest's content id: the collection's id.
            collection: ContentId,
            /// The dApp.
            owner: T::AccountId,
            /// Files the collection names.
            files: u32,
            /// Of those, files published by this call (the others were published already).
            new_files: u32,
            /// Bytes of the manifest and the new files.
            size: u64,
        },
        /// Content was unpublished: its storage is paid through the current epoch.
        ContentUnpublished {
            /// The content.
            content: ContentId,
        },
        /// A dApp was charged for an epoch.
        Charged {
            /// The dApp.
            dapp: T::AccountId,
            /// The epoch.
            epoch: EpochIndex,
            /// What the epoch cost.
            cost: BalanceOf<T>,
            /// What it paid.
            paid: BalanceOf<T>,
        },
        /// A dApp could not pay everything: its clients are paused until it tops up.
        AccountInDebt {
            /// The dApp.
            dapp: T::AccountId,
            /// Its debt.
            debt: BalanceOf<T>,
        },
        /// An epoch was settled.
        EpochSettled {
            /// The epoch.
            epoch: EpochIndex,
            /// Subsidy paid to nodes by work score.
            node_subsidy: BalanceOf<T>,
            /// Subsidy added to the keepers' era pot.
            keeper_subsidy: BalanceOf<T>,
        },
        /// A node operator claimed its earnings.
        RewardsClaimed {
            /// The operator.
            who: T::AccountId,
            /// Amount.
            amount: BalanceOf<T>,
        },
    }

    #[pallet::error]
    pub enum Error<T> {
        /// The account already has a dApp account.
        AccountExists,
        /// No dApp account for this signer.
        NoAccount,
        /// The signer's free balance cannot cover the deposit or the amount.
        InsufficientBalance,
        /// The amount is zero.
        ZeroAmount,
        /// The client key is authorized by another dApp.
        ClientTaken,
        /// The dApp has as many clients as it may.
        TooManyClients,
        /// The client key is not authorized by the signer.
        NotClientOwner,
        /// The client key was revoked and receipts it signed may still be challenged: its record stays, and
        /// it cannot be authorized again until it is purged.
        ClientStillChallengeable,
        /// An epoch up to the one the withdrawal was requested in is not settled yet.
        UnsettledEpochs,
        /// The content was unpublished and its storage in an epoch not settled yet is still owed: its record
        /// stays until then.
        ContentStillPayable,
        /// The dApp's balance is below the amount.
        InsufficientFunds,
        /// No withdrawal was requested.
        NoWithdrawal,
        /// The withdrawal delay has not passed.
        WithdrawalNotReady,
        /// The content is already published.
        ContentExists,
        /// A collection names a file published already with another size.
        ContentSizeDiffers,
        /// Content must have a size.
        EmptyContent,
        /// Replicas must be between 1 and GPoW's `MaxReplicas` (the most provers it ranks per content).
        InvalidReplicas,
        /// The dApp has as many contents as it may.
        TooManyContents,
        /// The content is not published by the signer.
        NotContentOwner,
        /// The origin URL is not `http://` or `https://` followed by printable ASCII.
        InvalidOrigin,
        /// No earnings to claim.
        NothingToClaim,
    }

    #[pallet::hooks]
    impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
        fn on_initialize(_: BlockNumberFor<T>) -> Weight {
            Self::settle_page()
        }
    }

    #[pallet::call]
    impl<T: Config> Pallet<T> {
        /// Opens the signer's dApp account: holds `AccountDeposit` and prepays `balance`.
        #[pallet::call_index(0)]
        #[pallet::weight(<T as Config>::WeightInfo::open_account())]
        pub fn open_account(
            origin: OriginFor<T>,
            #[pallet::compact] balance: BalanceOf<T>,
        ) -> DispatchResult {
            let dapp = ensure_signed(origin)?;
            ensure!(
                !Accounts::<T>::contains_key(&dapp),
                Error::<T>::AccountExists
            );
            let deposit = T::AccountDeposit::get();
            <T as Config>::Currency::hold(&HoldReason::AccountDeposit.into(), &dapp, deposit)
                .map_err(|_| Error::<T>::InsufficientBalance)?;
            Self::pay_in(&dapp, balance)?;
            Accounts::<T>::insert(
                &dapp,
                DappAccount {
                    balance,
                    deposit,
                    ..Default::default()
                },
            );
            Self::deposit_event(Event::AccountOpened { dapp, balance });
            Ok(())
        }

        /// Adds `amount` to the signer's account, repaying debt first; clients resume once the debt is gone.
        #[pallet::call_index(1)]
        #[pallet::weight(<T as Config>::WeightInfo::top_up())]
        pub fn top_up(
            origin: OriginFor<T>,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let dapp = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            let mut account = Accounts::<T>::get(&dapp).ok_or(Error::<T>::NoAccount)?;
            Self::pay_in(&dapp, amount)?;
            let repaid = amount.min(account.debt);
            if !repaid.is_zero() {
                Self::pay_out(&T::Treasury::get(), repaid)?;
            }
            account.debt = account.debt.saturating_sub(repaid);
            account.balance = account
                .balance
                .saturating_add(amount.saturating_sub(repaid));
            Accounts::<T>::insert(&dapp, account);
            Self::deposit_event(Event::ToppedUp {
                dapp,
                amount,
                repaid,
            });
            Ok(())
        }

        /// Lets `client` sign delivery receipts paid by the signer.
        #[pallet::call_index(2)]
        #[pallet::weight(<T as Config>::WeightInfo::authorize_client())]
        pub fn authorize_client(origin: OriginFor<T>, client: ClientKey) -> DispatchResult {
            let dapp = ensure_signed(origin)?;
            let mut account = Accounts::<T>::get(&dapp).ok_or(Error::<T>::NoAccount)?;
            let epoch = Self::current_epoch();
            match Clients::<T>::get(client) {
                Some(auth) if auth.dapp == dapp && auth.until.is_none() => return Ok(()),
                // Revoked: receipts signed since then (which honest edges refused) must never become payable,
                // so the key is authorized again only after its record is purged.
                Some(auth) if auth.dapp == dapp => {
                    return Err(Error::<T>::ClientStillChallengeable.into())
                }
                Some(_) => return Err(Error::<T>::ClientTaken.into()),
                None => {}
            }
            ensure!(
                account.clients < T::MaxClientsPerAccount::get(),
                Error::<T>::TooManyClients
            );
            account.clients += 1;
            Accounts::<T>::insert(&dapp, account);
            Clients::<T>::insert(
                client,
                ClientAuth {
                    dapp: dapp.clone(),
                    from: epoch,
                    until: None,
                },
            );
            Self::deposit_event(Event::ClientAuthorized { client, dapp });
            Ok(())
        }

        /// Revokes `client`: receipts it signs after the next epoch are not paid (edges stop taking them once
        /// they see the revocation). Those signed until then still are, so revoking cannot void a node's
        /// honest report. Called again once its last paid epoch can no longer be challenged, it purges the
        /// record and frees the dApp's client slot; only then may the key be authorized again.
        #[pallet::call_index(3)]
        #[pallet::weight(<T as Config>::WeightInfo::revoke_client())]
        pub fn revoke_client(origin: OriginFor<T>, client: ClientKey) -> DispatchResult {
            let dapp = ensure_signed(origin)?;
            let mut auth = Clients::<T>::get(client)
                .filter(|auth| auth.dapp == dapp)
                .ok_or(Error::<T>::NotClientOwner)?;
            let epoch = Self::current_epoch();
            // Paid through the next epoch too: an edge reading finalized state may accept the key's receipts
            // for a while after the revocation, and must not be punished for it. Honest edges stop taking its
            // receipts as soon as they see the revocation.
            match retirement(auth.until, epoch.saturating_add(1), epoch) {
                Some(Retirement::Until(until)) => {
                    auth.until = Some(until);
                    Clients::<T>::insert(client, auth);
                    Self::deposit_event(Event::ClientRevoked { client, dapp });
                }
                Some(Retirement::Purge) => {
                    Clients::<T>::remove(client);
                    Accounts::<T>::mutate(&dapp, |account| {
                        if let Some(account) = account {
                            account.clients = account.clients.saturating_sub(1)
                        }
                    });
                }
                None => return Err(Error::<T>::ClientStillChallengeable.into()),
            }
            Ok(())
        }

        /// Asks to withdraw `amount` after `WithdrawDelay` blocks; replaces an earlier request. The funds stay
        /// chargeable until then.
        #[pallet::call_index(4)]
        #[pallet::weight(<T as Config>::WeightInfo::request_withdrawal())]
        pub fn request_withdrawal(
            origin: OriginFor<T>,
            #[pallet::compact] amount: BalanceOf<T>,
        ) -> DispatchResult {
            let dapp = ensure_signed(origin)?;
            ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
            let mut account = Accounts::<T>::get(&dapp).ok_or(Error::<T>::NoAccount)?;
            ensure!(amount <= account.balance, Error::<T>::InsufficientFunds);
            let at =
                frame_system::Pallet::<T>::block_number().saturating_add(T::WithdrawDelay::get());
            account.withdrawal = Some((amount, at, Self::current_epoch()));
            Accounts::<T>::insert(&dapp, account);
            Self::deposit_event(Event::WithdrawalRequested { dapp, amount, at });
            Ok(())
        }

        /// Takes the requested withdrawal once its delay has passed and every epoch up to the one it was
        /// requested in is settled: at most the balance less what the verified work of the epochs not settled
        /// yet costs, so a dApp cannot take away what it owes the nodes that served it.
        #[pallet::call_index(5)]
        #[pallet::weight(<T as Config>::WeightInfo::withdraw())]
        pub fn withdraw(origin: OriginFor<T>) -> DispatchResult {
            let dapp = ensure_signed(origin)?;
            let mut account = Accounts::<T>::get(&dapp).ok_or(Error::<T>::NoAccount)?;
            let (requested, at, asked_in) = account.withdrawal.ok_or(Error::<T>::NoWithdrawal)?;
            ensure!(
                frame_system::Pallet::<T>::block_number() >= at,
                Error::<T>::WithdrawalNotReady
            );
            let next_to_settle = Settling::<T>::get().epoch;
            ensure!(next_to_settle > asked_in, Error::<T>::UnsettledEpochs);
            // At most `CHALLENGEABLE_EPOCHS + 1` epochs are unsettled at any time.
            let owed = (next_to_settle..=Self::current_epoch())
                .map(|epoch| Usage::<T>::get(epoch, &dapp))
                .filter(|usage| !usage.settled)
                .fold(BalanceOf::<T>::zero(), |owed, usage| {
                    owed.saturating_add(Self::cost_of(usage.bytes, usage.stored, usage.units))
                });
            let amount = requested.min(account.balance.saturating_sub(owed));
            Self::pay_out(&dapp, amount)?;
            account.balance = account.balance.saturating_sub(amount);
            account.withdrawal = None;
            Accounts::<T>::insert(&dapp, account);
            Self::deposit_event(Event::Withdrawn { dapp, amount });
            Ok(())
        }

        /// Publishes `content` of `size` bytes for storage by `replicas` nodes at a storage price up to
        /// `max_price` per GiB and epoch; gateways that miss it pull it from `origin` (an http(s) URL), if
        /// given, and serve it once it matches the content id.
        #[pallet::call_index(6)]
        #[pallet::weight(<T as Config>::WeightInfo::publish_content())]
        pub fn publish_content(
            origin: OriginFor<T>,
            content: ContentId,
            size: u64,
            replicas: u32,
            max_price: BalanceOf<T>,
            origin_url: Option<OriginUrl>,
        ) -> DispatchResult {
            let owner = ensure_signed(origin)?;
            ensure!(
                origin_url.as_ref().is_none_or(|url| is_valid_origin(url)),
                Error::<T>::InvalidOrigin
            );
            let mut account = Accounts::<T>::get(&owner).ok_or(Error::<T>::NoAccount)?;
            ensure!(
                !Contents::<T>::contains_key(content),
                Error::<T>::ContentExists
            );
            ensure!(size > 0, Error::<T>::EmptyContent);
            ensure!(
                (1..=<T as pallet_gpow::Config>::MaxReplicas::get()).contains(&replicas),
                Error::<T>::InvalidReplicas
            );
            ensure!(
                account.contents < T::MaxContentsPerAccount::get(),
                Error::<T>::TooManyContents
            );
            account.contents += 1;
            Accounts::<T>::insert(&owner, account);
            Contents::<T>::insert(
                content,
                ContentInfo {
                    owner: owner.clone(),
                    size,
                    replicas,
                    max_price,
                    origin: origin_url,
                    until: None,
                },
            );
            Self::deposit_event(Event::ContentPublished {
                content,
                owner,
                size,
                replicas,
            });
            Ok(())
        }

        /// Publishes a collection (`enreach_primitives::Collection`: an AI model's files) in one call: its
        /// manifest `collection` of `manifest_size` bytes, and each of `files` (content id, size) not published
        /// yet, every one a content of its own stored by `replicas` nodes at a storage price up to `max_price`.
        /// Files this dApp published already (for an earlier version that shares them) keep their record: a
        /// version that changes one shard publishes one shard. A file another dApp published is refused.
        #[pallet::call_index(9)]
        #[pallet::weight(<T as Config>::WeightInfo::publish_collection(files.len() as u32))]
        pub fn publish_collection(
            origin: OriginFor<T>,
            collection: ContentId,
            manifest_size: u64,
            files: BoundedVec<(ContentId, u64), T::MaxCollectionFiles>,
            replicas: u32,
            max_price: BalanceOf<T>,
        ) -> DispatchResult {
            let owner = ensure_signed(origin)?;
            let mut account = Accounts::<T>::get(&owner).ok_or(Error::<T>::NoAccount)?;
            ensure!(
                !Contents::<T>::contains_key(collection),
                Error::<T>::ContentExists
            );
            // A collection names at least one file, each with bytes.
            ensure!(
                manifest_size > 0 && !files.is_empty() && files.iter().all(|(_, size)| *size > 0),
                Error::<T>::EmptyContent
            );
            ensure!(
                (1..=<T as pallet_gpow::Config>::MaxReplicas::get()).contains(&replicas),
                Error::<T>::InvalidReplicas
            );
            // Each content once, however many paths name it. A file published already must be this dApp's,
            // of the same size (an earlier version's): a record someone else holds could be unpublished under
            // the collection, or name a size no provider proves, so that nodes never store the file.
            let mut new = alloc::collections::BTreeMap::<ContentId, u64>::new();
            for (content, size) in files.iter().filter(|(content, _)| *content != collection) {
                match Contents::<T>::get(content) {
                    None => {
                        new.insert(*content, *size);
                    }
                    Some(held) => {
                        ensure!(held.owner == owner, Error::<T>::NotContentOwner);
                        ensure!(held.size == *size, Error::<T>::ContentSizeDiffers);
                    }
                }
            }
            let added = 1 + new.len() as u32;
            ensure!(
                account.contents.saturating_add(added) <= T::MaxContentsPerAccount::get(),
                Error::<T>::TooManyContents
            );
            account.contents += added;
            Accounts::<T>::insert(&owner, account);
            let mut size = 0u64;
            for (content, bytes) in core::iter::once((collection, manifest_size)).chain(new) {
                size = size.saturating_add(bytes);
                Contents::<T>::insert(
                    content,
                    ContentInfo {
                        owner: owner.clone(),
                        size: bytes,
                        replicas,
                        max_price,
                        origin: None,
                        until: None,
                    },
                );
            }
            Self::deposit_event(Event::CollectionPublished {
                collection,
                owner,
                files: files.len() as u32,
                new_files: added - 1,
                size,
            });
            Ok(())
        }

        /// Stops paying for storage of `content` after the current epoch: nodes that pinned it are paid for
        /// the epochs they may still prove. Its record stays (it cannot be published again) until a second
        /// call, once those epochs are settled, deletes it.
        #[pallet::call_index(7)]
        #[pallet::weight(<T as Config>::WeightInfo::unpublish_content())]
        pub fn unpublish_content(origin: OriginFor<T>, content: ContentId) -> DispatchResult {
            let owner = ensure_signed(origin)?;
            let mut info = Contents::<T>::get(content)
                .filter(|c| c.owner == owner)
                .ok_or(Error::<T>::NotContentOwner)?;
            let epoch = Self::current_epoch();
            match retirement(info.until, epoch, epoch) {
                Some(Retirement::Until(until)) => {
                    info.until = Some(until);
                    Contents::<T>::insert(content, info);
                    Self::deposit_event(Event::ContentUnpublished { content });
                }
                Some(Retirement::Purge) => {
                    Contents::<T>::remove(content);
                    Accounts::<T>::mutate(&owner, |account| {
                        if let Some(account) = account {
                            account.contents = account.contents.saturating_sub(1)
                        }
                    });
                }
                None => return Err(Error::<T>::ContentStillPayable.into()),
            }
            Ok(())
        }

        /// Pays the signer's accumulated node earnings (traffic, storage and subsidy).
        #[pallet::call_index(8)]
        #[pallet::weight(<T as Config>::WeightInfo::claim_rewards())]
        pub fn claim_rewards(origin: OriginFor<T>) -> DispatchResult {
            let who = ensure_signed(origin)?;
            let amount = PendingRewards::<T>::get(&who);
            ensure!(!amount.is_zero(), Error::<T>::NothingToClaim);
            Self::pay_out(&who, amount)?;
            PendingRewards::<T>::remove(&who);
            Self::deposit_event(Event::RewardsClaimed { who, amount });
            Ok(())
        }
    }

    impl<T: Config> pallet_gpow::ContentCatalog for Pallet<T> {
        /// Published and paid for in `epoch`: nodes are challenged on it and its replicas are paid.
        fn published_size(content: &ContentId, epoch: EpochIndex) -> Option<u64> {
            Contents::<T>::get(content)
                .filter(|c| c.paid_in(epoch))
                .map(|c| c.size)
        }

        #[cfg(feature = "runtime-benchmarks")]
        fn publish_for_benchmark(content: &ContentId, size: u64) {
            use sp_runtime::traits::{Bounded, TrailingZeroInput};
            Contents::<T>::insert(
                content,
                ContentInfo {
                    owner: Decode::decode(&mut TrailingZeroInput::zeroes())
                        .expect("an account decodes from zeroes"),
                    size,
                    replicas: 1,
                    max_price: BalanceOf::<T>::max_value(),
                    origin: None,
                    until: None,
                },
            );
        }
    }

    impl<T: Config> pallet_gpow::ClientAuthority<T::AccountId> for Pallet<T> {
        /// The dApp that paid for `client` in `epoch`. Debt does not change it: a dApp in debt is charged
        /// what it can pay and owes the rest; the node that served it did nothing wrong.
        fn payer(client: &ClientKey, epoch: EpochIndex) -> Option<T::AccountId> {
            Clients::<T>::get(client)
                .filter(|auth| auth.covers(epoch))
                .map(|auth| auth.dapp)
        }

        #[cfg(feature = "runtime-benchmarks")]
        fn authorize_for_benchmark(client: &ClientKey, payer: &T::AccountId) {
            Accounts::<T>::mutate(payer, |account| {
                account.get_or_insert_with(Default::default).clients += 1
            });
            Clients::<T>::insert(
                client,
                ClientAuth {
                    dapp: payer.clone(),
                    from: 0,
                    until: None,
                },
            );
        }
    }

    impl<T: Config> pallet_gpow::WorkAccounting<T::AccountId> for Pallet<T> {
        fn on_traffic_verified(
            epoch: EpochIndex,
            node: &NodeId,
            operator: &T::AccountId,
            payer: &T::AccountId,
            bytes: u64,
        ) {
            Self::accrue(epoch, node, operator, payer, bytes, 0, 0);
        }

        fn on_compute_verified(
            epoch: EpochIndex,
            node: &NodeId,
            operator: &T::AccountId,
            payer: &T::AccountId,
            units: u64,
        ) {
            Self::accrue(epoch, node, operator, payer, 0, 0, units);
        }

        /// Takes the units back from the node's accrual and the payer's usage. GPoW's keepers judge an epoch
        /// within the epoch after it, and settlement pays it only `CHALLENGEABLE_EPOCHS` later, so the accrual
        /// is still there and the dApp was not charged yet.
        fn on_compute_voided(epoch: EpochIndex, node: &NodeId, payer: &T::AccountId, units: u64) {
            Accruals::<T>::mutate_exists(epoch, (node, payer), |accrual| {
                if let Some(work) = accrual {
                    work.units = work.units.saturating_sub(units);
                    if work.bytes == 0 && work.stored == 0 && work.units == 0 {
                        *accrual = None;
                    }
                }
            });
            Usage::<T>::mutate(epoch, payer, |usage| {
                usage.units = usage.units.saturating_sub(units)
            });
        }
    }

    /// Epochs after an epoch ends during which its reports may still be challenged and its compute refuted (the
    /// report, answer and observation windows fit in the next epoch, GPoW checks it); settlement pays an epoch
    /// two epochs later.
    pub const CHALLENGEABLE_EPOCHS: EpochIndex = 2;

    impl<T: Config> Pallet<T> {
        /// The GPoW epoch in progress (0 before GPoW starts).
        fn current_epoch() -> EpochIndex {
            pallet_gpow::CurrentEpoch::<T>::get().map_or(0, |e| e.index)
        }

        /// The account holding dApp funds and unclaimed earnings.
        pub fn account_id() -> T::AccountId {
            T::PalletId::get().into_account_truncating()
        }

        fn pay_in(from: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
            <T as Config>::Currency::transfer(
                from,
                &Self::account_id(),
                amount,
                Preservation::Preserve,
            )
            .map(|_| ())
            .map_err(|_| Error::<T>::InsufficientBalance.into())
        }

        fn pay_out(to: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
            <T as Config>::Currency::transfer(
                &Self::account_id(),
                to,
                amount,
                Preservation::Expendable,
            )
            .map(|_| ())
        }

        /// `dapp`'s account as its developer sees it.
        pub fn account_info(
            dapp: &T::AccountId,
        ) -> Option<crate::runtime_api::DappAccountInfo<BalanceOf<T>>> {
            Accounts::<T>::get(dapp).map(|account| crate::runtime_api::DappAccountInfo {
                balance: account.balance,
                paused: !account.debt.is_zero(),
                debt: account.debt,
                clients: account.clients,
                contents: account.contents,
            })
        }

        /// The prices, fee and subsidy in force.
        pub fn params() -> crate::runtime_api::SettlementParams<BalanceOf<T>> {
            let emission = T::Emission::get();
            crate::runtime_api::SettlementParams {
                delivery_price: T::DeliveryPrice::get(),
                storage_price: T::StoragePrice::get(),
                compute_price: T::ComputePrice::get(),
                protocol_fee: T::ProtocolFee::get(),
                current_emission: emission.per_epoch_in(T::Staking::current_era()),
                emission,
                keeper_share: T::KeeperShare::get(),
                next_epoch_to_settle: Settling::<T>::get().epoch,
            }
        }

        /// What `bytes` delivered, `stored` bytes kept for an epoch and `units` of compute run cost at today's
        /// prices.
        pub fn cost_of(bytes: u64, stored: u64, units: u64) -> BalanceOf<T> {
            let per = |price: BalanceOf<T>, amount: u64, unit: u64| -> BalanceOf<T> {
                pro_rata(price, amount.saturated_into(), unit.saturated_into())
            };
            per(T::DeliveryPrice::get(), bytes, GIB)
                .saturating_add(per(T::StoragePrice::get(), stored, GIB))
                .saturating_add(per(T::ComputePrice::get(), units, MILLION_UNITS))
        }

        /// Adds verified work to what `payer` owes `node` (paid to `operator`) for `epoch`.
        fn accrue(
            epoch: EpochIndex,
            node: &NodeId,
            operator: &T::AccountId,
            payer: &T::AccountId,
            bytes: u64,
            stored: u64,
            units: u64,
        ) {
            Accruals::<T>::mutate(epoch, (node, payer), |accrual| {
                let accrual = accrual.get_or_insert_with(|| Accrual {
                    operator: operator.clone(),
                    bytes: 0,
                    stored: 0,
                    units: 0,
                });
                accrual.bytes = accrual.bytes.saturating_add(bytes);
                accrual.stored = accrual.stored.saturating_add(stored);
                accrual.units = accrual.units.saturating_add(units);
            });
            Usage::<T>::mutate(epoch, payer, |usage| {
                usage.bytes = usage.bytes.saturating_add(bytes);
                usage.stored = usage.stored.saturating_add(stored);
                usage.units = usage.units.saturating_add(units);
            });
        }

        /// Settles a page of the next unsettled epoch whose challenges are over.
        pub(crate) fn settle_page() -> Weight {
            let db = T::DbWeight::get();
            let Some(current) = pallet_gpow::CurrentEpoch::<T>::get() else {
                return db.reads(1);
            };
            let mut state = Settling::<T>::get();
            if state.epoch.saturating_add(2) > current.index {
                return db.reads(2);
            }
            let limit = T::MaxSettlePerBlock::get();
            let (done, weight) = match state.stage {
                0 => Self::accrue_storage(&mut state, limit),
                1 => Self::charge_and_pay(state.epoch, limit),
                2 => Self::pay_subsidy(&mut state, limit),
                _ => Self::prune_usage(&mut state, limit),
            };
            if done {
                if state.stage == 2 {
                    Self::deposit_event(Event::EpochSettled {
                        epoch: state.epoch,
                        node_subsidy: state.subsidy,
                        keeper_subsidy: state.keeper_subsidy,
                    });
                }
                state = match state.stage {
                    3 => SettleState {
                        epoch: state.epoch.saturating_add(1),
                        ..Default::default()
                    },
                    stage => SettleState {
                        stage: stage + 1,
                        cursor: None,
                        ..state
                    },
                };
            }
            Settling::<T>::put(state);
            weight.saturating_add(db.reads_writes(2, 1))
        }

        /// Stage 0: storage of each published content, paid to the first `replicas` of the nodes GPoW ranked
        /// among those that proved they store it in the epoch ([`pallet_gpow::StorageProvers`]), if the
        /// storage price is within the content's maximum. A node is paid only for the contents it proved, and
        /// which nodes fill the slots is the epoch seed's choice, not key order.
        pub(crate) fn accrue_storage(
            state: &mut SettleState<BalanceOf<T>>,
            limit: u32,
        ) -> (bool, Weight) {
            let epoch = state.epoch;
            let mut proven = match state.cursor.take() {
                Some(cursor) => {
                    pallet_gpow::StorageProvers::<T>::iter_prefix_from(epoch, cursor.into_inner())
                }
                None => pallet_gpow::StorageProvers::<T>::iter_prefix(epoch),
            };
            let price = T::StoragePrice::get();
            let (mut contents, mut replicas) = (0u32, 0u32);
            // A page is bounded by weight (a full page of the charge stage), as a content may pay up to
            // `MaxReplicas` nodes.
            let budget = <T as Config>::WeightInfo::charge_and_pay(limit);
            while contents < limit && Self::storage_weight(contents, replicas).all_lt(budget) {
                let Some((content, provers)) = proven.next() else {
                    return (true, Self::storage_weight(contents, replicas));
                };
                contents += 1;
                // GPoW accepted the proofs only of content published for the epoch, at its published size.
                let Some(info) = Contents::<T>::get(content).filter(|c| c.paid_in(epoch)) else {
                    continue;
                };
                if price > info.max_price {
                    continue;
                }
                for node in provers.iter().take(info.replicas as usize) {
                    replicas += 1;
                    if let Some(operator) = <T as pallet_gpow::Config>::Registry::operator(node) {
                        Self::accrue(epoch, node, &operator, &info.owner, 0, info.size, 0);
                    }
                }
            }
            state.cursor = BoundedVec::try_from(proven.last_raw_key().to_vec()).ok();
            (false, Self::storage_weight(contents, replicas))
        }

        /// Weight of accruing storage for `contents` contents paying `replicas` nodes between them, from the
        /// benchmark: its cost without replicas per content, and its slope per replica.
        fn storage_weight(contents: u32, replicas: u32) -> Weight {
            let per_content = <T as Config>::WeightInfo::accrue_storage(0);
            let per_replica =
                <T as Config>::WeightInfo::accrue_storage(1).saturating_sub(per_content);
            per_content
                .saturating_mul(contents.into())
                .saturating_add(per_replica.saturating_mul(replicas.into()))
        }

        /// Stage 1: charges each dApp once for the epoch (pro rata if it cannot pay all) and pays each node its
        /// share of what was paid, less the protocol fee.
        pub(crate) fn charge_and_pay(epoch: EpochIndex, limit: u32) -> (bool, Weight) {
            let mut fees = BalanceOf::<T>::zero();
            let mut count = 0;
            let mut drained = Accruals::<T>::drain_prefix(epoch);
            let done = loop {
                if count >= limit {
                    break false;
                }
                let Some(((_node, payer), accrual)) = drained.next() else {
                    break true;
                };
                count += 1;
                let usage = Self::charge(epoch, &payer);
                let gross = pro_rata(
                    Self::cost_of(accrual.bytes, accrual.stored, accrual.units),
                    usage.paid,
                    usage.cost,
                );
                let fee = T::ProtocolFee::get().mul_ceil(gross);
                fees = fees.saturating_add(fee);
                PendingRewards::<T>::mutate(&accrual.operator, |pending| {
                    *pending = pending.saturating_add(gross.saturating_sub(fee))
                });
            };
            if !fees.is_zero() {
                // The fees were paid in by dApps, so the pallet account holds them.
                let _ = Self::pay_out(&T::Treasury::get(), fees);
            }
            (done, <T as Config>::WeightInfo::charge_and_pay(count))
        }

        /// Charges `payer` for `epoch` the first time one of its accruals is paid; returns its usage.
        fn charge(epoch: EpochIndex, payer: &T::AccountId) -> EpochUsage<BalanceOf<T>> {
            let mut usage = Usage::<T>::get(epoch, payer);
            if usage.settled {
                return usage;
            }
            usage.cost = Self::cost_of(usage.bytes, usage.stored, usage.units);
            usage.settled = true;
            let mut account = Accounts::<T>::get(payer).unwrap_or_default();
            usage.paid = usage.cost.min(account.balance);
            account.balance = account.balance.saturating_sub(usage.paid);
            let owed = usage.cost.saturating_sub(usage.paid);
            if !owed.is_zero() {
                account.debt = account.debt.saturating_add(owed);
                Self::deposit_event(Event::AccountInDebt {
                    dapp: payer.clone(),
                    debt: account.debt,
                });
            }
            if Accounts::<T>::contains_key(payer) {
                Accounts::<T>::insert(payer, account);
            }
            Usage::<T>::insert(epoch, payer, usage.clone());
            Self::deposit_event(Event::Charged {
                dapp: payer.clone(),
                epoch,
                cost: usage.cost,
                paid: usage.paid,
            });
            usage
        }

        /// Stage 2: the epoch's subsidy, the keepers' part to GPoS at once, the nodes' part by work score.
        pub(crate) fn pay_subsidy(
            state: &mut SettleState<BalanceOf<T>>,
            limit: u32,
        ) -> (bool, Weight) {
            let epoch = state.epoch;
            let mut scores = match state.cursor.take() {
                Some(cursor) => {
                    pallet_gpow::WorkScores::<T>::iter_prefix_from(epoch, cursor.into_inner())
                }
                None => {
                    let emission = T::Emission::get().per_epoch_in(T::Staking::current_era());
                    let keepers = T::KeeperShare::get().mul_floor(emission);
                    T::Staking::reward_keepers(keepers);
                    state.keeper_subsidy = keepers;
                    state.subsidy = emission.saturating_sub(keepers);
                    pallet_gpow::WorkScores::<T>::iter_prefix(epoch)
                }
            };
            let total = pallet_gpow::TotalWorkScore::<T>::get(epoch);
            let mut count = 0;
            while count < limit {
                let Some((node, score)) = scores.next() else {
                    return (true, <T as Config>::WeightInfo::pay_subsidy(count));
                };
                count += 1;
                let registry = |n: &NodeId| <T as pallet_gpow::Config>::Registry::operator(n);
                let Some(operator) = registry(&node) else {
                    continue;
                };
                if !<T as pallet_gpow::Config>::Registry::is_active(&node) {
                    continue;
                }
                let share = Self::share_of_total(state.subsidy, score, total);
                if share.is_zero() {
                    continue;
                }
                if <T as Config>::Currency::mint_into(&Self::account_id(), share).is_ok() {
                    PendingRewards::<T>::mutate(&operator, |pending| {
                        *pending = pending.saturating_add(share)
                    });
                }
            }
            state.cursor = BoundedVec::try_from(scores.last_raw_key().to_vec()).ok();
            (false, <T as Config>::WeightInfo::pay_subsidy(count))
        }

        fn share_of_total(amount: BalanceOf<T>, score: u64, total: u128) -> BalanceOf<T> {
            if total == 0 {
                return Zero::zero();
            }
            sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
                amount.saturated_into(),
                score as u128,
                total,
                sp_runtime::Rounding::Down,
            )
            .map(SaturatedConversion::saturated_into)
            .unwrap_or_else(Zero::zero)
        }

        /// Stage 3: deletes the usage that fell out of history.
        pub(crate) fn prune_usage(
            state: &mut SettleState<BalanceOf<T>>,
            limit: u32,
        ) -> (bool, Weight) {
            let Some(old) = state.epoch.checked_sub(T::UsageHistory::get()) else {
                return (true, <T as Config>::WeightInfo::prune_usage(0));
            };
            let usage = Usage::<T>::clear_prefix(old, limit, None);
            (
                usage.maybe_cursor.is_none(),
                <T as Config>::WeightInfo::prune_usage(usage.backend),
            )
        }
    }
}
