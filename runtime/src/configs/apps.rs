//! The service layer: PeerHVM apps, deployed from content published in settlement, with governed deposit and
//! per-request ceilings.

use enreach_primitives::{ContentId, EpochIndex};
use frame_support::traits::{ConstU32, Get};

use super::governance::dynamic_params;
use crate::{AccountId, Runtime, RuntimeHoldReason};

/// Settlement's published contents as app code: an app runs code its owner published and is still paying
/// to store, never content that is being unpublished (nodes would stop holding the code it names).
pub struct PublishedCode;

impl pallet_apps::CodeOwner<AccountId> for PublishedCode {
    fn owner(code: &ContentId) -> Option<AccountId> {
        pallet_settlement::Contents::<Runtime>::get(code)
            .filter(|content| content.until.is_none())
            .map(|content| content.owner)
    }

    #[cfg(feature = "runtime-benchmarks")]
    fn publish_for_benchmark(code: &ContentId, owner: &AccountId) {
        pallet_settlement::Contents::<Runtime>::insert(
            code,
            pallet_settlement::ContentInfo {
                owner: owner.clone(),
                size: 1 << 20,
                replicas: 1,
                max_price: 0,
                origin: None,
                until: None,
            },
        );
    }
}

/// GPoW's epoch in progress (0 before GPoW starts): when an app stops running a code, receipts of this epoch
/// still bill it.
pub struct GpowEpoch;

impl Get<EpochIndex> for GpowEpoch {
    fn get() -> EpochIndex {
        pallet_gpow::CurrentEpoch::<Runtime>::get().map_or(0, |epoch| epoch.index)
    }
}

impl pallet_apps::Config for Runtime {
    type Currency = crate::Balances;
    type RuntimeHoldReason = RuntimeHoldReason;
    type Code = PublishedCode;
    type AppDeposit = dynamic_params::apps::AppDeposit;
    /// As many apps as edge nodes the registry holds; at 10 ENR each, filling it costs a million ENR.
    type MaxApps = ConstU32<100_000>;
    /// A dApp's frontend, API and a few variants; more accounts for more.
    type MaxAppsPerAccount = ConstU32<64>;
    type MaxMemoryMib = dynamic_params::apps::MaxMemoryMib;
    type MaxComputeUnits = dynamic_params::apps::MaxComputeUnits;
    type MaxWallMs = dynamic_params::apps::MaxWallMs;
    /// Enough countries to restrict an app to a market; an app wanted wider runs everywhere (no regions).
    type MaxRegions = ConstU32<16>;
    /// An app's own backends and a few APIs; each is 256 bytes at most in every app record.
    type MaxOrigins = ConstU32<8>;
    type CurrentEpoch = GpowEpoch;
    /// A page of stale code records checked per block with idle weight left.
    type MaxCodeSweep = ConstU32<64>;
    type WeightInfo = pallet_apps::weights::SubstrateWeight<Runtime>;
}
