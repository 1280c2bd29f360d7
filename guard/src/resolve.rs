//! Which files the allowed program names really are.
//!
//! Everything here works relative to a filesystem `root` (`/` in production, a temporary
//! directory in tests) so the logic can be tested against a fake image: PATH lookup with the
//! guard's fixed PATH, symlink resolution that keeps absolute link targets inside the root,
//! ELF `PT_INTERP` parsing (the dynamic loader the kernel opens with exec rights) and `#!`
//! parsing (the interpreter the kernel runs for a script). The result, an [`ExecSet`], is
//! built once per supervisor: the name → file map for the whitelist check, the files Landlock
//! lets the workload execute, and the loaders whose direct invocation must be checked as the
//! program they load.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// The fixed PATH used for every lookup (the workload's own `PATH` is not trusted).
pub const FIXED_PATH: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The kernel's limit on nested `#!` interpreters (BINPRM_MAX_RECURSION).
const MAX_INTERP_DEPTH: usize = 4;
/// The kernel reads this many bytes of a file to find `#!` (BINPRM_BUF_SIZE).
const SHEBANG_BUF: usize = 256;
/// Symlink hops before resolution gives up (the kernel's MAXSYMLINKS).
const MAX_LINKS: usize = 40;

/// A filesystem root: `/` in production.
#[derive(Debug, Clone)]
pub struct Root(PathBuf);

impl Root {
    pub fn system() -> Root {
        Root(PathBuf::from("/"))
    }
    #[cfg(test)]
    pub fn at(dir: impl Into<PathBuf>) -> Root {
        Root(dir.into())
    }
    /// The real path of the absolute in-root path `p`.
    fn host(&self, p: &str) -> PathBuf {
        self.0.join(p.trim_start_matches('/'))
    }

    /// Resolves every symlink of the absolute in-root path `path`, like realpath(3) but with
    /// absolute link targets interpreted inside the root. Errors like the kernel would
    /// (ENOENT, ENOTDIR, ELOOP).
    pub fn canonical(&self, path: &str) -> io::Result<String> {
        let mut done: Vec<String> = Vec::new();
        let mut todo: Vec<String> = path
            .split('/')
            .rev()
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            match c.as_str() {
                "." => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let cur = format!(
                "/{}",
                done.iter()
                    .map(String::as_str)
                    .chain([c.as_str()])
                    .collect::<Vec<_>>()
                    .join("/")
            );
            let meta = std::fs::symlink_metadata(self.host(&cur))?;
            if meta.file_type().is_symlink() {
                hops += 1;
                if hops > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = std::fs::read_link(self.host(&cur))?;
                let target = target.to_string_lossy();
                if target.starts_with('/') {
                    done.clear();
                }
                todo.extend(
                    target
                        .split('/')
                        .rev()
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                );
            } else {
                if !todo.is_empty() && !meta.is_dir() {
                    return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
                }
                done.push(c);
            }
        }
        Ok(format!("/{}", done.join("/")))
    }

    /// The first executable regular file named `name` in the fixed PATH, as the path found
    /// (not canonicalised), like a shell's lookup.
    pub fn lookup(&self, name: &str) -> Option<String> {
        FIXED_PATH
            .iter()
            .map(|d| format!("{d}/{name}"))
            .find(|p| self.is_executable_file(p))
    }

    /// Every distinct canonical file `name` resolves to in the fixed PATH, in PATH order.
    pub fn lookup_all(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for d in FIXED_PATH {
            let p = format!("{d}/{name}");
            if self.is_executable_file(&p)
                && let Ok(c) = self.canonical(&p)
                && !out.contains(&c)
            {
                out.push(c);
            }
        }
        out
    }

    fn is_executable_file(&self, p: &str) -> bool {
        std::fs::metadata(self.host(p))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }

    /// What kind of executable the in-root file `path` is.
    pub fn classify(&self, path: &str) -> io::Result<Kind> {
        let mut f = File::open(self.host(path))?;
        let mut head = [0u8; SHEBANG_BUF];
        let n = read_up_to(&mut f, &mut head)?;
        let head = &head[..n];
        if head.starts_with(b"\x7fELF") {
            return Ok(match elf_interp(&mut f)? {
                Some(i) => Kind::DynamicElf(i),
                None => Kind::StaticElf,
            });
        }
        if let Some((interp, _)) = parse_shebang(head) {
            return Ok(Kind::Script(interp));
        }
        Ok(Kind::Other)
    }
}

/// An executable's format, as far as exec rights are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// ELF with a `PT_INTERP` (the loader path).
    DynamicElf(String),
    StaticElf,
    /// `#!` script (the interpreter path).
    Script(String),
    Other,
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Parses a `#!` line the way the kernel's binfmt_script does: interpreter up to the first
/// blank, the rest (trimmed) as one optional argument.
pub fn parse_shebang(head: &[u8]) -> Option<(String, Option<String>)> {
    let rest = head.strip_prefix(b"#!")?;
    let line = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => &rest[..i],
        None => rest,
    };
    let line = std::str::from_utf8(line).ok()?;
    let line = line.trim_matches(|c| c == ' ' || c == '\t');
    if line.is_empty() {
        return None;
    }
    let (interp, arg) = match line.find([' ', '\t']) {
        Some(i) => (
            &line[..i],
            Some(line[i..].trim_matches(|c| c == ' ' || c == '\t').to_owned()),
        ),
        None => (line, None),
    };
    Some((interp.to_owned(), arg.filter(|a| !a.is_empty())))
}

/// The `PT_INTERP` of a 64-bit little-endian ELF file, `None` for a static one.
pub fn elf_interp(f: &mut (impl Read + io::Seek)) -> io::Result<Option<String>> {
    use io::SeekFrom;
    let bad =
        |why: &str| io::Error::new(io::ErrorKind::InvalidData, format!("malformed ELF: {why}"));
    let mut eh = [0u8; 64];
    f.seek(SeekFrom::Start(0))?;
    f.read_exact(&mut eh)?;
    if &eh[..4] != b"\x7fELF" {
        return Err(bad("no ELF magic"));
    }
    if eh[4] != 2 || eh[5] != 1 {
        // Only x86-64 binaries can run under the guard's seccomp filter (other ABIs are killed).
        return Err(bad("not a 64-bit little-endian ELF"));
    }
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let u64_at = |b: &[u8], o: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[o..o + 8]);
        u64::from_le_bytes(a)
    };
    let phoff = u64_at(&eh, 0x20);
    let phentsize = usize::from(u16_at(&eh, 0x36));
    let phnum = usize::from(u16_at(&eh, 0x38));
    if phentsize < 56 || phnum > 4096 {
        return Err(bad("bad program header table"));
    }
    let mut ph = vec![0u8; phentsize * phnum];
    f.seek(SeekFrom::Start(phoff))?;
    f.read_exact(&mut ph)?;
    for h in ph.chunks_exact(phentsize) {
        let p_type = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        if p_type == 3 {
            let off = u64_at(h, 8);
            let size = u64_at(h, 32);
            if size == 0 || size > 4096 {
                return Err(bad("PT_INTERP size out of range"));
            }
            let mut s = vec![0u8; size as usize];
            f.seek(SeekFrom::Start(off))?;
            f.read_exact(&mut s)?;
            while s.last() == Some(&0) {
                s.pop();
            }
            return String::from_utf8(s)
                .map(Some)
                .map_err(|_| bad("PT_INTERP is not UTF-8"));
        }
    }
    Ok(None)
}

/// The executables the workload may run, built once from the allowed names.
#[derive(Debug, Clone, Default)]
pub struct ExecSet {
    /// Allowed name → every canonical file it resolves to in the fixed PATH.
    pub names: BTreeMap<String, Vec<String>>,
    /// Every file Landlock grants EXECUTE on: the named files, their loaders and interpreters.
    pub files: BTreeSet<String>,
    /// Loaders (`PT_INTERP` targets) among `files`.
    pub loaders: BTreeSet<String>,
}

impl ExecSet {
    /// Resolves `names` inside `root`. Names that resolve to nothing are simply absent.
    pub fn build<'a>(root: &Root, names: impl IntoIterator<Item = &'a str>) -> ExecSet {
        let mut set = ExecSet::default();
        for name in names {
            if set.names.contains_key(name) {
                continue;
            }
            let files = root.lookup_all(name);
            if files.is_empty() {
                continue;
            }
            for f in &files {
                set.add_with_deps(root, f, 0);
            }
            set.names.insert(name.to_owned(), files);
        }
        set
    }

    fn add_with_deps(&mut self, root: &Root, file: &str, depth: usize) {
        if !self.files.insert(file.to_owned()) || depth > MAX_INTERP_DEPTH {
            return;
        }
        match root.classify(file) {
            Ok(Kind::DynamicElf(interp)) => {
                if let Ok(c) = root.canonical(&interp) {
                    self.loaders.insert(c.clone());
                    self.files.insert(c);
                }
            }
            Ok(Kind::Script(interp)) => {
                if let Ok(c) = root.canonical(&interp) {
                    self.add_with_deps(root, &c, depth + 1);
                }
            }
            Ok(Kind::StaticElf | Kind::Other) | Err(_) => {}
        }
    }

    /// Whether `file` (canonical) is what `name` resolves to.
    pub fn name_is(&self, name: &str, file: &str) -> bool {
        self.names
            .get(name)
            .is_some_and(|v| v.iter().any(|f| f == file))
    }

    /// Whether `file` (canonical) is a dynamic loader: a known `PT_INTERP`, or named like one
    /// (`ld-linux-x86-64.so.2`, `ld-musl-x86_64.so.1`) so blacklist profiles catch it too.
    pub fn is_loader(&self, file: &str) -> bool {
        if self.loaders.contains(file) {
            return true;
        }
        let base = basename(file);
        base.starts_with("ld-") && base.contains(".so")
    }
}

/// The last component of a path (the whole string when it has no `/`).
pub fn basename(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    match t.rfind('/') {
        Some(i) => &t[i + 1..],
        None => t,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A fake image root under the system temp dir, removed on drop.
    pub struct FakeRoot(pub PathBuf);
    impl FakeRoot {
        pub fn new(tag: &str) -> FakeRoot {
            let p = std::env::temp_dir().join(format!("guard-root-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            FakeRoot(p)
        }
        pub fn file(&self, path: &str, content: &[u8], mode: u32) {
            let p = self.0.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        pub fn link(&self, path: &str, target: &str) {
            let p = self.0.join(path.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            symlink(target, p).unwrap();
        }
        pub fn root(&self) -> Root {
            Root::at(&self.0)
        }
    }
    impl Drop for FakeRoot {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A minimal 64-bit ELF header with one PT_LOAD and, when `interp` is given, a PT_INTERP.
    pub fn fake_elf(interp: Option<&str>) -> Vec<u8> {
        let mut v = vec![0u8; 64];
        v[..4].copy_from_slice(b"\x7fELF");
        v[4] = 2;
        v[5] = 1;
        v[6] = 1;
        let phnum: u16 = if interp.is_some() { 2 } else { 1 };
        v[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        v[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        v[0x38..0x3a].copy_from_slice(&phnum.to_le_bytes());
        let str_off = 64 + 56 * u64::from(phnum);
        let mut load = vec![0u8; 56];
        load[..4].copy_from_slice(&1u32.to_le_bytes());
        v.extend_from_slice(&load);
        if let Some(i) = interp {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&3u32.to_le_bytes());
            ph[8..16].copy_from_slice(&str_off.to_le_bytes());
            ph[32..40].copy_from_slice(&(i.len() as u64 + 1).to_le_bytes());
            v.extend_from_slice(&ph);
            v.extend_from_slice(i.as_bytes());
            v.push(0);
        }
        v
    }

    #[test]
    fn shebang_parsing_matches_the_kernel() {
        assert_eq!(
            parse_shebang(b"#!/bin/sh\necho"),
            Some(("/bin/sh".into(), None))
        );
        assert_eq!(
            parse_shebang(b"#! /usr/bin/env  python3 -u \n"),
            Some(("/usr/bin/env".into(), Some("python3 -u".into())))
        );
        assert_eq!(
            parse_shebang(b"#!\t/bin/bash\t-e"),
            Some(("/bin/bash".into(), Some("-e".into())))
        );
        assert_eq!(parse_shebang(b"#!   \n/bin/sh"), None);
        assert_eq!(parse_shebang(b"echo hi"), None);
    }

    #[test]
    fn elf_interp_is_read_from_program_headers() {
        let mut c = io::Cursor::new(fake_elf(Some("/lib64/ld-linux-x86-64.so.2")));
        assert_eq!(
            elf_interp(&mut c).unwrap().as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        let mut c = io::Cursor::new(fake_elf(None));
        assert_eq!(elf_interp(&mut c).unwrap(), None);
        let mut broken = fake_elf(Some("/x"));
        broken[4] = 1; // 32-bit class
        assert!(elf_interp(&mut io::Cursor::new(broken)).is_err());
        let truncated = fake_elf(Some("/lib/ld.so"))[..100].to_vec();
        assert!(elf_interp(&mut io::Cursor::new(truncated)).is_err());
    }

    #[test]
    fn real_system_binary_has_a_loader() {
        // The host's own /bin/sh is a dynamic ELF (Debian); its loader must be found.
        let k = Root::system()
            .classify(&Root::system().canonical("/bin/sh").unwrap())
            .unwrap();
        match k {
            Kind::DynamicElf(i) => assert!(i.contains("ld-linux"), "{i}"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn canonical_keeps_absolute_links_inside_the_root() {
        let r = FakeRoot::new("canon");
        r.file("/usr/bin/coreutils", b"x", 0o755);
        r.link("/bin", "usr/bin");
        r.link("/usr/bin/ls", "/usr/bin/coreutils");
        r.link("/usr/bin/loop", "loop");
        let root = r.root();
        assert_eq!(root.canonical("/bin/ls").unwrap(), "/usr/bin/coreutils");
        assert_eq!(
            root.canonical("/bin/../bin/./ls").unwrap(),
            "/usr/bin/coreutils"
        );
        assert_eq!(
            root.canonical("/bin/nope").unwrap_err().raw_os_error(),
            Some(libc::ENOENT)
        );
        assert_eq!(
            root.canonical("/usr/bin/loop").unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        assert_eq!(
            root.canonical("/usr/bin/coreutils/x")
                .unwrap_err()
                .raw_os_error(),
            Some(libc::ENOTDIR)
        );
    }

    #[test]
    fn exec_set_resolves_names_loaders_and_interpreters() {
        let r = FakeRoot::new("set");
        r.file(
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            b"loader",
            0o755,
        );
        r.link(
            "/lib64/ld-linux-x86-64.so.2",
            "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        );
        r.file(
            "/usr/bin/ls",
            &fake_elf(Some("/lib64/ld-linux-x86-64.so.2")),
            0o755,
        );
        r.file(
            "/usr/bin/python3.11",
            &fake_elf(Some("/lib64/ld-linux-x86-64.so.2")),
            0o755,
        );
        r.link("/usr/bin/python3", "python3.11");
        r.file("/usr/bin/pip3", b"#!/usr/bin/python3\nimport pip\n", 0o755);
        r.file("/usr/local/bin/tool", &fake_elf(None), 0o755);
        r.file("/usr/bin/noexec", b"data", 0o644);
        r.link("/bin", "usr/bin");
        let set = ExecSet::build(&r.root(), ["ls", "pip3", "tool", "noexec", "absent", "ls"]);
        assert_eq!(
            set.names.keys().map(String::as_str).collect::<Vec<_>>(),
            ["ls", "pip3", "tool"]
        );
        assert!(set.name_is("ls", "/usr/bin/ls"));
        assert!(!set.name_is("ls", "/usr/bin/pip3"));
        assert!(!set.name_is("rm", "/usr/bin/ls"));
        let files: Vec<&str> = set.files.iter().map(String::as_str).collect();
        assert_eq!(
            files,
            [
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
                "/usr/bin/ls",
                "/usr/bin/pip3",
                "/usr/bin/python3.11",
                "/usr/local/bin/tool"
            ]
        );
        assert!(set.is_loader("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"));
        assert!(set.is_loader("/lib/ld-musl-x86_64.so.1"));
        assert!(!set.is_loader("/usr/bin/ls"));
        // `/bin` and `/usr/bin` are the same directory: one canonical file, not two.
        assert_eq!(set.names["ls"], vec!["/usr/bin/ls".to_owned()]);
        assert_eq!(r.root().lookup("ls").as_deref(), Some("/usr/bin/ls"));
        assert_eq!(r.root().lookup("noexec"), None);
    }

    #[test]
    fn basenames() {
        assert_eq!(basename("/usr/bin/ls"), "ls");
        assert_eq!(basename("ls"), "ls");
        assert_eq!(basename("./x/"), "x");
    }
}
