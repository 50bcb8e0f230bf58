//! `edge-worker run`: serves the store over PeerDTS and the HTTP gateway, announcing every blob, and takes on
//! its role: an edge (registered, collecting receipts, doing its GPoW duties), a keeper or a router.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, Context};
use clap::Args;
use edge_worker::{
    keys,
    roles::{
        apps::{AppService, TranscriptAnswers},
        routed::Routed,
        router::RouterService,
    },
};
use enreach_dts::{
    bench,
    metrics::Metrics,
    network::Network,
    protocol::PROTOCOL,
    serve::{serve, ReceiptCollector, RoutedNode, ServeOptions},
    store::ContentStore,
};
use enreach_edge_chain::{capabilities::parse_continent, Chain};
use enreach_gateway::{
    limits,
    origin::{OriginLimits, OriginPull},
    server::{self, ServerLimits},
    Gateway,
};
use enreach_gpow::{
    agent::Agent,
    collector::Collector,
    keeper::Keeper,
    models::{Fetching, StoreModels},
    receipts::Ledger,
    replay::{replay_caps, CodeSource, Replayer},
    transcripts::{ReportedCompute, Transcripts},
};
use enreach_hvm::{Hvm, NodeCaps};
use enreach_primitives::Continent;
use libp2p::PeerId;

use super::{
    network_config,
    register::{operator_key, register},
    NetArgs,
};

/// What `run` does besides serving content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
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

#[derive(Args, Clone)]
pub struct NodeArgs {
    #[command(flatten)]
    pub network: NetArgs,
    /// Act as a relay (v2) for peers behind NATs.
    #[arg(long)]
    pub relay_server: bool,
    /// Address of the HTTP gateway (public: content by id, origin pull of misses, the router's redirects).
    #[arg(long)]
    pub gateway: Option<SocketAddr>,
    /// Address of the Prometheus metrics (`/metrics`): they name peers, so keep it to the operator's network.
    #[arg(long)]
    pub metrics: Option<SocketAddr>,
    /// Connections the gateway holds open at once; past it, new ones wait in the kernel's backlog.
    #[arg(long, default_value_t = limits::MAX_CONNECTIONS)]
    pub gateway_max_connections: usize,
    /// Connections one client address (IPv6: one /64; its /56 and /48 get 2 and 4 times as many) may hold open
    /// on the gateway at once.
    #[arg(long, default_value_t = limits::MAX_CONNECTIONS_PER_IP)]
    pub gateway_max_connections_per_ip: usize,
    /// Requests per second one client address (IPv6: one /64; its /56 and /48 get 2 and 4 times as many) may
    /// make on the gateway on average, beyond a
    /// burst of 200; past it, `429 Too Many Requests`.
    #[arg(long, default_value_t = limits::REQUESTS_PER_SECOND_PER_IP)]
    pub gateway_max_requests_per_ip: u32,
    /// Let origin pulls reach loopback and private addresses: only for local test networks, whose dApps'
    /// origins run there (link-local addresses and cloud metadata services stay refused).
    #[arg(long)]
    pub allow_private_origins: bool,
    /// Seconds one origin pull may take, from connecting to the last byte.
    #[arg(long, default_value_t = limits::ORIGIN_DEADLINE.as_secs())]
    pub origin_timeout: u64,
    /// Largest content, in bytes, the gateway pulls from an origin.
    #[arg(long, default_value_t = limits::MAX_ORIGIN_BYTES)]
    pub max_origin_bytes: u64,
    /// Origin pulls in flight at once.
    #[arg(long, default_value_t = limits::MAX_ORIGIN_PULLS)]
    pub max_origin_pulls: usize,
    /// Test hook: corrupt what is served.
    #[arg(long, hide = true)]
    pub corrupt: bool,
    /// Test hook: answer every app call wrongly (a node skipping the work), for keepers' replays to catch.
    #[arg(long, hide = true)]
    pub test_wrong_answers: bool,
    /// With `--role edge`: run dApps' edge applications (PeerHVM) at `<gateway>/a/<app>/<path>`, compiled code
    /// kept in `<data-dir>/hvm`.
    #[arg(long)]
    pub apps: bool,
    /// Requests of edge applications this node runs at once (its PeerHVM instance pool).
    #[arg(long, default_value_t = NodeCaps::default().instances)]
    pub app_instances: u32,
    /// Most memory one edge application's instance may take, MiB (an app's own limit may be lower).
    #[arg(long, default_value_t = (NodeCaps::default().memory_bytes >> 20) as u32)]
    pub app_memory_mib: u32,
    /// Benchmark hook: serve the raw streaming endpoint of `bench-transport`.
    #[arg(long, hide = true)]
    pub bench_endpoint: bool,
    /// The EnReach node's JSON-RPC endpoint (`ws://...`): lets the gateway pull misses from the origins dApps
    /// registered; the edge role needs it.
    #[arg(long)]
    pub chain: Option<String>,
    /// What the node does besides serving.
    #[arg(long, value_enum, default_value_t = Role::Serve)]
    pub role: Role,
    /// The operator key file (default: `operator_key` in the data directory).
    #[arg(long)]
    pub operator_key: Option<PathBuf>,
    /// Continent the node is on (edge role): africa, antarctica, asia, europe, north-america, oceania,
    /// south-america.
    #[arg(long, value_parser = parse_continent, default_value = "europe")]
    pub continent: Continent,
    /// ISO 3166-1 alpha-2 country code of the node (edge role).
    #[arg(long, default_value = "DE")]
    pub country: String,
    /// Upload bandwidth the node offers, Mbit/s (edge role; keepers verify it).
    #[arg(long, default_value_t = 100)]
    pub bandwidth_up_mbps: u32,
    /// Download bandwidth of the node, Mbit/s (edge role).
    #[arg(long, default_value_t = 100)]
    pub bandwidth_down_mbps: u32,
    /// Peer id of a router whose `PREFETCH` requests this node takes (repeatable). A prefetch costs a
    /// download and disk, so without this flag the node prefetches for no one.
    #[arg(long = "router-peer", value_name = "PEER_ID")]
    pub router_peers: Vec<PeerId>,
    /// Address of the router's JSON-RPC server (router role).
    #[arg(long)]
    pub rpc: Option<SocketAddr>,
    /// Work score (of the last epoch) below which the router never chooses a node (router role); 0 lets
    /// nodes serve from their first epoch.
    #[arg(long, default_value_t = 0)]
    pub min_score: u64,
}

/// Runs `run` (and `publish --serve`).
pub async fn run(
    data_dir: PathBuf,
    store: Arc<ContentStore>,
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
    let mut apps = None;
    let mut transcripts = None;
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
        let receipts = Arc::new(Collector::new(
            ledger.clone(),
            chain.clone(),
            node_id,
            net.hosts(),
        ));
        let reported = Arc::new(ReportedCompute::default());
        let mut agent = Agent::new(
            chain.clone(),
            operator,
            node_id,
            ledger.clone(),
            receipts.clone(),
            store.clone(),
            reported.clone(),
        );
        // Terms are known before the first download is served.
        if let Err(e) = agent.step().await {
            tracing::warn!(%e, "first GPoW step failed; retrying");
        }
        tokio::spawn(agent.run());
        if node.apps {
            // A first call of a client asks the chain whether a dApp pays for it: without waiting for a view.
            chain.keep_view_fresh();
            let caps = NodeCaps {
                instances: node.app_instances,
                memory_bytes: u64::from(node.app_memory_mib) << 20,
                allow_private_origins: node.allow_private_origins,
                ..NodeCaps::default()
            };
            let code = CodeSource {
                chain: chain.clone(),
                network: net.clone(),
                store: store.clone(),
                metrics: metrics.clone(),
            };
            let models = StoreModels::new(code.clone(), Fetching::Discover);
            let hvm = Hvm::new(caps, &data_dir.join("hvm"))
                .context("starting PeerHVM")?
                .with_models(Arc::new(models));
            let service = AppService::new(
                Arc::new(hvm),
                code,
                receipts.clone(),
                node_id,
                node.test_wrong_answers,
            );
            tokio::spawn(service.clone().prepare_ahead());
            apps = Some(service);
            transcripts = Some(Arc::new(TranscriptAnswers(Transcripts::new(
                node_id,
                chain.clone(),
                ledger,
                reported,
            ))));
        }
        collector = Some(receipts);
    }
    if node.apps && node.role != Role::Edge {
        bail!("--apps needs --role edge: app calls are paid through the edge's receipts");
    }
    if node.role == Role::Keeper {
        let chain = chain.as_ref().context("--role keeper needs --chain")?;
        let account = operator_key(&data_dir, &node)?;
        let samples = Arc::new(
            ContentStore::open(data_dir.join("samples")).context("opening the sample store")?,
        );
        let code = CodeSource {
            chain: chain.clone(),
            network: net.clone(),
            store: samples.clone(),
            metrics: metrics.clone(),
        };
        // Keepers replay nodes' compute on a PeerHVM of their own, with the models apps name.
        let models = Arc::new(StoreModels::new(code.clone(), Fetching::Asked));
        let hvm = Hvm::new(replay_caps(), &data_dir.join("hvm"))
            .context("starting PeerHVM")?
            .with_models(models.clone());
        let replayer = Replayer {
            hvm: Arc::new(hvm),
            chain: chain.clone(),
            keeper: account.clone(),
            code,
            models,
            // A node's gateway answers a keeper itself: no redirect is followed elsewhere.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .context("building the keeper's HTTP client")?,
        };
        tokio::spawn(
            Keeper::new(
                chain.clone(),
                account,
                net.clone(),
                samples,
                metrics.clone(),
                Some(replayer),
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
        rate_limit: node.network.upload_limiter(),
        corrupt: node.corrupt,
        collector: collector.map(|c| c as Arc<dyn ReceiptCollector>),
        routed: Some(Routed::new(
            net.clone(),
            store.clone(),
            metrics.clone(),
            chain.clone(),
            node.router_peers.iter().copied().collect(),
        ) as Arc<dyn RoutedNode>),
        limits: Default::default(),
        hosts: net.hosts(),
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
    let origin_deadline = Duration::from_secs(node.origin_timeout);
    let server_limits = ServerLimits {
        request_timeout: origin_deadline + limits::PULL_SLACK,
        max_connections: node.gateway_max_connections,
        max_connections_per_ip: node.gateway_max_connections_per_ip,
        requests_per_second_per_ip: node.gateway_max_requests_per_ip,
        ..Default::default()
    };
    if let Some(addr) = node.metrics {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the metrics to {addr}"))?;
        println!(
            "{}",
            serde_json::json!({"event": "metrics", "address": listener.local_addr()?.to_string()})
        );
        let app = enreach_gateway::metrics::router(metrics.clone());
        tokio::spawn(server::serve(listener, app, server_limits.clone()));
    }
    if let Some(listener) = gateway {
        println!(
            "{}",
            serde_json::json!({"event": "gateway", "address": listener.local_addr()?.to_string()})
        );
        let mut gateway = Gateway::new(store.clone());
        if let Some(chain) = chain {
            let origin_limits = OriginLimits {
                allow_private: node.allow_private_origins,
                max_bytes: node.max_origin_bytes,
                deadline: origin_deadline,
                max_pulls: node.max_origin_pulls,
                // A URL naming this node's own listeners would make a pull wait on the node itself.
                own_addresses: [listener.local_addr().ok(), node.metrics, node.rpc]
                    .into_iter()
                    .flatten()
                    .collect(),
                ..Default::default()
            };
            let pull = OriginPull::new(chain, store.clone(), origin_limits)?
                .with_peers(net.clone(), metrics.clone());
            gateway = gateway.with_origin_pull(Arc::new(pull));
        }
        if let Some(router) = router {
            gateway = gateway.with_router(router);
        }
        if let Some(apps) = apps {
            gateway = gateway.with_apps(apps);
        }
        if let Some(transcripts) = transcripts {
            gateway = gateway.with_transcripts(transcripts);
        }
        tokio::spawn(server::serve(listener, gateway.router(), server_limits));
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
