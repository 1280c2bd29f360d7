//! File and text tools: archives, output files, find, sed, awk, grep.

#![allow(unused_imports)]
use super::super::spec::Arg::{Attached, AttachedNonAlpha, Chars, Value, ValueStop};
use super::super::spec::{BASE, Kind, Spec, Sub, WBASE, WrapperSpec};

// ---------------------------------------------------------------- file tools

pub(crate) static TAR: Spec = Spec {
    names: &["tar", "gtar", "bsdtar"],
    short: &[
        ('f', Value),
        ('C', Value),
        ('I', Value),
        ('F', Value),
        ('T', Value),
        ('X', Value),
        ('b', Value),
        ('g', Value),
        ('H', Value),
        ('K', Value),
        ('L', Value),
        ('N', Value),
        ('V', Value),
        ('s', Value),
    ],
    long_value: &[
        "--file", "--directory", "--use-compress-program", "--info-script", "--new-volume-script",
        "--to-command", "--rsh-command", "--checkpoint-action", "--files-from", "--exclude-from",
        "--exclude", "--transform", "--xform", "--owner", "--group", "--mode", "--mtime",
        "--newer", "--after-date", "--newer-mtime", "--format", "--label", "--tape-length",
        "--blocking-factor", "--record-size", "--listed-incremental", "--suffix",
        "--strip-components", "--index-file", "--volno-file", "--sort", "--warning",
        "--starting-file", "--owner-map", "--group-map", "--hole-detection", "--backup",
        "--quoting-style", "--quote-chars", "--no-quote-chars", "--pax-option", "--level",
    ],
    long_flags: &[
        "--create", "--extract", "--get", "--list", "--append", "--update", "--concatenate",
        "--catenate", "--diff", "--compare", "--delete", "--gzip", "--gunzip", "--bzip2", "--xz",
        "--lzma", "--lzip", "--lzop", "--zstd", "--compress", "--uncompress", "--auto-compress",
        "--verbose", "--to-stdout", "--totals", "--checkpoint", "--keep-old-files",
        "--overwrite", "--preserve-permissions", "--same-owner", "--no-same-owner",
        "--numeric-owner", "--dereference", "--one-file-system", "--absolute-names",
        "--ignore-zeros", "--wildcards", "--no-wildcards", "--anchored", "--recursion",
        "--no-recursion", "--null", "--verify", "--remove-files", "--sparse", "--multi-volume",
        "--show-transformed-names", "--utc", "--usage", "--help", "--version",
    ],
    aliases: &[
        ("-f", "--file"),
        ("-C", "--directory"),
        ("-I", "--use-compress-program"),
        ("-F", "--info-script"),
        ("-T", "--files-from"),
        ("-X", "--exclude-from"),
        ("-g", "--listed-incremental"),
    ],
    prefixes: true,
    old_style: true,
    commands: &[
        "--use-compress-program", "--to-command", "--info-script", "--new-volume-script",
        "--rsh-command",
    ],
    chdir: &["--directory"],
    kind: Kind::Tar,
    ..BASE
};

pub(crate) static TEE: Spec = Spec {
    names: &["tee"],
    long_flags: &["--append", "--ignore-interrupts", "--output-error"],
    prefixes: true,
    operands_are_outputs: true,
    ..BASE
};

pub(crate) static SORT: Spec = Spec {
    names: &["sort"],
    short: &[('o', Value), ('T', Value), ('S', Value), ('k', Value), ('t', Value)],
    long_value: &[
        "--output", "--temporary-directory", "--buffer-size", "--key", "--field-separator",
        "--files0-from", "--compress-program", "--batch-size", "--parallel", "--random-source",
        "--sort",
    ],
    aliases: &[("-o", "--output"), ("-T", "--temporary-directory")],
    prefixes: true,
    commands: &["--compress-program"],
    outputs: &["--output"],
    ..BASE
};

pub(crate) static DD: Spec = Spec {
    names: &["dd"],
    kv_outputs: &["of"],
    ..BASE
};

pub(crate) static FIND: Spec = Spec {
    names: &["find", "gfind"],
    kind: Kind::Find,
    ..BASE
};

pub(crate) static SED: Spec = Spec {
    names: &["sed", "gsed"],
    short: &[('e', Value), ('f', Value), ('l', Value), ('i', Attached)],
    long_value: &["--expression", "--file", "--line-length"],
    long_flags: &[
        "--in-place", "--quiet", "--silent", "--regexp-extended", "--separate", "--unbuffered",
        "--null-data", "--zero-terminated", "--posix", "--sandbox", "--debug",
        "--follow-symlinks", "--binary", "--help", "--version",
    ],
    aliases: &[
        ("-e", "--expression"),
        ("-f", "--file"),
        ("-l", "--line-length"),
        ("-i", "--in-place"),
        ("-n", "--quiet"),
        ("--silent", "--quiet"),
        ("-E", "--regexp-extended"),
        ("-r", "--regexp-extended"),
        ("-s", "--separate"),
        ("-z", "--null-data"),
    ],
    prefixes: true,
    code: &["--file"],
    kind: Kind::Sed,
    ..BASE
};

pub(crate) static AWK: Spec = Spec {
    names: &["awk", "gawk", "mawk", "nawk", "original-awk"],
    short: &[
        ('f', Value),
        ('v', Value),
        ('F', Value),
        ('e', Value),
        ('i', Value),
        ('l', Value),
        ('E', Value),
        ('W', Value),
        ('o', Attached),
        ('p', Attached),
        ('d', Attached),
        ('D', Attached),
    ],
    long_value: &[
        "--file", "--assign", "--field-separator", "--source", "--include", "--load", "--exec",
    ],
    long_flags: &[
        "--characters-as-bytes", "--traditional", "--copyright", "--debug", "--dump-variables",
        "--gen-pot", "--help", "--lint", "--bignum", "--use-lc-numeric", "--non-decimal-data",
        "--optimize", "--profile", "--pretty-print", "--posix", "--re-interval", "--no-optimize",
        "--sandbox", "--lint-old", "--version", "--csv",
    ],
    aliases: &[
        ("-f", "--file"),
        ("-v", "--assign"),
        ("-F", "--field-separator"),
        ("-e", "--source"),
        ("-i", "--include"),
        ("-l", "--load"),
        ("-E", "--exec"),
    ],
    prefixes: true,
    code: &["--file", "--include", "--load", "--exec"],
    kind: Kind::Awk,
    ..BASE
};

pub(crate) static GREP: Spec = Spec {
    names: &["grep", "egrep", "fgrep"],
    short: &[
        ('e', Value),
        ('f', Value),
        ('m', Value),
        ('A', Value),
        ('B', Value),
        ('C', Value),
        ('d', Value),
        ('D', Value),
    ],
    long_value: &[
        "--regexp", "--file", "--max-count", "--after-context", "--before-context", "--context",
        "--devices", "--directories", "--label", "--include", "--exclude", "--exclude-dir",
        "--exclude-from", "--binary-files", "--group-separator",
    ],
    aliases: &[("-e", "--regexp"), ("-f", "--file")],
    prefixes: true,
    ..BASE
};
