//! The pre-push hook: install, uninstall byte for byte, and what it keeps
//! when a push overwrites or deletes a remote branch (a bare repository on
//! disk as the remote).

use std::os::unix::fs::PermissionsExt;

use crate::support::TestRepo;

/// basic.sh pushed to a bare remote `origin` beside it.
fn with_remote() -> TestRepo {
    TestRepo::with_remote("basic")
}

/// The user's own pre-push hook, with `text` and permission bits `mode`.
/// Written by a child process: a file this (multi-threaded) test process
/// had open for writing could be inherited by another test's fork, and git
/// would then fail to run it (ETXTBSY).
fn write_hook(hook: &std::path::Path, text: &str, mode: u32) {
    use std::io::Write;
    let mut child = std::process::Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod \"$2\" \"$1\"", "sh"])
        .arg(hook)
        .arg(format!("{mode:o}"))
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        std::fs::metadata(hook).unwrap().permissions().mode() & 0o7777,
        mode
    );
}

fn checkpoints(repo: &TestRepo) -> Vec<String> {
    let json = repo.rollback(&["list", "--json"]).ok().json();
    json.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_force_push_and_a_deletion_keep_the_old_tip_as_a_checkpoint() {
    let repo = with_remote();
    let first = repo
        .rollback(&["hook", "install", "--hooks-dir"])
        .ok()
        .stdout();
    assert!(first.contains("installed"), "{first}");
    let hook = repo.path.join(".git/hooks/pre-push");
    let bytes = std::fs::read(&hook).unwrap();
    let again = repo
        .rollback(&["hook", "install", "--hooks-dir"])
        .ok()
        .stdout();
    assert!(again.contains("(nothing changed)"), "{again}");
    assert_eq!(std::fs::read(&hook).unwrap(), bytes);

    // A fast-forward push keeps nothing.
    repo.write("src/a.rs", "second\n");
    repo.git(&["commit", "-q", "-am", "second"]);
    repo.git(&["push", "-q", "origin", "main"]);
    assert!(checkpoints(&repo).is_empty());

    // A force push keeps the remote's old tip, which `to` brings back.
    let old = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write("src/a.rs", "rewritten\n");
    repo.git(&["commit", "-q", "-am", "rewritten"]);
    let push = repo.git_run(&["push", "--force", "origin", "main"]);
    assert_eq!(push.code(), 0, "{}", push.stderr());
    assert!(push.stderr().contains("its old tip"), "{}", push.stderr());
    let kept = checkpoints(&repo);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].starts_with("pre-push/origin/main/"), "{kept:?}");
    assert_eq!(
        repo.git(&["rev-parse", &format!("checkpoint/{}^{{commit}}", kept[0])]),
        old
    );
    repo.rollback(&["to", &kept[0]]).ok();
    assert_eq!(repo.read("src/a.rs"), "second\n");

    // Deleting a remote branch keeps its tip too.
    repo.git(&["push", "-q", "origin", "HEAD:refs/heads/feature"]);
    let feature = repo.git(&["rev-parse", "HEAD"]);
    repo.git(&["push", "-q", "origin", ":feature"]);
    let kept = checkpoints(&repo);
    let deleted = kept
        .iter()
        .find(|c| c.starts_with("pre-push/origin/feature/"))
        .unwrap();
    assert_eq!(
        repo.git(&["rev-parse", &format!("checkpoint/{deleted}^{{commit}}")]),
        feature
    );

    repo.rollback(&["hook", "uninstall"]).ok();
    assert!(!hook.exists(), "a hook we created is removed");
    repo.fsck();
}

#[test]
fn an_existing_shell_hook_keeps_running_and_comes_back_byte_for_byte() {
    let repo = with_remote();
    let hook = repo.path.join(".git/hooks/pre-push");
    let seen = repo.path.parent().unwrap().join("seen");
    let original = format!(
        "#!/bin/sh\n# the team's hook\ncat > '{}'\nexit 0\n",
        seen.display()
    );
    write_hook(&hook, &original, 0o750);
    repo.rollback(&["hook", "install", "--hooks-dir"]).ok();
    let status = repo.rollback(&["hook", "status"]).ok().stdout();
    assert!(
        status.contains("marked block")
            && status.contains(&format!(
                "also runs on pre-push: the rest of {}",
                hook.display()
            )),
        "{status}"
    );
    repo.write("src/a.rs", "second\n");
    repo.git(&["commit", "-q", "-am", "second"]);
    repo.git(&["push", "-q", "origin", "main"]);
    let lines = std::fs::read_to_string(&seen).unwrap();
    assert!(
        lines.starts_with("refs/heads/main "),
        "the old hook got git's input: {lines}"
    );
    repo.rollback(&["hook", "uninstall"]).ok();
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
    assert_eq!(
        std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777,
        0o750
    );
}

#[test]
fn a_hook_that_is_not_a_shell_script_is_left_alone_unless_forced() {
    let repo = with_remote();
    let hook = repo.path.join(".git/hooks/pre-push");
    let seen = repo.path.parent().unwrap().join("seen");
    let original = format!(
        "#!/usr/bin/env perl\nopen(my $f, '>', '{}'); print $f <STDIN>; exit 0;\n",
        seen.display()
    );
    write_hook(&hook, &original, 0o755);
    let before = repo.observe();
    repo.rollback(&["hook", "install", "--hooks-dir"])
        .fails(3, "is not a shell script: left alone");
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
    assert_eq!(repo.observe(), before);
    repo.rollback(&["hook", "install", "--hooks-dir", "--force"])
        .ok();
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write("src/a.rs", "rewritten\n");
    repo.git(&["commit", "-q", "-am", "rewritten"]);
    repo.git(&["push", "-q", "--force", "origin", "main"]);
    assert!(std::fs::read_to_string(&seen)
        .unwrap()
        .starts_with("refs/heads/main "));
    assert_eq!(checkpoints(&repo).len(), 1, "ours ran too");
    repo.rollback(&["hook", "uninstall"]).ok();
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
}

#[test]
fn core_hooks_path_is_honoured_and_bad_input_is_refused() {
    let repo = with_remote();
    repo.git(&["config", "core.hooksPath", "githooks"]);
    let status = repo
        .rollback(&["hook", "install", "--hooks-dir"])
        .ok()
        .stdout();
    assert!(repo.path.join("githooks/pre-push").exists(), "{status}");
    assert!(!repo.path.join(".git/hooks/pre-push").exists());
    let pre_push = |stdin: &str| {
        let mut cmd = repo.rollback_command(&["hook", "pre-push", "origin"]);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let before = repo.observe();
    assert!(pre_push("").status.success(), "empty input: nothing to do");
    let bad = pre_push("refs/heads/main not-an-id refs/heads/main 0000\n");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unexpected pre-push input line"));
    assert_eq!(repo.observe(), before);
}

/// `rollback.prePush = check`: a push goes out only when `check` passes.
#[test]
fn with_pre_push_check_a_push_is_refused_until_the_checklist_passes() {
    let repo = with_remote();
    repo.rollback(&["hook", "install"]).ok();
    repo.git(&["config", "rollback.prePush", "check"]);
    repo.write(
        ".rollback.toml",
        "[[stage]]\nname = \"S\"\ncheckpoint = \"gone\"\n",
    );
    repo.write("src/a.rs", "second\n");
    repo.git(&["commit", "-q", "-am", "second"]);
    let remote_before = repo.git(&["ls-remote", "origin", "main"]);
    let push = repo.git_run(&["push", "origin", "main"]);
    assert_ne!(push.code(), 0, "refused");
    assert!(
        push.stderr().contains("stage 'S' lacks checkpoint 'gone'"),
        "{}",
        push.stderr()
    );
    assert!(
        push.stderr().contains("push refused: not ready"),
        "{}",
        push.stderr()
    );
    assert_eq!(repo.git(&["ls-remote", "origin", "main"]), remote_before);
    repo.rollback(&["checkpoint", "gone"]).ok();
    repo.git(&["push", "-q", "origin", "main"]);
    assert_ne!(repo.git(&["ls-remote", "origin", "main"]), remote_before);
}

/// A hooks directory that cannot be written: install refuses (exit 3),
/// naming it, and leaves everything as it was.
#[test]
fn a_hooks_directory_that_is_not_writable_is_refused() {
    let repo = with_remote();
    let mounted = repo.mount_tmpfs("ro-hooks", "ro,size=64k");
    repo.git(&["config", "core.hooksPath", mounted.0.to_str().unwrap()]);
    let before = repo.observe();
    let refused = repo
        .rollback(&["hook", "install", "--hooks-dir"])
        .fails(3, "ro-hooks");
    assert!(
        refused.stderr().contains("Read-only file system"),
        "{}",
        refused.stderr()
    );
    assert_eq!(repo.observe(), before);
    assert!(!mounted.0.join("pre-push").exists());
    let status = repo.rollback(&["hook", "status"]).ok().stdout();
    assert!(status.contains("not installed"), "{status}");
}

/// With git 2.54 or later the hook is defined in the repository's config
/// and runs beside the hooks directory's own pre-push hook, untouched; with
/// older git, asking for that is refused and the hooks directory is used.
#[test]
fn a_configured_hook_runs_beside_the_hooks_directory_where_git_supports_it() {
    let repo = with_remote();
    let hook = repo.path.join(".git/hooks/pre-push");
    let user_hook = "#!/bin/sh\ncat > \"$(git rev-parse --git-dir)/user-hook-ran\"\n";
    write_hook(&hook, user_hook, 0o755);
    let config = repo.path.join(".git/config");
    let config_before = std::fs::read(&config).unwrap();
    let version = git_rollback_version(&repo.git(&["version"]));
    if version >= (2, 54) {
        repo.git(&["config", "hook.lint.event", "pre-push"]);
        repo.git(&["config", "hook.lint.command", "true"]);
        let status = repo.rollback(&["hook", "install", "--json"]).ok().json();
        assert_eq!(status["how"], "config", "{status}");
        assert_eq!(
            status["also_runs"],
            serde_json::json!([hook.display().to_string(), "hook.lint (true)"]),
            "{status}"
        );
        repo.git(&["config", "--remove-section", "hook.lint"]);
        assert_eq!(
            repo.git(&["config", "hook.git-rollback.command"]).trim(),
            "git rollback hook pre-push"
        );
        assert_eq!(
            std::fs::read_to_string(&hook).unwrap(),
            user_hook,
            "not touched"
        );
        let again = repo.rollback(&["hook", "install"]).ok().stdout();
        assert!(again.contains("(nothing changed)"), "{again}");
        // A force push: ours keeps the old tip, the user's hook ran too
        // (with the same stdin).
        let old = repo.git(&["rev-parse", "HEAD"]);
        repo.write("src/a.rs", "rewritten\n");
        repo.git(&["commit", "-q", "--amend", "-am", "rewritten"]);
        repo.git(&["push", "-q", "--force", "origin", "main"]);
        let kept = checkpoints(&repo);
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(
            repo.git(&["rev-parse", &format!("checkpoint/{}^{{commit}}", kept[0])]),
            old
        );
        let ran = std::fs::read_to_string(repo.path.join(".git/user-hook-ran")).unwrap();
        assert!(ran.starts_with("refs/heads/main "), "{ran}");
        repo.rollback(&["hook", "uninstall"]).ok();
        assert_eq!(
            std::fs::read(&config).unwrap(),
            config_before,
            "byte for byte"
        );
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), user_hook);
    } else {
        let before = repo.observe();
        repo.rollback(&["hook", "install", "--config"]).fails(
            2,
            "hooks defined in the configuration need git 2.54 or later",
        );
        assert_eq!(repo.observe(), before);
        assert_eq!(std::fs::read(&config).unwrap(), config_before);
        let status = repo.rollback(&["hook", "install", "--json"]).ok().json();
        assert_eq!(status["how"], "block", "{status}");
        repo.rollback(&["hook", "uninstall"]).ok();
        assert_eq!(std::fs::read_to_string(&hook).unwrap(), user_hook);
    }
}

/// (major, minor) of `git version` output.
fn git_rollback_version(text: &str) -> (u32, u32) {
    let version = text.trim().strip_prefix("git version ").unwrap();
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap(), parts.next().unwrap())
}
