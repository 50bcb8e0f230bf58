//! Weights of what the runtime takes from polkadot-sdk, measured on the reference machine's release node by
//! `scripts/bench/weights runtime` rather than taken from polkadot-sdk's defaults: those were measured on other
//! hardware, and the transaction extensions' defaults charge RocksDB's database costs although this chain runs
//! ParityDB, which made the extensions alone cost more than most GPoW calls. The EnReach pallets keep their own
//! `weights.rs`.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system_extensions;
pub mod pallet_transaction_payment;

pub use block_weights::BlockExecutionWeight;
pub use extrinsic_weights::ExtrinsicBaseWeight;

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};
use frame_system::ExtensionsWeightInfo;

/// The transaction extensions' weights as measured, plus the read a mortal transaction's birth block hash costs:
/// the benchmark reads it from a warm cache, but transactions born at many different blocks read as many
/// different hashes from the database.
pub struct ExtensionWeights<T>(PhantomData<T>);

impl<T: frame_system::Config> ExtensionsWeightInfo for ExtensionWeights<T> {
    fn check_genesis() -> Weight {
        Measured::<T>::check_genesis()
    }
    fn check_mortality_mortal_transaction() -> Weight {
        Measured::<T>::check_mortality_mortal_transaction()
            .saturating_add(T::DbWeight::get().reads(1))
    }
    fn check_mortality_immortal_transaction() -> Weight {
        Measured::<T>::check_mortality_immortal_transaction()
    }
    fn check_non_zero_sender() -> Weight {
        Measured::<T>::check_non_zero_sender()
    }
    fn check_nonce() -> Weight {
        Measured::<T>::check_nonce()
    }
    fn check_spec_version() -> Weight {
        Measured::<T>::check_spec_version()
    }
    fn check_tx_version() -> Weight {
        Measured::<T>::check_tx_version()
    }
    fn check_weight() -> Weight {
        Measured::<T>::check_weight()
    }
    fn weight_reclaim() -> Weight {
        Measured::<T>::weight_reclaim()
    }
}

type Measured<T> = frame_system_extensions::WeightInfo<T>;
