//! The node key: an ed25519 key that is the node's libp2p identity (and, on chain, its `NodeId`). Kept in the
//! data directory, readable only by its owner.

use std::{fs, io, io::Write, os::unix::fs::OpenOptionsExt, path::Path};

use libp2p::identity::{ed25519, Keypair};

/// Loads the key at `path`, or creates one there (mode 0600) if there is none.
pub fn load_or_create(path: &Path) -> io::Result<Keypair> {
    match fs::read(path) {
        Ok(mut bytes) => {
            let secret = ed25519::SecretKey::try_from_bytes(&mut bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            Ok(ed25519::Keypair::from(secret).into())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let keypair = ed25519::Keypair::generate();
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            file.write_all(keypair.secret().as_ref())?;
            file.sync_all()?;
            Ok(keypair.into())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_key_is_created_private_and_reloaded_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node_key");
        let first = load_or_create(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.public(), again.public());
        fs::write(&path, b"short").unwrap();
        assert!(
            load_or_create(&path).is_err(),
            "a malformed key is an error, not a new identity"
        );
    }
}
