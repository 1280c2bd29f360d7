//! Live views of this home's sandboxes for front ends that stay open (the TUI, event
//! streams): engine container events and one-shot resource samples.
//!
//! The engine is the only party that sees every lasso process's sandboxes come and go, so
//! "a sandbox appeared or vanished" comes from its event stream, filtered on this home's
//! labels, rather than from this process's own bus. The stream does not carry enough to
//! build a [`SandboxInfo`] (no state, partial labels), so a [`LiveEvent::Changed`] means
//! "re-list", and [`LiveEvent::Connected`] (after any gap) means the same.

use std::time::Duration;

use tokio::sync::mpsc;

use super::error::SandboxError;
use super::labels::{self, SandboxInfo};
use super::service::SandboxService;
use crate::runtime::{ContainerAction, StatsSample, WatchItem, WatchOptions};

/// What [`SandboxService::watch_sandboxes`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveEvent {
    /// The engine's event stream is open (again): whatever happened before is unknown.
    Connected,
    /// A sandbox of this home was created, started, stopped, died, removed, ...
    Changed {
        /// The lasso id (from the container's labels), when the engine sent the labels.
        sandbox_id: Option<String>,
        container_id: String,
        /// The engine's action (`create`, `start`, `die`, `destroy`, ...).
        action: String,
    },
    /// The stream is down; the watch retries by itself after `retry_in`.
    Disconnected { error: String, retry_in: Duration },
}

impl SandboxService {
    /// Watches this home's sandboxes through the engine's event stream. The watch reconnects
    /// by itself (exponential backoff up to 30 s) and ends when the receiver is dropped.
    /// Fails only when there is no engine to connect to at all.
    pub async fn watch_sandboxes(&self) -> Result<mpsc::Receiver<LiveEvent>, SandboxError> {
        self.watch_sandboxes_with(WatchOptions::default()).await
    }

    /// [`SandboxService::watch_sandboxes`] with explicit reconnect timing.
    pub async fn watch_sandboxes_with(
        &self,
        options: WatchOptions,
    ) -> Result<mpsc::Receiver<LiveEvent>, SandboxError> {
        let engine = self.engine().await?;
        // One label only: Podman 4.3's compat endpoint matches a list of label filters when
        // ANY of them matches (Docker: all), so `lasso.managed=true` would let every home's
        // events through. The home tag alone is unique; events are checked again below.
        let mut raw = engine.watch_containers(&[(labels::HOME, Some(&self.home_tag))], options);
        let home_tag = self.home_tag.clone();
        let (tx, rx) = mpsc::channel(256);
        tokio::spawn(async move {
            while let Some(item) = raw.recv().await {
                let ev = match item {
                    WatchItem::Connected => LiveEvent::Connected,
                    WatchItem::Disconnected { error, retry_in } => {
                        LiveEvent::Disconnected { error, retry_in }
                    }
                    // Execs (every gated command is one) and health checks do not change
                    // the list; lines that are not events are nothing to act on.
                    WatchItem::Event(e) if !e.action.changes_listing() => continue,
                    WatchItem::Skipped(_) => continue,
                    // Should the engine not filter (or filter differently), another home's
                    // sandboxes are still not ours.
                    WatchItem::Event(e) if !is_ours(&e.attributes, &home_tag) => continue,
                    WatchItem::Event(e) => LiveEvent::Changed {
                        sandbox_id: e.attributes.get(labels::ID).cloned(),
                        container_id: e.container_id,
                        action: action_name(&e.action),
                    },
                };
                if tx.send(ev).await.is_err() {
                    return;
                }
            }
        });
        Ok(rx)
    }

    /// One resource sample of a running sandbox (CPU counters and memory). The CPU
    /// percentage needs two samples: [`StatsSample::cpu_percent_since`].
    pub async fn sample_stats(&self, info: &SandboxInfo) -> Result<StatsSample, SandboxError> {
        let engine = self.engine().await?;
        Ok(engine.stats(&info.container_id).await?)
    }
}

/// An event whose labels name another home (or say it is not a lasso sandbox) is not ours;
/// one without labels is given the benefit of the doubt (a re-list costs little).
fn is_ours(attributes: &std::collections::BTreeMap<String, String>, home_tag: &str) -> bool {
    attributes.get(labels::HOME).is_none_or(|h| h == home_tag)
        && attributes.get(labels::MANAGED).is_none_or(|m| m == "true")
}

fn action_name(a: &ContainerAction) -> String {
    match a {
        ContainerAction::Create => "create".into(),
        ContainerAction::Start => "start".into(),
        ContainerAction::Die => "die".into(),
        ContainerAction::Stop => "stop".into(),
        ContainerAction::Kill => "kill".into(),
        ContainerAction::Destroy => "destroy".into(),
        ContainerAction::Pause => "pause".into(),
        ContainerAction::Unpause => "unpause".into(),
        ContainerAction::Rename => "rename".into(),
        ContainerAction::Other(s) => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn only_this_homes_events_are_ours() {
        let attrs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let mine = attrs(&[
            (labels::HOME, "aa"),
            (labels::MANAGED, "true"),
            ("name", "x"),
        ]);
        assert!(is_ours(&mine, "aa"));
        assert!(!is_ours(&mine, "bb"));
        assert!(!is_ours(
            &attrs(&[(labels::HOME, "aa"), (labels::MANAGED, "false")]),
            "aa"
        ));
        assert!(is_ours(&attrs(&[("name", "x")]), "aa"));
    }
}
