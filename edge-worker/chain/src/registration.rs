//! Keeping an edge node's registry entry true: registered once by its operator with a proof that the operator
//! holds the node key, then updated only when what the node offers or where it is reached changed. Running
//! it again with the same description changes nothing, so `edge-worker run --role edge` does it at every
//! start. Free disk space drifts as the node caches content: storage within 10 % of the
//! registered figure is not worth a transaction.

use enreach_primitives::{node::pop_payload, Capabilities};
use libp2p::identity::Keypair;
use subxt_signer::sr25519;

use enreach_dts::keys;

use crate::{Chain, ChainError, Wait};

/// What [`ensure_registered`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// The node was not registered: it is now.
    Registered,
    /// It was, with other capabilities or endpoints: they are updated.
    Updated,
    /// It was, exactly as described.
    Unchanged,
}

/// Why a node could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// The node key is registered by another account: someone else claims this machine's identity.
    #[error("node is registered by another operator ({0})")]
    OtherOperator(String),
    /// The chain refused or could not be reached.
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// Registers the node of `node_key` for `operator`, or brings its entry up to date, waiting for finality.
pub async fn ensure_registered(
    chain: &Chain,
    node_key: &Keypair,
    operator: &sr25519::Keypair,
    capabilities: Capabilities,
    endpoints: Vec<Vec<u8>>,
) -> Result<Registration, RegistrationError> {
    let node = keys::node_id(node_key);
    let account = operator.public_key().0;
    match chain.node(node).await? {
        Some(entry) if entry.operator != account => Err(RegistrationError::OtherOperator(
            subxt_signer::sr25519::PublicKey(entry.operator)
                .to_account_id()
                .to_string(),
        )),
        Some(entry)
            if same_offer(&entry.capabilities, &capabilities) && entry.endpoints == endpoints =>
        {
            Ok(Registration::Unchanged)
        }
        Some(_) => {
            chain
                .submit(
                    operator,
                    (
                        "EdgeNodes",
                        "update_capabilities",
                        (node, capabilities, endpoints),
                    ),
                    Wait::Finalized,
                )
                .await?;
            Ok(Registration::Updated)
        }
        None => {
            let payload = pop_payload(&account, &chain.genesis_hash());
            let proof: [u8; 64] = node_key
                .sign(&payload)
                .expect("ed25519 signing does not fail")
                .try_into()
                .expect("ed25519 signatures are 64 bytes");
            chain
                .submit(
                    operator,
                    (
                        "EdgeNodes",
                        "register",
                        (node, proof, capabilities, endpoints),
                    ),
                    Wait::Finalized,
                )
                .await?;
            Ok(Registration::Registered)
        }
    }
}

/// How far, in percent of the larger figure, offered storage may drift before the registry entry is updated.
const STORAGE_DRIFT_PERCENT: u64 = 10;

/// Whether `current` offers what `registered` says, up to storage drift.
fn same_offer(registered: &Capabilities, current: &Capabilities) -> bool {
    let (a, b) = (
        u64::from(registered.storage_gib),
        u64::from(current.storage_gib),
    );
    let storage_close = a.abs_diff(b) * 100 <= a.max(b) * STORAGE_DRIFT_PERCENT;
    let without_storage = |c: &Capabilities| Capabilities {
        storage_gib: 0,
        ..c.clone()
    };
    storage_close && without_storage(registered) == without_storage(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use enreach_primitives::{Continent, NatType, Region, SoftwareVersion};

    fn offer(storage_gib: u32) -> Capabilities {
        Capabilities {
            bandwidth_up_mbps: 100,
            bandwidth_down_mbps: 100,
            storage_gib,
            cpu_cores: 2,
            memory_mib: 4096,
            gpu: None,
            region: Region {
                continent: Continent::Europe,
                country: *b"DE",
            },
            nat: NatType::Unknown,
            hvm: None,
            version: SoftwareVersion {
                major: 1,
                minor: 0,
                patch: 0,
            },
        }
    }

    #[test]
    fn storage_drift_within_ten_percent_is_the_same_offer() {
        assert!(same_offer(&offer(200), &offer(200)));
        assert!(same_offer(&offer(200), &offer(181)));
        assert!(same_offer(&offer(200), &offer(220)));
        assert!(!same_offer(&offer(200), &offer(179)));
        assert!(!same_offer(&offer(200), &offer(223)));
        assert!(!same_offer(&offer(5), &offer(4)));
        assert!(same_offer(&offer(0), &offer(0)));
    }

    #[test]
    fn any_other_change_is_a_new_offer() {
        let mut more_bandwidth = offer(200);
        more_bandwidth.bandwidth_up_mbps += 1;
        assert!(!same_offer(&offer(200), &more_bandwidth));
        let mut moved = offer(200);
        moved.region.country = *b"FR";
        assert!(!same_offer(&offer(200), &moved));
    }
}
