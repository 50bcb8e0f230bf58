//! `edge-worker key`: creates the node's missing keys or shows the existing ones, and the client key.

use std::path::Path;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use edge_worker::keys;

// The arguments of `key` (its help text is the `Command::Key` doc comment).
#[derive(Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub action: KeyAction,
}

#[derive(Subcommand)]
pub enum KeyAction {
    /// Creates whichever of the two keys is missing (files of mode 0600 in the data directory); prints both
    /// public identities.
    Generate,
    /// Prints the public identities of the existing keys.
    Inspect,
    /// Creates the client key (`client_key`, 0600) if missing and prints its public key, which a dApp
    /// authorizes with `dapp authorize-client`.
    Client,
}

/// Creates missing keys or shows the existing ones.
pub fn run(data_dir: &Path, action: KeyAction) -> anyhow::Result<()> {
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
fn node_identity(data_dir: &Path, create: bool) -> anyhow::Result<serde_json::Value> {
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
