//! Extrinsic builders for `enreach-node benchmark extrinsic` and the inherent data benchmarks need.

use std::{sync::Arc, time::Duration};

use enreach_runtime::{AccountId, Balance, BalancesCall, RuntimeCall, SystemCall};
use sc_cli::Result;
use sc_client_api::BlockBackend;
use sp_blockchain::HeaderBackend;
use sp_inherents::{InherentData, InherentDataProvider};
use sp_keyring::Sr25519Keyring;
use sp_runtime::OpaqueExtrinsic;

use crate::{
    service::FullClient,
    transaction::{sign, SigningContext},
};

/// Signs benchmark calls as Bob against the client's current chain.
struct BenchmarkSigner {
    client: Arc<FullClient>,
}

impl BenchmarkSigner {
    fn build(
        &self,
        call: RuntimeCall,
        nonce: u32,
    ) -> std::result::Result<OpaqueExtrinsic, &'static str> {
        let genesis_hash = self
            .client
            .block_hash(0)
            .ok()
            .flatten()
            .ok_or("genesis block is missing")?;
        let info = self.client.info();
        let ctx = SigningContext {
            genesis_hash,
            checkpoint: (info.best_hash, info.best_number),
        };
        Ok(sign(&Sr25519Keyring::Bob.pair(), call, nonce, ctx).into())
    }
}

/// Builds `system.remark` with an empty remark: the cheapest possible signed extrinsic.
pub struct RemarkBuilder(BenchmarkSigner);

impl RemarkBuilder {
    /// A builder signing against `client`'s chain.
    pub fn new(client: Arc<FullClient>) -> Self {
        Self(BenchmarkSigner { client })
    }
}

impl frame_benchmarking_cli::ExtrinsicBuilder for RemarkBuilder {
    fn pallet(&self) -> &str {
        "system"
    }

    fn extrinsic(&self) -> &str {
        "remark"
    }

    fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
        self.0
            .build(SystemCall::remark { remark: vec![] }.into(), nonce)
    }
}

/// Builds `balances.transfer_keep_alive` of `value` to `dest`.
pub struct TransferKeepAliveBuilder {
    signer: BenchmarkSigner,
    dest: AccountId,
    value: Balance,
}

impl TransferKeepAliveBuilder {
    /// A builder signing against `client`'s chain.
    pub fn new(client: Arc<FullClient>, dest: AccountId, value: Balance) -> Self {
        Self {
            signer: BenchmarkSigner { client },
            dest,
            value,
        }
    }
}

impl frame_benchmarking_cli::ExtrinsicBuilder for TransferKeepAliveBuilder {
    fn pallet(&self) -> &str {
        "balances"
    }

    fn extrinsic(&self) -> &str {
        "transfer_keep_alive"
    }

    fn build(&self, nonce: u32) -> std::result::Result<OpaqueExtrinsic, &'static str> {
        let call = BalancesCall::transfer_keep_alive {
            dest: self.dest.clone().into(),
            value: self.value,
        };
        self.signer.build(call.into(), nonce)
    }
}

/// Inherent data for a benchmark block: a timestamp.
pub fn inherent_benchmark_data() -> Result<InherentData> {
    let mut inherent_data = InherentData::new();
    let timestamp = sp_timestamp::InherentDataProvider::new(Duration::from_millis(0).into());
    futures::executor::block_on(timestamp.provide_inherent_data(&mut inherent_data))
        .map_err(|e| format!("creating inherent data: {e:?}"))?;
    Ok(inherent_data)
}
