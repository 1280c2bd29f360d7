//! Wrappers and shells: programs whose arguments are another command.
//!
//! A wrapper is parsed with its own option table up to its command (`env -i -u X FOO=1 cmd`,
//! `timeout -s KILL 5 cmd`, `xargs -I{} cmd`), its own options are checked like any program's
//! (output files, working directories, assignments through `env`/`sudo`), and the inner argv
//! is gated recursively one level deeper. Options that take a command line (`su -c`,
//! `flock -c`), `env -S` strings, `eval`/`watch` arguments and `sh -c` strings are tokenised
//! and gated as command lines. The wrapper itself has already passed the program lists, so
//! every program in the chain must be allowed; the first failure decides.

use super::Rule;
use super::args::{self, Item};
use super::engine::{Block, Checker, Res, Via, XInput, is_stdin_name};
use super::lexer::{self, BRACE, Tok, Word};
use super::spec::{OptName, Spec, WrapperSpec};
use super::table::SU;

/// Whether the option `o` (parsed under `spec`) is one of `list`.
fn is_any(spec: &'static Spec, o: OptName<'_>, list: &'static [&'static str]) -> bool {
    spec.any_of(o, list).is_some()
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn wrapper(
    ck: &mut Checker<'_>,
    program: &str,
    spec: &'static Spec,
    ws: &'static WrapperSpec,
    words: &[Word<'_>],
    depth: usize,
    piped: bool,
    xin: Option<XInput>,
) -> Res {
    // Input from an outer `xargs` may only land in this wrapper's inner command's arguments.
    let guard = xin.is_some() && !ck.code_eval_allowed();
    let parsed = args::parse(spec, &words[1..], true);
    ck.options(program, words, &parsed, depth)?;
    let mut shell = false;
    let mut no_exec = false;
    let mut taint: Option<String> = None;
    for item in &parsed.items {
        let Item::Opt {
            name,
            value,
            spec: s,
            word,
        } = *item
        else {
            continue;
        };
        let spelled = words.get(word + 1).map_or("", |w| &*w.text);
        if is_any(s, name, ws.no_exec_opts) {
            no_exec = true;
        }
        if is_any(s, name, ws.shell_opts) {
            shell = true;
        }
        if is_any(s, name, ws.replace_opts) {
            taint = Some(value.unwrap_or("{}").to_owned());
        }
        if let Some(v) = value {
            if is_any(s, name, ws.string_opts) {
                if guard {
                    return Err(ck.xargs_refusal(program));
                }
                ck.nested(
                    v,
                    depth + 1,
                    &Via {
                        program,
                        what: spelled,
                    },
                )?;
                no_exec = true;
            }
            if is_any(s, name, ws.split_opts) {
                let rest = &words[1 + parsed.rest.min(words.len() - 1)..];
                return env_split(ck, v, rest, depth, piped, xin);
            }
        }
    }
    ck.blocked(program, &words[1..], &parsed)?;
    // The wrapper's own arguments, up to its command.
    let cmd_start = (1 + parsed.rest).min(words.len());
    ck.path_args(program, &words[..cmd_start])?;
    if no_exec {
        return ck.path_args(program, &words[cmd_start - 1..]);
    }
    let mut k = cmd_start;
    if ws.no_operand_command {
        if guard {
            return Err(ck.xargs_refusal(program));
        }
        ck.path_args(program, &words[k - 1..])?;
        let has_string = ws
            .string_opts
            .iter()
            .any(|o| parsed.values_of(o).next().is_some());
        return if ws.shell_if_empty && !has_string {
            run_shell(ck, program, depth, piped)
        } else {
            Ok(())
        };
    }
    for _ in 0..ws.skip_operands {
        if let Some(w) = words.get(k) {
            ck.path_word(program, w)?;
            k += 1;
        }
    }
    if ws.c_after_operand
        && let Some(w) = words.get(k)
        && (w.text == "-c" || w.text == "--command")
    {
        k += 1;
        if !ws.join_args {
            if guard {
                return Err(ck.xargs_refusal(program));
            }
            return match words.get(k) {
                Some(cmd) => ck.nested(
                    &cmd.text,
                    depth + 1,
                    &Via {
                        program,
                        what: "-c",
                    },
                ),
                None => Ok(()),
            };
        }
    }
    if ws.assignments {
        while let Some(w) = words.get(k) {
            if w.text == "-" && program == "env" {
                k += 1;
                continue;
            }
            let Some((name, value)) = w.text.split_once('=') else {
                break;
            };
            ck.assignment(name, value, Some(program))?;
            k += 1;
        }
    }
    if guard
        && let Some(XInput::Replace(r)) = &xin
        && words[1..k].iter().any(|w| w.text.contains(r.as_str()))
    {
        return Err(ck.xargs_refusal(program));
    }
    let inner = &words[k..];
    let via = Via { program, what: "" };
    if ws.join_args || (shell && !inner.is_empty()) {
        if guard {
            return Err(ck.xargs_refusal(program));
        }
        if inner.is_empty() {
            return Ok(());
        }
        let joined = join(inner);
        return ck.nested(&joined, depth + 1, &via);
    }
    if shell {
        if guard {
            return Err(ck.xargs_refusal(program));
        }
        return run_shell(ck, program, depth, piped);
    }
    if inner.is_empty() {
        if let Some(cmd) = ws.default_command {
            return ck
                .argv(&[Word::lit(cmd)], depth + 1, piped)
                .map_err(|b| b.via(&via));
        }
        if guard {
            // The input would be the command.
            return Err(ck.xargs_refusal(program));
        }
        if ws.shell_if_empty {
            return run_shell(ck, program, depth, piped);
        }
        return Ok(());
    }
    ck.xargs_input = if ws.appends_input {
        Some(match &taint {
            Some(t) => XInput::Replace(t.clone()),
            None => XInput::Append,
        })
    } else {
        xin
    };
    let pushed = taint.is_some();
    if let Some(t) = taint {
        ck.taint.push(t);
    }
    let r = ck.argv(inner, depth + 1, piped).map_err(|b| b.via(&via));
    ck.xargs_input = None;
    if pushed {
        ck.taint.pop();
    }
    r
}

/// A wrapper that starts an interactive shell (`sudo -s`, `chroot DIR`): the shell must be
/// allowed, and it reads commands from its input.
fn run_shell(ck: &mut Checker<'_>, program: &str, depth: usize, piped: bool) -> Res {
    ck.argv(&[Word::lit("sh")], depth + 1, piped)
        .map_err(|b| b.via(&Via { program, what: "" }))
}

/// Words joined with spaces, as `eval` and `sudo -s` build their command line.
fn join(words: &[Word<'_>]) -> String {
    let mut s = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&w.text);
    }
    s
}

/// `env -S STRING args...`: the string is split into arguments (env's own quoting is close
/// to the shell's; its `\_` is a separator) and parsing continues as `env SPLIT... args...`.
fn env_split(
    ck: &mut Checker<'_>,
    s: &str,
    rest: &[Word<'_>],
    depth: usize,
    piped: bool,
    xin: Option<XInput>,
) -> Res {
    let via = Via {
        program: "env",
        what: "-S",
    };
    if s.contains(['\\']) && has_env_escape(s) {
        return Err(Block::new(
            Rule::UnsupportedSyntax,
            format!(
                "the `env -S` string `{s}` uses escape sequences (`\\c`, `\\n`, `\\t`, ...) the gate does not interpret; write the arguments out instead"
            ),
            Some("env"),
        ));
    }
    let text = s.replace("\\_", " ");
    let toks =
        lexer::lex(&text).map_err(|e| Block::new(e.rule, e.message, Some("env")).via(&via))?;
    let mut argv: Vec<Word<'_>> = vec![Word::lit("env")];
    for t in toks {
        match t {
            Tok::Word(w) if w.has(BRACE) => {
                return Err(Block::new(
                    Rule::UnsupportedSyntax,
                    format!(
                        "the `env -S` string `{s}` contains `{}`, which looks like brace expansion; env does not expand it, so write the arguments out instead",
                        w.text
                    ),
                    Some("env"),
                ));
            }
            Tok::Word(w) => argv.push(w),
            _ => {
                return Err(Block::new(
                    Rule::UnsupportedSyntax,
                    format!(
                        "the `env -S` string `{s}` contains shell operators or redirections, which env would pass on as plain arguments; write the command out instead"
                    ),
                    Some("env"),
                ));
            }
        }
    }
    argv.extend(rest.iter().cloned());
    ck.xargs_input = xin;
    let r = ck.argv(&argv, depth + 1, piped);
    ck.xargs_input = None;
    r
}

fn has_env_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'\\' && matches!(w[1], b'c' | b'n' | b't' | b'f' | b'r' | b'v'))
}

/// `sh`, `bash`, ...: with `-c` (anywhere in an option cluster) the command string is gated;
/// otherwise the shell runs a script file, or reads commands from its input.
pub(crate) fn shell(
    ck: &mut Checker<'_>,
    program: &str,
    words: &[Word<'_>],
    depth: usize,
    piped: bool,
    xin: Option<&XInput>,
) -> Res {
    let fish = program == "fish";
    let mut i = 1;
    let mut dash_c = false;
    let mut stdin = false;
    let mut init: Option<&str> = None;
    while let Some(w) = words.get(i) {
        let t: &str = &w.text;
        if t == "--" || t == "-" {
            i += 1;
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, val) = long
                .split_once('=')
                .map_or((long, None), |(n, v)| (n, Some(v)));
            match name {
                "command" if fish => {
                    dash_c = true;
                    init = val;
                }
                "init-command" if fish => {
                    let v = val.or_else(|| words.get(i + 1).map(|w| &*w.text));
                    if val.is_none() {
                        i += 1;
                    }
                    if let Some(v) = v {
                        ck.nested(
                            v,
                            depth + 1,
                            &Via {
                                program,
                                what: "--init-command",
                            },
                        )?;
                    }
                }
                "rcfile" | "init-file" if val.is_none() => i += 1,
                _ => {}
            }
            i += 1;
            continue;
        }
        if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
            let mut values = 0;
            for c in t[1..].chars() {
                match c {
                    'c' => dash_c = true,
                    's' | 'i' => stdin = true,
                    'o' | 'O' => values += 1,
                    'C' if fish => values += 1,
                    _ => {}
                }
            }
            if fish
                && t[1..].contains('C')
                && let Some(v) = words.get(i + 1)
            {
                ck.nested(
                    &v.text,
                    depth + 1,
                    &Via {
                        program,
                        what: "-C",
                    },
                )?;
            }
            i += 1 + values;
            continue;
        }
        break;
    }
    let operands = &words[i.min(words.len())..];
    if let Some(x) = xin
        && !ck.code_eval_allowed()
    {
        // Input after a fixed `-c` command string only becomes `$0 $1 ...`, which the gate
        // never lets the string expand; anywhere else it could be options or the script.
        let cmd_end = (i + 1).min(words.len());
        let safe = (dash_c || init.is_some())
            && (init.is_some() || !operands.is_empty())
            && match x {
                XInput::Append => true,
                XInput::Replace(r) => !words[1..cmd_end]
                    .iter()
                    .any(|w| w.text.contains(r.as_str())),
            };
        if !safe {
            return Err(ck.xargs_refusal(program));
        }
    }
    if let Some(cmd) = init {
        ck.path_args(program, &words[..i.min(words.len())])?;
        return ck.nested(
            cmd,
            depth + 1,
            &Via {
                program,
                what: "--command",
            },
        );
    }
    ck.path_args(program, &words[..i.min(words.len())])?;
    if dash_c {
        let Some((cmd, rest)) = operands.split_first() else {
            return Err(Block::new(
                Rule::Syntax,
                format!(
                    "`{program} -c` has no command string after it; the shell would refuse to start"
                ),
                Some(program),
            ));
        };
        for w in rest {
            ck.path_word(program, w)?;
        }
        return ck.nested(
            &cmd.text,
            depth + 1,
            &Via {
                program,
                what: "-c",
            },
        );
    }
    let script_is_stdin = operands.first().is_some_and(|w| is_stdin_name(&w.text));
    if (stdin || operands.is_empty() || script_is_stdin) && piped && !ck.code_eval_allowed() {
        return Err(ck.code_eval(program, "", "reads the commands it runs from a pipe"));
    }
    for w in operands {
        ck.path_word(program, w)?;
    }
    Ok(())
}

/// `su [options] [-] [user [args...]]` / `runuser`: `-c CMD` is a command line for the target
/// user's shell; otherwise that shell runs with the remaining arguments.
pub(crate) fn su(
    ck: &mut Checker<'_>,
    program: &str,
    words: &[Word<'_>],
    depth: usize,
    piped: bool,
) -> Res {
    let parsed = args::parse(&SU, &words[1..], false);
    ck.options(program, words, &parsed, depth)?;
    ck.blocked(program, &words[1..], &parsed)?;
    ck.path_args(program, words)?;
    let has_command = parsed
        .values_of("--command")
        .chain(parsed.values_of("--session-command"))
        .next()
        .is_some();
    if has_command {
        return Ok(());
    }
    let operands: Vec<usize> = parsed
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Operand { word, text, .. } if *text != "-" => Some(*word + 1),
            _ => None,
        })
        .collect();
    let via = Via { program, what: "" };
    if parsed.values_of("--user").next().is_some() {
        // runuser -u USER CMD...: a plain command.
        return match operands.first() {
            Some(&first) => ck
                .argv(&words[first..], depth + 1, piped)
                .map_err(|b| b.via(&via)),
            None => Ok(()),
        };
    }
    let shell = parsed.values_of("--shell").flatten().last().unwrap_or("sh");
    let mut argv = vec![Word::lit(shell)];
    if let Some(&first) = operands.first() {
        argv.extend(words[first + 1..].iter().cloned());
    }
    ck.argv(&argv, depth + 1, piped).map_err(|b| b.via(&via))
}

/// `trap ACTION SIGNAL...`: the action is a command line the shell runs later.
pub(crate) fn trap(ck: &mut Checker<'_>, program: &str, words: &[Word<'_>], depth: usize) -> Res {
    let args: Vec<&str> = words[1..].iter().map(|w| &*w.text).collect();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if *a == "--" {
            i += 1;
            break;
        }
        if !a.starts_with('-') || *a == "-" {
            break;
        }
        if *a == "-l" || *a == "-p" {
            return Ok(());
        }
        i += 1;
    }
    let rest = &args[i.min(args.len())..];
    let [action, _, ..] = rest else {
        return Ok(());
    };
    if *action == "-" || action.is_empty() || action.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    ck.nested(action, depth + 1, &Via { program, what: "" })
}
