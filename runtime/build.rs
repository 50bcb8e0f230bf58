//! Builds the wasm runtime blob that the node embeds as its genesis code.

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
    substrate_wasm_builder::WasmBuilder::init_with_defaults()
        .enable_metadata_hash("ENR", 12)
        .build();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
    substrate_wasm_builder::WasmBuilder::build_using_defaults();
}

/// The wasm build of this crate does not build itself again.
#[cfg(not(feature = "std"))]
fn main() {}
