//! The agents lasso knows how to run, as static data: the one source of truth for
//! `GET /api/v1/agents` (and any front end that offers a choice of agent).
//!
//! For each agent: the program it starts, the environment variables its authentication
//! needs (what to put in a profile's `agent_auth.forward_env`; `lasso create` refuses a
//! profile naming one that is not set, so only the variables every user of the agent needs
//! are listed, alternatives are in `note`), the API domains it talks to (a `restricted`
//! network profile must allow them), and the built-in profile that suits it.
//!
//! Checked against each vendor's documentation (cited at the entry) in December 2026; these
//! values change with the agents' releases, so a wrong entry is fixed here and nowhere else.

use serde::Serialize;

/// One agent lasso can run in a sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgentSpec {
    /// Stable identifier (`claude-code`).
    pub id: &'static str,
    /// Its product name.
    pub name: &'static str,
    /// The program that starts it inside the sandbox.
    pub program: &'static str,
    /// Variables for `agent_auth.forward_env`.
    pub forward_env: &'static [&'static str],
    /// Hosts it must reach (add them to `network.allowed_domains` of a restricted profile).
    pub domains: &'static [&'static str],
    /// The built-in profile that suits it.
    pub profile: &'static str,
    pub note: &'static str,
}

const DEV: &str = "development";

/// Every agent, in the order front ends list them.
pub const AGENTS: &[AgentSpec] = &[
    AgentSpec {
        id: "claude-code",
        name: "Claude Code",
        program: "claude",
        forward_env: &["ANTHROPIC_API_KEY"],
        domains: &["api.anthropic.com"],
        profile: DEV,
        note: "Through a gateway, forward ANTHROPIC_BASE_URL too and allow its host.",
    },
    AgentSpec {
        id: "codex",
        name: "OpenAI Codex CLI",
        program: "codex",
        forward_env: &["OPENAI_API_KEY"],
        domains: &["api.openai.com"],
        profile: DEV,
        note: "",
    },
    AgentSpec {
        id: "aider",
        name: "Aider",
        program: "aider",
        forward_env: &["OPENAI_API_KEY"],
        domains: &["api.openai.com", "api.anthropic.com"],
        profile: DEV,
        note: "For Claude models forward ANTHROPIC_API_KEY instead.",
    },
    // Cursor: the CLI installs as `agent` (cursor.com/help/integrations/cli: "Run `agent auth`
    // or set the `CURSOR_API_KEY` environment variable"; cursor.com/docs/cli/reference/
    // authentication.md: CURSOR_API_KEY for automation). The same help page asks firewalls to
    // let `*.cursor.sh` and `*.cursorapi.com` through (api2.cursor.sh is one of them).
    AgentSpec {
        id: "cursor",
        name: "Cursor CLI",
        program: "agent",
        forward_env: &["CURSOR_API_KEY"],
        domains: &["*.cursor.sh", "*.cursorapi.com"],
        profile: DEV,
        note: "Older installs named the program cursor-agent.",
    },
    // Copilot CLI: docs.github.com/en/copilot/how-tos/copilot-cli/set-up-copilot-cli/
    // authenticate-copilot-cli reads COPILOT_GITHUB_TOKEN, GH_TOKEN or GITHUB_TOKEN, in that
    // order; COPILOT_GITHUB_TOKEN is the one only Copilot reads. Hosts from docs.github.com/
    // en/copilot/reference/copilot-allowlist-reference: api.github.com (user and
    // copilot_internal) and `*.githubcopilot.com` (api., api.individual., api.business.,
    // api.enterprise.).
    AgentSpec {
        id: "copilot",
        name: "GitHub Copilot CLI",
        program: "copilot",
        forward_env: &["COPILOT_GITHUB_TOKEN"],
        domains: &["api.github.com", "*.githubcopilot.com"],
        profile: DEV,
        note: "A fine-grained token with the Copilot Requests permission; GH_TOKEN or \
               GITHUB_TOKEN also work if you forward one of those instead.",
    },
    AgentSpec {
        id: "gemini-cli",
        name: "Gemini CLI",
        program: "gemini",
        forward_env: &["GEMINI_API_KEY"],
        domains: &["generativelanguage.googleapis.com"],
        profile: DEV,
        note: "",
    },
    // Goose (block/goose documentation/docs/guides/environment-variables.md): GOOSE_PROVIDER and
    // GOOSE_MODEL are "the minimum required variables" when there is no `goose configure`
    // file (a sandbox has none); each provider then reads its own key (ANTHROPIC_API_KEY,
    // OPENAI_API_KEY, ...).
    AgentSpec {
        id: "goose",
        name: "Goose",
        program: "goose",
        forward_env: &["GOOSE_PROVIDER", "GOOSE_MODEL"],
        domains: &["api.anthropic.com", "api.openai.com"],
        profile: DEV,
        note: "Forward the chosen provider's key too (ANTHROPIC_API_KEY, OPENAI_API_KEY, ...).",
    },
    AgentSpec {
        id: "opencode",
        name: "OpenCode",
        program: "opencode",
        forward_env: &["ANTHROPIC_API_KEY"],
        domains: &["api.anthropic.com", "api.openai.com"],
        profile: DEV,
        note: "For OpenAI models forward OPENAI_API_KEY instead.",
    },
    AgentSpec {
        id: "vscode",
        name: "VS Code agents (Copilot agent mode)",
        program: "code",
        forward_env: &["GH_TOKEN"],
        domains: &["api.github.com", "*.githubcopilot.com"],
        profile: DEV,
        note: "VS Code attaches to the sandbox; its agent's commands go through the gate.",
    },
];

/// The agent with `id`.
pub fn agent(id: &str) -> Option<&'static AgentSpec> {
    AGENTS.iter().find(|a| a.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{builtin, check_env_name, check_program};

    #[test]
    fn every_agent_names_a_builtin_profile_valid_variables_and_a_program() {
        let mut ids: Vec<&str> = AGENTS.iter().map(|a| a.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), AGENTS.len(), "duplicate ids");
        for a in AGENTS {
            assert!(builtin(a.profile).is_some(), "{}: {}", a.id, a.profile);
            assert!(check_program(a.program).is_ok(), "{}", a.program);
            assert!(
                !a.forward_env.is_empty() && !a.domains.is_empty(),
                "{}",
                a.id
            );
            for v in a.forward_env {
                assert_eq!(check_env_name(v), Ok(()), "{}: {v}", a.id);
            }
            // Every host is a pattern `network.allowed_domains` accepts as written.
            for d in a.domains {
                assert_eq!(
                    crate::config::check_domain(d).as_deref(),
                    Ok(*d),
                    "{}: {d}",
                    a.id
                );
            }
        }
        for wanted in [
            "claude-code",
            "codex",
            "aider",
            "cursor",
            "copilot",
            "gemini-cli",
            "goose",
            "opencode",
            "vscode",
        ] {
            assert!(agent(wanted).is_some(), "{wanted} missing");
        }
    }
}
