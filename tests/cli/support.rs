//! The test harness: repositories built by `fixtures/*.sh` in temporary
//! directories, and the built binary (and git) run with a cleared, hermetic
//! environment: fixed identity, a clock that advances one minute per command,
//! no global or system git config.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_git-rollback");

pub struct TestRepo {
    _dir: tempfile::TempDir,
    /// The work tree root.
    pub path: PathBuf,
    home: PathBuf,
    clock: Cell<u64>,
}

/// A finished command.
pub struct Run {
    pub output: Output,
    pub what: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    /// Assert exit 0 and return self.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code(),
            0,
            "`{}` failed\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
        self
    }
    /// Assert this exit code and an `error:` line containing `needle`.
    #[track_caller]
    pub fn fails(self, code: i32, needle: &str) -> Self {
        assert_eq!(
            self.code(),
            code,
            "`{}`\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
        assert!(
            self.stderr().starts_with("error: ") && self.stderr().contains(needle),
            "`{}`: stderr lacks {needle:?}:\n{}",
            self.what,
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|e| {
            panic!(
                "`{}`: stdout is not JSON ({e}):\n{}",
                self.what,
                self.stdout()
            )
        })
    }
}

/// Everything observable about a repository that an operation might change:
/// every file's mode and bytes (ignored and untracked included), the index,
/// HEAD and every ref.
#[derive(Debug, PartialEq, Eq)]
pub struct Observed {
    pub files: BTreeMap<String, (u32, Vec<u8>)>,
    pub index: String,
    pub head: String,
    pub refs: String,
}

/// A tmpfs mounted beside the repository, unmounted when dropped.
pub struct Mounted(pub PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

impl TestRepo {
    /// Mount a tmpfs with `options` (`size=64k`, `ro`, …) at `<tmp>/<name>`
    /// beside the repository (the tests run as root, in CI too).
    pub fn mount_tmpfs(&self, name: &str, options: &str) -> Mounted {
        let dir = self.path.parent().unwrap().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(
            mounted.success(),
            "this test needs to mount a tmpfs (run as root)"
        );
        Mounted(dir)
    }

    fn new() -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        // The tool's temporary files (a drill's worktree, kept or killed)
        // stay inside the test's own directory, removed with it.
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        // No background maintenance: git 2.5x's auto maintenance after a
        // commit repacks and removes loose-object directories while the
        // test's next command writes objects or reads the repository.
        std::fs::write(home.join("gitconfig"), "[maintenance]\n\tauto = false\n").unwrap();
        let path = path.canonicalize().unwrap();
        TestRepo {
            _dir: dir,
            path,
            home,
            clock: Cell::new(0),
        }
    }

    /// A repository built by `fixtures/<name>.sh`.
    pub fn fixture(name: &str) -> TestRepo {
        let repo = TestRepo::new();
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(format!("{name}.sh"));
        // The same hermetic environment as every command (identity, dates,
        // no global or system config, the test crate's object format).
        let mut bash = repo.command("bash");
        repo.run_in(&repo.path, bash.arg(script), "fixture").ok();
        repo
    }

    /// `fixtures/<name>.sh` with its `main` pushed to a bare remote
    /// `origin` beside it ([`TestRepo::remote`]).
    pub fn with_remote(name: &str) -> TestRepo {
        let repo = TestRepo::fixture(name);
        let remote = repo.remote();
        repo.git(&[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ]);
        repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        repo.git(&["push", "-q", "origin", "main"]);
        repo
    }

    /// The bare remote of [`TestRepo::with_remote`].
    pub fn remote(&self) -> PathBuf {
        self.path.parent().unwrap().join("remote.git")
    }

    /// Another clone of `remote`, with its own home and clock.
    pub fn clone_of(remote: &Path) -> TestRepo {
        let repo = TestRepo::new();
        repo.git(&["clone", "-q", remote.to_str().unwrap(), "."]);
        repo
    }

    /// A view of another directory, to read its files the same way.
    pub fn view(dir: &Path) -> TestRepo {
        let repo = TestRepo::new();
        TestRepo {
            path: dir.to_owned(),
            ..repo
        }
    }

    /// The command for `git-rollback ARGS`, to spawn by hand.
    pub fn rollback_command(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(BIN);
        cmd.args(args).current_dir(&self.path);
        cmd
    }

    /// An empty directory (not a repository).
    pub fn bare_directory() -> TestRepo {
        TestRepo::new()
    }

    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let tick = self.clock.get() + 1;
        self.clock.set(tick);
        let date = format!("{} +0000", 1_700_000_000 + tick * 60);
        let bin_dir = Path::new(BIN).parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", &self.home)
            .env("TMPDIR", self.home.with_file_name("tmp"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", self.home.join("gitconfig"))
            .env("GIT_AUTHOR_NAME", "Ada Tester")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Tester")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("LC_ALL", "C")
            .env("TZ", "UTC");
        // tests/cli_sha256.rs: every repository SHA-256 (git init takes
        // GIT_DEFAULT_HASH).
        if let Some(hash) = crate::OBJECT_FORMAT {
            cmd.env("GIT_DEFAULT_HASH", hash);
        }
        cmd
    }

    pub fn run_in(&self, dir: &Path, cmd: &mut Command, what: &str) -> Run {
        let output = cmd.current_dir(dir).output().unwrap();
        Run {
            output,
            what: what.to_owned(),
        }
    }

    /// Run `git-rollback ARGS` at the work tree root.
    pub fn rollback(&self, args: &[&str]) -> Run {
        self.rollback_in(&self.path, args)
    }

    /// Run `git-rollback ARGS` in `dir`.
    pub fn rollback_in(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = self.command(BIN);
        cmd.args(args);
        self.run_in(dir, &mut cmd, &format!("git-rollback {}", args.join(" ")))
    }

    /// Run `git-rollback ARGS` with extra environment variables.
    pub fn rollback_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut cmd = self.command(BIN);
        cmd.args(args).envs(env.iter().copied());
        self.run_in(
            &self.path,
            &mut cmd,
            &format!("git-rollback {}", args.join(" ")),
        )
    }

    /// Run git (which must succeed) and return its stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.path, args)
    }

    #[track_caller]
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let mut cmd = self.command("git");
        cmd.args(args);
        self.run_in(dir, &mut cmd, &format!("git {}", args.join(" ")))
            .ok()
            .stdout()
    }

    /// Run git (which must succeed) with extra environment variables.
    #[track_caller]
    pub fn git_env(&self, env: &[(&str, &str)], args: &[&str]) -> String {
        let mut cmd = self.command("git");
        cmd.args(args).envs(env.iter().copied());
        self.run_in(&self.path, &mut cmd, &format!("git {}", args.join(" ")))
            .ok()
            .stdout()
    }

    /// Run git, whatever its exit code.
    pub fn git_run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command("git");
        cmd.args(args);
        self.run_in(&self.path, &mut cmd, &format!("git {}", args.join(" ")))
    }

    pub fn write(&self, path: &str, content: &str) {
        let full = self.path.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path.join(path)).unwrap()
    }

    pub fn exists(&self, path: &str) -> bool {
        self.path.join(path).symlink_metadata().is_ok()
    }

    /// `git status --porcelain -uall`.
    pub fn status(&self) -> String {
        self.git(&["status", "--porcelain", "-uall"])
    }

    /// `git fsck` must be clean (dangling objects aside).
    #[track_caller]
    pub fn fsck(&self) {
        let out = self.git_run(&["fsck", "--no-progress", "--no-dangling"]);
        assert_eq!(
            out.code(),
            0,
            "git fsck failed:\n{}{}",
            out.stdout(),
            out.stderr()
        );
        assert!(
            !out.stdout().contains("error"),
            "git fsck:\n{}",
            out.stdout()
        );
    }

    /// Every file under the work tree (not `.git`) with its mode and bytes;
    /// symlinks as their target.
    pub fn files(&self) -> BTreeMap<String, (u32, Vec<u8>)> {
        let mut out = BTreeMap::new();
        for entry in walkdir::WalkDir::new(&self.path).sort_by_file_name() {
            let entry = entry.unwrap();
            let rel = entry
                .path()
                .strip_prefix(&self.path)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if rel == ".git" || rel.starts_with(".git/") || rel.is_empty() {
                continue;
            }
            let meta = entry.path().symlink_metadata().unwrap();
            if meta.is_dir() {
                continue;
            }
            let bytes = if meta.file_type().is_symlink() {
                std::fs::read_link(entry.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes()
            } else {
                std::fs::read(entry.path()).unwrap()
            };
            let mode = if meta.file_type().is_symlink() {
                0o120000
            } else {
                meta.permissions().mode() & 0o111
            };
            out.insert(rel, (mode, bytes));
        }
        out
    }

    /// What a user sees, less the tool's own records (safety snapshot refs
    /// and the ledger notes, which every operation adds to): after an undo
    /// it must equal what it was before the operation.
    pub fn observe_user(&self) -> Observed {
        let mut observed = self.observe();
        observed.refs = observed
            .refs
            .lines()
            .filter(|line| {
                !line.contains("\trefs/rollback/") && !line.ends_with("\trefs/notes/rollback")
            })
            .map(|line| format!("{line}\n"))
            .collect();
        observed
    }

    /// The repository as a user sees it: files, index, HEAD and refs.
    pub fn observe(&self) -> Observed {
        Observed {
            files: self.files(),
            index: self.git(&["ls-files", "--stage", "-v"]),
            head: self.git_run(&["symbolic-ref", "-q", "HEAD"]).stdout()
                + &self.git(&["rev-parse", "HEAD"]),
            refs: self.git(&["for-each-ref"]),
        }
    }
}
