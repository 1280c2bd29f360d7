//! Per-program rules that are code rather than table data.
//!
//! Each function here handles one program family whose dangerous arguments cannot be
//! described by option names alone: python's `-m` modules, node's `data:` imports, perl's
//! `-M` (which is `use` with the argument spliced in), sed scripts, awk programs, git's
//! transports, configuration keys and subcommands that run commands, tar's checkpoint actions,
//! curl variables, editor `+cmd`, ssh `-o ProxyCommand`, `find` expressions, directory changes
//! and shell builtins that assign variables or rebind command names. They run after the
//! table-driven option checks in [`super::engine`], on the same parsed arguments.

use super::args::{self, Item, Parsed};
use super::awk::{self, Target};
use super::engine::{Block, Checker, Res, Via, sensitive};
use super::lexer::{TILDE, Word};
use super::spec::{self, OptName, UNKNOWN};
use super::table::PIP;
use super::{Rule, sed};

/// The word index (into `words`) of parsed operand `n`.
fn operand_words<'p>(parsed: &'p Parsed<'_>) -> impl Iterator<Item = (usize, &'p str)> + 'p {
    parsed.items.iter().filter_map(|i| match *i {
        Item::Operand { text, word, .. } => Some((word + 1, text)),
        Item::Opt { .. } => None,
    })
}

pub(crate) fn python(
    ck: &mut Checker<'_>,
    program: &str,
    words: &[Word<'_>],
    parsed: &Parsed<'_>,
) -> Res {
    let Some(Some(module)) = parsed.values_of("-m").next() else {
        return Ok(());
    };
    let rest = &words[(1 + parsed.rest).min(words.len())..];
    let allow = ck.code_eval_allowed();
    match module {
        "timeit" | "code" | "IPython" if !allow => Err(ck.code_eval(
            program,
            &format!("-m {module}"),
            "evaluates Python code given as arguments or input",
        )),
        "pdb" | "ipdb" | "cProfile" | "profile" | "trace"
            if !allow && rest.iter().any(|w| w.text == "-c") =>
        {
            Err(ck.code_eval(
                program,
                &format!("-m {module} -c"),
                "runs code given on the command line",
            ))
        }
        "pip" | "pip3" => {
            ck.blacklist_check("pip", "as `python -m pip`")?;
            let p = args::parse(&PIP, rest, false);
            ck.blocked("pip", rest, &p)
        }
        _ => Ok(()),
    }
}

pub(crate) fn node(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>) -> Res {
    if ck.code_eval_allowed() {
        return Ok(());
    }
    for target in ["--require", "--import", "--loader", "--experimental-loader"] {
        for v in parsed.values_of(target).flatten() {
            if v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
                return Err(ck.code_eval(
                    program,
                    target,
                    "imports a `data:` URL, which is inline code",
                ));
            }
        }
    }
    Ok(())
}

/// perl `-MFoo=a,b` becomes `use Foo split(/,/, q{a,b});`: anything beyond a module name and
/// plain import arguments is code.
pub(crate) fn perl(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>) -> Res {
    if ck.code_eval_allowed() {
        return Ok(());
    }
    for opt in ["-M", "-m"] {
        for v in parsed.values_of(opt).flatten() {
            let m = v.strip_prefix('-').unwrap_or(v);
            let (name, args) = m.split_once('=').unwrap_or((m, ""));
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && args
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ',' | ':' | '.' | '-'));
            if !ok {
                return Err(ck.code_eval(
                    program,
                    &format!("{opt}{v}"),
                    "splices its argument into Perl code",
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn sed(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>) -> Res {
    let mut scripts: Vec<&str> = parsed.values_of("--expression").flatten().collect();
    if scripts.is_empty() && parsed.values_of("--file").next().is_none() {
        scripts.extend(parsed.operands().next());
    }
    let joined = scripts.join("\n");
    match sed::analyse(&joined) {
        Ok(facts) => {
            if let Some(cmd) = facts.exec
                && !ck.code_eval_allowed()
            {
                let how = if cmd.is_empty() {
                    "runs the pattern space as a shell command (the `e` command or `s///e` flag)".to_owned()
                } else {
                    format!("runs the shell command `{cmd}` (the `e` command)")
                };
                return Err(ck.code_eval(program, "", &how));
            }
            for w in facts.writes {
                ck.output(program, w.trim(), false, "sed `w` command")?;
            }
            for r in facts.reads {
                ck.path_str(program, r.trim(), false)?;
            }
            Ok(())
        }
        Err(problem) if !ck.code_eval_allowed() => Err(ck.code_eval(
            program,
            "",
            &format!(
                "has a script the gate cannot parse ({problem}), so it may run commands through sed's `e` command"
            ),
        )),
        Err(_) => Ok(()),
    }
}

pub(crate) fn awk(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>) -> Res {
    let allow = ck.code_eval_allowed();
    let mut sources: Vec<&str> = parsed.values_of("--source").flatten().collect();
    // mawk/gawk `-W name[=value]`.
    for w in parsed.values_of("-W").flatten() {
        let (name, value) = w.split_once('=').unwrap_or((w, ""));
        if !name.is_empty() && "source".starts_with(name) {
            sources.push(value);
        } else if !allow
            && ["exec", "file", "include", "load"]
                .iter()
                .any(|o| !name.is_empty() && o.starts_with(name))
        {
            return Err(ck.code_eval(program, &format!("-W {w}"), "loads a program from a file"));
        }
    }
    let has_file = parsed.values_of("--file").next().is_some();
    if sources.is_empty() && !has_file {
        sources.extend(parsed.operands().next());
    }
    for src in sources {
        let facts = awk::analyse(src);
        if let Some(what) = facts.exec
            && !allow
        {
            return Err(ck.code_eval(
                program,
                "",
                &format!("runs commands or loads code ({what} in the program)"),
            ));
        }
        for s in &facts.strings {
            if s.contains('/') || s.starts_with('.') || s.starts_with('~') {
                ck.path_str(program, s, false)?;
            }
        }
        for t in &facts.writes {
            match t {
                Target::Literal(f) => ck.output(program, f, false, "awk `print >`")?,
                Target::Computed => {
                    return Err(Block::new(
                        Rule::RedirectOutsideWorkspace,
                        format!(
                            "`{program}` writes to a file whose name is computed at run time (`print > expression`), so the gate cannot check it is inside the workspace; write to a literal file name"
                        ),
                        Some(program),
                    ));
                }
            }
        }
        for t in &facts.reads {
            if *t == Target::Computed {
                return Err(Block::new(
                    Rule::HiddenPath,
                    format!(
                        "`{program}` reads a file whose name is computed at run time (`getline < expression`), so the gate cannot check it is not hidden; read a literal file name"
                    ),
                    Some(program),
                ));
            }
        }
    }
    Ok(())
}

/// Configuration keys whose value git runs as a command (or that load more configuration).
pub(crate) fn git_key_executes(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let Some((section, rest)) = lower.split_once('.') else {
        return false;
    };
    let (sub, name) = match rest.rsplit_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, rest),
    };
    matches!(
        (section, sub, name),
        ("alias" | "includeif" | "pager", _, _)
            | ("include", None, "path")
            | ("filter", Some(_), _)
            | (
                "core",
                None,
                "pager"
                    | "editor"
                    | "sshcommand"
                    | "hookspath"
                    | "fsmonitor"
                    | "askpass"
                    | "gitproxy"
                    | "alternaterefscommand"
            )
            | ("sequence", None, "editor")
            | ("diff", None, "external")
            | ("diff", Some(_), "textconv" | "command")
            | ("merge", Some(_), "driver")
            | ("credential", _, "helper")
            | ("gpg", _, "program")
            | ("remote", Some(_), "uploadpack" | "receivepack")
            | (
                "difftool" | "mergetool" | "man" | "browser",
                Some(_),
                "cmd" | "path"
            )
            | ("uploadpack", None, "packobjectshook")
            | ("protocol", _, "allow")
            | ("init", None, "templatedir")
            | ("submodule", Some(_), "update")
            | (
                "sendemail",
                _,
                "sendmailcmd" | "tocmd" | "cccmd" | "smtpserver"
            )
            | ("web", None, "browser")
    )
}

pub(crate) fn git(
    ck: &mut Checker<'_>,
    program: &str,
    words: &[Word<'_>],
    parsed: &Parsed<'_>,
    depth: usize,
) -> Res {
    let allow = ck.code_eval_allowed();
    if !allow {
        if let Some(w) = words[1..]
            .iter()
            .find(|w| w.text.to_ascii_lowercase().contains("ext::"))
        {
            return Err(ck.code_eval(
                program,
                &w.text,
                "uses the `ext::` transport, which runs a command",
            ));
        }
        for item in &parsed.items {
            if let Item::Opt {
                name: OptName::Long("--exec-path"),
                value: Some(_),
                ..
            } = item
            {
                return Err(ck.code_eval(
                    program,
                    "--exec-path=",
                    "runs git commands from another directory",
                ));
            }
        }
    }
    let ops: Vec<(usize, &str)> = operand_words(parsed).collect();
    let Some(&(_, sub)) = ops.first() else {
        return Ok(());
    };
    match sub {
        "config" if !allow => git_config(ck, program, parsed, &ops[1..]),
        "submodule" => {
            let Some(pos) = ops.iter().position(|(_, t)| *t == "foreach") else {
                return Ok(());
            };
            let mut k = ops[pos].0 + 1;
            while words
                .get(k)
                .is_some_and(|w| matches!(&*w.text, "--recursive" | "-q" | "--quiet"))
            {
                k += 1;
            }
            if k >= words.len() {
                return Ok(());
            }
            let joined = words[k..]
                .iter()
                .map(|w| &*w.text)
                .collect::<Vec<_>>()
                .join(" ");
            ck.nested(
                &joined,
                depth + 1,
                &Via {
                    program,
                    what: "submodule foreach",
                },
            )
        }
        "bisect" => match ops.get(1) {
            Some(&(w, "run")) if w + 1 < words.len() => {
                ck.argv(&words[w + 1..], depth + 1, false).map_err(|b| {
                    b.via(&Via {
                        program,
                        what: "bisect run",
                    })
                })
            }
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}

fn git_config(
    ck: &mut Checker<'_>,
    program: &str,
    parsed: &Parsed<'_>,
    ops: &[(usize, &str)],
) -> Res {
    let reading = parsed.items.iter().any(|i| match *i {
        Item::Opt { name, spec, .. } => [
            "--get",
            "--get-all",
            "--get-regexp",
            "--get-urlmatch",
            "--list",
            "--unset",
            "--unset-all",
            "--remove-section",
            "--rename-section",
        ]
        .iter()
        .any(|o| spec.is(name, o)),
        Item::Operand { .. } => false,
    });
    let adding = parsed.items.iter().any(|i| match *i {
        Item::Opt { name, spec, .. } => spec.is(name, "--add") || spec.is(name, "--replace-all"),
        Item::Operand { .. } => false,
    });
    let (key, writing) = match ops.first().map(|o| o.1) {
        Some("set") => (ops.get(1).map(|o| o.1), true),
        Some(
            "get" | "list" | "unset" | "rename-section" | "remove-section" | "edit" | "get-color"
            | "get-colorbool",
        ) => {
            return Ok(());
        }
        Some(k) => (Some(k), !reading && (ops.len() >= 2 || adding)),
        None => (None, false),
    };
    match key {
        Some(k) if writing && git_key_executes(k) => Err(ck.code_eval(
            program,
            &format!("config {k}"),
            "sets a configuration key whose value git runs as a command",
        )),
        _ => Ok(()),
    }
}

/// tar `--checkpoint-action=exec=CMD` runs CMD.
pub(crate) fn tar(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>, depth: usize) -> Res {
    for v in parsed.values_of("--checkpoint-action").flatten() {
        if let Some(cmd) = v.strip_prefix("exec=") {
            ck.nested(
                cmd,
                depth + 1,
                &Via {
                    program,
                    what: "--checkpoint-action=exec=",
                },
            )?;
        }
    }
    Ok(())
}

/// curl `--variable name@file` reads a file.
pub(crate) fn curl(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>) -> Res {
    for v in parsed.values_of("--variable").flatten() {
        if let Some((_, file)) = v.split_once('@') {
            ck.path_str(program, file, file.starts_with('~'))?;
        }
    }
    Ok(())
}

/// vim `+cmd` operands and `-u vimrc` run editor commands.
pub(crate) fn vim(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>) -> Res {
    if ck.code_eval_allowed() {
        return Ok(());
    }
    for op in parsed.operands() {
        if let Some(cmd) = op.strip_prefix('+')
            && !(cmd.is_empty()
                || cmd.bytes().all(|b| b.is_ascii_digit())
                || cmd.starts_with(['/', '?']))
        {
            return Err(ck.code_eval(
                program,
                op,
                "runs an editor command, which can run shell commands",
            ));
        }
    }
    for v in parsed.values_of("-u").flatten() {
        if !matches!(v, "NONE" | "NORC" | "DEFAULTS") {
            return Err(ck.code_eval(program, &format!("-u {v}"), "runs an editor script"));
        }
    }
    Ok(())
}

/// ssh-family `-o ProxyCommand=...` and scp/sftp `-S program` run local commands.
pub(crate) fn ssh(ck: &mut Checker<'_>, program: &str, parsed: &Parsed<'_>, depth: usize) -> Res {
    let allow = ck.code_eval_allowed();
    for v in parsed.values_of("-o").flatten() {
        let key = v
            .split(|c: char| c == '=' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if !allow
            && matches!(
                key.as_str(),
                "proxycommand" | "localcommand" | "permitlocalcommand" | "knownhostscommand"
            )
        {
            return Err(ck.code_eval(program, &format!("-o {v}"), "runs a local command"));
        }
    }
    if program != "ssh" {
        for v in parsed.values_of("-S").flatten() {
            ck.argv(&[Word::lit(v)], depth + 1, false).map_err(|b| {
                b.via(&Via {
                    program,
                    what: "-S",
                })
            })?;
        }
    }
    Ok(())
}

/// `cd DIR`, `pushd DIR`, `popd`: later relative paths resolve against the new directory.
pub(crate) fn cd(ck: &mut Checker<'_>, program: &str, words: &[Word<'_>], depth: usize) -> Res {
    if program == "popd" {
        return ck.chdir("-", false, false);
    }
    // Options (`-L`, `-P`, `-e`, `-@`, pushd `-n`) come first; `--` ends them.
    let mut target = None;
    let mut rest = words[1..].iter();
    while let Some(w) = rest.next() {
        let t: &str = &w.text;
        if t == "--" {
            target = rest.next();
            break;
        }
        let stack_rotation = program == "pushd"
            && t.strip_prefix('-')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        if t.starts_with('-') && t.len() > 1 && !stack_rotation {
            continue;
        }
        target = Some(w);
        break;
    }
    match target {
        None => ck.chdir("~", depth == 0, true),
        Some(w) => {
            ck.path_word(program, w)?;
            let t: &str = &w.text;
            if program == "pushd" && (t.starts_with('+') || t.starts_with('-')) && t.len() > 1 {
                // pushd +N / -N rotates the directory stack: any directory seen so far.
                return ck.chdir("-", false, false);
            }
            ck.chdir(t, depth == 0, w.has(TILDE))
        }
    }
}

/// Builtins that assign variables by name (`export`, `read`, `printf -v`, ...).
pub(crate) fn var_builtin(
    ck: &mut Checker<'_>,
    program: &str,
    words: &[Word<'_>],
    _parsed: &Parsed<'_>,
) -> Res {
    let args: Vec<&str> = words[1..].iter().map(|w| &*w.text).collect();
    let refuse = |name: &str, why: &str| {
        Block::new(
            Rule::SensitiveVariable,
            format!("`{program}` would set `{name}`, which is not allowed: {why}; remove it"),
            Some(program),
        )
    };
    match program {
        "export" | "declare" | "typeset" | "readonly" | "local" => {
            for a in &args {
                if a.starts_with(['-', '+']) && a.len() > 1 {
                    if program != "export" && a[1..].contains('n') {
                        return Err(Block::new(
                            Rule::UnsupportedSyntax,
                            format!(
                                "`{program} {a}` creates a name reference, which the gate does not follow; assign variables directly"
                            ),
                            Some(program),
                        ));
                    }
                    continue;
                }
                if let Some((name, value)) = a.split_once('=') {
                    let name = name.trim_end_matches('+');
                    ck.assignment(name, value, Some(program))?;
                }
            }
        }
        "read" | "mapfile" | "readarray" | "getopts" | "printf" | "let" => {
            let value_opts: &[&str] = match program {
                "read" => &["-a", "-d", "-i", "-n", "-N", "-p", "-t", "-u"],
                "mapfile" | "readarray" => &["-d", "-n", "-O", "-s", "-u", "-C", "-c"],
                _ => &[],
            };
            let mut names: Vec<&str> = Vec::new();
            let mut i = 0;
            let mut operands = Vec::new();
            while let Some(a) = args.get(i) {
                if program == "printf" && *a == "-v" {
                    names.extend(args.get(i + 1));
                    i += 2;
                    continue;
                }
                if program == "read" && *a == "-a" {
                    names.extend(args.get(i + 1));
                    i += 2;
                    continue;
                }
                if a.starts_with('-') && a.len() > 1 && program != "let" && operands.is_empty() {
                    i += if value_opts.contains(a) { 2 } else { 1 };
                    continue;
                }
                operands.push(*a);
                i += 1;
            }
            match program {
                "read" | "mapfile" | "readarray" => names.extend(operands),
                "getopts" => names.extend(operands.get(1)),
                "let" => names.extend(operands.iter().map(|o| {
                    o.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or("")
                })),
                _ => {}
            }
            for n in names {
                if let Some(why) = sensitive(n) {
                    return Err(refuse(n, why));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Builtins that change what a command name runs.
pub(crate) fn shell_resolve(program: &str, words: &[Word<'_>]) -> Res {
    let args = &words[1..];
    let refuse = |what: &str| {
        Err(Block::new(
            Rule::UnsupportedSyntax,
            format!(
                "`{program}` {what}, which would change what later command names run; the gate does not allow that"
            ),
            Some(program),
        ))
    };
    match program {
        "hash"
            if args
                .iter()
                .any(|w| w.text.starts_with('-') && w.text.contains('p')) =>
        {
            refuse("with `-p` binds a command name to an arbitrary file")
        }
        "enable" if !args.is_empty() => refuse("loads or disables shell builtins"),
        "alias" if args.iter().any(|w| w.text.contains('=')) => refuse("defines an alias"),
        _ => Ok(()),
    }
}

/// Primaries of `find` that take one argument.
fn find_takes_arg(p: &str) -> bool {
    matches!(
        p,
        "-name"
            | "-iname"
            | "-path"
            | "-ipath"
            | "-wholename"
            | "-iwholename"
            | "-regex"
            | "-iregex"
            | "-type"
            | "-xtype"
            | "-user"
            | "-group"
            | "-perm"
            | "-size"
            | "-mtime"
            | "-atime"
            | "-ctime"
            | "-mmin"
            | "-amin"
            | "-cmin"
            | "-samefile"
            | "-inum"
            | "-links"
            | "-maxdepth"
            | "-mindepth"
            | "-printf"
            | "-fstype"
            | "-uid"
            | "-gid"
            | "-lname"
            | "-ilname"
            | "-used"
            | "-context"
            | "-files0-from"
            | "-regextype"
    ) || p.starts_with("-newer")
}

/// `find`: starting points and path arguments are checked; `-exec`/`-ok` run their command
/// (gated, with `{}` as input), `-delete` runs `rm`, `-fprint*`/`-fls` write files.
pub(crate) fn find(ck: &mut Checker<'_>, program: &str, words: &[Word<'_>], depth: usize) -> Res {
    let find_spec = spec::lookup("find").unwrap_or(&UNKNOWN);
    let mut items: Vec<Item<'_>> = Vec::new();
    let mut i = 1;
    while let Some(w) = words.get(i) {
        match &*w.text {
            "-H" | "-L" | "-P" => i += 1,
            "-D" => i += 2,
            t if t.starts_with("-O") => i += 1,
            _ => break,
        }
    }
    while let Some(w) = words.get(i) {
        let t: &str = &w.text;
        if (t.starts_with('-') && t.len() > 1) || matches!(t, "(" | ")" | "!" | ",") {
            break;
        }
        ck.path_word(program, w)?;
        items.push(Item::Operand {
            text: &w.text,
            word: i - 1,
            maybe_value: false,
        });
        i += 1;
    }
    while let Some(w) = words.get(i) {
        let t: &str = &w.text;
        let opt = Item::Opt {
            name: OptName::Long(t),
            value: None,
            spec: find_spec,
            word: i - 1,
        };
        match t {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                items.push(opt);
                let start = i + 1;
                let mut end = start;
                while end < words.len()
                    && words[end].text != ";"
                    && !(words[end].text == "+" && end > start && words[end - 1].text == "{}")
                {
                    end += 1;
                }
                if end > start {
                    ck.taint.push("{}".to_owned());
                    let r = ck.argv(&words[start..end], depth + 1, false);
                    ck.taint.pop();
                    r.map_err(|b| b.via(&Via { program, what: t }))?;
                }
                i = end + 1;
            }
            "-delete" => {
                items.push(opt);
                ck.argv(&[Word::lit("rm")], depth + 1, false).map_err(|b| {
                    b.via(&Via {
                        program,
                        what: "-delete",
                    })
                })?;
                i += 1;
            }
            "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                items.push(opt);
                if let Some(f) = words.get(i + 1) {
                    ck.output(program, &f.text, f.has(TILDE), t)?;
                }
                i += if t == "-fprintf" { 3 } else { 2 };
            }
            _ if find_takes_arg(t) => {
                items.push(opt);
                if let Some(v) = words.get(i + 1) {
                    ck.path_word(program, v)?;
                }
                i += 2;
            }
            _ => {
                if t.starts_with('-') && t.len() > 1 {
                    items.push(opt);
                }
                ck.path_word(program, w)?;
                i += 1;
            }
        }
    }
    let parsed = Parsed {
        items,
        rest: words.len(),
        sub: None,
        opts_end: usize::MAX,
    };
    ck.blocked(program, &words[1..], &parsed)
}
