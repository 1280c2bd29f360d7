//! Wrappers: programs that run another program given on their command line.

use crate::policy::spec::Arg::{Attached, Value};
use crate::policy::spec::{BASE, Kind, Spec, WBASE, WrapperSpec};

// ---------------------------------------------------------------- wrappers

pub(crate) static ENV: Spec = Spec {
    names: &["env"],
    short: &[('u', Value), ('C', Value), ('S', Value), ('a', Value)],
    long_value: &["--unset", "--chdir", "--split-string", "--argv0"],
    long_flags: &[
        "--ignore-environment",
        "--null",
        "--debug",
        "--block-signal",
        "--default-signal",
        "--ignore-signal",
        "--list-signal-handling",
        "--help",
        "--version",
    ],
    aliases: &[
        ("-u", "--unset"),
        ("-C", "--chdir"),
        ("-S", "--split-string"),
        ("-i", "--ignore-environment"),
        ("-0", "--null"),
        ("-v", "--debug"),
        ("-a", "--argv0"),
    ],
    prefixes: true,
    stop_at_operand: true,
    chdir: &["--chdir"],
    kind: Kind::Wrapper(&ENV_W),
    ..BASE
};
pub(crate) static ENV_W: WrapperSpec = WrapperSpec {
    assignments: true,
    split_opts: &["--split-string"],
    ..WBASE
};

pub(crate) static XARGS: Spec = Spec {
    names: &["xargs"],
    short: &[
        ('I', Value),
        ('i', Attached),
        ('n', Value),
        ('L', Value),
        ('l', Attached),
        ('P', Value),
        ('d', Value),
        ('E', Value),
        ('e', Attached),
        ('s', Value),
        ('a', Value),
    ],
    long_value: &[
        "--arg-file",
        "--delimiter",
        "--max-args",
        "--max-procs",
        "--max-chars",
        "--process-slot-var",
    ],
    long_flags: &[
        "--null",
        "--no-run-if-empty",
        "--verbose",
        "--interactive",
        "--exit",
        "--max-lines",
        "--eof",
        "--replace",
        "--open-tty",
        "--show-limits",
        "--help",
        "--version",
    ],
    aliases: &[
        ("-I", "--replace"),
        ("-i", "--replace"),
        ("-a", "--arg-file"),
    ],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&XARGS_W),
    ..BASE
};
pub(crate) static XARGS_W: WrapperSpec = WrapperSpec {
    default_command: Some("echo"),
    replace_opts: &["--replace"],
    appends_input: true,
    ..WBASE
};

pub(crate) static TIMEOUT: Spec = Spec {
    names: &["timeout"],
    short: &[('s', Value), ('k', Value)],
    long_value: &["--signal", "--kill-after"],
    long_flags: &[
        "--preserve-status",
        "--foreground",
        "--verbose",
        "--help",
        "--version",
    ],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&TIMEOUT_W),
    ..BASE
};
pub(crate) static TIMEOUT_W: WrapperSpec = WrapperSpec {
    skip_operands: 1,
    ..WBASE
};

pub(crate) static PLAIN_W: WrapperSpec = WBASE;

pub(crate) static NICE: Spec = Spec {
    names: &["nice"],
    short: &[('n', Value)],
    long_value: &["--adjustment"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static NOHUP: Spec = Spec {
    names: &["nohup"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static STDBUF: Spec = Spec {
    names: &["stdbuf"],
    short: &[('i', Value), ('o', Value), ('e', Value)],
    long_value: &["--input", "--output", "--error"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static SETSID: Spec = Spec {
    names: &["setsid"],
    long_flags: &["--ctty", "--fork", "--wait"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static TIME: Spec = Spec {
    names: &["time"],
    short: &[('o', Value), ('f', Value)],
    long_value: &["--output", "--format"],
    long_flags: &[
        "--portability",
        "--verbose",
        "--append",
        "--quiet",
        "--help",
        "--version",
    ],
    aliases: &[("-o", "--output"), ("-f", "--format")],
    prefixes: true,
    stop_at_operand: true,
    outputs: &["--output"],
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static COMMAND: Spec = Spec {
    names: &["command"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&COMMAND_W),
    ..BASE
};
pub(crate) static COMMAND_W: WrapperSpec = WrapperSpec {
    no_exec_opts: &["-v", "-V"],
    ..WBASE
};

pub(crate) static BUILTIN: Spec = Spec {
    names: &["builtin"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static EXEC: Spec = Spec {
    names: &["exec"],
    short: &[('a', Value)],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static EVAL: Spec = Spec {
    names: &["eval"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&JOIN_W),
    ..BASE
};
pub(crate) static JOIN_W: WrapperSpec = WrapperSpec {
    join_args: true,
    ..WBASE
};

pub(crate) static BUSYBOX: Spec = Spec {
    names: &["busybox"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static SUDO: Spec = Spec {
    names: &["sudo", "sudoedit"],
    short: &[
        ('u', Value),
        ('g', Value),
        ('p', Value),
        ('C', Value),
        ('r', Value),
        ('t', Value),
        ('T', Value),
        ('U', Value),
        ('D', Value),
        ('R', Value),
    ],
    long_value: &[
        "--user",
        "--group",
        "--prompt",
        "--close-from",
        "--role",
        "--type",
        "--command-timeout",
        "--other-user",
        "--chdir",
        "--chroot",
        "--host",
    ],
    long_flags: &[
        "--askpass",
        "--background",
        "--bell",
        "--preserve-env",
        "--edit",
        "--help",
        "--set-home",
        "--login",
        "--remove-timestamp",
        "--reset-timestamp",
        "--list",
        "--non-interactive",
        "--preserve-groups",
        "--stdin",
        "--shell",
        "--validate",
        "--version",
    ],
    aliases: &[
        ("-s", "--shell"),
        ("-i", "--login"),
        ("-l", "--list"),
        ("-e", "--edit"),
        ("-v", "--validate"),
        ("-V", "--version"),
        ("-D", "--chdir"),
        ("-u", "--user"),
    ],
    prefixes: true,
    stop_at_operand: true,
    chdir: &["--chdir"],
    kind: Kind::Wrapper(&SUDO_W),
    ..BASE
};
pub(crate) static SUDO_W: WrapperSpec = WrapperSpec {
    assignments: true,
    no_exec_opts: &["--list", "--edit", "--validate", "--version", "--help"],
    shell_opts: &["--shell", "--login"],
    ..WBASE
};

pub(crate) static DOAS: Spec = Spec {
    names: &["doas"],
    short: &[('u', Value), ('C', Value)],
    stop_at_operand: true,
    kind: Kind::Wrapper(&DOAS_W),
    ..BASE
};
pub(crate) static DOAS_W: WrapperSpec = WrapperSpec {
    shell_opts: &["-s"],
    ..WBASE
};

pub(crate) static SU: Spec = Spec {
    names: &["su", "runuser"],
    short: &[
        ('c', Value),
        ('s', Value),
        ('g', Value),
        ('G', Value),
        ('w', Value),
        ('u', Value),
    ],
    long_value: &[
        "--command",
        "--session-command",
        "--shell",
        "--group",
        "--supp-group",
        "--whitelist-environment",
        "--user",
    ],
    long_flags: &[
        "--login",
        "--preserve-environment",
        "--pty",
        "--help",
        "--version",
    ],
    aliases: &[
        ("-c", "--command"),
        ("-s", "--shell"),
        ("-l", "--login"),
        ("-m", "--preserve-environment"),
        ("-p", "--preserve-environment"),
        ("-g", "--group"),
        ("-G", "--supp-group"),
        ("-u", "--user"),
    ],
    prefixes: true,
    commands: &["--command", "--session-command"],
    kind: Kind::Su,
    ..BASE
};

pub(crate) static WATCH: Spec = Spec {
    names: &["watch"],
    short: &[('n', Value), ('q', Value)],
    long_value: &["--interval", "--equexit"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&JOIN_W),
    ..BASE
};

pub(crate) static FLOCK: Spec = Spec {
    names: &["flock"],
    short: &[('w', Value), ('E', Value), ('c', Value)],
    long_value: &["--wait", "--timeout", "--conflict-exit-code", "--command"],
    aliases: &[("-c", "--command"), ("-w", "--wait")],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&FLOCK_W),
    ..BASE
};
pub(crate) static FLOCK_W: WrapperSpec = WrapperSpec {
    skip_operands: 1,
    string_opts: &["--command"],
    c_after_operand: true,
    ..WBASE
};

pub(crate) static SCRIPT: Spec = Spec {
    names: &["script"],
    short: &[
        ('c', Value),
        ('T', Value),
        ('B', Value),
        ('I', Value),
        ('O', Value),
        ('E', Value),
        ('m', Value),
        ('t', Attached),
    ],
    long_value: &[
        "--command",
        "--log-io",
        "--log-in",
        "--log-out",
        "--log-timing",
        "--echo",
        "--logging-format",
        "--output-limit",
    ],
    aliases: &[("-c", "--command")],
    prefixes: true,
    kind: Kind::Wrapper(&SCRIPT_W),
    ..BASE
};
pub(crate) static SCRIPT_W: WrapperSpec = WrapperSpec {
    string_opts: &["--command"],
    shell_if_empty: true,
    no_operand_command: true,
    ..WBASE
};

pub(crate) static IONICE: Spec = Spec {
    names: &["ionice"],
    short: &[
        ('c', Value),
        ('n', Value),
        ('p', Value),
        ('P', Value),
        ('u', Value),
    ],
    long_value: &["--class", "--classdata", "--pid", "--pgid", "--uid"],
    aliases: &[("-p", "--pid"), ("-P", "--pgid"), ("-u", "--uid")],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&IONICE_W),
    ..BASE
};
pub(crate) static IONICE_W: WrapperSpec = WrapperSpec {
    no_exec_opts: &["--pid", "--pgid", "--uid"],
    ..WBASE
};

pub(crate) static CHRT: Spec = Spec {
    names: &["chrt"],
    short: &[('T', Value), ('P', Value), ('D', Value)],
    long_value: &["--sched-runtime", "--sched-period", "--sched-deadline"],
    aliases: &[("-p", "--pid")],
    long_flags: &["--pid"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&CHRT_W),
    ..BASE
};
pub(crate) static CHRT_W: WrapperSpec = WrapperSpec {
    skip_operands: 1,
    no_exec_opts: &["--pid"],
    ..WBASE
};

pub(crate) static TASKSET: Spec = Spec {
    names: &["taskset"],
    aliases: &[("-p", "--pid")],
    long_flags: &["--pid", "--cpu-list", "--all-tasks"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&TASKSET_W),
    ..BASE
};
pub(crate) static TASKSET_W: WrapperSpec = WrapperSpec {
    skip_operands: 1,
    no_exec_opts: &["--pid"],
    ..WBASE
};

pub(crate) static STRACE: Spec = Spec {
    names: &["strace"],
    short: &[
        ('e', Value),
        ('o', Value),
        ('p', Value),
        ('s', Value),
        ('u', Value),
        ('E', Value),
        ('a', Value),
        ('b', Value),
        ('I', Value),
        ('O', Value),
        ('P', Value),
        ('S', Value),
        ('X', Value),
        ('U', Value),
    ],
    long_value: &[
        "--output",
        "--attach",
        "--user",
        "--env",
        "--trace",
        "--string-limit",
    ],
    aliases: &[("-o", "--output")],
    prefixes: true,
    stop_at_operand: true,
    outputs: &["--output"],
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static LTRACE: Spec = Spec {
    names: &["ltrace"],
    short: &[
        ('e', Value),
        ('o', Value),
        ('p', Value),
        ('s', Value),
        ('u', Value),
        ('a', Value),
        ('A', Value),
        ('D', Value),
        ('F', Value),
        ('l', Value),
        ('n', Value),
        ('x', Value),
    ],
    long_value: &["--output", "--config", "--library", "--align", "--indent"],
    aliases: &[("-o", "--output")],
    prefixes: true,
    stop_at_operand: true,
    outputs: &["--output"],
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static UNBUFFER: Spec = Spec {
    names: &["unbuffer", "catchsegv", "dbus-run-session"],
    long_value: &["--config-file", "--dbus-daemon"],
    stop_at_operand: true,
    // dbus-run-session runs this program as the bus daemon.
    commands: &["--dbus-daemon"],
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static FAKEROOT: Spec = Spec {
    names: &["fakeroot"],
    short: &[('l', Value), ('s', Value), ('i', Value), ('b', Value)],
    long_value: &["--lib", "--faked"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static CHROOT: Spec = Spec {
    names: &["chroot"],
    long_value: &["--userspec", "--groups"],
    long_flags: &["--skip-chdir"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&CHROOT_W),
    ..BASE
};
pub(crate) static CHROOT_W: WrapperSpec = WrapperSpec {
    skip_operands: 1,
    shell_if_empty: true,
    ..WBASE
};

pub(crate) static SHELL_IF_EMPTY_W: WrapperSpec = WrapperSpec {
    shell_if_empty: true,
    ..WBASE
};

pub(crate) static NSENTER: Spec = Spec {
    names: &["nsenter"],
    short: &[
        ('t', Value),
        ('S', Value),
        ('G', Value),
        ('m', Attached),
        ('u', Attached),
        ('i', Attached),
        ('n', Attached),
        ('p', Attached),
        ('U', Attached),
        ('C', Attached),
        ('T', Attached),
        ('r', Attached),
        ('w', Attached),
    ],
    long_value: &["--target", "--setuid", "--setgid", "--env"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&SHELL_IF_EMPTY_W),
    ..BASE
};

pub(crate) static UNSHARE: Spec = Spec {
    names: &["unshare"],
    short: &[('S', Value), ('G', Value), ('R', Value), ('w', Value)],
    long_value: &[
        "--setuid",
        "--setgid",
        "--root",
        "--wd",
        "--propagation",
        "--setgroups",
        "--map-user",
        "--map-group",
        "--map-users",
        "--map-groups",
        "--kill-child",
    ],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&SHELL_IF_EMPTY_W),
    ..BASE
};

pub(crate) static PRLIMIT: Spec = Spec {
    names: &["prlimit"],
    short: &[
        ('p', Value),
        ('o', Value),
        ('c', Attached),
        ('d', Attached),
        ('e', Attached),
        ('f', Attached),
        ('i', Attached),
        ('l', Attached),
        ('m', Attached),
        ('n', Attached),
        ('q', Attached),
        ('r', Attached),
        ('s', Attached),
        ('t', Attached),
        ('u', Attached),
        ('v', Attached),
        ('x', Attached),
        ('y', Attached),
    ],
    long_value: &["--pid", "--output"],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static SETPRIV: Spec = Spec {
    names: &["setpriv"],
    long_value: &[
        "--ruid",
        "--euid",
        "--rgid",
        "--egid",
        "--reuid",
        "--regid",
        "--groups",
        "--inh-caps",
        "--ambient-caps",
        "--bounding-set",
        "--securebits",
        "--pdeathsig",
        "--selinux-label",
        "--apparmor-profile",
        "--landlock-access",
        "--landlock-rule",
        "--seccomp-filter",
    ],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static SG: Spec = Spec {
    names: &["sg"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&SG_W),
    ..BASE
};
pub(crate) static SG_W: WrapperSpec = WrapperSpec {
    skip_operands: 1,
    join_args: true,
    c_after_operand: true,
    ..WBASE
};

pub(crate) static XVFB_RUN: Spec = Spec {
    names: &["xvfb-run"],
    short: &[
        ('n', Value),
        ('s', Value),
        ('f', Value),
        ('e', Value),
        ('p', Value),
        ('w', Value),
    ],
    long_value: &[
        "--server-num",
        "--server-args",
        "--auth-file",
        "--error-file",
        "--xauth-protocol",
        "--wait",
    ],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static VALGRIND: Spec = Spec {
    names: &["valgrind"],
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};

pub(crate) static NUMACTL: Spec = Spec {
    names: &["numactl"],
    short: &[
        ('i', Value),
        ('p', Value),
        ('m', Value),
        ('C', Value),
        ('N', Value),
        ('P', Value),
        ('w', Value),
    ],
    long_value: &[
        "--interleave",
        "--preferred",
        "--membind",
        "--physcpubind",
        "--cpunodebind",
        "--preferred-many",
        "--weighted-interleave",
    ],
    prefixes: true,
    stop_at_operand: true,
    kind: Kind::Wrapper(&PLAIN_W),
    ..BASE
};
