//! A test runtime: System, Balances, the node registry, GPoW and settlement, with governed prices as settable
//! statics, settable keepers and app codes, and a recording stand-in for GPoS.

use crate::{self as pallet_settlement, EmissionSchedule};
use enreach_primitives::{ContentId, EpochIndex, NodeId};
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, ConstU64, Hooks},
    PalletId,
};
use frame_system::EnsureRoot;
use pallet_gpos::{EraIndex, StakingRewards};
use pallet_gpow::{
    AppCatalog, GpowParams, KeeperCandidate, KeeperSet, WorkOffence, WorkOffenceHandler,
};
use sp_runtime::{BuildStorage, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        EdgeNodes: pallet_edge_nodes,
        Gpow: pallet_gpow,
        Settlement: pallet_settlement,
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
    type MaxPinsPerNode = ConstU32<64>;
    type StatusOrigin = EnsureRoot<u64>;
    type OnChange = Gpow;
    type WeightInfo = pallet_edge_nodes::weights::SubstrateWeight<Test>;
}

parameter_types! {
    pub static Keepers: Vec<KeeperCandidate<u64>> = vec![];
    pub static Offences: Vec<(NodeId, EpochIndex, WorkOffence)> = vec![];
    pub static AppCodes: Vec<ContentId> = vec![];
}

/// The keepers in [`Keepers`] (none unless a test sets them); offences are recorded in [`Offences`].
pub struct TestKeepers;
impl KeeperSet<u64> for TestKeepers {
    fn keepers() -> Vec<KeeperCandidate<u64>> {
        Keepers::get()
    }
    #[cfg(feature = "runtime-benchmarks")]
    fn set_for_benchmark(keepers: Vec<KeeperCandidate<u64>>) {
        Keepers::set(keepers)
    }
}
impl WorkOffenceHandler<u64> for TestKeepers {
    fn on_offence(node: &NodeId, _: &u64, epoch: EpochIndex, offence: WorkOffence) {
        Offences::mutate(|o| o.push((*node, epoch, offence)));
    }
}

/// Apps run the codes in [`AppCodes`], in every epoch.
pub struct TestApps;
impl AppCatalog for TestApps {
    fn runs_code(code: &ContentId, _: EpochIndex) -> bool {
        AppCodes::get().contains(code)
    }
    #[cfg(feature = "runtime-benchmarks")]
    fn deploy_for_benchmark(code: &ContentId) {
        AppCodes::mutate(|codes| codes.push(*code));
    }
}

impl pallet_gpow::Config for Test {
    type Registry = EdgeNodes;
    type ClientAuthority = Settlement;
    type Contents = Settlement;
    type Apps = TestApps;
    type OffenceHandler = TestKeepers;
    type Accounting = Settlement;
    type Keepers = TestKeepers;
    type ParamsOrigin = EnsureRoot<u64>;
    type MaxSampleSize = ConstU32<8>;
    type MaxKeepersPerNode = ConstU32<4>;
    type MaxKeepers = ConstU32<16>;
    type MaxObservationsPerCall = ConstU32<8>;
    type MaxReportsPerBlock = ConstU32<8>;
    type MaxExpiriesPerBlock = ConstU32<8>;
    type HistoryDepth = ConstU32<4>;
    type MaxPrunePerBlock = ConstU32<100>;
    type MaxStorageSamples = ConstU32<4>;
    type MaxReplicas = ConstU32<3>;
    type SeedHistory = ConstU32<16>;
    type Randomness = pallet_gpow::testing::BlockNumberRandomness<Test>;
    type WeightInfo = pallet_gpow::weights::SubstrateWeight<Test>;
}

parameter_types! {
    pub static DeliveryPrice: u64 = 1_000;
    pub static StoragePrice: u64 = 100;
    pub static ComputePrice: u64 = 500;
    pub static ProtocolFee: Perbill = Perbill::from_percent(10);
    pub static Emission: EmissionSchedule<u64> = EmissionSchedule {
        per_epoch: 0,
        taper_per_era: Perbill::from_percent(50),
        floor: 0,
    };
    pub static Era: EraIndex = 0;
    pub static KeeperPot: u64 = 0;
    pub static MaxSettlePerBlock: u32 = 100;
    pub const SettlementPalletId: PalletId = PalletId(*b"enr/setl");
    pub const Treasury: u64 = 999;
}

/// Records keeper rewards in [`KeeperPot`]; the era is [`Era`].
pub struct TestStaking;
impl StakingRewards<u64> for TestStaking {
    fn current_era() -> EraIndex {
        Era::get()
    }
    fn reward_keepers(amount: u64) {
        KeeperPot::mutate(|pot| *pot += amount);
    }
}

impl pallet_settlement::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type PalletId = SettlementPalletId;
    type Treasury = Treasury;
    type Staking = TestStaking;
    type DeliveryPrice = DeliveryPrice;
    type StoragePrice = StoragePrice;
    type ComputePrice = ComputePrice;
    type ProtocolFee = ProtocolFee;
    type AccountDeposit = ConstU64<50>;
    type WithdrawDelay = ConstU64<5>;
    type Emission = Emission;
    type KeeperShare = KeeperShare;
    type MaxClientsPerAccount = ConstU32<2>;
    type MaxContentsPerAccount = ConstU32<2>;
    type MaxCollectionFiles = ConstU32<1>;
    type MaxSettlePerBlock = MaxSettlePerBlock;
    type UsageHistory = ConstU32<3>;
    type WeightInfo = crate::weights::SubstrateWeight<Test>;
}

parameter_types! {
    pub const KeeperShare: Perbill = Perbill::from_percent(20);
}

/// 10-block epochs; challenges of an epoch are over 9 blocks into the next.
pub fn gpow_params() -> GpowParams<u64> {
    GpowParams {
        epoch_length: 10,
        submission_window: 5,
        challenge_delay: 1,
        answer_window: 3,
        sample_size: 2,
        compute_sample_size: 4,
        keepers_per_node: 1,
        keeper_tolerance_percent: 20,
        max_bandwidth_mbps: 10_000,
        storage_samples: 2,
        audit_percent: 100,
        light_sample_size: 1,
    }
}

/// Accounts 1..=9 and the treasury have 1 000 000 each; prices and emission at their defaults.
pub fn new_test_ext() -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: (1..=9)
            .chain([Treasury::get()])
            .map(|a| (a, 1_000_000))
            .collect(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_gpow::GenesisConfig::<Test> {
        params: Some(gpow_params()),
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    DeliveryPrice::set(1_000);
    StoragePrice::set(100);
    ComputePrice::set(500);
    Keepers::take();
    Offences::take();
    AppCodes::take();
    ProtocolFee::set(Perbill::from_percent(10));
    Emission::set(EmissionSchedule {
        per_epoch: 0,
        taper_per_era: Perbill::from_percent(50),
        floor: 0,
    });
    Era::set(0);
    KeeperPot::set(0);
    MaxSettlePerBlock::set(100);
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| run_to(1));
    ext
}

/// Produces blocks up to `n`.
pub fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        System::set_block_number(next);
        Gpow::on_initialize(next);
        Settlement::on_initialize(next);
    }
}

/// Runs until `epoch` has been settled.
pub fn settle(epoch: EpochIndex) {
    while crate::Settling::<Test>::get().epoch <= epoch {
        run_to(System::block_number() + 1);
    }
}
