//! The two services outside git: GitHub's REST API and the container registry.
//! Every request and every error text that comes back passes through here.

pub mod github;
pub mod registry;
