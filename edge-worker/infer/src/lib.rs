//! What a node runs when a PeerHVM app asks one of the models it holds to continue a sequence of tokens.
//!
//! A model is a folder in Hugging Face's layout (a `config.json` and `model.safetensors`, or shards listed by
//! `model.safetensors.index.json`), as a dApp publishes it as a collection: the same files a Python client loads.
//! It runs on the CPU with candle (Hugging Face's Rust tensor library) and its Llama implementation, the
//! architecture most open models share.
//!
//! A keeper replays a sampled request and must get the same answer, so generation is greedy (the most likely
//! token each step, the lowest id on a tie): no sampling, no randomness, no temperature. What it costs is a
//! function of the model's shape and the tokens alone ([`Model::work`]), never of the machine's speed. Tokens in
//! and tokens out: tokenizing is the app's business, inside its own metered sandbox.

mod load;
pub mod tiny;

use candle_core::{DType, Device, Tensor};
use candle_transformers::models::llama::{Cache, Config, Llama, LlamaEosToks};

pub use load::{MAX_CONTEXT, MAX_MODEL_BYTES, MAX_MODEL_MEMORY};

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum InferError {
    /// A file the layout needs is not in the model.
    #[error("the model has no {0}")]
    MissingFile(String),
    /// The files are there but do not make a model this node runs.
    #[error("not a runnable model: {0}")]
    InvalidModel(String),
    /// The model is larger than the node's limit.
    #[error("model over the node's limit: {0}")]
    TooLarge(String),
    /// What the app asked for is out of the model's range (a token id, a context too long, an empty prompt).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The caller stopped the generation (its request ended).
    #[error("stopped")]
    Stopped,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A loaded model, ready to generate.
pub struct Model {
    llama: Llama,
    config: Config,
    /// Parameters in the model: the multiply-adds of one token through every weight.
    weights: u64,
}

impl Model {
    /// Loads a model whose files `read(path, most_bytes)` returns by path within the model (`config.json`, the
    /// shards; `None` if it has no such file, an error of kind `FileTooLarge` if the file is over
    /// `most_bytes`), after checking it against the protocol's limits (the `load` module says what a hostile
    /// model is refused for).
    pub fn load(
        read: impl FnMut(&str, u64) -> Result<Option<Vec<u8>>, std::io::Error>,
    ) -> Result<Self, InferError> {
        load::load(read)
    }

    /// Loads the model in folder `dir` (as [`Self::load`]).
    pub fn from_folder(dir: &std::path::Path) -> Result<Self, InferError> {
        Self::load(|path, most| {
            let path = dir.join(path);
            match std::fs::metadata(&path) {
                Ok(m) if m.len() > most => Err(std::io::ErrorKind::FileTooLarge.into()),
                Ok(_) => std::fs::read(path).map(Some),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// The number of tokens the model knows (every token id is below it).
    pub fn vocabulary(&self) -> u32 {
        self.config.vocab_size as u32
    }

    /// The longest sequence (prompt and generated tokens together) the model runs.
    pub fn context(&self) -> usize {
        self.config.max_position_embeddings
    }

    /// What running `tokens` positions starting at position `from` costs, in multiply-adds: every weight once
    /// per token, and attention over every earlier position.
    pub fn work(&self, from: usize, tokens: usize) -> u64 {
        let per_position =
            2 * self.config.num_hidden_layers as u64 * self.config.hidden_size as u64;
        // Attention at position p reads p + 1 positions: the sum over from..from + tokens.
        let (a, b) = (from as u64, (from + tokens) as u64);
        let attended = (b * (b + 1) - a * (a + 1)) / 2;
        (tokens as u64)
            .saturating_mul(self.weights)
            .saturating_add(attended.saturating_mul(per_position))
    }

    /// What a generation of up to `max_new` tokens after `prompt` tokens is billed: the [`Self::work`] of every
    /// position it may run, whether or not it stops early at the end token. Known before the model runs (an app
    /// pays before the work is done, which no fuel check interrupts) and the same on every machine, so a
    /// keeper's replay given the units the node billed runs it too.
    pub fn cost(&self, prompt: usize, max_new: u32) -> u64 {
        self.work(0, prompt + max_new as usize)
    }

    /// Continues `prompt` by up to `max_new` tokens, greedily, stopping early at the model's end token (not
    /// returned), or with [`InferError::Stopped`] once `stop` says so (checked before every position).
    ///
    /// Positions run one at a time, the prompt's too: the memory a step takes is one position's whatever the
    /// prompt's length, and every node adds up the same numbers in the same order for a given model and
    /// prompt.
    pub fn generate(
        &self,
        prompt: &[u32],
        max_new: u32,
        stop: &dyn Fn() -> bool,
    ) -> Result<Vec<u32>, InferError> {
        if prompt.is_empty() {
            return Err(InferError::InvalidInput("an empty prompt".into()));
        }
        if let Some(bad) = prompt.iter().find(|t| **t >= self.vocabulary()) {
            return Err(InferError::InvalidInput(format!(
                "token {bad} is not below the vocabulary of {}",
                self.vocabulary()
            )));
        }
        if prompt.len() + max_new as usize > self.context() {
            return Err(InferError::InvalidInput(format!(
                "{} prompt and {max_new} new tokens pass the model's context of {}",
                prompt.len(),
                self.context()
            )));
        }
        if max_new == 0 {
            return Ok(Vec::new());
        }
        let device = Device::Cpu;
        // candle's error text may carry a backtrace: the answer an app sees must be the same on every node.
        let failed = |_| InferError::InvalidModel("the model failed to run".into());
        let mut cache = Cache::new(true, DType::F32, &self.config, &device).map_err(failed)?;
        let mut step = |token: u32, position: usize| {
            if stop() {
                return Err(InferError::Stopped);
            }
            Tensor::new(&[[token]], &device)
                .and_then(|x| self.llama.forward(&x, position, &mut cache))
                .and_then(|l| l.squeeze(0))
                .and_then(|l| l.to_vec1::<f32>())
                .map_err(failed)
        };
        let mut logits = Vec::new();
        for (position, token) in prompt.iter().enumerate() {
            logits = step(*token, position)?;
        }
        let mut generated = Vec::new();
        loop {
            let next = greedy(&logits);
            if self.is_end(next) {
                break;
            }
            generated.push(next);
            if generated.len() == max_new as usize {
                break;
            }
            logits = step(next, prompt.len() + generated.len() - 1)?;
        }
        Ok(generated)
    }

    fn is_end(&self, token: u32) -> bool {
        match &self.config.eos_token_id {
            Some(LlamaEosToks::Single(end)) => token == *end,
            Some(LlamaEosToks::Multiple(ends)) => ends.contains(&token),
            None => false,
        }
    }
}

/// The most likely token: the lowest id among equal logits, a NaN never chosen, so that two nodes computing
/// the same logits choose the same token.
fn greedy(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, logit) in logits.iter().enumerate() {
        if logit > &logits[best] || logits[best].is_nan() && !logit.is_nan() {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_lowest_of_equal_logits_and_never_a_nan() {
        assert_eq!(greedy(&[0.5, 2.0, 2.0, 1.0]), 1);
        assert_eq!(greedy(&[f32::NAN, -1.0, f32::NAN, 3.0]), 3);
        assert_eq!(greedy(&[f32::NAN, -1.0]), 1);
    }
}
