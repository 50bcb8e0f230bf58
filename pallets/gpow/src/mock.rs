//! A test runtime: System, Balances, the node registry and GPoW, with a settable list of authorized clients and
//! keepers, and an offence handler that records offences and jails the node.

use crate::{
    self as pallet_gpow, AppCatalog, ClientAuthority, ContentCatalog, GpowParams, KeeperCandidate,
    KeeperSet, WorkOffence, WorkOffenceHandler,
};
use enreach_primitives::{ClientKey, ContentId, EpochIndex, NodeId};
use frame_support::{
    derive_impl, parameter_types,
    traits::{ConstU32, Hooks},
};
use frame_system::EnsureRoot;
use pallet_edge_nodes::NodeRegistry;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
    pub enum Test {
        System: frame_system,
        Balances: pallet_balances,
        EdgeNodes: pallet_edge_nodes,
        Gpow: pallet_gpow,
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

parameter_types! {
    pub const RegistrationDeposit: u64 = 100;
    pub const UnbondingPeriod: u64 = 10;
    pub static Keepers: Vec<KeeperCandidate<u64>> = vec![];
    pub static Offences: Vec<(NodeId, u64, EpochIndex, WorkOffence)> = vec![];
    pub static Clients: std::collections::BTreeMap<ClientKey, u64> = Default::default();
    pub static Published: std::collections::BTreeMap<ContentId, u64> = Default::default();
    pub static AppCodes: std::collections::BTreeSet<ContentId> = Default::default();
}

impl pallet_edge_nodes::Config for Test {
    type Currency = Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type RegistrationDeposit = RegistrationDeposit;
    type UnbondingPeriod = UnbondingPeriod;
    type MaxNodes = ConstU32<100>;
    type MaxNodesPerOperator = ConstU32<10>;
    type MaxEndpoints = ConstU32<2>;
    type MaxEndpointLen = ConstU32<64>;
    type MaxPinsPerNode = ConstU32<4>;
    type StatusOrigin = EnsureRoot<u64>;
    type OnChange = Gpow;
    type WeightInfo = pallet_edge_nodes::weights::SubstrateWeight<Test>;
}

/// Records offences in [`Offences`] and jails the node.
pub struct RecordAndJail;
impl WorkOffenceHandler<u64> for RecordAndJail {
    fn on_offence(node: &NodeId, operator: &u64, epoch: EpochIndex, offence: WorkOffence) {
        Offences::mutate(|o| o.push((*node, *operator, epoch, offence)));
        EdgeNodes::jail(node);
    }
}

/// dApps pay for the clients in [`Clients`].
pub struct TestClients;
impl ClientAuthority<u64> for TestClients {
    fn payer(client: &ClientKey, _epoch: EpochIndex) -> Option<u64> {
        Clients::get().get(client).copied()
    }
    #[cfg(feature = "runtime-benchmarks")]
    fn authorize_for_benchmark(client: &ClientKey, payer: &u64) {
        Clients::mutate(|clients| clients.insert(*client, *payer));
    }
}

/// Contents in [`Published`] are paid for at their size in every epoch.
pub struct TestContents;
impl ContentCatalog for TestContents {
    fn published_size(content: &ContentId, _epoch: EpochIndex) -> Option<u64> {
        Published::get().get(content).copied()
    }
    #[cfg(feature = "runtime-benchmarks")]
    fn publish_for_benchmark(content: &ContentId, size: u64) {
        Published::mutate(|published| published.insert(*content, size));
    }
}

/// Apps run the codes in [`AppCodes`], in every epoch.
pub struct TestApps;
impl AppCatalog for TestApps {
    fn runs_code(code: &ContentId, _epoch: EpochIndex) -> bool {
        AppCodes::get().contains(code)
    }
    #[cfg(feature = "runtime-benchmarks")]
    fn deploy_for_benchmark(code: &ContentId) {
        AppCodes::mutate(|codes| codes.insert(*code));
    }
}

/// Keepers from [`Keepers`].
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

impl pallet_gpow::Config for Test {
    type Registry = EdgeNodes;
    type ClientAuthority = TestClients;
    type Contents = TestContents;
    type Apps = TestApps;
    type OffenceHandler = RecordAndJail;
    type Accounting = ();
    type Keepers = TestKeepers;
    type ParamsOrigin = EnsureRoot<u64>;
    type MaxSampleSize = ConstU32<32>;
    type MaxKeepersPerNode = ConstU32<8>;
    type MaxKeepers = ConstU32<64>;
    type MaxObservationsPerCall = ConstU32<8>;
    type MaxReportsPerBlock = ConstU32<2>;
    type MaxExpiriesPerBlock = ConstU32<1>;
    type HistoryDepth = ConstU32<3>;
    type MaxPrunePerBlock = ConstU32<1>;
    type MaxStorageSamples = ConstU32<8>;
    type MaxReplicas = ConstU32<2>;
    type SeedHistory = ConstU32<32>;
    type Randomness = crate::testing::BlockNumberRandomness<Test>;
    type WeightInfo = crate::weights::SubstrateWeight<Test>;
}

/// Parameters of the tests: 10-block epochs, reports in the first 5 blocks of the next epoch, challenge
/// seeded by the next block, 3 blocks to answer, 4 samples, 2 keepers per node, 3 chunks per pin.
pub fn test_params() -> GpowParams<u64> {
    GpowParams {
        epoch_length: 10,
        submission_window: 5,
        challenge_delay: 1,
        answer_window: 3,
        sample_size: 4,
        compute_sample_size: 3,
        keepers_per_node: 2,
        keeper_tolerance_percent: 20,
        max_bandwidth_mbps: 10_000,
        storage_samples: 3,
        audit_percent: 100,
        light_sample_size: 1,
    }
}

/// Accounts 1..=5 are funded; GPoW is configured with [`test_params`] unless `configured` is false.
pub fn new_test_ext_with(configured: bool) -> sp_io::TestExternalities {
    let mut storage = frame_system::GenesisConfig::<Test>::default()
        .build_storage()
        .unwrap();
    pallet_balances::GenesisConfig::<Test> {
        balances: (1..=5).map(|a| (a, 10_000)).collect(),
        ..Default::default()
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    pallet_gpow::GenesisConfig::<Test> {
        params: configured.then(test_params),
    }
    .assimilate_storage(&mut storage)
    .unwrap();
    Keepers::take();
    Offences::take();
    Clients::take();
    Published::take();
    AppCodes::take();
    let mut ext = sp_io::TestExternalities::new(storage);
    ext.execute_with(|| run_to(1));
    ext
}

/// [`new_test_ext_with`] configured.
pub fn new_test_ext() -> sp_io::TestExternalities {
    new_test_ext_with(true)
}

/// Produces blocks up to `n`, each with real parent hashes.
pub fn run_to(n: u64) {
    while System::block_number() < n {
        let next = System::block_number() + 1;
        let parent = if System::block_number() == 0 {
            System::parent_hash()
        } else {
            System::finalize().hash()
        };
        System::reset_events();
        System::initialize(&next, &parent, &Default::default());
        Gpow::on_initialize(next);
    }
}

/// [`new_test_ext`] with a keystore, for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
    let mut ext = new_test_ext();
    ext.register_extension(sp_keystore::KeystoreExt::new(
        sp_keystore::testing::MemoryKeystore::new(),
    ));
    ext
}
