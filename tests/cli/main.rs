//! Integration tests: the built binary in fixture repositories, with the git
//! CLI as the judge of what it wrote.

/// The object format of every repository the tests make (`None`: git's
/// default, SHA-1); tests/cli_sha256.rs runs the same suites in SHA-256.
pub const OBJECT_FORMAT: Option<&str> = None;

mod support;

mod attributes;
mod backup;
mod bad_input;
mod check;
mod checkpoint;
mod data_safety;
mod drill;
mod environment;
mod files;
mod guard;
mod hook;
mod interrupted;
mod man;
mod migration;
mod output;
mod sprint;
mod stage;
mod steps;
mod sync;
mod to_and_undo;
