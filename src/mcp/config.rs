//! `lasso mcp config`: the snippet an MCP client needs to start `lasso mcp` — the absolute
//! path of this lasso binary, its arguments, and the environment that selects lasso's state
//! and engine (clients start servers with their own, usually minimal, environment).
//! Pure: the caller supplies the binary path and the environment.

use serde_json::{Map, Value, json};

/// The clients a snippet can be printed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Vscode,
    Cursor,
}

/// Environment variables passed on to the server when set (state, engine, team profiles).
pub const FORWARDED_ENV: &[&str] = &["LASSO_HOME", "LASSO_RUNTIME", "LASSO_PROFILE_DIR"];

/// Everything a snippet says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCommand {
    /// Absolute path of the lasso binary.
    pub command: String,
    /// `mcp [--profile P] [--dir D]`.
    pub args: Vec<String>,
    /// Variables and values, in [`FORWARDED_ENV`] order.
    pub env: Vec<(String, String)>,
}

impl ServerCommand {
    pub fn new(
        binary: &str,
        profile: Option<&str>,
        dir: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> ServerCommand {
        let mut args = vec!["mcp".to_string()];
        if let Some(p) = profile {
            args.extend(["--profile".to_string(), p.to_string()]);
        }
        if let Some(d) = dir {
            args.extend(["--dir".to_string(), d.to_string()]);
        }
        let env = FORWARDED_ENV
            .iter()
            .filter_map(|k| env(k).map(|v| (k.to_string(), v)))
            .collect();
        ServerCommand {
            command: binary.to_string(),
            args,
            env,
        }
    }

    fn env_object(&self) -> Value {
        Value::Object(
            self.env
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect::<Map<String, Value>>(),
        )
    }

    /// The snippet for `client`: JSON for the editors and Claude Desktop, a shell command for
    /// Claude Code.
    pub fn snippet(&self, client: Client) -> String {
        let server = json!({
            "command": self.command,
            "args": self.args,
            "env": self.env_object(),
        });
        match client {
            Client::ClaudeDesktop | Client::Cursor => {
                pretty(&json!({ "mcpServers": { "lasso": server } }))
            }
            Client::Vscode => {
                let mut s = server;
                if let Some(o) = s.as_object_mut() {
                    o.insert("type".into(), Value::from("stdio"));
                }
                pretty(&json!({ "servers": { "lasso": s } }))
            }
            Client::ClaudeCode => {
                let mut words = vec!["claude".to_string(), "mcp".into(), "add".into()];
                words.extend(["--transport".into(), "stdio".into()]);
                for (k, v) in &self.env {
                    words.push("--env".into());
                    words.push(shell_quote(&format!("{k}={v}")));
                }
                words.push("lasso".into());
                words.push("--".into());
                words.push(shell_quote(&self.command));
                words.extend(self.args.iter().map(|a| shell_quote(a)));
                words.join(" ")
            }
        }
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Where each client keeps the snippet (for the human text around it).
pub fn where_it_goes(client: Client) -> &'static str {
    match client {
        Client::ClaudeDesktop => {
            "add this to claude_desktop_config.json (Settings > Developer > Edit Config; on \
             Linux ~/.config/Claude/claude_desktop_config.json), merging with any other \
             mcpServers, then restart Claude Desktop"
        }
        Client::ClaudeCode => "run this command (add `--scope project` to share it via .mcp.json)",
        Client::Vscode => {
            "put this in .vscode/mcp.json of your project (or your user mcp.json), merging with \
             any other servers"
        }
        Client::Cursor => {
            "put this in ~/.cursor/mcp.json (or .cursor/mcp.json of your project), merging with \
             any other mcpServers"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> ServerCommand {
        ServerCommand::new(
            "/opt/lasso bin/lasso",
            Some("development"),
            Some("/home/me/proj"),
            &|k| (k == "LASSO_HOME").then(|| "/home/me/.lasso".to_string()),
        )
    }

    #[test]
    fn json_snippets_carry_command_args_and_env() {
        let v: Value =
            serde_json::from_str(&cmd().snippet(Client::ClaudeDesktop)).unwrap_or_default();
        let s = &v["mcpServers"]["lasso"];
        assert_eq!(s["command"], "/opt/lasso bin/lasso");
        assert_eq!(
            s["args"],
            json!(["mcp", "--profile", "development", "--dir", "/home/me/proj"])
        );
        assert_eq!(s["env"], json!({"LASSO_HOME": "/home/me/.lasso"}));
        let v: Value = serde_json::from_str(&cmd().snippet(Client::Vscode)).unwrap_or_default();
        assert_eq!(v["servers"]["lasso"]["type"], "stdio");
        assert_eq!(v["servers"]["lasso"]["command"], "/opt/lasso bin/lasso");
        let v: Value = serde_json::from_str(&cmd().snippet(Client::Cursor)).unwrap_or_default();
        assert_eq!(v["mcpServers"]["lasso"]["args"][0], "mcp");
    }

    #[test]
    fn claude_code_gets_a_quoted_command() {
        assert_eq!(
            cmd().snippet(Client::ClaudeCode),
            "claude mcp add --transport stdio --env LASSO_HOME=/home/me/.lasso lasso -- \
             '/opt/lasso bin/lasso' mcp --profile development --dir /home/me/proj"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn without_options_only_mcp_is_passed() {
        let c = ServerCommand::new("/l", None, None, &|_| None);
        assert_eq!(c.args, vec!["mcp"]);
        assert!(c.env.is_empty());
    }
}
