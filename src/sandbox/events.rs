//! The event bus: typed events every front end can subscribe to (the TUI alerts pane, the
//! REST event stream, webhooks, metrics). A `tokio::sync::broadcast` channel: publishers
//! never block, slow subscribers lose the oldest events and are told how many.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::policy::Rule;

/// Something that happened in this process's service.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    SandboxCreated {
        id: String,
        name: String,
        profile: String,
    },
    SandboxStopped {
        id: String,
        name: String,
    },
    CommandExecuted {
        id: String,
        /// The sandbox's profile (metrics count execs by profile).
        profile: String,
        command: String,
        exit_code: i64,
        duration_ms: u64,
        timed_out: bool,
    },
    Violation {
        id: String,
        profile: String,
        command: String,
        rule: Rule,
        reason: String,
    },
    /// The in-sandbox guard denied an exec of the agent's own processes (`enforced`), or in
    /// shadow mode would have.
    GuardDenied {
        id: String,
        command: String,
        program: String,
        rule: String,
        reason: String,
        enforced: bool,
    },
    AuditAppended {
        log: String,
        seq: u64,
    },
    /// `lasso mode`: the sandbox's mode changed (effective from its next command).
    ModeChanged {
        id: String,
        name: String,
        from: String,
        to: String,
    },
}

impl Event {
    /// The event's type, as its serialised `event` tag (what webhooks subscribe to).
    pub fn kind(&self) -> &'static str {
        match self {
            Event::SandboxCreated { .. } => "sandbox_created",
            Event::SandboxStopped { .. } => "sandbox_stopped",
            Event::CommandExecuted { .. } => "command_executed",
            Event::Violation { .. } => "violation",
            Event::GuardDenied { .. } => "guard_denied",
            Event::AuditAppended { .. } => "audit_appended",
            Event::ModeChanged { .. } => "mode_changed",
        }
    }
}

/// A cloneable handle to the bus.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new(1024)
    }
}

impl EventBus {
    pub fn new(capacity: usize) -> EventBus {
        let (sender, _) = broadcast::channel(capacity.max(1));
        EventBus { sender }
    }

    /// Publishes an event; having no subscriber is not an error.
    pub fn publish(&self, event: Event) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn subscribers_receive_published_events_in_order() {
        let bus = EventBus::new(8);
        let mut rx = bus.subscribe();
        bus.publish(Event::SandboxStopped {
            id: "a".into(),
            name: "n".into(),
        });
        bus.publish(Event::AuditAppended {
            log: "l".into(),
            seq: 2,
        });
        assert_eq!(
            rx.recv().await.ok(),
            Some(Event::SandboxStopped {
                id: "a".into(),
                name: "n".into()
            })
        );
        assert_eq!(
            rx.recv().await.ok(),
            Some(Event::AuditAppended {
                log: "l".into(),
                seq: 2
            })
        );
    }

    #[test]
    fn kinds_are_the_serialised_tags_and_the_subscribable_types() {
        let s = String::new;
        let all = [
            Event::SandboxCreated {
                id: s(),
                name: s(),
                profile: s(),
            },
            Event::SandboxStopped { id: s(), name: s() },
            Event::CommandExecuted {
                id: s(),
                profile: s(),
                command: s(),
                exit_code: 0,
                duration_ms: 0,
                timed_out: false,
            },
            Event::Violation {
                id: s(),
                profile: s(),
                command: s(),
                rule: Rule::Empty,
                reason: s(),
            },
            Event::GuardDenied {
                id: s(),
                command: s(),
                program: s(),
                rule: s(),
                reason: s(),
                enforced: true,
            },
            Event::AuditAppended { log: s(), seq: 0 },
            Event::ModeChanged {
                id: s(),
                name: s(),
                from: s(),
                to: s(),
            },
        ];
        let types: Vec<&str> = crate::config::EVENT_TYPES.iter().map(|(t, _)| *t).collect();
        for e in &all {
            let json = serde_json::to_value(e).unwrap_or_default();
            assert_eq!(json["event"], e.kind());
            assert!(
                types.contains(&e.kind()),
                "{} is not subscribable",
                e.kind()
            );
        }
        // Every subscribable type is an event of the bus, or the webhook test event.
        assert_eq!(types.len(), all.len() + 1);
        assert_eq!(types.last(), Some(&"test"));
    }

    #[test]
    fn events_serialise_with_a_tag() {
        let json = serde_json::to_value(Event::Violation {
            id: "x".into(),
            profile: "p".into(),
            command: "rm -rf /".into(),
            rule: Rule::NotWhitelisted,
            reason: "no".into(),
        })
        .unwrap_or_default();
        assert_eq!(json["event"], "violation");
        assert_eq!(json["rule"], "not-whitelisted");
        assert_eq!(json["profile"], "p");
        let json = serde_json::to_value(Event::ModeChanged {
            id: "x".into(),
            name: "n".into(),
            from: "autonomous".into(),
            to: "observe".into(),
        })
        .unwrap_or_default();
        assert_eq!(
            (
                json["event"].as_str(),
                json["from"].as_str(),
                json["to"].as_str()
            ),
            (Some("mode_changed"), Some("autonomous"), Some("observe"))
        );
    }
}
