//! The shape of the static program table: how each program reads its command line.
//!
//! A [`Spec`] says which short options take a value (and how: separate or attached, or only
//! attached), which long options take one, aliases to a canonical spelling, implications
//! (`--patch-with-stat` implies `--patch`), whether unambiguous long-option abbreviations are
//! accepted (GNU getopt_long, git parse-options, optparse) and whether option parsing stops at
//! the first operand (interpreters, wrappers). Semantic lists name the canonical options that
//! evaluate code, whose value is a command line, an output file or a working directory.
//! Subcommands (git, pip) carry their own spec. The data lives in [`super::table`]; this file
//! holds the types, the lookup and the option-matching rules shared by the argument parser and
//! the `blocked_args` matcher, so both agree on what `--forc` or `-fu` mean.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// FNV-1a: program names and rule keys are short, and SipHash's DoS resistance buys nothing for
/// sets built from the operator's own profile.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type FastSet = HashSet<Box<str>, BuildHasherDefault<Fnv>>;
pub(crate) type FastMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

/// How a short option takes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    /// The rest of the cluster, or else the next word (`-ofile`, `-o file`).
    Value,
    /// Like `Value`, and option parsing ends after it (`python -c CODE args...`).
    ValueStop,
    /// Only an attached value (`sed -i.bak`, `xargs -i{}`); a bare `-i` has none.
    Attached,
    /// An attached value unless the rest starts with a letter, in which case the rest is more
    /// flags (perl `-i.bak` vs `-pie`: reading `-pie` as `-p -i -e` fails closed).
    AttachedNonAlpha,
    /// Consumes the attached characters from this set (perl `-l0`, `-0777`, `-CSD`).
    Chars(&'static str),
}

/// What kind of program this is, for the few behaviours that are code rather than data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Plain,
    Shell,
    Wrapper(&'static WrapperSpec),
    Su,
    Trap,
    Python,
    Node,
    Perl,
    Sed,
    Awk,
    Git,
    Tar,
    Curl,
    Find,
    Vim,
    Ssh,
    Cd,
    VarBuiltin,
    ShellResolve,
}

/// How a wrapper finds and runs its inner command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WrapperSpec {
    /// Positional operands before the command (`timeout DURATION`, `chroot NEWROOT`).
    pub skip_operands: usize,
    /// `NAME=VALUE` operands before the command (`env`, `sudo`).
    pub assignments: bool,
    /// Command run when none is given (`xargs` runs `echo`).
    pub default_command: Option<&'static str>,
    /// Options whose value is a command line (`flock -c`, `script -c`).
    pub string_opts: &'static [&'static str],
    /// Options whose value is split into more arguments (`env -S`).
    pub split_opts: &'static [&'static str],
    /// Options after which nothing is executed (`command -v`, `sudo -l`).
    pub no_exec_opts: &'static [&'static str],
    /// Options that make the wrapper run a shell, with the remaining words as its command line
    /// (`sudo -s`, `doas -s`).
    pub shell_opts: &'static [&'static str],
    /// The remaining words are joined with spaces into a command line (`eval`, `watch`, `sg`).
    pub join_args: bool,
    /// Without a command the wrapper starts an interactive shell (`chroot`, `nsenter`).
    pub shell_if_empty: bool,
    /// Operands are files, not a command (`script FILE`).
    pub no_operand_command: bool,
    /// After the skipped operands, `-c CMD` gives a command line (`flock FILE -c CMD`, `sg G -c`).
    pub c_after_operand: bool,
    /// Options giving the replacement string that input is substituted for (`xargs -I`).
    pub replace_opts: &'static [&'static str],
    /// The wrapper adds words read from its input to the command's arguments (`xargs`).
    pub appends_input: bool,
}

pub(crate) const WBASE: WrapperSpec = WrapperSpec {
    skip_operands: 0,
    assignments: false,
    default_command: None,
    string_opts: &[],
    split_opts: &[],
    no_exec_opts: &[],
    shell_opts: &[],
    join_args: false,
    shell_if_empty: false,
    no_operand_command: false,
    c_after_operand: false,
    replace_opts: &[],
    appends_input: false,
};

/// How one program (or one subcommand) reads its arguments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub names: &'static [&'static str],
    pub short: &'static [(char, Arg)],
    /// Long options that take a value (`--opt value` or `--opt=value`).
    pub long_value: &'static [&'static str],
    /// Known long options without a value; only needed so abbreviations resolve correctly.
    pub long_flags: &'static [&'static str],
    /// Spelling → canonical name (`-f` → `--force`).
    pub aliases: &'static [(&'static str, &'static str)],
    /// Canonical option → another canonical option it also counts as.
    pub implies: &'static [(&'static str, &'static str)],
    /// Unambiguous long-option abbreviations are accepted (`--forc` for `--force`).
    pub prefixes: bool,
    /// Option parsing ends at the first operand (interpreters, wrappers).
    pub stop_at_operand: bool,
    /// The first word may be a dash-less option cluster whose values follow in order (`tar czf`).
    pub old_style: bool,
    /// Options that evaluate code the gate cannot inspect.
    pub code: &'static [&'static str],
    /// Options whose value is a command line, gated recursively.
    pub commands: &'static [&'static str],
    /// Options whose value is a file the program writes.
    pub outputs: &'static [&'static str],
    /// Options whose value is a directory the program works in.
    pub chdir: &'static [&'static str],
    /// Options that supply the program text (so the interpreter does not read it from stdin).
    pub program_opts: &'static [&'static str],
    /// Without a program option or script operand the program reads its program from stdin.
    pub stdin_program: bool,
    /// The program reads commands from stdin even when given operands (`ed FILE`).
    pub stdin_always: bool,
    /// Options whose value is a file of code the program loads (`make -f`, `node -r`): naming
    /// standard input there reads code from a pipe.
    pub program_file_opts: &'static [&'static str],
    /// Every operand is a file the program writes (`tee`).
    pub operands_are_outputs: bool,
    /// `KEY=FILE` operands the program writes (`dd of=`).
    pub kv_outputs: &'static [&'static str],
    /// Operands starting with `+` count as this pseudo-option (`git push +main`: `+refspec`).
    pub plus_operand: Option<&'static str>,
    pub subs: &'static [Sub],
    /// Spec for subcommands not listed in `subs`.
    pub default_sub: Option<&'static Spec>,
    /// Selecting this subcommand evaluates code (`deno eval`).
    pub code_sub: bool,
    pub kind: Kind,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Sub {
    pub names: &'static [&'static str],
    pub spec: &'static Spec,
}

pub(crate) const BASE: Spec = Spec {
    names: &[],
    short: &[],
    long_value: &[],
    long_flags: &[],
    aliases: &[],
    implies: &[],
    prefixes: false,
    stop_at_operand: false,
    old_style: false,
    code: &[],
    commands: &[],
    outputs: &[],
    chdir: &[],
    program_opts: &[],
    stdin_program: false,
    stdin_always: false,
    program_file_opts: &[],
    operands_are_outputs: false,
    kv_outputs: &[],
    plus_operand: None,
    subs: &[],
    default_sub: None,
    code_sub: false,
    kind: Kind::Plain,
};

/// The spec used for programs the table does not know: clusters of flags, no values.
pub(crate) static UNKNOWN: Spec = BASE;

/// An option occurrence resolved against a spec, see [`Spec::resolve`].
pub(crate) struct Resolved<'o> {
    spec: &'static Spec,
    o: OptName<'o>,
    canon: Option<&'static str>,
    abbrev: bool,
}

impl Resolved<'_> {
    fn same(&self, s: &str) -> bool {
        match self.canon {
            Some(c) => c == s,
            None => self.o.is_spelled(s),
        }
    }

    /// Whether the option means the canonical option `target`: directly, through an alias or
    /// implication, or as an abbreviation where the program accepts them. Ambiguous
    /// abbreviations match every option they abbreviate (the program would reject them, so
    /// the gate over-approximates).
    pub(crate) fn means(&self, target: &str) -> bool {
        let spec = self.spec;
        if self.same(target)
            || spec
                .implies
                .iter()
                .any(|(src, dst)| *dst == target && self.same(src))
        {
            return true;
        }
        match self.o {
            OptName::Long(n) if self.abbrev => {
                abbreviates(n, target)
                    || spec
                        .aliases
                        .iter()
                        .any(|(k, v)| *v == target && abbreviates(n, k))
                    || spec
                        .implies
                        .iter()
                        .any(|(src, dst)| *dst == target && abbreviates(n, src))
            }
            _ => false,
        }
    }
}

/// An option as written: one short letter (from a cluster) or a long name (before any `=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptName<'a> {
    Short(char),
    Long(&'a str),
}

impl OptName<'_> {
    /// Whether this option is spelled `s` (`-f`, `--force`).
    pub(crate) fn is_spelled(self, s: &str) -> bool {
        match self {
            OptName::Short(c) => {
                let b = s.as_bytes();
                b.first() == Some(&b'-') && s[1..].starts_with(c) && s.len() == 1 + c.len_utf8()
            }
            OptName::Long(n) => n == s,
        }
    }
}

fn abbreviates(n: &str, full: &str) -> bool {
    full.len() > n.len() && full.starts_with(n) && full.starts_with("--")
}

impl Spec {
    pub(crate) fn short_arg(&self, c: char) -> Option<Arg> {
        self.short.iter().find(|(k, _)| *k == c).map(|(_, a)| *a)
    }

    /// Whether the table knows the short option `c` (as taking a value or through an alias).
    pub(crate) fn knows_short(&self, c: char) -> bool {
        self.short_arg(c).is_some() || self.alias_of(OptName::Short(c)).is_some()
    }

    fn alias_of(&self, o: OptName<'_>) -> Option<&'static str> {
        self.aliases
            .iter()
            .find(|(k, _)| o.is_spelled(k))
            .map(|(_, v)| *v)
    }

    /// Whether `n` is exactly some long option this spec knows (then it is not an abbreviation).
    pub(crate) fn known_long(&self, n: &str) -> bool {
        [
            self.long_value,
            self.long_flags,
            self.code,
            self.commands,
            self.outputs,
            self.chdir,
            self.program_opts,
        ]
        .iter()
        .any(|l| l.contains(&n))
            || self.aliases.iter().any(|(k, v)| *k == n || *v == n)
            || self.implies.iter().any(|(k, _)| *k == n)
    }

    /// Whether the option `o` means the canonical option `target` here (see
    /// [`Resolved::means`]).
    pub(crate) fn is(&'static self, o: OptName<'_>, target: &str) -> bool {
        self.resolve(o).means(target)
    }

    /// Resolves `o` once (alias lookup, abbreviation eligibility) for matching against many
    /// targets.
    pub(crate) fn resolve<'o>(&'static self, o: OptName<'o>) -> Resolved<'o> {
        let canon = self.alias_of(o);
        let abbrev = match o {
            OptName::Long(n) => {
                self.prefixes
                    && n.len() >= 3
                    && n.starts_with("--")
                    && canon.is_none()
                    && !self.known_long(n)
            }
            OptName::Short(_) => false,
        };
        Resolved {
            spec: self,
            o,
            canon,
            abbrev,
        }
    }

    /// The first canonical option of `list` that `o` means.
    pub(crate) fn any_of(
        &'static self,
        o: OptName<'_>,
        list: &'static [&'static str],
    ) -> Option<&'static str> {
        if list.is_empty() {
            return None;
        }
        let r = self.resolve(o);
        list.iter().find(|t| r.means(t)).copied()
    }

    pub(crate) fn long_takes_value(&'static self, n: &str) -> bool {
        let r = self.resolve(OptName::Long(n));
        self.long_value.iter().any(|t| r.means(t))
    }
}

static INDEX: OnceLock<HashMap<&'static str, &'static Spec, BuildHasherDefault<Fnv>>> =
    OnceLock::new();

/// The spec for a program basename. Versioned names fall back to their family
/// (`python3.11` → python, `pip3.12` → pip) for argument semantics only.
pub(crate) fn lookup(program: &str) -> Option<&'static Spec> {
    let index = INDEX.get_or_init(|| {
        let mut m = HashMap::default();
        for spec in super::table::ALL {
            for name in spec.names {
                m.insert(*name, *spec);
            }
        }
        m
    });
    if let Some(s) = index.get(program) {
        return Some(s);
    }
    let base = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if base.len() < program.len() && !base.is_empty() {
        return index.get(base).copied();
    }
    None
}

/// The key `blocked_args` rules are stored under: the first name of the program's family, so a
/// rule for `pip` also applies to `pip3` and `python3 -m pip`.
pub(crate) fn family(program: &str) -> &str {
    match lookup(program) {
        Some(s) if !s.names.is_empty() => s.names[0],
        _ => program,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_family() {
        assert!(lookup("python3.11").is_some_and(|s| s.kind == Kind::Python));
        assert_eq!(family("pip3"), "pip");
        assert_eq!(family("pip3.12"), "pip");
        assert_eq!(family("unknown-tool"), "unknown-tool");
        assert!(lookup("md5sum").is_none());
    }

    #[test]
    fn option_matching() {
        let push = lookup("git")
            .and_then(|g| g.subs.iter().find(|s| s.names.contains(&"push")))
            .map(|s| s.spec)
            .unwrap();
        assert!(push.is(OptName::Short('f'), "--force"));
        assert!(push.is(OptName::Long("--force"), "--force"));
        assert!(push.is(OptName::Long("--forc"), "--force"));
        assert!(
            push.is(OptName::Long("--forc"), "--force-with-lease"),
            "ambiguous matches all"
        );
        assert!(!push.is(OptName::Long("--force-with-lease"), "--force"));
        assert!(!push.is(OptName::Long("--f"), "--force") || push.prefixes);
        let log = lookup("git")
            .and_then(|g| g.subs.iter().find(|s| s.names.contains(&"log")))
            .map(|s| s.spec)
            .unwrap();
        for o in [
            OptName::Short('p'),
            OptName::Short('u'),
            OptName::Short('U'),
            OptName::Long("--patch-with-stat"),
            OptName::Long("--unified"),
        ] {
            assert!(log.is(o, "--patch"), "{o:?}");
        }
        let python = lookup("python3").unwrap();
        assert!(
            !python.is(OptName::Long("--ch"), "--check-hash-based-pycs"),
            "no abbreviations"
        );
    }
}
