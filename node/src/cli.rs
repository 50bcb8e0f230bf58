//! Command-line interface: the node itself plus Substrate's maintenance subcommands.

use sc_cli::RunCmd;

/// `enreach-node [SUBCOMMAND] [RUN OPTIONS]`; without a subcommand it runs the node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
    /// A maintenance task instead of running the node.
    #[command(subcommand)]
    pub subcommand: Option<Subcommand>,

    /// Options for running the node.
    #[clap(flatten)]
    pub run: RunCmd,
}

/// Maintenance subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
    /// Key management: generate, inspect, insert session keys, derive node identities.
    #[command(subcommand)]
    Key(sc_cli::KeySubcommand),

    /// Build a chain specification (deprecated upstream in favour of `export-chain-spec`).
    BuildSpec(sc_cli::BuildSpecCmd),

    /// Export the chain specification of `--chain` as JSON.
    ExportChainSpec(sc_cli::ExportChainSpecCmd),

    /// Validate blocks.
    CheckBlock(sc_cli::CheckBlockCmd),

    /// Export blocks.
    ExportBlocks(sc_cli::ExportBlocksCmd),

    /// Export the state of a given block into a chain spec.
    ExportState(sc_cli::ExportStateCmd),

    /// Import blocks.
    ImportBlocks(sc_cli::ImportBlocksCmd),

    /// Remove the whole chain.
    PurgeChain(sc_cli::PurgeChainCmd),

    /// Revert the chain to a previous state.
    Revert(sc_cli::RevertCmd),

    /// Benchmarks: pallets (needs the `runtime-benchmarks` feature), storage, overhead, blocks, machine.
    #[command(subcommand)]
    Benchmark(frame_benchmarking_cli::BenchmarkCmd),

    /// Database meta columns information.
    ChainInfo(sc_cli::ChainInfoCmd),
}
