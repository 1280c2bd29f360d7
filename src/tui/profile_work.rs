//! The profile editor's file work, run by the worker on the blocking pool: every request is
//! one call into the `ProfileStore` (list, load, `check_text`, save with its history archive,
//! history, rollback, delete), answered with a [`ProfileEvent`]. Synchronous and engine-free,
//! so tests drive it directly against a temporary `LASSO_HOME`.

use std::path::Path;

use super::panes::profiles::msg::{
    HistoryView, OpenedProfile, ProfileEvent, ProfileRequest, ProfileRow, SourceKind, VersionRow,
};
use crate::config::{ProfileSource, ProfileStore, TextCheck, TextProblem, builtin, diff};

/// Does one request.
pub fn run(store: &ProfileStore, req: ProfileRequest) -> ProfileEvent {
    match req {
        ProfileRequest::List => ProfileEvent::Listed(list(store)),
        ProfileRequest::Open { name } => ProfileEvent::Opened(open(store, &name)),
        ProfileRequest::Check {
            generation,
            name,
            text,
        } => ProfileEvent::Checked {
            generation,
            check: store.check_text(&name, &text),
        },
        ProfileRequest::Inherited { name, extends } => ProfileEvent::Inherited {
            result: inherited(store, &name, extends.as_deref()),
            extends,
        },
        ProfileRequest::Save { name, text } => ProfileEvent::Written {
            result: store
                .save(&name, &text)
                .map(|s| match s.archived {
                    Some(v) => {
                        format!("saved {name} (previous version archived as v{})", v.version)
                    }
                    None => format!("saved {name} as {}", s.path.display()),
                })
                .map_err(|e| format!("saving {name}: {e}")),
            reopen: Some(name),
        },
        ProfileRequest::History { name } => ProfileEvent::History(history(store, &name)),
        ProfileRequest::Rollback { name, version } => ProfileEvent::Written {
            result: store
                .rollback(&name, version)
                .map(|_| {
                    format!("rolled {name} back to v{version} (the replaced file was archived)")
                })
                .map_err(|e| format!("rolling {name} back: {e}")),
            reopen: Some(name),
        },
        ProfileRequest::Delete { name } => ProfileEvent::Written {
            result: store
                .delete(&name)
                .map(|v| match v {
                    Some(v) => format!("deleted {name} (kept in its history as v{})", v.version),
                    None => format!("deleted {name}"),
                })
                .map_err(|e| format!("deleting {name}: {e}")),
            reopen: None,
        },
    }
}

/// The answer to `req` when the store itself could not be opened (a bad
/// `LASSO_PROFILE_DIR`): the request's own failure, so the pane shows it where it waits.
pub fn failed(req: ProfileRequest, error: String) -> ProfileEvent {
    match req {
        ProfileRequest::List => ProfileEvent::Listed(Err(error)),
        ProfileRequest::Open { .. } => ProfileEvent::Opened(Err(error)),
        ProfileRequest::History { .. } => ProfileEvent::History(Err(error)),
        ProfileRequest::Inherited { extends, .. } => ProfileEvent::Inherited {
            extends,
            result: Err(error),
        },
        ProfileRequest::Check { generation, .. } => ProfileEvent::Checked {
            generation,
            check: TextCheck {
                resolved: None,
                problem: Some(TextProblem {
                    key: None,
                    location: None,
                    message: error,
                }),
            },
        },
        ProfileRequest::Save { .. }
        | ProfileRequest::Rollback { .. }
        | ProfileRequest::Delete { .. } => ProfileEvent::Written {
            result: Err(error),
            reopen: None,
        },
    }
}

/// Which kind of search-path entry `source` is in.
pub fn kind_of(store: &ProfileStore, source: &ProfileSource) -> SourceKind {
    let ProfileSource::File(path) = source else {
        return SourceKind::Builtin;
    };
    let dirs = store.search_path();
    let parent = path.parent().unwrap_or(Path::new(""));
    if dirs.last().is_some_and(|home| home == parent) {
        SourceKind::User
    } else if parent.ends_with(".lasso/profiles") && dirs.first().is_some_and(|d| d == parent) {
        SourceKind::Project
    } else {
        SourceKind::Team
    }
}

fn list(store: &ProfileStore) -> Result<Vec<ProfileRow>, String> {
    let infos = store.list().map_err(|e| e.to_string())?;
    Ok(infos
        .into_iter()
        .map(|info| {
            let extends = store
                .load(&info.name)
                .ok()
                .and_then(|l| l.raw.extends.map(|e| e.0));
            ProfileRow {
                kind: kind_of(store, &info.source),
                name: info.name,
                source: info.source,
                extends,
                shadows: info.shadows,
                description: info.description,
                problem: info.problem,
            }
        })
        .collect())
}

fn inherited(
    store: &ProfileStore,
    name: &str,
    extends: Option<&str>,
) -> Result<serde_json::Value, String> {
    let p = store.inherited(name, extends).map_err(|e| e.to_string())?;
    form_values(&p)
}

/// A profile as the form reads values from it.
pub(crate) fn form_values(p: &crate::config::Profile) -> Result<serde_json::Value, String> {
    let mut value = serde_json::to_value(p).map_err(|e| e.to_string())?;
    // The serialised profile leaves `[terminal]` out while it is all defaults (so existing
    // hashes stay); the form still shows what those defaults are.
    if let serde_json::Value::Object(map) = &mut value
        && !map.contains_key("terminal")
    {
        let terminal = serde_json::to_value(&p.terminal).map_err(|e| e.to_string())?;
        map.insert("terminal".to_string(), terminal);
    }
    Ok(value)
}

fn open(store: &ProfileStore, name: &str) -> Result<OpenedProfile, String> {
    let loaded = store.load(name).map_err(|e| e.to_string())?;
    let (text, path) = match &loaded.source {
        ProfileSource::Builtin => (
            builtin(name)
                .map(|b| b.text.to_string())
                .unwrap_or_default(),
            None,
        ),
        ProfileSource::File(p) => (
            std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))?,
            Some(p.clone()),
        ),
    };
    let extends = loaded.raw.extends.as_ref().map(|e| e.0.as_str());
    Ok(OpenedProfile {
        name: name.to_string(),
        kind: kind_of(store, &loaded.source),
        path,
        text,
        saved: store.resolve(name).ok(),
        // A broken parent still lets the profile be edited; the check reports the problem.
        inherited: inherited(store, name, extends).unwrap_or(serde_json::Value::Null),
    })
}

fn history(store: &ProfileStore, name: &str) -> Result<HistoryView, String> {
    let h = store.history(name).map_err(|e| e.to_string())?;
    let current = store.resolve(name).map_err(|e| e.to_string());
    let resolved: Vec<Result<_, String>> = h
        .versions
        .iter()
        .map(|v| {
            store
                .resolve_version(name, v.version)
                .map(|r| r.profile)
                .map_err(|e| e.to_string())
        })
        .collect();
    let mut versions = Vec::with_capacity(h.versions.len());
    for (i, entry) in h.versions.iter().enumerate() {
        let next = resolved.get(i + 1).unwrap_or(&current);
        let changes = match (&resolved[i], next) {
            (Ok(a), Ok(b)) => {
                let d = diff(a, b);
                if d.is_empty() {
                    vec!["no effective changes".to_string()]
                } else {
                    d.iter().map(ToString::to_string).collect()
                }
            }
            (Err(e), _) => vec![format!("v{} does not resolve: {e}", entry.version)],
            (_, Err(e)) => vec![format!("its successor does not resolve: {e}")],
        };
        versions.push(VersionRow {
            entry: entry.clone(),
            changes,
        });
    }
    versions.reverse();
    Ok(HistoryView {
        name: h.name,
        path: h.path,
        versions,
    })
}

#[cfg(test)]
mod tests;
