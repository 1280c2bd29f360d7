//! Network, build and package tools.

#![allow(unused_imports)]
use super::super::spec::Arg::{Attached, AttachedNonAlpha, Chars, Value, ValueStop};
use super::super::spec::{BASE, Kind, Spec, Sub, WBASE, WrapperSpec};

// ---------------------------------------------------------------- network tools

pub(crate) static SSH: Spec = Spec {
    names: &["ssh", "slogin", "autossh"],
    short: &[
        ('b', Value),
        ('c', Value),
        ('D', Value),
        ('E', Value),
        ('e', Value),
        ('F', Value),
        ('I', Value),
        ('i', Value),
        ('J', Value),
        ('L', Value),
        ('l', Value),
        ('m', Value),
        ('O', Value),
        ('o', Value),
        ('p', Value),
        ('Q', Value),
        ('R', Value),
        ('S', Value),
        ('W', Value),
        ('w', Value),
        ('B', Value),
        ('P', Value),
    ],
    stop_at_operand: true,
    code: &["-F"],
    kind: Kind::Ssh,
    ..BASE
};

pub(crate) static SCP: Spec = Spec {
    names: &["scp", "sftp"],
    short: &[
        ('c', Value),
        ('F', Value),
        ('i', Value),
        ('J', Value),
        ('l', Value),
        ('o', Value),
        ('P', Value),
        ('S', Value),
        ('D', Value),
        ('B', Value),
        ('b', Value),
        ('R', Value),
        ('s', Value),
        ('X', Value),
    ],
    code: &["-F"],
    kind: Kind::Ssh,
    ..BASE
};

pub(crate) static RSYNC: Spec = Spec {
    names: &["rsync"],
    short: &[('e', Value), ('f', Value), ('B', Value), ('T', Value), ('M', Value)],
    long_value: &[
        "--rsh", "--rsync-path", "--filter", "--exclude", "--include", "--exclude-from",
        "--include-from", "--files-from", "--temp-dir", "--log-file", "--log-file-format",
        "--write-batch", "--only-write-batch", "--read-batch", "--backup-dir", "--partial-dir",
        "--password-file", "--chown", "--chmod", "--suffix", "--compare-dest", "--copy-dest",
        "--link-dest", "--bwlimit", "--timeout", "--port", "--out-format", "--remote-option",
        "--usermap", "--groupmap", "--max-size", "--min-size", "--block-size", "--modify-window",
        "--compress-choice", "--checksum-choice", "--info", "--debug", "--iconv", "--sockopts",
    ],
    aliases: &[("-e", "--rsh"), ("-T", "--temp-dir")],
    commands: &["--rsh"],
    outputs: &["--log-file", "--write-batch", "--only-write-batch"],
    ..BASE
};

pub(crate) static CURL: Spec = Spec {
    names: &["curl"],
    short: &[
        ('A', Value),
        ('b', Value),
        ('c', Value),
        ('C', Value),
        ('d', Value),
        ('D', Value),
        ('e', Value),
        ('E', Value),
        ('F', Value),
        ('H', Value),
        ('K', Value),
        ('m', Value),
        ('o', Value),
        ('P', Value),
        ('Q', Value),
        ('r', Value),
        ('T', Value),
        ('t', Value),
        ('u', Value),
        ('U', Value),
        ('w', Value),
        ('x', Value),
        ('X', Value),
        ('y', Value),
        ('Y', Value),
        ('z', Value),
    ],
    long_value: &[
        "--output", "--config", "--data", "--data-binary", "--data-raw", "--data-urlencode",
        "--data-ascii", "--json", "--header", "--proxy-header", "--user-agent", "--cookie",
        "--cookie-jar", "--dump-header", "--form", "--form-string", "--upload-file", "--user",
        "--proxy", "--proxy-user", "--request", "--referer", "--write-out", "--max-time",
        "--connect-timeout", "--range", "--trace", "--trace-ascii", "--stderr", "--output-dir",
        "--cert", "--key", "--cacert", "--capath", "--url", "--resolve", "--connect-to",
        "--libcurl", "--etag-save", "--etag-compare", "--hsts", "--alt-svc", "--netrc-file",
        "--unix-socket", "--abstract-unix-socket", "--interface", "--limit-rate", "--retry",
        "--retry-delay", "--retry-max-time", "--create-file-mode", "--variable", "--telnet-option",
        "--quote", "--time-cond", "--continue-at", "--max-filesize", "--speed-limit",
        "--speed-time", "--ftp-port", "--mail-from", "--mail-rcpt", "--oauth2-bearer",
        "--aws-sigv4", "--pinnedpubkey", "--tls-max", "--ciphers", "--dns-servers", "--preproxy",
        "--proto", "--proto-redir", "--proto-default", "--socks5", "--socks5-hostname",
        "--expect100-timeout", "--happy-eyeballs-timeout-ms", "--keepalive-time", "--local-port",
        "--max-redirs", "--parallel-max", "--krb", "--engine", "--cert-type", "--key-type",
        "--pass", "--crlfile", "--random-file", "--egd-file", "--ftp-account", "--ftp-method",
        "--ftp-alternative-to-user", "--ftp-ssl-ccc-mode", "--login-options", "--sasl-authzid",
        "--service-name", "--request-target", "--trace-config", "--url-query",
    ],
    aliases: &[
        ("-o", "--output"),
        ("-K", "--config"),
        ("-D", "--dump-header"),
        ("-c", "--cookie-jar"),
        ("-T", "--upload-file"),
        ("-d", "--data"),
        ("-F", "--form"),
        ("-H", "--header"),
        ("-b", "--cookie"),
    ],
    code: &["--config"],
    outputs: &[
        "--output", "--dump-header", "--cookie-jar", "--trace", "--trace-ascii", "--stderr",
        "--libcurl", "--etag-save", "--output-dir", "--hsts", "--alt-svc",
    ],
    kind: Kind::Curl,
    ..BASE
};

pub(crate) static WGET: Spec = Spec {
    names: &["wget", "wget2"],
    short: &[
        ('O', Value),
        ('o', Value),
        ('a', Value),
        ('P', Value),
        ('e', Value),
        ('i', Value),
        ('B', Value),
        ('U', Value),
        ('t', Value),
        ('T', Value),
        ('w', Value),
        ('Q', Value),
        ('l', Value),
        ('A', Value),
        ('R', Value),
        ('D', Value),
        ('I', Value),
        ('X', Value),
    ],
    long_value: &[
        "--output-document", "--output-file", "--append-output", "--directory-prefix",
        "--execute", "--input-file", "--base", "--user-agent", "--tries", "--timeout", "--wait",
        "--quota", "--level", "--accept", "--reject", "--domains", "--include-directories",
        "--exclude-directories", "--post-data", "--post-file", "--body-data", "--body-file",
        "--header", "--load-cookies", "--save-cookies", "--config", "--user", "--password",
        "--method", "--referer", "--certificate", "--private-key", "--ca-certificate",
        "--ca-directory", "--warc-file", "--rejected-log", "--hsts-file", "--bind-address",
        "--limit-rate", "--read-timeout", "--dns-timeout", "--connect-timeout",
    ],
    aliases: &[
        ("-O", "--output-document"),
        ("-o", "--output-file"),
        ("-a", "--append-output"),
        ("-P", "--directory-prefix"),
        ("-e", "--execute"),
        ("-i", "--input-file"),
    ],
    prefixes: true,
    code: &["--execute", "--config"],
    outputs: &[
        "--output-document", "--output-file", "--append-output", "--directory-prefix",
        "--save-cookies", "--warc-file", "--rejected-log", "--hsts-file",
    ],
    ..BASE
};

// ---------------------------------------------------------------- build and package tools

pub(crate) static MAKE: Spec = Spec {
    names: &["make", "gmake"],
    short: &[
        ('C', Value),
        ('f', Value),
        ('I', Value),
        ('o', Value),
        ('W', Value),
        ('E', Value),
        ('j', Attached),
        ('l', Attached),
    ],
    long_value: &[
        "--directory", "--file", "--makefile", "--include-dir", "--old-file", "--assume-old",
        "--what-if", "--new-file", "--assume-new", "--eval", "--jobserver-style", "--output-sync",
        "--shuffle",
    ],
    aliases: &[("-C", "--directory"), ("-f", "--file"), ("-E", "--eval")],
    prefixes: true,
    code: &["--eval"],
    chdir: &["--directory"],
    ..BASE
};

pub(crate) static CARGO: Spec = Spec {
    names: &["cargo"],
    short: &[('Z', Value), ('j', Value), ('p', Value), ('F', Value), ('C', Value)],
    long_value: &[
        "--config", "--manifest-path", "--target-dir", "--color", "--features", "--package",
        "--bin", "--example", "--test", "--bench", "--target", "--jobs", "--message-format",
        "--profile", "--exclude", "--lockfile-path",
    ],
    code: &["--config"],
    chdir: &["-C"],
    ..BASE
};

pub(crate) static NPM: Spec = Spec {
    names: &["npm", "pnpm", "yarn"],
    prefixes: true,
    subs: &[Sub {
        names: &["exec", "x", "dlx"],
        spec: &NPM_EXEC,
    }],
    default_sub: Some(&NPM_SUB),
    ..BASE
};
pub(crate) static NPM_EXEC: Spec = Spec {
    short: &[('c', Value)],
    long_value: &["--call", "--package"],
    aliases: &[("-c", "--call")],
    prefixes: true,
    commands: &["--call"],
    ..BASE
};
pub(crate) static NPM_SUB: Spec = Spec {
    prefixes: true,
    ..BASE
};

pub(crate) static NPX: Spec = Spec {
    names: &["npx"],
    short: &[('c', Value), ('p', Value)],
    long_value: &["--call", "--package"],
    aliases: &[("-c", "--call")],
    prefixes: true,
    commands: &["--call"],
    ..BASE
};

pub(crate) static PIP_GLOBAL_VALUES: &[&str] = &[
    "--log", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert",
    "--client-cert", "--cache-dir", "--python", "--use-feature", "--use-deprecated",
    "--keyring-provider", "--progress-bar", "--resume-retries",
];

pub(crate) static PIP: Spec = Spec {
    names: &["pip", "pip3", "pip2"],
    long_value: PIP_GLOBAL_VALUES,
    long_flags: &["--isolated", "--require-virtualenv", "--verbose", "--quiet", "--no-cache-dir"],
    prefixes: true,
    subs: &[Sub {
        names: &["install", "download", "wheel"],
        spec: &PIP_INSTALL,
    }],
    default_sub: Some(&PIP_SUB),
    ..BASE
};
pub(crate) static PIP_INSTALL: Spec = Spec {
    short: &[
        ('r', Value),
        ('c', Value),
        ('e', Value),
        ('t', Value),
        ('i', Value),
        ('f', Value),
        ('C', Value),
        ('d', Value),
    ],
    long_value: &[
        "--requirement", "--constraint", "--editable", "--target", "--index-url",
        "--extra-index-url", "--find-links", "--platform", "--python-version", "--implementation",
        "--abi", "--root", "--prefix", "--src", "--upgrade-strategy", "--no-binary",
        "--only-binary", "--progress-bar", "--report", "--config-settings", "--global-option",
        "--dest", "--log", "--proxy", "--retries", "--timeout", "--exists-action",
        "--trusted-host", "--cert", "--client-cert", "--cache-dir", "--python", "--group",
    ],
    long_flags: &[
        "--user", "--upgrade", "--force-reinstall", "--ignore-installed", "--no-deps", "--pre",
        "--dry-run", "--no-index", "--break-system-packages", "--require-hashes",
        "--no-build-isolation", "--use-pep517", "--no-warn-script-location", "--compile",
        "--no-compile", "--prefer-binary", "--quiet", "--verbose", "--isolated",
    ],
    aliases: &[
        ("-r", "--requirement"),
        ("-c", "--constraint"),
        ("-e", "--editable"),
        ("-t", "--target"),
        ("-i", "--index-url"),
        ("-f", "--find-links"),
        ("-U", "--upgrade"),
        ("-I", "--ignore-installed"),
        ("-C", "--config-settings"),
        ("-d", "--dest"),
    ],
    prefixes: true,
    ..BASE
};
pub(crate) static PIP_SUB: Spec = Spec {
    long_value: PIP_GLOBAL_VALUES,
    prefixes: true,
    ..BASE
};

