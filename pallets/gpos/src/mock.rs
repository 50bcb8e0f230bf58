//! A test runtime: System, Balances, the node registry, Session and GPoS, with a settable work oracle and
//! sessions of 5 blocks, 2 sessions per era.

use crate::{self as pallet_gpos, EraIndex, WithSessionKeys, WorkOracle};
use enreach_primitives::EpochIndex;
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64, Hooks},
};
use frame_system::EnsureRoot;
use sp_runtime::{
    testing::UintAuthorityId,
    traits::{ConvertInto, OpaqueKeys},
    BuildStorage, KeyTypeId, Perbill,
};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        EdgeNodes: pallet_edge_nodes,
        Session: pallet_session,
        Gpos: pallet_gpos,
    }
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
    type Block = Block;
    type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
    type AccountStore = System;
    type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_edge_nodes::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RegistrationDeposit = ConstU64<100>;
    type UnbondingPeriod = ConstU64<10>;
    type MaxNodes = ConstU32<100>;
    type MaxNodesPerOperator = ConstU32<10>;
    type MaxEndpoints = ConstU32<2>;
    type MaxEndpointLen = ConstU32<64>;
    type MaxPinsPerNode = ConstU32<4>;
    type StatusOrigin = EnsureRoot<u64>;
    type OnChange = ();
    type WeightInfo = pallet_edge_nodes::weights::SubstrateWeight<Test>;
}

/// Session keys of the tests: one dummy key.
pub struct TestSessionHandler;
impl pallet_session::SessionHandler<u64> for TestSessionHandler {
    const KEY_TYPE_IDS: &'static [KeyTypeId] = &[sp_runtime::key_types::DUMMY];
    fn on_genesis_session<K: OpaqueKeys>(_: &[(u64, K)]) {}
    fn on_new_session<K: OpaqueKeys>(_: bool, _: &[(u64, K)], _: &[(u64, K)]) {}
    fn on_disabled(_: u32) {}
}

impl pallet_session::Config for Test {
    type RuntimeEvent = RuntimeEvent;
    type ValidatorId = u64;
    type ValidatorIdOf = ConvertInto;
    type ShouldEndSession = pallet_session::PeriodicSessions<ConstU64<5>, ConstU64<0>>;
    type NextSessionRotation = pallet_session::PeriodicSessions<ConstU64<5>, ConstU64<0>>;
    type SessionManager = Gpos;
    type SessionHandler = TestSessionHandler;
    type Keys = UintAuthorityId;
    type DisablingStrategy = ();
    type WeightInfo = ();
    type Currency = Balances;
    type KeyDeposit = ConstU64<0>;
}

parameter_types! {
    /// Oversight per keeper in the last scored epoch, which is epoch 0 once any is set.
    pub static Oversight: BTreeMap<u64, u64> = BTreeMap::new();
    /// Deviations per keeper in the last scored epoch.
    pub static Deviations: BTreeMap<u64, u32> = BTreeMap::new();
    /// The last scored epoch.
    pub static ScoredEpoch: Option<EpochIndex> = None;
    pub static BaseStakeLimit: u64 = 1_000;
    pub static SlashDeferDuration: EraIndex = 2;
    pub const Treasury: u64 = 999;
}

/// Work from [`Oversight`] and [`Deviations`].
pub struct TestWork;
impl WorkOracle<u64> for TestWork {
    fn last_scored_epoch() -> Option<EpochIndex> {
        ScoredEpoch::get()
    }
    fn oversight(_: EpochIndex, keeper: &u64) -> u64 {
        Oversight::get().get(keeper).copied().unwrap_or(0)
    }
    fn deviations(_: EpochIndex, keeper: &u64) -> u32 {
        Deviations::get().get(keeper).copied().unwrap_or(0)
    }
}

impl pallet_gpos::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Work = TestWork;
    type Registry = EdgeNodes;
    type HasSessionKeys = WithSessionKeys<Test>;
    type SessionValidators = Session;
    type SlashBeneficiary = Treasury;
    type SlashCancelOrigin = EnsureRoot<u64>;
    type SessionsPerEra = ConstU32<2>;
    type BondingDuration = ConstU32<2>;
    type SlashDeferDuration = SlashDeferDuration;
    type MinBond = ConstU64<10>;
    type MinGuarantee = ConstU64<5>;
    type BaseStakeLimit = BaseStakeLimit;
    type StakePerWorkScore = ConstU64<10>;
    type MissedChallengeSlash = MissedChallengeSlash;
    type DeviationSlash = DeviationSlash;
    type DeviationsBeforeSlash = ConstU32<2>;
    type MinValidators = ConstU32<2>;
    type MaxValidators = ConstU32<2>;
    type MaxCandidates = ConstU32<4>;
    type MaxGuarantorsPerKeeper = ConstU32<3>;
    type ExposurePageSize = ConstU32<2>;
    type MaxUnlockingChunks = ConstU32<2>;
    type MaxSlashesPerEra = ConstU32<4>;
    type HistoryDepth = ConstU32<3>;
    type WeightInfo = crate::weights::SubstrateWeight<Test>;
}

parameter_types! {
    pub const MissedChallengeSlash: Perbill = Perbill::from_percent(50);
    pub const DeviationSlash: Perbill = Perbill::from_percent(10);
}

/// Accounts 1..=9 have 10 000 each; keepers 1 and 2 bonded 100 at genesis with session keys, validating.
pub fn new_test_ext() -> sp_io::TestExternalities {
    test_ext(Vec::new(), None)
}

/// [`new_test_ext`] with genesis `guarantees` (guarantor, keeper, amount) and, if given, sessions per era.
pub fn test_ext(
    guarantees: Vec<(u64, u64, u64)>,
    sessions_per_era: Option<u32>,
) -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: (1..=9)
            .chain([Treasury::get()])
            .map(|a| (a, 10_000))
            .collect(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_session::GenesisConfig::<Test> {
        keys: [1u64, 2]
            .into_iter()
            .map(|a| (a, a, UintAuthorityId(a)))
            .collect(),
        non_authority_keys: vec![],
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_gpos::GenesisConfig::<Test> {
        keepers: [1u64, 2]
            .into_iter()
            .map(|a| (a, 100, Perbill::from_percent(10), crate::tests::region()))
            .collect(),
        guarantees,
        sessions_per_era,
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    Oversight::take();
    Deviations::take();
    ScoredEpoch::set(None);
    BaseStakeLimit::set(1_000);
    SlashDeferDuration::set(2);
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| run_to(1));
    ext
}

/// Produces blocks up to `n`; sessions rotate every 5 blocks.
pub fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        System::reset_events();
        Session::on_initialize(next);
    }
}

/// Runs until era `era` has started.
pub fn run_to_era(era: EraIndex) {
    while crate::CurrentEra::<Test>::get() < era {
        run_to(System::block_number() + 1);
    }
}
