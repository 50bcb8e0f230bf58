//! The node's JSON-RPC extensions beyond Substrate's built-in `system`, `author`, `chain` and `state`:
//! account nonces (`system_accountNextIndex`, `system_dryRun`), fee queries (`payment_queryInfo`) and the
//! trust layer ([`trust`]: `edgeNodes_*`, `gpow_*`; [`economy`]: `gpos_*`, `settlement_*`).

mod assignments;
pub mod economy;
pub mod trust;

use std::sync::Arc;

use enreach_runtime::{opaque::Block, AccountId, Balance, BlockNumber, Nonce};
use jsonrpsee::{
    types::{error::ErrorObjectOwned, ErrorCode},
    RpcModule,
};
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
    C::Api: pallet_gpos::runtime_api::GposApi<Block, AccountId, Balance>,
    C::Api: pallet_settlement::runtime_api::SettlementApi<Block, AccountId, Balance>,
    P: TransactionPool + 'static,
{
    use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
    use substrate_frame_rpc_system::{System, SystemApiServer};

    let mut module = RpcModule::new(());
    let FullDeps { client, pool } = deps;
    module.merge(System::new(client.clone(), pool).into_rpc())?;
    module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
    module.merge(trust::TrustApiServer::into_rpc(Queries::new(
        client.clone(),
    )))?;
    module.merge(economy::EconomyApiServer::into_rpc(Queries::new(client)))?;
    Ok(module)
}

/// Serves the trust-layer and economy RPC methods by calling runtime APIs at the best block.
pub struct Queries<C> {
    client: Arc<C>,
    /// `gpow_assignedNodes`' answers, too costly to compute per call.
    assignments: assignments::AssignmentCache,
}

impl<C> Queries<C> {
    /// Serves queries against `client`'s best block.
    pub fn new(client: Arc<C>) -> Self {
        Self {
            client,
            assignments: Default::default(),
        }
    }
}

impl<C: ProvideRuntimeApi<Block> + HeaderBackend<Block>> Queries<C> {
    /// The runtime API and the best block to call it at.
    fn at_best(
        &self,
    ) -> (
        sp_api::ApiRef<'_, C::Api>,
        <Block as sp_runtime::traits::Block>::Hash,
    ) {
        (self.client.runtime_api(), self.client.info().best_hash)
    }
}

/// A JSON-RPC "invalid params" error with `message`.
fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(ErrorCode::InvalidParams.code(), message.into(), None::<()>)
}

/// A failed runtime API call as a JSON-RPC internal error.
fn runtime_error(error: sp_api::ApiError) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        ErrorCode::InternalError.code(),
        format!("runtime API call failed: {error}"),
        None::<()>,
    )
}
