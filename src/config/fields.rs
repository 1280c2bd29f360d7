//! The field catalogue: every key of the profile schema with its path, kind, limits and a doc
//! line, and get/set on a profile file's TOML document, so that an editor (the TUI's profile
//! form) can show and change any field and turn the edit back into TOML.
//!
//! The document is a `toml::Table` (the raw profile as written, nothing resolved or
//! defaulted) rather than `RawProfile`, because a form edit must produce a file that says
//! exactly what the user set: no defaults filled in, unset fields left out. Regenerating the
//! text from the table loses comments and key order (toml writes keys sorted), which the
//! editor documents. Values set here are checked only for their shape; the limits (ranges,
//! names, cross-field rules) are the store's job (`ProfileStore::check_text`), so there is one
//! validator.
//!
//! The unit tests hold the catalogue to the real schema: they ask the raw parser which keys it
//! accepts (its unknown-key error lists them) and fail when a key is missing here or a listed
//! field does not exist, so a field added to `RawProfile` without a catalogue entry breaks the
//! build's tests. Adding a field is one line in [`FIELDS`].

use toml::{Table, Value};

/// How a field is edited and what its TOML value looks like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    Bool,
    /// One of these words.
    Enum(&'static [&'static str]),
    /// A whole number in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A number (fractions allowed) in `min..=max`.
    Number {
        min: f64,
        max: f64,
    },
    /// A size such as `512m` or `1g` (written as a string).
    Size,
    Str,
    /// A list of strings (names, paths, domains, ranges).
    List,
    /// A list of whole numbers in `min..=max` (ports).
    IntList {
        min: i64,
        max: i64,
    },
    /// A table of strings (`[extra_env]`: `NAME = "value"`), edited as `NAME=value` items.
    Map,
    /// A table of string lists (`commands.blocked_args`: `git = ["push --force"]`), edited as
    /// `program=pattern` items (`program=` alone keeps an empty list, which clears a parent's).
    TableList,
}

/// One field of the profile schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldSpec {
    /// Dotted key path, e.g. `commands.whitelist_add`.
    pub path: &'static str,
    pub kind: FieldKind,
    /// One line for the editor.
    pub doc: &'static str,
}

const fn f(path: &'static str, kind: FieldKind, doc: &'static str) -> FieldSpec {
    FieldSpec { path, kind, doc }
}

use FieldKind::{Bool, Enum, Int, IntList, List, Map, Number, Size, Str, TableList};

const PORTS: FieldKind = IntList {
    min: 1,
    max: 65_535,
};

/// Every editable field, in the order the editor shows them (grouped by section). The
/// export-only tables `[integrity]` and `[provenance]` are written by lasso, never edited.
#[rustfmt::skip]
pub const FIELDS: &[FieldSpec] = &[
    f("name", Str, "profile name; must match the file name"),
    f("description", Str, "free text shown in lists"),
    f("extends", Str, "parent profile whose settings this one refines"),
    f("mode", Enum(&["observe", "assist", "autonomous"]), "mode a sandbox starts in"),
    f("isolation", Enum(&["container", "gvisor", "kata"]), "container runtime"),
    f("image.base", Str, "base image reference"),
    f("image.packages", List, "Debian packages baked into the image"),
    f("image.packages_add", List, "packages added to the parent's"),
    f("filesystem.writable_paths", List, "extra writable tmpfs mounts"),
    f("filesystem.writable_paths_add", List, "writable paths added to the parent's"),
    f("filesystem.hidden_paths", List, "paths no command may name (globs allowed)"),
    f("filesystem.hidden_paths_add", List, "hidden paths added to the parent's"),
    f("filesystem.tmp_size", Size, "size of /tmp (at least 1m)"),
    f("commands.mode", Enum(&["whitelist", "blacklist"]), "which command list applies"),
    f("commands.whitelist", List, "programs allowed in whitelist mode"),
    f("commands.whitelist_add", List, "programs added to the parent's whitelist"),
    f("commands.blacklist", List, "programs refused in blacklist mode"),
    f("commands.blacklist_add", List, "programs added to the parent's blacklist"),
    f("commands.blocked_args", TableList, "per program, argument patterns refused"),
    f("commands.allow_shell_operators", Bool, "pipes, &&, redirections, $(...)"),
    f("commands.allow_code_eval", Bool, "python -c, node -e, sh -c with code"),
    f("commands.max_execution_seconds", Int { min: 1, max: 86_400 }, "per-command time limit"),
    f("modes.observe", List, "programs of the observe mode"),
    f("modes.observe_add", List, "programs added to the parent's observe list"),
    f("modes.assist", List, "programs of the assist mode"),
    f("modes.assist_add", List, "programs added to the parent's assist list"),
    f("network.mode", Enum(&["none", "restricted", "full"]), "network access"),
    f("network.allowed_domains", List, "hostnames allowed (restricted mode)"),
    f("network.allowed_domains_add", List, "allowed domains added to the parent's"),
    f("network.blocked_domains", List, "hostnames refused"),
    f("network.blocked_domains_add", List, "blocked domains added to the parent's"),
    f("network.allowed_cidrs", List, "address ranges allowed (restricted mode)"),
    f("network.allowed_cidrs_add", List, "allowed ranges added to the parent's"),
    f("network.blocked_cidrs", List, "address ranges refused"),
    f("network.blocked_cidrs_add", List, "blocked ranges added to the parent's"),
    f("network.allowed_ports", PORTS, "ports allowed (restricted mode)"),
    f("network.allowed_ports_add", PORTS, "allowed ports added to the parent's"),
    f("network.blocked_ports", PORTS, "ports refused"),
    f("network.blocked_ports_add", PORTS, "blocked ports added to the parent's"),
    f("resources.memory", Size, "memory limit (at least 16m, no swap)"),
    f("resources.cpus", Number { min: 0.01, max: 1024.0 }, "CPUs (fractions allowed)"),
    f("resources.pids", Int { min: 16, max: 4_194_304 }, "process limit"),
    f("resources.open_files", Int { min: 16, max: 20_000 }, "open-file limit"),
    f("resources.file_size", Size, "largest single file (at least 1m)"),
    f("audit.include_command_output", Bool, "copy command output into the audit log"),
    f("audit.log_dir", Str, "absolute host directory for the audit log"),
    f("agent_auth.forward_env", List, "host variables copied into the sandbox"),
    f("agent_auth.forward_env_add", List, "forwarded variables added to the parent's"),
    f("guard.enforcement", Enum(&["enforce", "shadow", "record"]), "in-sandbox guard"),
    f("guard.accept_missing", List, "kernel features to run without: landlock, seccomp-notify"),
    f("terminal.raw_shell", Bool, "a raw shell may be opened (the guard still checks every program)"),
    f("terminal.max_session_seconds", Int { min: 1, max: 86_400 }, "longest run of one interactive program"),
    f("extra_env", Map, "environment variables (NAME=value)"),
];

/// Top-level tables lasso writes itself (exports, imports); not in the editor.
pub const WRITTEN_BY_LASSO: &[&str] = &["integrity", "provenance"];

impl FieldSpec {
    /// The table the field lives in (`commands`), `""` for top-level keys; a top-level table
    /// field (`extra_env`) is its own section.
    pub fn section(&self) -> &'static str {
        match self.path.split_once('.') {
            Some((s, _)) => s,
            None if matches!(self.kind, Map | TableList) => self.path,
            None => "",
        }
    }

    /// The field's value in `doc`, when the file sets it.
    pub fn get<'a>(&self, doc: &'a Table) -> Option<&'a Value> {
        let mut table = doc;
        let mut parts = self.path.split('.').peekable();
        while let Some(part) = parts.next() {
            let v = table.get(part)?;
            if parts.peek().is_none() {
                return Some(v);
            }
            table = v.as_table()?;
        }
        None
    }

    /// Sets (or with `None` removes) the field in `doc`; a table left empty is removed.
    pub fn set(&self, doc: &mut Table, value: Option<Value>) {
        match self.path.split_once('.') {
            None => {
                match value {
                    Some(v) => doc.insert(self.path.to_string(), v),
                    None => doc.remove(self.path),
                };
            }
            Some((section, key)) => match value {
                Some(v) => {
                    let entry = doc
                        .entry(section.to_string())
                        .or_insert_with(|| Value::Table(Table::new()));
                    if !entry.is_table() {
                        *entry = Value::Table(Table::new());
                    }
                    if let Value::Table(t) = entry {
                        t.insert(key.to_string(), v);
                    }
                }
                None => {
                    if let Some(Value::Table(t)) = doc.get_mut(section) {
                        t.remove(key);
                        if t.is_empty() {
                            doc.remove(section);
                        }
                    }
                }
            },
        }
    }

    /// Whether the field is edited as a list of items.
    pub fn is_list(&self) -> bool {
        matches!(self.kind, List | IntList { .. } | Map | TableList)
    }

    /// The value after a toggle (bool) or a step to the next word (enum), from `current`
    /// (`None`: unset, which starts from the first word / `true`).
    pub fn step(&self, current: Option<&Value>) -> Option<Value> {
        match self.kind {
            Bool => Some(Value::Boolean(
                !current.and_then(Value::as_bool).unwrap_or(false),
            )),
            Enum(words) => {
                let now = current.and_then(Value::as_str);
                let next = match now.and_then(|w| words.iter().position(|x| *x == w)) {
                    Some(i) => words[(i + 1) % words.len()],
                    None => words.first().copied().unwrap_or_default(),
                };
                Some(Value::String(next.to_string()))
            }
            _ => None,
        }
    }

    /// Parses typed input for a scalar field (what the user typed in the form).
    pub fn parse_input(&self, input: &str) -> Result<Value, String> {
        let t = input.trim();
        match self.kind {
            Bool => match t {
                "true" => Ok(Value::Boolean(true)),
                "false" => Ok(Value::Boolean(false)),
                _ => Err(format!("{} takes true or false", self.path)),
            },
            Enum(words) if words.contains(&t) => Ok(Value::String(t.to_string())),
            Enum(words) => Err(format!(
                "{} takes one of {}, not {t:?}",
                self.path,
                words.join(", ")
            )),
            Int { min, max } => match t.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(Value::Integer(n)),
                _ => Err(format!(
                    "{} takes a whole number from {min} to {max}, not {t:?}",
                    self.path
                )),
            },
            Number { min, max } => match t.parse::<f64>() {
                Ok(n) if n.is_finite() && (min..=max).contains(&n) => Ok(Value::Float(n)),
                _ => Err(format!(
                    "{} takes a number from {min} to {max}, not {t:?}",
                    self.path
                )),
            },
            Size => match super::size::parse_size(t) {
                Ok(_) => Ok(Value::String(t.to_string())),
                Err(e) => Err(format!("{}: {e}", self.path)),
            },
            Str => Ok(Value::String(input.to_string())),
            List | IntList { .. } | Map | TableList => self.from_items(&[input.to_string()]),
        }
    }

    /// The items a list editor shows for `value` (see [`FieldKind`] for the item forms).
    pub fn items(&self, value: Option<&Value>) -> Vec<String> {
        let Some(value) = value else {
            return Vec::new();
        };
        match (self.kind, value) {
            (List | IntList { .. }, Value::Array(a)) => a.iter().map(show_item).collect(),
            (Map, Value::Table(t)) => t
                .iter()
                .map(|(k, v)| format!("{k}={}", show_item(v)))
                .collect(),
            (TableList, Value::Table(t)) => {
                let mut out = Vec::new();
                for (program, patterns) in t {
                    match patterns.as_array() {
                        Some(a) if !a.is_empty() => {
                            out.extend(a.iter().map(|p| format!("{program}={}", show_item(p))));
                        }
                        _ => out.push(format!("{program}=")),
                    }
                }
                out
            }
            (_, other) => vec![show(other)],
        }
    }

    /// The TOML value of a list editor's items.
    pub fn from_items(&self, items: &[String]) -> Result<Value, String> {
        let pair = |item: &String| match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!(
                "{}: {item:?} is not of the form NAME=value",
                self.path
            )),
        };
        match self.kind {
            List => Ok(Value::Array(
                items.iter().map(|s| Value::String(s.clone())).collect(),
            )),
            IntList { min, max } => items
                .iter()
                .map(|s| match s.trim().parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => Ok(Value::Integer(n)),
                    _ => Err(format!(
                        "{} takes whole numbers from {min} to {max}, not {s:?}",
                        self.path
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Map => {
                let mut t = Table::new();
                for item in items {
                    let (k, v) = pair(item)?;
                    t.insert(k, Value::String(v));
                }
                Ok(Value::Table(t))
            }
            TableList => {
                let mut t = Table::new();
                for item in items {
                    let (program, pattern) = pair(item)?;
                    let entry = t.entry(program).or_insert_with(|| Value::Array(Vec::new()));
                    if let (Value::Array(a), false) = (entry, pattern.is_empty()) {
                        a.push(Value::String(pattern));
                    }
                }
                Ok(Value::Table(t))
            }
            _ => Err(format!("{} is not a list", self.path)),
        }
    }

    /// The key of the resolved profile that shows what this field inherits: an `_add` list
    /// adds to the list of the same name without the suffix.
    pub fn effective_path(&self) -> &'static str {
        self.path.strip_suffix("_add").unwrap_or(self.path)
    }
}

/// The catalogue entry of `path`.
pub fn field(path: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.path == path)
}

/// The field an error's key path (`network.allowed_cidrs[1]`, `extra_env.FOO`,
/// `commands.blocked_args.git[0]`) is about.
pub fn field_for_key(key: &str) -> Option<&'static FieldSpec> {
    let mut k = key;
    loop {
        if let Some(found) = field(k) {
            return Some(found);
        }
        let cut = k.rfind(['[', '.'])?;
        k = &k[..cut];
    }
}

/// A value on one line (strings bare).
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(show_item).collect::<Vec<_>>().join(", ")
        ),
        Value::Table(t) => format!(
            "{{{}}}",
            t.iter()
                .map(|(k, v)| format!("{k} = {}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

fn show_item(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => show(other),
    }
}

/// The TOML text of a document (keys sorted, comments gone: see the module doc).
pub fn to_text(doc: &Table) -> Result<String, String> {
    toml::to_string(doc).map_err(|e| format!("cannot write the profile as TOML: {e}"))
}

/// Parses profile text into a document for the form (TOML syntax only; the schema is the
/// store's check).
pub fn parse_doc(text: &str) -> Result<Table, String> {
    text.parse::<Table>().map_err(|e| {
        format!(
            "the TOML does not parse ({}); fix it in the text view",
            e.message().trim()
        )
    })
}

#[cfg(test)]
mod tests;
