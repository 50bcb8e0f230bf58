//! The EnReach node as a library: the binary's CLI and service, plus the transaction-signing helper that
//! benchmarks and integration tests share.

pub mod benchmarking;
pub mod chain_spec;
pub mod cli;
pub mod command;
pub mod rpc;
pub mod service;
pub mod transaction;
