//! The profile's `blocked_args` rules: compiled once, matched with the program's own parsing.
//!
//! A pattern such as `push --force` is written the way the program's command line is: leading
//! words are subcommand words, the rest are options. Options are canonicalised through the
//! program's alias table when the rule is compiled, and matched against parsed options with
//! [`Spec::is`], so `-f`, `-fu`, `--force`, `--forc` and `--force=x` all match `--force` for
//! `git push`, in any order and position. Rules are stored under the program's family
//! ([`spec::family`]) so a rule for `pip` covers `pip3` too.

use super::BlockedArgRule;
use super::GateConfigError;
use super::args::{Item, Parsed};
use super::spec::{self, Kind, OptName, Spec};

#[derive(Debug, Clone)]
pub(crate) struct CompiledRule {
    pub family: String,
    /// `program: pattern` as written, for messages.
    pub shown: String,
    words: Vec<String>,
    opts: Vec<RuleOpt>,
}

#[derive(Debug, Clone)]
struct RuleOpt {
    /// Canonical name (`--force`), or the pseudo-option (`+refspec`).
    name: String,
    /// Required value for `--opt=value` patterns.
    value: Option<String>,
}

fn invalid(rule: &BlockedArgRule, problem: impl Into<String>) -> GateConfigError {
    GateConfigError::InvalidPattern {
        program: rule.program.clone(),
        pattern: rule.pattern.clone(),
        problem: problem.into(),
    }
}

/// Characters a shell would interpret; a pattern containing them cannot mean what it says.
const SHELL_SYNTAX: &[char] = &[
    ';', '&', '|', '<', '>', '(', ')', '$', '`', '\\', '"', '\'', '*', '?', '[', ']', '{', '}',
    '!', '#', '~',
];

pub(crate) fn compile(rule: &BlockedArgRule) -> Result<CompiledRule, GateConfigError> {
    let program = rule.program.as_str();
    if program.is_empty()
        || program.contains('/')
        || program.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(GateConfigError::InvalidRuleProgram {
            program: rule.program.clone(),
        });
    }
    if let Some(c) = rule
        .pattern
        .chars()
        .find(|c| SHELL_SYNTAX.contains(c) || c.is_control())
    {
        return Err(invalid(
            rule,
            format!(
                "it contains `{}`, which is shell syntax, not part of an argument",
                c.escape_default()
            ),
        ));
    }
    let parts: Vec<&str> = rule.pattern.split_whitespace().collect();
    if parts.is_empty() {
        return Err(invalid(rule, "the pattern is empty"));
    }
    let spec = spec::lookup(program);
    let mut words = Vec::new();
    let mut opts = Vec::new();
    let mut opt_spec: &Spec = spec.unwrap_or(&spec::UNKNOWN);
    for part in parts {
        let is_opt = part.starts_with('+') || (part.starts_with('-') && part.len() > 1);
        if !is_opt {
            if !opts.is_empty() {
                return Err(invalid(
                    rule,
                    format!("`{part}` comes after an option; only options may follow options"),
                ));
            }
            if part == "-" || part == "--" {
                return Err(invalid(
                    rule,
                    format!("`{part}` is not an option or subcommand word"),
                ));
            }
            if words.is_empty()
                && let Some(s) = spec
            {
                opt_spec = s
                    .subs
                    .iter()
                    .find(|sub| sub.names.contains(&part))
                    .map(|sub| sub.spec)
                    .or(s.default_sub)
                    .unwrap_or(s);
            }
            words.push(part.to_owned());
            continue;
        }
        if part.starts_with('+') {
            if part != "+refspec" {
                return Err(invalid(
                    rule,
                    format!("`{part}`: the only `+` word a pattern understands is `+refspec`"),
                ));
            }
            opts.push(RuleOpt {
                name: part.to_owned(),
                value: None,
            });
            continue;
        }
        if part == "--" {
            return Err(invalid(rule, "`--` is not an option to block"));
        }
        let (name, value) = match part.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (part, None),
        };
        if name.starts_with("--") || opt_spec.kind == Kind::Find || name.chars().count() == 2 {
            opts.push(RuleOpt {
                name: canonical(opt_spec, name),
                value,
            });
        } else {
            // A short cluster in a pattern (`-fu`) means each of its options.
            if value.is_some() {
                return Err(invalid(
                    rule,
                    format!("`{part}`: write a short option with a value as a separate rule word"),
                ));
            }
            for c in name.chars().skip(1) {
                opts.push(RuleOpt {
                    name: canonical(opt_spec, &format!("-{c}")),
                    value: None,
                });
            }
        }
    }
    Ok(CompiledRule {
        family: spec::family(program).to_owned(),
        shown: format!(
            "{}: {}",
            rule.program,
            rule.pattern
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ),
        words,
        opts,
    })
}

/// The canonical spelling of `name` in `spec` (its alias target, or itself).
fn canonical(spec: &Spec, name: &str) -> String {
    let o = match name.strip_prefix("--") {
        Some(_) => OptName::Long(name),
        None => match name.chars().nth(1) {
            Some(c) if name.chars().count() == 2 => OptName::Short(c),
            _ => OptName::Long(name),
        },
    };
    spec.aliases
        .iter()
        .find(|(k, _)| o.is_spelled(k))
        .map_or_else(|| name.to_owned(), |(_, v)| (*v).to_owned())
}

impl CompiledRule {
    /// Whether this rule matches the parsed command: if so, the argument index of the word
    /// that decided it (the first matching option, or the first subcommand word).
    pub(crate) fn matches(&self, parsed: &Parsed<'_>) -> Option<usize> {
        let word_at = match self.words.is_empty() {
            true => None,
            false => Some(self.words_match(parsed)?),
        };
        let mut opt_at = None;
        for ro in &self.opts {
            let hit = parsed.items.iter().find_map(|item| match *item {
                Item::Opt {
                    name,
                    value,
                    spec,
                    word,
                } if spec.is(name, &ro.name)
                    && ro.value.as_deref().is_none_or(|want| value == Some(want)) =>
                {
                    Some(word)
                }
                _ => None,
            })?;
            opt_at.get_or_insert(hit);
        }
        // A compiled rule has at least one word or option, so one of these is set.
        opt_at.or(word_at)
    }

    /// The rule's subcommand words must be the command's leading operands. An operand that may
    /// be the value of an option the table does not know can be skipped (over-approximation).
    /// Returns the argument index of the first matched word.
    fn words_match(&self, parsed: &Parsed<'_>) -> Option<usize> {
        let ops: Vec<(&str, bool, usize)> = parsed
            .items
            .iter()
            .filter_map(|i| match *i {
                Item::Operand {
                    text,
                    maybe_value,
                    word,
                } => Some((text, maybe_value, word)),
                Item::Opt { .. } => None,
            })
            .collect();
        for start in 0..ops.len() {
            if ops.len() - start >= self.words.len()
                && self
                    .words
                    .iter()
                    .zip(&ops[start..])
                    .all(|(w, (o, _, _))| w == o)
            {
                return Some(ops[start].2);
            }
            // Only skip operands that might be option values.
            if !ops[start].1 {
                return None;
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn rule(program: &str, pattern: &str) -> BlockedArgRule {
        BlockedArgRule {
            program: program.into(),
            pattern: pattern.into(),
        }
    }

    #[test]
    fn invalid_patterns_name_program_and_pattern() {
        for (p, pat) in [
            ("git", ""),
            ("git", "   "),
            ("git", "push; rm"),
            ("git", "push $(x)"),
            ("git", "--force push"),
            ("git", "push +main"),
            ("git", "push --"),
            ("git", "push -fo=x"),
        ] {
            let err = compile(&rule(p, pat)).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(p), "{msg}");
            assert!(
                matches!(err, GateConfigError::InvalidPattern { .. }),
                "{pat}: {msg}"
            );
        }
        assert!(matches!(
            compile(&rule("/usr/bin/git", "push")),
            Err(GateConfigError::InvalidRuleProgram { .. })
        ));
    }

    #[test]
    fn canonicalisation() {
        let r = compile(&rule("git", "push -f")).unwrap();
        assert_eq!(r.opts[0].name, "--force");
        assert_eq!(r.family, "git");
        let r = compile(&rule("pip3", "install -e")).unwrap();
        assert_eq!(
            (r.family.as_str(), r.opts[0].name.as_str()),
            ("pip", "--editable")
        );
        let r = compile(&rule("git", "push -fu")).unwrap();
        assert_eq!(r.opts.len(), 2);
        let r = compile(&rule("find", "-delete")).unwrap();
        assert_eq!(r.opts[0].name, "-delete");
    }
}
