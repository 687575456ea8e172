//! Branch hygiene: `feature`, `prune` and the `status` overview.

pub mod feature;
pub mod prune;
pub mod status;
