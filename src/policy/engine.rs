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

use super::args::{self, Item, Parsed};
use super::lexer::{self, GLOB, LexError, Op, Redir, RedirOp, TILDE, Tok, Word, BRACE};
use super::parse::{self, Stage};
use super::paths::{self, inside, resolve};
use super::spec::{self, Kind, Spec, UNKNOWN};
use super::{Decision, ExecPlan, Gate, ListMode, Rule, programs, wrappers};

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
        self.reason
            .push_str(if self.via_open { " ← " } else { " (reached through " });
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
        "cd" | "pushd" | "popd" | "export" | "unset" | "set" | "eval" | "exec" | "builtin"
            | "command" | "trap" | "source" | "." | "alias" | "unalias" | "ulimit" | "umask"
            | "read" | "shift" | "return" | "exit" | "wait" | "jobs" | "fg" | "bg" | "hash"
            | "type" | "declare" | "local" | "readonly" | "typeset" | "let" | "shopt" | "times"
            | "getopts" | "mapfile" | "readarray" | "enable" | ":" | "time" | "disown"
            | "suspend" | "caller" | "dirs" | "compgen" | "complete" | "history" | "fc"
    )
}

pub(crate) struct Checker<'g> {
    pub gate: &'g Gate,
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
    buf: String,
    forms: Vec<String>,
}

impl<'g> Checker<'g> {
    pub(crate) fn new(gate: &'g Gate) -> Self {
        Checker {
            gate,
            stages: 0,
            first_program: None,
            ws_active: true,
            extra: Vec::new(),
            history: Vec::new(),
            exact_cd: false,
            taint: Vec::new(),
            buf: String::new(),
            forms: Vec::new(),
        }
    }

    pub(crate) fn code_eval_allowed(&self) -> bool {
        self.gate.policy.allow_code_eval
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
        if let Some((at, c)) = src.char_indices().find(|&(_, c)| c.is_control() && c != '\t') {
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
        self.path_str(program.unwrap_or("the shell"), value, value.starts_with('~'))
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
        match spec.map_or(Kind::Plain, |s| s.kind) {
            Kind::Wrapper(ws) => wrappers::wrapper(self, program, spec.unwrap_or(&UNKNOWN), ws, words, depth, piped),
            Kind::Shell => wrappers::shell(self, program, words, depth, piped),
            Kind::Su => wrappers::su(self, program, words, depth, piped),
            Kind::Trap => wrappers::trap(self, program, words, depth),
            Kind::Find => programs::find(self, program, words, depth),
            Kind::Cd => programs::cd(self, program, words, depth),
            kind => self.program(program, spec.unwrap_or(&UNKNOWN), kind, words, depth, piped),
        }
    }

    fn program(
        &mut self,
        program: &str,
        spec: &'static Spec,
        kind: Kind,
        words: &[Word<'_>],
        depth: usize,
        piped: bool,
    ) -> Res {
        let parsed = args::parse(spec, &words[1..], false);
        self.options(program, words, &parsed, depth)?;
        if spec.stdin_program && piped && reads_program_from_stdin(&parsed) && !self.code_eval_allowed() {
            return Err(self.code_eval(program, "", "reads its program from a pipe"));
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
        self.blocked(program, &parsed)?;
        self.path_args(program, words)
    }

    /// Generic option semantics from the table: code, nested commands, outputs, directories.
    pub(crate) fn options(&mut self, program: &str, words: &[Word<'_>], parsed: &Parsed<'_>, depth: usize) -> Res {
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
            let spelled = words.get(word + 1).map_or("", |w| &*w.text);
            if !self.code_eval_allowed() && spec.any_of(name, spec.code).is_some() {
                return Err(self.code_eval(program, spelled, "evaluates code given on the command line or in a file"));
            }
            let Some(v) = value else { continue };
            if spec.any_of(name, spec.commands).is_some() {
                self.nested(v, depth + 1, &Via { program, what: spelled })?;
            }
            if spec.any_of(name, spec.outputs).is_some() {
                self.output(program, v, v.starts_with('~'), &format!("option `{spelled}`"))?;
            }
            if spec.any_of(name, spec.chdir).is_some() {
                self.chdir(v, false)?;
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
                "{shown} {how}, which the gate cannot inspect, and this profile does not allow code evaluation (allow_code_eval = false); put the code in a file in the workspace and run that file instead"
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
        if self.gate.policy.list_mode == ListMode::Blacklist && self.gate.programs.contains(program) {
            return Err(Block::new(
                Rule::Blacklisted,
                format!("`{program}` is blacklisted by this profile and may not run, also not {how}"),
                Some(program),
            ));
        }
        Ok(())
    }

    /// The profile's `blocked_args` rules for `program`'s family.
    pub(crate) fn blocked(&self, program: &str, parsed: &Parsed<'_>) -> Res {
        if self.gate.rules.is_empty() {
            return Ok(());
        }
        let Some(rules) = self.gate.rules.get(spec::family(program)) else {
            return Ok(());
        };
        match rules.iter().find(|r| r.matches(parsed)) {
            Some(r) => Err(Block::new(
                Rule::BlockedArgs,
                format!(
                    "`{program}` with these arguments is blocked by the profile rule `{}`",
                    r.shown
                ),
                Some(program),
            )),
            None => Ok(()),
        }
    }

    // ------------------------------------------------------------------ paths

    /// Checks every argument word that could name a path.
    pub(crate) fn path_args(&mut self, program: &str, words: &[Word<'_>]) -> Res {
        for w in words.iter().skip(1) {
            self.path_word(program, w)?;
        }
        Ok(())
    }

    /// Checks one word as a path, and the path-like parts inside it (`--opt=PATH`, `-IPATH`,
    /// `@PATH`, `KEY=PATH`).
    pub(crate) fn path_word(&mut self, program: &str, w: &Word<'_>) -> Res {
        let t: &str = &w.text;
        if t.starts_with('-') {
            if let Some(e) = t.find('=') {
                return self.path_value(program, &t[e + 1..]);
            }
            if let Some(p) = t.find(['/', '~', '.']) {
                return self.path_value(program, &t[p..]);
            }
            return Ok(());
        }
        self.path_str(program, t, w.has(TILDE))?;
        if let Some(rest) = t.strip_prefix(['@', '<']) {
            self.path_value(program, rest)?;
        }
        match t.find('=') {
            Some(e) if e > 0 => self.path_value(program, &t[e + 1..]),
            _ => Ok(()),
        }
    }

    /// A value embedded in a word: `@file` / `<file` prefixes (curl) and `;type=` suffixes
    /// are stripped.
    fn path_value(&mut self, program: &str, v: &str) -> Res {
        let v = match v.strip_prefix(['@', '<']) {
            Some(rest) => rest.split(';').next().unwrap_or(rest),
            None => v,
        };
        self.path_str(program, v, v.starts_with('~'))
    }

    /// Checks a path-like string in every decoded form against every working directory.
    pub(crate) fn path_str(&mut self, program: &str, s: &str, tilde: bool) -> Res {
        let s = match url_path(s) {
            Url::None => s,
            Url::File(p) => p,
            Url::Other => return Ok(()),
        };
        if s.is_empty() {
            return Ok(());
        }
        let simple = s.is_ascii() && !s.contains(['/', '%']) && !s.starts_with('~') && s != "." && s != "..";
        if simple && self.extra.is_empty() && !self.gate.hidden_near_ws {
            return Ok(());
        }
        self.check_form(program, s, s, tilde)?;
        if !s.is_ascii() || s.contains('%') {
            let mut forms = std::mem::take(&mut self.forms);
            paths::decoded_forms(s, &mut forms);
            let r = forms.iter().try_for_each(|f| self.check_form(program, s, f, tilde));
            self.forms = forms;
            r?;
        }
        Ok(())
    }

    fn check_form(&mut self, program: &str, shown: &str, form: &str, tilde: bool) -> Res {
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.check_form_in(&mut buf, program, shown, form, tilde);
        self.buf = buf;
        r
    }

    fn check_form_in(&self, buf: &mut String, program: &str, shown: &str, form: &str, tilde: bool) -> Res {
        let ws = self.gate.ws.as_str();
        if tilde && let Some(after) = form.strip_prefix('~') {
            let (user, rest) = after.split_once('/').unwrap_or((after, ""));
            return match user {
                "" => {
                    let left = resolve(buf, &self.gate.home, rest, ws);
                    self.verdict(buf, left, program, shown)
                }
                "+" | "-" => self.each_base(buf, rest, program, shown),
                _ => Err(Block::new(
                    Rule::UnsupportedSyntax,
                    format!(
                        "`~{user}` in `{shown}` expands to another user's home directory, which the gate does not resolve; write the path literally"
                    ),
                    Some(program),
                )),
            };
        }
        if form.starts_with('/') {
            let left = resolve(buf, "", form, ws);
            return self.verdict(buf, left, program, shown);
        }
        self.each_base(buf, form, program, shown)
    }

    fn each_base(&self, buf: &mut String, rel: &str, program: &str, shown: &str) -> Res {
        let ws = self.gate.ws.as_str();
        if self.ws_active {
            let left = resolve(buf, ws, rel, ws);
            self.verdict(buf, left, program, shown)?;
        }
        for base in &self.extra {
            let left = resolve(buf, base, rel, ws);
            self.verdict(buf, left, program, shown)?;
        }
        Ok(())
    }

    fn verdict(&self, resolved: &str, left: bool, program: &str, shown: &str) -> Res {
        if left {
            return Err(Block::new(
                Rule::PathTraversal,
                format!(
                    "`{program}` argument `{shown}` leaves the workspace `{}` through `..`; use a path inside the workspace, or an absolute path if you mean a file outside it",
                    show_path(&self.gate.ws)
                ),
                Some(program),
            ));
        }
        self.hidden_check(resolved, program, shown, 0)
    }

    fn hidden_check(&self, resolved: &str, program: &str, shown: &str, round: usize) -> Res {
        if let Some(h) = self.gate.hidden.iter().find(|h| h.reached_by(resolved)) {
            return Err(Block::new(
                Rule::HiddenPath,
                format!(
                    "`{program}` argument `{shown}` reaches `{}`, which this profile hides from agents",
                    h.shown
                ),
                Some(program),
            ));
        }
        // `/proc/PID/root/...` is the root file system again and `/proc/PID/cwd/...` some
        // process's working directory: check what they lead to as well.
        if round < 4
            && let Some(rest) = resolved.strip_prefix("/proc/")
            && let Some((_, rest)) = rest.split_once('/')
        {
            let (link, tail) = rest.split_once('/').unwrap_or((rest, ""));
            if matches!(link, "root" | "cwd" | "*" | "?" | "[") || link.contains(['*', '?', '[']) {
                let mut again = String::with_capacity(tail.len() + 1);
                again.push('/');
                again.push_str(tail);
                self.hidden_check(&again, program, shown, round + 1)?;
                if link != "root" {
                    let mut buf = String::new();
                    self.each_base(&mut buf, tail, program, shown)?;
                }
            }
        }
        Ok(())
    }

    fn writable(&self, p: &str) -> bool {
        inside(p, &self.gate.ws)
            || matches!(p, "/dev/null" | "/dev/stdout" | "/dev/stderr")
            || self.gate.writable.iter().any(|w| inside(p, w))
    }

    /// A file the command writes: path checks, then it must be inside the workspace, a
    /// writable path, or `/dev/null`.
    pub(crate) fn output(&mut self, program: &str, target: &str, tilde: bool, what: &str) -> Res {
        self.path_str(program, target, tilde)?;
        if target == "-" {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.output_in(&mut buf, program, target, tilde, what);
        self.buf = buf;
        r
    }

    fn output_in(&self, buf: &mut String, program: &str, target: &str, tilde: bool, what: &str) -> Res {
        let ws = self.gate.ws.as_str();
        let fail = || {
            let mut allowed = show_path(&self.gate.ws).to_owned();
            for w in &self.gate.writable {
                allowed.push_str(", ");
                allowed.push_str(show_path(w));
            }
            Block::new(
                Rule::RedirectOutsideWorkspace,
                format!(
                    "`{program}` would write to `{target}` ({what}), which is outside the workspace and the writable paths ({allowed}, /dev/null); write inside the workspace instead"
                ),
                Some(program),
            )
        };
        if tilde && let Some(after) = target.strip_prefix('~') {
            let rest = after.strip_prefix('/').unwrap_or(after);
            if !after.is_empty() && !after.starts_with('/') {
                return Err(fail());
            }
            resolve(buf, &self.gate.home, rest, ws);
            return if self.writable(buf) { Ok(()) } else { Err(fail()) };
        }
        if target.starts_with('/') {
            resolve(buf, "", target, ws);
            return if self.writable(buf) { Ok(()) } else { Err(fail()) };
        }
        if self.ws_active {
            resolve(buf, ws, target, ws);
            if !self.writable(buf) {
                return Err(fail());
            }
        }
        for base in &self.extra {
            resolve(buf, base, target, ws);
            if !self.writable(buf) {
                return Err(fail());
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------------ working directories

    /// A directory the rest of the command (`exact` = a top-level `cd` in an `&&` chain: the
    /// only one) may run in.
    pub(crate) fn chdir(&mut self, dir: &str, exact: bool) -> Res {
        let ws = self.gate.ws.clone();
        let mut new = Vec::new();
        if dir == "-" {
            // Back to the previous directory: any directory seen so far.
            self.ws_active = true;
            let hist = self.history.clone();
            for h in hist {
                if !self.extra.contains(&h) {
                    self.extra.push(h);
                }
            }
            return self.cap();
        }
        let mut buf = String::new();
        let tilde_home = dir == "~" || dir.starts_with("~/");
        if dir.is_empty() {
            return Ok(());
        } else if tilde_home {
            resolve(&mut buf, &self.gate.home, &dir[1..], &ws);
            new.push(buf);
        } else if dir.starts_with('/') {
            resolve(&mut buf, "", dir, &ws);
            new.push(buf);
        } else {
            if self.ws_active {
                resolve(&mut buf, &ws, dir, &ws);
                new.push(buf.clone());
            }
            for base in &self.extra {
                resolve(&mut buf, base, dir, &ws);
                new.push(buf.clone());
            }
        }
        if exact && self.exact_cd {
            self.ws_active = false;
            self.extra.clear();
        }
        for d in new {
            if d == ws {
                self.ws_active = true;
            } else if !self.extra.contains(&d) {
                self.extra.push(d.clone());
            }
            if !self.history.contains(&d) {
                self.history.push(d);
            }
        }
        self.cap()
    }

    fn cap(&self) -> Res {
        if self.extra.len() > MAX_BASES {
            return Err(Block::new(
                Rule::UnsupportedSyntax,
                format!(
                    "the command changes directory in too many ways to follow (more than {MAX_BASES} possible working directories); split it into simpler commands"
                ),
                None,
            ));
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

/// `/` for the root, otherwise the normalised path itself.
pub(crate) fn show_path(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

fn reads_program_from_stdin(parsed: &Parsed<'_>) -> bool {
    !parsed.has_any(|s| s.program_opts) && parsed.operands().next().is_none_or(|o| o == "-")
}

enum Url<'a> {
    None,
    File(&'a str),
    Other,
}

/// `scheme://...` words are URLs, not paths, except `file://` whose path part is checked.
fn url_path(s: &str) -> Url<'_> {
    let Some(colon) = s.find("://") else {
        return Url::None;
    };
    let scheme = &s[..colon];
    let valid = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid {
        return Url::None;
    }
    if scheme.eq_ignore_ascii_case("file") {
        let rest = &s[colon + 3..];
        // file://host/path: the path starts at the first `/` after the host.
        return Url::File(rest.find('/').map_or("", |p| &rest[p..]));
    }
    Url::Other
}

/// Why assigning `name` is refused, if it is.
pub(crate) fn sensitive(name: &str) -> Option<&'static str> {
    const EXACT: &[(&str, &str)] = &[
        ("PATH", "it decides which program a name runs"),
        ("BASH_ENV", "bash runs the file it names"),
        ("ENV", "sh runs the file it names"),
        ("IFS", "it changes how the shell splits words"),
        ("PS4", "bash expands it, running code, when tracing"),
        ("SHELLOPTS", "it changes shell behaviour"),
        ("BASHOPTS", "it changes shell behaviour"),
        ("CDPATH", "it changes where `cd` goes"),
        ("GLOBIGNORE", "it changes pathname expansion"),
        ("HOME", "it changes where `~` and configuration files point"),
        ("TMPDIR", "it changes where programs write temporary files"),
        ("PYTHONPATH", "it changes which Python modules load"),
        ("PYTHONHOME", "it changes which Python installation runs"),
        ("PYTHONSTARTUP", "Python runs the file it names"),
        ("PYTHONINSPECT", "it makes Python read code from input"),
        ("PYTHONBREAKPOINT", "Python calls the function it names"),
        ("NODE_OPTIONS", "it adds options such as --require to node"),
        ("NODE_PATH", "it changes which node modules load"),
        ("PERL5OPT", "it adds options such as -M to perl"),
        ("PERL5LIB", "it changes which Perl modules load"),
        ("PERLLIB", "it changes which Perl modules load"),
        ("PERL5DB", "perl runs it as debugger code"),
        ("RUBYOPT", "it adds options to ruby"),
        ("RUBYLIB", "it changes which Ruby libraries load"),
        ("PAGER", "programs run it as a command"),
        ("EDITOR", "programs run it as a command"),
        ("VISUAL", "programs run it as a command"),
        ("LESSOPEN", "less runs it as a command"),
        ("LESSCLOSE", "less runs it as a command"),
        ("BROWSER", "programs run it as a command"),
        ("PROMPT_COMMAND", "bash runs it as a command"),
        ("JAVA_TOOL_OPTIONS", "it adds options such as -javaagent to java"),
        ("_JAVA_OPTIONS", "it adds options to java"),
        ("JDK_JAVA_OPTIONS", "it adds options to java"),
        ("RUSTC_WRAPPER", "cargo runs it as a command"),
        ("GCONV_PATH", "glibc loads code from it"),
        ("SSH_ASKPASS", "ssh runs it as a command"),
        ("SUDO_ASKPASS", "sudo runs it as a command"),
        ("ZDOTDIR", "zsh runs startup files from it"),
        ("LUA_INIT", "lua runs it as code"),
    ];
    const PREFIX: &[(&str, &str)] = &[
        ("LD_", "the dynamic linker loads code through it"),
        ("DYLD_", "the dynamic linker loads code through it"),
        ("GIT_", "git runs commands and reads configuration through it"),
        ("LASSO_", "it is reserved for lasso itself"),
        ("BASH_FUNC_", "bash imports it as a function definition"),
        ("LUA_INIT_", "lua runs it as code"),
    ];
    if let Some((_, why)) = EXACT.iter().find(|(n, _)| *n == name) {
        return Some(why);
    }
    if let Some((_, why)) = PREFIX.iter().find(|(p, _)| name.starts_with(p)) {
        return Some(why);
    }
    if name.len() >= 11 && name[..11].eq_ignore_ascii_case("npm_config_") {
        return Some("npm reads configuration, including scripts to run, from it");
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_names() {
        for n in ["PATH", "LD_PRELOAD", "GIT_SSH_COMMAND", "npm_config_script_shell", "NPM_CONFIG_X", "Npm_Config_x", "LASSO_HOME", "BASH_FUNC_ls%%"] {
            assert!(sensitive(n).is_some(), "{n}");
        }
        for n in ["FOO", "RUST_LOG", "PATHX", "CI", "NODE_ENV"] {
            assert!(sensitive(n).is_none(), "{n}");
        }
    }

    #[test]
    fn urls() {
        assert!(matches!(url_path("https://pypi.org/simple/"), Url::Other));
        assert!(matches!(url_path("file:///etc/shadow"), Url::File("/etc/shadow")));
        assert!(matches!(url_path("file://localhost/etc/x"), Url::File("/etc/x")));
        assert!(matches!(url_path("../x"), Url::None));
        assert!(matches!(url_path("a b://x"), Url::None));
    }
}
