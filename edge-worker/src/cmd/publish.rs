//! `edge-worker publish`: adds a file to the store and prints its content id, or a folder as a collection (each
//! file, and the manifest naming them) and prints the collection's id; with `--serve`, then serves like `run`.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::Args;
use enreach_dts::{collection, metrics::Metrics, store::ContentStore};

use super::run::NodeArgs;

// The arguments of `publish` (its help text is the `Command::Publish` doc comment).
#[derive(Args)]
pub struct PublishArgs {
    /// The file, or a folder to publish as a collection (an AI model's repository, say).
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
    let id = if args.file.is_dir() {
        let imported = collection::import_dir(&store, &args.file)
            .with_context(|| format!("importing {}", args.file.display()))?;
        eprintln!(
            "published {} files as collection {}",
            imported.collection.files().len(),
            imported.id
        );
        imported.id
    } else {
        store
            .import(&args.file)
            .with_context(|| format!("importing {}", args.file.display()))?
    };
    println!("{}", id.to_hex());
    if args.serve {
        super::run::run(data_dir, store, metrics, args.node).await?;
    }
    Ok(())
}
