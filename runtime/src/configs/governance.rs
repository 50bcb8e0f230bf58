//! Governance: OpenGov (referenda with conviction voting, scheduler, preimages), the governed protocol
//! parameters (`pallet-parameters`) and the treasury that receives protocol fees and slashes.
//!
//! Three tracks: `root` (anything, slowest), `protocol_parameters` (prices, GPoW/GPoS/settlement parameters,
//! deposits) and `slash_cancellation` (undo a deferred GPoS slash before it applies). Test networks divide
//! every track's periods by a genesis-set [`pallet_custom_origins::TrackPeriodDivisor`].

use alloc::borrow::Cow;
use frame_support::{
    dynamic_params::{dynamic_pallet_params, dynamic_params},
    parameter_types,
    traits::{
        fungible::HoldConsideration, tokens::UnityAssetBalanceConversion, ConstU32,
        EitherOfDiverse, EnsureOriginWithArg, LinearStoragePrice,
    },
    PalletId,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureSigned};
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{
    traits::{AccountIdConversion, IdentityLookup},
    Perbill,
};

use super::super::{
    AccountId, Balance, Balances, BlockNumber, OriginCaller, Preimage, Referenda, Runtime,
    RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, Treasury, DAYS,
    HOURS, MINUTES, UNIT,
};

pub use origins::pallet_custom_origins;

/// The origins referenda dispatch from, one per track besides root.
pub mod origins {
    /// The origins of the non-root tracks, and how much a test network shortens every track.
    #[frame_support::pallet]
    pub mod pallet_custom_origins {
        use frame_support::pallet_prelude::*;

        /// No configuration.
        #[pallet::config]
        pub trait Config: frame_system::Config {}

        /// The pallet.
        #[pallet::pallet]
        pub struct Pallet<T>(_);

        /// Every track's periods are divided by this (at least 1): 1 on a production network; test networks
        /// set it at genesis so a referendum passes within minutes. Only root can change it
        /// (`system.set_storage`), as it could a runtime constant.
        #[pallet::storage]
        pub type TrackPeriodDivisor<T: Config> = StorageValue<_, u32, ValueQuery, ConstU32<1>>;

        /// Test networks' shorter referenda.
        #[pallet::genesis_config]
        #[derive(frame_support::DefaultNoBound)]
        pub struct GenesisConfig<T: Config> {
            /// Divides every track's periods, if set.
            pub track_period_divisor: Option<u32>,
            #[serde(skip)]
            pub _config: core::marker::PhantomData<T>,
        }

        #[pallet::genesis_build]
        impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
            fn build(&self) {
                if let Some(divisor) = self.track_period_divisor {
                    assert!(divisor > 0, "track periods are divided by at least 1");
                    TrackPeriodDivisor::<T>::put(divisor);
                }
            }
        }

        /// What a passed referendum on a non-root track may do.
        #[derive(
            PartialEq,
            Eq,
            Clone,
            MaxEncodedLen,
            Encode,
            Decode,
            DecodeWithMemTracking,
            TypeInfo,
            Debug,
        )]
        #[pallet::origin]
        pub enum Origin {
            /// Change protocol parameters.
            ProtocolParameters,
            /// Cancel deferred slashes.
            SlashCanceller,
        }
    }

    use frame_support::traits::EnsureOrigin;
    pub use pallet_custom_origins::Origin;

    macro_rules! ensure_origin {
        ($(#[$doc:meta])* $name:ident => $variant:ident) => {
            $(#[$doc])*
            pub struct $name;
            impl<O: Into<Result<Origin, O>> + From<Origin>> EnsureOrigin<O> for $name {
                type Success = ();
                fn try_origin(o: O) -> Result<(), O> {
                    o.into().and_then(|o| match o {
                        Origin::$variant => Ok(()),
                        other => Err(O::from(other)),
                    })
                }
                #[cfg(feature = "runtime-benchmarks")]
                fn try_successful_origin() -> Result<O, ()> {
                    Ok(O::from(Origin::$variant))
                }
            }
        };
    }

    ensure_origin!(
        /// A passed `protocol_parameters` referendum.
        ProtocolParameters => ProtocolParameters
    );
    ensure_origin!(
        /// A passed `slash_cancellation` referendum.
        SlashCanceller => SlashCanceller
    );
}

impl pallet_custom_origins::Config for Runtime {}

/// Root or a passed `protocol_parameters` referendum.
pub type ProtocolParametersOrigin =
    EitherOfDiverse<EnsureRoot<AccountId>, origins::ProtocolParameters>;

/// Root or a passed `slash_cancellation` referendum.
pub type SlashCancelOrigin = EitherOfDiverse<EnsureRoot<AccountId>, origins::SlashCanceller>;

/// Every protocol parameter governance may change without a runtime upgrade, with its genesis value. GPoW's
/// epoch and challenge settings live in `pallet-gpow` (`set_params`), changed by the same track.
#[dynamic_params(RuntimeParameters, pallet_parameters::Parameters::<Runtime>)]
pub mod dynamic_params {
    use super::*;

    /// The node registry.
    #[dynamic_pallet_params]
    #[codec(index = 0)]
    pub mod edge_nodes {
        /// Held per registered node: what a node stands to lose for cheating.
        #[codec(index = 0)]
        pub static NodeDeposit: Balance = 100 * UNIT;
    }

    /// GPoS.
    #[dynamic_pallet_params]
    #[codec(index = 1)]
    pub mod gpos {
        /// Eras between unbonding and withdrawal.
        #[codec(index = 0)]
        pub static BondingDuration: u32 = 24;
        /// Eras a slash waits for governance to cancel it.
        #[codec(index = 1)]
        pub static SlashDeferDuration: u32 = 12;
        /// Smallest own bond.
        #[codec(index = 2)]
        pub static MinBond: Balance = 1_000 * UNIT;
        /// Smallest guarantee.
        #[codec(index = 3)]
        pub static MinGuarantee: Balance = 10 * UNIT;
        /// Stake limit of every keeper before verified work (bootstrap allowance).
        #[codec(index = 4)]
        pub static BaseStakeLimit: Balance = 100_000 * UNIT;
        /// Stake limit per point of work score overseen (1 point = 1 kbit/s verified).
        #[codec(index = 5)]
        pub static StakePerWorkScore: Balance = UNIT / 10;
        /// Share of a node's deposit slashed for a missed challenge.
        #[codec(index = 6)]
        pub static MissedChallengeSlash: Perbill = Perbill::from_percent(10);
        /// Share of a keeper's stake slashed for repeated deviation.
        #[codec(index = 7)]
        pub static DeviationSlash: Perbill = Perbill::from_percent(1);
        /// Deviations in an epoch at which a keeper is slashed.
        #[codec(index = 8)]
        pub static DeviationsBeforeSlash: u32 = 3;
    }

    /// Settlement.
    #[dynamic_pallet_params]
    #[codec(index = 2)]
    pub mod settlement {
        /// Price of one GiB delivered.
        #[codec(index = 0)]
        pub static DeliveryPrice: Balance = UNIT / 100;
        /// Price of one GiB stored for an epoch.
        #[codec(index = 1)]
        pub static StoragePrice: Balance = UNIT / 10_000;
        /// Treasury's share of payments to nodes.
        #[codec(index = 2)]
        pub static ProtocolFee: Perbill = Perbill::from_percent(5);
        /// Held while a dApp account is open.
        #[codec(index = 3)]
        pub static AccountDeposit: Balance = 10 * UNIT;
        /// Blocks between a withdrawal request and the withdrawal.
        #[codec(index = 4)]
        pub static WithdrawDelay: BlockNumber = DAYS;
        /// The subsidy per epoch and how it tapers per era.
        #[codec(index = 5)]
        pub static Emission: pallet_settlement::EmissionSchedule<Balance> =
            pallet_settlement::EmissionSchedule {
                per_epoch: 100 * UNIT,
                taper_per_era: Perbill::from_parts(1_000_000),
                floor: UNIT,
            };
        /// Keepers' share of the subsidy.
        #[codec(index = 6)]
        pub static KeeperShare: Perbill = Perbill::from_percent(20);
        /// Price of one million compute units (about a million WebAssembly operations, a millisecond of a
        /// core): a request at the default ceiling of 20 000 million units costs 0.002 ENR, a fifth of a GiB
        /// delivered.
        #[codec(index = 7)]
        pub static ComputePrice: Balance = UNIT / 10_000_000;
    }

    /// PeerHVM apps: what a name costs to hold and the most one request of an app may ask for, raised as
    /// the machines nodes lend grow.
    #[dynamic_pallet_params]
    #[codec(index = 3)]
    pub mod apps {
        /// Held per app while it exists: squatting a thousand names costs 10 000 ENR.
        #[codec(index = 0)]
        pub static AppDeposit: Balance = 10 * UNIT;
        /// Most memory per request, MiB: the default slot of a node's PeerHVM pool.
        #[codec(index = 1)]
        pub static MaxMemoryMib: u32 = 256;
        /// Most compute units (wasmtime fuel) per request: the default ceiling of a node's PeerHVM.
        #[codec(index = 2)]
        pub static MaxComputeUnits: u64 = 20_000_000_000;
        /// Longest request, ms: the default wall-time ceiling of a node's PeerHVM.
        #[codec(index = 3)]
        pub static MaxWallMs: u32 = 30_000;
    }
}

/// The parameter benchmarks set: a delivery price.
#[cfg(feature = "runtime-benchmarks")]
impl Default for RuntimeParameters {
    fn default() -> Self {
        RuntimeParameters::Settlement(dynamic_params::settlement::Parameters::DeliveryPrice(
            dynamic_params::settlement::DeliveryPrice,
            Some(UNIT),
        ))
    }
}

/// Who may set a parameter: root or the `protocol_parameters` track, for every key.
pub struct ParameterAdmin;

impl EnsureOriginWithArg<RuntimeOrigin, RuntimeParametersKey> for ParameterAdmin {
    type Success = ();

    fn try_origin(
        origin: RuntimeOrigin,
        _key: &RuntimeParametersKey,
    ) -> Result<Self::Success, RuntimeOrigin> {
        <ProtocolParametersOrigin as frame_support::traits::EnsureOrigin<RuntimeOrigin>>::try_origin(
            origin,
        )
        .map(|_| ())
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn try_successful_origin(_key: &RuntimeParametersKey) -> Result<RuntimeOrigin, ()> {
        Ok(RuntimeOrigin::root())
    }
}

impl pallet_parameters::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeParameters = RuntimeParameters;
    type AdminOrigin = ParameterAdmin;
    /// The pallet's reference weights (its generated module is private).
    type WeightInfo = ();
}

parameter_types! {
    /// Preimage storage costs a base plus a price per byte, held.
    pub const PreimageBaseDeposit: Balance = UNIT;
    /// Per byte of preimage.
    pub const PreimageByteDeposit: Balance = UNIT / 1_000;
    /// The hold reason of preimage deposits.
    pub const PreimageHoldReason: RuntimeHoldReason =
        RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
    /// Scheduled calls may use 80% of a block.
    pub MaximumSchedulerWeight: frame_support::weights::Weight =
        Perbill::from_percent(80) * super::RuntimeBlockWeights::get().max_block;
}

impl pallet_preimage::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type ManagerOrigin = EnsureRoot<AccountId>;
    type Consideration = HoldConsideration<
        AccountId,
        Balances,
        PreimageHoldReason,
        LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
    >;
}

impl pallet_scheduler::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeOrigin = RuntimeOrigin;
    type PalletsOrigin = OriginCaller;
    type RuntimeCall = RuntimeCall;
    type MaximumWeight = MaximumSchedulerWeight;
    type ScheduleOrigin = EnsureRoot<AccountId>;
    type OriginPrivilegeCmp = frame_support::traits::EqualPrivilegeOnly;
    type MaxScheduledPerBlock = ConstU32<50>;
    type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
    type Preimages = Preimage;
    type BlockNumberProvider = System;
}

/// Bytes of a track name, as `pallet-referenda` stores it by default.
const TRACK_NAME_LEN: usize = 25;

/// A track name as the fixed-size bytes referenda store.
const fn track_name(name: &str) -> [u8; TRACK_NAME_LEN] {
    let mut out = [0u8; TRACK_NAME_LEN];
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

const fn linear(from: u32, to: u32) -> Curve {
    Curve::LinearDecreasing {
        length: Perbill::one(),
        floor: Perbill::from_percent(to),
        ceil: Perbill::from_percent(from),
    }
}

/// Track ids.
pub mod track {
    /// Anything, as root.
    pub const ROOT: u16 = 0;
    /// Protocol parameters.
    pub const PROTOCOL_PARAMETERS: u16 = 1;
    /// Deferred slash cancellation.
    pub const SLASH_CANCELLATION: u16 = 2;
}

const TRACKS: [Track<u16, Balance, BlockNumber>; 3] = [
    Track {
        id: track::ROOT,
        info: TrackInfo {
            name: track_name("root"),
            max_deciding: 1,
            decision_deposit: 10_000 * UNIT,
            prepare_period: 2 * HOURS,
            decision_period: 14 * DAYS,
            confirm_period: DAYS,
            min_enactment_period: DAYS,
            min_approval: linear(100, 50),
            min_support: linear(50, 5),
        },
    },
    Track {
        id: track::PROTOCOL_PARAMETERS,
        info: TrackInfo {
            name: track_name("protocol_parameters"),
            max_deciding: 10,
            decision_deposit: 1_000 * UNIT,
            prepare_period: 30 * MINUTES,
            decision_period: 7 * DAYS,
            confirm_period: 3 * HOURS,
            min_enactment_period: 10 * MINUTES,
            min_approval: linear(100, 50),
            min_support: linear(20, 1),
        },
    },
    Track {
        id: track::SLASH_CANCELLATION,
        info: TrackInfo {
            name: track_name("slash_cancellation"),
            max_deciding: 20,
            decision_deposit: 500 * UNIT,
            prepare_period: 10 * MINUTES,
            decision_period: 3 * DAYS,
            confirm_period: HOURS,
            min_enactment_period: MINUTES,
            min_approval: linear(100, 50),
            min_support: linear(10, 1),
        },
    },
];

/// The referenda tracks and which origin each dispatches as.
pub struct Tracks;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for Tracks {
    type Id = u16;
    type RuntimeOrigin = <RuntimeOrigin as frame_support::traits::OriginTrait>::PalletsOrigin;

    /// The tracks above, their periods divided by [`pallet_custom_origins::TrackPeriodDivisor`].
    fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
        let divisor = pallet_custom_origins::TrackPeriodDivisor::<Runtime>::get().max(1);
        TRACKS.iter().map(move |track| {
            if divisor == 1 {
                return Cow::Borrowed(track);
            }
            let shorten = |period: BlockNumber| (period / divisor).max(1);
            let mut track = track.clone();
            let info = &mut track.info;
            info.prepare_period = shorten(info.prepare_period);
            info.decision_period = shorten(info.decision_period);
            info.confirm_period = shorten(info.confirm_period);
            info.min_enactment_period = shorten(info.min_enactment_period);
            Cow::Owned(track)
        })
    }

    fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
        match origin {
            OriginCaller::system(frame_system::RawOrigin::Root) => Ok(track::ROOT),
            OriginCaller::Origins(origins::Origin::ProtocolParameters) => {
                Ok(track::PROTOCOL_PARAMETERS)
            }
            OriginCaller::Origins(origins::Origin::SlashCanceller) => Ok(track::SLASH_CANCELLATION),
            _ => Err(()),
        }
    }
}

parameter_types! {
    /// Referenda need this deposit to be submitted.
    pub const SubmissionDeposit: Balance = 10 * UNIT;
    /// Votes lock for this long per conviction doubling.
    pub const VoteLockingPeriod: BlockNumber = DAYS;
}

impl pallet_referenda::Config for Runtime {
    type RuntimeCall = RuntimeCall;
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
    type Scheduler = Scheduler;
    type Currency = Balances;
    type SubmitOrigin = frame_support::traits::AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
    type CancelOrigin = EnsureRoot<AccountId>;
    type KillOrigin = EnsureRoot<AccountId>;
    type Slash = Treasury;
    type Votes = pallet_conviction_voting::VotesOf<Runtime>;
    type Tally = pallet_conviction_voting::TallyOf<Runtime>;
    type SubmissionDeposit = SubmissionDeposit;
    type MaxQueued = ConstU32<100>;
    type UndecidingTimeout = ConstU32<{ 14 * DAYS }>;
    type AlarmInterval = ConstU32<1>;
    type Tracks = Tracks;
    type Preimages = Preimage;
    type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    type Polls = Referenda;
    type MaxTurnout = frame_support::traits::ActiveIssuanceOf<Balances, AccountId>;
    type MaxVotes = ConstU32<256>;
    type VoteLockingPeriod = VoteLockingPeriod;
    type BlockNumberProvider = System;
    type VotingHooks = ();
}

parameter_types! {
    /// The treasury's account seed.
    pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
    /// The treasury account: protocol fees, repaid debt and slashes go here.
    pub TreasuryAccount: AccountId = TreasuryPalletId::get().into_account_truncating();
    /// Most a root-approved spend may pay.
    pub const MaxSpend: Balance = Balance::MAX;
}

impl pallet_treasury::Config for Runtime {
    type Currency = Balances;
    type RejectOrigin = EnsureRoot<AccountId>;
    type RuntimeEvent = RuntimeEvent;
    type SpendPeriod = ConstU32<{ 6 * DAYS }>;
    type Burn = ();
    type PalletId = TreasuryPalletId;
    type BurnDestination = ();
    type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
    type SpendFunds = ();
    type MaxApprovals = ConstU32<100>;
    type SpendOrigin = EnsureRootWithSuccess<AccountId, MaxSpend>;
    type AssetKind = ();
    type Beneficiary = AccountId;
    type BeneficiaryLookup = IdentityLookup<AccountId>;
    type Paymaster = frame_support::traits::tokens::pay::PayFromAccount<Balances, TreasuryAccount>;
    type BalanceConverter = UnityAssetBalanceConversion;
    type PayoutPeriod = ConstU32<{ 30 * DAYS }>;
    type BlockNumberProvider = System;
    #[cfg(feature = "runtime-benchmarks")]
    type BenchmarkHelper = ();
}
