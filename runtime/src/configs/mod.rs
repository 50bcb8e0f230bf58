//! The `Config` of every pallet in the runtime and the constants they share.

use frame_support::{
    derive_impl,
    dispatch::DispatchClass,
    parameter_types,
    traits::{ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
    weights::{
        constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
        IdentityFee, Weight,
    },
};
use frame_system::limits::{BlockLength, BlockWeights};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_runtime::{
    traits::{ConvertInto, One, OpaqueKeys},
    Perbill,
};
use sp_version::RuntimeVersion;

mod apps;
pub mod governance;
mod trust;

use super::{
    AccountId, Babe, Balance, Balances, Block, BlockNumber, Hash, Historical, Nonce, Offences,
    PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
    RuntimeOrigin, RuntimeTask, Session, SessionKeys, System, EPOCH_DURATION_IN_SLOTS,
    EXISTENTIAL_DEPOSIT, MILLI_SECS_PER_BLOCK, SLOT_DURATION, VERSION,
};

/// Share of a block's weight and length that ordinary transactions may use; the rest is kept for
/// operational calls (governance, equivocation reports) so they always fit.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Most validators the chain supports. Bounds the BABE and GRANDPA authority lists.
pub const MAX_AUTHORITIES: u32 = 100;

parameter_types! {
    /// How many recent block hashes the runtime keeps (for mortal transactions).
    pub const BlockHashCount: BlockNumber = 2400;
    /// The runtime version, as `frame_system` reports it.
    pub const Version: RuntimeVersion = VERSION;
    /// Two seconds of compute per 6 s block, with the empty block's and every transaction's fixed cost as
    /// measured on the reference machine ([`crate::weights`]).
    pub RuntimeBlockWeights: BlockWeights = block_weights(
        Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
    );
    /// 5 MiB blocks.
    pub RuntimeBlockLength: BlockLength = BlockLength::builder()
        .max_length(5 * 1024 * 1024)
        .modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
        .build();
    /// Generic Substrate address format until EnReach registers its own prefix.
    pub const SS58Prefix: u16 = 42;
}

/// `BlockWeights::with_sensible_defaults` with the measured base weights in place of polkadot-sdk's.
fn block_weights(max_block: Weight) -> BlockWeights {
    let normal = NORMAL_DISPATCH_RATIO * max_block;
    BlockWeights::builder()
        .base_block(crate::weights::BlockExecutionWeight::get())
        .for_class(DispatchClass::all(), |class| {
            class.base_extrinsic = crate::weights::ExtrinsicBaseWeight::get();
        })
        .for_class(DispatchClass::Normal, |class| {
            class.max_total = Some(normal);
        })
        .for_class(DispatchClass::Operational, |class| {
            class.max_total = Some(max_block);
            class.reserved = Some(max_block - normal);
        })
        .avg_block_initialization(Perbill::from_percent(10))
        .build_or_panic()
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
    type Block = Block;
    type BlockWeights = RuntimeBlockWeights;
    type BlockLength = RuntimeBlockLength;
    type AccountId = AccountId;
    type Nonce = Nonce;
    type Hash = Hash;
    type BlockHashCount = BlockHashCount;
    /// The node stores state in ParityDB only.
    type DbWeight = ParityDbWeight;
    type Version = Version;
    type AccountData = pallet_balances::AccountData<Balance>;
    type SS58Prefix = SS58Prefix;
    type MaxConsumers = ConstU32<16>;
    type ExtensionsWeightInfo = crate::weights::ExtensionWeights<Runtime>;
}

impl pallet_timestamp::Config for Runtime {
    /// Milliseconds since the Unix epoch.
    type Moment = u64;
    /// BABE checks that the timestamp lies in the block's slot.
    type OnTimestampSet = Babe;
    /// Half a slot: BABE's slot duration is twice this.
    type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
    type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RuntimeFreezeReason = RuntimeFreezeReason;
    type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
    type Balance = Balance;
    type DustRemoval = ();
    type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
    type AccountStore = System;
    type ReserveIdentifier = [u8; 8];
    /// Pallets hold and freeze funds by reason; locks and reserves are legacy and unused.
    type FreezeIdentifier = RuntimeFreezeReason;
    /// Conviction voting locks votes.
    type MaxLocks = ConstU32<8>;
    type MaxReserves = ConstU32<0>;
    type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
    type DoneSlashHandler = ();
}

parameter_types! {
    /// Fees do not adjust with congestion yet; governance will tune this once usage is known.
    pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type OnChargeTransaction = FungibleAdapter<Balances, ()>;
    type WeightToFee = IdentityFee<Balance>;
    type LengthToFee = IdentityFee<Balance>;
    type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
    type OperationalFeeMultiplier = ConstU8<5>;
    type WeightInfo = crate::weights::pallet_transaction_payment::WeightInfo<Runtime>;
}

parameter_types! {
    /// Session and BABE epoch length, in slots (see [`EPOCH_DURATION_IN_SLOTS`]): it can never change on a
    /// running chain.
    pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
    /// BABE's target block time: every slot has an author (secondary slots), so one block per slot.
    pub const ExpectedBlockTime: u64 = MILLI_SECS_PER_BLOCK;
}

impl pallet_session::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type ValidatorId = AccountId;
    type ValidatorIdOf = ConvertInto;
    /// BABE ends a session when its epoch ends, as on Polkadot, so session `i` is BABE epoch `i` (the
    /// mapping BABE's equivocation check relies on).
    type ShouldEndSession = Babe;
    type NextSessionRotation = Babe;
    /// GPoS elects the validators every era by effective stake; each new set's root is kept so BABE and
    /// GRANDPA equivocations can be proven against it.
    type SessionManager = pallet_session::historical::NoteHistoricalRoot<Runtime, crate::Gpos>;
    type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
    type Keys = SessionKeys;
    type DisablingStrategy = ();
    type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
    type Currency = Balances;
    /// Registering keys costs nothing beyond the fee; validators are vetted by stake, not by this deposit.
    type KeyDeposit = ConstU128<0>;
}

parameter_types! {
    /// GRANDPA set ids remembered per session, and how long equivocation reports stay valid: a week.
    pub const EquivocationHistory: u64 = 7 * 24 * 6;
    /// Equivocation reports live in the pool for as long as their session can still be proven.
    pub const ReportLongevity: u64 = EquivocationHistory::get() * EpochDuration::get();
}

impl pallet_babe::Config for Runtime {
    /// Fixed for the life of the chain: see [`EPOCH_DURATION_IN_SLOTS`].
    type EpochDuration = EpochDuration;
    type ExpectedBlockTime = ExpectedBlockTime;
    /// `pallet-session` enacts epoch changes (it asks BABE when a session should end).
    type EpochChangeTrigger = pallet_babe::ExternalTrigger;
    /// Validators disabled in the current session may not author.
    type DisabledValidators = Session;
    type WeightInfo = ();
    type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
    /// Guarantors behind a keeper bound the cost of processing its equivocation.
    type MaxNominators = ConstU32<256>;
    type KeyOwnerProof = sp_session::MembershipProof;
    /// Two blocks in one slot by one author are reported (unsigned, by the block author who sees them) to
    /// `pallet-offences`, which hands them to GPoS to chill and slash.
    type EquivocationReportSystem =
        pallet_babe::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}

impl pallet_grandpa::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type WeightInfo = ();
    type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
    /// Guarantors behind a keeper bound the cost of processing its equivocation.
    type MaxNominators = ConstU32<256>;
    type MaxSetIdSessionEntries = EquivocationHistory;
    type KeyOwnerProof = sp_session::MembershipProof;
    type EquivocationReportSystem =
        pallet_grandpa::EquivocationReportSystem<Self, Offences, Historical, ReportLongevity>;
}

impl pallet_authorship::Config for Runtime {
    type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
    type EventHandler = ();
}

/// Validators carry no identification beyond their account: GPoS slashes by account.
pub struct ValidatorIdentity;

impl sp_runtime::traits::Convert<AccountId, Option<()>> for ValidatorIdentity {
    fn convert(_: AccountId) -> Option<()> {
        Some(())
    }
}

impl pallet_session::historical::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type FullIdentification = ();
    type FullIdentificationOf = ValidatorIdentity;
}

impl pallet_offences::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type IdentificationTuple = pallet_session::historical::IdentificationTuple<Self>;
    /// GPoS chills and (after the deferral) slashes equivocating validators.
    type OnOffenceHandler = crate::Gpos;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
    RuntimeCall: From<C>,
{
    type Extrinsic = crate::UncheckedExtrinsic;
    type RuntimeCall = RuntimeCall;
}

/// Unsigned transactions the runtime creates itself: BABE and GRANDPA equivocation reports.
impl<C> frame_system::offchain::CreateBare<C> for Runtime
where
    RuntimeCall: From<C>,
{
    fn create_bare(call: RuntimeCall) -> crate::UncheckedExtrinsic {
        crate::UncheckedExtrinsic::new_bare(call)
    }
}

impl pallet_utility::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type PalletsOrigin = super::OriginCaller;
    type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
    type RuntimeEvent = RuntimeEvent;
    type RuntimeCall = RuntimeCall;
    type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}
