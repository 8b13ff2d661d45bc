//! The RS256 signing key: generated once, kept as PEM, reused on later starts.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::EncodingKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::DevIamError;

/// File name of the key inside the key directory.
pub const KEY_FILE: &str = "signing-key.pem";
const KEY_BITS: usize = 2048;

pub(crate) struct SigningKey {
    pub(crate) encoding: EncodingKey,
    pub(crate) kid: String,
    pub(crate) n: String,
    pub(crate) e: String,
    pub(crate) public_pem: String,
}

impl SigningKey {
    /// A fresh key that lives only in memory.
    pub(crate) fn ephemeral() -> Result<Self, DevIamError> {
        Self::from_private(&generate()?)
    }

    /// The key in `dir/signing-key.pem`, generated there (mode 0600) when missing.
    pub(crate) fn load_or_create(dir: &Path) -> Result<Self, DevIamError> {
        let path = dir.join(KEY_FILE);
        let key_error = |message: String| DevIamError::Key {
            path: path.clone(),
            message,
        };
        match fs::read_to_string(&path) {
            Ok(pem) => {
                tighten_permissions(&path).map_err(|e| key_error(e.to_string()))?;
                let key = parse_pem(&pem).map_err(key_error)?;
                tracing::info!(path = %path.display(), "reusing the signing key");
                Self::from_private(&key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = generate()?;
                let pem = key
                    .to_pkcs8_pem(LineEnding::LF)
                    .map_err(|e| key_error(e.to_string()))?;
                let kept = write_new(dir, &path, pem.as_bytes()).map_err(key_error)?;
                tracing::info!(path = %path.display(), "generated a signing key");
                match kept {
                    // Another process created the file between our read and our write; its
                    // key is the one every token must be checked against.
                    Written::LostRace => Self::load_or_create(dir),
                    Written::Created => Self::from_private(&key),
                }
            }
            Err(e) => Err(key_error(e.to_string())),
        }
    }

    fn from_private(key: &RsaPrivateKey) -> Result<Self, DevIamError> {
        let signing = |e: String| DevIamError::Signing(e);
        let der = key.to_pkcs1_der().map_err(|e| signing(e.to_string()))?;
        let public = RsaPublicKey::from(key);
        let n = URL_SAFE_NO_PAD.encode(public.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(public.e().to_bytes_be());
        let public_pem = public
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| signing(e.to_string()))?;
        Ok(Self {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            kid: thumbprint(&n, &e),
            n,
            e,
            public_pem,
        })
    }

    /// The JWKS entry of this key.
    pub(crate) fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": self.n,
            "e": self.e,
        })
    }
}

fn generate() -> Result<RsaPrivateKey, DevIamError> {
    RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)
        .map_err(|e| DevIamError::Signing(format!("cannot generate an RSA key: {e}")))
}

fn parse_pem(pem: &str) -> Result<RsaPrivateKey, String> {
    let key = RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| "not an RSA private key in PKCS#8 or PKCS#1 PEM".to_owned())?;
    if key.size() * 8 < KEY_BITS {
        return Err(format!("the key has fewer than {KEY_BITS} bits"));
    }
    Ok(key)
}

/// RFC 7638 thumbprint: the same key always gets the same `kid`, across restarts and copies.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

enum Written {
    Created,
    LostRace,
}

/// Writes the key next to its final place and links it there, so that neither a crash nor a
/// concurrent start can leave a half-written or silently replaced key.
fn write_new(dir: &Path, path: &Path, contents: &[u8]) -> Result<Written, String> {
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))?;
    }
    let tmp: PathBuf = dir.join(format!(".{KEY_FILE}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::hard_link(&tmp, path)
    })();
    let _cleanup = fs::remove_file(&tmp);
    match result {
        Ok(()) => Ok(Written::Created),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Written::LostRace),
        Err(e) => Err(e.to_string()),
    }
}

fn tighten_permissions(path: &Path) -> std::io::Result<()> {
    let mode = fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "the signing key was readable by others; restricting it to 0600");
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7638_thumbprint_example() {
        // The example key of RFC 7638 §3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
