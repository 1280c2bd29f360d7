//! git: global options, and per-subcommand specs for the subcommands that matter.

use crate::policy::spec::Arg::{Attached, Value};
use crate::policy::spec::{BASE, Kind, Spec, Sub};

// ---------------------------------------------------------------- git

pub(crate) static GIT: Spec = Spec {
    names: &["git"],
    short: &[('C', Value), ('c', Value)],
    long_value: &[
        "--git-dir",
        "--work-tree",
        "--namespace",
        "--super-prefix",
        "--config-env",
        "--list-cmds",
        "--attr-source",
    ],
    long_flags: &[
        "--exec-path",
        "--paginate",
        "--no-pager",
        "--bare",
        "--no-replace-objects",
        "--literal-pathspecs",
        "--glob-pathspecs",
        "--noglob-pathspecs",
        "--icase-pathspecs",
        "--no-optional-locks",
        "--no-advice",
        "--help",
        "--version",
        "--html-path",
        "--man-path",
        "--info-path",
    ],
    aliases: &[("-p", "--paginate"), ("-P", "--no-pager")],
    code: &["-c", "--config-env"],
    chdir: &["-C"],
    subs: &[
        Sub {
            names: &["push"],
            spec: &GIT_PUSH,
        },
        Sub {
            names: &["fetch"],
            spec: &GIT_FETCH,
        },
        Sub {
            names: &["pull"],
            spec: &GIT_PULL,
        },
        Sub {
            names: &["clone"],
            spec: &GIT_CLONE,
        },
        Sub {
            names: &["ls-remote"],
            spec: &GIT_LS_REMOTE,
        },
        Sub {
            names: &["archive"],
            spec: &GIT_ARCHIVE,
        },
        Sub {
            names: &["send-pack"],
            spec: &GIT_SEND_PACK,
        },
        Sub {
            names: &["fetch-pack"],
            spec: &GIT_FETCH_PACK,
        },
        Sub {
            names: &["config"],
            spec: &GIT_CONFIG,
        },
        Sub {
            names: &["remote"],
            spec: &GIT_REMOTE,
        },
        Sub {
            names: &["log", "show", "whatchanged"],
            spec: &GIT_LOG,
        },
        Sub {
            names: &["diff", "format-patch", "bundle"],
            spec: &GIT_DIFF,
        },
        Sub {
            names: &["commit"],
            spec: &GIT_COMMIT,
        },
        Sub {
            names: &["rebase"],
            spec: &GIT_REBASE,
        },
        Sub {
            names: &["difftool"],
            spec: &GIT_DIFFTOOL,
        },
        Sub {
            names: &["grep"],
            spec: &GIT_GREP,
        },
        Sub {
            names: &["filter-branch"],
            spec: &GIT_FILTER_BRANCH,
        },
        Sub {
            names: &["send-email"],
            spec: &GIT_SEND_EMAIL,
        },
        Sub {
            names: &["init"],
            spec: &GIT_INIT,
        },
    ],
    default_sub: Some(&GIT_SUB),
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_SUB: Spec = Spec {
    prefixes: true,
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_PUSH: Spec = Spec {
    short: &[('o', Value)],
    long_value: &["--repo", "--receive-pack", "--exec", "--push-option"],
    long_flags: &[
        "--force",
        "--force-with-lease",
        "--force-if-includes",
        "--set-upstream",
        "--delete",
        "--dry-run",
        "--all",
        "--branches",
        "--mirror",
        "--tags",
        "--follow-tags",
        "--atomic",
        "--prune",
        "--porcelain",
        "--no-verify",
        "--verify",
        "--thin",
        "--no-thin",
        "--quiet",
        "--verbose",
        "--progress",
        "--signed",
        "--no-signed",
        "--ipv4",
        "--ipv6",
        "--recurse-submodules",
        "--no-force-with-lease",
    ],
    aliases: &[
        ("-f", "--force"),
        ("-u", "--set-upstream"),
        ("-d", "--delete"),
        ("-n", "--dry-run"),
        ("-o", "--push-option"),
        ("-q", "--quiet"),
        ("-v", "--verbose"),
        ("-4", "--ipv4"),
        ("-6", "--ipv6"),
    ],
    prefixes: true,
    code: &["--receive-pack", "--exec"],
    plus_operand: Some("+refspec"),
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_FETCH: Spec = Spec {
    short: &[('o', Value), ('j', Value)],
    long_value: &[
        "--upload-pack",
        "--depth",
        "--deepen",
        "--shallow-since",
        "--shallow-exclude",
        "--refmap",
        "--recurse-submodules-default",
        "--negotiation-tip",
        "--server-option",
        "--jobs",
    ],
    aliases: &[("-u", "--upload-pack")],
    prefixes: true,
    code: &["--upload-pack"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_PULL: Spec = Spec {
    short: &[('o', Value), ('j', Value), ('s', Value), ('X', Value)],
    long_value: &[
        "--upload-pack",
        "--depth",
        "--deepen",
        "--shallow-since",
        "--shallow-exclude",
        "--strategy",
        "--strategy-option",
        "--server-option",
        "--jobs",
        "--negotiation-tip",
    ],
    aliases: &[("-u", "--upload-pack")],
    prefixes: true,
    code: &["--upload-pack"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_CLONE: Spec = Spec {
    short: &[
        ('o', Value),
        ('b', Value),
        ('u', Value),
        ('c', Value),
        ('j', Value),
    ],
    long_value: &[
        "--origin",
        "--branch",
        "--upload-pack",
        "--template",
        "--config",
        "--depth",
        "--shallow-since",
        "--shallow-exclude",
        "--reference",
        "--reference-if-able",
        "--separate-git-dir",
        "--jobs",
        "--filter",
        "--server-option",
        "--bundle-uri",
        "--ref-format",
        "--revision",
    ],
    aliases: &[
        ("-o", "--origin"),
        ("-b", "--branch"),
        ("-u", "--upload-pack"),
        ("-c", "--config"),
        ("-j", "--jobs"),
    ],
    prefixes: true,
    code: &["--upload-pack", "--template", "--config"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_LS_REMOTE: Spec = Spec {
    short: &[('o', Value)],
    long_value: &["--upload-pack", "--exec", "--sort", "--server-option"],
    aliases: &[("-u", "--upload-pack")],
    prefixes: true,
    code: &["--upload-pack", "--exec"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_ARCHIVE: Spec = Spec {
    short: &[('o', Value)],
    long_value: &[
        "--format",
        "--prefix",
        "--output",
        "--remote",
        "--exec",
        "--add-file",
        "--add-virtual-file",
        "--mtime",
    ],
    aliases: &[("-o", "--output")],
    prefixes: true,
    code: &["--exec"],
    outputs: &["--output"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_SEND_PACK: Spec = Spec {
    long_value: &["--receive-pack", "--exec"],
    prefixes: true,
    code: &["--receive-pack", "--exec"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_FETCH_PACK: Spec = Spec {
    long_value: &["--upload-pack", "--exec", "--depth"],
    prefixes: true,
    code: &["--upload-pack", "--exec"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_CONFIG: Spec = Spec {
    short: &[('f', Value)],
    long_value: &[
        "--file",
        "--blob",
        "--type",
        "--default",
        "--comment",
        "--value",
    ],
    long_flags: &[
        "--global",
        "--system",
        "--local",
        "--worktree",
        "--add",
        "--replace-all",
        "--unset",
        "--unset-all",
        "--get",
        "--get-all",
        "--get-regexp",
        "--get-urlmatch",
        "--list",
        "--edit",
        "--rename-section",
        "--remove-section",
        "--name-only",
        "--show-origin",
        "--show-scope",
        "--null",
        "--bool",
        "--int",
        "--path",
        "--expiry-date",
        "--includes",
        "--no-includes",
        "--fixed-value",
        "--all",
        "--append",
    ],
    aliases: &[
        ("-f", "--file"),
        ("-l", "--list"),
        ("-e", "--edit"),
        ("-z", "--null"),
    ],
    prefixes: true,
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_REMOTE: Spec = Spec {
    short: &[('t', Value), ('m', Value)],
    long_flags: &["--verbose", "--tags", "--no-tags", "--fetch", "--mirror"],
    aliases: &[("-v", "--verbose"), ("-f", "--fetch")],
    prefixes: true,
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_LOG: Spec = Spec {
    short: &[
        ('n', Value),
        ('U', Attached),
        ('L', Value),
        ('G', Value),
        ('S', Value),
    ],
    long_value: &[
        "--max-count",
        "--skip",
        "--since",
        "--after",
        "--until",
        "--before",
        "--author",
        "--committer",
        "--grep",
        "--encoding",
        "--unified",
        "--since-as-filter",
        "--output",
    ],
    long_flags: &[
        "--patch",
        "--patch-with-stat",
        "--patch-with-raw",
        "--no-patch",
        "--oneline",
        "--stat",
        "--graph",
        "--all",
        "--decorate",
        "--follow",
        "--reverse",
        "--name-only",
        "--name-status",
        "--raw",
        "--numstat",
        "--shortstat",
        "--summary",
    ],
    aliases: &[
        ("-p", "--patch"),
        ("-u", "--patch"),
        ("-U", "--unified"),
        ("-n", "--max-count"),
    ],
    implies: &[
        ("--patch-with-stat", "--patch"),
        ("--patch-with-raw", "--patch"),
        ("--unified", "--patch"),
    ],
    prefixes: true,
    outputs: &["--output"],
    kind: Kind::Git,
    ..BASE
};

/// `git diff` shares log's patch options; `format-patch -o DIR` and `diff --output` write files.
pub(crate) static GIT_DIFF: Spec = Spec {
    short: &[('U', Attached), ('o', Value), ('v', Value)],
    long_value: &[
        "--unified",
        "--output",
        "--output-directory",
        "--subject-prefix",
        "--suffix",
        "--signature-file",
        "--cover-letter-format",
        "--in-reply-to",
    ],
    long_flags: &[
        "--patch",
        "--no-patch",
        "--stat",
        "--cached",
        "--staged",
        "--name-only",
    ],
    aliases: &[
        ("-p", "--patch"),
        ("-u", "--patch"),
        ("-U", "--unified"),
        ("-o", "--output-directory"),
    ],
    implies: &[("--unified", "--patch")],
    prefixes: true,
    outputs: &["--output", "--output-directory"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_COMMIT: Spec = Spec {
    short: &[
        ('m', Value),
        ('F', Value),
        ('c', Value),
        ('C', Value),
        ('t', Value),
    ],
    long_value: &[
        "--message",
        "--file",
        "--reuse-message",
        "--reedit-message",
        "--fixup",
        "--squash",
        "--author",
        "--date",
        "--template",
        "--cleanup",
        "--trailer",
        "--pathspec-from-file",
    ],
    aliases: &[("-m", "--message"), ("-F", "--file"), ("-t", "--template")],
    prefixes: true,
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_REBASE: Spec = Spec {
    short: &[('x', Value), ('s', Value), ('X', Value)],
    long_value: &[
        "--exec",
        "--onto",
        "--strategy",
        "--strategy-option",
        "--whitespace",
    ],
    aliases: &[("-x", "--exec")],
    prefixes: true,
    commands: &["--exec"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_DIFFTOOL: Spec = Spec {
    short: &[('x', Value), ('t', Value)],
    long_value: &["--extcmd", "--tool"],
    aliases: &[("-x", "--extcmd"), ("-t", "--tool")],
    prefixes: true,
    commands: &["--extcmd"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_GREP: Spec = Spec {
    short: &[
        ('O', Attached),
        ('e', Value),
        ('f', Value),
        ('A', Value),
        ('B', Value),
        ('C', Value),
        ('m', Value),
    ],
    long_value: &[
        "--max-count",
        "--after-context",
        "--before-context",
        "--context",
        "--threads",
    ],
    long_flags: &["--open-files-in-pager"],
    aliases: &[("-O", "--open-files-in-pager")],
    prefixes: true,
    commands: &["--open-files-in-pager"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_FILTER_BRANCH: Spec = Spec {
    short: &[('d', Value)],
    long_value: &[
        "--env-filter",
        "--tree-filter",
        "--index-filter",
        "--parent-filter",
        "--msg-filter",
        "--commit-filter",
        "--tag-name-filter",
        "--subdirectory-filter",
        "--original",
        "--state-branch",
        "--setup",
    ],
    commands: &[
        "--env-filter",
        "--tree-filter",
        "--index-filter",
        "--parent-filter",
        "--msg-filter",
        "--commit-filter",
        "--tag-name-filter",
        "--setup",
    ],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_SEND_EMAIL: Spec = Spec {
    long_value: &[
        "--sendmail-cmd",
        "--to-cmd",
        "--cc-cmd",
        "--header-cmd",
        "--smtp-server",
        "--to",
        "--cc",
        "--bcc",
        "--from",
        "--subject",
        "--in-reply-to",
    ],
    prefixes: true,
    commands: &["--sendmail-cmd", "--to-cmd", "--cc-cmd", "--header-cmd"],
    kind: Kind::Git,
    ..BASE
};

pub(crate) static GIT_INIT: Spec = Spec {
    short: &[('b', Value)],
    long_value: &[
        "--template",
        "--separate-git-dir",
        "--initial-branch",
        "--object-format",
        "--ref-format",
        "--shared",
    ],
    prefixes: true,
    code: &["--template"],
    kind: Kind::Git,
    ..BASE
};
