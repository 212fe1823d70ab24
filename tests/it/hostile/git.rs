//! Hostile input: git.

#[allow(unused_imports)]
use super::*;
