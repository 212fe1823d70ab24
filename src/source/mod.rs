//! Backlog sources: finding backlogs on disk (`discover`) and reading each format into the one
//! model. The native YAML schema is read by `model::Backlog::from_yaml`.

pub mod backlog_md;
pub mod beads;
pub mod discover;
pub mod jira_csv;
pub mod json;
