//! Hostile input: reading.

#[allow(unused_imports)]
use super::*;
