//! What gateways, dApp tooling and explorers ask the chain about PeerHVM apps.

use alloc::vec::Vec;
use codec::Codec;
use enreach_primitives::{AppLimits, AppName};

sp_api::decl_runtime_apis! {
    /// App registry queries. `AppInfo` is the pallet's stored record (`AppInfoOf<Runtime>`): nodes decode
    /// exactly what the chain checked.
    pub trait AppsApi<AccountId, AppInfo> where AccountId: Codec, AppInfo: Codec {
        /// The app registered as `name`, if any: its code, limits, price, regions and origins.
        fn app(name: AppName) -> Option<AppInfo>;
        /// The names of `owner`'s apps.
        fn apps_of(owner: AccountId) -> Vec<AppName>;
        /// The ceilings a deployment's limits must stay within.
        fn max_limits() -> AppLimits;
    }
}
