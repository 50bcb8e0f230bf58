//! Genesis presets: `development` (Alice alone authors and finalizes) and `local_testnet` (Alice, Bob,
//! Charlie and Dave: four validators, so GRANDPA's 2/3 supermajority still finalizes with one down).
//!
//! Both are test networks: one session per era and referenda a hundred times faster, so payouts and
//! governance fit in a test; one guarantor (Eve's stash) backs Bob from genesis.
//!
//! Validators enter through `pallet-session` keys, not BABE/GRANDPA genesis, and are bonded GPoS keepers, so
//! GPoS elections keep or replace them every era. Both presets are for development and testing and carry a sudo key; a public
//! network's chain spec sets `sudo.key` to `null` and governs through governance pallets instead.

use crate::{
    AccountId, BabeConfig, BalancesConfig, BlockNumber, GposConfig, GpowConfig, OriginsConfig,
    RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig, BABE_GENESIS_EPOCH_CONFIG, UNIT,
};
use alloc::{vec, vec::Vec};
use enreach_primitives::{Continent, Region};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::Perbill;

/// What every endowed development account starts with: enough to pay fees and stake for a long time.
pub const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// What each genesis validator bonds as a GPoS keeper.
pub const GENESIS_BOND: crate::Balance = 10_000 * UNIT;

/// What the genesis guarantor puts behind its keeper.
pub const GENESIS_GUARANTEE: crate::Balance = 1_000 * UNIT;

/// Test networks end an era with every 10-minute session, so keepers and guarantors are paid within minutes
/// (production: six sessions, one hour).
pub const TEST_SESSIONS_PER_ERA: u32 = 1;

/// Test networks run referenda a hundred times faster: the `protocol_parameters` track passes in about two
/// and a half minutes of 6-second blocks.
pub const TEST_TRACK_PERIOD_DIVISOR: u32 = 100;

/// The genesis guarantor and the keeper it backs.
pub fn genesis_guarantee() -> (Sr25519Keyring, Sr25519Keyring) {
    (Sr25519Keyring::EveStash, Sr25519Keyring::Bob)
}

/// A validator's stash account and its session keys, as the genesis config wants them.
fn validator(keyring: Sr25519Keyring) -> (AccountId, AccountId, SessionKeys) {
    let account = keyring.to_account_id();
    let keys = SessionKeys {
        babe: keyring.public().into(),
        grandpa: ed25519_twin(keyring).public().into(),
    };
    (account.clone(), account, keys)
}

/// The ed25519 key with the same well-known seed (`//Alice` ...) as an sr25519 keyring entry; GRANDPA
/// signs with ed25519 (BABE with the sr25519 key itself).
fn ed25519_twin(keyring: Sr25519Keyring) -> Ed25519Keyring {
    match keyring {
        Sr25519Keyring::Alice => Ed25519Keyring::Alice,
        Sr25519Keyring::Bob => Ed25519Keyring::Bob,
        Sr25519Keyring::Charlie => Ed25519Keyring::Charlie,
        Sr25519Keyring::Dave => Ed25519Keyring::Dave,
        Sr25519Keyring::Eve => Ed25519Keyring::Eve,
        Sr25519Keyring::Ferdie => Ed25519Keyring::Ferdie,
        Sr25519Keyring::AliceStash => Ed25519Keyring::AliceStash,
        Sr25519Keyring::BobStash => Ed25519Keyring::BobStash,
        Sr25519Keyring::CharlieStash => Ed25519Keyring::CharlieStash,
        Sr25519Keyring::DaveStash => Ed25519Keyring::DaveStash,
        Sr25519Keyring::EveStash => Ed25519Keyring::EveStash,
        Sr25519Keyring::FerdieStash => Ed25519Keyring::FerdieStash,
        Sr25519Keyring::One => Ed25519Keyring::One,
        Sr25519Keyring::Two => Ed25519Keyring::Two,
    }
}

/// A genesis with the given validators, keepers (every validator is one; more may watch edge nodes without
/// validating), endowed accounts and sudo key.
fn testnet_genesis(
    validators: Vec<Sr25519Keyring>,
    keepers: Vec<Sr25519Keyring>,
    endowed: Vec<AccountId>,
    root: AccountId,
) -> Value {
    build_struct_json_patch!(RuntimeGenesisConfig {
        balances: BalancesConfig {
            balances: endowed
                .into_iter()
                .map(|k| (k, ENDOWMENT))
                .collect::<Vec<_>>(),
        },
        babe: BabeConfig {
            epoch_config: BABE_GENESIS_EPOCH_CONFIG,
        },
        session: SessionConfig {
            keys: validators
                .iter()
                .copied()
                .map(validator)
                .collect::<Vec<_>>(),
        },
        gpos: GposConfig {
            keepers: keepers
                .iter()
                .map(|v| (
                    v.to_account_id(),
                    GENESIS_BOND,
                    Perbill::from_percent(5),
                    genesis_region()
                ))
                .collect::<Vec<_>>(),
            guarantees: {
                let (guarantor, keeper) = genesis_guarantee();
                vec![(
                    guarantor.to_account_id(),
                    keeper.to_account_id(),
                    GENESIS_GUARANTEE,
                )]
            },
            sessions_per_era: Some(TEST_SESSIONS_PER_ERA),
        },
        origins: OriginsConfig {
            track_period_divisor: Some(TEST_TRACK_PERIOD_DIVISOR),
        },
        sudo: SudoConfig { key: Some(root) },
        gpow: GpowConfig {
            params: Some(dev_gpow_params())
        },
    })
}

/// Where the genesis keepers say they work from.
fn genesis_region() -> Region {
    Region {
        continent: Continent::Europe,
        country: *b"DE",
    }
}

/// GPoW parameters for development networks: 1-minute epochs so a whole report-challenge-answer-settle cycle
/// fits in a test. A production network uses 600-block (1 hour) epochs.
pub fn dev_gpow_params() -> pallet_gpow::GpowParams<BlockNumber> {
    pallet_gpow::GpowParams {
        epoch_length: 10,
        submission_window: 5,
        challenge_delay: 1,
        answer_window: 4,
        sample_size: 32,
        compute_sample_size: 32,
        keepers_per_node: 3,
        keeper_tolerance_percent: 25,
        max_bandwidth_mbps: 10_000,
        storage_samples: 4,
        audit_percent: 100,
        light_sample_size: 1,
    }
}

/// The well-known development accounts (Alice ... Ferdie and their stashes), all endowed.
fn dev_accounts() -> Vec<AccountId> {
    Sr25519Keyring::iter()
        .filter(|k| !matches!(k, Sr25519Keyring::One | Sr25519Keyring::Two))
        .map(|k| k.to_account_id())
        .collect()
}

/// Alice validates alone; Alice, Bob and Charlie are keepers, so every edge node has the three keepers that
/// GPoW assigns per node.
pub fn development_config_genesis() -> Value {
    testnet_genesis(
        vec![Sr25519Keyring::Alice],
        vec![
            Sr25519Keyring::Alice,
            Sr25519Keyring::Bob,
            Sr25519Keyring::Charlie,
        ],
        dev_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

/// Alice, Bob, Charlie and Dave validate and keep.
pub fn local_config_genesis() -> Value {
    let validators = vec![
        Sr25519Keyring::Alice,
        Sr25519Keyring::Bob,
        Sr25519Keyring::Charlie,
        Sr25519Keyring::Dave,
    ];
    testnet_genesis(
        validators.clone(),
        validators,
        dev_accounts(),
        Sr25519Keyring::Alice.to_account_id(),
    )
}

/// The JSON genesis patch of preset `id`, if it exists.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
    let patch = match id.as_ref() {
        sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
        sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
        _ => return None,
    };
    Some(
        serde_json::to_string(&patch)
            .expect("serializing a serde_json::Value cannot fail; qed")
            .into_bytes(),
    )
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
    vec![
        PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
        PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
    ]
}
