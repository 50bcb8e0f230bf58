//! Reading a model's files into a [`Model`]: what a hostile dApp's "model" is refused for before a tensor is
//! made from it. A model is content anyone can publish and any app can name, so its configuration and
//! tensors are checked against what the Llama architecture needs (candle's loader panics on a missing or
//! misshapen weight) and against the protocol's limits: its bytes, its memory once in 32-bit floats, the
//! memory of a whole context's attention cache, the width of an attention head (the rotary tables are
//! allocated per head width for the whole context). The limits are the protocol's, not a node's: a model one
//! node refuses every node refuses, so a keeper replaying a call sees the refusal the node saw.

use std::collections::{BTreeSet, HashMap};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::llama::{Llama, LlamaConfig};
use serde::Deserialize;

use crate::{InferError, Model};

/// Bytes of every weight file of a model together: a 1B-parameter model in 16-bit floats.
pub const MAX_MODEL_BYTES: u64 = 2 << 30;

/// Bytes of a model's weights once in 32-bit floats (the form it runs in): 16-bit weights double, 8-bit ones
/// quadruple.
pub const MAX_MODEL_MEMORY: u64 = 4 << 30;

/// Longest context a model is run with: one that states more is run up to this.
pub const MAX_CONTEXT: usize = 4096;

/// Bytes of the attention cache (keys and values of every layer) of a whole [`MAX_CONTEXT`].
const MAX_CACHE_BYTES: u64 = 1 << 30;

/// Widest attention head: what published models use (64 to 256), and what keeps the rotary tables small.
const MAX_HEAD_WIDTH: usize = 256;

/// The fields of `config.json` that say which architecture it describes.
#[derive(Deserialize)]
struct Architecture {
    model_type: Option<String>,
}

/// `model.safetensors.index.json`: which shard holds each tensor.
#[derive(Deserialize)]
struct ShardIndex {
    weight_map: HashMap<String, String>,
}

const CONFIG: &str = "config.json";
const SHARD_INDEX: &str = "model.safetensors.index.json";
const SINGLE_SHARD: &str = "model.safetensors";

/// Largest configuration file or shard index read: real ones are a few kilobytes (an index lists every tensor).
const MAX_METADATA_BYTES: u64 = 4 << 20;

/// Most layers and largest dimension a configuration may state: beyond every published model, and small enough
/// that the list of expected tensors and their sizes cannot be made to overflow or fill the node's memory
/// before a weight is read.
const MAX_LAYERS: usize = 1024;
const MAX_DIMENSION: usize = 1 << 20;

pub(crate) fn load(
    mut read_file: impl FnMut(&str, u64) -> Result<Option<Vec<u8>>, std::io::Error>,
) -> Result<Model, InferError> {
    // A file over what may be read is the model's size, the same everywhere; other errors are the node's.
    let mut read = |path: &str, most: u64| {
        read_file(path, most).map_err(|e| match e.kind() {
            std::io::ErrorKind::FileTooLarge => {
                InferError::TooLarge(format!("{path} passes {most} bytes"))
            }
            _ => InferError::Io(e),
        })
    };
    let config =
        read(CONFIG, MAX_METADATA_BYTES)?.ok_or_else(|| InferError::MissingFile(CONFIG.into()))?;
    let invalid = |e: &dyn std::fmt::Display| InferError::InvalidModel(e.to_string());
    let architecture: Architecture = serde_json::from_slice(&config).map_err(|e| invalid(&e))?;
    if let Some(other) = architecture.model_type.filter(|t| t != "llama") {
        return Err(InferError::InvalidModel(format!(
            "a {other} model: this node runs llama models"
        )));
    }
    let mut config = serde_json::from_slice::<LlamaConfig>(&config)
        .map_err(|e| invalid(&e))?
        .into_config(false);
    config.max_position_embeddings = config.max_position_embeddings.min(MAX_CONTEXT);
    let expected = expected_tensors(&config)?;

    let shards = match read(SHARD_INDEX, MAX_METADATA_BYTES)? {
        Some(index) => {
            let index: ShardIndex = serde_json::from_slice(&index).map_err(|e| invalid(&e))?;
            let shards: BTreeSet<String> = index.weight_map.into_values().collect();
            if let Some(bad) = shards
                .iter()
                .find(|s| s.contains('/') || s.starts_with('.'))
            {
                return Err(InferError::InvalidModel(format!(
                    "shard {bad:?} is not a file beside the index"
                )));
            }
            shards.into_iter().collect()
        }
        None => vec![SINGLE_SHARD.to_owned()],
    };
    let mut tensors = HashMap::new();
    let mut bytes = 0u64;
    for shard in &shards {
        let left = MAX_MODEL_BYTES.saturating_sub(bytes);
        let data = read(shard, left)?.ok_or_else(|| InferError::MissingFile(shard.clone()))?;
        bytes = bytes.saturating_add(data.len() as u64);
        if bytes > MAX_MODEL_BYTES {
            return Err(InferError::TooLarge(format!(
                "weights pass {MAX_MODEL_BYTES} bytes"
            )));
        }
        // Fixed words, not candle's error text, which may carry a backtrace: what an app is told of a model
        // must be the same on every node.
        let shard_tensors = candle_core::safetensors::load_buffer(&data, &Device::Cpu)
            .map_err(|_| InferError::InvalidModel(format!("{shard} is not safetensors")))?;
        for (name, tensor) in shard_tensors {
            if tensors.insert(name.clone(), tensor).is_some() {
                return Err(InferError::InvalidModel(format!(
                    "tensor {name} is in two shards"
                )));
            }
        }
    }
    let mut weights = 0u64;
    for (name, shape) in &expected {
        let tensor = tensors
            .get(name)
            .ok_or_else(|| InferError::InvalidModel(format!("no tensor {name}")))?;
        if tensor.dims() != shape.as_slice() {
            return Err(InferError::InvalidModel(format!(
                "tensor {name} is {:?}, the configuration makes it {shape:?}",
                tensor.dims()
            )));
        }
        if !tensor.dtype().is_float() {
            return Err(InferError::InvalidModel(format!(
                "tensor {name} is not of floats"
            )));
        }
        weights += tensor.elem_count() as u64;
    }
    if weights.saturating_mul(4) > MAX_MODEL_MEMORY {
        return Err(InferError::TooLarge(format!(
            "{weights} weights pass {MAX_MODEL_MEMORY} bytes in 32-bit floats"
        )));
    }
    if config.tie_word_embeddings {
        // The output layer is the embedding again: its multiply-adds count once more.
        weights += (config.vocab_size * config.hidden_size) as u64;
    }
    tensors.retain(|name, _| expected.contains_key(name));
    let tensors: HashMap<String, Tensor> = tensors;
    let builder = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
    let llama = Llama::load(builder, &config)
        .map_err(|_| InferError::InvalidModel("the weights do not load".into()))?;
    Ok(Model {
        llama,
        config,
        weights,
    })
}

/// Every tensor of a Llama model of `config` and its shape, after checking that the configuration's
/// dimensions fit together (the attention's heads divide its width, the key-value heads divide the heads).
pub(crate) fn expected_tensors(
    config: &candle_transformers::models::llama::Config,
) -> Result<HashMap<String, Vec<usize>>, InferError> {
    let (hidden, heads, kv_heads) = (
        config.hidden_size,
        config.num_attention_heads,
        config.num_key_value_heads,
    );
    let dimensions = [
        hidden,
        heads,
        kv_heads,
        config.vocab_size,
        config.intermediate_size,
    ];
    let fits = (1..=MAX_LAYERS).contains(&config.num_hidden_layers)
        && dimensions.iter().all(|d| (1..=MAX_DIMENSION).contains(d))
        && config.max_position_embeddings > 0
        && hidden % heads == 0
        && heads % kv_heads == 0
        && (hidden / heads) % 2 == 0;
    if !fits {
        return Err(InferError::InvalidModel(
            "the configuration's dimensions do not fit together".into(),
        ));
    }
    let kv = kv_heads * (hidden / heads);
    if hidden / heads > MAX_HEAD_WIDTH {
        return Err(InferError::InvalidModel(format!(
            "attention heads of {} wide, over {MAX_HEAD_WIDTH}",
            hidden / heads
        )));
    }
    let cache = 2 * 4 * (config.num_hidden_layers * kv * config.max_position_embeddings) as u64;
    if cache > MAX_CACHE_BYTES {
        return Err(InferError::TooLarge(format!(
            "an attention cache of {cache} bytes for the whole context, over {MAX_CACHE_BYTES}"
        )));
    }
    let inter = config.intermediate_size;
    let mut expected = HashMap::from([
        (
            "model.embed_tokens.weight".to_owned(),
            vec![config.vocab_size, hidden],
        ),
        ("model.norm.weight".to_owned(), vec![hidden]),
    ]);
    if !config.tie_word_embeddings {
        expected.insert("lm_head.weight".into(), vec![config.vocab_size, hidden]);
    }
    for i in 0..config.num_hidden_layers {
        let layer = |name: &str| format!("model.layers.{i}.{name}.weight");
        for (name, shape) in [
            ("input_layernorm", vec![hidden]),
            ("post_attention_layernorm", vec![hidden]),
            ("self_attn.q_proj", vec![hidden, hidden]),
            ("self_attn.k_proj", vec![kv, hidden]),
            ("self_attn.v_proj", vec![kv, hidden]),
            ("self_attn.o_proj", vec![hidden, hidden]),
            ("mlp.gate_proj", vec![inter, hidden]),
            ("mlp.up_proj", vec![inter, hidden]),
            ("mlp.down_proj", vec![hidden, inter]),
        ] {
            expected.insert(layer(name), shape);
        }
    }
    Ok(expected)
}
