//! An edge's registration at start: the operator key, what the machine offers (measured and claimed) and where
//! it is reached, kept true in the chain's registry (`enreach_edge_chain::registration`).

use std::{net::SocketAddr, path::Path, time::Duration};

use anyhow::Context;
use edge_worker::keys;
use enreach_dts::network::Network;
use enreach_edge_chain::{
    capabilities::{self, Claims},
    gateway_endpoint, registration, Chain,
};
use enreach_primitives::{Region, SoftwareVersion};

use super::run::NodeArgs;

/// The operator account key `--operator-key` names (default: `operator_key` in the data directory).
pub fn operator_key(
    data_dir: &Path,
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
pub async fn register(
    data_dir: &Path,
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
        hvm: node
            .apps
            .then_some(enreach_hvm::RUNTIME_VERSION)
            .map(|[major, minor, patch]| SoftwareVersion {
                major,
                minor,
                patch,
            }),
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
