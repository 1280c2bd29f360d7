//! Builds the in-sandbox guard (`guard/`, package `lasso-guard`) as a static binary and hands
//! its path to the crate (`LASSO_GUARD_BIN`), which embeds it: lasso is one binary, and the
//! guard it mounts into sandboxes is always the one built from the same sources as the gate.
//!
//! The guard is a separate package (own workspace and Cargo.lock) because it is linked with
//! `+crt-static` for an explicit target, which must not apply to this crate's proc-macros.
//! `LASSO_GUARD_PREBUILT=/path/to/lasso-guard` skips the nested build (development only).

use std::env;
use std::path::PathBuf;
use std::process::{Command, exit};

fn main() {
    println!("cargo:rerun-if-env-changed=LASSO_GUARD_PREBUILT");
    if let Ok(prebuilt) = env::var("LASSO_GUARD_PREBUILT") {
        println!("cargo:rerun-if-changed={prebuilt}");
        println!("cargo:rustc-env=LASSO_GUARD_BIN={prebuilt}");
        return;
    }
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let guard = manifest_dir.join("guard");
    for p in [
        "guard/Cargo.toml",
        "guard/Cargo.lock",
        "guard/src",
        "src/policy",
    ] {
        println!("cargo:rerun-if-changed={p}");
    }
    let target = env::var("TARGET").unwrap_or_else(|_| "x86_64-unknown-linux-gnu".into());
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("target"))
        .join("guard");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(guard.join("Cargo.toml"))
        .args(["--target", &target, "--target-dir"])
        .arg(&target_dir)
        // Only the guard is linked statically; the outer build's flags (sanitizers for fuzzing,
        // coverage) are not meant for it.
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("building the in-sandbox guard (guard/) failed: {s}");
            exit(1);
        }
        Err(e) => {
            eprintln!("cannot run cargo to build the in-sandbox guard (guard/): {e}");
            exit(1);
        }
    }
    let bin = target_dir.join(&target).join("release").join("lasso-guard");
    println!("cargo:rustc-env=LASSO_GUARD_BIN={}", bin.display());
}
