//! Which image a profile's sandboxes run, and making sure it exists — without a registry.
//!
//! A profile's image tag is derived from its image-affecting fields only (base image and
//! packages), so two profiles share an image exactly when they would build the same one.
//! Profiles without packages get a labelled image `FROM` the base; profiles with packages
//! get a Debian root filesystem made on the host with debootstrap (no build container needs
//! the network). The default base image is bootstrapped from the host's static busybox on
//! first use; any other base must already be in the engine's store.

use std::collections::BTreeMap;

use super::error::SandboxError;
use crate::config::{DEFAULT_BASE_IMAGE, Profile, Settings};
use crate::runtime::{self, Engine};

/// Progress of image preparation, for progress bars and logs.
pub type ImageProgress = runtime::ProgressEvent;

/// The base image for a profile: its own `image.base`, else settings (`LASSO_BASE_IMAGE`,
/// `config.toml`), else the built-in default.
pub fn base_image_for(profile: &Profile, settings: &Settings) -> String {
    profile
        .effective_base_image(&settings.base_image)
        .to_string()
}

/// Returns the profile's image tag, building it (and the default base) when missing.
pub async fn ensure_profile_image(
    engine: &Engine,
    profile: &Profile,
    base: &str,
    progress: &mut (dyn FnMut(ImageProgress) + Send),
) -> Result<String, SandboxError> {
    let tag = profile.image_tag(base);
    if engine.image_exists(&tag).await? {
        return Ok(tag);
    }
    build_profile_image(engine, profile, base, progress).await
}

/// Builds (or rebuilds) the profile's image and returns its tag.
pub async fn build_profile_image(
    engine: &Engine,
    profile: &Profile,
    base: &str,
    progress: &mut (dyn FnMut(ImageProgress) + Send),
) -> Result<String, SandboxError> {
    let tag = profile.image_tag(base);
    let mut labels = BTreeMap::new();
    labels.insert("lasso.image".to_string(), "profile".to_string());
    labels.insert("lasso.image.hash".to_string(), profile.image_hash(base));
    labels.insert("lasso.image.base".to_string(), base.to_string());
    if profile.image.packages.is_empty() {
        ensure_base(engine, base, progress).await?;
        engine
            .derive_image(&tag, base, &labels, &mut *progress)
            .await?;
    } else {
        // The Debian root filesystem is built under a temporary tag, then labelled like
        // every other profile image.
        let rootfs_tag = format!("{}-rootfs:latest", tag.split(':').next().unwrap_or(&tag));
        let dir = std::env::temp_dir().join(format!(
            "lasso-rootfs-{}-{}",
            profile.image_hash(base).get(..16).unwrap_or("x"),
            std::process::id()
        ));
        let opts = runtime::DebianOptions::new(dir, profile.image.packages.clone());
        runtime::build_debian_image(engine, &rootfs_tag, &opts, &mut *progress).await?;
        let derived = engine
            .derive_image(&tag, &rootfs_tag, &labels, &mut *progress)
            .await;
        let _ = engine.remove_image(&rootfs_tag, false).await;
        derived?;
    }
    Ok(tag)
}

/// Makes sure the base image exists: the default one is bootstrapped from busybox, any other
/// must have been loaded into the engine (nothing can be pulled).
pub async fn ensure_base(
    engine: &Engine,
    base: &str,
    progress: &mut (dyn FnMut(ImageProgress) + Send),
) -> Result<(), SandboxError> {
    if engine.image_exists(base).await? {
        return Ok(());
    }
    if base == DEFAULT_BASE_IMAGE {
        runtime::bootstrap_busybox(engine, base, &mut *progress).await?;
        return Ok(());
    }
    Err(SandboxError::Image(format!(
        "base image `{base}` is not in the {} store and lasso never pulls from a registry; \
         load it (`docker load` / `podman load`), or unset LASSO_BASE_IMAGE / base_image to use \
         the default `{DEFAULT_BASE_IMAGE}`, which `lasso image bootstrap` builds locally",
        engine.kind()
    )))
}
