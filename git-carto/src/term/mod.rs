//! What reaches the terminal: colour and JSON output, progress bars, and the
//! redaction every outgoing text passes. The lowest room after `error`:
//! everything may print through it, it uses nothing else.

pub mod git_c;
pub mod output;
pub mod progress;
pub mod redact;
pub mod safe;
