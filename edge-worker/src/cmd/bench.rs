//! The hidden benchmark baselines `scripts/bench/dts` compares PeerDTS against: streaming stored content over
//! the bare transport (`bench-transport`) and one core's cost of verifying a file (`bench-verify`); and the
//! HTTP load generator of `scripts/bench/hvm` (`bench-http`), which pays for app calls as a client does, so an
//! edge's figures include metering and receipts.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::Context;
use clap::Args;
use edge_worker::keys;
use enreach_dts::{bench, network::Network};

use super::{network_config, parse_id, NetArgs};

// The arguments of `bench-transport`.
#[derive(Args)]
pub struct TransportArgs {
    /// The content id (hex BLAKE3 root).
    pub id: String,
    #[command(flatten)]
    pub network: NetArgs,
}

// The arguments of `bench-verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The file.
    pub file: PathBuf,
}

/// Runs `bench-verify`.
pub fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let seconds = bench::verify_cost(&args.file)?;
    println!(
        "{}",
        serde_json::json!({"event": "verify_cost", "seconds": seconds})
    );
    Ok(())
}

/// Runs `bench-transport`.
pub async fn transport(data_dir: &Path, args: TransportArgs) -> anyhow::Result<()> {
    let TransportArgs { id, network } = args;
    let id = parse_id(&id)?;
    let keypair = keys::load_or_create(&data_dir.join("node_key"))?;
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
    Ok(())
}

// The arguments of `bench-http`.
#[derive(Args)]
pub struct HttpArgs {
    /// The URL every request asks for.
    pub url: String,
    /// Call it as an app: a session per connection, paid with compute receipts signed by the client key.
    #[arg(long)]
    pub paid: bool,
    /// Connections, each sending its next request when the previous answer is in.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// How long to send.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

/// Runs `bench-http`: prints requests per second and latency percentiles of the 200 answers, and what the
/// others were (status or error) with their counts.
pub async fn http(data_dir: &Path, args: HttpArgs) -> anyhow::Result<()> {
    let key = if args.paid {
        Some(keys::load_or_create_client(&data_dir.join("client_key"))?)
    } else {
        None
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let until = std::time::Instant::now() + std::time::Duration::from_secs(args.seconds);
    let workers: Vec<_> = (0..args.connections)
        .map(|_| {
            let mut caller =
                super::app::Caller::new(http.clone(), args.url.clone(), key.clone(), None);
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), BTreeMap::<String, u64>::new());
                while std::time::Instant::now() < until {
                    let started = std::time::Instant::now();
                    match caller.call(&reqwest::Method::GET, None).await {
                        Ok(answer) if answer.status == 200 => latencies.push(started.elapsed()),
                        Ok(answer) => *failed.entry(answer.status.to_string()).or_default() += 1,
                        Err(e) => *failed.entry(format!("{e:#}")).or_default() += 1,
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    let (mut latencies, mut failures) = (Vec::new(), BTreeMap::<String, u64>::new());
    for worker in workers {
        let (l, f) = worker.await?;
        latencies.extend(l);
        for (why, count) in f {
            *failures.entry(why).or_default() += count;
        }
    }
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * p) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    println!(
        "{}",
        serde_json::json!({
            "event": "http_bench",
            "requests": latencies.len(),
            "failed": failures.values().sum::<u64>(),
            "failures": failures,
            "rps": latencies.len() as f64 / args.seconds as f64,
            "p50_us": percentile(0.5),
            "p99_us": percentile(0.99),
        })
    );
    Ok(())
}
