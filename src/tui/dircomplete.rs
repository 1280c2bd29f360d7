//! Tab completion of the create dialog's working directory, as a shell completes `cd`:
//! a unique match is completed (with a trailing `/`), several matches are completed to their
//! longest common prefix and listed, `~` and `~/…` expand to `$HOME`. Only directories are
//! offered (symlinks to directories too); names starting with `.` only when the typed prefix
//! does. It reads one directory with `read_dir`, a local and bounded call, so it runs in the
//! key handler; at most [`MAX_SCAN`] entries are looked at, so a huge directory cannot stall
//! the UI.

use std::path::{Path, PathBuf};

/// Most directory entries one completion looks at.
pub const MAX_SCAN: usize = 10_000;

/// What Tab did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The new value of the field.
    pub value: String,
    /// The matching directory names when there are several (sorted), else empty.
    pub candidates: Vec<String>,
}

/// `~` or `~/rest` with `home`; anything else unchanged.
pub fn expand_tilde(value: &str, home: Option<&Path>) -> String {
    match (value, home) {
        ("~", Some(h)) => format!("{}/", h.display()),
        (v, Some(h)) if v.starts_with("~/") => format!("{}/{}", h.display(), &v[2..]),
        (v, _) => v.to_string(),
    }
}

/// Completes `value` (see the module doc). `home` is `$HOME` for `~`.
pub fn complete(value: &str, home: Option<&Path>) -> Completion {
    let value = expand_tilde(value, home);
    let (dir, prefix) = match value.rfind('/') {
        Some(i) => (value[..=i].to_string(), value[i + 1..].to_string()),
        // Relative input is completed against nothing: the dialog wants absolute paths.
        None => {
            return Completion {
                value,
                candidates: Vec::new(),
            };
        }
    };
    let mut names: Vec<String> = std::fs::read_dir(Path::new(&dir))
        .map(|rd| {
            rd.take(MAX_SCAN)
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    let wanted = name.starts_with(&prefix)
                        && (!name.starts_with('.') || prefix.starts_with('.'));
                    // `metadata` follows symlinks: a link to a directory is offered.
                    (wanted && e.path().metadata().is_ok_and(|m| m.is_dir())).then_some(name)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    match names.as_slice() {
        [] => Completion {
            value,
            candidates: Vec::new(),
        },
        [one] => Completion {
            value: format!("{dir}{one}/"),
            candidates: Vec::new(),
        },
        many => {
            let common = common_prefix(many);
            Completion {
                value: format!("{dir}{common}"),
                candidates: names,
            }
        }
    }
}

fn common_prefix(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let mut len = first.len();
    for n in &names[1..] {
        len = first
            .char_indices()
            .zip(n.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_string()
}

/// The directory a submitted value names (after `~`), if it exists.
pub fn existing_dir(value: &str, home: Option<&Path>) -> Option<PathBuf> {
    let p = PathBuf::from(expand_tilde(value.trim(), home));
    p.is_dir().then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let Ok(tmp) = tempfile::tempdir() else {
            panic!("tmp")
        };
        for d in [
            "project",
            "proto",
            "prod",
            "other",
            ".hidden",
            "project/src",
        ] {
            assert!(std::fs::create_dir(tmp.path().join(d)).is_ok());
        }
        assert!(std::fs::write(tmp.path().join("profile.txt"), "not a dir").is_ok());
        assert!(
            std::os::unix::fs::symlink(tmp.path().join("other"), tmp.path().join("olink")).is_ok()
        );
        tmp
    }

    #[test]
    fn unique_matches_complete_and_ambiguous_ones_list() {
        let tmp = tree();
        let base = tmp.path().display().to_string();
        let c = complete(&format!("{base}/oth"), None);
        assert_eq!(c.value, format!("{base}/other/"));
        assert!(c.candidates.is_empty());
        // project, proto, prod: common prefix "pro", the files are not offered.
        let c = complete(&format!("{base}/p"), None);
        assert_eq!(c.value, format!("{base}/pro"));
        assert_eq!(c.candidates, ["prod", "project", "proto"]);
        let c = complete(&format!("{base}/proj"), None);
        assert_eq!(c.value, format!("{base}/project/"));
        let c = complete(&format!("{base}/project/"), None);
        assert_eq!(c.value, format!("{base}/project/src/"));
        // A symlink to a directory is a directory; hidden ones only when asked for.
        let c = complete(&format!("{base}/o"), None);
        assert_eq!(c.candidates, ["olink", "other"]);
        let c = complete(&format!("{base}/"), None);
        assert!(!c.candidates.iter().any(|n| n.starts_with('.')), "{c:?}");
        let c = complete(&format!("{base}/.h"), None);
        assert_eq!(c.value, format!("{base}/.hidden/"));
        // Nothing matches: unchanged.
        let c = complete(&format!("{base}/zzz"), None);
        assert_eq!((c.value, c.candidates.len()), (format!("{base}/zzz"), 0));
    }

    #[test]
    fn tilde_expands_to_home() {
        let tmp = tree();
        let home = tmp.path();
        assert_eq!(
            complete("~/oth", Some(home)).value,
            format!("{}/other/", home.display())
        );
        assert_eq!(complete("~", Some(home)).candidates.len(), 5);
        assert_eq!(expand_tilde("~", None), "~");
        assert_eq!(expand_tilde("/a/~", Some(home)), "/a/~");
        assert_eq!(
            existing_dir("~/project", Some(home)),
            Some(home.join("project"))
        );
        assert_eq!(existing_dir("~/nope", Some(home)), None);
        assert_eq!(
            existing_dir(&format!("{}/profile.txt", home.display()), None),
            None
        );
    }
}
