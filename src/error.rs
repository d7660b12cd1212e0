//! One error type for the whole tool: what went wrong, what kind of failure it
//! is (which decides the exit code), and what the user can do about it as
//! [`Hint`]s: data the command-line layer words (`src/cmd/hints.rs`), so the
//! library names no command, flag or file to edit in prose.
//!
//! Any `std::error::Error` (gix's, io's, serde's) converts into it with `?`, so
//! the engine never loses the underlying message; domain errors are built with
//! the constructors below and carry hints.

use std::fmt;
use std::path::PathBuf;

/// What kind of failure this is; each kind has one exit code (README: Exit codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The operation failed (verification failed, conflict, I/O error): exit 1.
    Failed,
    /// The command line or its input is wrong: exit 2.
    Usage,
    /// Refused to protect data or integrity (lock held, dirty state, corrupt data): exit 3.
    Refused,
    /// Stopped by Ctrl-C (SIGINT): exit 130, as a shell reports it.
    Interrupted,
}

impl Kind {
    /// The process exit code for this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Failed => 1,
            Kind::Usage => 2,
            Kind::Refused => 3,
            Kind::Interrupted => 130,
        }
    }
}

/// What the user can do about an error (or a failed readiness check), as
/// data: the command-line layer words each one as a `hint:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    // The repository and git's own state.
    NotARepository {
        cause: String,
    },
    ReftableUnsupported,
    BareRepository,
    SetWorkTree {
        path: PathBuf,
    },
    SetIdentity,
    FirstCommit,
    FinishOrAbort {
        abort: String,
    },
    ResolveConflicts,
    RepositoryDamaged,
    // Locks: ours, and git's lock files.
    LockHeld {
        path: PathBuf,
    },
    LockOfAnotherHost {
        pid: i32,
        path: PathBuf,
    },
    /// Git lock files older than a dead operation's lock, quoted.
    RemoveOldGitLocks {
        names: Vec<String>,
    },
    RefLocked {
        path: PathBuf,
    },
    IndexLocked {
        path: PathBuf,
    },
    WaitForWriters,
    // Filters.
    FixFilter,
    ConfigureFilter {
        driver: String,
        side: String,
    },
    // Checkpoints.
    CheckpointNameAlone {
        name: String,
    },
    NameIsAFileName,
    NameNotAnOption,
    RefNameRules,
    OtherNameOrForce,
    NotACheckpoint {
        name: String,
    },
    DeleteCheckpointFirst {
        name: String,
    },
    NoCheckpointsYet,
    ListCheckpoints,
    DidYouMean {
        names: Vec<String>,
    },
    MakeOrNameCheckpoint,
    MakeCheckpoint,
    SetBaselineCheckpoint,
    RemoveBadTags,
    GuardTarget,
    SprintCheckpoint {
        n: u32,
    },
    // Operations and their log.
    PathsRelative,
    RepositoryInTheWay,
    IgnoredInTheWay,
    FixStepOrNoSteps,
    FixTestCommand,
    UndoRestores {
        id: String,
    },
    UndoReverses {
        id: String,
    },
    LogMarksUndone,
    UndoOneAtATime,
    LogListsIds,
    LogLists,
    RedoExplained,
    // Backups.
    FreeBackupSpace,
    FreeSpace,
    ListBackups,
    ListBackupFiles,
    RestoreIntoEmptyOrForce,
    VerifyAndPruneBackups,
    // Maps, moves and stages.
    ShowMap,
    ResolveMoveConflicts {
        forcible: bool,
    },
    StageNames {
        names: Vec<String>,
    },
    EnvFileIsAFile,
    StageNeedsCheckpoint,
    StageNeedsBackup,
    MakeOrFixStageNeeds,
    // The configuration.
    EnvFileInside,
    StageName,
    UniqueStageNames,
    StagePathInside,
    MapPathInside,
    ToggleName,
    SprintBranchPattern,
    DurationForm,
    KeepAtLeastOne,
    ConfigKeys,
    SetDuration {
        key: String,
    },
    SetBoolean {
        key: String,
    },
    SetNumber {
        key: String,
    },
    // The pre-push hook.
    InstallHook,
    HooksDirInstead,
    ChainExistingHook,
    PrePushInput,
    // Recovering a sprint's work.
    ListBackupBranches,
    SetBaseline,
    RecoverDryRun {
        branch: String,
        onto: String,
    },
    CommitOrCheckpointFirst,
    // Sync.
    SyncAgain,
    ListRemotes,
    CheckRemote,
    RenameOursThenSync {
        name: String,
    },
    ForeignNotes,
    PushRefused,
    /// Worded by the command-line layer itself; the library never builds it.
    Worded(String),
}

/// An error with its kind and hints, printed git-style as `error: …` and
/// `hint: …`.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<Hint>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(Kind::Failed, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(Kind::Refused, message)
    }

    /// Add a hint (a `hint: …` line).
    pub fn hint(mut self, hint: Hint) -> Self {
        self.hints.push(hint);
        self
    }

    /// Prefix the message with what was being done, keeping kind and hints.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Every library error becomes a [`Kind::Failed`] error whose message is the
/// error and its sources, joined like `a: b: c`.
impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        Error::failed(message)
    }
}

/// An I/O error on one of the user's paths, naming `what` was being done.
/// Where the file system stands in the way (something already there, no
/// permission, read-only, a file where a directory must be) it is a refusal
/// (exit 3): nothing was overwritten. Anything else is a failure.
pub fn io(err: std::io::Error, what: impl fmt::Display) -> Error {
    use std::io::ErrorKind as K;
    let kind = match err.kind() {
        K::AlreadyExists
        | K::PermissionDenied
        | K::ReadOnlyFilesystem
        | K::NotADirectory
        | K::IsADirectory
        | K::DirectoryNotEmpty
        | K::StorageFull => Kind::Refused,
        _ => Kind::Failed,
    };
    // `File exists (os error 17)` reads as `File exists`.
    let text = err.to_string();
    let text = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => &text,
    };
    Error::new(kind, format!("{what}: {text}"))
}

/// Attach context to any fallible result, as `what: cause`.
pub trait Context<T> {
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|err| err.into().context(what))
    }
}
