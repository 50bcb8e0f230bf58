//! JSON-RPC for dApp developers, operators and stakers over the economy: `gpos_*` (eras, stake limits,
//! effective stake, staking rewards) and `settlement_*` (dApp balances, debt and usage, node earnings,
//! prices). Balances are decimal strings in the smallest unit (they may exceed 2^53); shares are parts per
//! billion.

use enreach_primitives::EpochIndex;
use enreach_runtime::{opaque::Block, AccountId, Balance};
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use pallet_gpos::runtime_api::GposApi;
use pallet_settlement::runtime_api::SettlementApi;
use serde::Serialize;
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;

use super::{runtime_error, Queries};

/// A keeper's stake, as `gpos_keeperStake` returns it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeeperStake {
    /// Own bond.
    pub bonded: String,
    /// Sum of guarantees backing it.
    pub guaranteed: String,
    /// Stake limit from the verified work it oversaw.
    pub stake_limit: String,
    /// `min(bonded + guaranteed, stakeLimit)` if an era started now.
    pub effective_stake: String,
    /// Effective stake fixed for the current era.
    pub era_effective_stake: String,
}

/// A dApp account, as `settlement_dappAccount` returns it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DappAccount {
    /// Prepaid funds.
    pub balance: String,
    /// Unpaid charges.
    pub debt: String,
    /// Whether its clients are paused (in debt).
    pub paused: bool,
    /// Authorized client keys.
    pub clients: u32,
    /// Published contents.
    pub contents: u32,
}

/// A dApp's usage in an epoch, as `settlement_usage` returns it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    /// Verified bytes delivered to its clients.
    pub bytes: u64,
    /// Bytes of its content stored and proven.
    pub stored: u64,
    /// Verified compute units its clients' requests ran.
    pub units: u64,
    /// Whether the epoch has been charged.
    pub settled: bool,
    /// What the epoch cost (0 until settled).
    pub cost: String,
    /// What was paid of it.
    pub paid: String,
}

/// Prices, fee and subsidy in force, as `settlement_params` returns them.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Params {
    /// Price of one GiB delivered.
    pub delivery_price_per_gib: String,
    /// Price of one GiB stored for an epoch.
    pub storage_price_per_gib_epoch: String,
    /// Price of one million compute units run.
    pub compute_price_per_million_units: String,
    /// Treasury's share of payments to nodes, parts per billion.
    pub protocol_fee_ppb: u32,
    /// Subsidy per epoch in era 0.
    pub emission_per_epoch: String,
    /// Share by which the subsidy shrinks each era, parts per billion.
    pub emission_taper_per_era_ppb: u32,
    /// Floor of the subsidy per epoch.
    pub emission_floor: String,
    /// Subsidy per epoch in the current era.
    pub current_emission_per_epoch: String,
    /// Keepers' share of the subsidy, parts per billion.
    pub keeper_share_ppb: u32,
    /// The next epoch settlement will charge and pay.
    pub next_epoch_to_settle: EpochIndex,
}

/// Economy queries.
#[rpc(server)]
pub trait EconomyApi {
    /// The GPoS era in progress.
    #[method(name = "gpos_currentEra")]
    fn current_era(&self) -> RpcResult<u32>;

    /// A keeper's bond, guarantees, stake limit and effective stake, or null if it is not a keeper.
    #[method(name = "gpos_keeperStake")]
    fn keeper_stake(&self, keeper: AccountId) -> RpcResult<Option<KeeperStake>>;

    /// Staking rewards an account can still claim as keeper or guarantor.
    #[method(name = "gpos_pendingRewards")]
    fn staking_rewards(&self, who: AccountId) -> RpcResult<String>;

    /// A dApp's balance, debt and whether its clients are paused, or null without an account.
    #[method(name = "settlement_dappAccount")]
    fn dapp_account(&self, dapp: AccountId) -> RpcResult<Option<DappAccount>>;

    /// A dApp's usage and charge in an epoch.
    #[method(name = "settlement_usage")]
    fn usage(&self, dapp: AccountId, epoch: EpochIndex) -> RpcResult<Usage>;

    /// Earnings a node operator can claim (traffic, storage, subsidy).
    #[method(name = "settlement_nodeRewards")]
    fn node_rewards(&self, operator: AccountId) -> RpcResult<String>;

    /// Prices, protocol fee and subsidy in force.
    #[method(name = "settlement_params")]
    fn params(&self) -> RpcResult<Params>;
}

impl<C> EconomyApiServer for Queries<C>
where
    C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
    C::Api: GposApi<Block, AccountId, Balance> + SettlementApi<Block, AccountId, Balance>,
{
    fn current_era(&self) -> RpcResult<u32> {
        let (api, best) = self.at_best();
        api.current_era(best).map_err(runtime_error)
    }

    fn keeper_stake(&self, keeper: AccountId) -> RpcResult<Option<KeeperStake>> {
        let (api, best) = self.at_best();
        let stake = api.keeper_stake(best, keeper).map_err(runtime_error)?;
        Ok(stake.map(|s| KeeperStake {
            bonded: s.bonded.to_string(),
            guaranteed: s.guaranteed.to_string(),
            stake_limit: s.stake_limit.to_string(),
            effective_stake: s.effective_stake.to_string(),
            era_effective_stake: s.era_effective_stake.to_string(),
        }))
    }

    fn staking_rewards(&self, who: AccountId) -> RpcResult<String> {
        let (api, best) = self.at_best();
        Ok(api
            .pending_rewards(best, who)
            .map_err(runtime_error)?
            .to_string())
    }

    fn dapp_account(&self, dapp: AccountId) -> RpcResult<Option<DappAccount>> {
        let (api, best) = self.at_best();
        let account = api.dapp_account(best, dapp).map_err(runtime_error)?;
        Ok(account.map(|a| DappAccount {
            balance: a.balance.to_string(),
            debt: a.debt.to_string(),
            paused: a.paused,
            clients: a.clients,
            contents: a.contents,
        }))
    }

    fn usage(&self, dapp: AccountId, epoch: EpochIndex) -> RpcResult<Usage> {
        let (api, best) = self.at_best();
        let usage = api.usage(best, dapp, epoch).map_err(runtime_error)?;
        Ok(Usage {
            bytes: usage.bytes,
            stored: usage.stored,
            units: usage.units,
            settled: usage.settled,
            cost: usage.cost.to_string(),
            paid: usage.paid.to_string(),
        })
    }

    fn node_rewards(&self, operator: AccountId) -> RpcResult<String> {
        let (api, best) = self.at_best();
        Ok(api
            .pending_node_rewards(best, operator)
            .map_err(runtime_error)?
            .to_string())
    }

    fn params(&self) -> RpcResult<Params> {
        let (api, best) = self.at_best();
        let p = api.params(best).map_err(runtime_error)?;
        Ok(Params {
            delivery_price_per_gib: p.delivery_price.to_string(),
            storage_price_per_gib_epoch: p.storage_price.to_string(),
            compute_price_per_million_units: p.compute_price.to_string(),
            protocol_fee_ppb: p.protocol_fee.deconstruct(),
            emission_per_epoch: p.emission.per_epoch.to_string(),
            emission_taper_per_era_ppb: p.emission.taper_per_era.deconstruct(),
            emission_floor: p.emission.floor.to_string(),
            current_emission_per_epoch: p.current_emission.to_string(),
            keeper_share_ppb: p.keeper_share.deconstruct(),
            next_epoch_to_settle: p.next_epoch_to_settle,
        })
    }
}
