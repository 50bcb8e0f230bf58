//! `edge-worker dapp`: what a dApp does on chain (open its account, publish content, authorize and revoke
//! client keys), signed with the dApp's account.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use enreach_dts::collection::{self, CollectionFailure};
use enreach_edge_chain::{Chain, Wait};

// The arguments of `dapp` (its help text is the `Command::Dapp` doc comment).
#[derive(Args)]
pub struct DappArgs {
    /// The node's JSON-RPC endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:9944")]
    pub chain: String,
    /// The dApp account's secret URI: a mnemonic or seed with optional derivation path (`//Alice` on
    /// dev chains).
    #[arg(long, env = "ENREACH_DAPP_SURI", hide_env_values = true)]
    pub account: String,
    #[command(subcommand)]
    pub action: DappAction,
}

#[derive(Subcommand)]
pub enum DappAction {
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
    /// Publishes a file's content id and size for storage and delivery, or a folder as a collection (its
    /// manifest and the files not published yet, in one call); prints the content or collection id.
    Publish {
        /// The file or folder (hashed locally; its bytes are not uploaded anywhere).
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

/// Runs a `dapp` command.
pub async fn run(args: DappArgs) -> anyhow::Result<()> {
    dapp(&args.chain, &args.account, args.action).await
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
            if file.is_dir() {
                if origin.is_some() {
                    bail!("--origin names one content; a collection's files have no origin yet");
                }
                let collection = collection::describe_dir(&file, |path| {
                    hash_file(path).map_err(|e| CollectionFailure::Read(path.into(), e))
                })?;
                let manifest = collection.to_manifest();
                let id = blake3::hash(&manifest);
                let files: Vec<([u8; 32], u64)> = collection
                    .files()
                    .iter()
                    .map(|f| (f.content.0, f.size))
                    .collect();
                chain
                    .submit(
                        &signer,
                        (
                            "Settlement",
                            "publish_collection",
                            (
                                *id.as_bytes(),
                                manifest.len() as u64,
                                files,
                                replicas,
                                max_price,
                            ),
                        ),
                        Wait::Finalized,
                    )
                    .await?;
                println!("{}", id.to_hex());
                return Ok(());
            }
            let (id, size) =
                hash_file(&file).with_context(|| format!("reading {}", file.display()))?;
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

/// The content id of the file at `path` (the BLAKE3 hash of its bytes) and how many bytes it hashed.
fn hash_file(path: &std::path::Path) -> std::io::Result<(blake3::Hash, u64)> {
    let mut hasher = blake3::Hasher::new();
    let size = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((hasher.finalize(), size))
}
