//! The words of every [`Hint`]: the library says what the user can do as
//! data; this is the one place that says it in the command line's terms.

use git_rollback::{config, Hint};

/// The `hint:` line for `hint`.
pub fn words(hint: &Hint) -> String {
    match hint {
        Hint::ShowMap => "git rollback map show".into(),
        Hint::FreeBackupSpace => "free some space, prune old backups (git rollback backup prune), or set [backup] dir elsewhere".into(),
        Hint::ListBackups => "git rollback backup list".into(),
        Hint::ListBackupFiles => "git rollback backup restore --dry-run lists its files".into(),
        Hint::RestoreIntoEmptyOrForce => "restore into an empty directory, or pass --force to replace them".into(),
        Hint::ReftableUnsupported => "nothing was changed; use git itself here, or a clone made with `git clone --ref-format=files`".into(),
        Hint::BareRepository => "bare repositories have no work tree to roll back".into(),
        Hint::SetIdentity => "git config user.name 'Your Name' && git config user.email you@example.com".into(),
        Hint::FirstCommit => "make a first commit, then try again".into(),
        Hint::EnvFileIsAFile => "set env_file in .rollback.toml to a file".into(),
        Hint::StageNeedsCheckpoint => "add checkpoint = \"<name>\" to the stage".into(),
        Hint::StageNeedsBackup => "add backup = \"latest\" (or an id) to the stage".into(),
        Hint::SyncAgain => "nothing was lost; run `git rollback sync` again".into(),
        Hint::ListRemotes => "`git remote -v` lists the remotes; a URL or a path works too".into(),
        Hint::CheckRemote => "check `git remote -v` and that `git ls-remote` works for it".into(),
        Hint::ForeignNotes => "it was not written by git notes or git rollback; ask whoever pushed it".into(),
        Hint::PushRefused => "what was fetched is kept here; nothing else was pushed past the refusal".into(),
        Hint::ResolveConflicts => "resolve the conflicts (git add / git rm) or abort the merge first".into(),
        Hint::FixFilter => "nothing was changed; fix the filter (`git config --get-regexp '^filter\\.'`) and try again".into(),
        Hint::HooksDirInstead => "`git rollback hook install` writes into the hooks directory instead".into(),
        Hint::ChainExistingHook => "`git rollback hook install --force` keeps it and runs it after ours".into(),
        Hint::PrePushInput => "git gives the hook `<local ref> <local oid> <remote ref> <remote oid>` lines".into(),
        Hint::PathsRelative => "paths are relative to the current directory; a glob needs quotes so the shell leaves it alone".into(),
        Hint::RepositoryInTheWay => "its commits, uncommitted and untracked files would be lost; move it away (or commit, push and remove it) first".into(),
        Hint::IgnoredInTheWay => "move them away (or `git rollback backup create --include-ignored`) and try again".into(),
        Hint::FixStepOrNoSteps => "fix it, or run the rollback with --no-steps".into(),
        Hint::WaitForWriters => "nothing was changed; wait until nothing is writing to the work tree, then try again".into(),
        Hint::RepositoryDamaged => "nothing was changed; the repository is damaged: `git fsck` names what is wrong".into(),
        Hint::LogMarksUndone => "git rollback log marks undone operations".into(),
        Hint::UndoOneAtATime => "undo the operations one at a time with `git rollback undo`".into(),
        Hint::LogListsIds => "git rollback log lists operations and their ids".into(),
        Hint::LogLists => "git rollback log lists operations".into(),
        Hint::RedoExplained => "redo re-applies what `git rollback undo` reverted, until a new operation".into(),
        Hint::NameIsAFileName => "the name becomes a file name under .git/refs/tags/checkpoint/".into(),
        Hint::NameNotAnOption => "names follow git's ref rules and may not start with '-' (it reads as an option)".into(),
        Hint::RefNameRules => "names follow git's ref rules: no spaces, '..', '~', '^', ':', '?', '*', '[', '\\' or trailing '.lock'".into(),
        Hint::OtherNameOrForce => "pick another name, or pass --force to move it".into(),
        Hint::NoCheckpointsYet => "there are no checkpoints yet: git rollback checkpoint".into(),
        Hint::ListCheckpoints => "git rollback list".into(),
        Hint::GuardTarget => "name one with --to CHECKPOINT (or --stage NAME --level L), or make one: git rollback checkpoint stable".into(),
        Hint::EnvFileInside => "give a path relative to the work tree root, without '..' or .git (e.g. \".env\")".into(),
        Hint::ListBackupBranches => "git branch --list 'backup/*' lists the branches sprints saved".into(),
        Hint::SetBaseline => "or set one for good: git config rollback.baseline NAME".into(),
        Hint::CommitOrCheckpointFirst => "commit them, or keep them with `git rollback checkpoint`, then recover".into(),
        Hint::FixTestCommand => "fix the command in .rollback.toml or git config, or pass --no-test".into(),
        Hint::MakeOrNameCheckpoint => "create one with `git rollback checkpoint`, or name one".into(),
        Hint::NotARepository { cause } => {
            format!("run inside a repository, or pass -C <path> ({cause})")
        }
        Hint::SetWorkTree { path } => format!(
            "set GIT_WORK_TREE={} as well (or run from there)",
            path.display()
        ),
        Hint::FinishOrAbort { abort } => format!("finish it or abort it first (`{abort}`)"),
        Hint::LockHeld { path } => format!(
            "wait for it to finish; if no such process is running, remove '{}'",
            path.display()
        ),
        Hint::LockOfAnotherHost { pid, path } => format!(
            "process {pid} is not running, but it may have run on another host: check `git rollback log`, then remove '{}'",
            path.display()
        ),
        Hint::RemoveOldGitLocks { names } => format!(
            "if no git process is running, remove them (rm {}), then run the command again",
            names.join(" ")
        ),
        Hint::RefLocked { path } => format!(
            "another git process is updating it; if none is running (a killed one left it): rm '{}'",
            path.display()
        ),
        Hint::IndexLocked { path } => format!(
            "another git process is running (a commit, an editor's git integration); if none is (a killed one left it): rm '{}.lock'",
            path.display()
        ),
        Hint::ConfigureFilter { driver, side } => format!(
            "nothing was changed; configure filter.{driver}.{side} (or .process), e.g. install the tool that provides it (git-lfs: `git lfs install`)"
        ),
        Hint::CheckpointNameAlone { name } => format!(
            "give the name alone: `git rollback checkpoint {name}` makes refs/tags/checkpoint/<name>"
        ),
        Hint::NotACheckpoint { name } => format!(
            "it was not made by git rollback; remove it with `git tag -d checkpoint/{name}`"
        ),
        Hint::DeleteCheckpointFirst { name } => {
            format!("delete it first: git rollback checkpoint --delete {name}")
        }
        Hint::DidYouMean { names } => format!("did you mean {}?", names.join(", ")),
        Hint::MakeCheckpoint => "git rollback checkpoint".into(),
        Hint::SetBaselineCheckpoint => "git config rollback.baseline <checkpoint>".into(),
        Hint::RemoveBadTags => "remove or fix those tags (git tag -d)".into(),
        Hint::SprintCheckpoint { n } => {
            format!("create it when the sprint starts: git rollback checkpoint --sprint {n}")
        }
        Hint::UndoRestores { id } => format!(
            "the state before this operation is saved; `git rollback undo {id}` restores it"
        ),
        Hint::UndoReverses { id } => format!("`git rollback undo {id}` reverses it"),
        Hint::FreeSpace => "free space or set [backup] dir elsewhere".into(),
        Hint::VerifyAndPruneBackups => {
            "git rollback backup verify; git rollback backup prune".into()
        }
        Hint::ResolveMoveConflicts { forcible: true } => "nothing was moved; resolve the conflicts (or --force to replace what is in the way of a destination) and try again".into(),
        Hint::ResolveMoveConflicts { forcible: false } => {
            "nothing was moved; resolve the conflicts and try again".into()
        }
        Hint::StageNames { names } if names.is_empty() => {
            format!("{} has no [[stage]] entries", config::FILE)
        }
        Hint::StageNames { names } => format!("stages: {}", names.join(", ")),
        Hint::MakeOrFixStageNeeds => "make them, or fix .rollback.toml".into(),
        Hint::StageName => "give every stage a name".into(),
        Hint::UniqueStageNames => "stage names must be unique".into(),
        Hint::StagePathInside => {
            "paths are relative to the work tree root, without '..' or .git".into()
        }
        Hint::MapPathInside => "give the map's path relative to the work tree root".into(),
        Hint::ToggleName => {
            "toggles are NAME = \"value\" with NAME of letters, digits and _".into()
        }
        Hint::SprintBranchPattern => "use a branch name with {n} (and optionally {timestamp}), e.g. \"refactor/sprint-{n}-retry\"".into(),
        Hint::DurationForm => "write it as 500ms, 5s, 2m or 1h".into(),
        Hint::KeepAtLeastOne => "keep at least 1".into(),
        Hint::ConfigKeys => format!("fix {}; its keys: verify, env_file, before, after, notify, verify_retries, verify_interval, [sprint] retry_branch/backup_branch, [files] test/test_map, [backup] dir/include_ignored/keep, [[stage]] name/checkpoint/paths/toggles/verify/map/backup and the steps (README.md, Configuration)", config::FILE),
        Hint::SetDuration { key } => format!("git config {key} 5s"),
        Hint::SetBoolean { key } => format!("set it to true or false: git config {key} true"),
        Hint::SetNumber { key } => format!("set it to a whole number: git config {key} 10"),
        Hint::InstallHook => "git rollback hook install".into(),
        Hint::RecoverDryRun { branch, onto } => {
            format!("`git rollback recover {branch} --onto {onto} --dry-run` lists them")
        }
        Hint::RenameOursThenSync { name } => format!(
            "keep both: rename ours (`git rollback checkpoint {name} --rename {name}-mine`), then sync again"
        ),
        Hint::Worded(text) => text.clone(),
    }
}
