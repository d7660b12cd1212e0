//! The engine of `git rollback`: checkpoints, safety snapshots, rollbacks and
//! their undo, with all state kept in the repository (tags, notes, refs).
//!
//! Nothing here parses a command line or prints; the binary does that.

pub mod archive;
pub mod backup;
pub mod check;
pub mod check_ready;
pub mod checkpoint;
pub mod config;
pub mod drill;
pub mod error;
#[doc(hidden)]
pub mod fuzz;
pub mod gc;
pub mod guard;
pub mod hook;
pub mod index_tree;
pub mod interrupt;
pub mod ledger;
pub mod lock;
pub mod maps;
pub mod migration;
pub mod operation;
pub mod pathspec;
pub mod recover;
pub mod repo;
pub mod snapshot;
pub mod sprint;
pub mod stage;
pub mod stats;
pub mod steps;
pub mod sync;
pub mod trace;

pub use error::{Error, Hint, Kind, Result};
