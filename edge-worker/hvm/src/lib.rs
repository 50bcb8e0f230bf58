//! PeerHVM: the runtime of EnReach's edge applications.
//!
//! A dApp's application is a WebAssembly component of the `wasi:http/proxy` world, so that any language that
//! targets WASI 0.2 works unmodified. The node compiles it once ([`cache`]) and runs every request in a fresh
//! instance from a pooling allocator ([`engine`]), in a sandbox ([`sandbox`]) where everything the app can
//! observe follows from the request: that is what lets a keeper replay a sampled request and check both the
//! answer and the compute units ([`Execution::compute_units`]) the node billed for it.
//!
//! This crate knows nothing of the chain, receipts or the gateway's routes: it takes code and a request and
//! gives back a response and its cost.

pub mod cache;
pub mod engine;
pub mod examples;
pub mod invoke;
pub mod limits;
pub mod sandbox;

pub use cache::CodeId;
pub use invoke::{Execution, Hvm, Invocation, Outcome};
pub use limits::{AppLimits, NodeCaps};

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
    #[error("{0}")]
    Io(String),
}
