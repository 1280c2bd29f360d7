//! Writing profiles as TOML and the export format with its integrity block.
//!
//! An export is the *resolved* profile (no `extends`: it must mean the same thing on a machine
//! with other profiles) followed by `[integrity] sha256 = ...`, the hash of the canonical
//! content (`Profile::hash`). Verification re-parses the file through the normal schema,
//! resolves it and recomputes the hash, so any edit that changes what would be enforced is
//! detected, while comments and formatting may change freely. The hash alone is a checksum
//! against corruption and careless edits (whoever can edit the file can recompute it); with a
//! team key the export also carries `signature` and `key_id` (see `signing.rs`), which only
//! the key's holders can make. Import ([`verify_import`]) checks schema, hash and signature;
//! files already on the search path are checked against their hash only
//! ([`verify_export`]), since loading a profile has no key to check a signature with.

use super::diag::SourceMap;
use super::error::{ConfigError, Origin};
use super::profile::Profile;
use super::raw::{RawProfile, parse_profile};
use super::signing::TeamKey;

/// The profile as a complete TOML profile file (no header, no integrity block).
pub fn to_toml(profile: &Profile) -> Result<String, ConfigError> {
    toml::to_string_pretty(profile).map_err(|e| ConfigError::Schema {
        origin: Origin::file(format!("profile {}", profile.name)),
        message: format!("cannot write the profile as TOML: {e}"),
    })
}

/// The export text: a comment header, the resolved profile and its `[integrity]` table.
pub fn export(profile: &Profile) -> Result<String, ConfigError> {
    export_with(profile, None)
}

/// Like [`export`], signed with `key` when one is given.
pub fn export_with(profile: &Profile, key: Option<&TeamKey>) -> Result<String, ConfigError> {
    let body = to_toml(profile)?;
    let hash = profile.hash();
    let signed = match key {
        Some(k) => format!(
            "signature = \"{}\"\nkey_id = \"{}\"\n",
            k.sign(&hash),
            k.key_id()
        ),
        None => String::new(),
    };
    Ok(format!(
        "# lasso profile export: {name}\n\
         # A complete, resolved profile. Import it with `lasso profile import <file>`.\n\
         # The [integrity] hash covers the profile's content; edits make the import fail.\n\n\
         {body}\n[integrity]\nsha256 = \"{hash}\"\n{signed}",
        name = profile.name,
    ))
}

/// What an import verified.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedExport {
    pub profile: Profile,
    /// The recorded (and verified) content hash.
    pub sha256: String,
    /// The key that signed it, when it was signed (and the signature verified).
    pub key_id: Option<String>,
}

/// Parses and verifies an export for import: schema, integrity block, signature (a signed
/// file needs `key`; `key` given for an unsigned file is refused), then the content hash.
pub fn verify_import(
    text: &str,
    file: &str,
    key: Option<&TeamKey>,
) -> Result<VerifiedExport, ConfigError> {
    let (raw, profile) = resolve_standalone(text, file)?;
    let integrity = raw.integrity.clone().unwrap_or_default();
    let Some(recorded) = integrity.sha256.clone() else {
        return Err(ConfigError::IntegrityMissing {
            file: file.to_string(),
        });
    };
    let key_id = match (&integrity.signature, key) {
        (Some(_), None) => {
            return Err(ConfigError::SignatureRequired {
                file: file.to_string(),
                key_id: integrity
                    .key_id
                    .clone()
                    .unwrap_or_else(|| "(no key_id recorded)".into()),
            });
        }
        (None, Some(_)) => {
            return Err(ConfigError::SignatureUnexpected {
                file: file.to_string(),
            });
        }
        (Some(signature), Some(k)) => {
            let given = k.key_id();
            match &integrity.key_id {
                Some(signed_with) if !signed_with.eq_ignore_ascii_case(&given) => {
                    return Err(ConfigError::WrongKey {
                        file: file.to_string(),
                        signed_with: signed_with.clone(),
                        given,
                    });
                }
                Some(_) => {}
                None => {
                    return Err(ConfigError::BadSignature {
                        file: file.to_string(),
                        reason: "integrity.signature is present but integrity.key_id is missing"
                            .into(),
                    });
                }
            }
            k.verify(&recorded, signature)
                .map_err(|reason| ConfigError::BadSignature {
                    file: file.to_string(),
                    reason,
                })?;
            Some(given)
        }
        (None, None) => {
            if integrity.key_id.is_some() {
                return Err(ConfigError::BadSignature {
                    file: file.to_string(),
                    reason: "integrity.key_id is present but integrity.signature is missing \
                             (the signature was removed)"
                        .into(),
                });
            }
            None
        }
    };
    check_integrity(&raw, &profile, file)?;
    Ok(VerifiedExport {
        profile,
        sha256: recorded.to_ascii_lowercase(),
        key_id,
    })
}

/// Parses `text` as a standalone profile (no `extends`), validated.
pub fn resolve_standalone(text: &str, file: &str) -> Result<(RawProfile, Profile), ConfigError> {
    let raw = parse_profile(text, file)?;
    standalone_from_raw(raw, text, file)
}

fn standalone_from_raw(
    raw: RawProfile,
    text: &str,
    file: &str,
) -> Result<(RawProfile, Profile), ConfigError> {
    let map = SourceMap::parse(text, file)?;
    let Some(name) = raw.name.clone() else {
        return Err(ConfigError::Inconsistent {
            origin: Origin::file(file),
            key: "name".into(),
            message: "an exported profile must have a name".into(),
        });
    };
    if let Some(parent) = &raw.extends {
        return Err(ConfigError::Inconsistent {
            origin: map.origin_of("extends"),
            key: "extends".into(),
            message: format!(
                "extends = {:?} is not allowed here: exports are complete profiles; export the \
                 resolved profile instead",
                parent.0
            ),
        });
    }
    let profile = Profile::from_raw(raw.clone(), &name.0);
    profile.check(file, Some(&map))?;
    Ok((raw, profile))
}

/// Checks an `[integrity]` block against the profile it was parsed with.
pub fn check_integrity(raw: &RawProfile, profile: &Profile, file: &str) -> Result<(), ConfigError> {
    let Some(recorded) = raw.integrity.as_ref().and_then(|i| i.sha256.clone()) else {
        return Err(ConfigError::IntegrityMissing {
            file: file.to_string(),
        });
    };
    let actual = profile.hash();
    if recorded.eq_ignore_ascii_case(&actual) {
        Ok(())
    } else {
        Err(ConfigError::IntegrityMismatch {
            file: file.to_string(),
            recorded,
            actual,
        })
    }
}

/// Parses and verifies an export: schema, validation and integrity, in that order.
pub fn verify_export(text: &str, file: &str) -> Result<Profile, ConfigError> {
    let (raw, profile) = resolve_standalone(text, file)?;
    check_integrity(&raw, &profile, file)?;
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::builtin::BUILTINS;

    fn builtin_profile(name: &str) -> Profile {
        let b = BUILTINS.iter().find(|b| b.name == name);
        let text = b.map_or("", |b| b.text);
        match resolve_standalone(text, name) {
            Ok((_, p)) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn export_round_trips_every_builtin() {
        for b in BUILTINS {
            let p = builtin_profile(b.name);
            let text = export(&p).map_err(|e| e.to_string());
            let back = text.and_then(|t| verify_export(&t, "x.toml").map_err(|e| e.to_string()));
            assert_eq!(back.as_ref(), Ok(&p), "{}", b.name);
        }
    }

    #[test]
    fn any_content_edit_is_detected() {
        let p = builtin_profile("strict");
        let Ok(text) = export(&p) else {
            panic!("export failed")
        };
        let tampered = text.replace(
            "allow_shell_operators = false",
            "allow_shell_operators = true",
        );
        assert_ne!(tampered, text);
        let e = verify_export(&tampered, "strict-export.toml").map_err(|e| e.to_string());
        let msg = e.err().unwrap_or_default();
        assert!(
            msg.starts_with("strict-export.toml: integrity check failed: integrity.sha256 = "),
            "{msg}"
        );
        // Comments and formatting are not content.
        let reformatted = text.replace("# lasso profile export", "# edited comment");
        assert!(verify_export(&reformatted, "x.toml").is_ok());
    }

    #[test]
    fn missing_integrity_and_extends_are_refused() {
        let p = builtin_profile("minimal");
        let Ok(body) = to_toml(&p) else {
            panic!("to_toml failed")
        };
        let msg = verify_export(&body, "m.toml").err().map(|e| e.to_string());
        assert!(msg.is_some_and(|m| m.starts_with("m.toml: no [integrity] table")));
        let with_extends = format!("extends = \"strict\"\n{body}");
        let msg = verify_export(&with_extends, "m.toml")
            .err()
            .map(|e| e.to_string());
        assert!(
            msg.as_deref().is_some_and(
                |m| m.starts_with("m.toml:1:11: extends: extends = \"strict\" is not allowed")
            ),
            "{msg:?}"
        );
    }
}
