//! The node's JSON-RPC extensions beyond Substrate's built-in `system`, `author`, `chain` and `state`:
//! account nonces (`system_accountNextIndex`, `system_dryRun`), fee queries (`payment_queryInfo`) and the
//! trust layer ([`trust`]: `edgeNodes_*`, `gpow_*`).

pub mod trust;

use std::sync::Arc;

use enreach_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use jsonrpsee::RpcModule;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC handlers need from the node.
pub struct FullDeps<C, P> {
    /// The client, for runtime API calls.
    pub client: Arc<C>,
    /// The transaction pool, for nonces that count pending transactions.
    pub pool: Arc<P>,
}

/// All RPC extensions, merged into one module.
pub fn create_full<C, P>(
    deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
    C: ProvideRuntimeApi<Block>
        + HeaderBackend<Block>
        + HeaderMetadata<Block, Error = BlockChainError>
        + Send
        + Sync
        + 'static,
    C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
    C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
    C::Api: BlockBuilder<Block>,
    C::Api: pallet_edge_nodes::runtime_api::EdgeNodesApi<Block, AccountId, Balance, BlockNumber>,
    C::Api: pallet_gpow::runtime_api::GpowApi<Block, AccountId, BlockNumber>,
    P: TransactionPool + 'static,
{
    use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
    use substrate_frame_rpc_system::{System, SystemApiServer};

    let mut module = RpcModule::new(());
    let FullDeps { client, pool } = deps;
    module.merge(System::new(client.clone(), pool).into_rpc())?;
    module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
    module.merge(trust::TrustApiServer::into_rpc(trust::Trust::new(client)))?;
    Ok(module)
}
