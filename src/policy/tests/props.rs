//! Property tests: the gate never panics, is deterministic, and wrapping a command (in
//! `sh -c '...'` or behind a wrapper program) never turns a blocked command into an allowed one.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use super::{dev, open, strict};
use crate::policy::lexer::{Tok, lex};
use crate::policy::{Gate, Rule};

/// Fragments that exercise every part of the gate: programs, wrappers, options, quoting,
/// operators, expansions, paths and encodings.
const FRAGMENTS: &[&str] = &[
    "ls",
    "rm",
    "cat",
    "echo",
    "sh",
    "bash",
    "-c",
    "-lc",
    "-ec",
    "python3",
    "-Ic",
    "-m",
    "pytest",
    "node",
    "-pe",
    "perl",
    "-lane",
    "git",
    "push",
    "-f",
    "-fu",
    "--forc",
    "+main",
    "origin",
    "config",
    "--global",
    "core.pager",
    "-c",
    "ext::sh",
    "env",
    "-i",
    "-S",
    "-u",
    "xargs",
    "-I{}",
    "timeout",
    "5",
    "nice",
    "-n",
    "busybox",
    "find",
    ".",
    "-exec",
    "-delete",
    "{}",
    "\\;",
    "+",
    "sed",
    "'s/a/b/e'",
    "'1e id'",
    "-i",
    "awk",
    "'BEGIN{system(1)}'",
    "'{print $1}'",
    "tar",
    "-I",
    "--use-compress=rm",
    "czf",
    "curl",
    "-so",
    "/etc/x",
    "-o",
    "/tmp/x",
    "cd",
    "/etc",
    "shadow",
    "..",
    "../..",
    "/etc/shadow",
    "/etc/sha*",
    "/proc/self/environ",
    "%2e%2e/x",
    "%252e%252e",
    "．．/x",
    "~",
    "~/x",
    "~root",
    "*",
    "?",
    "[a]",
    "{a,b}",
    "x=1",
    "PATH=/x",
    "LD_PRELOAD=y",
    "'a b'",
    "\"q\"",
    "\"$HOME\"",
    "$HOME",
    "$(id)",
    "`id`",
    "<(ls)",
    "<<",
    ">",
    ">>",
    "2>&1",
    "&>",
    "<",
    "|",
    "||",
    "&&",
    ";",
    "&",
    "(",
    ")",
    "#",
    "'",
    "\"",
    "\\",
    "!",
    "if",
    "then",
    "fi",
    "{",
    "}",
    "f()",
    "eval",
    "'rm x'",
    "trap",
    "EXIT",
    "sudo",
    "-s",
    "su",
    "command",
    "-v",
    "exec",
    "time",
    "setsid",
    "stdbuf",
    "-o0",
    "nohup",
    "export",
    "read",
    "PATH",
    "sort",
    "--compress-program=rm",
    "pip",
    "install",
    "--user",
    "tee",
    "/etc/passwd",
    "file:///etc/shadow",
    "\t",
    "é",
    "∕",
    "\u{2024}",
];

/// Everyday fragments, so that many generated commands are allowed and the properties are
/// exercised near the boundary rather than only on obviously blocked input.
const BENIGN: &[&str] = &[
    "ls",
    "-la",
    "cat",
    "file.txt",
    "src/main.rs",
    "echo",
    "hi",
    "git",
    "log",
    "--oneline",
    "status",
    "grep",
    "-rn",
    "foo",
    "src",
    ".",
    "head",
    "-5",
    "|",
    "&&",
    ";",
    ">",
    "out.txt",
    "2>/dev/null",
    "python3",
    "script.py",
    "-m",
    "pytest",
    "-q",
    "find",
    "-name",
    "'*.py'",
    "-type",
    "f",
    "sed",
    "-n",
    "'1,5p'",
    "wc",
    "-l",
    "sh",
    "-c",
    "'ls -la'",
    "cd",
    "src",
    "npm",
    "test",
    "cargo",
    "build",
    "tar",
    "czf",
    "out.tgz",
    "xargs",
    "env",
    "FOO=1",
    "timeout",
    "5",
    "nice",
    "/tmp/x",
    "./a",
    "'a b'",
    "\"q\"",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::sample::select(BENIGN),
        1 => prop::sample::select(FRAGMENTS),
    ]
    .prop_map(str::to_owned)
}

/// Shell-ish command lines built from the fragments, sometimes without separating spaces.
fn shellish() -> impl Strategy<Value = String> {
    vec((fragment(), prop::bool::weighted(0.85)), 0..14).prop_map(|parts| {
        let mut s = String::new();
        for (f, space) in parts {
            s.push_str(&f);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

fn quote(cmd: &str) -> String {
    format!("'{}'", cmd.replace('\'', r"'\''"))
}

/// A command that can be prefixed with a wrapper and keep its meaning: it is not empty, and
/// it starts with a word that is not an option.
fn prefixable(gate: &Gate, cmd: &str) -> bool {
    if gate.check(cmd).decision.rule == Rule::Empty {
        return false;
    }
    match lex(cmd).ok().and_then(|t| t.into_iter().next()) {
        // An option or an assignment would be read by the wrapper itself.
        Some(Tok::Word(w)) => {
            !w.text.starts_with('-') && !w.text.is_empty() && !w.text.contains('=')
        }
        // Lexing failed: the same failure happens behind any prefix.
        None => lex(cmd).is_err(),
        Some(_) => false,
    }
}

const PREFIXES: &[&str] = &[
    "env ",
    "env -- ",
    "env -i ",
    "nice ",
    "nice -n 5 ",
    "timeout 5 ",
    "nohup ",
    "setsid ",
    "stdbuf -o0 ",
    "time ",
    "xargs ",
    "busybox ",
    "time nice timeout 3 ",
    "env -S ",
];

proptest! {
    // Failures are saved next to this file (props.regressions) and replayed first.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        // The wrapper property discards commands a prefix would change the meaning of.
        max_global_rejects: 100_000,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn never_panics_on_arbitrary_strings(s in any::<String>()) {
        for g in [dev(), open(), strict()] {
            let v = g.check(&s);
            prop_assert_eq!(v.plan.is_some(), v.decision.allowed);
        }
    }

    #[test]
    fn never_panics_on_lossy_bytes(b in vec(any::<u8>(), 0..256)) {
        let s = String::from_utf8_lossy(&b);
        let v = dev().check(&s);
        prop_assert_eq!(v.plan.is_some(), v.decision.allowed);
    }

    #[test]
    fn never_panics_on_shellish_input_and_is_deterministic(s in shellish()) {
        for g in [dev(), open(), strict()] {
            let a = g.check(&s);
            let b = g.check(&s);
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a.plan.is_some(), a.decision.allowed);
            prop_assert!(!a.decision.reason.is_empty());
        }
    }

    #[test]
    fn sh_c_never_unblocks(s in shellish()) {
        for g in [dev(), strict()] {
            let direct = g.check(&s);
            let wrapped = g.check(&format!("sh -c {}", quote(&s)));
            prop_assert!(
                direct.decision.allowed || !wrapped.decision.allowed,
                "`{}` is blocked ({:?}) but `sh -c` of it is allowed",
                s,
                direct.decision.rule
            );
        }
    }

    #[test]
    fn wrappers_never_unblock(s in shellish(), p in prop::sample::select(PREFIXES)) {
        let g = dev();
        prop_assume!(prefixable(&g, &s));
        let direct = g.check(&s);
        let cmd = if p == "env -S " { format!("env -S {}", quote(&s)) } else { format!("{p}{s}") };
        let wrapped = g.check(&cmd);
        prop_assert!(
            direct.decision.allowed || !wrapped.decision.allowed,
            "`{}` is blocked ({:?}: {}) but `{}` is allowed",
            s,
            direct.decision.rule,
            direct.decision.reason,
            cmd
        );
    }
}

#[test]
fn grammar_reaches_both_outcomes() {
    // Guard against vacuous properties: the generator must produce allowed commands (so
    // "blocked stays blocked" is tested against real alternatives) as well as blocked ones,
    // and commands the wrapper property can use.
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let g = dev();
    let mut runner = TestRunner::deterministic();
    let (mut allowed, mut blocked, mut prefixable_blocked) = (0, 0, 0);
    for _ in 0..2000 {
        let s = shellish().new_tree(&mut runner).unwrap().current();
        if g.check(&s).decision.allowed {
            allowed += 1;
        } else {
            blocked += 1;
            if prefixable(&g, &s) {
                prefixable_blocked += 1;
            }
        }
    }
    assert!(
        allowed >= 100,
        "only {allowed} of 2000 generated commands are allowed"
    );
    assert!(
        blocked >= 20,
        "only {blocked} of 2000 generated commands are blocked"
    );
    assert!(
        prefixable_blocked >= 20,
        "only {prefixable_blocked} usable for the wrapper property"
    );
}
