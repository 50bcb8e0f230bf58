//! The hidden benchmark baselines `scripts/bench/dts` compares PeerDTS against: streaming stored content over
//! the bare transport (`bench-transport`) and one core's cost of verifying a file (`bench-verify`).

use std::path::{Path, PathBuf};

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
