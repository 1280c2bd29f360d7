//! The base image without a registry: `FROM scratch` plus the host's static busybox.
//!
//! The binary must be static (no ELF `PT_INTERP`): a dynamic one would need a loader and
//! libc that a scratch image does not have, and would fail only when the first command runs.
//! The image is labelled with the busybox's SHA-256, which makes the bootstrap idempotent
//! (an image built from the same binary is reused) without trusting a tag alone.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{ContextFile, ProgressEvent};
use crate::runtime::connect::Engine;
use crate::runtime::error::RuntimeError;
use crate::runtime::http::encode_path_segment;

/// Default tag of the base image.
pub const BASE_IMAGE: &str = "lasso-base:latest";
/// Where Debian's busybox-static installs the binary.
pub const BUSYBOX_PATH: &str = "/bin/busybox";

/// Label recording which busybox an image was built from.
const BUSYBOX_LABEL: &str = "lasso.busybox.sha256";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
sandbox:x:1000:1000:lasso sandbox:/home/sandbox:/bin/sh\n\
nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";

const GROUP: &str = "root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n";

const DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
COPY passwd /etc/passwd
COPY group /etc/group
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && /bin/busybox mkdir -p /usr/bin /usr/sbin /sbin /root /workspace /home/sandbox /tmp /var/tmp /run && /bin/busybox ln -s /bin/env /usr/bin/env && /bin/busybox chown 1000:1000 /workspace /home/sandbox && /bin/busybox chmod 1777 /tmp /var/tmp && /bin/busybox chmod 0700 /root"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /workspace
"#;

/// Checks that `bytes` is an ELF executable without a program interpreter (statically linked).
pub fn check_static_elf(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF binary".into());
    }
    let is64 = match bytes[4] {
        1 => false,
        2 => true,
        c => return Err(format!("unknown ELF class {c}")),
    };
    let le = match bytes[5] {
        1 => true,
        2 => false,
        d => return Err(format!("unknown ELF data encoding {d}")),
    };
    let u16_at = |o: usize| -> Option<u64> {
        let b: [u8; 2] = bytes.get(o..o + 2)?.try_into().ok()?;
        Some(u64::from(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    };
    let u32_at = |o: usize| -> Option<u64> {
        let b: [u8; 4] = bytes.get(o..o + 4)?.try_into().ok()?;
        Some(u64::from(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }))
    };
    let u64_at = |o: usize| -> Option<u64> {
        let b: [u8; 8] = bytes.get(o..o + 8)?.try_into().ok()?;
        Some(if le {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    };
    let truncated = || "truncated ELF header".to_string();
    let (phoff, phentsize, phnum) = if is64 {
        (
            u64_at(0x20).ok_or_else(truncated)?,
            u16_at(0x36).ok_or_else(truncated)?,
            u16_at(0x38).ok_or_else(truncated)?,
        )
    } else {
        (
            u32_at(0x1c).ok_or_else(truncated)?,
            u16_at(0x2a).ok_or_else(truncated)?,
            u16_at(0x2c).ok_or_else(truncated)?,
        )
    };
    const PT_INTERP: u64 = 3;
    for i in 0..phnum {
        let off = usize::try_from(phoff + i * phentsize).map_err(|_| truncated())?;
        let p_type = u32_at(off).ok_or_else(|| "program header table is truncated".to_string())?;
        if p_type == PT_INTERP {
            return Err("dynamically linked (has an ELF program interpreter)".into());
        }
    }
    Ok(())
}

/// Labels of an image, or `None` if it does not exist.
async fn image_labels(
    engine: &Engine,
    tag: &str,
) -> Result<Option<BTreeMap<String, String>>, RuntimeError> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Img {
        #[serde(rename = "Config")]
        config: Cfg,
    }
    #[derive(serde::Deserialize, Default)]
    #[serde(default)]
    struct Cfg {
        #[serde(rename = "Labels")]
        labels: Option<BTreeMap<String, String>>,
    }
    let r = engine
        .raw(
            "GET",
            &format!("/images/{}/json", encode_path_segment(tag)),
            None,
        )
        .await?;
    match r.status {
        404 => Ok(None),
        200..=299 => {
            let img: Img = serde_json::from_slice(&r.body).map_err(|e| RuntimeError::Protocol {
                engine: engine.kind,
                op: format!("inspect image {tag}"),
                message: e.to_string(),
            })?;
            Ok(Some(img.config.labels.unwrap_or_default()))
        }
        s => Err(RuntimeError::from_status(
            engine.kind,
            format!("inspect image {tag}"),
            s,
            r.error_message(),
        )),
    }
}

/// Builds the busybox base image `tag` from [`BUSYBOX_PATH`] unless an image built from the
/// same binary already exists. Returns whether a build ran.
pub async fn bootstrap_busybox<F>(
    engine: &Engine,
    tag: &str,
    on_progress: F,
) -> Result<bool, RuntimeError>
where
    F: FnMut(ProgressEvent) + Send,
{
    bootstrap_busybox_from(engine, tag, Path::new(BUSYBOX_PATH), on_progress).await
}

/// [`bootstrap_busybox`] with an explicit busybox binary.
pub async fn bootstrap_busybox_from<F>(
    engine: &Engine,
    tag: &str,
    busybox: &Path,
    mut on_progress: F,
) -> Result<bool, RuntimeError>
where
    F: FnMut(ProgressEvent) + Send,
{
    let bytes = tokio::fs::read(busybox).await.map_err(|e| RuntimeError::Bootstrap {
        step: "busybox",
        message: format!(
            "cannot read {}: {e}. Install a static busybox (Debian/Ubuntu: `apt-get install busybox-static`, \
             Fedora: `dnf install busybox`)",
            busybox.display()
        ),
    })?;
    check_static_elf(&bytes).map_err(|why| RuntimeError::Bootstrap {
        step: "busybox",
        message: format!(
            "{} is {why}; a FROM-scratch image needs a statically linked busybox. Install busybox-static \
             (`apt-get install busybox-static`) or pass the path of a static build",
            busybox.display()
        ),
    })?;
    let sha = hex::encode(Sha256::digest(&bytes));
    if let Some(labels) = image_labels(engine, tag).await?
        && labels.get(BUSYBOX_LABEL) == Some(&sha)
    {
        on_progress(ProgressEvent::Phase(format!("{tag} is up to date")));
        return Ok(false);
    }
    let mut labels = BTreeMap::new();
    labels.insert("lasso.image".to_string(), "base".to_string());
    labels.insert(BUSYBOX_LABEL.to_string(), sha);
    let context = [
        ContextFile::new("busybox", bytes, 0o755),
        ContextFile::new("passwd", PASSWD.as_bytes().to_vec(), 0o644),
        ContextFile::new("group", GROUP.as_bytes().to_vec(), 0o644),
    ];
    engine
        .build_image(tag, &context, DOCKERFILE, &labels, on_progress)
        .await?;
    Ok(true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// A minimal 64-bit little-endian ELF header with `phnum` program headers of `types`.
    fn elf64(types: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; 64 + 56 * types.len()];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        b[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        b[0x38..0x3a].copy_from_slice(&(types.len() as u16).to_le_bytes());
        for (i, t) in types.iter().enumerate() {
            b[64 + 56 * i..68 + 56 * i].copy_from_slice(&t.to_le_bytes());
        }
        b
    }

    #[test]
    fn detects_static_and_dynamic_elf() {
        assert_eq!(check_static_elf(&elf64(&[1, 1, 4])), Ok(()));
        assert!(
            check_static_elf(&elf64(&[6, 3, 1]))
                .unwrap_err()
                .contains("dynamically linked")
        );
        assert!(
            check_static_elf(b"#!/bin/sh\necho hi\n")
                .unwrap_err()
                .contains("not an ELF")
        );
        let mut truncated = elf64(&[1, 3]);
        truncated.truncate(64 + 10);
        assert!(check_static_elf(&truncated).is_err());
    }

    #[test]
    fn host_binaries_are_classified() {
        // /bin/sh on any Linux host is dynamic; busybox-static (when installed) is static.
        let sh = std::fs::read("/bin/sh").unwrap();
        assert!(check_static_elf(&sh).is_err());
        if let Ok(bb) = std::fs::read(BUSYBOX_PATH) {
            assert_eq!(check_static_elf(&bb), Ok(()));
        }
    }

    #[test]
    fn passwd_has_root_and_sandbox() {
        assert!(PASSWD.lines().any(|l| l.starts_with("root:x:0:0:")));
        assert!(PASSWD.contains("sandbox:x:1000:1000:lasso sandbox:/home/sandbox:/bin/sh"));
        assert!(GROUP.contains("sandbox:x:1000:"));
    }
}
