//! Team keys: HMAC-SHA256 signatures on profile exports.
//!
//! The `[integrity] sha256` of an export only detects accidental or careless edits (anyone who
//! can edit the file can recompute it). A team that shares a secret key can also sign the
//! hash: `signature = "hmac-sha256:<hex>"` over the recorded sha256, and `key_id` (the first
//! 16 hex digits of SHA-256 of the key) to say which key. Signing the hash rather than the
//! text binds the signature to the canonical content, so comments and formatting stay free
//! to change, exactly as for the hash.
//!
//! A key file holds at least 32 random bytes, either raw or hex-encoded (what
//! `lasso profile keygen` writes, mode 0600). The key is never printed: `Debug` shows the id.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::error::ConfigError;

type HmacSha256 = Hmac<Sha256>;

/// Fewest key bytes accepted.
pub const MIN_KEY_BYTES: usize = 32;
/// Prefix of a signature value.
pub const SIGNATURE_PREFIX: &str = "hmac-sha256:";
/// Domain separation: this MAC is only ever a profile-export signature.
const CONTEXT: &[u8] = b"lasso-profile-signature-v1\n";

/// A team's shared signing key.
#[derive(Clone, PartialEq, Eq)]
pub struct TeamKey {
    bytes: Vec<u8>,
}

impl fmt::Debug for TeamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl TeamKey {
    /// Reads a key file (hex or raw bytes).
    pub fn from_file(path: &Path) -> Result<TeamKey, ConfigError> {
        let content = fs::read(path).map_err(|e| ConfigError::io("read team key", path, e))?;
        TeamKey::from_bytes(&content).map_err(|reason| ConfigError::BadKey {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// A key from a file's content: hex when the (trimmed) content is an even number of hex
    /// digits, otherwise the raw bytes.
    pub fn from_bytes(content: &[u8]) -> Result<TeamKey, String> {
        let trimmed = content.trim_ascii();
        let is_hex = !trimmed.is_empty()
            && trimmed.len().is_multiple_of(2)
            && trimmed.iter().all(u8::is_ascii_hexdigit);
        let bytes = if is_hex {
            hex::decode(trimmed).map_err(|e| format!("invalid hex: {e}"))?
        } else {
            content.to_vec()
        };
        if bytes.len() < MIN_KEY_BYTES {
            return Err(format!(
                "holds {} bytes; a team key needs at least {MIN_KEY_BYTES} random bytes (raw or \
                 hex); make one with `lasso profile keygen --output FILE`",
                bytes.len()
            ));
        }
        Ok(TeamKey { bytes })
    }

    /// 32 fresh bytes from the OS's random source.
    pub fn generate() -> Result<TeamKey, String> {
        let mut bytes = vec![0u8; MIN_KEY_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
        Ok(TeamKey { bytes })
    }

    /// Writes a new key, hex-encoded, to `path` with mode 0600. Never overwrites a file.
    pub fn write_new(path: &Path) -> Result<TeamKey, ConfigError> {
        let key = TeamKey::generate().map_err(|reason| ConfigError::BadKey {
            path: path.to_path_buf(),
            reason,
        })?;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => ConfigError::BadKey {
                    path: path.to_path_buf(),
                    reason: "the file already exists; a key is never overwritten (choose another \
                             --output, or remove the old key if it is really unused)"
                        .into(),
                },
                _ => ConfigError::io("create team key", path, e),
            })?;
        f.write_all(format!("{}\n", hex::encode(&key.bytes)).as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| ConfigError::io("write team key", path, e))?;
        Ok(key)
    }

    /// First 16 hex digits of SHA-256 of the key: names the key without revealing it.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(&self.bytes)[..8])
    }

    fn mac(&self, sha256: &str) -> HmacSha256 {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.bytes)
            .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
        mac.update(CONTEXT);
        mac.update(sha256.to_ascii_lowercase().as_bytes());
        mac
    }

    /// `hmac-sha256:<hex>` over a content hash.
    pub fn sign(&self, sha256: &str) -> String {
        format!(
            "{SIGNATURE_PREFIX}{}",
            hex::encode(self.mac(sha256).finalize().into_bytes())
        )
    }

    /// Checks a signature over `sha256` in constant time. `Err` says what is wrong.
    pub fn verify(&self, sha256: &str, signature: &str) -> Result<(), String> {
        let Some(hex_sig) = signature.strip_prefix(SIGNATURE_PREFIX) else {
            return Err(format!(
                "integrity.signature = {signature:?} is not of the form \
                 \"{SIGNATURE_PREFIX}<64 hex digits>\""
            ));
        };
        let bytes = match hex::decode(hex_sig) {
            Ok(b) if b.len() == 32 => b,
            _ => {
                return Err(format!(
                    "integrity.signature = {signature:?} is not of the form \
                     \"{SIGNATURE_PREFIX}<64 hex digits>\""
                ));
            }
        };
        self.mac(sha256).verify_slice(&bytes).map_err(|_| {
            "integrity.signature does not match integrity.sha256 under this key: the hash or the \
             signature was changed after signing"
                .to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> TeamKey {
        match TeamKey::from_bytes(&[b; 32]) {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn hex_and_raw_files_and_short_keys() {
        let k = key(7);
        let hexed = format!("{}\n", hex::encode([7u8; 32]));
        assert_eq!(TeamKey::from_bytes(hexed.as_bytes()).ok(), Some(k.clone()));
        let short = TeamKey::from_bytes(hex::encode([1u8; 16]).as_bytes());
        assert!(short.is_err_and(|e| e.starts_with("holds 16 bytes")));
        assert!(TeamKey::from_bytes(b"").is_err());
        assert_eq!(k.key_id().len(), 16);
        assert_ne!(k.key_id(), key(8).key_id());
        assert!(
            !format!("{k:?}").contains("0707"),
            "Debug never shows the key"
        );
    }

    #[test]
    fn signatures_verify_only_with_the_same_key_and_hash() {
        let (a, b) = (key(1), key(2));
        let h = "ab".repeat(32);
        let sig = a.sign(&h);
        assert!(sig.starts_with("hmac-sha256:") && sig.len() == 12 + 64);
        assert!(a.verify(&h, &sig).is_ok());
        assert!(a.verify(&h.to_ascii_uppercase(), &sig).is_ok());
        assert!(b.verify(&h, &sig).is_err());
        assert!(a.verify(&"cd".repeat(32), &sig).is_err());
        let m = a.verify(&h, "sha1:00").err().unwrap_or_default();
        assert!(m.contains("is not of the form"), "{m}");
        let mut flipped = sig.clone();
        flipped.replace_range(20..21, if &sig[20..21] == "0" { "1" } else { "0" });
        assert!(a.verify(&h, &flipped).is_err());
    }

    #[test]
    fn keygen_writes_0600_and_never_overwrites() {
        use std::os::unix::fs::PermissionsExt;
        let Ok(dir) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let path = dir.path().join("team.key");
        let k = TeamKey::write_new(&path).map_err(|e| e.to_string());
        let Ok(k) = k else { panic!("{k:?}") };
        let mode = fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
        assert_eq!(TeamKey::from_file(&path).ok(), Some(k));
        let again = TeamKey::write_new(&path).map_err(|e| e.to_string());
        assert!(again.is_err_and(|m| m.contains("already exists")));
    }
}
