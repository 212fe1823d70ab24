//! Hostile input: writing.

#[allow(unused_imports)]
use super::*;
