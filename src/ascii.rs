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

use regex_automata::nfa::thompson::{self, pikevm, pikevm::PikeVM};
use regex_automata::util::{pool::Pool, syntax};
use regex_automata::{Input, hybrid, meta};

/// Whether `source` can have an ASCII reading: no non-ASCII character and no code-point escape.
fn has_reading(source: &str) -> bool {
    source.is_ascii() && !["\\x", "\\u", "\\U"].iter().any(|escape| source.contains(escape))
}

fn ascii_syntax() -> syntax::Config {
    syntax::Config::new().unicode(false).utf8(false)
}

/// The ASCII reading of `source` (see the module), within `size_limit` bytes of automaton.
pub fn reading(source: &str, size_limit: usize) -> Option<meta::Regex> {
    if !has_reading(source) {
        return None;
    }
    meta::Builder::new()
        .configure(meta::Config::new().auto_prefilter(false).nfa_size_limit(Some(size_limit)))
        .syntax(ascii_syntax())
        .build(source)
        .ok()
}

/// The ASCII reading of a policy pattern, only to ask whether a text matches (see [`matcher`]).
pub struct Matcher {
    dfa: hybrid::dfa::DFA,
    pikevm: PikeVM,
    /// Scratch space for both engines, one per thread at a time, shared by every check that uses
    /// the pattern.
    caches: Pool<Caches, CacheFn>,
}

struct Caches {
    dfa: hybrid::dfa::Cache,
    pikevm: pikevm::Cache,
}

type CacheFn = Box<dyn Fn() -> Caches + Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>;

/// The ASCII reading of `source` for `is_match` alone: a lazy DFA that runs forward, and the PikeVM
/// for a text on which the lazy DFA gives up (its cache cleared too often). A regex that reports
/// where matches lie also compiles the pattern backwards and more engines besides; a check only
/// asks whether a text matches, and compiling those was most of the pattern's cost.
pub fn matcher(source: &str, size_limit: usize) -> Option<Matcher> {
    // As the full regex does, bounded so that a lazy DFA thrashing its cache gives up.
    let config = hybrid::dfa::Config::new().minimum_cache_clear_count(Some(3)).minimum_bytes_per_state(Some(10));
    matcher_with(source, size_limit, config)
}

fn matcher_with(source: &str, size_limit: usize, config: hybrid::dfa::Config) -> Option<Matcher> {
    if !has_reading(source) {
        return None;
    }
    let nfa = thompson::Compiler::new()
        .syntax(ascii_syntax())
        .configure(
            thompson::Config::new().nfa_size_limit(Some(size_limit)).which_captures(thompson::WhichCaptures::Implicit),
        )
        .build(source)
        .ok()?;
    let dfa = hybrid::dfa::Builder::new().configure(config).build_from_nfa(nfa.clone()).ok()?;
    let pikevm = PikeVM::new_from_nfa(nfa).ok()?;
    let (for_dfa, for_pikevm) = (dfa.clone(), pikevm.clone());
    let create: CacheFn = Box::new(move || Caches { dfa: for_dfa.create_cache(), pikevm: for_pikevm.create_cache() });
    Some(Matcher { dfa, pikevm, caches: Pool::new(create) })
}

impl Matcher {
    pub fn is_match(&self, text: &str) -> bool {
        let input = Input::new(text).earliest(true);
        let mut caches = self.caches.get();
        let Caches { dfa, pikevm } = &mut *caches;
        match self.dfa.try_search_fwd(dfa, &input) {
            Ok(found) => found.is_some(),
            Err(_) => self.pikevm.is_match(pikevm, input),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXTS: [&str; 6] =
        ["Misc fixes", "small improvements", "Refund a ticket", "", "etc.", "a wip branch, tbd later"];
    const PATTERN: &str = r"(?i)\b(misc|stuff|etc)\b|^\W*(tbd|wip)\b|^\W*(small )?(improvements?|fixes)\W*$";

    #[test]
    fn the_matcher_agrees_with_the_full_ascii_reading() {
        let full = reading(PATTERN, 1 << 20).unwrap();
        let matcher = matcher(PATTERN, 1 << 20).unwrap();
        for text in TEXTS {
            assert_eq!(matcher.is_match(text), full.is_match(text), "{text:?}");
        }
        assert!(matcher.is_match("Misc fixes") && !matcher.is_match("Refund a ticket"));
    }

    #[test]
    fn where_the_lazy_dfa_gives_up_the_pikevm_answers() {
        // No room for any state: the lazy DFA gives up on every text.
        let config = hybrid::dfa::Config::new()
            .cache_capacity(0)
            .skip_cache_capacity_check(true)
            .minimum_cache_clear_count(Some(0));
        let matcher = matcher_with(PATTERN, 1 << 20, config).unwrap();
        let mut cache = matcher.dfa.create_cache();
        assert!(matcher.dfa.try_search_fwd(&mut cache, &Input::new("Misc fixes")).is_err());
        let full = reading(PATTERN, 1 << 20).unwrap();
        for text in TEXTS {
            assert_eq!(matcher.is_match(text), full.is_match(text), "{text:?}");
        }
    }

    #[test]
    fn a_pattern_beyond_ascii_has_no_reading() {
        assert!(matcher("caf\u{e9}", 1 << 20).is_none());
        assert!(matcher(r"\x{e9}", 1 << 20).is_none());
        assert!(matcher(r"\p{Greek}", 1 << 20).is_none());
    }
}
