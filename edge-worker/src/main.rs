//! `edge-worker`: publish content, fetch it from every provider, and serve it over PeerDTS and HTTP.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use edge_worker::{
    bench,
    gateway::Gateway,
    keys,
    metrics::Metrics,
    network::{Network, NetworkConfig},
    protocol::PROTOCOL,
    serve::{serve, ServeOptions},
    store::ContentStore,
    transfer::{fetch, Progress},
};
use indicatif::{ProgressBar, ProgressStyle};
use libp2p::Multiaddr;

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
    Publish {
        /// The file.
        file: PathBuf,
        /// Keep running and serve the store.
        #[arg(long)]
        serve: bool,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Downloads content from every provider found, verified, resumable, into the store and to a file.
    Fetch {
        /// The content id (64 hex digits).
        id: String,
        /// Where to write the content.
        #[arg(short, long)]
        output: PathBuf,
        /// Print a JSON summary (bytes per provider, banned providers) instead of a progress bar.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        network: NetArgs,
    },
    /// Serves the store over PeerDTS and the HTTP gateway, announcing every blob.
    Run {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Benchmark baseline: streams stored content from a peer's bench endpoint over the bare transport.
    #[command(hide = true)]
    BenchTransport {
        /// The content id (hex BLAKE3 root).
        id: String,
        #[command(flatten)]
        network: NetArgs,
    },
    /// Benchmark baseline: one core's time to hash a file into its BLAKE3 tree (the cost of verifying it).
    #[command(hide = true)]
    BenchVerify {
        /// The file.
        file: PathBuf,
    },
}

#[derive(Args, Clone)]
struct NetArgs {
    /// Addresses to listen on.
    #[arg(long)]
    listen: Vec<Multiaddr>,
    /// Peers to connect to (multiaddresses ending in `/p2p/<peer id>`).
    #[arg(long)]
    peer: Vec<Multiaddr>,
    /// Relays to be reachable through.
    #[arg(long)]
    relay: Vec<Multiaddr>,
}

#[derive(Args, Clone)]
struct NodeArgs {
    #[command(flatten)]
    network: NetArgs,
    /// Act as a relay (v2) for peers behind NATs.
    #[arg(long)]
    relay_server: bool,
    /// Address of the HTTP gateway and metrics.
    #[arg(long)]
    gateway: Option<SocketAddr>,
    /// Cap on the bytes per second this node sends, over all transfers.
    #[arg(long)]
    rate_limit: Option<u64>,
    /// Test hook: corrupt what is served.
    #[arg(long, hide = true)]
    corrupt: bool,
    /// Benchmark hook: serve the raw streaming endpoint of `bench-transport`.
    #[arg(long, hide = true)]
    bench_endpoint: bool,
}

fn network_config(args: &NetArgs, relay_server: bool) -> NetworkConfig {
    NetworkConfig {
        listen: args.listen.clone(),
        peers: args.peer.clone(),
        relays: args.relay.clone(),
        relay_server,
    }
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
    let store_dir = cli.data_dir.join("store");
    let store = Arc::new(ContentStore::open(&store_dir).context("opening the content store")?);
    let metrics = Metrics::new();
    match cli.command {
        Command::Publish { file, serve, node } => {
            let id = store
                .import(&file)
                .with_context(|| format!("importing {}", file.display()))?;
            println!("{}", id.to_hex());
            if serve {
                run(cli.data_dir, store, store_dir, metrics, node).await?;
            }
        }
        Command::Run { node } => run(cli.data_dir, store, store_dir, metrics, node).await?,
        Command::BenchVerify { file } => {
            let seconds = bench::verify_cost(&file)?;
            println!(
                "{}",
                serde_json::json!({"event": "verify_cost", "seconds": seconds})
            );
        }
        Command::BenchTransport { id, network } => {
            let id = parse_id(&id)?;
            let keypair = keys::load_or_create(&cli.data_dir.join("node_key"))?;
            let net = Network::start(keypair, network_config(&network, false)).await?;
            let peer = network
                .peer
                .first()
                .and_then(edge_worker::network::peer_of)
                .context("--peer with a /p2p/<id> suffix is required")?;
            let (bytes, seconds) = bench::fetch_raw(&mut net.control(), peer, id).await?;
            println!(
                "{}",
                serde_json::json!({"event": "transport", "bytes": bytes, "seconds": seconds})
            );
        }
        Command::Fetch {
            id,
            output,
            json,
            network,
        } => {
            let id = parse_id(&id)?;
            let keypair = keys::load_or_create(&cli.data_dir.join("node_key"))?;
            let net = Network::start(keypair, network_config(&network, false)).await?;
            // A fetching node serves what it holds too.
            tokio::spawn(serve(
                store.clone(),
                net.control().accept(PROTOCOL)?,
                ServeOptions::default(),
                metrics.clone(),
            ));
            let bar = (!json).then(|| {
                let bar = ProgressBar::new(0);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
                    )
                    .expect("valid template"),
                );
                bar
            });
            let shown = bar.clone();
            let report = fetch(&net, store.clone(), id, metrics, move |p: Progress| {
                if let Some(bar) = &shown {
                    bar.set_length(p.size);
                    bar.set_position(p.done);
                    bar.set_message(format!("{} sources", p.sources));
                }
            })
            .await?;
            if let Some(bar) = bar {
                bar.finish();
            }
            store
                .get(&id)
                .context("downloaded blob")?
                .export(&output)
                .with_context(|| format!("writing {}", output.display()))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"event": "fetched", "report": report, "bytes_fetched": report.bytes_fetched()})
                );
            } else {
                eprintln!(
                    "fetched {} ({} bytes this run from {} providers) to {}",
                    report.id,
                    report.bytes_fetched(),
                    report.bytes_by_peer.len(),
                    output.display()
                );
            }
        }
    }
    Ok(())
}

async fn run(
    data_dir: PathBuf,
    store: Arc<ContentStore>,
    store_dir: PathBuf,
    metrics: Arc<Metrics>,
    node: NodeArgs,
) -> anyhow::Result<()> {
    if node.network.listen.is_empty() && node.network.relay.is_empty() {
        bail!("nothing to listen on: give --listen and/or --relay");
    }
    let keypair = keys::load_or_create(&data_dir.join("node_key"))?;
    let net = Network::start(keypair, network_config(&node.network, node.relay_server)).await?;
    let options = ServeOptions {
        rate_limit: node
            .rate_limit
            .map(|rate| Arc::new(edge_worker::serve::RateLimiter::new(rate))),
        corrupt: node.corrupt,
    };
    tokio::spawn(serve(
        store.clone(),
        net.control().accept(PROTOCOL)?,
        options,
        metrics.clone(),
    ));
    if node.bench_endpoint {
        tokio::spawn(bench::serve_raw(
            store.clone(),
            net.control().accept(bench::BENCH_PROTOCOL)?,
        ));
    }
    if let Some(addr) = node.gateway {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the gateway to {addr}"))?;
        println!(
            "{}",
            serde_json::json!({"event": "gateway", "address": listener.local_addr()?.to_string()})
        );
        let app = Gateway::new(store.clone(), store_dir, metrics).router();
        tokio::spawn(async move { axum::serve(listener, app).await });
    }
    // Announce every blob now and again, as provider records expire.
    loop {
        for id in store.ids() {
            net.announce(id).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// A content id as users write it: 64 hex digits, optionally `0x`-prefixed.
fn parse_id(id: &str) -> anyhow::Result<blake3::Hash> {
    blake3::Hash::from_hex(id.trim_start_matches("0x")).context("a content id is 64 hex digits")
}
