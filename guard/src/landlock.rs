//! The Landlock ruleset: the hard boundary that holds even without the exec supervisor.
//!
//! Raw syscalls (no crate): the guard must stay a small static binary and the ABI is a
//! handful of structures. The ruleset is built once in the unrestricted parent (opening each
//! rule's path with `O_PATH`), and every restricted child — the workload in `exec`, each
//! probe in `probe` — calls [`Ruleset::restrict_self`] on the same inherited descriptor, so
//! probes test exactly what the workload gets.
//!
//! Rights (see the module brief in guard.md): read everywhere; write only beneath the write
//! paths; write + device ioctls (no file creation) beneath `/dev`; EXECUTE only on the exact
//! files of the exec set (whitelist) or beneath the system directories minus every write path
//! (blacklist, shadow, record). Shared libraries need no EXECUTE right: the loader maps them
//! with mmap, which Landlock does not mediate (a real-kernel test checks this). From ABI 6 the
//! workload is also scoped: it cannot signal processes outside its domain (the supervisor,
//! PID 1) or connect to their abstract unix sockets.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::config::{beneath, normalize};
use crate::sys;

pub const ACCESS_EXECUTE: u64 = 1 << 0;
pub const ACCESS_WRITE_FILE: u64 = 1 << 1;
pub const ACCESS_READ_FILE: u64 = 1 << 2;
pub const ACCESS_READ_DIR: u64 = 1 << 3;
pub const ACCESS_REMOVE_DIR: u64 = 1 << 4;
pub const ACCESS_REMOVE_FILE: u64 = 1 << 5;
pub const ACCESS_MAKE_CHAR: u64 = 1 << 6;
pub const ACCESS_MAKE_DIR: u64 = 1 << 7;
pub const ACCESS_MAKE_REG: u64 = 1 << 8;
pub const ACCESS_MAKE_SOCK: u64 = 1 << 9;
pub const ACCESS_MAKE_FIFO: u64 = 1 << 10;
pub const ACCESS_MAKE_BLOCK: u64 = 1 << 11;
pub const ACCESS_MAKE_SYM: u64 = 1 << 12;
pub const ACCESS_REFER: u64 = 1 << 13;
pub const ACCESS_TRUNCATE: u64 = 1 << 14;
pub const ACCESS_IOCTL_DEV: u64 = 1 << 15;

const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0;
const SCOPE_SIGNAL: u64 = 1 << 1;
const CREATE_RULESET_VERSION: u32 = 1 << 0;
const RULE_PATH_BENEATH: libc::c_int = 1;

/// Rights that apply to a regular file (a rule on a file may carry only these).
const FILE_RIGHTS: u64 =
    ACCESS_EXECUTE | ACCESS_WRITE_FILE | ACCESS_READ_FILE | ACCESS_TRUNCATE | ACCESS_IOCTL_DEV;
const READ: u64 = ACCESS_READ_FILE | ACCESS_READ_DIR;
const WRITE: u64 = ACCESS_WRITE_FILE
    | ACCESS_TRUNCATE
    | ACCESS_REMOVE_DIR
    | ACCESS_REMOVE_FILE
    | ACCESS_MAKE_CHAR
    | ACCESS_MAKE_DIR
    | ACCESS_MAKE_REG
    | ACCESS_MAKE_SOCK
    | ACCESS_MAKE_FIFO
    | ACCESS_MAKE_BLOCK
    | ACCESS_MAKE_SYM
    | ACCESS_REFER;

/// Directories whose files blacklist-style profiles may execute (never beneath a write path).
pub const SYSTEM_EXEC_DIRS: [&str; 8] = [
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt",
];

/// `struct landlock_ruleset_attr` (ABI 6 layout; older kernels accept it while the fields
/// they do not know are zero).
#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

/// `struct landlock_path_beneath_attr`, which the kernel declares packed.
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The Landlock ABI the kernel offers, or why it offers none.
pub fn abi() -> io::Result<u32> {
    // SAFETY: with a NULL attribute, size 0 and the VERSION flag the syscall only returns the
    // ABI number; no memory is accessed.
    let r = sys::cvt_long(unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    })?;
    Ok(r as u32)
}

/// The filesystem rights an ABI version can handle.
pub fn handled_fs(abi: u32) -> u64 {
    let mut h = (1u64 << 13) - 1;
    if abi >= 2 {
        h |= ACCESS_REFER;
    }
    if abi >= 3 {
        h |= ACCESS_TRUNCATE;
    }
    if abi >= 5 {
        h |= ACCESS_IOCTL_DEV;
    }
    h
}

/// One path rule: the path and the rights granted beneath it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRule {
    pub path: String,
    pub access: u64,
}

/// What the workload may do, before it is turned into a kernel ruleset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub rules: Vec<PathRule>,
}

impl Plan {
    /// The rules for `write_paths` and an exec policy: `exec_files` (whitelist) or, when
    /// `None`, the system directories minus the write paths.
    pub fn new(write_paths: &[String], exec_files: Option<&[String]>) -> Plan {
        let writes: Vec<String> = write_paths.iter().map(|w| canonical_or_normal(w)).collect();
        let mut rules = vec![PathRule {
            path: "/".to_owned(),
            access: READ,
        }];
        for w in &writes {
            rules.push(PathRule {
                path: w.clone(),
                access: READ | WRITE,
            });
        }
        rules.push(PathRule {
            path: "/dev".to_owned(),
            access: ACCESS_WRITE_FILE | ACCESS_IOCTL_DEV,
        });
        match exec_files {
            Some(files) => {
                for f in files {
                    // A file the workload can rewrite must never be executable.
                    if !writes.iter().any(|w| beneath(f, w)) {
                        rules.push(PathRule {
                            path: f.clone(),
                            access: ACCESS_EXECUTE | ACCESS_READ_FILE,
                        });
                    }
                }
            }
            None => {
                for d in SYSTEM_EXEC_DIRS {
                    for dir in carve(&canonical_or_normal(d), &writes) {
                        rules.push(PathRule {
                            path: dir,
                            access: ACCESS_EXECUTE | READ,
                        });
                    }
                }
            }
        }
        Plan { rules }
    }
}

fn canonical_or_normal(p: &str) -> String {
    std::fs::canonicalize(p)
        .ok()
        .and_then(|c| c.to_str().map(str::to_owned))
        .unwrap_or_else(|| normalize(p))
}

/// `dir` split into subdirectories so that no returned directory contains (or lies beneath)
/// any of `writes`: Landlock rights are additive, so an exec right on `/usr` would also cover
/// a writable `/usr/local/share/x`.
pub fn carve(dir: &str, writes: &[String]) -> Vec<String> {
    if writes.iter().any(|w| beneath(dir, w)) {
        return Vec::new();
    }
    if !writes.iter().any(|w| beneath(w, dir)) {
        return vec![dir.to_owned()];
    }
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let Some(name) = e.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let child = if dir == "/" {
                format!("/{name}")
            } else {
                format!("{dir}/{name}")
            };
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                out.extend(carve(&child, writes));
            } else if !writes.iter().any(|w| beneath(&child, w)) {
                out.push(child);
            }
        }
    }
    out.sort();
    out
}

/// Why the ruleset could not be built or applied.
#[derive(Debug, thiserror::Error)]
pub enum LandlockError {
    #[error("landlock_create_ruleset failed: {0}")]
    Create(String),
    #[error("cannot add the Landlock rule for {path}: {why}")]
    AddRule { path: String, why: String },
}

/// A kernel ruleset ready to be applied by children.
#[derive(Debug)]
pub struct Ruleset {
    fd: OwnedFd,
}

impl Ruleset {
    /// Creates the kernel ruleset for `plan` at `abi`.
    pub fn build(plan: &Plan, abi: u32) -> Result<Ruleset, LandlockError> {
        let handled = handled_fs(abi);
        let attr = RulesetAttr {
            handled_access_fs: handled,
            handled_access_net: 0,
            scoped: if abi >= 6 {
                SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX_SOCKET
            } else {
                0
            },
        };
        let size = if abi >= 6 {
            std::mem::size_of::<RulesetAttr>()
        } else {
            8
        };
        // SAFETY: `attr` is a valid, initialised landlock_ruleset_attr; `size` never exceeds
        // its size, and the kernel only reads from it during the call.
        let fd = sys::cvt_long(unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &attr as *const RulesetAttr,
                size,
                0u32,
            )
        })
        .map_err(|e| LandlockError::Create(sys::describe(&e)))?;
        // SAFETY: the syscall returned a new descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        for rule in &plan.rules {
            let target = match sys::open(&rule.path, libc::O_PATH, 0) {
                Ok(t) => t,
                // A path this image lacks (e.g. /lib32) needs no rule.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {
                    continue;
                }
                Err(e) => {
                    return Err(LandlockError::AddRule {
                        path: rule.path.clone(),
                        why: sys::describe(&e),
                    });
                }
            };
            let is_dir = std::fs::metadata(&rule.path).is_ok_and(|m| m.is_dir());
            let mut access = rule.access & handled;
            if !is_dir {
                access &= FILE_RIGHTS;
            }
            if access == 0 {
                continue;
            }
            let pb = PathBeneathAttr {
                allowed_access: access,
                parent_fd: target.as_raw_fd(),
            };
            // SAFETY: `pb` is a valid packed landlock_path_beneath_attr and `fd` a ruleset
            // descriptor; the kernel copies the attribute during the call.
            sys::cvt_long(unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    fd.as_raw_fd(),
                    RULE_PATH_BENEATH,
                    &pb as *const PathBeneathAttr,
                    0u32,
                )
            })
            .map_err(|e| LandlockError::AddRule {
                path: rule.path.clone(),
                why: sys::describe(&e),
            })?;
        }
        Ok(Ruleset { fd })
    }

    /// Restricts the calling thread (and everything it starts) to the ruleset. Requires
    /// `PR_SET_NO_NEW_PRIVS` first. Irreversible: call only in a child.
    pub fn restrict_self(&self) -> io::Result<()> {
        // SAFETY: plain integer arguments; the kernel validates the descriptor.
        sys::cvt_long(unsafe {
            libc::syscall(libc::SYS_landlock_restrict_self, self.fd.as_raw_fd(), 0u32)
        })
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handled_rights_grow_with_the_abi() {
        assert_eq!(handled_fs(1), 0x1fff);
        assert_eq!(handled_fs(2), 0x3fff);
        assert_eq!(handled_fs(4), 0x7fff);
        assert_eq!(handled_fs(7), 0xffff);
    }

    #[test]
    fn whitelist_plan_grants_exec_only_on_files_outside_write_paths() {
        let plan = Plan::new(
            &[
                "/nonexistent-ws".to_owned(),
                "/nonexistent-ws/../tmp2/".to_owned(),
            ],
            Some(&["/usr/bin/ls".to_owned(), "/tmp2/evil".to_owned()]),
        );
        let exec: Vec<&str> = plan
            .rules
            .iter()
            .filter(|r| r.access & ACCESS_EXECUTE != 0)
            .map(|r| r.path.as_str())
            .collect();
        assert_eq!(exec, ["/usr/bin/ls"]);
        assert_eq!(
            plan.rules[0],
            PathRule {
                path: "/".into(),
                access: READ
            }
        );
        assert!(
            plan.rules
                .iter()
                .any(|r| r.path == "/tmp2" && r.access & ACCESS_MAKE_REG != 0)
        );
        let dev = plan.rules.iter().find(|r| r.path == "/dev").unwrap();
        assert_eq!(dev.access & (ACCESS_MAKE_REG | ACCESS_EXECUTE), 0);
    }

    #[test]
    fn carve_splits_around_write_paths() {
        let base = std::env::temp_dir().join(format!("guard-carve-{}", std::process::id()));
        let b = base.to_str().unwrap().to_owned();
        for d in [
            "usr/bin",
            "usr/local/bin",
            "usr/local/share/w/x",
            "usr/local/share/other",
        ] {
            std::fs::create_dir_all(base.join(d)).unwrap();
        }
        std::fs::write(base.join("usr/local/share/file"), b"").unwrap();
        let usr = format!("{b}/usr");
        assert_eq!(carve(&usr, &[format!("{b}/tmp")]), vec![usr.clone()]);
        assert!(carve(&usr, &[format!("{b}/usr")]).is_empty());
        assert!(carve(&usr, std::slice::from_ref(&b)).is_empty());
        let got = carve(&usr, &[format!("{b}/usr/local/share/w")]);
        let want: Vec<String> = [
            "usr/bin",
            "usr/local/bin",
            "usr/local/share/file",
            "usr/local/share/other",
        ]
        .iter()
        .map(|s| format!("{b}/{s}"))
        .collect();
        let mut got_sorted = got.clone();
        got_sorted.sort();
        assert_eq!(got_sorted, want);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
