//! Path reasoning for the gate: decoding, lexical normalisation and hidden-path matching.
//!
//! Everything here is lexical: the gate never touches the file system (it runs outside the
//! sandbox and must be fast and deterministic). A path-like word is checked in every form a
//! program might interpret it in — as written, percent-decoded up to three times (double
//! encoding), and with Unicode look-alikes of `.` and `/` folded — and resolved against every
//! directory the command may be running in (the workspace plus any `cd`/`-C` targets seen
//! earlier). A `..` that steps out of the workspace is traversal; reaching a hidden path, or a
//! glob that could match one, is refused. Globs are matched component by component with a small
//! intersection test, so `/etc/sha*` reaches `/etc/shadow` and `/proc/*/env*` reaches the
//! hidden `/proc/*/environ`; bracket expressions are over-approximated as "any character".
//!
//! Normalised paths are kept as strings of the form `/a/b` with the root as the empty string,
//! built in a reused buffer so the common case allocates nothing.

/// A compiled hidden path: its components, each literal or a glob.
#[derive(Debug, Clone)]
pub(crate) struct Hidden {
    /// As written in the profile, for messages.
    pub shown: String,
    comps: Vec<Comp>,
}

#[derive(Debug, Clone)]
struct Comp {
    text: String,
    glob: bool,
}

fn has_glob(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

impl Hidden {
    pub(crate) fn new(shown: &str, abs: &str) -> Self {
        Hidden {
            shown: shown.to_owned(),
            comps: abs
                .split('/')
                .filter(|c| !c.is_empty())
                .map(|c| Comp {
                    text: c.to_owned(),
                    glob: has_glob(c),
                })
                .collect(),
        }
    }

    /// Whether the normalised path `path` is this hidden path, lies under it, or (when `path`
    /// contains globs) could match either.
    pub(crate) fn reached_by(&self, path: &str) -> bool {
        let mut parts = path.split('/').filter(|c| !c.is_empty());
        for comp in &self.comps {
            let Some(p) = parts.next() else {
                return false;
            };
            let same = if comp.glob || has_glob(p) {
                glob_intersect(p, &comp.text)
            } else {
                p == comp.text
            };
            if !same {
                return false;
            }
        }
        true
    }
}

/// Whether some hidden path could be the workspace, an ancestor of it, or a direct child, so
/// that plain relative words (`.env`) need checking.
pub(crate) fn hidden_near(hidden: &[Hidden], ws: &str) -> bool {
    let probe = format!("{ws}/*");
    hidden.iter().any(|h| h.reached_by(&probe))
}

/// Normalises an absolute path (configuration values): `/a/./b/../c/` → `/a/c`, `/` → ``.
pub(crate) fn normalize_abs(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    resolve(&mut out, "", p, "");
    out
}

/// Whether the normalised `path` is `root` or lies under it.
pub(crate) fn inside(path: &str, root: &str) -> bool {
    path.len() >= root.len()
        && path.starts_with(root)
        && (path.len() == root.len() || path.as_bytes()[root.len()] == b'/')
}

/// Resolves `s` lexically against the normalised directory `base` into `out`. Returns whether a
/// `..` stepped from inside `ws` (normalised) to outside it.
pub(crate) fn resolve(out: &mut String, base: &str, s: &str, ws: &str) -> bool {
    out.clear();
    if !s.starts_with('/') {
        out.push_str(base);
    }
    let mut left = false;
    for comp in s.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                let was_inside = inside(out, ws);
                let cut = out.rfind('/').unwrap_or(0);
                out.truncate(cut);
                if was_inside && !inside(out, ws) {
                    left = true;
                }
            }
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
    }
    left
}

/// The forms of a word a program might interpret: as written, percent-decoded (repeatedly,
/// at most three rounds), and with look-alike characters folded. `out` receives the extra forms
/// (the original is not included); returns quickly when there is nothing to decode.
pub(crate) fn decoded_forms(s: &str, out: &mut Vec<String>) {
    out.clear();
    let mut cur: Option<String> = None;
    for _ in 0..3 {
        let src = cur.as_deref().unwrap_or(s);
        if !src.contains('%') {
            break;
        }
        let next = percent_decode(src);
        if next == src {
            break;
        }
        out.push(next.clone());
        cur = Some(next);
    }
    let n = out.len();
    if !s.is_ascii() {
        out.push(fold(s));
    }
    for k in 0..n {
        if !out[k].is_ascii() {
            let f = fold(&out[k]);
            out.push(f);
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            bytes.push(h * 16 + l);
            i += 3;
            continue;
        }
        bytes.push(b[i]);
        i += 1;
    }
    // Overlong UTF-8 encodings of `.` and `/` (`%c0%ae`, `%e0%80%af`) that lenient decoders
    // accept: fold them before the lossy conversion would turn them into U+FFFD.
    let mut fixed = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while k < bytes.len() {
        match &bytes[k..] {
            [0xC0, c @ (0xAE | 0xAF), ..] => {
                fixed.push(c - 0x80);
                k += 2;
            }
            [0xE0, 0x80, c @ (0xAE | 0xAF), ..] => {
                fixed.push(c - 0x80);
                k += 3;
            }
            [c, ..] => {
                fixed.push(*c);
                k += 1;
            }
            [] => break,
        }
    }
    String::from_utf8_lossy(&fixed).into_owned()
}

/// Folds Unicode look-alikes of `.` and `/` (and fullwidth ASCII) to ASCII.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{2024}' | '\u{FE52}' | '\u{FF0E}' | '\u{3002}' | '\u{2027}' | '\u{00B7}'
            | '\u{FF61}' | '\u{0701}' | '\u{0702}' | '\u{2E3C}' | '\u{A4F8}' | '\u{0660}'
            | '\u{06F0}' | '\u{02D9}' | '\u{16EB}' | '\u{2E31}' | '\u{22C5}' | '\u{2219}'
            | '\u{0387}' | '\u{30FB}' | '\u{FF65}' | '\u{A60E}' | '\u{10101}' | '\u{1427}'
            | '\u{2E33}' | '\u{0589}' | '\u{06D4}' | '\u{0964}' => out.push('.'),
            '\u{2025}' => out.push_str(".."),
            '\u{2026}' => out.push_str("..."),
            '\u{2215}' | '\u{2044}' | '\u{FF0F}' | '\u{29F8}' | '\u{2571}' | '\u{1735}'
            | '\u{2CC6}' | '\u{3033}' | '\u{30CE}' | '\u{4E3F}' | '\u{2F03}' | '\u{FE68}'
            | '\u{29F5}' | '\u{2216}' | '\u{FF3C}' | '\u{0338}' | '\u{337}' | '\u{1D10D}' => {
                out.push('/');
            }
            '\u{FF01}'..='\u{FF5E}' => {
                // Fullwidth ASCII: U+FF01..U+FF5E map to U+0021..U+007E.
                out.push(char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c));
            }
            _ => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum G {
    Lit(char),
    Any,
    Star,
}

fn glob_tokens(s: &str) -> Vec<G> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                if out.last() != Some(&G::Star) {
                    out.push(G::Star);
                }
            }
            '?' => out.push(G::Any),
            '[' => {
                // A closed bracket expression matches one character; over-approximate it as
                // any character. `]` right after `[` or `[!` is a member, not the end.
                let mut j = i + 1;
                if matches!(chars.get(j), Some('!' | '^')) {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                match chars[j.min(chars.len())..].iter().position(|&c| c == ']') {
                    Some(k) => {
                        out.push(G::Any);
                        i = j + k;
                    }
                    None => out.push(G::Lit('[')),
                }
            }
            c => out.push(G::Lit(c)),
        }
        i += 1;
    }
    out
}

/// Whether some string is matched by both glob patterns (a literal is a glob without
/// metacharacters). Breadth-first search over pairs of pattern positions.
pub(crate) fn glob_intersect(a: &str, b: &str) -> bool {
    let a = glob_tokens(a);
    let b = glob_tokens(b);
    let w = b.len() + 1;
    let mut seen = vec![false; (a.len() + 1) * w];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        let idx = i * w + j;
        if seen[idx] {
            continue;
        }
        seen[idx] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        if a.get(i) == Some(&G::Star) {
            stack.push((i + 1, j));
        }
        if b.get(j) == Some(&G::Star) {
            stack.push((i, j + 1));
        }
        if let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
            let compatible = match (x, y) {
                (G::Lit(p), G::Lit(q)) => p == q,
                _ => true,
            };
            if compatible {
                let ni = if x == G::Star { i } else { i + 1 };
                let nj = if y == G::Star { j } else { j + 1 };
                if (ni, nj) != (i, j) {
                    stack.push((ni, nj));
                }
            }
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn res(base: &str, s: &str) -> (String, bool) {
        let mut out = String::new();
        let left = resolve(&mut out, base, s, "/workspace");
        (out, left)
    }

    #[test]
    fn normalisation_and_traversal() {
        assert_eq!(
            res("/workspace", "src/../a.txt"),
            ("/workspace/a.txt".into(), false)
        );
        assert_eq!(
            res("/workspace", "../../etc/passwd"),
            ("/etc/passwd".into(), true)
        );
        assert_eq!(
            res("/workspace", "/workspace/../etc/shadow"),
            ("/etc/shadow".into(), true)
        );
        assert_eq!(
            res("/workspace", "/tmp/../etc/hosts"),
            ("/etc/hosts".into(), false)
        );
        assert_eq!(
            res("/workspace", "./a//b/."),
            ("/workspace/a/b".into(), false)
        );
        assert_eq!(res("/workspace", "/../../x"), ("/x".into(), false));
        assert_eq!(res("/workspace", ".."), ("".into(), true));
        assert_eq!(normalize_abs("/"), "");
        assert_eq!(normalize_abs("/a/b/../c/"), "/a/c");
        assert!(inside("/workspace/x", "/workspace"));
        assert!(inside("/workspace", "/workspace"));
        assert!(!inside("/workspacex", "/workspace"));
        assert!(inside("/anything", ""));
    }

    #[test]
    fn decoding() {
        let mut forms = Vec::new();
        decoded_forms("%2e%2e/%2e%2e/etc/passwd", &mut forms);
        assert_eq!(forms, ["../../etc/passwd"]);
        decoded_forms("%252e%252e/x", &mut forms);
        assert_eq!(forms, ["%2e%2e/x", "../x"]);
        decoded_forms("%25252e%25252e/x", &mut forms);
        assert_eq!(
            forms.last().map(String::as_str),
            Some("../x"),
            "triple encoding"
        );
        decoded_forms("%2525252e%2525252e/x", &mut forms);
        assert_eq!(
            forms.last().map(String::as_str),
            Some("%2e%2e/x"),
            "three rounds at most"
        );
        decoded_forms("．．/x", &mut forms);
        assert_eq!(forms, ["../x"]);
        decoded_forms("..∕..∕etc", &mut forms);
        assert_eq!(forms, ["../../etc"]);
        decoded_forms("%c0%ae%c0%ae/x", &mut forms);
        assert_eq!(forms, ["../x"]);
        decoded_forms("%ef%bc%8e%ef%bc%8e/x", &mut forms);
        assert_eq!(forms, ["．．/x", "../x"]);
        decoded_forms("plain/path", &mut forms);
        assert!(forms.is_empty());
        decoded_forms("100%", &mut forms);
        assert!(forms.is_empty());
    }

    #[test]
    fn globs() {
        assert!(glob_intersect("sha*", "shadow"));
        assert!(glob_intersect("env*", "environ"));
        assert!(glob_intersect("*", "*"));
        assert!(glob_intersect("e*n", "*viron"));
        assert!(!glob_intersect("sha*", "passwd"));
        assert!(glob_intersect("s[a-z]adow", "shadow"));
        assert!(glob_intersect("s?adow", "shadow"));
        assert!(!glob_intersect("s?adow", "shadows"));
        assert!(glob_intersect("[", "["));
        assert!(!glob_intersect("a*b", "ac"));
        assert!(glob_intersect("*.sock", "docker.sock"));
    }

    #[test]
    fn hidden_matching() {
        let h = Hidden::new("/proc/*/environ", "/proc/*/environ");
        assert!(h.reached_by("/proc/1/environ"));
        assert!(h.reached_by("/proc/self/environ"));
        assert!(h.reached_by("/proc/*/env*"));
        assert!(h.reached_by("/*/*/*"));
        assert!(!h.reached_by("/proc/1/status"));
        assert!(
            !h.reached_by("/proc/1"),
            "an ancestor is not the hidden path"
        );
        let s = Hidden::new("/etc/shadow", "/etc/shadow");
        assert!(s.reached_by("/etc/shadow"));
        assert!(s.reached_by("/etc/shadow/x"));
        assert!(s.reached_by("/etc/sha*"));
        assert!(s.reached_by("/e?c/*"));
        assert!(!s.reached_by("/etc/passwd"));
        assert!(hidden_near(
            &[Hidden::new("/workspace/.env", "/workspace/.env")],
            "/workspace"
        ));
        assert!(!hidden_near(&[s], "/workspace"));
    }
}
