//! Local images: existence checks, builds from an in-memory context, rootfs imports,
//! save/load between engines, removal. No registry is ever contacted: builds run with
//! `pull` unset and `networkmode=none`, so a `FROM` that is not local fails instead of
//! fetching something unreviewed.
//!
//! The two registry-free bootstraps (static busybox, Debian via debootstrap) live in the
//! `bootstrap` and `debian` submodules; both end in [`Engine::build_image`].

mod bootstrap;
mod debian;

pub use bootstrap::{
    BASE_IMAGE, BUSYBOX_PATH, bootstrap_busybox, bootstrap_busybox_from, check_static_elf,
};
pub use debian::{
    DEFAULT_MIRROR, DEFAULT_SUITE, DebianOptions, build_debian_image, build_debian_rootfs,
    debian_mirror_from_sources, validate_package_name,
};

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use bollard::query_parameters::{
    BuildImageOptionsBuilder, CreateImageOptionsBuilder, ImportImageOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncReadExt;

use super::connect::Engine;
use super::error::RuntimeError;
use super::http::encode_path_segment;

/// Name of the Dockerfile inside generated build contexts.
const DOCKERFILE_NAME: &str = ".lasso.Dockerfile";
/// Chunk size for streaming tarballs to the engine.
const CHUNK: usize = 1 << 20;

/// Progress of a long image operation, for progress bars and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// A phase started (`debootstrap`, `import`, `build`, ...).
    Phase(String),
    /// One line of output from the engine or a host tool.
    Line(String),
}

/// One file of a build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// Relative path inside the context (`bin/busybox`).
    pub path: String,
    /// Contents.
    pub data: Vec<u8>,
    /// Unix mode (`0o755`).
    pub mode: u32,
}

impl ContextFile {
    /// A context file.
    pub fn new(path: impl Into<String>, data: Vec<u8>, mode: u32) -> ContextFile {
        ContextFile {
            path: path.into(),
            data,
            mode,
        }
    }
}

/// Builds the tar stream of a build context (deterministic: mtime 0, uid/gid 0).
pub(crate) fn context_tar(
    files: &[ContextFile],
    dockerfile: &str,
) -> Result<Vec<u8>, RuntimeError> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |path: &str, data: &[u8], mode: u32| -> Result<(), RuntimeError> {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, data)
            .map_err(|e| RuntimeError::spec(format!("context[{path:?}]"), e.to_string()))
    };
    for f in files {
        let p = &f.path;
        let bad = p.is_empty()
            || p.starts_with('/')
            || p.split('/').any(|c| c.is_empty() || c == "." || c == "..")
            || p == DOCKERFILE_NAME;
        if bad {
            return Err(RuntimeError::spec(
                format!("context[{p:?}]"),
                format!("context paths must be relative, normalised, and not {DOCKERFILE_NAME}"),
            ));
        }
        add(p, &f.data, f.mode)?;
    }
    add(DOCKERFILE_NAME, dockerfile.as_bytes(), 0o644)?;
    b.into_inner()
        .map_err(|e| RuntimeError::spec("context", format!("cannot finish the tar stream: {e}")))
}

/// Splits engine output into trimmed, non-empty lines.
fn lines(s: &str) -> impl Iterator<Item = String> + '_ {
    s.lines()
        .map(|l| l.trim_end().to_string())
        .filter(|l| !l.trim().is_empty())
}

/// A stream of a file's bytes in [`CHUNK`]-sized pieces.
fn file_stream(
    file: tokio::fs::File,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures_util::stream::unfold(Some(file), |state| async move {
        let mut file = state?;
        let mut buf = vec![0u8; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}

impl Engine {
    /// Whether `tag` exists in the engine's local store.
    pub async fn image_exists(&self, tag: &str) -> Result<bool, RuntimeError> {
        self.exists(
            &format!("/images/{}/json", encode_path_segment(tag)),
            &format!("inspect image {tag}"),
        )
        .await
    }

    /// The image id of `tag` (`sha256:...`).
    pub async fn image_id(&self, tag: &str) -> Result<String, RuntimeError> {
        #[derive(serde::Deserialize)]
        struct Img {
            #[serde(rename = "Id")]
            id: String,
        }
        let r: Img = self
            .raw_json(
                &format!("inspect image {tag}"),
                &format!("/images/{}/json", encode_path_segment(tag)),
            )
            .await
            .map_err(|e| {
                if e.is_not_found() {
                    RuntimeError::ImageNotFound {
                        image: tag.to_string(),
                        engine: self.kind,
                        hint: "build it first".into(),
                    }
                } else {
                    e
                }
            })?;
        Ok(r.id)
    }

    /// Builds `tag` from `dockerfile` and the given context files. Build output is streamed
    /// to `on_progress`; a failing step is reported with the engine's message.
    pub async fn build_image<F>(
        &self,
        tag: &str,
        context: &[ContextFile],
        dockerfile: &str,
        labels: &BTreeMap<String, String>,
        mut on_progress: F,
    ) -> Result<(), RuntimeError>
    where
        F: FnMut(ProgressEvent) + Send,
    {
        let tar = context_tar(context, dockerfile)?;
        on_progress(ProgressEvent::Phase(format!(
            "build {tag} on {}",
            self.kind
        )));
        let labels: HashMap<String, String> =
            labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let opts = BuildImageOptionsBuilder::default()
            .dockerfile(DOCKERFILE_NAME)
            .t(tag)
            .rm(true)
            .forcerm(true)
            .labels(&labels)
            .networkmode("none")
            .build();
        let mut stream =
            self.docker
                .build_image(opts, None, Some(bollard::body_full(Bytes::from(tar))));
        let mut last_lines: Vec<String> = Vec::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    for text in [info.stream, info.status].into_iter().flatten() {
                        for l in lines(&text) {
                            if last_lines.len() == 20 {
                                last_lines.remove(0);
                            }
                            last_lines.push(l.clone());
                            on_progress(ProgressEvent::Line(l));
                        }
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => {
                    return Err(RuntimeError::BuildFailed {
                        tag: tag.to_string(),
                        engine: self.kind,
                        message: error.trim().to_string(),
                    });
                }
                Err(e) => {
                    let e = RuntimeError::from_bollard(self.kind, format!("build image {tag}"), e);
                    return Err(RuntimeError::BuildFailed {
                        tag: tag.to_string(),
                        engine: self.kind,
                        message: format!("{e}{}", tail(&last_lines)),
                    });
                }
            }
        }
        // Podman's compat build can end the stream without an error record on failure:
        // trust only what the store says.
        if !self.image_exists(tag).await? {
            return Err(RuntimeError::BuildFailed {
                tag: tag.to_string(),
                engine: self.kind,
                message: format!(
                    "the build finished but the image is not in the store{}",
                    tail(&last_lines)
                ),
            });
        }
        Ok(())
    }

    /// A labelled image `FROM base` (per-profile images without extra packages).
    pub async fn derive_image<F>(
        &self,
        tag: &str,
        base: &str,
        labels: &BTreeMap<String, String>,
        on_progress: F,
    ) -> Result<(), RuntimeError>
    where
        F: FnMut(ProgressEvent) + Send,
    {
        if base.is_empty() || base.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RuntimeError::spec(
                "base image",
                format!("{base:?} is not an image reference"),
            ));
        }
        self.build_image(tag, &[], &format!("FROM {base}\n"), labels, on_progress)
            .await
    }

    /// Imports a root filesystem tarball as image `tag` (`docker import`). The file is
    /// streamed, not loaded into memory.
    pub async fn import_rootfs<F>(
        &self,
        tag: &str,
        tar_path: &Path,
        mut on_progress: F,
    ) -> Result<(), RuntimeError>
    where
        F: FnMut(ProgressEvent) + Send,
    {
        let (repo, tag_part) = split_tag(tag);
        let file = tokio::fs::File::open(tar_path)
            .await
            .map_err(|e| RuntimeError::io("opening rootfs tarball", tar_path, e))?;
        on_progress(ProgressEvent::Phase(format!(
            "import {} as {tag}",
            tar_path.display()
        )));
        let opts = CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(repo)
            .tag(tag_part)
            .build();
        let body = bollard::body_try_stream(file_stream(file));
        let mut stream = self.docker.create_image(Some(opts), Some(body), None);
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(text) = info.status {
                        for l in lines(&text) {
                            on_progress(ProgressEvent::Line(l));
                        }
                    }
                }
                Err(e) => {
                    return Err(RuntimeError::from_bollard(
                        self.kind,
                        format!("import {tag}"),
                        e,
                    ));
                }
            }
        }
        if !self.image_exists(tag).await? {
            return Err(RuntimeError::Engine {
                engine: self.kind,
                op: format!("import {tag}"),
                status: None,
                message: "the import finished but the image is not in the store".into(),
                hint: Some(
                    "check that the file is an uncompressed or gzip tar of a root filesystem"
                        .into(),
                ),
            });
        }
        Ok(())
    }

    /// Removes an image (untags; `force` also removes it when containers use it).
    /// A missing image counts as removed.
    pub async fn remove_image(&self, tag: &str, force: bool) -> Result<(), RuntimeError> {
        let opts = RemoveImageOptionsBuilder::default().force(force).build();
        match self.docker.remove_image(tag, Some(opts), None).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let e = RuntimeError::from_bollard(self.kind, format!("remove image {tag}"), e);
                if e.is_not_found() { Ok(()) } else { Err(e) }
            }
        }
    }

    /// Writes `tag` as a `docker save` archive to `path`.
    pub async fn save_image(&self, tag: &str, path: &Path) -> Result<(), RuntimeError> {
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| RuntimeError::io("creating", path, e))?;
        let mut stream = self.docker.export_image(tag);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                RuntimeError::from_bollard(self.kind, format!("save image {tag}"), e)
            })?;
            file.write_all(&chunk)
                .await
                .map_err(|e| RuntimeError::io("writing", path, e))?;
        }
        file.flush()
            .await
            .map_err(|e| RuntimeError::io("writing", path, e))
    }

    /// Loads a `docker save` archive (`docker load`).
    pub async fn load_image<F>(&self, path: &Path, on_progress: F) -> Result<(), RuntimeError>
    where
        F: FnMut(ProgressEvent) + Send,
    {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| RuntimeError::io("opening image archive", path, e))?;
        self.load_stream(file_stream(file), on_progress).await
    }

    /// Copies `tag` from this engine into `target` (save → load, streamed, no temp file).
    pub async fn copy_image_to<F>(
        &self,
        target: &Engine,
        tag: &str,
        on_progress: F,
    ) -> Result<(), RuntimeError>
    where
        F: FnMut(ProgressEvent) + Send,
    {
        if !self.image_exists(tag).await? {
            return Err(RuntimeError::ImageNotFound {
                image: tag.to_string(),
                engine: self.kind,
                hint: "build it on the source engine first".into(),
            });
        }
        let kind = self.kind;
        let src = self
            .docker
            .export_image(tag)
            .map(move |r| r.map_err(std::io::Error::other));
        target.load_stream(src, on_progress).await?;
        if !target.image_exists(tag).await? {
            // Podman's save names images `localhost/<tag>`; Docker keeps them as given.
            let alt = format!("localhost/{tag}");
            if target.image_exists(&alt).await? {
                target.tag_image(&alt, tag).await?;
            } else {
                return Err(RuntimeError::Engine {
                    engine: target.kind,
                    op: format!("load {tag} from {kind}"),
                    status: None,
                    message: "the load finished but the image is not in the store".into(),
                    hint: None,
                });
            }
        }
        Ok(())
    }

    /// Adds tag `new` to image `existing`.
    pub async fn tag_image(&self, existing: &str, new: &str) -> Result<(), RuntimeError> {
        let (repo, tag) = split_tag(new);
        let opts = bollard::query_parameters::TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.docker
            .tag_image(existing, Some(opts))
            .await
            .map_err(|e| {
                RuntimeError::from_bollard(self.kind, format!("tag {existing} as {new}"), e)
            })
    }

    async fn load_stream<S, F>(&self, stream: S, mut on_progress: F) -> Result<(), RuntimeError>
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
        F: FnMut(ProgressEvent) + Send,
    {
        on_progress(ProgressEvent::Phase(format!("load into {}", self.kind)));
        let opts = ImportImageOptionsBuilder::default().quiet(false).build();
        let mut out = self.docker.import_image_stream(opts, stream, None);
        while let Some(item) = out.next().await {
            match item {
                Ok(info) => {
                    for text in [info.stream, info.status].into_iter().flatten() {
                        for l in lines(&text) {
                            on_progress(ProgressEvent::Line(l));
                        }
                    }
                }
                Err(e) => return Err(RuntimeError::from_bollard(self.kind, "load image", e)),
            }
        }
        Ok(())
    }
}

fn tail(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("\nlast output:\n  {}", lines.join("\n  "))
    }
}

/// `repo:tag` → (`repo`, `tag`), defaulting to `latest`; a registry port is not a tag.
pub(crate) fn split_tag(reference: &str) -> (&str, &str) {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') && !repo.is_empty() => (repo, tag),
        _ => (reference, "latest"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn context_tar_contains_files_and_dockerfile() {
        let tar = context_tar(
            &[ContextFile::new("bin/busybox", b"ELF".to_vec(), 0o755)],
            "FROM scratch\n",
        )
        .unwrap();
        let mut ar = tar::Archive::new(&tar[..]);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().display().to_string();
            let mode = e.header().mode().unwrap();
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            seen.push((path, mode, s));
        }
        assert_eq!(seen[0], ("bin/busybox".into(), 0o755, "ELF".into()));
        assert_eq!(
            seen[1],
            (DOCKERFILE_NAME.into(), 0o644, "FROM scratch\n".into())
        );
    }

    #[test]
    fn context_paths_are_checked() {
        for p in ["/etc/passwd", "../x", "a//b", "", DOCKERFILE_NAME, "a/./b"] {
            let e = context_tar(&[ContextFile::new(p, vec![], 0o644)], "FROM scratch").unwrap_err();
            assert!(e.to_string().contains("relative"), "{p}: {e}");
        }
    }

    #[test]
    fn splits_tags() {
        assert_eq!(split_tag("lasso-base:latest"), ("lasso-base", "latest"));
        assert_eq!(split_tag("lasso-base"), ("lasso-base", "latest"));
        assert_eq!(
            split_tag("localhost:5000/x"),
            ("localhost:5000/x", "latest")
        );
        assert_eq!(
            split_tag("localhost:5000/x:1.2"),
            ("localhost:5000/x", "1.2")
        );
    }

    #[test]
    fn engine_output_lines() {
        let l: Vec<String> = lines("Step 1/3 : FROM scratch\n\n ---> abc\r\n").collect();
        assert_eq!(l, vec!["Step 1/3 : FROM scratch", " ---> abc"]);
    }

    #[tokio::test]
    async fn file_stream_yields_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let data: Vec<u8> = (0..(CHUNK * 2 + 17)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&p, &data).unwrap();
        let f = tokio::fs::File::open(&p).await.unwrap();
        let chunks: Vec<Bytes> = file_stream(f).map(|c| c.unwrap()).collect().await;
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks.concat(), data);
    }
}
