//! The tool catalogue: each tool's input (a `Deserialize + JsonSchema` struct, so the schema a
//! client sees is generated from the very type arguments are parsed into), its output (a
//! `Serialize + JsonSchema` struct, announced as `outputSchema` and sent as
//! `structuredContent`), and argument checking that names the offending field.
//!
//! serde's own messages do not say which field had the wrong type (`invalid type: string,
//! expected u64`), so arguments are first checked against the generated schema's
//! `properties`/`required` (unknown fields, missing fields, JSON types, `minimum`, `enum`),
//! then deserialised.

use std::sync::Arc;

use rmcp::handler::server::tool::{schema_for_input, schema_for_output};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sandbox::{GuardDenial, SandboxInfo};

// ----- inputs ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateArgs {
    /// Profile name (as `lasso profile list` shows) or path to a profile file. Default: the
    /// profile `lasso mcp` was started with (`--profile`).
    pub profile: Option<String>,
    /// Host directory to mount at /workspace (absolute path). Default: the directory `lasso mcp`
    /// was started with (`--dir`).
    pub working_dir: Option<String>,
    /// Name for the sandbox (1-63 characters from a-z A-Z 0-9 . _ -). Default: PROFILE-<id>.
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecArgs {
    /// Sandbox id, unique id prefix or name. Default: this session's default sandbox (created
    /// on first use when `lasso mcp` was started with --profile/--dir).
    pub sandbox: Option<String>,
    /// The command line, e.g. `ls -la src` or `cargo test 2>&1 | tail -20` (shell operators
    /// only where the profile allows them). It runs in /workspace.
    pub command: String,
    /// Kill the command after this many seconds. It can only shorten the profile's
    /// max_execution_seconds, never extend it.
    #[schemars(range(min = 1))]
    pub timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SandboxArg {
    /// Sandbox id, unique id prefix or name. Default: this session's default sandbox.
    pub sandbox: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileReadArgs {
    /// Sandbox id, unique id prefix or name. Default: this session's default sandbox.
    pub sandbox: Option<String>,
    /// File path relative to /workspace (`src/main.rs`) or absolute under it
    /// (`/workspace/src/main.rs`).
    pub path: String,
    /// Refuse files larger than this many bytes (at most 8 MiB, the default).
    #[schemars(range(min = 1))]
    pub max_bytes: Option<u64>,
}

/// How `content` is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// The content is the text itself (UTF-8).
    #[default]
    Text,
    /// The content is base64 (standard alphabet, padded), for binary files.
    Base64,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileWriteArgs {
    /// Sandbox id, unique id prefix or name. Default: this session's default sandbox.
    pub sandbox: Option<String>,
    /// File path relative to /workspace or absolute under it. Missing parent directories are
    /// created; an existing file is replaced atomically.
    pub path: String,
    /// The new content of the file (at most 8 MiB).
    pub content: String,
    /// `text` (default) or `base64`.
    pub encoding: Option<Encoding>,
}

// ----- outputs --------------------------------------------------------------------------------

/// A sandbox as the tools report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct SandboxView {
    pub id: String,
    pub name: String,
    pub profile: String,
    pub state: String,
    /// observe, assist or autonomous.
    pub mode: String,
    /// Host directory mounted at /workspace.
    pub working_dir: String,
    pub runtime: String,
    pub isolation: String,
    pub network: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_note: Option<String>,
    pub created_at: String,
    pub audit_log: String,
    /// Why lasso cannot fully account for the sandbox; empty when it is usable.
    pub problems: Vec<String>,
}

impl From<&SandboxInfo> for SandboxView {
    fn from(s: &SandboxInfo) -> Self {
        SandboxView {
            id: s.id.clone(),
            name: s.name.clone(),
            profile: s.profile.clone(),
            state: s.state.clone(),
            mode: s.mode.clone(),
            working_dir: s.working_dir.clone(),
            runtime: s.runtime.clone(),
            isolation: s.isolation.clone(),
            network: s.network.clone(),
            network_note: s.network_note.clone(),
            created_at: s.created_at.clone(),
            audit_log: s.audit_log.clone(),
            problems: s.problems.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SandboxOutput {
    pub sandbox: SandboxView,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListOutput {
    /// The sandboxes this session created that still exist.
    pub sandboxes: Vec<SandboxView>,
    /// Id of the sandbox used when a tool gets no `sandbox` argument.
    pub default_sandbox: Option<String>,
}

/// A program the command's own processes started that the in-sandbox guard denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DenialView {
    pub command: String,
    pub program: String,
    pub rule: String,
    pub reason: String,
    /// false in shadow mode: the program ran and would have been denied.
    pub enforced: bool,
}

impl From<&GuardDenial> for DenialView {
    fn from(d: &GuardDenial) -> Self {
        DenialView {
            command: d.command.clone(),
            program: d.program.clone(),
            rule: d.rule.clone(),
            reason: d.reason.clone(),
            enforced: d.enforced,
        }
    }
}

/// `sandbox_exec`'s result: either the command ran (`allowed`, exit code and output) or the
/// gate blocked it (`allowed: false`, `rule`, `reason`, `program`, `hint`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ExecOutput {
    /// Id of the sandbox the command was sent to.
    pub sandbox: String,
    pub command: String,
    /// false when the command gate refused the command (nothing ran).
    pub allowed: bool,
    /// The command's exit code (absent when it did not run).
    pub exit_code: Option<i64>,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    /// The command exceeded its time limit and was killed.
    pub timed_out: bool,
    /// Output was cut at lasso's limit.
    pub truncated: bool,
    /// The time limit that applied, in seconds.
    pub timeout_seconds: u64,
    /// The rule that blocked the command (`not-whitelisted`, `hidden-path`, ...) or, when it
    /// ran, that denied one of its own programs inside the sandbox.
    pub rule: Option<String>,
    pub reason: Option<String>,
    /// The program the deciding rule applied to.
    pub program: Option<String>,
    /// What to do instead.
    pub hint: Option<String>,
    /// Programs this sandbox allows now (its profile's list, narrowed by its mode), when the
    /// profile is a whitelist and the command was blocked for its program.
    pub allowed_programs: Option<Vec<String>>,
    /// Programs the command's own processes started that the in-sandbox guard denied.
    pub guard_denials: Vec<DenialView>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FileReadOutput {
    pub sandbox: String,
    /// The file's path inside the sandbox.
    pub path: String,
    pub size: u64,
    /// `text` when the file is valid UTF-8, otherwise `base64`.
    pub encoding: Encoding,
    pub content: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FileWriteOutput {
    pub sandbox: String,
    /// The file's path inside the sandbox.
    pub path: String,
    pub bytes_written: u64,
    /// The file did not exist before.
    pub created: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EngineView {
    /// docker or podman.
    pub kind: String,
    pub version: String,
    pub api_version: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HealthOutput {
    /// The container engine answers; sandboxes can be created and used.
    pub ok: bool,
    pub lasso_version: String,
    pub engine: Option<EngineView>,
    /// Why the engine cannot be used, and how to fix it.
    pub engine_error: Option<String>,
    pub lasso_home: String,
    /// `mcp:<client name>`, as recorded in the audit log.
    pub actor: String,
    /// The profile and directory of this session's default sandbox, when configured.
    pub default_profile: Option<String>,
    pub default_dir: Option<String>,
    pub default_sandbox: Option<String>,
    /// How many sandboxes this session has created that it has not stopped.
    pub session_sandboxes: usize,
}

/// The structured content of a tool error.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ErrorOutput {
    pub error: String,
    /// The argument that was wrong, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

// ----- the catalogue --------------------------------------------------------------------------

pub const SANDBOX_CREATE: &str = "sandbox_create";
pub const SANDBOX_EXEC: &str = "sandbox_exec";
pub const SANDBOX_STOP: &str = "sandbox_stop";
pub const SANDBOX_STATUS: &str = "sandbox_status";
pub const SANDBOX_LIST: &str = "sandbox_list";
pub const FILE_READ: &str = "file_read";
pub const FILE_WRITE: &str = "file_write";
pub const HEALTH: &str = "health";

fn tool<I: JsonSchema + 'static, O: JsonSchema + 'static>(
    name: &'static str,
    description: &'static str,
    annotations: ToolAnnotations,
) -> Result<Tool, String> {
    let input = schema_for_input::<I>()?;
    Ok(Tool::new(name, description, input)
        .with_raw_output_schema(schema_for_output::<O>())
        .with_annotations(annotations))
}

/// Every tool, with its schemas. Fails only if a schema is not an object (a programming
/// error the unit tests catch).
pub fn catalogue() -> Result<Vec<Tool>, String> {
    let ro = || ToolAnnotations::new().read_only(true).open_world(false);
    let rw = |destructive: bool| {
        ToolAnnotations::new()
            .read_only(false)
            .destructive(destructive)
            .open_world(false)
    };
    Ok(vec![
        tool::<CreateArgs, SandboxOutput>(
            SANDBOX_CREATE,
            "Create and start a hardened, policy-gated sandbox with a host directory mounted at \
             /workspace. The first create of a profile may build its image (progress is \
             reported). The sandbox is stopped when this session ends.",
            rw(false),
        )?,
        tool::<ExecArgs, ExecOutput>(
            SANDBOX_EXEC,
            "Run a command line in a sandbox, in /workspace. Every command is checked by the \
             sandbox's command gate and audited. A blocked command returns isError with the \
             rule, the reason and a hint: change the command as the hint says rather than \
             retrying it, and do not try to reach the same thing another way.",
            rw(true),
        )?,
        tool::<SandboxArg, SandboxOutput>(
            SANDBOX_STOP,
            "Stop and remove a sandbox this session created.",
            rw(true),
        )?,
        tool::<SandboxArg, SandboxOutput>(
            SANDBOX_STATUS,
            "Show one sandbox of this session: state, mode, profile, working directory.",
            ro(),
        )?,
        tool::<NoArgs, ListOutput>(
            SANDBOX_LIST,
            "List the sandboxes this session created and which one is the default.",
            ro(),
        )?,
        tool::<FileReadArgs, FileReadOutput>(
            FILE_READ,
            "Read a file of the sandbox's workspace (path relative to /workspace or absolute \
             under it; at most 8 MiB). Paths outside the workspace, `..`, symbolic links, \
             special files and paths the profile hides are refused.",
            ro(),
        )?,
        tool::<FileWriteArgs, FileWriteOutput>(
            FILE_WRITE,
            "Write a file of the sandbox's workspace atomically (path relative to /workspace \
             or absolute under it; at most 8 MiB; parent directories are created). Paths \
             outside the workspace, `..`, symbolic links, special files and paths the profile \
             hides are refused.",
            rw(true),
        )?,
        tool::<NoArgs, HealthOutput>(
            HEALTH,
            "Check that lasso can run sandboxes here (container engine reachable) and show \
             this session's defaults.",
            ro(),
        )?,
    ])
}

/// A bad argument: the field (when one is to blame) and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError {
    pub field: Option<String>,
    pub message: String,
}

/// Checks `args` against `tool`'s input schema, then deserialises them.
pub fn parse_args<T: DeserializeOwned>(
    tool: &Tool,
    args: Option<&JsonObject>,
) -> Result<T, ArgError> {
    let empty = JsonObject::new();
    let args = args.unwrap_or(&empty);
    check_against_schema(&tool.input_schema, args)?;
    serde_json::from_value(Value::Object(args.clone())).map_err(|e| ArgError {
        field: None,
        message: format!("invalid arguments for {}: {e}", tool.name),
    })
}

fn check_against_schema(schema: &Arc<JsonObject>, args: &JsonObject) -> Result<(), ArgError> {
    let empty = JsonObject::new();
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let accepted = || {
        if props.is_empty() {
            "this tool takes no arguments".to_string()
        } else {
            format!(
                "this tool accepts: {}",
                props.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        }
    };
    for key in args.keys() {
        if !props.contains_key(key) {
            return Err(ArgError {
                field: Some(key.clone()),
                message: format!("unknown argument `{key}`; {}", accepted()),
            });
        }
    }
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for r in required.iter().filter_map(Value::as_str) {
            if args.get(r).is_none_or(Value::is_null) {
                return Err(ArgError {
                    field: Some(r.to_string()),
                    message: format!("missing required argument `{r}`"),
                });
            }
        }
    }
    for (key, value) in args {
        let Some(prop) = props.get(key).and_then(Value::as_object) else {
            continue;
        };
        if let Some(problem) = value_problem(prop, value, schema) {
            return Err(ArgError {
                field: Some(key.clone()),
                message: format!("argument `{key}` {problem}"),
            });
        }
    }
    Ok(())
}

/// What is wrong with `value` under the (sub)schema `prop`, if anything.
fn value_problem(prop: &JsonObject, value: &Value, root: &JsonObject) -> Option<String> {
    // `Option<Enum>` is written as a `$ref` (possibly inside `anyOf` with null).
    if let Some(any) = prop.get("anyOf").and_then(Value::as_array) {
        let problems: Vec<String> = any
            .iter()
            .filter_map(Value::as_object)
            .filter_map(|alt| value_problem(alt, value, root))
            .collect();
        return (problems.len() == any.len()).then(|| problems.join("; or "));
    }
    if let Some(target) = prop.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or_default();
        let def = root
            .get("$defs")
            .and_then(|d| d.get(name))
            .and_then(Value::as_object)?;
        return value_problem(def, value, root);
    }
    if let Some(allowed) = prop.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return Some(format!("must be one of {}, not {value}", list.join(", ")));
        }
        return None;
    }
    if let Some(alts) = prop.get("oneOf").and_then(Value::as_array) {
        let consts: Vec<&Value> = alts.iter().filter_map(|a| a.get("const")).collect();
        if !consts.is_empty() && !consts.contains(&value) {
            let list: Vec<String> = consts.iter().map(|v| v.to_string()).collect();
            return Some(format!("must be one of {}, not {value}", list.join(", ")));
        }
        return None;
    }
    let types: Vec<&str> = match prop.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return None,
    };
    let fits = |t: &str| match t {
        "string" => value.is_string(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    };
    if !types.iter().any(|t| fits(t)) {
        let wanted = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| match *t {
                "integer" => "a whole number",
                "string" => "a string",
                "boolean" => "true or false",
                "number" => "a number",
                "object" => "an object",
                "array" => "an array",
                other => other,
            })
            .collect::<Vec<_>>()
            .join(" or ");
        return Some(format!("must be {wanted}, not {value}"));
    }
    if let (Some(min), Some(n)) = (prop.get("minimum").and_then(Value::as_f64), value.as_f64())
        && n < min
    {
        return Some(format!("must be at least {min}, not {value}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_name(name: &str) -> Tool {
        catalogue()
            .unwrap_or_default()
            .into_iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no tool {name}"))
    }

    fn args(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn every_tool_has_object_schemas_for_input_and_output() {
        let tools = catalogue().unwrap_or_default();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
        assert_eq!(
            names,
            vec![
                SANDBOX_CREATE,
                SANDBOX_EXEC,
                SANDBOX_STOP,
                SANDBOX_STATUS,
                SANDBOX_LIST,
                FILE_READ,
                FILE_WRITE,
                HEALTH
            ]
        );
        for t in &tools {
            assert_eq!(t.input_schema.get("type"), Some(&Value::from("object")));
            let out = t.output_schema.clone().unwrap_or_default();
            assert_eq!(out.get("type"), Some(&Value::from("object")), "{}", t.name);
        }
        let exec = by_name(SANDBOX_EXEC);
        assert_eq!(
            exec.input_schema.get("required"),
            Some(&serde_json::json!(["command"]))
        );
    }

    #[test]
    fn good_arguments_parse() {
        let exec = by_name(SANDBOX_EXEC);
        let a: ExecArgs = parse_args(
            &exec,
            Some(&args(
                serde_json::json!({"command": "ls", "timeout_seconds": 5, "sandbox": null}),
            )),
        )
        .unwrap_or_default();
        assert_eq!((a.command.as_str(), a.timeout_seconds), ("ls", Some(5)));
        let write = by_name(FILE_WRITE);
        let w: FileWriteArgs = parse_args(
            &write,
            Some(&args(
                serde_json::json!({"path": "a", "content": "aGk=", "encoding": "base64"}),
            )),
        )
        .unwrap_or_default();
        assert_eq!(w.encoding, Some(Encoding::Base64));
        let _: NoArgs = parse_args(&by_name(HEALTH), None).unwrap_or_default();
    }

    #[test]
    fn bad_arguments_name_the_field() {
        let exec = by_name(SANDBOX_EXEC);
        let err = |tool: &Tool, v: Value| {
            parse_args::<Value>(tool, Some(&args(v)))
                .err()
                .unwrap_or_else(|| panic!("accepted"))
        };
        let e = err(&exec, serde_json::json!({"sandbox": "x"}));
        assert_eq!(e.field.as_deref(), Some("command"));
        assert!(
            e.message.contains("missing required argument `command`"),
            "{e:?}"
        );
        let e = err(
            &exec,
            serde_json::json!({"command": "ls", "timeout_seconds": "5"}),
        );
        assert_eq!(e.field.as_deref(), Some("timeout_seconds"));
        assert!(e.message.contains("must be a whole number"), "{e:?}");
        let e = err(
            &exec,
            serde_json::json!({"command": "ls", "timeout_seconds": 0}),
        );
        assert!(e.message.contains("at least 1"), "{e:?}");
        let e = err(&exec, serde_json::json!({"command": 3}));
        assert!(e.message.contains("`command` must be a string"), "{e:?}");
        let e = err(&exec, serde_json::json!({"command": "ls", "comand": "x"}));
        assert_eq!(e.field.as_deref(), Some("comand"));
        assert!(e.message.contains("accepts: "), "{e:?}");
        let write = by_name(FILE_WRITE);
        let e = err(
            &write,
            serde_json::json!({"path": "a", "content": "x", "encoding": "hex"}),
        );
        assert_eq!(e.field.as_deref(), Some("encoding"));
        assert!(e.message.contains("\"base64\""), "{e:?}");
        let e = err(&by_name(HEALTH), serde_json::json!({"x": 1}));
        assert!(e.message.contains("takes no arguments"), "{e:?}");
    }
}
