//! The checker: walks a command line stage by stage and decides.
//!
//! A [`Checker`] lives for one [`Gate::check`] call. It gates each stage (assignments, the
//! program and its arguments, redirections), recursing into wrappers and nested command lines
//! with a depth counter. It also carries the state that crosses stages: the directories the
//! command may be running in (a literal `cd DIR` earlier in the line changes how later relative
//! paths resolve; `-C DIR` options too), and "taint" strings that input replaces at run time
//! (`xargs -I {}`, `find -exec ... {}`), which must not appear in a program name or a nested
//! command line.
//!
//! Directory tracking is exact for the common shape — a top-level chain joined only by `&&`,
//! where a later stage runs only if the `cd` succeeded — and otherwise over-approximates with
//! the set of every directory the command might be in; each relative path is checked against
//! all of them. The first blocking rule found wins; the error carries a sentence for the user
//! and, for nested commands, the chain of wrappers it was reached through.

mod names;
mod pathcheck;

pub(crate) use names::sensitive;

use super::args::{self, Item, Parsed};
use super::lexer::{self, BRACE, GLOB, LexError, Op, Redir, RedirOp, TILDE, Tok, Word};
use super::parse::{self, Stage};
use super::spec::{self, Kind, Spec, UNKNOWN};
use super::{Decision, ExecPlan, Gate, ListMode, Rule, paths, programs, wrappers};

/// How deep wrappers and nested command lines are followed.
pub(crate) const MAX_DEPTH: usize = 8;

/// More candidate working directories than this is refused rather than followed.
const MAX_BASES: usize = 64;

/// Why a command is refused.
#[derive(Debug)]
pub(crate) struct Block {
    pub rule: Rule,
    pub reason: String,
    pub program: Option<String>,
    via_open: bool,
}

impl Block {
    pub(crate) fn new(rule: Rule, reason: String, program: Option<&str>) -> Self {
        Block {
            rule,
            reason,
            program: program.map(str::to_owned),
            via_open: false,
        }
    }

    /// Records that the blocked command was reached through `what` (innermost first).
    pub(crate) fn via(mut self, what: &Via<'_>) -> Self {
        self.reason.push_str(if self.via_open {
            " ← "
        } else {
            " (reached through "
        });
        self.via_open = true;
        what.write(&mut self.reason);
        self
    }

    pub(crate) fn into_decision(mut self) -> Decision {
        if self.via_open {
            self.reason.push(')');
        }
        Decision {
            allowed: false,
            rule: self.rule,
            reason: self.reason,
            program: self.program,
        }
    }
}

/// Names a wrapper or option a nested command was reached through, formatted only on error.
pub(crate) struct Via<'a> {
    pub program: &'a str,
    pub what: &'a str,
}

impl Via<'_> {
    fn write(&self, out: &mut String) {
        out.push('`');
        out.push_str(self.program);
        if !self.what.is_empty() {
            out.push(' ');
            out.push_str(self.what);
        }
        out.push('`');
    }
}

pub(crate) type Res = Result<(), Block>;

/// How `xargs` feeds its input to the command it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XInput {
    /// Input words are appended to the arguments.
    Append,
    /// Input lines replace this string (`-I R`).
    Replace(String),
}

fn lex_block(e: LexError) -> Block {
    Block::new(e.rule, e.message, None)
}

/// The program name of an argv[0]: its basename.
pub(crate) fn basename(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

/// Shell builtins (and keywords) with no executable of the same name: an argv plan cannot run
/// them, so a command using one runs through `sh -c`.
fn needs_shell(program: &str) -> bool {
    matches!(
        program,
        "cd" | "pushd"
            | "popd"
            | "export"
            | "unset"
            | "set"
            | "eval"
            | "exec"
            | "builtin"
            | "command"
            | "trap"
            | "source"
            | "."
            | "alias"
            | "unalias"
            | "ulimit"
            | "umask"
            | "read"
            | "shift"
            | "return"
            | "exit"
            | "wait"
            | "jobs"
            | "fg"
            | "bg"
            | "hash"
            | "type"
            | "declare"
            | "local"
            | "readonly"
            | "typeset"
            | "let"
            | "shopt"
            | "times"
            | "getopts"
            | "mapfile"
            | "readarray"
            | "enable"
            | ":"
            | "time"
            | "disown"
            | "suspend"
            | "caller"
            | "dirs"
            | "compgen"
            | "complete"
            | "history"
            | "fc"
    )
}

pub(crate) struct Checker<'g> {
    pub gate: &'g Gate,
    /// Deciding a program the kernel is about to exec (the in-sandbox guard), not a command
    /// line lasso will run: a shell's `-c` script is not parsed, because every program it
    /// starts comes back to the gate as its own exec.
    pub exec_time: bool,
    /// Programs gated so far (nested ones included).
    pub stages: usize,
    pub first_program: Option<String>,
    /// The workspace is one of the directories the command may be running in.
    ws_active: bool,
    /// Other directories it may be running in (normalised, absolute).
    extra: Vec<String>,
    /// Every directory seen, for `cd -` / `popd`.
    history: Vec<String>,
    /// The top-level line is an `&&` chain: a `cd` there replaces the working directory.
    exact_cd: bool,
    /// Strings input replaces at run time (`xargs -I R`, `find -exec {}`).
    pub taint: Vec<String>,
    /// Set by `xargs` for the next program gated: its arguments include input.
    pub xargs_input: Option<XInput>,
    buf: String,
    forms: Vec<String>,
}

impl<'g> Checker<'g> {
    pub(crate) fn new(gate: &'g Gate) -> Self {
        Checker {
            gate,
            exec_time: false,
            stages: 0,
            first_program: None,
            ws_active: true,
            extra: Vec::new(),
            history: Vec::new(),
            exact_cd: false,
            taint: Vec::new(),
            xargs_input: None,
            buf: String::new(),
            forms: Vec::new(),
        }
    }

    pub(crate) fn code_eval_allowed(&self) -> bool {
        self.gate.policy.allow_code_eval
    }

    /// Checks one argv the kernel is about to exec, from `cwd`.
    pub(crate) fn exec(&mut self, argv: &[String], cwd: &str) -> Res {
        self.exec_time = true;
        if cwd.starts_with('/') && paths::normalize_abs(cwd) != self.gate.ws {
            self.exact_cd = true;
            self.chdir(cwd, true, false)?;
        }
        let words: Vec<Word<'_>> = argv.iter().map(|a| Word::lit(a)).collect();
        if words.is_empty() {
            return Err(Block::new(
                Rule::Empty,
                "the exec has an empty argument list: there is no program name to check".to_owned(),
                None,
            ));
        }
        self.argv(&words, 0, false)
    }

    /// Checks the top-level command line and returns how to run it.
    pub(crate) fn top(&mut self, command: &str) -> Result<ExecPlan, Block> {
        let toks = self.tokens(command, "the command")?;
        let operator = parse::first_operator(&toks);
        self.exact_cd = toks
            .iter()
            .all(|t| !matches!(t, Tok::Op(op) if *op != Op::And));
        let stages = parse::parse(toks).map_err(lex_block)?;
        for st in &stages {
            self.stage(st, 0)?;
        }
        let plain = operator.is_none()
            && stages.len() == 1
            && stages[0].assigns == 0
            && stages[0].redirs.is_empty()
            && stages[0]
                .words
                .first()
                .is_some_and(|w| !needs_shell(basename(&w.text)))
            && stages[0].words.iter().all(|w| !w.has(GLOB | TILDE | BRACE));
        Ok(if plain {
            ExecPlan::Argv(stages[0].words.iter().map(|w| w.text.to_string()).collect())
        } else {
            ExecPlan::Shell(command.to_owned())
        })
    }

    /// Rejects control characters, empty input and (when the profile forbids them) shell
    /// operators, then tokenises.
    fn tokens<'s>(&self, src: &'s str, what: &str) -> Result<Vec<Tok<'s>>, Block> {
        if let Some((at, c)) = src
            .char_indices()
            .find(|&(_, c)| c.is_control() && c != '\t')
        {
            return Err(Block::new(
                Rule::ControlCharacter,
                format!(
                    "{what} contains the control character {} at byte {at}; newlines, carriage returns, NUL and other control characters are always rejected — send a single command line (chain commands with `&&` or `;` where the profile allows shell operators)",
                    c.escape_unicode()
                ),
                None,
            ));
        }
        let toks = lexer::lex(src).map_err(lex_block)?;
        if toks.is_empty() {
            return Err(Block::new(
                Rule::Empty,
                format!("{what} is empty (or only a comment): there is nothing to run"),
                None,
            ));
        }
        if !self.gate.policy.allow_shell_operators
            && let Some(op) = parse::first_operator(&toks)
        {
            return Err(Block::new(
                Rule::ShellOperators,
                format!(
                    "shell operator or redirection `{op}` in {what} is not allowed by this profile (allow_shell_operators = false); send one simple command per request, without `;`, `&&`, `|`, redirections or `( )`"
                ),
                None,
            ));
        }
        Ok(toks)
    }

    /// Gates a command line given to a wrapper (`sh -c`, `eval`, `tar -I`, ...).
    pub(crate) fn nested(&mut self, src: &str, depth: usize, via: &Via<'_>) -> Res {
        self.nested_inner(src, depth).map_err(|b| b.via(via))
    }

    fn nested_inner(&mut self, src: &str, depth: usize) -> Res {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        if !self.code_eval_allowed()
            && let Some(t) = self.taint.iter().find(|t| src.contains(t.as_str()))
        {
            return Err(Block::new(
                Rule::CodeEval,
                format!(
                    "the command line `{src}` contains `{t}`, which is replaced by input at run time, so the command that runs is code the gate cannot inspect and this profile does not allow code evaluation (allow_code_eval = false); pass the input as an argument instead of splicing it into a command line"
                ),
                None,
            ));
        }
        let toks = self.tokens(src, "the nested command line")?;
        let stages = parse::parse(toks).map_err(lex_block)?;
        for st in &stages {
            self.stage(st, depth)?;
        }
        Ok(())
    }

    fn stage(&mut self, st: &Stage<'_>, depth: usize) -> Res {
        let argv = st.argv();
        let program = argv.first().map(|w| basename(&w.text));
        for a in &st.words[..st.assigns] {
            let (name, value) = a.text.split_once('=').unwrap_or((&a.text, ""));
            self.assignment(name, value, program)?;
        }
        if argv.is_empty() {
            self.stages += 1;
        } else {
            self.argv(argv, depth, st.piped)?;
        }
        for (r, target) in &st.redirs {
            self.redirect(*r, target, program.unwrap_or("the shell"))?;
        }
        Ok(())
    }

    /// An environment assignment, before a program or through `env`/`export`.
    pub(crate) fn assignment(&mut self, name: &str, value: &str, program: Option<&str>) -> Res {
        if let Some(why) = sensitive(name) {
            return Err(Block::new(
                Rule::SensitiveVariable,
                format!(
                    "setting the environment variable `{name}` is not allowed: {why}; remove the assignment (or use the program's own options)"
                ),
                program,
            ));
        }
        self.path_str(
            program.unwrap_or("the shell"),
            value,
            value.starts_with('~'),
        )
    }

    fn redirect(&mut self, r: Redir, target: &Word<'_>, program: &str) -> Res {
        let t: &str = &target.text;
        let fd_dup = matches!(r.op, RedirOp::DupOut | RedirOp::DupIn)
            && !t.is_empty()
            && (t == "-" || t.trim_end_matches('-').bytes().all(|b| b.is_ascii_digit()));
        if fd_dup {
            return Ok(());
        }
        match r.op {
            RedirOp::In | RedirOp::DupIn => self.path_word(program, target),
            op => self.output(
                program,
                t,
                target.has(TILDE),
                &format!("redirection `{}`", op.as_str()),
            ),
        }
    }

    /// Gates one argv: the program (against the lists), then its arguments. Wrappers recurse.
    pub(crate) fn argv(&mut self, words: &[Word<'_>], depth: usize, piped: bool) -> Res {
        if depth > MAX_DEPTH {
            return Err(too_deep());
        }
        let Some(w0) = words.first() else {
            return Ok(());
        };
        self.stages += 1;
        let text: &str = &w0.text;
        if w0.has(GLOB | BRACE) {
            return Err(Block::new(
                Rule::UnsupportedSyntax,
                format!(
                    "the program name `{text}` is a pattern the shell expands, so the gate cannot know which program would run; write the program name literally"
                ),
                None,
            ));
        }
        if !self.code_eval_allowed()
            && let Some(t) = self.taint.iter().find(|t| text.contains(t.as_str()))
        {
            return Err(Block::new(
                Rule::CodeEval,
                format!(
                    "the program name `{text}` contains `{t}`, which is replaced by input at run time, so which program runs is decided by input the gate cannot inspect and this profile does not allow code evaluation (allow_code_eval = false)"
                ),
                None,
            ));
        }
        let program = basename(text);
        if self.first_program.is_none() {
            self.first_program = Some(program.to_owned());
        }
        if text.contains('/') || w0.has(TILDE) {
            self.path_str(program, text, w0.has(TILDE))?;
        }
        self.list_check(program)?;
        let spec = spec::lookup(program);
        let xin = self.xargs_input.take();
        match spec.map_or(Kind::Plain, |s| s.kind) {
            Kind::Wrapper(ws) => wrappers::wrapper(
                self,
                program,
                spec.unwrap_or(&UNKNOWN),
                ws,
                words,
                depth,
                piped,
                xin,
            ),
            // The list check above is the whole decision for a shell being exec'd.
            Kind::Shell if self.exec_time => Ok(()),
            Kind::Shell => wrappers::shell(self, program, words, depth, piped, xin.as_ref()),
            Kind::Cd => programs::cd(self, program, words, depth),
            Kind::Su | Kind::Trap | Kind::Find if xin.is_some() && !self.code_eval_allowed() => {
                Err(self.xargs_refusal(program))
            }
            Kind::Su => wrappers::su(self, program, words, depth, piped),
            Kind::Trap => wrappers::trap(self, program, words, depth),
            Kind::Find => programs::find(self, program, words, depth),
            kind => self.program(
                program,
                spec.unwrap_or(&UNKNOWN),
                kind,
                words,
                depth,
                piped,
                xin,
            ),
        }
    }

    /// The refusal for a command whose arguments `xargs` input could turn into something the
    /// gate did not check.
    pub(crate) fn xargs_refusal(&self, program: &str) -> Block {
        Block::new(
            Rule::CodeEval,
            format!(
                "`xargs` adds its input to the arguments of `{program}`, where it could become options, a script or a command the gate cannot inspect, and this profile does not allow code evaluation (allow_code_eval = false); end `{program}`'s options with `--` before the input, or pass the arguments explicitly"
            ),
            Some(program),
        )
    }

    /// Whether input `xargs` adds to `words` could change what the program does.
    fn xargs_danger(
        &self,
        spec: &Spec,
        parsed: &Parsed<'_>,
        words: &[Word<'_>],
        xin: &XInput,
    ) -> bool {
        let at: Vec<usize> = match xin {
            XInput::Append => vec![words.len() - 1],
            XInput::Replace(r) => (1..words.len())
                .filter(|&i| words[i].text.contains(r.as_str()))
                .map(|i| i - 1)
                .collect(),
        };
        if at.is_empty() {
            return false;
        }
        let cur = parsed.sub.unwrap_or(spec);
        let open = at.iter().any(|&i| parsed.open_at(i));
        let program = basename(&words[0].text);
        let has_rules = self.gate.rules.contains_key(spec::family(program));
        if open && (option_danger(cur) || option_danger(spec) || has_rules) {
            return true;
        }
        if spec.operands_are_outputs || !spec.kv_outputs.is_empty() {
            return true;
        }
        match spec.kind {
            // A URL from input can name the `ext::` transport.
            Kind::Git => parsed.operands().next().is_none_or(|sub| {
                matches!(
                    sub,
                    "clone"
                        | "fetch"
                        | "pull"
                        | "ls-remote"
                        | "push"
                        | "remote"
                        | "submodule"
                        | "archive"
                        | "fetch-pack"
                        | "send-pack"
                        | "request-pull"
                )
            }),
            // Without a script in the options, the first operand is the script.
            Kind::Sed => {
                parsed.values_of("--expression").next().is_none()
                    && parsed.values_of("--file").next().is_none()
                    && parsed.operands().next().is_none()
            }
            Kind::Awk => {
                parsed.values_of("--source").next().is_none()
                    && parsed.values_of("--file").next().is_none()
                    && parsed.operands().next().is_none()
            }
            _ => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn program(
        &mut self,
        program: &str,
        spec: &'static Spec,
        kind: Kind,
        words: &[Word<'_>],
        depth: usize,
        piped: bool,
        xin: Option<XInput>,
    ) -> Res {
        let parsed = args::parse(spec, &words[1..], false);
        if let Some(x) = &xin
            && !self.code_eval_allowed()
            && self.xargs_danger(spec, &parsed, words, x)
        {
            return Err(self.xargs_refusal(program));
        }
        self.options(program, words, &parsed, depth)?;
        if piped && !self.code_eval_allowed() {
            if spec.stdin_program && (spec.stdin_always || reads_program_from_stdin(&parsed)) {
                return Err(self.code_eval(program, "", "reads its program from a pipe"));
            }
            let from_stdin = parsed.items.iter().any(|i| match *i {
                Item::Opt {
                    name,
                    value: Some(v),
                    spec: s,
                    ..
                } => s.any_of(name, s.program_file_opts).is_some() && is_stdin_name(v),
                Item::Operand { .. } | Item::Opt { value: None, .. } => false,
            });
            if from_stdin {
                return Err(self.code_eval(program, "", "loads code from a pipe"));
            }
        }
        match kind {
            Kind::Python => programs::python(self, program, words, &parsed)?,
            Kind::Node => programs::node(self, program, &parsed)?,
            Kind::Perl => programs::perl(self, program, &parsed)?,
            Kind::Sed => programs::sed(self, program, &parsed)?,
            Kind::Awk => programs::awk(self, program, &parsed)?,
            Kind::Git => programs::git(self, program, words, &parsed, depth)?,
            Kind::Tar => programs::tar(self, program, &parsed, depth)?,
            Kind::Curl => programs::curl(self, program, &parsed)?,
            Kind::Vim => programs::vim(self, program, &parsed)?,
            Kind::Ssh => programs::ssh(self, program, &parsed, depth)?,
            Kind::VarBuiltin => programs::var_builtin(self, program, words, &parsed)?,
            Kind::ShellResolve => programs::shell_resolve(program, words)?,
            _ => {}
        }
        if spec.operands_are_outputs {
            for op in parsed.operands() {
                self.output(program, op, op.starts_with('~'), "output file")?;
            }
        }
        if !spec.kv_outputs.is_empty() {
            for op in parsed.operands() {
                if let Some((k, v)) = op.split_once('=')
                    && spec.kv_outputs.contains(&k)
                {
                    self.output(program, v, false, k)?;
                }
            }
        }
        self.blocked(program, &words[1..], &parsed)?;
        self.path_args(program, words)
    }

    /// Generic option semantics from the table: code, nested commands, outputs, directories.
    pub(crate) fn options(
        &mut self,
        program: &str,
        words: &[Word<'_>],
        parsed: &Parsed<'_>,
        depth: usize,
    ) -> Res {
        for item in &parsed.items {
            let Item::Opt {
                name,
                value,
                spec,
                word,
            } = *item
            else {
                continue;
            };
            if spec.code.is_empty()
                && spec.commands.is_empty()
                && spec.outputs.is_empty()
                && spec.chdir.is_empty()
            {
                continue;
            }
            let r = spec.resolve(name);
            let hit = |list: &[&str]| list.iter().any(|t| r.means(t));
            let spelled = words.get(word + 1).map_or("", |w| &*w.text);
            if !self.code_eval_allowed() && hit(spec.code) {
                return Err(self.code_eval(
                    program,
                    spelled,
                    "evaluates code given on the command line or in a file",
                ));
            }
            let Some(v) = value else { continue };
            if hit(spec.commands) {
                self.nested(
                    v,
                    depth + 1,
                    &Via {
                        program,
                        what: spelled,
                    },
                )?;
            }
            if hit(spec.outputs) {
                self.output(
                    program,
                    v,
                    v.starts_with('~'),
                    &format!("option `{spelled}`"),
                )?;
            }
            if hit(spec.chdir) {
                self.chdir(v, false, v.starts_with('~'))?;
            }
        }
        if parsed.sub.is_some_and(|s| s.code_sub) && !self.code_eval_allowed() {
            let sub = parsed.operands().next().unwrap_or("");
            return Err(self.code_eval(program, sub, "evaluates code given on the command line"));
        }
        Ok(())
    }

    pub(crate) fn code_eval(&self, program: &str, what: &str, how: &str) -> Block {
        let shown = if what.is_empty() {
            format!("`{program}`")
        } else {
            format!("`{program} {what}`")
        };
        Block::new(
            Rule::CodeEval,
            format!(
                "{shown} {how}: code the gate cannot inspect, and this profile does not allow code evaluation (allow_code_eval = false); put the code in a file in the workspace and run that file instead"
            ),
            Some(program),
        )
    }

    /// The profile's whitelist/blacklist and the active mode.
    pub(crate) fn list_check(&self, program: &str) -> Res {
        let g = self.gate;
        let listed = g.programs.contains(program);
        match g.policy.list_mode {
            ListMode::Whitelist if !listed => {
                return Err(Block::new(
                    Rule::NotWhitelisted,
                    format!(
                        "`{program}` is not in the whitelist of this profile (allowed: {})",
                        g.list_preview
                    ),
                    Some(program),
                ));
            }
            ListMode::Blacklist if listed => {
                return Err(Block::new(
                    Rule::Blacklisted,
                    format!("`{program}` is blacklisted by this profile and may not run"),
                    Some(program),
                ));
            }
            _ => {}
        }
        if let Some(m) = &g.mode
            && !m.programs.contains(program)
        {
            return Err(Block::new(
                Rule::Mode,
                format!(
                    "`{program}` is not allowed in mode `{}` (allowed in this mode: {}); switch mode or use one of those programs",
                    m.name, m.preview
                ),
                Some(program),
            ));
        }
        Ok(())
    }

    /// Only the blacklist part of [`Self::list_check`], for programs run without their binary
    /// (`python -m pip` is still `pip` to a profile that blacklists it).
    pub(crate) fn blacklist_check(&self, program: &str, how: &str) -> Res {
        if self.gate.policy.list_mode == ListMode::Blacklist && self.gate.programs.contains(program)
        {
            return Err(Block::new(
                Rule::Blacklisted,
                format!(
                    "`{program}` is blacklisted by this profile and may not run, also not {how}"
                ),
                Some(program),
            ));
        }
        Ok(())
    }

    /// The profile's `blocked_args` rules for `program`'s family. `args` are the words the
    /// parsed arguments came from (after the program name).
    pub(crate) fn blocked(&self, program: &str, args: &[Word<'_>], parsed: &Parsed<'_>) -> Res {
        if self.gate.rules.is_empty() {
            return Ok(());
        }
        let Some(rules) = self.gate.rules.get(spec::family(program)) else {
            return Ok(());
        };
        for r in rules {
            if let Some(at) = r.matches(parsed) {
                let word = args.get(at).map_or("", |w| &*w.text);
                return Err(Block::new(
                    Rule::BlockedArgs,
                    format!(
                        "`{program}` argument `{word}` is blocked by the profile rule `{}`; this profile does not allow that use of `{program}`",
                        r.shown
                    ),
                    Some(program),
                ));
            }
        }
        Ok(())
    }
}

pub(crate) fn too_deep() -> Block {
    Block::new(
        Rule::NestingTooDeep,
        format!(
            "wrappers and nested command lines (`sh -c`, `env`, `xargs`, `eval`, ...) are nested more than {MAX_DEPTH} levels deep; the gate does not follow them further — simplify the command"
        ),
        None,
    )
}

/// Whether options of `spec` could run code, name commands, files or directories.
fn option_danger(spec: &Spec) -> bool {
    !spec.code.is_empty()
        || !spec.commands.is_empty()
        || !spec.outputs.is_empty()
        || !spec.chdir.is_empty()
        || !spec.program_opts.is_empty()
        || spec.stdin_program
        || !spec.subs.is_empty()
        || spec.default_sub.is_some()
        || !matches!(spec.kind, Kind::Plain)
}

/// Names of standard input as a file.
pub(crate) fn is_stdin_name(s: &str) -> bool {
    matches!(
        s,
        "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0" | "/proc/thread-self/fd/0"
    )
}

fn reads_program_from_stdin(parsed: &Parsed<'_>) -> bool {
    !parsed.has_any(|s| s.program_opts) && parsed.operands().next().is_none_or(is_stdin_name)
}
