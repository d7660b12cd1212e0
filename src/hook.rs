//! The pre-push hook: installing it as a hook defined in the repository's
//! configuration (`hook.git-rollback.*`, git 2.54 and later, which runs
//! beside any other hook and hook manager without touching their files) or
//! into git's hooks directory (a marked block in a shell pre-push hook, a new
//! hook, or the old hook chained), and what it runs: before a push overwrites a remote branch with a value that
//! does not contain the old one (a force push) or deletes it, the remote's
//! old tip is kept as a checkpoint `pre-push/<remote>/<branch>/<time>`.

use std::path::PathBuf;

use gix::ObjectId;

use crate::checkpoint::{self, CreateOptions};
use crate::error::{Context, Error, Hint, Result};
use crate::ledger::{self, Event};
use crate::repo::Repo;

const BEGIN: &str = "# >>> git-rollback pre-push >>>\n";
const END: &str = "# <<< git-rollback pre-push <<<\n";
/// The second line of a hook this tool wrote itself (nothing of the user's).
const CREATED: &str =
    "# created by `git rollback hook install`; `git rollback hook uninstall` removes it\n";
/// Where a hook that is not a shell script goes when `--force` chains it.
const CHAINED: &str = "pre-push.git-rollback-chained";

/// Our lines: the push's stdin is kept in a temporary file, given to
/// `git rollback hook pre-push`, then to the rest of the hook.
fn block() -> String {
    format!(
        "{BEGIN}\
__git_rollback_in=$(mktemp) || exit 1
cat > \"$__git_rollback_in\"
git rollback hook pre-push \"$@\" < \"$__git_rollback_in\" || {{ __git_rollback_status=$?; rm -f \"$__git_rollback_in\"; exit $__git_rollback_status; }}
exec < \"$__git_rollback_in\"
rm -f \"$__git_rollback_in\"
{END}"
    )
}

/// The effective hooks directory: `core.hooksPath` (relative to the work
/// tree root), else the common git dir's `hooks` (shared by linked worktrees).
pub fn hooks_dir(repo: &Repo) -> PathBuf {
    match repo
        .git
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .ok()
        .flatten()
    {
        Some(path) if path.is_absolute() => path,
        Some(path) => repo.workdir().join(path),
        None => repo.common_dir().join("hooks"),
    }
}

/// Where the hook is and how it stands.
#[derive(Debug, serde::Serialize)]
pub struct Status {
    pub path: String,
    pub installed: bool,
    /// `created` (the hook is ours alone), `block` (our lines in the
    /// user's shell hook), `chained` (the user's hook runs after ours).
    pub how: Option<String>,
    /// Whether something else runs on pre-push too.
    pub others: bool,
    /// What else runs on pre-push: the hooks directory's hook (or the rest
    /// of it), a chained hook, hooks the configuration defines.
    pub also_runs: Vec<String>,
    /// What `install` or `uninstall` changed (false: nothing to do).
    pub changed: bool,
}

fn is_shell(text: &[u8]) -> bool {
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    first.starts_with("#!")
        && [
            "/sh", "/bash", "/dash", "/ksh", "/zsh", "env sh", "env bash",
        ]
        .iter()
        .any(|shell| first.trim_end().ends_with(shell) || first.contains(&format!("{shell} ")))
}

fn io(err: std::io::Error, what: impl std::fmt::Display) -> Error {
    crate::error::io(err, what)
}

/// The first git release that runs hooks defined in the configuration.
pub const CONFIG_HOOKS_SINCE: (u32, u32) = (2, 54);
/// Our configuration-defined hook: `hook.git-rollback.{event,command}`.
const CONFIG_SECTION: &str = "hook.git-rollback";
const COMMAND: &str = "git rollback hook pre-push";

/// How to install: as git's version allows, or one way by request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// In the configuration when git runs such hooks, else the hooks directory.
    Auto,
    Config,
    HooksDir,
}

/// The installed git's version as (major, minor), from `git version`.
pub fn git_version(repo: &Repo) -> Option<(u32, u32)> {
    let out = repo.git_cli(["version"]).ok()?;
    parse_git_version(&String::from_utf8_lossy(&out.stdout))
}

/// `git version 2.54.1` (or `2.54.0.windows.1`) → (2, 54).
pub fn parse_git_version(text: &str) -> Option<(u32, u32)> {
    let version = text.trim().strip_prefix("git version ")?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// `git config ARGS` in the repository; its stdout, or git's error.
fn git_config(repo: &Repo, args: &[&str]) -> Result<std::process::Output> {
    repo.git_cli(std::iter::once("config").chain(args.iter().copied()))
}

/// Whether our configuration-defined hook is set, and the other hooks the
/// configuration defines for pre-push (`hook.<name> (<command>)`).
fn configured(repo: &Repo) -> Result<(bool, Vec<String>)> {
    let out = git_config(repo, &["--get-regexp", r"^hook\..*\.(event|command)$"])?;
    let text = String::from_utf8_lossy(&out.stdout);
    let (mut ours, mut event) = (false, false);
    let mut on_pre_push = Vec::new();
    let mut commands = std::collections::HashMap::new();
    for line in text.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let Some(name) = key
            .strip_prefix("hook.")
            .and_then(|k| k.rsplit_once('.'))
            .map(|(name, _)| name)
        else {
            continue;
        };
        let mine = name == "git-rollback";
        match (mine, key.ends_with(".event"), value == "pre-push") {
            (true, true, true) => event = true,
            (true, false, _) => ours = value == COMMAND,
            (false, true, true) => on_pre_push.push(name.to_owned()),
            (false, false, _) => {
                commands.insert(name.to_owned(), value.to_owned());
            }
            _ => {}
        }
    }
    let others = on_pre_push
        .into_iter()
        .map(|name| match commands.get(&name) {
            Some(command) => format!("hook.{name} ({command})"),
            None => format!("hook.{name}"),
        })
        .collect();
    Ok((ours && event, others))
}

/// The repository's own configuration file (where install writes).
fn config_file(repo: &Repo) -> PathBuf {
    repo.common_dir().join("config")
}

/// How the hook stands now.
pub fn status(repo: &Repo) -> Result<Status> {
    let (in_config, configured_others) = configured(repo)?;
    // Hooks defined in the configuration run only with a git that runs them.
    let configured_others = if configured_others.is_empty()
        || git_version(repo).is_some_and(|v| v >= CONFIG_HOOKS_SINCE)
    {
        configured_others
    } else {
        Vec::new()
    };
    let mut status = file_status(repo)?;
    if in_config {
        // A hooks-directory hook runs beside it, whatever it holds.
        let file = std::path::Path::new(&status.path);
        let mut also_runs: Vec<String> = if file.exists() {
            vec![status.path.clone()]
        } else {
            Vec::new()
        };
        also_runs.extend(configured_others);
        status = Status {
            path: config_file(repo).display().to_string(),
            installed: true,
            how: Some("config".to_owned()),
            others: !also_runs.is_empty(),
            also_runs,
            changed: false,
        };
    } else {
        status.also_runs.extend(configured_others);
        status.others = !status.also_runs.is_empty();
    }
    Ok(status)
}

/// How the hook in the hooks directory stands.
fn file_status(repo: &Repo) -> Result<Status> {
    let dir = hooks_dir(repo);
    let path = dir.join("pre-push");
    let text = std::fs::read(&path).ok();
    let chained = dir.join(CHAINED);
    let shown = path.display().to_string();
    let (installed, how, also_runs) = match &text {
        None => (false, None, Vec::new()),
        Some(text) => {
            let text = String::from_utf8_lossy(text);
            if !text.contains(BEGIN) {
                (false, None, vec![shown.clone()])
            } else if chained.exists() {
                (
                    true,
                    Some("chained"),
                    vec![format!("{} (after ours)", chained.display())],
                )
            } else if text == format!("#!/bin/sh\n{CREATED}{}", block()) {
                (true, Some("created"), Vec::new())
            } else {
                (true, Some("block"), vec![format!("the rest of {shown}")])
            }
        }
    };
    Ok(Status {
        path: shown,
        installed,
        how: how.map(str::to_owned),
        others: !also_runs.is_empty(),
        also_runs,
        changed: false,
    })
}

/// Install the hook (twice changes nothing): in the configuration when git
/// runs hooks defined there (or `Method::Config` asks), else in the hooks
/// directory, where a pre-push hook that is not a shell script is left
/// alone unless `force`, which chains it after ours.
pub fn install(repo: &Repo, force: bool, method: Method) -> Result<Status> {
    let status = status(repo)?;
    if status.installed {
        return Ok(status);
    }
    let version = git_version(repo);
    let config_hooks = version.is_some_and(|v| v >= CONFIG_HOOKS_SINCE);
    match method {
        Method::Config if !config_hooks => {
            let (major, minor) = CONFIG_HOOKS_SINCE;
            Err(Error::usage(format!(
                "hooks defined in the configuration need git {major}.{minor} or later (this is {})",
                version.map_or("an unknown version".to_owned(), |(a, b)| format!("{a}.{b}"))
            ))
            .hint(Hint::HooksDirInstead))
        }
        Method::Config | Method::Auto if config_hooks => install_config(repo),
        _ => install_file(repo, force),
    }
}

fn install_config(repo: &Repo) -> Result<Status> {
    let key = |name: &str| format!("{CONFIG_SECTION}.{name}");
    let refused = |out: &std::process::Output| {
        Error::refused(format!(
            "cannot write {}: {}",
            config_file(repo).display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    };
    let event = git_config(repo, &["--local", "--add", &key("event"), "pre-push"])?;
    if !event.status.success() {
        return Err(refused(&event));
    }
    let command = git_config(repo, &["--local", &key("command"), COMMAND])?;
    if !command.status.success() {
        let _ = git_config(repo, &["--local", "--remove-section", CONFIG_SECTION]);
        return Err(refused(&command));
    }
    let mut status = status(repo)?;
    status.changed = true;
    Ok(status)
}

fn install_file(repo: &Repo, force: bool) -> Result<Status> {
    let dir = hooks_dir(repo);
    let path = dir.join("pre-push");
    let mut status;
    std::fs::create_dir_all(&dir).map_err(|e| io(e, format!("creating '{}'", dir.display())))?;
    let write = |text: &[u8], mode: u32| -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&path, text).map_err(|e| io(e, format!("writing '{}'", path.display())))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| io(e, format!("setting the mode of '{}'", path.display())))
    };
    let how = match std::fs::read(&path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            write(format!("#!/bin/sh\n{CREATED}{}", block()).as_bytes(), 0o755)?;
            "created"
        }
        Err(err) => return Err(io(err, format!("reading '{}'", path.display()))),
        Ok(text) if is_shell(&text) => {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)?.permissions().mode() & 0o7777;
            // Our lines right after the first (the #! line).
            let at = text
                .iter()
                .position(|b| *b == b'\n')
                .map_or(text.len(), |i| i + 1);
            let mut new = text[..at].to_vec();
            if !new.ends_with(b"\n") {
                new.push(b'\n');
            }
            new.extend_from_slice(block().as_bytes());
            new.extend_from_slice(&text[at..]);
            write(&new, mode)?;
            "block"
        }
        Ok(_) if !force => {
            return Err(Error::refused(format!(
                "the pre-push hook '{}' is not a shell script: left alone",
                path.display()
            ))
            .hint(Hint::ChainExistingHook));
        }
        Ok(_) => {
            let chained = dir.join(CHAINED);
            std::fs::rename(&path, &chained)
                .map_err(|e| io(e, format!("moving '{}'", path.display())))?;
            let script = format!(
                "#!/bin/sh\n{CREATED}{}exec \"$(dirname \"$0\")/{CHAINED}\" \"$@\"\n",
                block()
            );
            write(script.as_bytes(), 0o755)?;
            "chained"
        }
    };
    status = file_status(repo)?;
    status.how = Some(how.to_owned());
    status.changed = true;
    Ok(status)
}

/// Remove what `install` added, byte for byte: a hook we created goes, our
/// block leaves the user's hook as it was, a chained hook is put back.
pub fn uninstall(repo: &Repo) -> Result<Status> {
    if configured(repo)?.0 {
        let out = git_config(repo, &["--local", "--remove-section", CONFIG_SECTION])?;
        if !out.status.success() {
            return Err(Error::refused(format!(
                "cannot write {}: {}",
                config_file(repo).display(),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let mut status = status(repo)?;
        status.changed = true;
        return Ok(status);
    }
    let dir = hooks_dir(repo);
    let path = dir.join("pre-push");
    let chained = dir.join(CHAINED);
    let mut status = file_status(repo)?;
    if !status.installed {
        return Ok(status);
    }
    if chained.exists() {
        std::fs::rename(&chained, &path)
            .map_err(|e| io(e, format!("restoring '{}'", path.display())))?;
    } else {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| io(e, format!("reading '{}'", path.display())))?;
        if text == format!("#!/bin/sh\n{CREATED}{}", block()) {
            std::fs::remove_file(&path)
                .map_err(|e| io(e, format!("removing '{}'", path.display())))?;
        } else {
            let kept = text.replacen(&block(), "", 1);
            std::fs::write(&path, kept)
                .map_err(|e| io(e, format!("writing '{}'", path.display())))?;
        }
    }
    status = crate::hook::status(repo)?;
    status.changed = true;
    Ok(status)
}

/// One line of what git gives a pre-push hook on stdin.
#[derive(Debug, PartialEq)]
pub struct Update {
    pub local_ref: String,
    pub local: ObjectId,
    pub remote_ref: String,
    pub remote: ObjectId,
}

/// Parse the pre-push hook's stdin: `<local ref> <local oid> <remote ref>
/// <remote oid>` per line (empty for a push that updates nothing).
pub fn parse_updates(text: &str, hash: gix::hash::Kind) -> Result<Vec<Update>> {
    let mut updates = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let bad = || {
            Error::usage(format!("unexpected pre-push input line: '{line}'"))
                .hint(Hint::PrePushInput)
        };
        let [local_ref, local, remote_ref, remote] = fields[..] else {
            return Err(bad());
        };
        let id = |hex: &str| {
            ObjectId::from_hex(hex.as_bytes())
                .ok()
                .filter(|id| id.kind() == hash)
                .ok_or_else(bad)
        };
        updates.push(Update {
            local_ref: local_ref.to_owned(),
            local: id(local)?,
            remote_ref: remote_ref.to_owned(),
            remote: id(remote)?,
        });
    }
    Ok(updates)
}

/// What the hook did for one update it kept.
#[derive(Debug, serde::Serialize)]
pub struct Kept {
    pub remote_ref: String,
    /// `force` or `delete`.
    pub what: String,
    pub old: String,
    /// The checkpoint at the old tip (`None`: that commit is not here).
    pub checkpoint: Option<String>,
    pub event: String,
}

/// Run for `git push`: keep the remote's old tip of every update that
/// overwrites (not a fast-forward) or deletes a remote ref.
pub fn pre_push(repo: &Repo, remote: &str, url: &str, stdin: &str) -> Result<Vec<Kept>> {
    let updates = parse_updates(stdin, repo.git.object_hash())?;
    let mut kept = Vec::new();
    for update in updates {
        if update.remote.is_null() {
            continue; // a new remote ref: nothing is overwritten
        }
        let present = repo
            .git
            .find_header(update.remote)
            .is_ok_and(|h| h.kind() == gix::objs::Kind::Commit);
        let what = if update.local.is_null() {
            "delete"
        } else if present
            && repo
                .git
                .merge_base(update.local, update.remote)
                .ok()
                .flatten()
                .is_some_and(|base| base.detach() == update.remote)
        {
            continue; // a fast-forward
        } else {
            "force"
        };
        let mut details = serde_json::Map::new();
        details.insert("remote".into(), remote.into());
        details.insert("url".into(), url.into());
        details.insert("remote_ref".into(), update.remote_ref.clone().into());
        details.insert("old".into(), update.remote.to_string().into());
        details.insert("new".into(), update.local.to_string().into());
        details.insert("push".into(), what.into());
        let (checkpoint, event) = if present {
            let branch = update
                .remote_ref
                .strip_prefix("refs/heads/")
                .unwrap_or(&update.remote_ref);
            let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
            let base = format!("pre-push/{remote}/{branch}/{stamp}");
            let mut name = base.clone();
            let mut n = 1;
            while checkpoint::find(repo, &name)?.is_some() {
                n += 1;
                name = format!("{base}-{n}");
            }
            let created = checkpoint::create(
                repo,
                CreateOptions {
                    name: Some(name.clone()),
                    message: Some(format!(
                        "{remote} {} before a {} push",
                        update.remote_ref,
                        if what == "delete" {
                            "deleting"
                        } else {
                            "force"
                        }
                    )),
                    force: false,
                    dry_run: false,
                    details,
                    at: Some(update.remote),
                },
            )?;
            (Some(name), created.event.unwrap_or_default())
        } else {
            let mut event = Event::new(repo, ledger::Kind::PrePush, repo.head()?.oid()?)?;
            event.details = details;
            ledger::append(repo, &event).context("recording the push")?;
            (None, event.id)
        };
        kept.push(Kept {
            remote_ref: update.remote_ref,
            what: what.to_owned(),
            old: update.remote.to_string(),
            checkpoint,
            event,
        });
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    #[test]
    fn git_versions_read_as_major_and_minor() {
        use super::parse_git_version as v;
        assert_eq!(v("git version 2.47.3\n"), Some((2, 47)));
        assert_eq!(v("git version 2.54.0.windows.1"), Some((2, 54)));
        assert_eq!(v("git version 2.55.0-rc1"), Some((2, 55)));
        assert_eq!(v("not git"), None);
        assert!(v("git version 2.54.0").unwrap() >= super::CONFIG_HOOKS_SINCE);
        assert!(v("git version 2.9.5").unwrap() < super::CONFIG_HOOKS_SINCE);
    }
}
