//! Integration tests: the built binary in fixture repositories, with the git
//! CLI as the judge of what it wrote.

mod support;

mod attributes;
mod backup;
mod bad_input;
mod checkpoint;
mod data_safety;
mod environment;
mod files;
mod interrupted;
mod man;
mod migration;
mod output;
mod sprint;
mod stage;
mod to_and_undo;
