//! What one request of an application may use, and the node's ceilings on what any application may ask for.

use std::time::Duration;

/// The limits of one request of an application, as its owner registered them (and the node caps them with
/// [`NodeCaps`]). Compute units are wasmtime fuel: one unit per WebAssembly operation, the same count on every
/// node and on every replay, which is why they, not CPU time, are what a dApp pays for and a receipt signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppLimits {
    /// Linear memory of the instance, in bytes.
    pub memory_bytes: u64,
    /// Compute units (fuel) one request may consume; a request that reaches it stops and is billed for it.
    pub compute_units: u64,
    /// Wall-clock time one request may take, waiting included: what stops an app that waits for ever.
    pub wall_time: Duration,
}

impl Default for AppLimits {
    /// 64 MiB, 2 000 million compute units (a second or two of work here) and 10 s.
    fn default() -> Self {
        Self {
            memory_bytes: 64 << 20,
            compute_units: 2_000_000_000,
            wall_time: Duration::from_secs(10),
        }
    }
}

/// The node's ceilings, whatever an application registered: an operator decides what its machine lends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeCaps {
    /// Largest linear memory of any instance; also the pooling allocator's slot size.
    pub memory_bytes: u64,
    /// Most compute units of one request.
    pub compute_units: u64,
    /// Longest wall-clock time of one request.
    pub wall_time: Duration,
    /// Instances alive at once (requests in flight across all apps): the pool's size.
    pub instances: u32,
    /// Instances one app (one code id) may have alive at once; `None`: a quarter of `instances`, at least
    /// one. Beyond it the app's requests are `Busy`, so that one dApp's clients (requests that wait cost
    /// little) cannot take every slot from the other apps of the node.
    pub app_instances: Option<u32>,
    /// Largest request body handed to an app; the whole body is read first, since its hash goes in the
    /// receipt and a replay feeds it again.
    pub request_body_bytes: usize,
    /// Largest response kept, headers and body; the whole body is collected, for the same reasons.
    pub response_body_bytes: usize,
    /// Largest code (component) the node fetches and compiles: code is read into memory, compiled, written to
    /// the cache directory and kept loaded, so its size is the node's to bound. The apps role checks the
    /// chain's size of an app's content against it before fetching ([`crate::Hvm::check_code_size`]).
    pub code_bytes: usize,
    /// Compiled apps kept ready in memory; past it, the least recently used is dropped (its compiled code
    /// stays on disk and is loaded again in milliseconds when called).
    pub loaded_apps: usize,
    /// Whether apps' outgoing requests may reach loopback and private addresses (never link-local, so never
    /// a cloud metadata service): for local test networks only, where origins run beside the node.
    pub allow_private_origins: bool,
}

impl Default for NodeCaps {
    fn default() -> Self {
        Self {
            memory_bytes: 256 << 20,
            compute_units: 20_000_000_000,
            wall_time: Duration::from_secs(30),
            instances: 64,
            app_instances: None,
            request_body_bytes: 4 << 20,
            response_body_bytes: 16 << 20,
            // Rust and JavaScript components are a few MiB; a CPython one (componentize-py) some tens.
            code_bytes: 48 << 20,
            loaded_apps: 64,
            allow_private_origins: false,
        }
    }
}

/// Share of the pool one app may hold when the operator sets none: four apps at their cap fill the node.
const DEFAULT_APP_SHARE: u32 = 4;

impl NodeCaps {
    /// Instances one app may have alive at once (see [`Self::app_instances`]).
    pub fn app_instance_cap(&self) -> u32 {
        self.app_instances
            .unwrap_or(self.instances / DEFAULT_APP_SHARE)
            .clamp(1, self.instances.max(1))
    }

    /// The limits a request actually runs with: the app's, lowered to the node's ceilings.
    pub fn apply(&self, app: AppLimits) -> AppLimits {
        AppLimits {
            memory_bytes: app.memory_bytes.min(self.memory_bytes),
            compute_units: app.compute_units.min(self.compute_units),
            wall_time: app.wall_time.min(self.wall_time),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_cannot_ask_for_more_than_the_node_lends() {
        let caps = NodeCaps::default();
        let greedy = AppLimits {
            memory_bytes: u64::MAX,
            compute_units: u64::MAX,
            wall_time: Duration::MAX,
        };
        let applied = caps.apply(greedy);
        assert_eq!(applied.memory_bytes, caps.memory_bytes);
        assert_eq!(applied.compute_units, caps.compute_units);
        assert_eq!(applied.wall_time, caps.wall_time);
        let modest = AppLimits::default();
        assert_eq!(caps.apply(modest), modest);
    }
}
