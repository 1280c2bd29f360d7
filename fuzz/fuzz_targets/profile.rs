//! Fuzzes profile parsing and resolution with arbitrary text: parsed as a file, merged over
//! a built-in parent the way `extends` merges (so `_add` lists and per-entry tables go through
//! the overlay), resolved, validated, exported and re-imported; and verified as an export
//! (integrity and signature checks). Nothing may panic, and whatever validates must survive
//! export and import unchanged.
#![no_main]

use lasso::config::{
    BUILTINS, Profile, TeamKey, export_with, parse_profile, verify_export, verify_import,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let key = TeamKey::from_bytes(&[7u8; 32]).expect("a 32-byte key is valid");
    // As an export, with and without a key: must answer, never panic.
    let _ = verify_export(&text, "fuzz.toml");
    let _ = verify_import(&text, "fuzz.toml", None);
    let _ = verify_import(&text, "fuzz.toml", Some(&key));
    let Ok(child) = parse_profile(&text, "fuzz.toml") else {
        return;
    };
    for parent in BUILTINS {
        let Ok(parent) = parse_profile(parent.text, "builtin") else {
            panic!("built-in {} does not parse", parent.name);
        };
        let p = Profile::from_raw(parent.overlay(child.clone()), "fuzz");
        if p.validate().is_err() {
            continue;
        }
        let _ = p.gate_policy();
        let exported = export_with(&p, Some(&key)).expect("a valid profile exports");
        assert!(!exported.contains("_add ="), "exports are expanded");
        let back = verify_import(&exported, "x.toml", Some(&key)).expect("an export imports");
        assert_eq!(back.profile, p);
    }
});
