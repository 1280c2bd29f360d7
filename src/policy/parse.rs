//! Groups tokens into stages: the simple commands of pipelines and lists.
//!
//! The gate does not need a syntax tree. Every stage is gated on its own, whatever operator
//! joins it to the others, so a flat list of stages is enough — plus, for each stage, whether
//! its standard input may come from a pipe (an interpreter reading its program from a pipe
//! runs code the gate never saw). Subshell parentheses are accepted only where they start a
//! command; every other shell construct (`if`, `for`, `{ }`, `name()`, `((`, ...) is refused
//! because the gate does not model it.

use super::Rule;
use super::lexer::{ASSIGN, BRACE, LexError, Op, Redir, Tok, Word};

/// Reserved words and grouping characters that start or continue a compound command when
/// they appear in command position.
const COMPOUND: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done",
    "case", "esac", "in", "function", "select", "[[", "]]", "coproc",
];

/// One simple command: assignments, then argv words, plus its redirections.
#[derive(Debug, Default)]
pub(crate) struct Stage<'a> {
    /// Assignment words first (`assigns` of them), then the command's argv.
    pub words: Vec<Word<'a>>,
    pub assigns: usize,
    pub redirs: Vec<(Redir, Word<'a>)>,
    /// Standard input may come from a pipe.
    pub piped: bool,
}

impl<'a> Stage<'a> {
    pub(crate) fn argv(&self) -> &[Word<'a>] {
        &self.words[self.assigns..]
    }
}

/// The first operator or redirection in `toks`, for the "shell operators not allowed" message.
pub(crate) fn first_operator(toks: &[Tok<'_>]) -> Option<&'static str> {
    toks.iter().find_map(|t| match t {
        Tok::Op(op) => Some(op.as_str()),
        Tok::Redir(r) => Some(r.op.as_str()),
        Tok::Word(_) => None,
    })
}

fn syntax(message: String) -> LexError {
    LexError::new(Rule::Syntax, message)
}

fn unsupported(message: String) -> LexError {
    LexError::new(Rule::UnsupportedSyntax, message)
}

/// Splits tokens into stages, checking the structure a POSIX shell would accept.
pub(crate) fn parse(toks: Vec<Tok<'_>>) -> Result<Vec<Stage<'_>>, LexError> {
    let mut stages = Vec::with_capacity(2);
    let mut cur: Option<Stage<'_>> = None;
    // Piped-ness of the enclosing subshells (a stage inside `x | ( ... )` reads the pipe).
    let mut groups: Vec<bool> = Vec::new();
    let mut piped = false;
    let mut after_close = false;
    // Set after `&&`, `||`, `|`, `|&` and `(`: a command must follow.
    let mut need: Option<&'static str> = None;
    let mut it = toks.into_iter().peekable();
    while let Some(tok) = it.next() {
        let inherited = groups.last().copied().unwrap_or(false);
        match tok {
            Tok::Word(w) => {
                if w.has(BRACE) {
                    return Err(unsupported(format!(
                        "`{}` uses brace expansion, which the gate does not expand; write each word out",
                        w.text
                    )));
                }
                if after_close {
                    return Err(syntax(format!(
                        "`{}` follows `)` directly; put an operator such as `;` or `&&` between them",
                        w.text
                    )));
                }
                need = None;
                let st = cur.get_or_insert_with(|| Stage {
                    piped: piped || inherited,
                    ..Stage::default()
                });
                if st.words.len() == st.assigns {
                    if w.has(ASSIGN) {
                        st.words.push(w);
                        st.assigns += 1;
                        continue;
                    }
                    if COMPOUND.contains(&&*w.text) {
                        return Err(unsupported(format!(
                            "`{}` in command position is shell compound syntax (groups, conditionals, loops, negation), which the gate does not model; run the commands individually",
                            w.text
                        )));
                    }
                }
                st.words.push(w);
            }
            Tok::Redir(r) => {
                let target = match it.next() {
                    Some(Tok::Word(w)) => w,
                    _ => {
                        return Err(syntax(format!(
                            "redirection `{}` has no file name after it",
                            r.op.as_str()
                        )));
                    }
                };
                need = None;
                cur.get_or_insert_with(|| Stage {
                    piped: piped || inherited,
                    ..Stage::default()
                })
                .redirs
                .push((r, target));
            }
            Tok::Op(Op::Open) => {
                if after_close {
                    return Err(syntax("`(` follows `)` directly".to_owned()));
                }
                if let Some(st) = &cur {
                    let what = st.words.last().map_or("", |w| &*w.text);
                    return Err(unsupported(format!(
                        "`(` after `{what}`: function definitions (`name() ...`) and `(` inside a command are shell syntax the gate does not model; `(` may only start a command"
                    )));
                }
                if matches!(it.peek(), Some(Tok::Op(Op::Open))) {
                    return Err(unsupported(
                        "`((` starts a shell arithmetic command, which the gate does not model; compute values before sending the command"
                            .to_owned(),
                    ));
                }
                groups.push(piped || inherited);
                piped = false;
                need = Some("(");
            }
            Tok::Op(Op::Close) => {
                if groups.is_empty() {
                    return Err(syntax("`)` has no matching `(`".to_owned()));
                }
                if let Some(op) = need {
                    return Err(syntax(format!(
                        "`{op}` is followed by `)` with no command in between"
                    )));
                }
                if let Some(st) = cur.take() {
                    stages.push(st);
                }
                groups.pop();
                after_close = true;
            }
            Tok::Op(op) => {
                if let Some(prev) = need {
                    return Err(syntax(format!(
                        "`{}` follows `{prev}` with no command in between",
                        op.as_str()
                    )));
                }
                match cur.take() {
                    Some(st) => stages.push(st),
                    None if after_close => {}
                    None => {
                        return Err(syntax(format!(
                            "`{}` has no command before it",
                            op.as_str()
                        )));
                    }
                }
                after_close = false;
                piped = matches!(op, Op::Pipe | Op::PipeAll);
                if matches!(op, Op::And | Op::Or | Op::Pipe | Op::PipeAll) {
                    need = Some(op.as_str());
                }
            }
        }
    }
    if let Some(op) = need {
        return Err(syntax(format!("`{op}` at the end has no command after it")));
    }
    if !groups.is_empty() {
        return Err(syntax("`(` is never closed with `)`".to_owned()));
    }
    if let Some(st) = cur {
        stages.push(st);
    }
    Ok(stages)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::policy::lexer::lex;

    fn stages(src: &str) -> Vec<(Vec<String>, usize, usize, bool)> {
        parse(lex(src).unwrap())
            .unwrap()
            .into_iter()
            .map(|s| {
                (
                    s.words.iter().map(|w| w.text.to_string()).collect(),
                    s.assigns,
                    s.redirs.len(),
                    s.piped,
                )
            })
            .collect()
    }

    fn err(src: &str) -> Rule {
        parse(lex(src).unwrap()).unwrap_err().rule
    }

    #[test]
    fn lists_and_pipelines() {
        let s = stages("FOO=1 npm test && ls -la | head -5; (cd src && ls) > out &");
        assert_eq!(s.len(), 6);
        assert_eq!(
            s[0],
            (
                vec!["FOO=1".into(), "npm".into(), "test".into()],
                1,
                0,
                false
            )
        );
        assert!(s[2].3, "head reads the pipe");
        assert_eq!(s[3].0, ["cd", "src"]);
        assert_eq!(s[5], (vec![], 0, 1, false), "redirection of the subshell");
        let s = stages("echo x | (cat; python3)");
        assert!(s[1].3 && s[2].3, "stages in a piped subshell read the pipe");
        let s = stages(">out ls 2>/dev/null x");
        assert_eq!(s[0].0, ["ls", "x"]);
        assert_eq!(s[0].2, 2);
        assert_eq!(stages("ls;").len(), 1);
        assert_eq!(
            stages("ls FOO=1")[0].1,
            0,
            "assignment after the command is an argument"
        );
    }

    #[test]
    fn compound_syntax_is_refused() {
        for src in [
            "{ rm x; }",
            "if true; then rm x; fi",
            "while true; do ls; done",
            "! ls",
            "for i in a; do ls; done",
            "ls; then",
            "[[ -f x ]]",
            "FOO=1 if x",
            "f() { rm x; }",
            "ls (x)",
            "((x))",
            "function f",
        ] {
            assert_eq!(err(src), Rule::UnsupportedSyntax, "{src}");
        }
    }

    #[test]
    fn dangling_and_unbalanced() {
        for src in [
            "ls |",
            "| ls",
            "ls && && ls",
            "; ls",
            "ls >",
            "(ls",
            "ls)",
            "()",
            "(ls) x",
            "ls && ;",
        ] {
            assert_eq!(err(src), Rule::Syntax, "{src}");
        }
    }
}
