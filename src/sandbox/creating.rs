//! The `creating` state: a sandbox whose create (or restart) has not finished yet.
//!
//! The engine lists a container as soon as it starts, but create goes on afterwards: the
//! self-test probes, the mode file, the audit log's first entries. Until then the sandbox
//! must not be used (its audit log may not exist yet), and every front end must say so.
//!
//! Where the fact lives: a marker file `LASSO_HOME/run/<container>/creating`, written before
//! the container exists and removed as the very last step of create, after the `create`
//! entries are in the sandbox's and the system's audit logs. Why a file there:
//! * it must be visible to every lasso process (the TUI of one process shows another's
//!   create), so it is persisted, not in memory;
//! * a container label cannot change after the container starts, so it cannot say "done";
//! * reading the audit log for its `create` entry on every list would cost a file parse
//!   per sandbox per list and cannot tell a create under way from one that died;
//! * the run directory is host-only (only its `policy/` and `spool/` subdirectories are
//!   mounted, and `policy/` read-only), so the agent can neither forge nor remove it; its
//!   path comes from the container's `lasso.run_dir` label;
//! * sandboxes created before this marker existed have none and count as finished.
//!
//! A create that dies half-way (the process killed) leaves the marker behind. So the marker
//! names its creator — process id and the process's start time from `/proc/<pid>/stat`, so
//! a reused pid does not count — and a marker whose creator is gone means "the create did
//! not finish": the sandbox is listed with its engine state and a problem saying so, which
//! makes it unusable (exec, terminals refuse with that reason) but, like every sandbox,
//! removable with `lasso stop`/`lasso rm`. A create that is cancelled inside a live process
//! (a dropped future: an API client that hung up) rewrites the marker as `abandoned` on
//! drop, with the same result. The liveness check only sees processes in this pid
//! namespace; a creator in another one looks gone (a visible, removable problem rather than
//! a sandbox stuck in `creating`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::SandboxError;

/// The state every front end shows for a sandbox whose create has not finished.
pub const CREATING: &str = "creating";

/// The marker's file name inside the run directory.
const MARKER: &str = "creating";

/// What the marker says about a sandbox's create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Creation {
    /// No marker: the create finished (or the sandbox predates markers).
    Finished,
    /// The creating process is alive: the create is under way.
    InProgress,
    /// The marker stays but its create cannot finish; says why.
    Abandoned(String),
}

/// What the marker file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Marker {
    /// `pid <pid> <start time in clock ticks since boot>`
    Owner { pid: u32, start: u64 },
    /// `abandoned`: the create was cancelled inside a process that lives on.
    Abandoned,
}

impl Marker {
    fn parse(text: &str) -> Option<Marker> {
        let mut words = text.split_whitespace();
        match (words.next(), words.next(), words.next(), words.next()) {
            (Some("abandoned"), None, None, None) => Some(Marker::Abandoned),
            (Some("pid"), Some(pid), Some(start), None) => Some(Marker::Owner {
                pid: pid.parse().ok()?,
                start: start.parse().ok()?,
            }),
            _ => None,
        }
    }

    fn render(&self) -> String {
        match self {
            Marker::Owner { pid, start } => format!("pid {pid} {start}\n"),
            Marker::Abandoned => "abandoned\n".to_string(),
        }
    }
}

/// The state a listing shows: `creating` while the create is under way, else the engine's.
/// A create under way wins over whatever the engine says (`created` before the start,
/// `exited` just before the create fails and removes it): until it returns, the creating
/// process owns the container.
pub(crate) fn listed_state(engine_state: &str, creation: &Creation) -> String {
    match creation {
        Creation::InProgress => CREATING.to_string(),
        Creation::Finished | Creation::Abandoned(_) => engine_state.to_string(),
    }
}

/// The problem a listing records for a create that cannot finish.
pub(crate) fn abandoned_problem(why: &str, name: &str) -> String {
    format!("its create did not finish ({why}); remove it with `lasso stop {name}`")
}

/// Reads a sandbox's marker (`run_dir` from its label; empty: no marker possible).
pub(crate) fn creation_of(run_dir: &str) -> Creation {
    if run_dir.is_empty() {
        return Creation::Finished;
    }
    let path = Path::new(run_dir).join(MARKER);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Creation::Finished,
        Err(e) => {
            return Creation::Abandoned(format!(
                "its creation marker {} cannot be read: {e}",
                path.display()
            ));
        }
    };
    classify(Marker::parse(&text), &path, process_start)
}

/// The pure part of [`creation_of`]: `start_of(pid)` is the live process's start time.
fn classify(
    marker: Option<Marker>,
    path: &Path,
    start_of: impl Fn(u32) -> Option<u64>,
) -> Creation {
    match marker {
        None => Creation::Abandoned(format!(
            "its creation marker {} is not in a known format",
            path.display()
        )),
        Some(Marker::Abandoned) => {
            Creation::Abandoned("the create was cancelled before it finished".to_string())
        }
        Some(Marker::Owner { pid, start }) => {
            if start_of(pid) == Some(start) {
                Creation::InProgress
            } else {
                Creation::Abandoned(format!(
                    "the lasso process {pid} that was creating it is gone"
                ))
            }
        }
    }
}

/// A process's start time (clock ticks since boot), field 22 of `/proc/<pid>/stat`.
fn process_start(pid: u32) -> Option<u64> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat_start(&text)
}

/// Field 22 of a `/proc/<pid>/stat` line. The command name (field 2) is in parentheses and
/// may itself hold spaces and parentheses, so fields are counted after the last `)`.
fn parse_stat_start(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3 (the state): field 22 is the 20th word.
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The marker of one create in this process. [`CreateMarker::finish`] removes it; dropped
/// without that (the create failed or was cancelled), it is rewritten as `abandoned` if it
/// is still there, so a live process never leaves a sandbox that looks `creating` forever.
/// (Failed creates remove the run directory, marker included, along with the container.)
pub(crate) struct CreateMarker {
    path: PathBuf,
    finished: bool,
}

impl CreateMarker {
    /// Writes the marker for this process into `run_dir` (which must exist), atomically.
    pub(crate) fn begin(run_dir: &Path) -> Result<CreateMarker, SandboxError> {
        let pid = std::process::id();
        let start = process_start(pid).ok_or_else(|| {
            SandboxError::io(
                "reading this process's start time from /proc/self/stat (needed to mark the \
                 sandbox as being created)",
                std::io::Error::other("/proc is not mounted or not readable"),
            )
        })?;
        let path = run_dir.join(MARKER);
        write_atomic(&path, &Marker::Owner { pid, start }.render())?;
        Ok(CreateMarker {
            path,
            finished: false,
        })
    }

    /// The create finished: removes the marker, so every lasso process lists the sandbox
    /// with its engine state. A marker already gone means the sandbox was stopped (its run
    /// directory removed) while it was being created.
    pub(crate) fn finish(mut self, name: &str) -> Result<(), SandboxError> {
        self.finished = true;
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SandboxError::Unusable {
                id: name.to_string(),
                reason: "it was stopped or removed while it was being created".to_string(),
            }),
            Err(e) => Err(SandboxError::io(
                format!("removing the creation marker {}", self.path.display()),
                e,
            )),
        }
    }
}

impl Drop for CreateMarker {
    fn drop(&mut self) {
        if !self.finished && self.path.exists() {
            let _ = write_atomic(&self.path, &Marker::Abandoned.render());
        }
    }
}

/// Temporary file + rename: a reader sees the old content or the new, never half of it.
fn write_atomic(path: &Path, text: &str) -> Result<(), SandboxError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .and_then(|()| fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        SandboxError::io(format!("writing {}", path.display()), e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip_and_reject_anything_else() {
        for m in [
            Marker::Owner {
                pid: 42,
                start: 123_456,
            },
            Marker::Abandoned,
        ] {
            assert_eq!(Marker::parse(&m.render()), Some(m));
        }
        for bad in [
            "",
            "pid",
            "pid 1",
            "pid x 2",
            "pid 1 2 3",
            "abandoned now",
            "done",
        ] {
            assert_eq!(Marker::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_live_creator_means_in_progress_anything_else_abandoned() {
        let p = Path::new("/h/run/lasso-x/creating");
        let owner = Some(Marker::Owner { pid: 7, start: 100 });
        assert_eq!(
            classify(owner.clone(), p, |_| Some(100)),
            Creation::InProgress
        );
        // The pid was reused by a process that started later.
        let reused = classify(owner.clone(), p, |_| Some(999));
        assert!(
            matches!(&reused, Creation::Abandoned(w) if w.contains("process 7") && w.contains("gone")),
            "{reused:?}"
        );
        assert!(matches!(
            classify(owner, p, |_| None),
            Creation::Abandoned(_)
        ));
        let cancelled = classify(Some(Marker::Abandoned), p, |_| Some(100));
        assert!(
            matches!(&cancelled, Creation::Abandoned(w) if w.contains("cancelled")),
            "{cancelled:?}"
        );
        let garbled = classify(None, p, |_| Some(100));
        assert!(
            matches!(&garbled, Creation::Abandoned(w) if w.contains("/h/run/lasso-x/creating")),
            "{garbled:?}"
        );
    }

    #[test]
    fn only_a_create_under_way_shows_creating() {
        assert_eq!(listed_state("running", &Creation::InProgress), "creating");
        assert_eq!(listed_state("created", &Creation::InProgress), "creating");
        assert_eq!(listed_state("running", &Creation::Finished), "running");
        assert_eq!(listed_state("exited", &Creation::Finished), "exited");
        let gone = Creation::Abandoned("x".into());
        assert_eq!(listed_state("running", &gone), "running");
        assert!(abandoned_problem("x", "dev").contains("lasso stop dev"));
    }

    #[test]
    fn stat_start_time_is_field_22_even_with_odd_command_names() {
        let fields: String = (3..=22).map(|n| format!(" {n}")).collect();
        assert_eq!(
            parse_stat_start(&format!("17 (a) b) (c){fields} 23 24")),
            Some(22)
        );
        assert_eq!(parse_stat_start("17 (x) S 1 2"), None);
        assert_eq!(parse_stat_start("garbage"), None);
        // This very process is alive and has a start time.
        assert!(process_start(std::process::id()).is_some());
    }

    #[test]
    fn marker_lifecycle_on_disk() {
        let Ok(dir) = tempfile::tempdir() else {
            panic!("tempdir")
        };
        let run = dir.path().to_string_lossy().to_string();
        assert_eq!(creation_of(""), Creation::Finished);
        assert_eq!(creation_of(&run), Creation::Finished);
        let Ok(m) = CreateMarker::begin(dir.path()) else {
            panic!("begin")
        };
        assert_eq!(creation_of(&run), Creation::InProgress);
        assert!(m.finish("dev").is_ok());
        assert_eq!(creation_of(&run), Creation::Finished);

        // Dropped unfinished: abandoned, not creating forever.
        let Ok(m) = CreateMarker::begin(dir.path()) else {
            panic!("begin")
        };
        drop(m);
        assert!(matches!(creation_of(&run), Creation::Abandoned(_)));

        // A marker removed under a create (the sandbox was stopped) fails the finish.
        let Ok(m) = CreateMarker::begin(dir.path()) else {
            panic!("begin")
        };
        assert!(fs::remove_file(dir.path().join(MARKER)).is_ok());
        let r = m.finish("dev").map_err(|e| e.to_string());
        assert!(
            r.as_ref().is_err_and(|e| e.contains("stopped or removed")),
            "{r:?}"
        );
        // ... and its drop does not resurrect the marker.
        assert_eq!(creation_of(&run), Creation::Finished);
    }
}
