//! `edge-worker`: publish content, fetch it from every provider, and serve it over PeerDTS and HTTP.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use edge_worker::{
    keys,
    roles::{
        routed::Routed,
        router::{Route, RouterService},
    },
};
use enreach_dts::{
    bench,
    metrics::Metrics,
    network::{Network, NetworkConfig},
    protocol::PROTOCOL,
    serve::{serve, ServeOptions},
    signing::ClientSigner,
    store::{parse_content_id, ContentStore},
    transfer::{fetch, Progress, Sources},
};
use enreach_edge_chain::{
    capabilities::{self, parse_continent, Claims},
    gateway_endpoint, registration, Chain, Wait,
};
use enreach_gateway::{origin::OriginPull, Gateway};
use enreach_gpow::{agent::Agent, collector::Collector, keeper::Keeper, receipts::Ledger};
use enreach_primitives::{Continent, Region};
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
    /// Downloads content from every provider found, verified, resumable, into the store (and a file).
    Fetch {
        /// The content id (64 hex digits).
        id: String,
        /// Where to write the content; without it, the content stays in the store only (to serve it).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Print a JSON summary (bytes per provider, banned providers) instead of a progress bar.
        #[arg(long)]
        json: bool,
        /// A client key file (from `key client`) a dApp authorized: signs delivery receipts for the providers
        /// paid through GPoW, which serve only downloads that sign them.
        #[arg(long)]
        client_key: Option<PathBuf>,
        /// A router's JSON-RPC endpoint (`http://...`): fetch from the nodes it picks instead of every
        /// provider found.
        #[arg(long)]
        router: Option<String>,
        /// The continent to tell the router the client is on (`europe`, `north-america`, ...).
        #[arg(long, value_parser = parse_continent)]
        region: Option<Continent>,
        /// How many nodes to ask the router for.
        #[arg(long, default_value_t = 2)]
        routed_nodes: u32,
        #[command(flatten)]
        network: NetArgs,
    },
    /// Serves the store over PeerDTS and the HTTP gateway, announcing every blob.
    Run {
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The node's keys: the node key (its libp2p identity and on-chain id) and the operator account key.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// What a dApp does on chain: open its account, publish content (with the origin gateways pull it from).
    Dapp {
        /// The node's JSON-RPC endpoint.
        #[arg(long, default_value = "ws://127.0.0.1:9944")]
        chain: String,
        /// The dApp account's secret URI: a mnemonic or seed with optional derivation path (`//Alice` on
        /// dev chains).
        #[arg(long, env = "ENREACH_DAPP_SURI", hide_env_values = true)]
        account: String,
        #[command(subcommand)]
        action: DappAction,
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

#[derive(Subcommand)]
enum KeyAction {
    /// Creates whichever of the two keys is missing (files of mode 0600 in the data directory); prints both
    /// public identities.
    Generate,
    /// Prints the public identities of the existing keys.
    Inspect,
    /// Creates the client key (`client_key`, 0600) if missing and prints its public key, which a dApp
    /// authorizes with `dapp authorize-client`.
    Client,
}

/// What `run` does besides serving content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Role {
    /// Serve PeerDTS and the gateway only.
    Serve,
    /// Also register (or update) the node on chain with its operator key, collect delivery receipts, and
    /// report, prove and answer challenges each epoch.
    Edge,
    /// Also watch the edge nodes the chain assigns to the operator key's account (a GPoS keeper) and submit
    /// observations of them each epoch.
    Keeper,
    /// Also route requests to edge nodes (PeerRouting): JSON-RPC `routing_route` on `--rpc`, `/r/<id>`
    /// redirects on the gateway, prefetch requests ahead of demand.
    Router,
}

#[derive(Subcommand)]
enum DappAction {
    /// Lets a client key (64 hex digits, from `key client`) sign delivery receipts the dApp pays for.
    AuthorizeClient {
        /// The client's public key.
        client: String,
    },
    /// Stops paying for a client key's receipts.
    RevokeClient {
        /// The client's public key.
        client: String,
    },
    /// Opens the dApp's settlement account with a prepaid deposit (in plancks).
    OpenAccount {
        /// Funds moved into the account.
        #[arg(long)]
        deposit: u128,
    },
    /// Publishes a file's content id and size for storage and delivery; prints the content id.
    Publish {
        /// The file (hashed locally; its bytes are not uploaded anywhere).
        file: PathBuf,
        /// Nodes paid to store it.
        #[arg(long, default_value_t = 1)]
        replicas: u32,
        /// Highest storage price per GiB and epoch accepted (in plancks).
        #[arg(long)]
        max_price: u128,
        /// Where gateways fetch it on a miss (`http://` or `https://`).
        #[arg(long)]
        origin: Option<String>,
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
    /// The EnReach node's JSON-RPC endpoint (`ws://...`): lets the gateway pull misses from the origins dApps
    /// registered; the edge role needs it.
    #[arg(long)]
    chain: Option<String>,
    /// What the node does besides serving.
    #[arg(long, value_enum, default_value_t = Role::Serve)]
    role: Role,
    /// The operator key file (default: `operator_key` in the data directory).
    #[arg(long)]
    operator_key: Option<PathBuf>,
    /// Continent the node is on (edge role): africa, antarctica, asia, europe, north-america, oceania,
    /// south-america.
    #[arg(long, value_parser = parse_continent, default_value = "europe")]
    continent: Continent,
    /// ISO 3166-1 alpha-2 country code of the node (edge role).
    #[arg(long, default_value = "DE")]
    country: String,
    /// Upload bandwidth the node offers, Mbit/s (edge role; keepers verify it).
    #[arg(long, default_value_t = 100)]
    bandwidth_up_mbps: u32,
    /// Download bandwidth of the node, Mbit/s (edge role).
    #[arg(long, default_value_t = 100)]
    bandwidth_down_mbps: u32,
    /// Address of the router's JSON-RPC server (router role).
    #[arg(long)]
    rpc: Option<SocketAddr>,
    /// Work score (of the last epoch) below which the router never chooses a node (router role); 0 lets
    /// nodes serve from their first epoch.
    #[arg(long, default_value_t = 0)]
    min_score: u64,
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
        Command::Key { action } => key(&cli.data_dir, action)?,
        Command::Dapp {
            chain,
            account,
            action,
        } => dapp(&chain, &account, action).await?,
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
                .and_then(enreach_dts::network::peer_of)
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
            client_key,
            router,
            region,
            routed_nodes,
            network,
        } => {
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
            let keypair = keys::load_or_create(&cli.data_dir.join("node_key"))?;
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
            let report = fetch(
                &net,
                store.clone(),
                id,
                sources,
                metrics,
                signer,
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
    let net = Network::start(
        keypair.clone(),
        network_config(&node.network, node.relay_server),
    )
    .await?;
    // Bound before registering, so the address registered is the one bound (`--gateway 127.0.0.1:0`).
    let gateway = match node.gateway {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding the gateway to {addr}"))?,
        ),
        None => None,
    };
    let gateway_addr = gateway.as_ref().map(|l| l.local_addr()).transpose()?;
    let chain = match &node.chain {
        Some(url) => Some(
            Chain::connect(url)
                .await
                .with_context(|| format!("connecting to the chain at {url}"))?,
        ),
        None => None,
    };
    let mut collector = None;
    if node.role == Role::Edge {
        let chain = chain.as_ref().context("--role edge needs --chain")?;
        let operator = operator_key(&data_dir, &node)?;
        register(
            &data_dir,
            &node,
            gateway_addr,
            &net,
            &keypair,
            &operator,
            chain,
        )
        .await?;
        // Receipts are durable before they are acknowledged; the agent reports them when the epoch ends.
        let ledger = Arc::new(
            Ledger::open(&data_dir.join("receipts.redb")).context("opening the receipt ledger")?,
        );
        let node_id = keys::node_id(&keypair);
        let receipts = Arc::new(Collector::new(ledger.clone(), chain.clone(), node_id));
        let mut agent = Agent::new(
            chain.clone(),
            operator,
            node_id,
            ledger,
            receipts.clone(),
            store.clone(),
        );
        // Terms are known before the first download is served.
        if let Err(e) = agent.step().await {
            tracing::warn!(%e, "first GPoW step failed; retrying");
        }
        tokio::spawn(agent.run());
        collector = Some(receipts);
    }
    if node.role == Role::Keeper {
        let chain = chain.as_ref().context("--role keeper needs --chain")?;
        let account = operator_key(&data_dir, &node)?;
        let samples = Arc::new(
            ContentStore::open(data_dir.join("samples")).context("opening the sample store")?,
        );
        tokio::spawn(
            Keeper::new(
                chain.clone(),
                account,
                net.clone(),
                samples,
                metrics.clone(),
            )
            .run(),
        );
    }
    let mut router = None;
    if node.role == Role::Router {
        let chain = chain.as_ref().context("--role router needs --chain")?;
        let params = enreach_routing::Params {
            min_score: node.min_score,
            // Three missed probes and a node is no longer chosen.
            stale_after_ms: 3 * edge_worker::roles::router::REFRESH.as_millis() as u64,
            ..Default::default()
        };
        let service = RouterService::new(chain.clone(), net.clone(), params, node.continent);
        if let Err(e) = service.refresh().await {
            tracing::warn!(%e, "first routing refresh failed; retrying");
        }
        tokio::spawn(service.clone().run());
        if let Some(addr) = node.rpc {
            let server = jsonrpsee::server::Server::builder()
                .build(addr)
                .await
                .with_context(|| format!("binding the router's JSON-RPC to {addr}"))?;
            let address = server.local_addr()?;
            let handle = server.start(service.clone().rpc_module());
            tokio::spawn(handle.stopped());
            println!(
                "{}",
                serde_json::json!({"event": "router_rpc", "address": address.to_string()})
            );
        }
        router = Some(service);
    }
    let options = ServeOptions {
        rate_limit: node
            .rate_limit
            .map(|rate| Arc::new(enreach_dts::serve::RateLimiter::new(rate))),
        corrupt: node.corrupt,
        collector: collector.map(|c| c as Arc<dyn enreach_dts::serve::ReceiptCollector>),
        routed: Some(
            Routed::new(net.clone(), store.clone(), metrics.clone(), chain.clone())
                as Arc<dyn enreach_dts::serve::RoutedNode>,
        ),
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
    if let Some(listener) = gateway {
        println!(
            "{}",
            serde_json::json!({"event": "gateway", "address": listener.local_addr()?.to_string()})
        );
        let mut gateway = Gateway::new(store.clone(), store_dir, metrics);
        if let Some(chain) = chain {
            gateway = gateway.with_origin_pull(Arc::new(OriginPull::new(chain, store.clone())?));
        }
        if let Some(router) = router {
            gateway = gateway.with_router(router);
        }
        let app = gateway.router();
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

/// The operator account key `--operator-key` names (default: `operator_key` in the data directory).
fn operator_key(
    data_dir: &std::path::Path,
    node: &NodeArgs,
) -> anyhow::Result<subxt_signer::sr25519::Keypair> {
    let path = node
        .operator_key
        .clone()
        .unwrap_or_else(|| data_dir.join("operator_key"));
    keys::load_operator(&path).with_context(|| {
        format!(
            "loading the operator key {} (create one with `edge-worker key generate`)",
            path.display()
        )
    })
}

/// Registers the node, or brings its entry up to date, with what this machine offers and where it listens.
async fn register(
    data_dir: &std::path::Path,
    node: &NodeArgs,
    gateway: Option<SocketAddr>,
    net: &Network,
    keypair: &libp2p::identity::Keypair,
    operator: &subxt_signer::sr25519::Keypair,
    chain: &Chain,
) -> anyhow::Result<()> {
    let country: [u8; 2] = node
        .country
        .as_bytes()
        .try_into()
        .ok()
        .filter(|c: &[u8; 2]| c.iter().all(u8::is_ascii_uppercase))
        .context("--country is two upper-case letters (ISO 3166-1 alpha-2)")?;
    let claims = Claims {
        bandwidth_up_mbps: node.bandwidth_up_mbps,
        bandwidth_down_mbps: node.bandwidth_down_mbps,
        region: Region {
            continent: node.continent,
            country,
        },
    };
    let capabilities = capabilities::describe(data_dir, claims)?;
    let bench_dir = data_dir.to_path_buf();
    let benchmark = tokio::task::spawn_blocking(move || capabilities::self_benchmark(&bench_dir))
        .await?
        .context("self-benchmark of disk and hashing")?;
    if benchmark.serving_mbps() < node.bandwidth_up_mbps {
        tracing::warn!(
            claimed = node.bandwidth_up_mbps,
            measured = benchmark.serving_mbps(),
            "this machine cannot serve verified content as fast as the upload bandwidth claimed; keepers will \
             measure less"
        );
    }
    // Where peers reach the node: its listen addresses, once the transports have bound them.
    let mut endpoints = Vec::new();
    for _ in 0..50 {
        endpoints = net.listen_addrs().await;
        if !endpoints.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // And where browsers reach its gateway, so routers can redirect them there.
    match gateway.map(|g| (g, gateway_endpoint(g))) {
        Some((_, Some(gateway))) => endpoints.insert(0, gateway),
        Some((address, None)) => tracing::warn!(
            %address,
            "the gateway listens on an unspecified address: not registered, routers cannot send browsers here"
        ),
        None => {}
    }
    let endpoints: Vec<Vec<u8>> = endpoints
        .iter()
        .map(|a| a.to_string().into_bytes())
        .filter(|a| a.len() <= MAX_ENDPOINT_LEN)
        .take(MAX_ENDPOINTS)
        .collect();
    let outcome =
        registration::ensure_registered(chain, keypair, operator, capabilities, endpoints).await?;
    println!(
        "{}",
        serde_json::json!({
            "event": "registered",
            "node": hex::encode(keys::node_id(keypair).0),
            "operator": operator.public_key().to_account_id().to_string(),
            "outcome": outcome,
            "benchmark": benchmark,
        })
    );
    Ok(())
}

/// Endpoints the registry keeps per node, and their longest length (the runtime's bounds).
const MAX_ENDPOINTS: usize = 8;
const MAX_ENDPOINT_LEN: usize = 128;

/// Creates missing keys or shows the existing ones.
fn key(data_dir: &std::path::Path, action: KeyAction) -> anyhow::Result<()> {
    let identity = match action {
        KeyAction::Client => {
            let path = data_dir.join("client_key");
            let client = keys::load_or_create_client(&path)?;
            serde_json::json!({
                "client": hex::encode(client.verifying_key().as_bytes()),
                "client_key": path.display().to_string(),
            })
        }
        KeyAction::Generate => node_identity(data_dir, true)?,
        KeyAction::Inspect => node_identity(data_dir, false)?,
    };
    println!("{identity}");
    Ok(())
}

/// The node's public identities, creating its missing keys if `create`.
fn node_identity(data_dir: &std::path::Path, create: bool) -> anyhow::Result<serde_json::Value> {
    let node_path = data_dir.join("node_key");
    let operator_path = data_dir.join("operator_key");
    if !create && !node_path.exists() {
        bail!("no node key at {}", node_path.display());
    }
    let node_key = keys::load_or_create(&node_path)?;
    let operator = match keys::load_operator(&operator_path) {
        Err(e) if create && e.kind() == std::io::ErrorKind::NotFound => {
            keys::generate_operator(&operator_path)?
        }
        loaded => {
            loaded.with_context(|| format!("no operator key at {}", operator_path.display()))?
        }
    };
    Ok(serde_json::json!({
        "node_id": hex::encode(keys::node_id(&node_key).0),
        "peer_id": node_key.public().to_peer_id().to_string(),
        "operator": operator.public_key().to_account_id().to_string(),
        "node_key": node_path.display().to_string(),
        "operator_key": operator_path.display().to_string(),
    }))
}

/// Runs a dApp command against the chain at `url`, signed by the account `suri` names.
async fn dapp(url: &str, suri: &str, action: DappAction) -> anyhow::Result<()> {
    let uri: subxt_signer::SecretUri = suri.parse().context("--account is not a secret URI")?;
    let signer = subxt_signer::sr25519::Keypair::from_uri(&uri).context("--account")?;
    let chain = Chain::connect(url)
        .await
        .with_context(|| format!("connecting to the chain at {url}"))?;
    match action {
        DappAction::AuthorizeClient { client } => {
            client_call(
                &chain,
                &signer,
                "authorize_client",
                "client_authorized",
                &client,
            )
            .await?
        }
        DappAction::RevokeClient { client } => {
            client_call(&chain, &signer, "revoke_client", "client_revoked", &client).await?
        }
        DappAction::OpenAccount { deposit } => {
            chain
                .submit(
                    &signer,
                    ("Settlement", "open_account", (deposit,)),
                    Wait::Finalized,
                )
                .await?;
            println!(
                "{}",
                serde_json::json!({"event": "account_opened", "deposit": deposit.to_string()})
            );
        }
        DappAction::Publish {
            file,
            replicas,
            max_price,
            origin,
        } => {
            if let Some(origin) = &origin {
                if origin.len() > enreach_primitives::MAX_ORIGIN_URL_LEN as usize
                    || !enreach_primitives::is_valid_origin(origin.as_bytes())
                {
                    bail!("--origin must be an http:// or https:// URL of at most {} printable ASCII bytes", enreach_primitives::MAX_ORIGIN_URL_LEN);
                }
            }
            let mut hasher = blake3::Hasher::new();
            hasher
                .update_reader(
                    std::fs::File::open(&file)
                        .with_context(|| format!("opening {}", file.display()))?,
                )
                .with_context(|| format!("reading {}", file.display()))?;
            let id = hasher.finalize();
            let size = std::fs::metadata(&file)?.len();
            chain
                .submit(
                    &signer,
                    (
                        "Settlement",
                        "publish_content",
                        (
                            *id.as_bytes(),
                            size,
                            replicas,
                            max_price,
                            origin.map(String::into_bytes),
                        ),
                    ),
                    // Gateways read finalized state.
                    Wait::Finalized,
                )
                .await?;
            println!("{}", id.to_hex());
        }
    }
    Ok(())
}

/// Submits the settlement call `call` for the client key `client` (64 hex digits), then prints `event`.
async fn client_call(
    chain: &Chain,
    signer: &subxt_signer::sr25519::Keypair,
    call: &str,
    event: &str,
    client: &str,
) -> anyhow::Result<()> {
    let client: [u8; 32] = hex::decode(client.trim_start_matches("0x"))
        .ok()
        .and_then(|k| k.try_into().ok())
        .context("a client key is 64 hex digits")?;
    chain
        .submit(signer, ("Settlement", call, (client,)), Wait::Finalized)
        .await?;
    println!(
        "{}",
        serde_json::json!({"event": event, "client": hex::encode(client)})
    );
    Ok(())
}

/// A content id as users write it: 64 hex digits, optionally `0x`-prefixed.
fn parse_id(id: &str) -> anyhow::Result<blake3::Hash> {
    parse_content_id(id).context("a content id is 64 hex digits")
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
