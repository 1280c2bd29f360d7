//! Parses a program's arguments with its [`Spec`] into options and operands.
//!
//! One parser serves every program: short clusters (`-fu`, `-Ic`, `-so file`), attached and
//! separate values, `--opt=value` and `--opt value`, abbreviations where accepted, `--`,
//! stopping at the first operand where the program does, old-style `tar czf` clusters, and
//! subcommand selection (`git -C dir push` selects push's spec for the rest). The result keeps
//! word indices so messages can quote what the user wrote.

use super::lexer::Word;
use super::spec::{Arg, OptName, Spec};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Item<'w> {
    Opt {
        name: OptName<'w>,
        value: Option<&'w str>,
        /// The spec the option was parsed under (global or subcommand).
        spec: &'static Spec,
        /// Index of the word the option was written in.
        word: usize,
    },
    Operand {
        text: &'w str,
        word: usize,
        /// The previous word was an option the table does not know, so this operand might be
        /// its value (used to over-approximate subcommand matching in `blocked_args`).
        maybe_value: bool,
    },
}

#[derive(Debug)]
pub(crate) struct Parsed<'w> {
    pub items: Vec<Item<'w>>,
    /// For programs that stop at their first operand: that operand's index (a wrapper's
    /// command, an interpreter's script). `args.len()` when parsing never stopped.
    pub rest: usize,
    /// The selected subcommand's spec.
    pub sub: Option<&'static Spec>,
    /// Argument index from which words can no longer be options (after `--`, after the
    /// operand of a program that stops there); `usize::MAX` when options never ended.
    pub opts_end: usize,
}

impl<'w> Parsed<'w> {
    /// Whether a word at argument index `i` (or appended at `i == args.len()`) could still be
    /// read as an option.
    pub(crate) fn open_at(&self, i: usize) -> bool {
        i < self.opts_end
    }

    pub(crate) fn operands(&self) -> impl Iterator<Item = &'w str> + '_ {
        self.items.iter().filter_map(|i| match i {
            Item::Operand { text, .. } => Some(*text),
            Item::Opt { .. } => None,
        })
    }

    /// Whether any option means one of the canonical options in `list`.
    pub(crate) fn has_any(&self, pick: impl Fn(&Spec) -> &'static [&'static str]) -> bool {
        self.items.iter().any(|i| match *i {
            Item::Opt { name, spec, .. } => spec.any_of(name, pick(spec)).is_some(),
            Item::Operand { .. } => false,
        })
    }

    /// Values of the options meaning canonical option `target`.
    pub(crate) fn values_of<'a>(
        &'a self,
        target: &'a str,
    ) -> impl Iterator<Item = Option<&'w str>> + 'a {
        self.items.iter().filter_map(move |i| match *i {
            Item::Opt {
                name, value, spec, ..
            } if spec.is(name, target) => Some(value),
            _ => None,
        })
    }
}

/// Parses `args` (the words after the program name). With `stop_early`, parsing returns at the
/// first operand of a spec that stops there, without recording it (wrappers).
pub(crate) fn parse<'w>(spec: &'static Spec, args: &'w [Word<'_>], stop_early: bool) -> Parsed<'w> {
    let mut p = Parsed {
        items: Vec::with_capacity(args.len() + 1),
        rest: args.len(),
        sub: None,
        opts_end: usize::MAX,
    };
    let mut cur = spec;
    let mut i = 0;
    let mut opts_done = false;
    let mut prev_unknown = false;
    while i < args.len() {
        let w: &'w str = &args[i].text;
        let is_opt = !opts_done && w.len() > 1 && w.starts_with('-');
        if !is_opt {
            if i == 0 && cur.old_style && !opts_done && !w.is_empty() && w != "-" {
                i = old_style(cur, w, args, &mut p.items);
                prev_unknown = false;
                continue;
            }
            let mut selects_sub = false;
            if !opts_done && p.sub.is_none() && (!cur.subs.is_empty() || cur.default_sub.is_some())
            {
                let found = cur
                    .subs
                    .iter()
                    .find(|s| s.names.contains(&w))
                    .map(|s| s.spec);
                if let Some(s) = found.or(cur.default_sub) {
                    cur = s;
                    p.sub = Some(s);
                    selects_sub = true;
                }
            }
            if !selects_sub && cur.stop_at_operand && !opts_done {
                p.rest = i;
                // The operand itself would have been an option had it started with `-`.
                p.opts_end = i + 1;
                if stop_early {
                    return p;
                }
                opts_done = true;
            }
            p.items.push(Item::Operand {
                text: w,
                word: i,
                maybe_value: prev_unknown,
            });
            if let Some(pseudo) = cur.plus_operand
                && w.starts_with('+')
            {
                p.items.push(Item::Opt {
                    name: OptName::Long(pseudo),
                    value: None,
                    spec: cur,
                    word: i,
                });
            }
            prev_unknown = false;
            i += 1;
            continue;
        }
        if w == "--" {
            opts_done = true;
            i += 1;
            p.opts_end = p.opts_end.min(i);
            if cur.stop_at_operand {
                p.rest = i;
                if stop_early {
                    return p;
                }
            }
            continue;
        }
        let word = i;
        if w.starts_with("--") {
            let (name, attached) = match w.find('=') {
                Some(e) => (&w[..e], Some(&w[e + 1..])),
                None => (w, None),
            };
            let mut value = attached;
            if attached.is_none() && cur.long_takes_value(name) {
                value = args.get(i + 1).map(|a| &*a.text);
                i += 1;
            }
            p.items.push(Item::Opt {
                name: OptName::Long(name),
                value,
                spec: cur,
                word,
            });
            prev_unknown = attached.is_none() && value.is_none() && !cur.known_long(name);
            i += 1;
            continue;
        }
        let (stop, unknown) = cluster(cur, &w[1..], args, &mut i, word, &mut p.items);
        prev_unknown = unknown;
        i += 1;
        if stop {
            opts_done = true;
            p.rest = i;
            p.opts_end = p.opts_end.min(i);
            if stop_early && cur.stop_at_operand {
                return p;
            }
        }
    }
    p
}

/// Parses one short-option cluster (without its `-`). Advances `i` past a separate value.
/// Returns (option parsing ends, the last option was unknown to the table).
fn cluster<'w>(
    spec: &'static Spec,
    body: &'w str,
    args: &'w [Word<'_>],
    i: &mut usize,
    word: usize,
    items: &mut Vec<Item<'w>>,
) -> (bool, bool) {
    let mut k = 0;
    let mut unknown = false;
    while let Some(c) = body[k..].chars().next() {
        let rest = &body[k + c.len_utf8()..];
        let opt = |value| Item::Opt {
            name: OptName::Short(c),
            value,
            spec,
            word,
        };
        match spec.short_arg(c) {
            None => {
                items.push(opt(None));
                unknown = !spec.knows_short(c);
                k += c.len_utf8();
            }
            Some(a @ (Arg::Value | Arg::ValueStop)) => {
                let value = if rest.is_empty() {
                    *i += 1;
                    args.get(*i).map(|w| &*w.text)
                } else {
                    Some(rest)
                };
                items.push(opt(value));
                return (a == Arg::ValueStop, false);
            }
            Some(Arg::Attached) => {
                items.push(opt((!rest.is_empty()).then_some(rest)));
                return (false, false);
            }
            Some(Arg::AttachedNonAlpha) => {
                if rest.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
                    items.push(opt(None));
                    k += c.len_utf8();
                    unknown = false;
                    continue;
                }
                items.push(opt((!rest.is_empty()).then_some(rest)));
                return (false, false);
            }
            Some(Arg::Chars(set)) => {
                let n = rest.len() - rest.trim_start_matches(|ch| set.contains(ch)).len();
                items.push(opt((n > 0).then(|| &rest[..n])));
                k += c.len_utf8() + n;
                unknown = false;
            }
        }
    }
    (false, unknown)
}

/// A dash-less first word read as a cluster whose value-taking letters consume the following
/// words in order (`tar czf out.tgz src`, `tar xvfC a.tar dir`). Returns the next index.
fn old_style<'w>(
    spec: &'static Spec,
    w: &'w str,
    args: &'w [Word<'_>],
    items: &mut Vec<Item<'w>>,
) -> usize {
    let mut next = 1;
    for c in w.chars() {
        let value = match spec.short_arg(c) {
            Some(_) => {
                let v = args.get(next).map(|a| &*a.text);
                next += 1;
                v
            }
            None => None,
        };
        items.push(Item::Opt {
            name: OptName::Short(c),
            value,
            spec,
            word: 0,
        });
    }
    next.min(args.len().max(1))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::policy::lexer::{Tok, lex};
    use crate::policy::spec::lookup;

    fn words(src: &str) -> Vec<Word<'_>> {
        lex(src)
            .unwrap()
            .into_iter()
            .filter_map(|t| match t {
                Tok::Word(w) => Some(w),
                _ => None,
            })
            .collect()
    }

    fn show(p: &Parsed<'_>) -> Vec<String> {
        p.items
            .iter()
            .map(|i| match i {
                Item::Opt {
                    name: OptName::Short(c),
                    value,
                    ..
                } => format!("-{c}={value:?}"),
                Item::Opt {
                    name: OptName::Long(n),
                    value,
                    ..
                } => format!("{n}={value:?}"),
                Item::Operand { text, .. } => (*text).to_owned(),
            })
            .collect()
    }

    fn run(src: &str) -> Vec<String> {
        let w = words(src);
        let spec = lookup(&w[0].text).unwrap();
        show(&parse(spec, &w[1..], false))
    }

    #[test]
    fn clusters_and_values() {
        assert_eq!(run("python3 -Ic x"), ["-I=None", "-c=Some(\"x\")"]);
        assert_eq!(
            run("python3 -Icimport y"),
            ["-I=None", "-c=Some(\"import\")", "y"]
        );
        assert_eq!(
            run("python3 -m pytest -c x"),
            ["-m=Some(\"pytest\")", "-c", "x"]
        );
        assert_eq!(
            run("curl -so /etc/x http://h"),
            ["-s=None", "-o=Some(\"/etc/x\")", "http://h"]
        );
        assert_eq!(
            run("perl -lane print"),
            ["-l=None", "-a=None", "-n=None", "-e=Some(\"print\")"]
        );
        assert_eq!(run("perl -pie x"), ["-p=None", "-i=None", "-e=Some(\"x\")"]);
        assert_eq!(
            run("perl -i.bak -Mwarnings s"),
            ["-i=Some(\".bak\")", "-M=Some(\"warnings\")", "s"]
        );
        assert_eq!(
            run("perl -l0777ne x"),
            ["-l=Some(\"0777\")", "-n=None", "-e=Some(\"x\")"]
        );
        assert_eq!(run("perl -CSDe x"), ["-C=Some(\"SD\")", "-e=Some(\"x\")"]);
        assert_eq!(
            run("sed -i.bak -n --expression=p f"),
            [
                "-i=Some(\".bak\")",
                "-n=None",
                "--expression=Some(\"p\")",
                "f"
            ]
        );
    }

    #[test]
    fn subcommands_and_abbreviations() {
        assert_eq!(
            run("git -C dir push -fu origin +main"),
            [
                "-C=Some(\"dir\")",
                "push",
                "-f=None",
                "-u=None",
                "origin",
                "+main",
                "+refspec=None"
            ]
        );
        assert_eq!(
            run("tar --use-compress rm -cf a x"),
            [
                "--use-compress=Some(\"rm\")",
                "-c=None",
                "-f=Some(\"a\")",
                "x"
            ]
        );
        assert_eq!(
            run("tar czf out.tgz src"),
            ["-c=None", "-z=None", "-f=Some(\"out.tgz\")", "src"]
        );
        assert_eq!(run("git push -- +x"), ["push", "+x", "+refspec=None"]);
    }

    #[test]
    fn wrappers_stop_at_the_command() {
        let w = words("env -i -u X FOO=1 rm -rf /");
        let p = parse(lookup("env").unwrap(), &w[1..], true);
        assert_eq!(p.rest, 3);
        let w = words("timeout -s KILL -- 5 rm");
        let p = parse(lookup("timeout").unwrap(), &w[1..], true);
        assert_eq!(p.rest, 3);
        let w = words("nice");
        assert_eq!(parse(lookup("nice").unwrap(), &w[1..], true).rest, 0);
    }
}
