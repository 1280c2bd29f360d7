//! What the agent sees for `sandbox_exec`: the command's output, or — when the gate blocked it
//! or the in-sandbox guard denied one of its programs — the rule, the reason, the program and
//! a hint saying what to do instead, as a tool result with `isError: true`. Pure functions,
//! so the exact shape is unit-tested without an engine.

use rmcp::model::{CallToolResult, ContentBlock};

use super::tools::{DenialView, ExecOutput};
use crate::config::Profile;
use crate::policy::{Decision, ListMode, Rule};
use crate::sandbox::ExecResult;

/// Most programs listed in `allowed_programs` text (the structured list is complete).
const LIST_IN_TEXT: usize = 40;

/// What to do instead, per rule.
pub fn hint(rule: &str) -> &'static str {
    match rule {
        "not-whitelisted" => {
            "use one of the allowed programs (allowed_programs) for this task; if the task \
             really needs this program, ask the user to add it to the sandbox's profile"
        }
        "blacklisted" => {
            "this program is forbidden by the profile; do the task with other tools, or ask \
             the user"
        }
        "mode" => {
            "the sandbox's current mode does not allow this program; use an allowed program \
             (allowed_programs) or ask the user to change the mode (`lasso mode ID MODE`)"
        }
        "blocked-args" => {
            "this use of the program is forbidden by the profile (see the reason); use a form \
             without the forbidden subcommand or option"
        }
        "code-eval" => {
            "inline code (`-c`, `-e`, ...) is not allowed; write the code to a file in \
             /workspace (file_write) and run the file with the interpreter"
        }
        "hidden-path" => {
            "that path is hidden from agents by the profile; do not try to read it another way \
             — ask the user for what you need from it"
        }
        "path-traversal" => {
            "stay inside /workspace: use paths below it, without `..` that leaves it"
        }
        "redirect-outside-workspace" => "redirect output only into /workspace or /tmp",
        "shell-operators" => {
            "this profile does not allow shell operators or redirections; run each command \
             separately, without `|`, `;`, `&&`, `>`"
        }
        "command-substitution" | "process-substitution" | "here-document" | "expansion" => {
            "write the value out literally (no `$(...)`, backticks, `$VAR`, `<(...)` or `<<`); \
             for data, write a file with file_write and pass its name"
        }
        "unsupported-syntax" | "syntax" => {
            "simplify the command line: plain commands joined by `|`, `&&`, `;` (no `if`, \
             `for`, `{ }`, functions); put complex logic in a script file and run it"
        }
        "sensitive-variable" => "do not set PATH, LD_* or similar variables on the command line",
        "nesting-too-deep" => "call the program directly instead of through nested wrappers",
        "control-character" => "put the command on one line without control characters",
        "empty" => "send a non-empty command",
        _ => "change the command so the profile allows it, or ask the user",
    }
}

fn rule_name(rule: &Rule) -> String {
    serde_json::to_value(rule)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{rule:?}"))
}

/// The programs the sandbox allows now, when that is a list (a whitelist profile, or a mode).
fn allowed_programs(profile: &Profile) -> Option<Vec<String>> {
    let policy = profile.gate_policy();
    let mut list = match (policy.list_mode, &policy.mode) {
        (ListMode::Whitelist, Some(m)) => policy
            .programs
            .iter()
            .filter(|p| m.programs.contains(p))
            .cloned()
            .collect(),
        (ListMode::Whitelist, None) => policy.programs.clone(),
        (ListMode::Blacklist, Some(m)) => m
            .programs
            .iter()
            .filter(|p| !policy.programs.contains(p))
            .cloned()
            .collect(),
        (ListMode::Blacklist, None) => return None,
    };
    list.sort();
    list.dedup();
    Some(list)
}

/// The result of a command the gate blocked.
pub fn blocked(
    sandbox: &str,
    command: &str,
    timeout: u64,
    decision: &Decision,
    profile: &Profile,
) -> ExecOutput {
    let rule = rule_name(&decision.rule);
    let about_program = matches!(
        decision.rule,
        Rule::NotWhitelisted | Rule::Mode | Rule::Blacklisted
    );
    ExecOutput {
        sandbox: sandbox.to_string(),
        command: command.to_string(),
        allowed: false,
        timeout_seconds: timeout,
        hint: Some(hint(&rule).to_string()),
        reason: Some(decision.reason.clone()),
        program: decision.program.clone(),
        allowed_programs: if about_program {
            allowed_programs(profile)
        } else {
            None
        },
        rule: Some(rule),
        ..ExecOutput::default()
    }
}

/// The result of a command that ran. When the guard denied (enforced) one of its programs,
/// the first denial's rule, reason and program are lifted to the top so the agent sees why
/// part of it failed.
pub fn ran(sandbox: &str, command: &str, timeout: u64, r: &ExecResult) -> ExecOutput {
    let denials: Vec<DenialView> = r.guard_denials.iter().map(DenialView::from).collect();
    let first = denials.iter().find(|d| d.enforced);
    ExecOutput {
        sandbox: sandbox.to_string(),
        command: command.to_string(),
        allowed: true,
        exit_code: Some(r.exit_code),
        stdout: r.stdout.clone(),
        stderr: r.stderr.clone(),
        duration_ms: r.duration_ms,
        timed_out: r.timed_out,
        truncated: r.truncated,
        timeout_seconds: timeout,
        rule: first.map(|d| d.rule.clone()),
        reason: first.map(|d| d.reason.clone()),
        program: first.map(|d| d.program.clone()),
        hint: first.map(|d| {
            format!(
                "inside the sandbox, `{}` was denied: {}",
                d.command,
                hint(&d.rule)
            )
        }),
        allowed_programs: None,
        guard_denials: denials,
    }
}

/// Whether the agent must act on the result: the gate blocked the command, or the guard
/// denied one of its programs.
pub fn is_error(out: &ExecOutput) -> bool {
    !out.allowed || out.guard_denials.iter().any(|d| d.enforced)
}

/// Text for the agent.
pub fn summary(out: &ExecOutput) -> String {
    if !out.allowed {
        let mut s = format!(
            "BLOCKED by lasso's command gate (rule {}): {}\nNothing was run. What to do instead: {}",
            out.rule.as_deref().unwrap_or("?"),
            out.reason.as_deref().unwrap_or(""),
            out.hint.as_deref().unwrap_or("")
        );
        if let Some(list) = &out.allowed_programs {
            let shown: Vec<&str> = list.iter().take(LIST_IN_TEXT).map(String::as_str).collect();
            s.push_str(&format!("\nAllowed programs: {}", shown.join(" ")));
            if list.len() > LIST_IN_TEXT {
                s.push_str(&format!(" … ({} in all)", list.len()));
            }
        }
        return s;
    }
    let mut s = format!("exit code {}", out.exit_code.unwrap_or(-1));
    if out.timed_out {
        s.push_str(&format!(
            " — killed after {} s (the time limit); make the command faster or split it",
            out.timeout_seconds
        ));
    }
    if !out.stdout.is_empty() {
        s.push_str("\n--- stdout ---\n");
        s.push_str(&out.stdout);
    }
    if !out.stderr.is_empty() {
        s.push_str("\n--- stderr ---\n");
        s.push_str(&out.stderr);
    }
    if out.truncated {
        s.push_str("\n(output truncated)");
    }
    for d in &out.guard_denials {
        let what = if d.enforced {
            "DENIED"
        } else {
            "would have denied (shadow mode; it ran)"
        };
        s.push_str(&format!(
            "\nlasso's in-sandbox guard {what} `{}` (rule {}): {}",
            d.command, d.rule, d.reason
        ));
    }
    if let Some(h) = &out.hint {
        s.push_str(&format!("\nWhat to do instead: {h}"));
    }
    s
}

/// The tool result for `sandbox_exec`.
pub fn exec_result(out: &ExecOutput) -> CallToolResult {
    let json = serde_json::to_value(out).unwrap_or_default();
    let content = vec![
        ContentBlock::text(summary(out)),
        ContentBlock::text(json.to_string()),
    ];
    let mut r = if is_error(out) {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    r.structured_content = Some(json);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(name: &str) -> Profile {
        crate::config::builtin(name)
            .and_then(|b| crate::config::resolve_standalone(b.text, name).ok())
            .map(|(_, p)| p)
            .unwrap_or_else(|| panic!("no built-in profile {name}"))
    }

    #[test]
    fn a_blocked_command_is_an_error_result_with_rule_reason_program_and_hint() {
        let p = profile("minimal");
        let gate = crate::policy::Gate::new(p.gate_policy()).unwrap_or_else(|e| panic!("{e}"));
        let verdict = gate.check("rm -rf /");
        assert!(!verdict.decision.allowed);
        let out = blocked("abc", "rm -rf /", 30, &verdict.decision, &p);
        let r = exec_result(&out);
        assert_eq!(r.is_error, Some(true));
        let v = r.structured_content.clone().unwrap_or_default();
        assert_eq!(v["allowed"], false);
        assert_eq!(v["rule"], "not-whitelisted");
        assert_eq!(v["program"], "rm");
        assert!(v["reason"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(
            v["hint"]
                .as_str()
                .is_some_and(|s| s.contains("allowed programs"))
        );
        let allowed = v["allowed_programs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(allowed.contains(&serde_json::json!("ls")), "{allowed:?}");
        assert!(!allowed.contains(&serde_json::json!("rm")));
        assert_eq!(v["exit_code"], serde_json::Value::Null);
        let text = match &r.content[0] {
            ContentBlock::Text(t) => t.text.clone(),
            _ => String::new(),
        };
        assert!(
            text.starts_with("BLOCKED by lasso's command gate (rule not-whitelisted)"),
            "{text}"
        );
        assert!(text.contains("Nothing was run"), "{text}");
    }

    #[test]
    fn a_hidden_path_block_has_no_program_list() {
        let p = profile("minimal");
        let gate = crate::policy::Gate::new(p.gate_policy()).unwrap_or_else(|e| panic!("{e}"));
        let verdict = gate.check("cat /etc/shadow");
        let out = blocked("abc", "cat /etc/shadow", 30, &verdict.decision, &p);
        assert_eq!(out.rule.as_deref(), Some("hidden-path"));
        assert_eq!(out.allowed_programs, None);
        assert!(out.hint.as_deref().is_some_and(|h| h.contains("hidden")));
    }

    #[test]
    fn guard_denials_make_a_ran_command_an_error_with_the_denial_on_top() {
        let mut r = ExecResult {
            allowed: true,
            exit_code: 126,
            stdout: String::new(),
            stderr: "sh: curl: Operation not permitted".into(),
            duration_ms: 5,
            timed_out: false,
            truncated: false,
            guard_denials: vec![crate::sandbox::GuardDenial {
                command: "curl x".into(),
                program: "curl".into(),
                rule: "not-whitelisted".into(),
                reason: "curl is not allowed".into(),
                enforced: true,
            }],
        };
        let out = ran("abc", "sh run.sh", 30, &r);
        assert!(is_error(&out));
        assert_eq!(out.rule.as_deref(), Some("not-whitelisted"));
        assert_eq!(out.program.as_deref(), Some("curl"));
        assert!(summary(&out).contains("DENIED `curl x`"));
        r.guard_denials[0].enforced = false;
        let out = ran("abc", "sh run.sh", 30, &r);
        assert!(!is_error(&out));
        assert_eq!(out.rule, None);
        r.guard_denials.clear();
        r.exit_code = 0;
        r.stdout = "hi\n".into();
        let res = exec_result(&ran("abc", "echo hi", 30, &r));
        assert_eq!(res.is_error, Some(false));
        assert_eq!(res.structured_content.unwrap_or_default()["stdout"], "hi\n");
    }
}
