//! The layering ARCHITECTURE.md describes, checked on the source text: the
//! library words no hint (the command line does, from `Hint` data), and a
//! command does not import another command (only the shared output helpers
//! of `src/cmd/`).

use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The stems of the `.rs` files in `dir` (modules), without `mod`.
fn modules(dir: &Path) -> Vec<String> {
    sources(dir)
        .into_iter()
        .filter(|p| p.parent() == Some(dir))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .chain(
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_dir())
                .map(|p| p.file_name().unwrap().to_string_lossy().into_owned()),
        )
        .filter(|stem| stem != "mod")
        .collect()
}

/// Every module named after `prefix` in `text`: `prefix::name::…` and
/// each name of `prefix::{a, b::c}`.
fn named_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices(prefix) {
        let rest = &text[at + prefix.len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            Some(list) => list[..list.find('}').unwrap_or(list.len())]
                .split(',')
                .map(|n| n.trim().split("::").next().unwrap_or_default())
                .collect(),
            None => vec![rest
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()
                .unwrap_or_default()],
        };
        out.extend(names.into_iter().map(str::to_owned));
    }
    out
}

#[test]
fn the_library_words_no_hint() {
    let cmd = src().join("cmd");
    let mut worded = Vec::new();
    for file in sources(&src()) {
        let cli = file.starts_with(&cmd) || file.ends_with("main.rs") || file.ends_with("ui.rs");
        let text = std::fs::read_to_string(&file).unwrap();
        if !cli && text.contains("Hint::Worded") {
            worded.push(file.display().to_string());
        }
    }
    assert!(
        worded.is_empty(),
        "library files build worded hints: {worded:?}"
    );
}

#[test]
fn commands_do_not_import_each_other() {
    // Shared output helpers every command may use.
    const SHARED: [&str; 4] = ["outcome", "backups", "hints", "events"];
    let cmd = src().join("cmd");
    let commands: Vec<String> = modules(&cmd)
        .into_iter()
        .filter(|m| !SHARED.contains(&m.as_str()))
        .collect();
    assert!(commands.contains(&"to".to_owned()), "{commands:?}");
    let mut found = Vec::new();
    for file in sources(&cmd) {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        // `super::` is `src/cmd/` from a command file, the group's `mod.rs`
        // from a file inside a group (`backup/create.rs`).
        let siblings = if dir == cmd {
            commands.clone()
        } else {
            modules(dir)
        };
        let own = file.file_stem().unwrap().to_string_lossy().into_owned();
        let mut imported = named_after(&text, "crate::cmd::")
            .into_iter()
            .filter(|n| commands.contains(n))
            .collect::<Vec<_>>();
        if !file.ends_with("mod.rs") {
            imported.extend(
                named_after(&text, "super::")
                    .into_iter()
                    .filter(|n| siblings.contains(n) && *n != own),
            );
        }
        for name in imported {
            found.push(format!("{} imports {name}", file.display()));
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
