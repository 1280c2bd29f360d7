//! Interpreters and editors: which options supply or evaluate program text.

use crate::policy::spec::Arg::{Attached, AttachedNonAlpha, Chars, Value, ValueStop};
use crate::policy::spec::{BASE, Kind, Spec, Sub};

// ---------------------------------------------------------------- interpreters

pub(crate) static PYTHON: Spec = Spec {
    names: &["python", "python2", "python3", "pypy", "pypy3"],
    short: &[
        ('c', ValueStop),
        ('m', ValueStop),
        ('W', Value),
        ('X', Value),
        ('Q', Value),
    ],
    long_value: &["--check-hash-based-pycs"],
    stop_at_operand: true,
    code: &["-c"],
    program_opts: &["-c", "-m"],
    stdin_program: true,
    kind: Kind::Python,
    ..BASE
};

pub(crate) static NODE: Spec = Spec {
    names: &["node", "nodejs"],
    short: &[('e', Value), ('p', Value), ('r', Value), ('C', Value)],
    long_value: &[
        "--eval",
        "--print",
        "--require",
        "--import",
        "--loader",
        "--experimental-loader",
        "--input-type",
        "--conditions",
        "--title",
        "--env-file",
        "--inspect-port",
        "--redirect-warnings",
        "--report-dir",
        "--report-filename",
        "--diagnostic-dir",
        "--icu-data-dir",
        "--openssl-config",
        "--stack-size",
        "--run",
        "--test-name-pattern",
        "--watch-path",
        "--experimental-config-file",
    ],
    aliases: &[
        ("-e", "--eval"),
        ("-p", "--print"),
        ("-r", "--require"),
        ("-C", "--conditions"),
    ],
    stop_at_operand: true,
    code: &["--eval", "--print"],
    program_opts: &["--eval", "--print", "--run"],
    stdin_program: true,
    program_file_opts: &["--require", "--import", "--loader", "--experimental-loader"],
    kind: Kind::Node,
    ..BASE
};

pub(crate) static PERL: Spec = Spec {
    names: &["perl"],
    short: &[
        ('e', Value),
        ('E', Value),
        ('I', Value),
        ('M', Value),
        ('m', Value),
        ('i', AttachedNonAlpha),
        ('l', Chars("01234567")),
        ('0', Chars("0123456789abcdefABCDEFxX")),
        ('x', Attached),
        ('C', Chars("0123456789IOEioASDLa")),
        ('d', Attached),
        ('D', Attached),
        ('F', Attached),
        ('V', Attached),
    ],
    stop_at_operand: true,
    code: &["-e", "-E"],
    program_opts: &["-e", "-E"],
    stdin_program: true,
    program_file_opts: &["-M", "-m"],
    kind: Kind::Perl,
    ..BASE
};

pub(crate) static RUBY: Spec = Spec {
    names: &["ruby"],
    short: &[
        ('e', Value),
        ('r', Value),
        ('I', Value),
        ('C', Value),
        ('E', Value),
        ('F', Attached),
        ('x', Attached),
        ('i', Attached),
        ('W', Attached),
        ('T', Attached),
        ('K', Attached),
        ('0', Chars("01234567")),
    ],
    long_value: &["--encoding", "--external-encoding", "--internal-encoding"],
    stop_at_operand: true,
    code: &["-e"],
    chdir: &["-C"],
    program_opts: &["-e"],
    stdin_program: true,
    program_file_opts: &["-r"],
    ..BASE
};

pub(crate) static PHP: Spec = Spec {
    names: &["php", "php-cli"],
    short: &[
        ('r', Value),
        ('B', Value),
        ('R', Value),
        ('E', Value),
        ('F', Value),
        ('f', Value),
        ('c', Value),
        ('d', Value),
        ('z', Value),
        ('t', Value),
        ('S', Value),
    ],
    stop_at_operand: true,
    code: &["-r", "-B", "-R", "-E"],
    program_opts: &["-r", "-B", "-R", "-E", "-F", "-f", "-S"],
    stdin_program: true,
    ..BASE
};

pub(crate) static LUA: Spec = Spec {
    names: &["lua", "luajit"],
    short: &[('e', Value), ('l', Value), ('j', Value), ('O', Attached)],
    stop_at_operand: true,
    code: &["-e"],
    program_opts: &["-e"],
    stdin_program: true,
    ..BASE
};

pub(crate) static RSCRIPT: Spec = Spec {
    names: &["Rscript"],
    short: &[('e', Value)],
    long_value: &["--expr", "--default-packages"],
    stop_at_operand: true,
    code: &["-e", "--expr"],
    program_opts: &["-e", "--expr"],
    stdin_program: true,
    ..BASE
};

pub(crate) static R: Spec = Spec {
    names: &["R"],
    short: &[('e', Value), ('f', Value), ('d', Value), ('g', Value)],
    long_value: &["--file", "--debugger", "--gui", "--encoding"],
    aliases: &[("-f", "--file")],
    code: &["-e"],
    program_opts: &["-e", "--file"],
    stdin_program: true,
    ..BASE
};

pub(crate) static DENO: Spec = Spec {
    names: &["deno"],
    subs: &[Sub {
        names: &["eval"],
        spec: &DENO_EVAL,
    }],
    default_sub: Some(&DENO_SUB),
    ..BASE
};
pub(crate) static DENO_EVAL: Spec = Spec {
    code_sub: true,
    ..BASE
};
pub(crate) static DENO_SUB: Spec = Spec { names: &[], ..BASE };

pub(crate) static BUN: Spec = Spec {
    names: &["bun"],
    short: &[('e', Value), ('p', Value)],
    long_value: &["--eval", "--print"],
    aliases: &[("-e", "--eval"), ("-p", "--print")],
    code: &["--eval", "--print"],
    ..BASE
};

pub(crate) static TCLSH: Spec = Spec {
    names: &["tclsh", "wish", "jshell", "irb"],
    stop_at_operand: true,
    stdin_program: true,
    ..BASE
};

pub(crate) static GDB: Spec = Spec {
    names: &["gdb", "gdb-multiarch", "cgdb"],
    short: &[
        ('x', Value),
        ('p', Value),
        ('c', Value),
        ('d', Value),
        ('s', Value),
    ],
    long_value: &[
        "-ex",
        "-iex",
        "-ix",
        "-eval-command",
        "-init-eval-command",
        "-init-command",
        "-command",
        "--eval-command",
        "--init-eval-command",
        "--init-command",
        "--command",
        "--pid",
        "--core",
        "--directory",
        "--symbols",
        "--exec",
        "--cd",
        "--data-directory",
    ],
    code: &[
        "-x",
        "-ex",
        "-iex",
        "-ix",
        "-eval-command",
        "-init-eval-command",
        "-init-command",
        "-command",
        "--eval-command",
        "--init-eval-command",
        "--init-command",
        "--command",
    ],
    ..BASE
};

pub(crate) static VIM: Spec = Spec {
    names: &[
        "vim", "vi", "nvim", "ex", "view", "gvim", "rvim", "vimdiff", "evim", "gview",
    ],
    short: &[
        ('c', Value),
        ('t', Value),
        ('q', Value),
        ('u', Value),
        ('U', Value),
        ('i', Value),
        ('T', Value),
        ('w', Value),
        ('W', Value),
        ('s', Value),
        ('o', Attached),
        ('O', Attached),
        ('p', Attached),
    ],
    long_value: &["--cmd", "--startuptime", "--servername", "--listen"],
    code: &["-c", "--cmd", "-S", "-s"],
    kind: Kind::Vim,
    ..BASE
};

/// `ed` reads editing commands, including `!command`, from its input.
pub(crate) static ED: Spec = Spec {
    names: &["ed", "red"],
    short: &[('p', Value)],
    stdin_program: true,
    stdin_always: true,
    ..BASE
};

/// `dc` runs `!command` from its expressions.
pub(crate) static DC: Spec = Spec {
    names: &["dc"],
    short: &[('e', Value), ('f', Value)],
    long_value: &["--expression", "--file"],
    aliases: &[("-e", "--expression"), ("-f", "--file")],
    prefixes: true,
    code: &["--expression", "--file"],
    program_opts: &["--expression", "--file"],
    stdin_program: true,
    ..BASE
};

pub(crate) static EMACS: Spec = Spec {
    names: &["emacs", "emacs-nox"],
    short: &[
        ('l', Value),
        ('f', Value),
        ('L', Value),
        ('t', Value),
        ('u', Value),
    ],
    long_value: &[
        "--eval",
        "--load",
        "--funcall",
        "--directory",
        "--script",
        "--terminal",
        "--user",
    ],
    aliases: &[("-l", "--load"), ("-f", "--funcall"), ("-L", "--directory")],
    prefixes: true,
    code: &["--eval", "--load", "--funcall", "--script"],
    ..BASE
};

pub(crate) static EXPECT: Spec = Spec {
    names: &["expect"],
    short: &[('c', Value), ('f', Value)],
    stop_at_operand: true,
    code: &["-c"],
    program_opts: &["-c", "-f"],
    stdin_program: true,
    ..BASE
};
