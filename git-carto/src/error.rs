//! One error type for the library. Every error carries the exit code the CLI
//! should end with, so front ends never have to guess from message text.

use std::fmt;

/// What kind of failure this is, which decides the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A check failed or the operation was refused (exit 1).
    Refused,
    /// Bad usage or bad configuration (exit 2).
    Usage,
}

impl Code {
    pub fn exit_code(self) -> i32 {
        match self {
            Code::Refused => 1,
            Code::Usage => 2,
        }
    }
}

#[derive(Debug)]
pub struct Error {
    pub code: Code,
    message: String,
    /// Outer-to-inner "while ..." frames, so a user sees what was being done.
    context: Vec<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn refused(message: impl Into<String>) -> Self {
        Error {
            code: Code::Refused,
            message: message.into(),
            context: Vec::new(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            code: Code::Usage,
            message: message.into(),
            context: Vec::new(),
        }
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Add a "while ..." frame; the outermost frame is printed first.
    pub fn context(mut self, what: impl Into<String>) -> Self {
        self.context.insert(0, what.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for frame in &self.context {
            write!(f, "while {frame}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::refused(e.message().to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::refused(e.to_string())
    }
}

/// `.context()` on results, mirroring the method on [`Error`].
pub trait ResultExt<T> {
    fn context(self, what: impl Into<String>) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.into().context(what))
    }
}
