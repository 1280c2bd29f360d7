//! Field-level differences between two resolved profiles (`lasso profile diff`).
//!
//! Both profiles are flattened through their JSON form into key paths, so the diff follows the
//! schema automatically when fields are added. Lists in a profile are sets (resolution sorts
//! them), so a list change is reported as additions and removals rather than positions.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::profile::Profile;

/// One changed key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Key path such as `commands.whitelist` or `commands.blocked_args.git`.
    pub key: String,
    #[serde(flatten)]
    pub change: Change,
}

/// What changed at a key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A value changed, appeared (`from` is null) or disappeared (`to` is null).
    Value { from: Value, to: Value },
    /// A list gained and/or lost items.
    List {
        added: Vec<Value>,
        removed: Vec<Value>,
    },
}

/// Every difference from `a` to `b`, ordered by key path.
pub fn diff(a: &Profile, b: &Profile) -> Vec<FieldChange> {
    // Cannot fail for `Profile` (string keys, infallible Serialize impls).
    let a = serde_json::to_value(a).unwrap_or(Value::Null);
    let b = serde_json::to_value(b).unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk("", &a, &b, &mut out);
    out
}

fn walk(key: &str, a: &Value, b: &Value, out: &mut Vec<FieldChange>) {
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            let keys: BTreeSet<&String> = ma.keys().chain(mb.keys()).collect();
            for k in keys {
                let path = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                let null = Value::Null;
                let va = ma.get(k).unwrap_or(&null);
                let vb = mb.get(k).unwrap_or(&null);
                // A table entry present on one side only (blocked_args.npm) is a list change
                // from or to nothing, which reads better than null.
                match (va, vb) {
                    (Value::Null, Value::Array(_)) => walk(&path, &Value::Array(vec![]), vb, out),
                    (Value::Array(_), Value::Null) => walk(&path, va, &Value::Array(vec![]), out),
                    _ => walk(&path, va, vb, out),
                }
            }
        }
        (Value::Array(la), Value::Array(lb)) => {
            let added: Vec<Value> = lb.iter().filter(|v| !la.contains(v)).cloned().collect();
            let removed: Vec<Value> = la.iter().filter(|v| !lb.contains(v)).cloned().collect();
            if !added.is_empty() || !removed.is_empty() {
                out.push(FieldChange {
                    key: key.to_string(),
                    change: Change::List { added, removed },
                });
            }
        }
        _ if a != b => out.push(FieldChange {
            key: key.to_string(),
            change: Change::Value {
                from: a.clone(),
                to: b.clone(),
            },
        }),
        _ => {}
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "(unset)".to_string(),
        other => other.to_string(),
    }
}

impl fmt::Display for FieldChange {
    /// `network.mode: "none" -> "full"` or `commands.whitelist: +curl +wget -rm`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.change {
            Change::Value { from, to } => write!(f, "{}: {} -> {}", self.key, show(from), show(to)),
            Change::List { added, removed } => {
                write!(f, "{}:", self.key)?;
                let bare = |v: &Value| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                for v in added {
                    write!(f, " +{}", bare(v))?;
                }
                for v in removed {
                    write!(f, " -{}", bare(v))?;
                }
                Ok(())
            }
        }
    }
}

/// The changes one per line, or a note that there are none.
pub fn render_diff(changes: &[FieldChange]) -> String {
    if changes.is_empty() {
        return "no differences\n".to_string();
    }
    changes.iter().map(|c| format!("{c}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::exchange::resolve_standalone;

    fn profile(text: &str) -> Profile {
        match resolve_standalone(text, "t.toml") {
            Ok((_, p)) => p,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn lists_scalars_and_tables() {
        let a = profile(
            "name = \"a\"\n[commands]\nwhitelist = [\"ls\", \"rm\"]\n\
             blocked_args = { git = [\"push\"] }\n[network]\nmode = \"none\"\n",
        );
        let b = profile(
            "name = \"b\"\n[commands]\nwhitelist = [\"ls\", \"curl\"]\n\
             blocked_args = { npm = [\"publish\"] }\n[network]\nmode = \"full\"\n\
             [resources]\nmemory = \"1g\"\n",
        );
        let changes = diff(&a, &b);
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            vec![
                "commands.blocked_args.git: -push",
                "commands.blocked_args.npm: +publish",
                "commands.whitelist: +curl -rm",
                "name: \"a\" -> \"b\"",
                "network.mode: \"none\" -> \"full\"",
                "resources.memory: \"512m\" -> \"1g\"",
            ]
        );
        assert!(diff(&a, &a).is_empty());
        assert_eq!(render_diff(&[]), "no differences\n");
    }

    #[test]
    fn optional_fields_and_json_shape() {
        let a = profile("name = \"a\"\n[commands]\nwhitelist = [\"ls\"]\n");
        let b = profile(
            "name = \"a\"\n[commands]\nwhitelist = [\"ls\"]\n[image]\nbase = \"debian:12\"\n",
        );
        let changes = diff(&a, &b);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            changes[0].to_string(),
            "image.base: (unset) -> \"debian:12\""
        );
        let json = serde_json::to_value(&changes).unwrap_or(Value::Null);
        assert_eq!(
            json,
            serde_json::json!([{"key": "image.base", "kind": "value", "from": null, "to": "debian:12"}])
        );
    }
}
