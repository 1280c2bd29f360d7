//! Cross-module tests of the audit log on real files: chains across instances and processes,
//! tamper detection, torn writes, the directory index, query and export, property tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod chain;
mod concurrent;
mod dir;
mod props;
mod query_export;
mod support;
mod tamper;
