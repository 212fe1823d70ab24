//! backlint: a linter for Scrum Product Backlogs. See ARCHITECTURE.md for the map.

pub mod backlog_md;
pub mod baseline;
pub mod charts;
pub mod cli;
pub mod diag;
pub mod discover;
pub mod engine;
pub mod escape;
pub mod figures;
pub mod generate;
pub mod history;
pub mod html;
pub mod init;
pub mod input;
pub mod jira_csv;
pub mod model;
pub mod output;
pub mod parallel;
pub mod policy;
pub mod render;
pub mod report;
pub mod selftest;
pub mod source;
pub mod story;
pub mod yaml;
