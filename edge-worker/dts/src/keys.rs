//! The two keys of an edge node, kept apart in the data directory and readable only by their owner (0600):
//! - the node key: ed25519, the node's libp2p identity and, on chain, its `NodeId`; it signs only network
//!   traffic and the proof that binds it to its operator;
//! - the operator key: the sr25519 account that registers the node, holds its deposit and is paid; it is a
//!   chain account, so it lives in `enreach_edge_chain::operator` (written with [`write_private`]).
//!
//! A third key belongs to clients, not edges: the ed25519 client key that signs delivery receipts, which a dApp
//! authorizes on chain so that it pays for what the key acknowledges.

use std::{fs, io, io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use libp2p::identity::{ed25519, Keypair};

/// Writes `bytes` to a new file at `path` that only its owner can read; fails if the file exists. Public because
/// the operator key (`enreach_edge_chain::operator`, an sr25519 account key this crate knows nothing of) is
/// written the same way.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The 32-byte ed25519 secret seed at `path`, or a new random one written there (mode 0600) if there is none.
/// A file of another length is an error, never silently replaced by a new identity.
fn load_or_create_seed(path: &Path, what: &str) -> io::Result<[u8; 32]> {
    match fs::read(path) {
        Ok(bytes) => bytes.as_slice().try_into().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: a {what} is 32 bytes", path.display()),
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            write_private(path, &seed)?;
            Ok(seed)
        }
        Err(e) => Err(e),
    }
}

/// Loads the node key at `path`, or creates one there (mode 0600) if there is none.
pub fn load_or_create(path: &Path) -> io::Result<Keypair> {
    let mut seed = load_or_create_seed(path, "node key")?;
    let secret = ed25519::SecretKey::try_from_bytes(&mut seed)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(ed25519::Keypair::from(secret).into())
}

/// Loads the client key at `path`, or creates one there (mode 0600) if there is none.
pub fn load_or_create_client(path: &Path) -> io::Result<ed25519_dalek::SigningKey> {
    load_or_create_seed(path, "client key").map(|seed| ed25519_dalek::SigningKey::from_bytes(&seed))
}

/// The node's on-chain id: its ed25519 public key.
pub fn node_id(key: &Keypair) -> enreach_primitives::NodeId {
    let public = key
        .public()
        .try_into_ed25519()
        .expect("node keys are ed25519");
    enreach_primitives::NodeId(public.to_bytes())
}

/// The node id behind a peer id, if the peer id embeds an ed25519 key (as every edge-worker's does): receipts
/// name the node that served, which a downloader knows only as the peer it is connected to.
pub fn node_id_of(peer: &libp2p::PeerId) -> Option<enreach_primitives::NodeId> {
    /// Multihash code of the identity hash, which peer ids of small keys use to embed the key itself.
    const IDENTITY: u64 = 0;
    let hash: &libp2p::multihash::Multihash<64> = peer.as_ref();
    if hash.code() != IDENTITY {
        return None;
    }
    let key = libp2p::identity::PublicKey::try_decode_protobuf(hash.digest()).ok()?;
    Some(enreach_primitives::NodeId(
        key.try_into_ed25519().ok()?.to_bytes(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn assert_private(path: &Path) {
        assert_eq!(
            fs::metadata(path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn the_key_is_created_private_and_reloaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node_key");
        let first = load_or_create(&path).unwrap();
        assert_private(&path);
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.public(), again.public());
        fs::write(&path, b"short").unwrap();
        assert!(
            load_or_create(&path).is_err(),
            "a malformed key is an error, not a new identity"
        );
    }

    #[test]
    fn client_keys_are_created_private_and_reloaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client_key");
        let key = load_or_create_client(&path).unwrap();
        assert_private(&path);
        assert_eq!(
            load_or_create_client(&path).unwrap().verifying_key(),
            key.verifying_key()
        );
        fs::write(&path, b"short").unwrap();
        assert!(load_or_create_client(&path).is_err());
    }
}
