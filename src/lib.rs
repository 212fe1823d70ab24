//! backlint: a linter for Scrum Product Backlogs. See ARCHITECTURE.md for the map.

pub mod analysis;
pub mod ascii;
pub mod baseline;
pub mod cli;
pub mod date;
pub mod diag;
pub mod engine;
pub mod escape;
pub mod files;
pub mod fix;
pub mod generate;
pub mod history;
pub mod model;
pub mod parallel;
pub mod policy;
pub mod report;
pub mod selftest;
pub mod server;
pub mod source;
pub mod text;
pub mod yaml;
