//! POSIX shell tokeniser for the gate.
//!
//! It reads a command line the way `sh -c` would — single quotes, double quotes (inside which
//! `\` escapes only `$`, `` ` ``, `"`, `\` and newline), backslash escapes outside quotes,
//! comments, operators, and redirections with an optional fd number — and produces words
//! (after quote removal) and operator tokens. Everything whose result depends on run-time
//! state (parameter expansion, command and process substitution, here-documents) is rejected
//! here instead of being modelled: the gate must see the exact argv that will run.
//!
//! Words keep a few flags — unquoted glob characters, a leading unquoted `~`, brace expansion,
//! whether any part was quoted, whether the word is an assignment — because those decide how a
//! shell treats the word and the quote-removed text no longer shows them. Plain words borrow
//! from the input, so lexing the common case allocates only the token vector.

use std::borrow::Cow;

use super::Rule;

/// The word contains an unquoted `*`, `?` or `[` (pathname expansion).
pub(crate) const GLOB: u8 = 1;
/// The word starts with an unquoted `~` (tilde expansion).
pub(crate) const TILDE: u8 = 2;
/// The word contains unquoted brace expansion (`{a,b}`, `{1..3}`).
pub(crate) const BRACE: u8 = 4;
/// Some part of the word was quoted or backslash-escaped.
pub(crate) const QUOTED: u8 = 8;
/// The word is `NAME=value` with an unquoted, valid name (an assignment before a command).
pub(crate) const ASSIGN: u8 = 16;

/// One shell word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word<'a> {
    pub text: Cow<'a, str>,
    pub flags: u8,
}

impl<'a> Word<'a> {
    /// A word with no shell meaning attached, for argv the gate synthesises (`sh`, `rm`).
    pub(crate) const fn lit(text: &'a str) -> Self {
        Word {
            text: Cow::Borrowed(text),
            flags: 0,
        }
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Control operators and subshell parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Semi,
    And,
    Or,
    Pipe,
    PipeAll,
    Amp,
    Open,
    Close,
}

impl Op {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Op::Semi => ";",
            Op::And => "&&",
            Op::Or => "||",
            Op::Pipe => "|",
            Op::PipeAll => "|&",
            Op::Amp => "&",
            Op::Open => "(",
            Op::Close => ")",
        }
    }
}

/// Redirection operators (here-documents are rejected by the lexer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RedirOp {
    In,
    Out,
    Append,
    ReadWrite,
    Clobber,
    DupOut,
    DupIn,
    OutErr,
    AppendOutErr,
}

impl RedirOp {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RedirOp::In => "<",
            RedirOp::Out => ">",
            RedirOp::Append => ">>",
            RedirOp::ReadWrite => "<>",
            RedirOp::Clobber => ">|",
            RedirOp::DupOut => ">&",
            RedirOp::DupIn => "<&",
            RedirOp::OutErr => "&>",
            RedirOp::AppendOutErr => "&>>",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Redir {
    pub fd: Option<u32>,
    pub op: RedirOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok<'a> {
    Word(Word<'a>),
    Op(Op),
    Redir(Redir),
}

/// Why a command line could not be tokenised safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub rule: Rule,
    pub message: String,
}

impl LexError {
    pub(crate) fn new(rule: Rule, message: String) -> Self {
        LexError { rule, message }
    }
}

/// Tokenises `src`. The caller has already rejected control characters.
pub(crate) fn lex(src: &str) -> Result<Vec<Tok<'_>>, LexError> {
    let b = src.as_bytes();
    let mut toks = Vec::with_capacity(8);
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b' ' | b'\t' => i += 1,
            // A `#` that starts a token starts a comment, which runs to the end of the input
            // (newlines are rejected before lexing).
            b'#' => break,
            b';' => {
                if matches!(next, Some(b';' | b'&')) {
                    return Err(LexError::new(
                        Rule::UnsupportedSyntax,
                        format!(
                            "`{}` at byte {i} ends a `case` clause, shell compound syntax the gate does not model; run the commands individually",
                            &src[i..i + 2]
                        ),
                    ));
                }
                toks.push(Tok::Op(Op::Semi));
                i += 1;
            }
            b'&' => match next {
                Some(b'&') => {
                    toks.push(Tok::Op(Op::And));
                    i += 2;
                }
                Some(b'>') => {
                    let (op, len) = if b.get(i + 2) == Some(&b'>') {
                        (RedirOp::AppendOutErr, 3)
                    } else {
                        (RedirOp::OutErr, 2)
                    };
                    if b.get(i + len) == Some(&b'(') {
                        return Err(process_substitution(i + len - 1));
                    }
                    toks.push(Tok::Redir(Redir { fd: None, op }));
                    i += len;
                }
                _ => {
                    toks.push(Tok::Op(Op::Amp));
                    i += 1;
                }
            },
            b'|' => match next {
                Some(b'|') => {
                    toks.push(Tok::Op(Op::Or));
                    i += 2;
                }
                Some(b'&') => {
                    toks.push(Tok::Op(Op::PipeAll));
                    i += 2;
                }
                _ => {
                    toks.push(Tok::Op(Op::Pipe));
                    i += 1;
                }
            },
            b'(' => {
                toks.push(Tok::Op(Op::Open));
                i += 1;
            }
            b')' => {
                toks.push(Tok::Op(Op::Close));
                i += 1;
            }
            b'<' | b'>' => i = lex_redir(src, i, None, &mut toks)?,
            _ => i = lex_word(src, i, &mut toks)?,
        }
    }
    Ok(toks)
}

fn process_substitution(at: usize) -> LexError {
    LexError::new(
        Rule::ProcessSubstitution,
        format!(
            "process substitution (`<(...)` / `>(...)`) at byte {at} runs a command the gate cannot see; run that command on its own and use a file in the workspace instead"
        ),
    )
}

fn lex_redir<'a>(
    src: &'a str,
    i: usize,
    fd: Option<u32>,
    toks: &mut Vec<Tok<'a>>,
) -> Result<usize, LexError> {
    let b = src.as_bytes();
    let at = |k: usize| b.get(i + k).copied();
    let (op, len) = match (b[i], at(1)) {
        (b'<', Some(b'<')) => {
            return Err(LexError::new(
                Rule::HereDocument,
                format!(
                    "here-document or here-string (`<<`, `<<<`) at byte {i} is not allowed; write the input to a file in the workspace and redirect from it with `< file`"
                ),
            ));
        }
        (b'<', Some(b'&')) => (RedirOp::DupIn, 2),
        (b'<', Some(b'>')) => (RedirOp::ReadWrite, 2),
        (b'<', _) => (RedirOp::In, 1),
        (_, Some(b'>')) => (RedirOp::Append, 2),
        (_, Some(b'&')) => (RedirOp::DupOut, 2),
        (_, Some(b'|')) => (RedirOp::Clobber, 2),
        _ => (RedirOp::Out, 1),
    };
    if at(len) == Some(b'(') {
        return Err(process_substitution(i));
    }
    toks.push(Tok::Redir(Redir { fd, op }));
    Ok(i + len)
}

/// The error for a `$` outside single quotes that is not backslash-escaped.
fn dollar_error(src: &str, i: usize) -> LexError {
    let b = src.as_bytes();
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(b'('), Some(b'(')) => LexError::new(
            Rule::Expansion,
            format!(
                "arithmetic expansion `$((` at byte {i} is not allowed; compute the value and write it literally"
            ),
        ),
        (Some(b'('), _) => LexError::new(
            Rule::CommandSubstitution,
            format!(
                "command substitution `$(` at byte {i} runs a command the gate cannot see; run that command on its own and pass its output literally"
            ),
        ),
        _ => {
            let end = src[i + 1..]
                .char_indices()
                .find(|&(k, c)| !(c.is_ascii_alphanumeric() || c == '_') || k >= 24)
                .map_or(src.len(), |(k, c)| {
                    // Include one special character (`${`, `$'`, `$?`) so the user sees it.
                    if k == 0 {
                        i + 1 + c.len_utf8()
                    } else {
                        i + 1 + k
                    }
                });
            LexError::new(
                Rule::Expansion,
                format!(
                    "shell expansion `{}` at byte {i} is not allowed (the gate cannot know the value it expands to); write the value literally, or put it in single quotes if you mean a literal `$`",
                    &src[i..end]
                ),
            )
        }
    }
}

fn command_substitution_backtick(i: usize) -> LexError {
    LexError::new(
        Rule::CommandSubstitution,
        format!(
            "command substitution with backticks at byte {i} runs a command the gate cannot see; run that command on its own and pass its output literally"
        ),
    )
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn lex_word<'a>(src: &'a str, start: usize, toks: &mut Vec<Tok<'a>>) -> Result<usize, LexError> {
    let b = src.as_bytes();
    let mut i = start;
    let mut owned: Option<String> = None;
    let mut flags = 0u8;
    let mut brace_depth = 0u32;
    let mut brace_sep = false;
    // An unquoted `[` starts a bracket expression only if an unquoted `]` follows in the same
    // word (a lone `[`, the `test` command, is literal).
    let mut bracket = false;
    let mut eq_seen = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b';' | b'&' | b'|' | b'(' | b')' => break,
            b'<' | b'>' => {
                // An all-digit unquoted word directly before a redirection is its fd number.
                if owned.is_none() && i > start && b[start..i].iter().all(u8::is_ascii_digit) {
                    let fd = src[start..i].parse::<u32>().map_err(|_| {
                        LexError::new(
                            Rule::Syntax,
                            format!("file descriptor `{}` is out of range", &src[start..i]),
                        )
                    })?;
                    return lex_redir(src, i, Some(fd), toks);
                }
                break;
            }
            b'\'' => {
                let own = owned.get_or_insert_with(|| src[start..i].to_owned());
                let close = src[i + 1..].find('\'').ok_or_else(|| {
                    LexError::new(
                        Rule::Syntax,
                        format!(
                            "unterminated single quote starting at byte {i}; close it with `'`"
                        ),
                    )
                })?;
                own.push_str(&src[i + 1..i + 1 + close]);
                i += close + 2;
                flags |= QUOTED;
                continue;
            }
            b'"' => {
                let own = owned.get_or_insert_with(|| src[start..i].to_owned());
                i = lex_dquote(src, i, own)?;
                flags |= QUOTED;
                continue;
            }
            b'\\' => {
                let own = owned.get_or_insert_with(|| src[start..i].to_owned());
                let Some(ch) = src[i + 1..].chars().next() else {
                    return Err(LexError::new(
                        Rule::Syntax,
                        "the command ends with a backslash that escapes nothing; remove it or escape it as `\\\\`"
                            .to_owned(),
                    ));
                };
                own.push(ch);
                i += 1 + ch.len_utf8();
                flags |= QUOTED;
                continue;
            }
            b'$' => return Err(dollar_error(src, i)),
            b'`' => return Err(command_substitution_backtick(i)),
            b'*' | b'?' => flags |= GLOB,
            b'[' => bracket = true,
            b']' if bracket => flags |= GLOB,
            b'~' if i == start => flags |= TILDE,
            b'{' => brace_depth += 1,
            b',' if brace_depth > 0 => brace_sep = true,
            b'.' if brace_depth > 0 && b.get(i + 1) == Some(&b'.') => brace_sep = true,
            b'}' if brace_depth > 0 => {
                if brace_sep {
                    flags |= BRACE;
                }
                brace_depth -= 1;
            }
            b'=' if !eq_seen => {
                eq_seen = true;
                if owned.is_none() && is_name(&src[start..i]) {
                    flags |= ASSIGN;
                }
            }
            _ => {}
        }
        if c.is_ascii() {
            if let Some(o) = owned.as_mut() {
                o.push(c as char);
            }
            i += 1;
        } else {
            // Copy the whole UTF-8 sequence up to the next ASCII byte.
            let end = b[i..]
                .iter()
                .position(u8::is_ascii)
                .map_or(b.len(), |k| i + k);
            if let Some(o) = owned.as_mut() {
                o.push_str(&src[i..end]);
            }
            i = end;
        }
    }
    let text = match owned {
        Some(o) => Cow::Owned(o),
        None => Cow::Borrowed(&src[start..i]),
    };
    toks.push(Tok::Word(Word { text, flags }));
    Ok(i)
}

/// Reads a double-quoted part starting at the `"` at `open`; returns the index after the
/// closing quote.
fn lex_dquote(src: &str, open: usize, out: &mut String) -> Result<usize, LexError> {
    let b = src.as_bytes();
    let mut i = open + 1;
    loop {
        let run = b[i.min(b.len())..]
            .iter()
            .position(|c| matches!(c, b'"' | b'\\' | b'$' | b'`'))
            .map(|k| i + k);
        let Some(k) = run else {
            return Err(LexError::new(
                Rule::Syntax,
                format!("unterminated double quote starting at byte {open}; close it with `\"`"),
            ));
        };
        out.push_str(&src[i..k]);
        match b[k] {
            b'"' => return Ok(k + 1),
            b'\\' => match b.get(k + 1) {
                Some(&n @ (b'$' | b'`' | b'"' | b'\\')) => {
                    out.push(n as char);
                    i = k + 2;
                }
                Some(_) => {
                    // Inside double quotes a backslash before any other character is literal.
                    out.push('\\');
                    i = k + 1;
                }
                None => {
                    return Err(LexError::new(
                        Rule::Syntax,
                        format!(
                            "unterminated double quote starting at byte {open}; close it with `\"`"
                        ),
                    ));
                }
            },
            b'$' => return Err(dollar_error(src, k)),
            _ => return Err(command_substitution_backtick(k)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<String> {
        lex(src)
            .unwrap()
            .into_iter()
            .map(|t| match t {
                Tok::Word(w) => w.text.into_owned(),
                Tok::Op(o) => format!("<{}>", o.as_str()),
                Tok::Redir(r) => format!("<{:?}{}>", r.fd, r.op.as_str()),
            })
            .collect()
    }

    fn err(src: &str) -> Rule {
        lex(src).unwrap_err().rule
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(
            words("git commit -m 'a; b'"),
            ["git", "commit", "-m", "a; b"]
        );
        assert_eq!(
            words(r#"echo "fix: \"quoted\"""#),
            ["echo", "fix: \"quoted\""]
        );
        assert_eq!(words(r#"echo "a\nb" \$x"#), ["echo", "a\\nb", "$x"]);
        assert_eq!(words(r"\rm r''m /bin/r\m"), ["rm", "rm", "/bin/rm"]);
        assert_eq!(words("echo ''"), ["echo", ""]);
        assert_eq!(words("a'b'\"c\"d"), ["abcd"]);
        assert_eq!(words("echo héllo wörld"), ["echo", "héllo", "wörld"]);
        assert_eq!(words(r#"echo "ü\ä""#), ["echo", "ü\\ä"]);
    }

    #[test]
    fn operators_and_redirections() {
        assert_eq!(
            words("ls -la|head -5&&echo ok||x;y&"),
            [
                "ls", "-la", "<|>", "head", "-5", "<&&>", "echo", "ok", "<||>", "x", "<;>", "y",
                "<&>"
            ]
        );
        assert_eq!(
            words("a 2>&1 >x 2>>y <z"),
            [
                "a",
                "<Some(2)>&>",
                "1",
                "<None>>",
                "x",
                "<Some(2)>>>",
                "y",
                "<None<>",
                "z"
            ]
        );
        assert_eq!(words("a &>x |& b"), ["a", "<None&>>", "x", "<|&>", "b"]);
        assert_eq!(words("(ls)"), ["<(>", "ls", "<)>"]);
        assert_eq!(words("a2>x"), ["a2", "<None>>", "x"]);
        assert_eq!(words("'2'>x"), ["2", "<None>>", "x"]);
    }

    #[test]
    fn comments() {
        assert_eq!(words("ls # rm -rf / $(x)"), ["ls"]);
        assert_eq!(words("ls a#b"), ["ls", "a#b"]);
        assert_eq!(words("ls;#x"), ["ls", "<;>"]);
        assert!(words("# only").is_empty());
    }

    #[test]
    fn flags() {
        let toks =
            lex("ls *.py '*.rs' ~/x '~' a{b,c} {} {1..3} FOO=1 'F'=1 x=~ [ a[b] a'['b]").unwrap();
        let f: Vec<u8> = toks
            .iter()
            .map(|t| match t {
                Tok::Word(w) => w.flags,
                _ => 255,
            })
            .collect();
        assert_eq!(f[1], GLOB);
        assert_eq!(f[2], QUOTED);
        assert_eq!(f[3], TILDE);
        assert_eq!(f[4], QUOTED);
        assert_eq!(f[5], BRACE);
        assert_eq!(f[6], 0);
        assert_eq!(f[7], BRACE);
        assert_eq!(f[8], ASSIGN);
        assert_eq!(f[9], QUOTED);
        assert_eq!(f[10], ASSIGN);
        assert_eq!(f[11], 0, "a lone `[` is the test command");
        assert_eq!(f[12], GLOB);
        assert_eq!(f[13], QUOTED, "a quoted `[` opens nothing");
    }

    #[test]
    fn rejections() {
        assert_eq!(err("echo $HOME"), Rule::Expansion);
        assert_eq!(err("echo ${HOME}"), Rule::Expansion);
        assert_eq!(err("echo $((1+1))"), Rule::Expansion);
        assert_eq!(err("echo $'a'"), Rule::Expansion);
        assert_eq!(err("echo $\"a\""), Rule::Expansion);
        assert_eq!(err("echo \"$HOME\""), Rule::Expansion);
        assert_eq!(err("echo $(id)"), Rule::CommandSubstitution);
        assert_eq!(err("echo \"$(id)\""), Rule::CommandSubstitution);
        assert_eq!(err("echo `id`"), Rule::CommandSubstitution);
        assert_eq!(err("echo \"`id`\""), Rule::CommandSubstitution);
        assert_eq!(err("cat <(ls)"), Rule::ProcessSubstitution);
        assert_eq!(err("tee >(ls)"), Rule::ProcessSubstitution);
        assert_eq!(err("cat <<EOF"), Rule::HereDocument);
        assert_eq!(err("cat <<<x"), Rule::HereDocument);
        assert_eq!(err("echo 'abc"), Rule::Syntax);
        assert_eq!(err("echo \"abc"), Rule::Syntax);
        assert_eq!(err("echo abc\\"), Rule::Syntax);
        assert_eq!(err("echo \"a\\"), Rule::Syntax);
        assert_eq!(err("case x in a) ls;; esac"), Rule::UnsupportedSyntax);
        assert_eq!(err("99999999999>x"), Rule::Syntax);
    }

    #[test]
    fn escaped_dollar_and_single_quotes_are_literal() {
        assert_eq!(words(r"echo \$HOME '$HOME' "), ["echo", "$HOME", "$HOME"]);
        assert_eq!(words(r#"echo "\$HOME""#), ["echo", "$HOME"]);
        assert_eq!(words("awk '{print $1}' f"), ["awk", "{print $1}", "f"]);
    }
}
