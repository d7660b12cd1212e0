//! The CLI suites again, every repository in SHA-256 (`git init` with
//! GIT_DEFAULT_HASH=sha256): nothing may assume 20-byte ids.

pub const OBJECT_FORMAT: Option<&str> = Some("sha256");

#[path = "cli/support.rs"]
mod support;

#[path = "cli/attributes.rs"]
mod attributes;
#[path = "cli/backup.rs"]
mod backup;
#[path = "cli/bad_input.rs"]
mod bad_input;
#[path = "cli/check.rs"]
mod check;
#[path = "cli/checkpoint.rs"]
mod checkpoint;
#[path = "cli/data_safety.rs"]
mod data_safety;
#[path = "cli/drill.rs"]
mod drill;
#[path = "cli/environment.rs"]
mod environment;
#[path = "cli/files.rs"]
mod files;
#[path = "cli/guard.rs"]
mod guard;
#[path = "cli/hook.rs"]
mod hook;
#[path = "cli/interrupted.rs"]
mod interrupted;
#[path = "cli/migration.rs"]
mod migration;
#[path = "cli/output.rs"]
mod output;
#[path = "cli/sprint.rs"]
mod sprint;
#[path = "cli/stage.rs"]
mod stage;
#[path = "cli/steps.rs"]
mod steps;
#[path = "cli/sync.rs"]
mod sync;
#[path = "cli/to_and_undo.rs"]
mod to_and_undo;
