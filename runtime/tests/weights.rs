//! What the runtime's weights promise its users: a keeper's fullest batch of observations, as `edge-worker` packs
//! them (`enreach_edge_chain::observations`: 512 observations at up to 5 keepers per node, proportionally fewer
//! with more, at most 32 reporting a failed replay), is charged less than one normal transaction may weigh for
//! every number of keepers per node the runtime allows, so no batch is refused for good as too heavy.

use enreach_primitives::{KeeperObservation, NodeId};
use enreach_runtime::{
    configs::RuntimeBlockWeights, genesis_config_presets::dev_gpow_params,
    weights::ExtensionWeights, Runtime,
};
use frame_support::{dispatch::DispatchClass, traits::Get, weights::Weight};
use frame_system::ExtensionsWeightInfo;
use pallet_transaction_payment::WeightInfo as _;

/// What every signed transaction's extensions are charged besides its call.
fn extensions() -> Weight {
    type E = ExtensionWeights<Runtime>;
    E::check_genesis()
        + E::check_mortality_mortal_transaction()
        + E::check_non_zero_sender()
        + E::check_nonce()
        + E::check_spec_version()
        + E::check_tx_version()
        + E::check_weight()
        + E::weight_reclaim()
        + enreach_runtime::weights::pallet_transaction_payment::WeightInfo::<Runtime>::charge_transaction_payment()
}

/// `edge-worker`'s `OBSERVATIONS_PER_TRANSACTION`, `KEEPERS_AT_FULL_BATCH` and `FAILED_REPLAYS_PER_TRANSACTION`.
const BATCH: u32 = 512;
const KEEPERS_AT_FULL_BATCH: u32 = 5;
const FAILED_REPLAYS: u32 = 32;

fn observation(i: u32, failed: bool) -> KeeperObservation {
    let mut node = [0u8; 32];
    node[..4].copy_from_slice(&i.to_le_bytes());
    KeeperObservation {
        node: NodeId(node),
        epoch: 1,
        probes_answered: 12,
        probes_sent: 12,
        median_rtt_ms: 20,
        storage_passed: 2,
        storage_sent: 2,
        bandwidth_mbps: 800,
        replays_sent: u16::from(failed),
        replays_failed: u16::from(failed),
    }
}

#[test]
fn a_keepers_fullest_batch_fits_one_transaction_for_every_keepers_per_node() {
    assert_eq!(
        <<Runtime as pallet_gpow::Config>::MaxObservationsPerCall as Get<u32>>::get(),
        BATCH,
        "the keeper's full batch is the call's limit"
    );
    let normal = RuntimeBlockWeights::get()
        .get(DispatchClass::Normal)
        .clone();
    let max = normal
        .max_extrinsic
        .expect("normal transactions are bounded");
    let most_keepers: u32 =
        <<Runtime as pallet_gpow::Config>::MaxKeepersPerNode as Get<u32>>::get();
    sp_io::TestExternalities::default().execute_with(|| {
        for keepers_per_node in 1..=most_keepers {
            pallet_gpow::Params::<Runtime>::put(pallet_gpow::GpowParams {
                keepers_per_node,
                ..dev_gpow_params()
            });
            let size = BATCH * KEEPERS_AT_FULL_BATCH / keepers_per_node.max(KEEPERS_AT_FULL_BATCH);
            let batch: Vec<_> = (0..size)
                .map(|i| observation(i, i < FAILED_REPLAYS))
                .collect();
            let charged = pallet_gpow::Pallet::<Runtime>::observations_weight(&batch)
                + normal.base_extrinsic
                + extensions();
            assert!(
                charged.all_lte(max),
                "K = {keepers_per_node}: a batch of {size} is charged {charged:?}, more than a transaction \
                 may weigh ({max:?})"
            );
        }
        // The bounds matter: without them, failed replays or full batches at the most keepers would not fit.
        let failing: Vec<_> = (0..BATCH).map(|i| observation(i, true)).collect();
        assert!(
            !pallet_gpow::Pallet::<Runtime>::observations_weight(&failing).all_lte(max),
            "a batch of failed replays only would fit as well: the failed-replay bound is not needed"
        );
        let full: Vec<_> = (0..BATCH).map(|i| observation(i, false)).collect();
        assert!(
            !pallet_gpow::Pallet::<Runtime>::observations_weight(&full).all_lte(max),
            "a full batch at {most_keepers} keepers per node fits as well: batches need not shrink"
        );
    });
}
