//! The one place that opens the repository, the way git does: from any
//! subdirectory, honouring `GIT_DIR`, `GIT_WORK_TREE`, `GIT_INDEX_FILE` and the
//! `git -c key=value` settings that git passes down in `GIT_CONFIG_PARAMETERS`.
//! It also answers the questions every command asks of the repository: where
//! the work tree and the shared git dir are, who the user is, what HEAD is, and
//! whether a merge or rebase is in progress.

use std::path::{Path, PathBuf};

use gix::bstr::ByteSlice;

use crate::error::{Context, Error, Hint, Result};

/// An opened repository with a work tree.
pub struct Repo {
    pub git: gix::Repository,
    workdir: PathBuf,
    /// The common dir with symlinks resolved, once at open.
    common_dir: PathBuf,
    /// Trees this process wrote, by id, as written: a plan reads the
    /// snapshot's trees back without a loose object's open and inflate.
    written_trees: std::cell::RefCell<std::collections::HashMap<gix::ObjectId, Vec<u8>>>,
}

/// Where HEAD points: a branch (full ref name) or detached, and at which commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Head {
    /// The branch HEAD is on (`refs/heads/main`), `None` when detached.
    #[serde(rename = "ref")]
    pub branch: Option<String>,
    /// The commit HEAD resolves to.
    pub oid: String,
}

impl Head {
    pub fn oid(&self) -> Result<gix::ObjectId> {
        gix::ObjectId::from_hex(self.oid.as_bytes())
            .context(format!("invalid object id '{}'", self.oid))
    }

    /// `main` for `refs/heads/main`, `(detached)` without a branch.
    pub fn describe(&self) -> String {
        match &self.branch {
            Some(name) => name.strip_prefix("refs/heads/").unwrap_or(name).to_owned(),
            None => "(detached)".to_owned(),
        }
    }
}

/// The first line of a commit's message.
pub fn subject(commit: &gix::Commit<'_>) -> String {
    commit
        .message_raw_sloppy()
        .lines()
        .next()
        .unwrap_or_default()
        .to_str_lossy()
        .into_owned()
}

/// Whether loose objects piled up past `gc.auto` (default 6700; 0 or less:
/// never), estimated as git does: the objects in `objects/17`, times 256.
pub fn loose_objects_pile_up(objects: &Path, gc_auto: Option<i64>) -> bool {
    let limit = gc_auto.unwrap_or(6700);
    if limit <= 0 {
        return false;
    }
    let in_17 = std::fs::read_dir(objects.join("17"))
        .map(|dir| dir.count() as i64)
        .unwrap_or(0);
    // git: more than (gc.auto + 255) / 256 objects in that one directory.
    in_17 > (limit + 255) / 256
}

/// Split `GIT_CONFIG_PARAMETERS` (`'a.b'='v' 'c.d=w'`, shell single-quoted as
/// git writes it) into `key=value` strings.
pub fn parse_config_parameters(text: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(out);
        }
        let mut item = String::new();
        // One item: quoted pieces, `=` between key and value, `\'` escapes.
        while let Some(&c) = chars.peek() {
            match c {
                '\'' => {
                    chars.next();
                    loop {
                        match chars.next() {
                            Some('\'') => break,
                            Some(c) => item.push(c),
                            None => {
                                return Err(Error::usage(
                                    "GIT_CONFIG_PARAMETERS has an unterminated quote",
                                ))
                            }
                        }
                    }
                }
                '\\' => {
                    chars.next();
                    if let Some(c) = chars.next() {
                        item.push(c);
                    }
                }
                c if c.is_whitespace() => break,
                c => {
                    item.push(c);
                    chars.next();
                }
            }
        }
        out.push(item);
    }
}

impl Repo {
    /// Open the repository that contains `dir` (or the one `GIT_DIR` names).
    pub fn discover(dir: &Path) -> Result<Repo> {
        let overrides = match std::env::var("GIT_CONFIG_PARAMETERS") {
            Ok(text) => parse_config_parameters(&text)?,
            Err(_) => Vec::new(),
        };
        // Like git (whose `verify_index_checksum` is off outside fsck), read the
        // index without re-hashing it: gix reads `index.skipHash` for that. Our
        // own index writes always store the real checksum.
        let trust = || {
            let read_only_overrides = ["index.skipHash=true"];
            let mut trust = gix::sec::trust::Mapping::<gix::open::Options>::default();
            trust.full = trust
                .full
                .cli_overrides(overrides.clone())
                .config_overrides(read_only_overrides);
            trust.reduced = trust
                .reduced
                .cli_overrides(overrides.clone())
                .config_overrides(read_only_overrides);
            trust
        };
        let repo = gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
            dir,
            Default::default(),
            trust(),
        )
        .map_err(|err| {
            Error::usage(format!(
                "not a git repository (or any of the parent directories): {}",
                dir.display()
            ))
            .hint(Hint::NotARepository {
                cause: err.to_string(),
            })
        })?
        .to_thread_local();
        // gix reads no reftable refs: refuse before anything is read or written.
        let ref_storage = repo
            .config_snapshot()
            .string("extensions.refStorage")
            .map(|v| v.to_string());
        if ref_storage
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("reftable"))
        {
            return Err(Error::refused(
                "this repository stores its refs as a reftable, which git-rollback cannot read yet",
            )
            .hint(Hint::ReftableUnsupported));
        }
        let workdir = repo
            .workdir()
            .ok_or_else(|| {
                Error::usage("this operation must be run in a work tree").hint(Hint::BareRepository)
            })?
            .to_owned();
        let workdir = std::fs::canonicalize(&workdir).unwrap_or(workdir);
        // With GIT_DIR and no GIT_WORK_TREE (nor core.worktree), git takes the
        // current directory as the top of the work tree. When that is not the
        // work tree found here (a subdirectory, say), git and this tool would
        // disagree on every path: refuse rather than guess.
        if std::env::var_os("GIT_DIR").is_some()
            && std::env::var_os("GIT_WORK_TREE").is_none()
            && repo.config_snapshot().string("core.worktree").is_none()
        {
            let here = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
            if here != workdir {
                return Err(Error::usage(format!(
                    "GIT_DIR is set without GIT_WORK_TREE: git takes '{}' as the top of the work tree, but the repository's work tree is '{}'",
                    here.display(),
                    workdir.display()
                ))
                .hint(Hint::SetWorkTree {
                    path: workdir.clone(),
                }));
            }
        }
        let common_dir = repo.common_dir();
        let common_dir =
            std::fs::canonicalize(common_dir).unwrap_or_else(|_| common_dir.to_owned());
        Ok(Repo {
            git: repo,
            workdir,
            common_dir,
            written_trees: Default::default(),
        })
    }

    /// Start editing the tree `root` (the empty tree included).
    pub fn edit_tree(&self, root: gix::ObjectId) -> Result<TreeEdit<'_>> {
        let tree = if root.is_empty_tree() {
            gix::objs::Tree::empty()
        } else {
            self.git.find_tree(root)?.decode()?.into()
        };
        Ok(TreeEdit {
            repo: self,
            editor: gix::objs::tree::Editor::new(tree, &self.git.objects, self.git.object_hash()),
        })
    }

    /// The encoded tree `id`: remembered when this process wrote it, read
    /// from the object database otherwise.
    pub fn tree_data(&self, id: gix::ObjectId) -> Result<Vec<u8>> {
        if let Some(data) = self.written_trees.borrow().get(&id) {
            return Ok(data.clone());
        }
        Ok(self.git.find_tree(id)?.detach().data)
    }

    /// Whether the repository may be opened again from the top of its work
    /// tree with relative paths (what git does, and what makes gix stat
    /// `./a/b` rather than the whole absolute path of each file): not when
    /// `GIT_DIR` or `GIT_WORK_TREE` may be relative to where we started.
    pub fn may_work_from_the_top() -> bool {
        std::env::var_os("GIT_DIR").is_none() && std::env::var_os("GIT_WORK_TREE").is_none()
    }

    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The directory shared by all worktrees (`.git` of the main worktree).
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    /// The id of the linked worktree this is (`worktrees/<id>` under the
    /// common dir), `None` for the main work tree.
    pub fn worktree_id(&self) -> Option<String> {
        let own =
            std::fs::canonicalize(self.git_dir()).unwrap_or_else(|_| self.git_dir().to_owned());
        (own != self.common_dir()).then(|| {
            own.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
    }

    /// `$GIT_DIR/rollback` of the common dir: the tool's own files (lock,
    /// backups, saved copies, remembered lists), shared by all worktrees.
    pub fn rollback_dir(&self) -> PathBuf {
        self.common_dir().join("rollback")
    }

    /// This worktree's own git dir (where MERGE_HEAD and the index live).
    pub fn git_dir(&self) -> &Path {
        self.git.git_dir()
    }

    /// The committer as git would record it; an error with a hint when unset.
    pub fn signature(&self) -> Result<gix::actor::Signature> {
        let sig = self
            .git
            .committer()
            .ok_or_else(|| {
                Error::usage("no committer identity is configured").hint(Hint::SetIdentity)
            })?
            .context("reading the committer identity")?;
        Ok(sig.to_owned()?)
    }

    /// Run the git CLI in this work tree (for what gix has no equivalent of:
    /// push, fetch, config writes, worktrees, cherry-pick), stdin closed.
    pub fn git_cli<I, S>(&self, args: I) -> Result<std::process::Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        git_cli_in(self.workdir(), args)
    }

    /// `Name <email>` of the committer, for event records.
    pub fn who(&self) -> Result<String> {
        let sig = self.signature()?;
        Ok(format!("{} <{}>", sig.name, sig.email))
    }

    /// Where HEAD is; an error when HEAD is unborn (no commit yet).
    pub fn head(&self) -> Result<Head> {
        let head = self.git.head()?;
        let branch = head
            .referent_name()
            .map(|name| name.as_bstr().to_str_lossy().into_owned());
        let Some(id) = head.id() else {
            return Err(
                Error::usage("HEAD has no commit yet (unborn branch)").hint(Hint::FirstCommit)
            );
        };
        Ok(Head {
            branch,
            oid: id.to_string(),
        })
    }

    /// Refuse when git is in the middle of a merge, rebase, cherry-pick, revert
    /// or bisect: rolling back under it would leave git's own state dangling.
    pub fn ensure_no_operation_in_progress(&self) -> Result<()> {
        use gix::state::InProgress as S;
        if let Some(state) = self.git.state() {
            // What is in progress, and the command that aborts it.
            let (name, abort) = match state {
                S::ApplyMailbox => ("`git am`", "git am --abort"),
                S::ApplyMailboxRebase => ("rebase (of mailbox patches)", "git rebase --abort"),
                S::Bisect => ("bisect", "git bisect reset"),
                S::CherryPick | S::CherryPickSequence => ("cherry-pick", "git cherry-pick --abort"),
                S::Merge => ("merge", "git merge --abort"),
                S::Rebase | S::RebaseInteractive => ("rebase", "git rebase --abort"),
                S::Revert | S::RevertSequence => ("revert", "git revert --abort"),
            };
            return Err(Error::refused(format!("a {name} is in progress")).hint(
                Hint::FinishOrAbort {
                    abort: abort.to_owned(),
                },
            ));
        }
        Ok(())
    }

    /// Turn a path given on the command line (relative to `cwd`) into a path
    /// relative to the work tree root, with `/` separators.
    pub fn relative_path(&self, cwd: &Path, path: &Path) -> Result<String> {
        let absolute = if path.is_absolute() {
            path.to_owned()
        } else {
            cwd.join(path)
        };
        let normal = normalize(&absolute);
        let rel = normal.strip_prefix(&self.workdir).map_err(|_| {
            Error::usage(format!(
                "'{}' is outside the repository at '{}'",
                path.display(),
                self.workdir.display()
            ))
        })?;
        Ok(rel.to_string_lossy().into_owned())
    }
}

/// Edits of a tree by path (`a/b/c`), written with [`TreeEdit::write`].
pub struct TreeEdit<'r> {
    repo: &'r Repo,
    editor: gix::objs::tree::Editor<'r>,
}

impl TreeEdit<'_> {
    /// Put the object `id` of `kind` at `path`, making the trees above it.
    pub fn upsert(
        &mut self,
        path: impl AsRef<[u8]>,
        kind: gix::objs::tree::EntryKind,
        id: gix::ObjectId,
    ) -> Result<()> {
        self.editor.upsert(components(path.as_ref()), kind, id)?;
        Ok(())
    }

    /// Remove what is at `path` (nothing when there is nothing).
    pub fn remove(&mut self, path: impl AsRef<[u8]>) -> Result<()> {
        self.editor.remove(components(path.as_ref()))?;
        Ok(())
    }

    /// Write the trees that changed and return the root's id. Each tree
    /// is remembered as written (see [`Repo::tree_data`]). Unlike gix's own
    /// editor, the entries of each tree are not looked up one by one in the
    /// object database: they are objects just written or entries of
    /// existing trees. Names are still checked as git checks them.
    pub fn write(&mut self) -> Result<gix::ObjectId> {
        let repo = self.repo;
        // gix's defaults and settings: `core.protectNTFS` (on by default),
        // `core.protectHFS` (on macOS), `gitoxide.core.protectWindows`.
        let config = repo.git.config_snapshot();
        let options = gix::validate::path::component::Options {
            protect_windows: config
                .boolean("gitoxide.core.protectWindows")
                .unwrap_or(cfg!(windows)),
            protect_hfs: config
                .boolean("core.protectHFS")
                .unwrap_or(cfg!(target_os = "macos")),
            protect_ntfs: config.boolean("core.protectNTFS").unwrap_or(true),
        };
        self.editor.write(|tree| -> Result<gix::ObjectId> {
            for entry in &tree.entries {
                let symlink = entry
                    .mode
                    .is_link()
                    .then_some(gix::validate::path::component::Mode::Symlink);
                gix::validate::path::component(entry.filename.as_ref(), symlink, options).map_err(
                    |err| Error::failed(format!("invalid file name '{}': {err}", entry.filename)),
                )?;
            }
            let id = repo.git.write_object(tree)?.detach();
            if let std::collections::hash_map::Entry::Vacant(slot) =
                repo.written_trees.borrow_mut().entry(id)
            {
                let mut data = Vec::new();
                gix::objs::WriteTo::write_to(tree, &mut data)?;
                slot.insert(data);
            }
            Ok(id)
        })
    }
}

/// The names of `path`'s components, as gix's tree editor takes them.
fn components(path: &[u8]) -> impl Iterator<Item = &gix::bstr::BStr> {
    path.split(|b| *b == b'/').map(|name| name.as_bstr())
}

/// Run the git CLI in `dir` (see [`Repo::git_cli`]; for where no `Repo` is
/// at hand, as when a drill's worktree is removed on drop).
pub fn git_cli_in<I, S>(dir: &Path, args: I) -> Result<std::process::Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| Error::failed(format!("cannot run git: {err}")))
}

/// Resolve `.` and `..` lexically, and symlinks of the existing prefix.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    // Canonicalize the longest existing parent so /tmp vs /private/tmp style links
    // agree; the last component is kept as given so a symlink names itself.
    let mut existing = out.clone();
    let mut rest = Vec::new();
    loop {
        match existing.file_name() {
            Some(name) if rest.is_empty() || !existing.exists() => {
                rest.push(name.to_owned());
                existing.pop();
            }
            _ => break,
        }
    }
    let mut result = std::fs::canonicalize(&existing).unwrap_or(existing);
    for name in rest.into_iter().rev() {
        result.push(name);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::{loose_objects_pile_up, parse_config_parameters};

    #[test]
    fn loose_objects_are_estimated_from_one_fanout_directory_as_git_does() {
        let objects = tempfile::tempdir().unwrap();
        let dir = objects.path().join("17");
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..27 {
            std::fs::write(dir.join(format!("{i:038}")), "").unwrap();
        }
        // Default 6700: more than 27 objects in objects/17.
        assert!(!loose_objects_pile_up(objects.path(), None));
        std::fs::write(dir.join("one-more"), "").unwrap();
        assert!(loose_objects_pile_up(objects.path(), None));
        assert!(
            !loose_objects_pile_up(objects.path(), Some(0)),
            "gc.auto = 0 disables"
        );
        assert!(!loose_objects_pile_up(
            objects.path().join("none").as_path(),
            Some(1)
        ));
    }

    #[test]
    fn config_parameters_in_both_quoting_styles() {
        let parsed =
            parse_config_parameters("'rollback.a'='x y' 'rollback.b=1' 'user.name'='O'\\''Brien'")
                .unwrap();
        assert_eq!(
            parsed,
            vec!["rollback.a=x y", "rollback.b=1", "user.name=O'Brien"]
        );
    }
}
