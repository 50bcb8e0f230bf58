//! Keeping an edge node's registry entry true: registered once by its operator with a proof that the operator
//! holds the node key, then updated only when what the node offers or where it is reached changed. Running
//! it again with the same description changes nothing, so `edge-worker run --role edge` does it at every
//! start.

use enreach_primitives::{node::pop_payload, Capabilities};
use libp2p::identity::Keypair;
use subxt_signer::sr25519;

use crate::{
    chain::{Chain, ChainError, Wait},
    keys,
};

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
        Some(entry) if entry.capabilities == capabilities && entry.endpoints == endpoints => {
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
