//! Where the server's own diagnostics go (failures it cannot answer a client about: an audit
//! append that failed, an internal error's details, a webhook that could not be delivered).
//!
//! `lasso serve` owns its terminal and writes them to stderr. `lasso --listen` serves from
//! inside the TUI, where a byte on stderr would corrupt ratatui's frame, so the TUI hands in
//! a sink that appends to `tui.log`. Every diagnostic of `src/api/` goes through a
//! [`Diagnostics`] (the module denies printing), and an internal error's details, which are
//! created where no state is at hand, travel to it in the response's extensions
//! ([`InternalDetail`], picked up by [`report_internal`]).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::ApiState;

/// A cloneable sink for one line of server diagnostics.
#[derive(Clone)]
pub struct Diagnostics(Arc<dyn Fn(&str) + Send + Sync>);

impl Diagnostics {
    /// Lines to stderr, prefixed `lasso serve: ` (the standalone server).
    #[allow(clippy::print_stderr)]
    pub fn stderr() -> Diagnostics {
        Diagnostics(Arc::new(|line| eprintln!("lasso serve: {line}")))
    }

    /// Lines to `sink` (the TUI's log file).
    pub fn new(sink: impl Fn(&str) + Send + Sync + 'static) -> Diagnostics {
        Diagnostics(Arc::new(sink))
    }

    pub fn report(&self, line: &str) {
        (self.0)(line);
    }
}

impl std::fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Diagnostics")
    }
}

/// The full text of an internal error, carried from [`super::error::ApiError`] to the sink
/// (the client only gets a generic message).
#[derive(Debug, Clone)]
pub struct InternalDetail(pub String);

/// Middleware: reports the [`InternalDetail`] of a response, if any, to the state's sink.
pub async fn report_internal(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if let Some(InternalDetail(detail)) = resp.extensions().get::<InternalDetail>() {
        state.inner.diagnostics.report(detail);
    }
    resp
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn lines_reach_the_sink() {
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let d = Diagnostics::new({
            let seen = seen.clone();
            move |l| {
                seen.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(l.into())
            }
        });
        d.clone().report("one");
        d.report("two");
        assert_eq!(
            *seen.lock().unwrap_or_else(|e| e.into_inner()),
            ["one", "two"]
        );
    }
}
