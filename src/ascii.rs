//! The ASCII reading of a regular expression: for texts that are ASCII (most titles, statuses,
//! names and stories) it matches exactly what the Unicode pattern matches, and it compiles in a
//! fraction of the time. On ASCII text every Unicode class (`\w`, `\d`, `\s`) and word boundary
//! agrees with its ASCII form, and Unicode case folding only adds non-ASCII letters to an ASCII
//! one. A pattern with non-ASCII characters or code-point escapes has no ASCII reading (`ſ` and the
//! Kelvin sign fold to ASCII letters), nor has Unicode-only syntax (`\p{..}`), which it refuses.
//!
//! Built without a literal prefilter: the texts are short, and building one for a long
//! case-insensitive alternation (`vague-title`'s words, the story template's verbs) cost more than
//! every match it would speed up.

use regex_automata::{meta, util::syntax};

/// The ASCII reading of `source` (see the module), within `size_limit` bytes of automaton.
pub fn reading(source: &str, size_limit: usize) -> Option<meta::Regex> {
    if !source.is_ascii() || ["\\x", "\\u", "\\U"].iter().any(|escape| source.contains(escape)) {
        return None;
    }
    meta::Builder::new()
        .configure(meta::Config::new().auto_prefilter(false).nfa_size_limit(Some(size_limit)))
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(source)
        .ok()
}
