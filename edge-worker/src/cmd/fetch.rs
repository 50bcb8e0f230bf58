//! `edge-worker fetch`: downloads content over PeerDTS from every provider found, or from the nodes a router
//! picks, verified and resumable, into the store (and a file), signing delivery receipts with a client key.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use anyhow::{bail, Context};
use clap::Args;
use edge_worker::{keys, roles::router::Route};
use enreach_dts::{
    collection,
    metrics::Metrics,
    network::Network,
    protocol::PROTOCOL,
    serve::{serve, ServeOptions},
    signing::ClientSigner,
    store::ContentStore,
    transfer::{fetch, Progress, Sources},
};
use enreach_edge_chain::capabilities::{self, parse_continent};
use enreach_primitives::Continent;
use indicatif::{ProgressBar, ProgressStyle};
use libp2p::Multiaddr;

use super::{network_config, parse_id, NetArgs};

// The arguments of `fetch` (its help text is the `Command::Fetch` doc comment).
#[derive(Args)]
pub struct FetchArgs {
    /// The content id (64 hex digits).
    pub id: String,
    /// Where to write the content (for a collection, the folder its files go into at their paths); without
    /// it, the content stays in the store only (to serve it).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Of a collection, fetch only the file at this path.
    #[arg(long)]
    pub file: Option<String>,
    /// Print a JSON summary (bytes per provider, banned providers) instead of a progress bar.
    #[arg(long)]
    pub json: bool,
    /// A client key file (from `key client`) a dApp authorized: signs delivery receipts for the providers
    /// paid through GPoW, which serve only downloads that sign them.
    #[arg(long)]
    pub client_key: Option<PathBuf>,
    /// A router's JSON-RPC endpoint (`http://...`): fetch from the nodes it picks instead of every
    /// provider found.
    #[arg(long)]
    pub router: Option<String>,
    /// The continent to tell the router the client is on (`europe`, `north-america`, ...).
    #[arg(long, value_parser = parse_continent)]
    pub region: Option<Continent>,
    /// How many nodes to ask the router for.
    #[arg(long, default_value_t = 2)]
    pub routed_nodes: u32,
    /// Keep running once fetched, serving what the store holds to the others still fetching it.
    #[arg(long)]
    pub serve: bool,
    #[command(flatten)]
    pub network: NetArgs,
}

/// Runs `fetch`.
pub async fn run(
    data_dir: &Path,
    store: Arc<ContentStore>,
    metrics: Arc<Metrics>,
    args: FetchArgs,
) -> anyhow::Result<()> {
    let FetchArgs {
        id,
        output,
        file,
        json,
        client_key,
        router,
        region,
        routed_nodes,
        serve: keep_serving,
        network,
    } = args;
    let id = parse_id(&id)?;
    let signer = match client_key {
        Some(path) if !path.exists() => bail!(
            "no client key at {} (create one with `edge-worker key client`)",
            path.display()
        ),
        Some(path) => Some(Arc::new(ClientSigner::new(keys::load_or_create_client(
            &path,
        )?))),
        None => None,
    };
    let keypair = keys::load_or_create(&data_dir.join("node_key"))?;
    let net = Network::start(keypair, network_config(&network, false)).await?;
    let route = match &router {
        Some(url) => Some(ask_router(url, &id, region, routed_nodes).await?),
        None => None,
    };
    let sources = match &route {
        Some(route) => routed_sources(&net, route).await?,
        None => Sources::Discover,
    };
    // A fetching node serves what it holds too.
    tokio::spawn(serve(
        store.clone(),
        net.control().accept(PROTOCOL)?,
        ServeOptions {
            rate_limit: network.upload_limiter(),
            ..ServeOptions::default()
        },
        metrics.clone(),
    ));
    // The fetch and its report; with `serve`, the node then stays up for the others.
    let fetched: anyhow::Result<()> = async {
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
        let report = fetch(
            &net,
            store.clone(),
            id,
            None,
            sources.clone(),
            metrics.clone(),
            signer.clone(),
            move |p: Progress| {
                if let Some(bar) = &shown {
                    bar.set_length(p.size);
                    bar.set_position(p.done);
                    bar.set_message(format!("{} sources", p.sources));
                }
            },
        )
        .await?;
        if let Some(bar) = bar {
            bar.finish();
        }
        // A collection's manifest: its files are fetched (those the store lacks) from the same sources.
        match collection::read_manifest(&store, &id) {
            Some(Ok(manifest)) => {
                let files = collection::fetch_files(
                    &net,
                    store.clone(),
                    &manifest,
                    file.as_deref(),
                    sources,
                    metrics,
                    signer,
                )
                .await?;
                if let Some(output) = &output {
                    collection::export(&store, &manifest, file.as_deref(), output)?;
                }
                let fetched: Vec<&str> = files.fetched.iter().map(|(p, _)| p.as_str()).collect();
                let mut by_peer = files.bytes_by_peer();
                for (peer, bytes) in &report.bytes_by_peer {
                    *by_peer.entry(peer.clone()).or_insert(0) += bytes;
                }
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "event": "fetched_collection",
                            "collection": id.to_hex().as_str(),
                            "files": manifest.files().len(),
                            "fetched": fetched,
                            "already_held": files.already_held,
                            "bytes_fetched": report.bytes_fetched() + files.bytes_fetched(),
                            "bytes_by_peer": by_peer,
                        })
                    );
                } else {
                    eprintln!(
                        "fetched collection {id}: {} files fetched ({} bytes), {} held already",
                        fetched.len(),
                        files.bytes_fetched(),
                        files.already_held.len()
                    );
                }
                return Ok(());
            }
            Some(Err(_)) | None if file.is_some() => {
                bail!("{id} is not a collection: --file needs one")
            }
            _ => {}
        }
        if let Some(output) = &output {
            store
                .get(&id)
                .context("downloaded blob")?
                .export(output)
                .with_context(|| format!("writing {}", output.display()))?;
        }
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "event": "fetched",
                    "report": report,
                    "bytes_fetched": report.bytes_fetched(),
                    "routed": route.map(|r| r.nodes),
                })
            );
        } else {
            let into = output.map_or_else(|| "the store".into(), |o| o.display().to_string());
            eprintln!(
                "fetched {} ({} bytes this run from {} providers) into {into}",
                report.id,
                report.bytes_fetched(),
                report.bytes_by_peer.len(),
            );
        }
        Ok(())
    }
    .await;
    fetched?;
    if keep_serving {
        eprintln!("fetched; serving what the store holds until stopped");
        std::future::pending::<()>().await;
    }
    Ok(())
}

/// Asks the router at `url` where to fetch `id` from.
async fn ask_router(
    url: &str,
    id: &blake3::Hash,
    region: Option<Continent>,
    n: u32,
) -> anyhow::Result<Route> {
    use jsonrpsee::core::client::ClientT;
    let client = jsonrpsee::http_client::HttpClientBuilder::default()
        .build(url)
        .with_context(|| format!("router URL {url}"))?;
    let hint = serde_json::json!({
        "region": region.map(capabilities::continent_name),
    });
    client
        .request(
            "routing_route",
            jsonrpsee::rpc_params![id.to_hex().to_string(), hint, n],
        )
        .await
        .with_context(|| format!("asking the router at {url}"))
}

/// Dials the nodes of `route` and names them as the download's providers.
async fn routed_sources(net: &Network, route: &Route) -> anyhow::Result<Sources> {
    if route.nodes.is_empty() {
        match &route.origin {
            Some(origin) => {
                bail!("the router has no node for this content; its origin is {origin}")
            }
            None => bail!("the router has no node for this content and it has no origin"),
        }
    }
    let mut peers = Vec::new();
    for node in &route.nodes {
        let peer: libp2p::PeerId = node.peer_id.parse().context("router named a bad peer id")?;
        for address in &node.multiaddrs {
            if let Ok(address) = address.parse::<Multiaddr>() {
                net.dial(address).await;
            }
        }
        peers.push(peer);
    }
    Ok(Sources::Routed(peers))
}
