//! Snapshot tests (see tests/ below).
