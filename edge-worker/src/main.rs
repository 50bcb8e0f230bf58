//! `edge-worker`: publish content, fetch it from every provider, and serve it over PeerDTS and HTTP. This file
//! parses the arguments and dispatches; each command is a module of `cmd/`.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand};
use enreach_dts::{metrics::Metrics, store::ContentStore};

mod cmd;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The EnReach PeerNode daemon.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where the node key and the content store live.
    #[arg(long, global = true, default_value = ".edge-worker")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Adds a file to the store and prints its content id; with `--serve`, then serves like `run`.
    Publish(cmd::publish::PublishArgs),
    /// Downloads content from every provider found, verified, resumable, into the store (and a file).
    Fetch(cmd::fetch::FetchArgs),
    /// Serves the store over PeerDTS and the HTTP gateway, announcing every blob.
    Run(cmd::run::NodeArgs),
    /// The node's keys: the node key (its libp2p identity and on-chain id) and the operator account key.
    Key(cmd::key::KeyArgs),
    /// What a dApp does on chain: open its account, publish content (with the origin gateways pull it from).
    Dapp(cmd::dapp::DappArgs),
    /// Edge applications (PeerHVM): deploy, upgrade and remove them (a dApp), call them (a client).
    App(cmd::app::AppArgs),
    /// Writes a tiny Llama model (seeded weights, Hugging Face's layout, bytes as tokens) to try edge
    /// inference (`enreach:ai/inference`) where no model can be downloaded.
    TinyModel(cmd::model::TinyModelArgs),
    /// Benchmark baseline: streams stored content from a peer's bench endpoint over the bare transport.
    #[command(hide = true)]
    BenchTransport(cmd::bench::TransportArgs),
    /// Benchmark load generator: GET one URL over many connections (paying as an app client with `--paid`).
    #[command(hide = true)]
    BenchHttp(cmd::bench::HttpArgs),
    /// Benchmark baseline: one core's time to hash a file into its BLAKE3 tree (the cost of verifying it).
    #[command(hide = true)]
    BenchVerify(cmd::bench::VerifyArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,libp2p=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Commands that write the store take the data directory for themselves first.
    let _lock = match cli.command {
        Command::Publish(_) | Command::Run(_) | Command::Fetch(_) => {
            Some(edge_worker::data_dir::lock(&cli.data_dir)?)
        }
        _ => None,
    };
    let store_dir = cli.data_dir.join("store");
    let store = Arc::new(ContentStore::open(&store_dir).context("opening the content store")?);
    let metrics = Metrics::new();
    match cli.command {
        Command::Publish(args) => cmd::publish::run(cli.data_dir, store, metrics, args).await,
        Command::Run(args) => cmd::run::run(cli.data_dir, store, metrics, args).await,
        Command::Key(args) => cmd::key::run(&cli.data_dir, args.action),
        Command::Dapp(args) => cmd::dapp::run(args).await,
        Command::App(args) => cmd::app::run(&cli.data_dir, args).await,
        Command::TinyModel(args) => cmd::model::run(args),
        Command::BenchVerify(args) => cmd::bench::verify(args),
        Command::BenchHttp(args) => cmd::bench::http(&cli.data_dir, args).await,
        Command::BenchTransport(args) => cmd::bench::transport(&cli.data_dir, args).await,
        Command::Fetch(args) => cmd::fetch::run(&cli.data_dir, store, metrics, args).await,
    }
}
