//! `edge-worker publish`: adds a file to the store and prints its content id; with `--serve`, then serves like
//! `run`.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::Args;
use enreach_dts::{metrics::Metrics, store::ContentStore};

use super::run::NodeArgs;

// The arguments of `publish` (its help text is the `Command::Publish` doc comment).
#[derive(Args)]
pub struct PublishArgs {
    /// The file.
    pub file: PathBuf,
    /// Keep running and serve the store.
    #[arg(long)]
    pub serve: bool,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// Runs `publish`.
pub async fn run(
    data_dir: PathBuf,
    store: Arc<ContentStore>,
    metrics: Arc<Metrics>,
    args: PublishArgs,
) -> anyhow::Result<()> {
    let id = store
        .import(&args.file)
        .with_context(|| format!("importing {}", args.file.display()))?;
    println!("{}", id.to_hex());
    if args.serve {
        super::run::run(data_dir, store, metrics, args.node).await?;
    }
    Ok(())
}
