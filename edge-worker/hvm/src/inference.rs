//! `enreach:ai/inference` (`wit/inference.wit`): an app asks a model the node holds to continue a prompt.
//!
//! The model runs natively in the node ([`enreach_infer`]), outside the app's sandbox and fuel meter, so the
//! call is billed by its work instead: one compute unit per multiply-add, taken from the request's fuel, the
//! same on every node because it follows from the model's shape and the tokens alone. Greedy generation makes
//! the answer the same on a keeper's replay. What differs between nodes (whether one holds the model yet, its
//! size limit) is not part of the answer: a call that met it marks the execution as having seen the node's own
//! state, and the node fetches the model and runs the request again ([`crate::Hvm::invoke`]).

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use enreach_infer::{InferError, Model, MAX_CONTEXT};
use wasmtime::{component::Linker, StoreContextMut, Trap};

use crate::sandbox::Sandbox;

/// The interface as apps import it.
const INFERENCE: &str = "enreach:ai/inference@0.1.0";

/// Models one request may find missing and have the node fetch before running it again: an app naming many
/// models in one request does not make the node fetch them all.
pub const MAX_MISSING_MODELS: usize = 2;

/// What the node has of a model.
#[derive(Clone)]
pub enum Held {
    /// Loaded and ready.
    Ready(Arc<Model>),
    /// Not on this node (yet), or over its limits: the node's own state, which a replay elsewhere may not share.
    Unavailable(String),
    /// The content is not a model any node runs (a malformed configuration, misshapen weights): the same on
    /// every node.
    Invalid(String),
}

impl From<Result<Model, InferError>> for Held {
    /// A model loaded from files the node holds in full: what is wrong with them is the model's (the same on
    /// every node: the limits are the protocol's), except the node's own input and output.
    fn from(loaded: Result<Model, InferError>) -> Self {
        match loaded {
            Ok(model) => Held::Ready(Arc::new(model)),
            Err(e @ (InferError::Io(_) | InferError::Stopped)) => Held::Unavailable(e.to_string()),
            Err(e) => Held::Invalid(e.to_string()),
        }
    }
}

/// Where PeerHVM finds the models apps name: the node's store, and PeerDTS to fetch one it lacks.
pub trait Models: Send + Sync + 'static {
    /// The model of collection `id` as the node holds it (blocking: it may read and parse the model's files).
    fn held(&self, id: &[u8; 32]) -> Held;

    /// Fetches the model of collection `id` so that [`Self::held`] finds it; an error says why it could not.
    fn fetch(&self, id: [u8; 32]) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;
}

/// Links `enreach:ai/inference` for the apps of `linker`.
pub fn link(linker: &mut Linker<Sandbox>) -> wasmtime::Result<()> {
    linker.instance(INFERENCE)?.func_wrap_async(
        "generate",
        |mut store: StoreContextMut<'_, Sandbox>,
         (model, prompt, max_new): (String, Vec<u32>, u32)| {
            Box::new(async move {
                generate(&mut store, &model, prompt, max_new)
                    .await
                    .map(|answer| (answer,))
            })
        },
    )
}

async fn generate(
    store: &mut StoreContextMut<'_, Sandbox>,
    model: &str,
    prompt: Vec<u32>,
    max_new: u32,
) -> wasmtime::Result<Result<Vec<u32>, String>> {
    let Some(id) = parse_id(model) else {
        return Ok(Err(
            "a model is named by its collection id: 64 hex digits".into()
        ));
    };
    let Some(models) = store.data().models() else {
        return Ok(Err("this node runs no models".into()));
    };
    // What can be refused without the model is, before the node loads one for the call.
    if prompt.is_empty() || prompt.len() + max_new as usize > MAX_CONTEXT {
        return Ok(Err(format!(
            "{} prompt and {max_new} new tokens: a model takes 1 to {MAX_CONTEXT} together",
            prompt.len()
        )));
    }
    // A panicked task's error names the task, which differs between nodes: the app's trap says only this.
    let task_failed = |_| wasmtime::Error::msg("the node's model task failed");
    let held = tokio::task::spawn_blocking(move || models.held(&id)).await;
    let model = match held.map_err(task_failed)? {
        Held::Ready(model) => model,
        Held::Invalid(reason) => return Ok(Err(format!("not a model: {reason}"))),
        Held::Unavailable(reason) => {
            store.data_mut().model_missing(id);
            return Ok(Err(format!("this node cannot run the model now: {reason}")));
        }
    };
    if prompt.is_empty() || prompt.len() + max_new as usize > model.context() {
        return Ok(Err(format!(
            "{} prompt and {max_new} new tokens: the model takes 1 to {} together",
            prompt.len(),
            model.context()
        )));
    }
    // Paid before the model runs (its work is not interrupted), for every token asked.
    let fuel = store.get_fuel()?;
    let cost = model.cost(prompt.len(), max_new);
    if cost > fuel {
        store.set_fuel(0)?;
        return Err(Trap::OutOfFuel.into());
    }
    store.set_fuel(fuel - cost)?;
    store.data_mut().model_used();
    // A request stopped meanwhile (its wall time, the node refusing its answer) drops this future: the flag
    // then stops the generation at its next position instead of leaving it to run on a blocking thread.
    let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
    let stopped = stop.0.clone();
    let generated = tokio::task::spawn_blocking(move || {
        model.generate(&prompt, max_new, &|| stopped.load(Ordering::Relaxed))
    })
    .await
    .map_err(task_failed)?;
    Ok(generated.map_err(|e| e.to_string()))
}

/// Sets its flag when dropped.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A collection id from its 64 hex digits (one spelling per id: no sign, no other characters).
fn parse_id(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut id = [0u8; 32];
    for (byte, pair) in id.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_named_by_64_hex_digits() {
        let hex = "00ff".repeat(16);
        assert_eq!(parse_id(&hex).unwrap()[..2], [0x00, 0xff]);
        let signed = format!("+f{}", "0".repeat(62));
        for bad in [
            "",
            "00ff",
            &"zz".repeat(32),
            &"0".repeat(65),
            &"é".repeat(32),
            &signed,
        ] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }
}
