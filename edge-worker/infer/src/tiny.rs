//! A tiny Llama model made from a seed, in the layout Hugging Face publishes (a `config.json`, weights in two
//! safetensors shards and their index): what tests and the local network run, since no real model can be
//! downloaded where they run. Its tokens are bytes (a vocabulary of 256), so an app needs no tokenizer to talk
//! to it; its answers are gibberish, but the same gibberish on every node.

use std::{collections::HashMap, path::Path};

use candle_core::{Device, Tensor};
use candle_transformers::models::llama::LlamaConfig;
use rand_chacha::{
    rand_core::{RngCore, SeedableRng},
    ChaCha20Rng,
};

use crate::InferError;

/// The model's shape: small enough to generate, load and run in milliseconds.
const HIDDEN: usize = 64;
const INTERMEDIATE: usize = 128;
const LAYERS: usize = 2;
const HEADS: usize = 4;
const KV_HEADS: usize = 2;
const VOCABULARY: usize = 256;
const CONTEXT: usize = 512;

/// The end token: a NUL byte ends a generation.
pub const END: u32 = 0;

/// Writes the tiny model of `seed` into `dir` (created if need be): `config.json`,
/// `model-00001-of-00002.safetensors`, `model-00002-of-00002.safetensors` and
/// `model.safetensors.index.json`. The same seed writes the same weights.
pub fn write(dir: &Path, seed: u64) -> Result<(), InferError> {
    std::fs::create_dir_all(dir)?;
    let config = serde_json::json!({
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "vocab_size": VOCABULARY,
        "max_position_embeddings": CONTEXT,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "bos_token_id": 1,
        "eos_token_id": END,
        "tie_word_embeddings": false,
        "torch_dtype": "float32",
    });
    std::fs::write(dir.join("config.json"), pretty(&config))?;

    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    // The tensors a Llama of this configuration has, as the loader expects them, in name order (so that a seed
    // always gives each tensor the same weights).
    let llama: LlamaConfig =
        serde_json::from_value(config).map_err(|e| InferError::InvalidModel(e.to_string()))?;
    let mut shapes: Vec<(String, Vec<usize>)> =
        crate::load::expected_tensors(&llama.into_config(false))?
            .into_iter()
            .collect();
    shapes.sort();
    // Layer 0 and the embeddings in the first shard, the rest in the second: two shards, as large models have.
    let shard_of = |name: &str| {
        if name.starts_with("model.embed_tokens") || name.starts_with("model.layers.0.") {
            "model-00001-of-00002.safetensors"
        } else {
            "model-00002-of-00002.safetensors"
        }
    };
    let mut shards: HashMap<&str, HashMap<String, Tensor>> = HashMap::new();
    let mut weight_map = serde_json::Map::new();
    for (name, shape) in shapes {
        let count: usize = shape.iter().product();
        // Norms start at one, as trained models' do; other weights uniform in about ±1/sqrt(fan-in).
        let values: Vec<f32> = if shape.len() == 1 {
            vec![1.0; count]
        } else {
            let scale = 1.0 / (shape[1] as f32).sqrt();
            (0..count)
                .map(|_| (rng.next_u32() as f32 / u32::MAX as f32 * 2.0 - 1.0) * scale)
                .collect()
        };
        let tensor = Tensor::from_vec(values, shape, &Device::Cpu)
            .map_err(|e| InferError::InvalidModel(e.to_string()))?;
        let shard = shard_of(&name);
        weight_map.insert(name.clone(), shard.into());
        shards.entry(shard).or_default().insert(name, tensor);
    }
    for (shard, tensors) in shards {
        candle_core::safetensors::save(&tensors, dir.join(shard))
            .map_err(|e| InferError::InvalidModel(e.to_string()))?;
    }
    let index = serde_json::json!({ "metadata": {}, "weight_map": weight_map });
    std::fs::write(dir.join("model.safetensors.index.json"), pretty(&index))?;
    Ok(())
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).expect("a JSON value serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Model;

    fn load(dir: &Path) -> Result<Model, InferError> {
        Model::from_folder(dir)
    }

    #[test]
    fn a_tiny_model_generates_the_same_tokens_every_time_and_costs_what_its_shape_says() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 7).unwrap();
        let model = load(dir.path()).unwrap();
        let prompt = b"Hello, edge".map(u32::from);
        let first = model.generate(&prompt, 24, &|| false).unwrap();
        assert!(!first.is_empty() && first.len() <= 24);
        assert!(first.iter().all(|t| *t < 256 && *t != END));
        // Loaded again (as a keeper would), the same answer.
        assert_eq!(
            load(dir.path())
                .unwrap()
                .generate(&prompt, 24, &|| false)
                .unwrap(),
            first
        );
        // The cost: every weight (about 107 000 in this shape) once per position, attention on top.
        let weights =
            2 * VOCABULARY * HIDDEN + HIDDEN + LAYERS * (2 * HIDDEN + 2 * HIDDEN * HIDDEN);
        let weights = (weights
            + LAYERS * (2 * KV_HEADS * HIDDEN / HEADS * HIDDEN + 3 * INTERMEDIATE * HIDDEN))
            as u64;
        let positions = (prompt.len() + 24) as u64;
        let attention = 2 * (LAYERS * HIDDEN) as u64 * positions * (positions + 1) / 2;
        assert_eq!(
            model.cost(prompt.len(), 24),
            weights * positions + attention
        );
        assert_eq!(model.work(0, 10) + model.work(10, 5), model.work(0, 15));
        // Another seed is another model.
        let other = tempfile::tempdir().unwrap();
        write(other.path(), 8).unwrap();
        assert_ne!(
            load(other.path())
                .unwrap()
                .generate(&prompt, 24, &|| false)
                .unwrap(),
            first
        );
    }

    #[test]
    fn what_the_app_asks_out_of_the_models_range_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1).unwrap();
        let model = load(dir.path()).unwrap();
        for (prompt, max_new) in [(vec![], 4), (vec![256], 4), (vec![1; CONTEXT], 1)] {
            assert!(
                matches!(
                    model.generate(&prompt, max_new, &|| false),
                    Err(InferError::InvalidInput(_))
                ),
                "{} tokens",
                prompt.len()
            );
        }
    }

    #[test]
    fn a_hostile_model_is_refused_not_run() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), 1).unwrap();
        let config = dir.path().join("config.json");
        let original = std::fs::read_to_string(&config).unwrap();
        let set_all = |fields: &[(&str, serde_json::Value)]| {
            let mut json: serde_json::Value = serde_json::from_str(&original).unwrap();
            for (field, value) in fields {
                json[*field] = value.clone();
            }
            std::fs::write(&config, json.to_string()).unwrap();
        };
        let set = |field: &str, value: serde_json::Value| set_all(&[(field, value)]);
        // A configuration whose shapes the weights do not have (candle's own loader panics on it).
        set("intermediate_size", 96.into());
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        // Billions of layers: refused before a list of their tensors is made.
        set("num_hidden_layers", 1_000_000_000u64.into());
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        set("model_type", "gpt2".into());
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        // Dimensions that do not divide.
        set("num_attention_heads", 3.into());
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        std::fs::write(&config, &original).unwrap();
        // A shard named outside the model's folder.
        let index = dir.path().join("model.safetensors.index.json");
        let listed = std::fs::read_to_string(&index).unwrap();
        std::fs::write(&index, listed.replace("model-00002", "../model-00002")).unwrap();
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        std::fs::write(&index, &listed).unwrap();
        // A model whose attention heads are a million wide (its rotary tables alone would take gigabytes), or
        // without layers.
        set_all(&[
            ("hidden_size", (1u64 << 20).into()),
            ("num_attention_heads", 1.into()),
            ("num_key_value_heads", 1.into()),
        ]);
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        set("num_hidden_layers", 0.into());
        assert!(matches!(load(dir.path()), Err(InferError::InvalidModel(_))));
        std::fs::write(&config, &original).unwrap();
        // A configuration file over what is read of one.
        std::fs::write(&config, vec![b' '; 5 << 20]).unwrap();
        assert!(matches!(load(dir.path()), Err(InferError::TooLarge(_))));
        std::fs::write(&config, &original).unwrap();
        // A generation stopped by its caller.
        let model = load(dir.path()).unwrap();
        assert!(matches!(
            model.generate(&[1, 2], 8, &|| true),
            Err(InferError::Stopped)
        ));
        // A missing shard.
        std::fs::remove_file(dir.path().join("model-00002-of-00002.safetensors")).unwrap();
        assert!(matches!(load(dir.path()), Err(InferError::MissingFile(_))));
        assert!(load(dir.path()).is_err());
    }
}
