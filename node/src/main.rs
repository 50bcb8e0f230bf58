//! `enreach-node`: the EnReach appchain's full node and validator.

// `sc_cli::Error` is large by design; it is returned once, at exit.
#![allow(clippy::result_large_err)]

fn main() -> sc_cli::Result<()> {
    enreach_node::command::run()
}
