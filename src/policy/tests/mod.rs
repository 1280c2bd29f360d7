//! Behaviour tests for the whole gate.
