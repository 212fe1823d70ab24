//! Hostile input: terminal.

#[allow(unused_imports)]
use super::*;
