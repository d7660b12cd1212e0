//! One error type for the whole tool: what went wrong, what kind of failure it
//! is (which decides the exit code), and an optional hint for the user.
//!
//! Any `std::error::Error` (gix's, io's, serde's) converts into it with `?`, so
//! the engine never loses the underlying message; domain errors are built with
//! the constructors below and carry a hint.

use std::fmt;

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

/// An error with its kind and an optional hint, printed git-style as
/// `error: …` and `hint: …`.
#[derive(Debug)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    pub hints: Vec<String>,
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

    /// Add a hint line (`hint: …`).
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
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
