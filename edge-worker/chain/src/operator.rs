//! The operator key: the sr25519 account that registers the node, holds its deposit and is paid. Its file holds
//! a secret URI (a mnemonic, a `0x` seed, or `//Alice`-style dev keys), so an operator can also bring an
//! existing account. Kept apart from the node key (`enreach_dts::keys`) and, like it, readable only by its
//! owner (0600).

use std::{fs, io, path::Path};

use enreach_dts::keys::write_private;
use subxt_signer::{sr25519, SecretUri};

/// Loads the operator key from the secret URI in `path`.
pub fn load_operator(path: &Path) -> io::Result<sr25519::Keypair> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidData, e);
    let text = fs::read_to_string(path)?;
    let uri: SecretUri = text
        .trim()
        .parse()
        .map_err(|e| invalid(format!("{}: not a secret URI: {e}", path.display())))?;
    sr25519::Keypair::from_uri(&uri).map_err(|e| invalid(format!("{}: {e}", path.display())))
}

/// Creates a new random operator key at `path` (a `0x` seed, mode 0600); fails if there is one.
pub fn generate_operator(path: &Path) -> io::Result<sr25519::Keypair> {
    let seed: [u8; 32] = rand::random();
    write_private(path, format!("0x{}\n", hex::encode(seed)).as_bytes())?;
    load_operator(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn operator_keys_are_private_never_overwritten_and_accept_any_secret_uri() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operator_key");
        let key = generate_operator(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the operator key is private");
        assert_eq!(
            load_operator(&path).unwrap().public_key().0,
            key.public_key().0
        );
        assert!(generate_operator(&path).is_err(), "an existing key is kept");
        let dev = dir.path().join("dev_key");
        fs::write(&dev, "//Alice\n").unwrap();
        assert_eq!(
            load_operator(&dev).unwrap().public_key().0,
            sr25519::dev::alice().public_key().0
        );
        fs::write(&dev, "not a key").unwrap();
        assert!(load_operator(&dev).is_err());
    }
}
