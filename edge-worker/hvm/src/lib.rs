//! PeerHVM: the runtime of EnReach's edge applications.
//!
//! A dApp's application is a WebAssembly component of the `wasi:http/proxy` world, so that any language that
//! targets WASI 0.2 works unmodified. The node compiles it once ([`cache`]) and runs every request in a fresh
//! instance from a pooling allocator ([`engine`]), in a sandbox ([`sandbox`]) where everything the app can
//! observe follows from the request: that is what lets a keeper replay a sampled request and check both the
//! answer and the compute units ([`Execution::compute_units`]) the node billed for it.
//!
//! Apps may also ask a model the node holds to continue a prompt ([`inference`], `wit/inference.wit`): the
//! model runs natively and its work is billed in the same compute units.
//!
//! This crate knows nothing of the chain, receipts or the gateway's routes: it takes code and a request and
//! gives back a response and its cost.

pub mod cache;
pub mod engine;
pub mod examples;
pub mod inference;
pub mod invoke;
pub mod limits;
pub mod sandbox;

pub use cache::CodeId;
pub use inference::{Held, Models};
pub use invoke::{Execution, Hvm, Invocation, Outcome};
pub use limits::{AppLimits, NodeCaps};

/// The runtime apps run on, as a node states it in its registered capabilities (major, minor, patch of the
/// wasmtime release this crate is built with): a keeper replays a request on the same release, since compute
/// units (fuel) are only guaranteed to match within one.
pub const RUNTIME_VERSION: [u16; 3] = [36, 0, 20];

/// Why PeerHVM could not run a request at all (an app that runs and fails is an [`Outcome`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum HvmError {
    #[error("the code does not hash to its content id")]
    CodeMismatch,
    #[error("not a runnable wasi:http component: {0}")]
    InvalidComponent(String),
    #[error("code of {size} bytes, over the node's limit of {limit} bytes")]
    CodeTooLarge { size: u64, limit: usize },
    #[error("the app is not loaded on this node")]
    NotLoaded,
    #[error("request body over the node's limit of {0} bytes")]
    RequestTooLarge(usize),
    #[error("every instance slot is busy")]
    Busy,
    /// The invocation is not an HTTP request (a method, path or header that does not parse): no node runs it.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Io(String),
}

#[cfg(test)]
mod version_tests {
    /// [`super::RUNTIME_VERSION`] names the wasmtime the workspace locks: an upgrade that forgets it would have
    /// nodes state a runtime they do not run.
    #[test]
    fn the_runtime_version_is_the_locked_wasmtime() {
        let lock = std::fs::read_to_string(super::examples::workspace_root().join("Cargo.lock"))
            .expect("the workspace lock file");
        let locked = lock
            .split("[[package]]")
            .find(|p| p.contains("\nname = \"wasmtime\"\n"))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .expect("wasmtime is locked")
            .trim_matches('"')
            .to_string();
        let ours = super::RUNTIME_VERSION.map(|n| n.to_string()).join(".");
        assert_eq!(ours, locked);
    }
}
