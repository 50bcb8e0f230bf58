//! The chain specifications built into the binary, from the runtime's genesis presets.

use enreach_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};

/// A chain spec without node-side extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol and decimals, for wallets such as polkadot.js apps.
fn token_properties() -> Properties {
    let mut p = Properties::new();
    p.insert("tokenSymbol".into(), "ENR".into());
    p.insert("tokenDecimals".into(), 12.into());
    p.insert("ss58Format".into(), 42.into());
    p
}

/// A chain spec from runtime preset `preset`.
fn from_preset(
    name: &str,
    id: &str,
    chain_type: ChainType,
    preset: &str,
) -> Result<ChainSpec, String> {
    let wasm =
        WASM_BINARY.ok_or_else(|| "the node was built without its wasm runtime".to_string())?;
    Ok(ChainSpec::builder(wasm, None)
        .with_name(name)
        .with_id(id)
        .with_chain_type(chain_type)
        .with_properties(token_properties())
        .with_genesis_config_preset_name(preset)
        .build())
}

/// `--chain dev`: Alice authors and finalizes alone.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
    from_preset(
        "EnReach Development",
        "enreach_dev",
        ChainType::Development,
        sp_genesis_builder::DEV_RUNTIME_PRESET,
    )
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
    from_preset(
        "EnReach Local Testnet",
        "enreach_local",
        ChainType::Local,
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
    )
}
