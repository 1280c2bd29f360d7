//! The audit key: 32 random bytes, kept as hex in `<LASSO_HOME>/audit.key` (mode 0600).
//!
//! The key is created on first use by writing a complete temporary file and hard-linking it
//! into place: `link(2)` fails if the name exists (the same exclusivity as `O_EXCL`), so when
//! two processes race, exactly one key file appears fully written and the loser reads it.
//! Creating `audit.key` itself with `O_EXCL` and then writing it would let the loser read a
//! half-written file.
//!
//! [`AuditKey`] keeps only the keyed HMAC state (cloned per signature, which skips re-hashing
//! the key pads) and a public key id; it never prints the key.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{AuditError, Result};

type HmacSha256 = Hmac<Sha256>;

/// File name of the key inside `LASSO_HOME`.
pub const KEY_FILE: &str = "audit.key";

/// The secret that signs audit entries and seals. Cheap to clone.
#[derive(Clone)]
pub struct AuditKey {
    mac: HmacSha256,
    id: [u8; 8],
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey")
            .field("id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl AuditKey {
    /// A key from raw bytes (for callers that keep the key elsewhere, and for tests).
    pub fn from_bytes(bytes: [u8; 32]) -> AuditKey {
        // HMAC zero-pads keys shorter than the 64-byte block, so initialising from the padded
        // block is the same MAC as from the 32 bytes, without a fallible constructor.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&bytes);
        let mac = <HmacSha256 as KeyInit>::new(&block.into());
        let mut id_mac = mac.clone();
        id_mac.update(b"lasso audit key id v1");
        let digest = id_mac.finalize().into_bytes();
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        AuditKey { mac, id }
    }

    /// A new random key (not stored anywhere).
    pub fn generate() -> Result<AuditKey> {
        Ok(AuditKey::from_bytes(random_bytes()?))
    }

    /// Path of the key file inside `lasso_home`.
    pub fn file_in(lasso_home: &Path) -> PathBuf {
        lasso_home.join(KEY_FILE)
    }

    /// Loads the key file at `path`, creating it (and its directory, mode 0700) with a new
    /// random key if it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<AuditKey> {
        match Self::load(path) {
            Err(AuditError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
                Self::create(path)
            }
            other => other,
        }
    }

    /// Loads an existing key file. Refuses symlinks, files other users may read, and anything
    /// that is not exactly 64 hex digits (plus an optional trailing newline).
    pub fn load(path: &Path) -> Result<AuditKey> {
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| {
                if e.raw_os_error() == Some(libc::ELOOP) {
                    AuditError::KeyMalformed {
                        path: path.to_owned(),
                        reason: "it is a symbolic link, which lasso does not follow for the key; \
                                 replace the link with the file it points to"
                            .into(),
                    }
                } else {
                    AuditError::io("open audit key", path, e)
                }
            })?;
        let meta = file
            .metadata()
            .map_err(|e| AuditError::io("inspect audit key", path, e))?;
        if !meta.is_file() {
            return Err(AuditError::KeyMalformed {
                path: path.to_owned(),
                reason: "it is not a regular file".into(),
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(AuditError::KeyInsecure {
                path: path.to_owned(),
                mode,
            });
        }
        let mut text = Vec::with_capacity(66);
        (&mut file)
            .take(256)
            .read_to_end(&mut text)
            .map_err(|e| AuditError::io("read audit key", path, e))?;
        parse_key_text(&text)
            .map(AuditKey::from_bytes)
            .map_err(|reason| AuditError::KeyMalformed {
                path: path.to_owned(),
                reason,
            })
    }

    /// Public, non-secret identifier of the key (16 hex digits), recorded in seals so that a
    /// log checked with the wrong key says so instead of looking forged.
    pub fn key_id(&self) -> String {
        hex::encode(self.id)
    }

    pub(crate) fn id_bytes(&self) -> [u8; 8] {
        self.id
    }

    /// HMAC-SHA256 over the concatenation of `parts`.
    pub(crate) fn sign(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Constant-time check that `tag` is the HMAC of the concatenation of `parts`.
    pub(crate) fn check(&self, parts: &[&[u8]], tag: &[u8; 32]) -> bool {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(part);
        }
        mac.verify_slice(tag).is_ok()
    }

    fn create(path: &Path) -> Result<AuditKey> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| AuditError::io("create key directory", &dir, e))?;
        let bytes = random_bytes()?;
        let tmp_name = format!(
            ".{KEY_FILE}.{}.{}.tmp",
            std::process::id(),
            hex::encode(&random_bytes()?[..6])
        );
        let tmp = dir.join(tmp_name);
        let written = write_new_key_file(&tmp, &bytes);
        let linked = written.and_then(|()| {
            fs::hard_link(&tmp, path).map_err(|e| AuditError::io("install audit key", path, e))
        });
        // The temporary name is ours alone; failing to remove it leaves a harmless 0600 file.
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                sync_dir(&dir);
                Ok(AuditKey::from_bytes(bytes))
            }
            // Another process won the race: its key is complete (it was linked whole).
            Err(AuditError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
                Self::load(path)
            }
            Err(e) => Err(e),
        }
    }
}

fn write_new_key_file(tmp: &Path, bytes: &[u8; 32]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(tmp)
        .map_err(|e| AuditError::io("create audit key", tmp, e))?;
    let mut text = hex::encode(bytes).into_bytes();
    text.push(b'\n');
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::io("write audit key", tmp, e))
}

/// Best effort: makes a new directory entry durable. Failure only weakens crash durability.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn parse_key_text(text: &[u8]) -> std::result::Result<[u8; 32], String> {
    let body = text
        .strip_suffix(b"\r\n")
        .or_else(|| text.strip_suffix(b"\n"))
        .unwrap_or(text);
    if body.len() != 64 {
        return Err(format!("found {} characters instead of 64", body.len()));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(body, &mut out)
        .map_err(|_| "it contains characters that are not hex digits".to_string())?;
    Ok(out)
}

fn random_bytes() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AuditError::Random(e.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_key_with_mode_0600_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("home/audit.key");
        let a = AuditKey::load_or_create(&path).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let dir_mode = fs::metadata(dir.path().join("home"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        let b = AuditKey::load_or_create(&path).unwrap();
        assert_eq!(a.key_id(), b.key_id());
        assert_eq!(a.sign(&[b"x"]), b.sign(&[b"x"]));
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim_end().len(), 64);
        // No temporary files are left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("home")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn racing_creators_end_up_with_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let ids: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| AuditKey::load_or_create(&path).unwrap().key_id()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(ids.iter().all(|id| id == &ids[0]), "{ids:?}");
    }

    #[test]
    fn refuses_group_or_world_readable_key_with_chmod_advice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        AuditKey::load_or_create(&path).unwrap();
        for mode in [0o640, 0o604, 0o644] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = AuditKey::load_or_create(&path).unwrap_err();
            assert!(matches!(err, AuditError::KeyInsecure { mode: m, .. } if m == mode));
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
        fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
        assert!(AuditKey::load(&path).is_ok());
    }

    #[test]
    fn refuses_malformed_key_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.key");
        let cases: [&[u8]; 5] = [
            b"",
            b"abcd\n",
            &[b'g'; 64],
            b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n",
            b"00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n\n",
        ];
        for text in cases {
            fs::write(&path, text).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
            let err = AuditKey::load(&path).unwrap_err();
            assert!(
                matches!(err, AuditError::KeyMalformed { .. }),
                "{text:?}: {err}"
            );
            assert!(err.to_string().contains("64 hex digits"));
        }
        fs::write(
            &path,
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
        )
        .unwrap();
        let key = AuditKey::load(&path).unwrap();
        let mut raw = [0u8; 32];
        hex::decode_to_slice(
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            &mut raw,
        )
        .unwrap();
        assert_eq!(key.key_id(), AuditKey::from_bytes(raw).key_id());
    }

    #[test]
    fn refuses_symlinked_key() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.key");
        AuditKey::load_or_create(&real).unwrap();
        let link = dir.path().join("audit.key");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = AuditKey::load(&link).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }

    #[test]
    fn debug_never_shows_key_material() {
        let key = AuditKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert!(!shown.contains("abab"), "{shown}");
        assert!(shown.contains(&key.key_id()));
    }

    #[test]
    fn signatures_are_standard_hmac_sha256_of_the_32_byte_key() {
        let raw: [u8; 32] = std::array::from_fn(|i| i as u8 * 7 + 1);
        let msg = b"{\"seq\":1} and more than one block of input to hash ".repeat(3);
        let reference = <HmacSha256 as Mac>::new_from_slice(&raw)
            .unwrap()
            .chain_update(&msg)
            .finalize()
            .into_bytes();
        let ours = AuditKey::from_bytes(raw).sign(&[&msg[..10], &msg[10..]]);
        assert_eq!(ours.as_slice(), reference.as_slice());
    }

    #[test]
    fn different_keys_sign_differently_and_check_is_exact() {
        let a = AuditKey::from_bytes([1; 32]);
        let b = AuditKey::from_bytes([2; 32]);
        let tag = a.sign(&[b"hello ", b"world"]);
        assert!(a.check(&[b"hello world"], &tag));
        assert!(!b.check(&[b"hello world"], &tag));
        assert!(!a.check(&[b"hello worle"], &tag));
        assert_ne!(a.key_id(), b.key_id());
    }
}
