//! lasso: run AI coding agents in hardened, policy-gated, audited container sandboxes.
//!
//! Layers (dependencies point downwards only; see docs/architecture.md):
//!
//! * front ends — [`cli`], [`tui`], [`mcp`], [`api`] (REST); the library itself is the
//!   SDK ([`sdk`]);
//! * service — [`sandbox`], the one API every front end calls;
//! * mechanisms — [`runtime`] (Docker/Podman through bollard; nothing else imports it) and
//!   [`audit`] (the HMAC-chained log);
//! * pure rules — [`policy`] (the command gate) and [`config`] (profiles, settings).

#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod api;
pub mod audit;
pub mod cli;
pub mod config;
pub mod mcp;
pub mod policy;
pub mod runtime;
pub mod sandbox;
pub mod sdk;
pub mod tui;
