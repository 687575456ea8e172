//! Putting a fork in shape: `init`, the generated workflows, GitHub's protection
//! settings, `doctor`, shell completions and man pages. The highest room: it may
//! use every other one.

pub mod ci_ready;
pub mod completions;
pub mod doctor;
pub mod init;
pub mod manpages;
pub mod protect;
pub mod version_file;
pub mod workflows;
