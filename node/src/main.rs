//! `enreach-node`: the EnReach appchain's full node and validator.

fn main() -> sc_cli::Result<()> {
    enreach_node::command::run()
}
