//! `tiny-model`: a model to try edge inference with where none can be downloaded (a local network, a test).

use std::path::PathBuf;

use clap::Args;

#[derive(Args)]
pub struct TinyModelArgs {
    /// The folder to write it to (created if need be).
    pub dir: PathBuf,
    /// The seed of its weights: the same seed writes the same model.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Writes the tiny model ([`enreach_infer::tiny`]): publish the folder and name its collection id to an app.
pub fn run(args: TinyModelArgs) -> anyhow::Result<()> {
    enreach_infer::tiny::write(&args.dir, args.seed)?;
    println!(
        "{}",
        serde_json::json!({"event": "tiny_model", "dir": args.dir.display().to_string(), "seed": args.seed})
    );
    Ok(())
}
