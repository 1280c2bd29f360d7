//! Debian images without a registry: `debootstrap --variant=minbase` on the host, the
//! rootfs tarred and imported, then a tiny build on top that adds the sandbox user.
//!
//! debootstrap runs on the host (as root) rather than in a build container because no
//! Debian image exists to build from; its output is streamed line by line to the progress
//! callback. The mirror is taken from the host's apt sources when they name one, so a host
//! behind an apt proxy or mirror keeps working. Package names are validated against
//! Debian's naming rule before they reach the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::{ProgressEvent, split_tag};
use crate::runtime::connect::Engine;
use crate::runtime::error::RuntimeError;

/// Used when the host's apt sources name no Debian mirror.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
/// The Debian release built.
pub const DEFAULT_SUITE: &str = "bookworm";

/// The tiny build on top of the imported rootfs.
const DOCKERFILE_TEMPLATE: &str = r#"FROM {ROOTFS}
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
RUN ["/bin/sh", "-c", "groupadd -g 1000 sandbox && useradd -u 1000 -g 1000 -d /home/sandbox -M -s /bin/sh -c 'lasso sandbox' sandbox && mkdir -p /workspace /home/sandbox && chown 1000:1000 /workspace /home/sandbox && rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*"]
WORKDIR /workspace
"#;

/// What to bootstrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebianOptions {
    /// Directory for the rootfs; must not exist or be empty. Removed afterwards unless `keep_rootfs`.
    pub dir: PathBuf,
    /// Extra packages (`--include`).
    pub packages: Vec<String>,
    /// Release (`bookworm`).
    pub suite: String,
    /// Mirror URL; `None` reads the host's apt sources, then falls back to [`DEFAULT_MIRROR`].
    pub mirror: Option<String>,
    /// The debootstrap binary.
    pub debootstrap: PathBuf,
    /// Keep the rootfs directory and tarball (for debugging).
    pub keep_rootfs: bool,
}

impl DebianOptions {
    /// Options for `dir` and `packages` with the defaults above.
    pub fn new(dir: impl Into<PathBuf>, packages: Vec<String>) -> DebianOptions {
        DebianOptions {
            dir: dir.into(),
            packages,
            suite: DEFAULT_SUITE.to_string(),
            mirror: None,
            debootstrap: PathBuf::from("/usr/sbin/debootstrap"),
            keep_rootfs: false,
        }
    }
}

/// Debian policy: lowercase letters, digits, `+`, `-`, `.`; at least two characters,
/// starting with a letter or digit.
pub fn validate_package_name(name: &str) -> Result<(), RuntimeError> {
    let mut chars = name.chars();
    let ok = name.len() >= 2
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(RuntimeError::spec(
            "packages",
            format!(
                "{name:?} is not a Debian package name (lowercase letters, digits, '+', '-', '.')"
            ),
        ))
    }
}

/// The first Debian mirror for `suite` in apt sources (one-line `sources.list` format and
/// deb822 `.sources` format), ignoring security and non-`deb` entries.
pub fn debian_mirror_from_sources(list: &str, deb822: &str, suite: &str) -> Option<String> {
    let is_mirror = |uri: &str| uri.starts_with("http://") || uri.starts_with("https://");
    for line in list.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let mut parts = line.split_whitespace();
        if parts.next() != Some("deb") {
            continue;
        }
        let mut uri = parts.next()?;
        if uri.starts_with('[') {
            // Options block: `deb [arch=amd64 signed-by=...] URI suite ...`.
            if !uri.ends_with(']') {
                parts.find(|p| p.ends_with(']'))?;
            }
            uri = parts.next()?;
        }
        if parts.next() == Some(suite) && is_mirror(uri) && !uri.contains("security") {
            return Some(uri.trim_end_matches('/').to_string());
        }
    }
    for stanza in deb822.split("\n\n") {
        let field = |name: &str| {
            stanza.lines().find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().to_string())
            })
        };
        let types = field("Types").unwrap_or_default();
        let suites = field("Suites").unwrap_or_default();
        if !types.split_whitespace().any(|t| t == "deb")
            || !suites.split_whitespace().any(|s| s == suite)
        {
            continue;
        }
        if let Some(uri) = field("URIs")
            .unwrap_or_default()
            .split_whitespace()
            .find(|u| is_mirror(u) && !u.contains("security"))
        {
            return Some(uri.trim_end_matches('/').to_string());
        }
    }
    None
}

fn host_mirror(suite: &str) -> String {
    let mut list = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    let mut deb822 = String::new();
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        for e in dir.flatten() {
            let p = e.path();
            let text = || std::fs::read_to_string(&p).unwrap_or_default();
            if p.extension().is_some_and(|x| x == "sources") {
                deb822.push_str(&text());
                deb822.push_str("\n\n");
            } else if p.extension().is_some_and(|x| x == "list") {
                list.push('\n');
                list.push_str(&text());
            }
        }
    }
    debian_mirror_from_sources(&list, &deb822, suite).unwrap_or_else(|| DEFAULT_MIRROR.to_string())
}

/// Runs debootstrap into `opts.dir`, streaming its output.
pub async fn build_debian_rootfs<F>(
    opts: &DebianOptions,
    on_progress: &mut F,
) -> Result<(), RuntimeError>
where
    F: FnMut(ProgressEvent) + Send,
{
    for p in &opts.packages {
        validate_package_name(p)?;
    }
    if !opts.suite.chars().all(|c| c.is_ascii_lowercase()) || opts.suite.is_empty() {
        return Err(RuntimeError::spec(
            "suite",
            format!("{:?} is not a Debian release name", opts.suite),
        ));
    }
    if let Ok(mut entries) = std::fs::read_dir(&opts.dir)
        && entries.next().is_some()
    {
        return Err(RuntimeError::spec(
            "dir",
            format!(
                "{} is not empty; give debootstrap a new or empty directory",
                opts.dir.display()
            ),
        ));
    }
    if !opts.debootstrap.exists() {
        return Err(RuntimeError::Bootstrap {
            step: "debootstrap",
            message: format!(
                "{} not found: install it (`apt-get install debootstrap`)",
                opts.debootstrap.display()
            ),
        });
    }
    let mirror = opts
        .mirror
        .clone()
        .unwrap_or_else(|| host_mirror(&opts.suite));
    let mut cmd = tokio::process::Command::new(&opts.debootstrap);
    cmd.arg("--variant=minbase");
    if !opts.packages.is_empty() {
        cmd.arg(format!("--include={}", opts.packages.join(",")));
    }
    cmd.arg(&opts.suite)
        .arg(&opts.dir)
        .arg(&mirror)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    on_progress(ProgressEvent::Phase(format!(
        "debootstrap {} into {} from {mirror}",
        opts.suite,
        opts.dir.display()
    )));
    let mut child = cmd.spawn().map_err(|e| RuntimeError::Bootstrap {
        step: "debootstrap",
        message: format!("cannot start {}: {e}", opts.debootstrap.display()),
    })?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut l = BufReader::new(out).lines();
            while let Ok(Some(line)) = l.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut l = BufReader::new(err).lines();
            while let Ok(Some(line)) = l.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let mut tail: Vec<String> = Vec::new();
    while let Some(line) = rx.recv().await {
        if tail.len() == 20 {
            tail.remove(0);
        }
        tail.push(line.clone());
        on_progress(ProgressEvent::Line(line));
    }
    let status = child.wait().await.map_err(|e| RuntimeError::Bootstrap {
        step: "debootstrap",
        message: format!("waiting for debootstrap: {e}"),
    })?;
    if !status.success() {
        return Err(RuntimeError::Bootstrap {
            step: "debootstrap",
            message: format!(
                "debootstrap exited with {status} (it must run as root and reach {mirror}); see {} \
                 for details. Last output:\n  {}",
                opts.dir.join("debootstrap/debootstrap.log").display(),
                tail.join("\n  ")
            ),
        });
    }
    Ok(())
}

/// Paths left out of the rootfs tarball: runtime-mounted or caches.
fn skip_in_rootfs(rel: &Path) -> bool {
    let s = rel.to_string_lossy();
    ["dev/", "proc/", "sys/", "run/"]
        .iter()
        .any(|p| s.starts_with(p))
        || (s.starts_with("var/cache/apt/archives/") && s.ends_with(".deb"))
}

/// Tars `root` (without following symlinks) into `out`.
pub(crate) fn tar_rootfs(root: &Path, out: &Path) -> Result<(), RuntimeError> {
    let file = std::fs::File::create(out).map_err(|e| RuntimeError::io("creating", out, e))?;
    let mut b = tar::Builder::new(std::io::BufWriter::new(file));
    b.follow_symlinks(false);
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let full = root.join(&rel);
        let entries =
            std::fs::read_dir(&full).map_err(|e| RuntimeError::io("reading", &full, e))?;
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let rel_child = rel.join(&name);
            let full_child = root.join(&rel_child);
            if skip_in_rootfs(&rel_child) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&full_child)
                .map_err(|e| RuntimeError::io("reading", &full_child, e))?;
            b.append_path_with_name(&full_child, &rel_child)
                .map_err(|e| RuntimeError::io("adding to tarball", &full_child, e))?;
            if meta.is_dir() {
                stack.push(rel_child);
            }
        }
    }
    b.into_inner()
        .and_then(|mut w| std::io::Write::flush(&mut w))
        .map_err(|e| RuntimeError::io("writing", out, e))
}

/// debootstrap → tar → import → build `tag` with the sandbox user. See the module docs.
pub async fn build_debian_image<F>(
    engine: &Engine,
    tag: &str,
    opts: &DebianOptions,
    mut on_progress: F,
) -> Result<(), RuntimeError>
where
    F: FnMut(ProgressEvent) + Send,
{
    build_debian_rootfs(opts, &mut on_progress).await?;
    let tarball = opts.dir.with_extension("rootfs.tar");
    on_progress(ProgressEvent::Phase(format!(
        "tar {} into {}",
        opts.dir.display(),
        tarball.display()
    )));
    let (root, out) = (opts.dir.clone(), tarball.clone());
    tokio::task::spawn_blocking(move || tar_rootfs(&root, &out))
        .await
        .map_err(|e| RuntimeError::Bootstrap {
            step: "tar",
            message: format!("the tar task failed: {e}"),
        })??;

    let (repo, t) = split_tag(tag);
    let rootfs_tag = format!("{repo}-rootfs:{t}");
    let result = async {
        engine
            .import_rootfs(&rootfs_tag, &tarball, &mut on_progress)
            .await?;
        let mut labels = BTreeMap::new();
        labels.insert("lasso.image".to_string(), "debian".to_string());
        labels.insert("lasso.debian.suite".to_string(), opts.suite.clone());
        labels.insert("lasso.debian.packages".to_string(), opts.packages.join(","));
        let dockerfile = DOCKERFILE_TEMPLATE.replace("{ROOTFS}", &rootfs_tag);
        engine
            .build_image(tag, &[], &dockerfile, &labels, &mut on_progress)
            .await
    }
    .await;
    // The final image keeps the layers; the intermediate tag is only clutter.
    let _ = engine.remove_image(&rootfs_tag, false).await;
    if !opts.keep_rootfs {
        let _ = tokio::fs::remove_file(&tarball).await;
        let _ = tokio::fs::remove_dir_all(&opts.dir).await;
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for ok in ["jq", "python3", "g++", "libc6-dev", "lib32z1", "0ad"] {
            validate_package_name(ok).unwrap();
        }
        for bad in ["", "a", "Jq", "jq;rm", "--force", "a b", "jq,curl"] {
            assert!(validate_package_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mirror_from_deb822() {
        let deb822 = "Types: deb\n# comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\n\
                      Components: main\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n";
        assert_eq!(
            debian_mirror_from_sources("", deb822, "bookworm").as_deref(),
            Some("http://deb.debian.org/debian")
        );
        assert_eq!(debian_mirror_from_sources("", deb822, "trixie"), None);
    }

    #[test]
    fn mirror_from_sources_list() {
        let list = "# deb http://old/ bookworm main\ndeb-src http://src/debian bookworm main\n\
                    deb http://security.debian.org/debian-security bookworm-security main\n\
                    deb [signed-by=/usr/share/keyrings/k.gpg] http://mirror.example/debian/ bookworm main\n";
        assert_eq!(
            debian_mirror_from_sources(list, "", "bookworm").as_deref(),
            Some("http://mirror.example/debian")
        );
    }

    #[test]
    fn rootfs_skips_runtime_dirs_and_debs() {
        assert!(skip_in_rootfs(Path::new("dev/null")));
        assert!(skip_in_rootfs(Path::new("proc/1")));
        assert!(skip_in_rootfs(Path::new(
            "var/cache/apt/archives/jq_1.6.deb"
        )));
        assert!(!skip_in_rootfs(Path::new("dev")));
        assert!(!skip_in_rootfs(Path::new("usr/bin/jq")));
    }

    #[test]
    fn tars_a_tree_with_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::create_dir_all(root.join("dev")).unwrap();
        std::fs::write(root.join("dev/junk"), b"x").unwrap();
        std::fs::write(root.join("usr/bin/tool"), b"#!/bin/sh\n").unwrap();
        std::os::unix::fs::symlink("usr/bin", root.join("bin")).unwrap();
        let out = dir.path().join("r.tar");
        tar_rootfs(&root, &out).unwrap();
        let mut ar = tar::Archive::new(std::fs::File::open(&out).unwrap());
        let mut entries: Vec<(String, tar::EntryType)> = ar
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().entry_type(),
                )
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(names, vec!["bin", "dev", "usr", "usr/bin", "usr/bin/tool"]);
        assert_eq!(entries[0].1, tar::EntryType::Symlink);
    }

    #[tokio::test]
    async fn refuses_bad_input_before_running_anything() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), b"").unwrap();
        let mut events = Vec::new();
        let mut cb = |e: ProgressEvent| events.push(e);
        let e = build_debian_rootfs(&DebianOptions::new(dir.path(), vec![]), &mut cb)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not empty"), "{e}");
        let e = build_debian_rootfs(
            &DebianOptions::new(dir.path().join("new"), vec!["bad pkg".into()]),
            &mut cb,
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("not a Debian package name"), "{e}");
        let mut o = DebianOptions::new(dir.path().join("new"), vec![]);
        o.debootstrap = dir.path().join("no-debootstrap");
        let e = build_debian_rootfs(&o, &mut cb).await.unwrap_err();
        assert!(e.to_string().contains("apt-get install debootstrap"), "{e}");
        assert!(events.is_empty());
    }
}
