//! The file system at the edge: every read of repository content (`input`) and every write of a
//! user's file (`output`) goes through here.

pub mod input;
pub mod output;
