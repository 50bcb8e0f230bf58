//! The EnReach node as a library: the binary's CLI and service, plus the transaction-signing helper that
//! benchmarks and integration tests share.

// sc-cli, sc-service and jsonrpsee return large error types by design; boxing them at every call would obscure
// the code for no gain outside hot paths.
#![allow(clippy::result_large_err)]
#![warn(missing_docs)]

pub mod benchmarking;
pub mod chain_spec;
pub mod cli;
pub mod command;
pub mod rpc;
pub mod service;
pub mod transaction;
