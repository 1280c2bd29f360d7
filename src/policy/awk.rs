//! A scanner for awk programs, just deep enough to find what runs commands or touches files.
//!
//! awk runs shell commands through `system()`, `"cmd" | getline`, `print | "cmd"` and gawk's
//! `|&` coprocesses, loads code with gawk's `@load`/`@include`, reads files with
//! `getline < file` and writes them with `print > file`. The scanner tokenises the program
//! (strings, regex literals told apart from division by the previous token, comments) and
//! looks at those constructs in context: a `|` or `>` only redirects inside a `print`/`printf`
//! statement outside parentheses. File names must be string literals the gate can check;
//! a computed one is reported as such so the caller can refuse it.

/// A file name in a redirection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Literal(String),
    Computed,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct AwkFacts {
    /// The construct that runs a command or loads code, if any.
    pub exec: Option<&'static str>,
    pub writes: Vec<Target>,
    pub reads: Vec<Target>,
    /// Every string literal (adjacent literals concatenated), for path checks.
    pub strings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum T {
    Str(String),
    Regex,
    Ident(String),
    Num,
    Punct(&'static str),
    At(String),
    Newline,
}

const PUNCT: &[&str] = &[
    "|&", "||", "&&", ">>", ">=", "<=", "==", "!=", "++", "--", "+=", "-=", "*=", "/=", "%=", "^=",
    "**", "|", ">", "<", "(", ")", "{", "}", "[", "]", ";", ",", "+", "-", "*", "/", "%", "^", "!",
    "?", ":", "=", "~", "$",
];

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn tokenize(src: &str) -> Vec<T> {
    let b = src.as_bytes();
    let mut out: Vec<T> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'\n' => {
                out.push(T::Newline);
                i += 1;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(b.len());
                out.push(T::Str(unescape(&src[start..end])));
                i += 1;
            }
            b'/' if !matches!(
                out.last(),
                Some(T::Str(_) | T::Regex | T::Num | T::Ident(_) | T::Punct(")" | "]" | "$"))
            ) || matches!(out.last(), Some(T::Ident(k)) if is_keyword(k)) =>
            {
                i += 1;
                let mut in_class = false;
                while i < b.len() && b[i] != b'\n' {
                    match b[i] {
                        b'\\' => i += 1,
                        b'[' => in_class = true,
                        b']' => in_class = false,
                        b'/' if !in_class => break,
                        _ => {}
                    }
                    i += 1;
                }
                out.push(T::Regex);
                i += 1;
            }
            b'@' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(T::At(src[start..i].to_owned()));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push(T::Ident(src[start..i].to_owned()));
            }
            c if c.is_ascii_digit()
                || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) =>
            {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                out.push(T::Num);
            }
            _ => {
                match PUNCT.iter().find(|p| src[i..].starts_with(**p)) {
                    Some(p) => {
                        out.push(T::Punct(p));
                        i += p.len();
                    }
                    None => {
                        // Any other character (non-ASCII in an identifier-less spot): skip it.
                        i += src[i..].chars().next().map_or(1, char::len_utf8);
                    }
                }
            }
        }
    }
    out
}

fn is_keyword(k: &str) -> bool {
    matches!(
        k,
        "print" | "printf" | "return" | "in" | "case" | "if" | "while" | "do" | "else" | "getline"
    )
}

/// The file name after a redirection operator at `toks[i]`.
fn target(toks: &[T], i: usize) -> Target {
    let mut k = i;
    let mut lit = String::new();
    while let Some(T::Str(s)) = toks.get(k) {
        lit.push_str(s);
        k += 1;
    }
    // A literal must end the redirection: `print > "a" x` would concatenate.
    let ends = matches!(
        toks.get(k),
        None | Some(T::Newline | T::Punct(";" | "}" | ")" | "|" | "||" | "&&"))
    );
    if k > i && ends {
        Target::Literal(lit)
    } else {
        Target::Computed
    }
}

pub(crate) fn analyse(src: &str) -> AwkFacts {
    let toks = tokenize(src);
    let mut f = AwkFacts::default();
    let mut k = 0;
    while k < toks.len() {
        match &toks[k] {
            T::Str(_) => {
                let mut lit = String::new();
                while let Some(T::Str(s)) = toks.get(k) {
                    lit.push_str(s);
                    k += 1;
                }
                f.strings.push(lit);
                continue;
            }
            T::Ident(id) if id == "system" => {
                f.exec.get_or_insert("system()");
            }
            T::At(a) if a == "load" || a == "include" => {
                f.exec.get_or_insert("@load/@include");
            }
            T::Punct("|&") => {
                f.exec.get_or_insert("a `|&` coprocess");
            }
            T::Punct("|") if matches!(toks.get(k + 1), Some(T::Ident(g)) if g == "getline") => {
                f.exec.get_or_insert("`| getline`");
            }
            T::Ident(id) if id == "print" || id == "printf" => {
                // Scan the statement: `|` or `>`/`>>` outside parentheses redirect it.
                let mut depth = 0i32;
                let mut j = k + 1;
                while let Some(t) = toks.get(j) {
                    match t {
                        T::Punct("(" | "[") => depth += 1,
                        T::Punct(")" | "]") => depth -= 1,
                        T::Punct(";" | "}" | "{") | T::Newline if depth <= 0 => break,
                        T::Punct("|") if depth == 0 => {
                            f.exec.get_or_insert("`print | command`");
                            break;
                        }
                        T::Punct(">" | ">>") if depth == 0 => {
                            f.writes.push(target(&toks, j + 1));
                            break;
                        }
                        _ => {}
                    }
                    j += 1;
                }
            }
            T::Ident(id) if id == "getline" => {
                // getline [var] < file
                let mut j = k + 1;
                match toks.get(j) {
                    Some(T::Ident(_)) => {
                        j += 1;
                        if toks.get(j) == Some(&T::Punct("[")) {
                            let mut d = 0;
                            while let Some(t) = toks.get(j) {
                                match t {
                                    T::Punct("[") => d += 1,
                                    T::Punct("]") => {
                                        d -= 1;
                                        if d == 0 {
                                            j += 1;
                                            break;
                                        }
                                    }
                                    _ => {}
                                }
                                j += 1;
                            }
                        }
                    }
                    Some(T::Punct("$")) => j += 2,
                    _ => {}
                }
                if toks.get(j) == Some(&T::Punct("<")) {
                    f.reads.push(target(&toks, j + 1));
                }
            }
            _ => {}
        }
        k += 1;
    }
    f
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_programs_are_clean() {
        for p in [
            "{print $1}",
            "BEGIN{FS=\":\"} {print $1 > \"out.txt\"}",
            "{ if ($3 > 5) print $1 }",
            "{s += $1} END {print s / NR}",
            "/a|b/ {print}",
            "{ print ($1 > 2) }",
            "NR==1, NR==5",
            "{ x = a || b; print x }",
            "{ n = split($0, a, \"/\"); print a[n] }",
        ] {
            let f = analyse(p);
            assert_eq!(f.exec, None, "{p}");
            assert!(
                f.writes.iter().all(|t| matches!(t, Target::Literal(_))),
                "{p}: {f:?}"
            );
        }
        assert_eq!(analyse("{ print ($1 > 2) }").writes, []);
        assert_eq!(analyse("{ if ($3 > 5) print $1 }").writes, []);
    }

    #[test]
    fn command_execution() {
        for p in [
            "BEGIN{system(\"id\")}",
            "BEGIN { system (\"id\") }",
            "BEGIN{\"id\" | getline x; print x}",
            "{print | \"sh\"}",
            "{printf \"%s\", $0 | \"cat 1>&2\"}",
            "BEGIN{print \"x\" |& \"cmd\"}",
            "@load \"filefuncs\"",
            "@include \"lib.awk\"",
            "{print $1 | $2}",
        ] {
            assert!(analyse(p).exec.is_some(), "{p}");
        }
    }

    #[test]
    fn files() {
        let f = analyse("BEGIN{while((getline l < \"/etc/shadow\") > 0) print l}");
        assert_eq!(f.reads, [Target::Literal("/etc/shadow".into())]);
        let f = analyse("{print > $1 \".txt\"}");
        assert_eq!(f.writes, [Target::Computed]);
        let f = analyse("{print >> \"/etc/\" \"passwd\"}");
        assert_eq!(f.writes, [Target::Literal("/etc/passwd".into())]);
        let f = analyse("BEGIN{f=\"/etc/sh\" \"adow\"; getline x < f}");
        assert_eq!(f.reads, [Target::Computed]);
        assert!(f.strings.contains(&"/etc/shadow".to_owned()));
        let f = analyse("{ a = 4 / 2; b = /x\\/y/; print a }");
        assert_eq!(f.exec, None);
    }
}
