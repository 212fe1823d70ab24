//! User-story anatomy, after the Quality User Story framework (Lucassen et al., 2016) and its AQUSA
//! tool: a story has a role ("As a …"), a means ("I want …") and optionally an end ("so that …").
//! Parts are byte ranges into the text, so findings can point at the part at fault.
//!
//! The end is looked for first, and the means only before it: a means indicator the parser does not
//! know then leaves the story without a means, instead of taking one from "so that I can …".

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Story {
    pub role: Option<Range<usize>>,
    pub means: Option<Range<usize>>,
    pub ends: Option<Range<usize>>,
    /// The indicators used, lowercased and in one spelling each, e.g. `as … i want … so that`; None
    /// when not a story. The role's article is left out: "As the …" follows the same template.
    pub template: Option<String>,
}

impl Story {
    /// A story in the sense of the framework's well-formedness: it has a role and a means.
    pub fn is_story(&self) -> bool {
        self.role.is_some() && self.means.is_some()
    }
}

/// A pattern of the template in two readings: Unicode for any text, and [`crate::ascii`]'s for
/// ASCII texts (most stories), where it finds exactly what the Unicode one finds; compiling the
/// three Unicode patterns was an eighth of a small run.
struct Template {
    unicode: LazyLock<Regex>,
    ascii: LazyLock<regex_automata::meta::Regex>,
}

fn ascii_reading(source: &str) -> regex_automata::meta::Regex {
    crate::ascii::reading(source, 1 << 20).expect("the template's patterns are ASCII")
}

impl Template {
    /// The first match in `haystack` from byte `start` on.
    fn find_at(&self, haystack: &str, start: usize) -> Option<Range<usize>> {
        if haystack.is_ascii() {
            self.ascii.find(regex_automata::Input::new(haystack).span(start..haystack.len())).map(|m| m.range())
        } else {
            self.unicode.find_at(haystack, start).map(|m| m.range())
        }
    }

    /// The groups of the first match in `haystack` from byte `start` on (group 0 is the whole match).
    fn captures_at(&self, haystack: &str, start: usize) -> Option<Vec<Option<Range<usize>>>> {
        if haystack.is_ascii() {
            let mut groups = self.ascii.create_captures();
            let input = regex_automata::Input::new(haystack).span(start..haystack.len());
            self.ascii.search_captures(&input, &mut groups);
            groups.is_match().then(|| (0..groups.group_len()).map(|i| groups.get_group(i).map(|s| s.range())).collect())
        } else {
            let groups = self.unicode.captures_at(haystack, start)?;
            Some(groups.iter().map(|m| m.map(|m| m.range())).collect())
        }
    }
}

const ROLE_SOURCE: &str = r"(?i)^\s*as\s+(?:(?:an?|the)\b)?\s*";
static ROLE: Template = Template {
    unicode: LazyLock::new(|| Regex::new(ROLE_SOURCE).unwrap()),
    ascii: LazyLock::new(|| ascii_reading(ROLE_SOURCE)),
};

/// "I" and what the role wants, can or needs, with an optional adverb ("I only want") and negation;
/// `’` stands beside `'`, which is all an ASCII text can hold.
macro_rules! means_source {
    ($apostrophe:literal) => {
        concat!(
            r"(?i)\bI\b\s*(?:(?:only|also|really|just|still|would\s+also)\s+)?",
            r"(want(?:\s+to\s+be\s+able)?|need|would\s+like|",
            $apostrophe,
            r"d\s+like|would\s+love|",
            $apostrophe,
            r"d\s+love|wish|",
            r"would\s+be\s+able|should\s+be\s+able|must\s+be\s+able|am\s+able|",
            $apostrophe,
            r"m\s+able|",
            r"do\s+not\s+want|don",
            $apostrophe,
            r"t\s+want|do\s+not\s+need|don",
            $apostrophe,
            r"t\s+need|can|could|should|must)\b(?:\s+to\b)?\s*"
        )
    };
}
static MEANS: Template = Template {
    unicode: LazyLock::new(|| Regex::new(means_source!("['’]")).unwrap()),
    ascii: LazyLock::new(|| ascii_reading(means_source!("'"))),
};

/// The end's indicator; a bare "so" counts before "I" or "we" (group 2), "since" only after a comma.
const ENDS_SOURCE: &str = r"(?i)\b(so\s+that|in\s+order\s+to|because)\b\s*|\b(so)\s+(?:I|we)\b|,\s*(since)\b\s*";
static ENDS: Template = Template {
    unicode: LazyLock::new(|| Regex::new(ENDS_SOURCE).unwrap()),
    ascii: LazyLock::new(|| ascii_reading(ENDS_SOURCE)),
};

/// One spelling per indicator, so "I want to save", "I want a code" and "I only want" share one.
fn normalise(indicator: &str) -> String {
    let words = indicator.replace('’', "'").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let words = words.trim_start_matches(',').trim();
    if !words.starts_with("i ") && !words.starts_with("i'") {
        // A reason indicator.
        return if words == "so" { "so that".to_string() } else { words.to_string() };
    }
    let words = words.strip_suffix(" to").unwrap_or(words);
    let words = words.strip_suffix(" to be able").unwrap_or(words);
    let words = ["only ", "also ", "really ", "just ", "still ", "would also "]
        .iter()
        .fold(words.to_string(), |w, adverb| w.replacen(&format!("i {adverb}"), "i ", 1));
    match words.as_str() {
        "i'd like" => "i would like".to_string(),
        "i'd love" => "i would love".to_string(),
        "i'm able" => "i am able".to_string(),
        "i don't want" => "i do not want".to_string(),
        "i don't need" => "i do not need".to_string(),
        _ => words,
    }
}

/// Trims whitespace and the punctuation that separates parts (`,` before "I want", `.` at the end).
fn part(text: &str, range: Range<usize>) -> Option<Range<usize>> {
    let s = &text[range.clone()];
    let trimmed_start = s.len() - s.trim_start().len();
    let trimmed = s.trim_start().trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';' | '!'));
    if trimmed.is_empty() {
        return None;
    }
    let start = range.start + trimmed_start;
    Some(start..start + trimmed.len())
}

pub fn parse(text: &str) -> Story {
    let role = ROLE.find_at(text, 0);
    // Most titles of a backlog without stories have neither a role nor a means anywhere: no need to
    // look for their end (a search for groups). The means is looked for below only in the text
    // before the end, and that shorter text has no match the whole one lacks: the end starts where
    // the whole text has a word boundary (or at a comma), so cutting there adds no boundary.
    if role.is_none() && MEANS.find_at(text, 0).is_none() {
        return Story::default();
    }
    let after_role = role.as_ref().map_or(0, |r| r.end);
    let ends = ENDS.captures_at(text, after_role);
    let group = |i: usize| ends.as_ref().and_then(|groups| groups.get(i).cloned().flatten());
    let ends_start = group(0).map_or(text.len(), |whole| whole.start);
    let means = MEANS.find_at(&text[..ends_start], after_role);
    if role.is_none() && means.is_none() {
        return Story::default();
    }
    let mut template = Vec::new();
    let mut story = Story::default();
    if role.is_some() {
        template.push("as".to_string());
        story.role = part(text, after_role..means.as_ref().map_or(ends_start, |m| m.start));
    }
    if let Some(m) = &means {
        template.push(normalise(&text[m.clone()]));
        story.means = part(text, m.end..ends_start);
    }
    if let Some(whole) = group(0) {
        let indicator = group(1).or(group(2)).or(group(3)).expect("each branch has a group");
        template.push(normalise(&text[indicator.clone()]));
        // A bare "so" leaves its "I" or "we" to the end: "so I can print" reads as "I can print".
        let start = if group(2).is_some() { indicator.end } else { whole.end };
        story.ends = part(text, start..text.len());
    }
    story.template = Some(template.join(" … "));
    story
}

/// Words too common to tell two titles apart.
fn is_stop_word(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "the"
            | "to"
            | "of"
            | "for"
            | "and"
            | "or"
            | "in"
            | "on"
            | "with"
            | "as"
            | "i"
            | "we"
            | "be"
            | "is"
            | "are"
            | "so"
            | "that"
            | "can"
            | "want"
            | "from"
            | "by"
            | "at"
            | "it"
            | "my"
            | "our"
            | "me"
            | "us"
            | "this"
    )
}

/// The words that carry meaning, lowercased, without punctuation or stop words, as written
/// (repeats kept), each followed by a space: one allocation for a whole text, where the
/// near-duplicate index reads 100,000 titles.
pub fn meaningful_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    // `+` and `#` belong to words like C++ and C#, which are not the language C.
    let words = text.split(|c: char| !(c.is_alphanumeric() || c == '+' || c == '#'));
    for word in words.map(|w| w.trim_start_matches(['+', '#'])).filter(|w| !w.is_empty()) {
        let start = out.len();
        if word.is_ascii() {
            out.push_str(word);
            out[start..].make_ascii_lowercase();
        } else {
            out.push_str(&word.to_lowercase());
        }
        if is_stop_word(&out[start..]) {
            out.truncate(start);
            continue;
        }
        out.truncate(start + singular(&out[start..]).len());
        out.push(' ');
    }
    out
}

/// A light plural stemmer: "loans" and "loan" are one word for near-duplicate detection.
fn singular(word: &str) -> &str {
    if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        &word[..word.len() - 1]
    } else {
        word
    }
}

/// Token-set Jaccard similarity of two sorted, unique token lists.
pub fn jaccard<T: Ord>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

#[cfg(test)]
mod tests {
    /// `parse` gives up on a title without a role when the whole title has no means: a means of the
    /// text before the end would have to be one of the whole title. Checked on word salads of the
    /// indicators, in ASCII and not.
    #[test]
    fn a_means_before_the_end_is_a_means_of_the_whole_title() {
        let words = [
            "I", "I", "I", "want", "want", "can", "so", "that", "since", ",", "in", "order", "to", "because", "we",
            "wantso", "Iso", "éso", "I’d", "like", "don't", "need", "x", ".", "so,", "I,",
        ];
        let mut next = crate::history::tests::xorshift(7);
        let mut both = 0;
        for _ in 0..50_000 {
            let n = 1 + next(8);
            let glue = [" ", "", "  "];
            let text: String = (0..n).map(|_| format!("{}{}", words[next(words.len())], glue[next(3)])).collect();
            let ends = super::ENDS.captures_at(&text, 0);
            let end = ends.as_ref().and_then(|g| g[0].clone()).map_or(text.len(), |whole| whole.start);
            if super::MEANS.find_at(&text[..end], 0).is_some() {
                assert!(super::MEANS.find_at(&text, 0).is_some(), "{text:?}");
                both += 1;
            }
        }
        assert!(both > 1_000, "the comparison covers titles with a means ({both})");
    }

    use super::*;

    /// A title's words as the near-duplicate index compares them: sorted and unique.
    fn tokens(text: &str) -> Vec<String> {
        let mut words: Vec<String> = meaningful_words(text).split_terminator(' ').map(str::to_string).collect();
        words.sort_unstable();
        words.dedup();
        words
    }

    #[test]
    fn the_ascii_readings_find_what_the_unicode_ones_find() {
        let stories = [
            "As a user, I want to export my invoices so that I can file taxes",
            "as an admin i'd like to see users, because it saves time",
            "As the PO I don't want noise, in order to focus",
            "AS A CLERK I MUST BE ABLE TO PRINT so we can mail it",
            "I can log in, since it is required",
            "As a\tdriver I only want routes\x0bso that I arrive",
            "Askew: I wanted cans",
            "so that alone",
            "",
        ];
        for text in stories {
            for start in [0, 2, 5] {
                let start = start.min(text.len());
                for template in [&ROLE, &MEANS] {
                    let ascii = template.ascii.find(regex_automata::Input::new(text).span(start..text.len()));
                    let unicode = template.unicode.find_at(text, start);
                    assert_eq!(ascii.map(|m| m.range()), unicode.map(|m| m.range()), "{text:?} from {start}");
                }
                let unicode =
                    ENDS.unicode.captures_at(text, start).map(|c| c.iter().map(|m| m.map(|m| m.range())).collect());
                assert_eq!(ENDS.captures_at(text, start), unicode, "{text:?} from {start}");
            }
        }
    }

    fn parts(text: &str) -> (Option<&str>, Option<&str>, Option<&str>, Option<String>) {
        let s = parse(text);
        let get = |r: &Option<Range<usize>>| r.clone().map(|r| &text[r]);
        (get(&s.role), get(&s.means), get(&s.ends), s.template)
    }

    #[test]
    fn parses_the_connextra_template() {
        assert_eq!(
            parts("As a registered shopper, I want to save my cart so that I can finish later."),
            (
                Some("registered shopper"),
                Some("save my cart"),
                Some("I can finish later"),
                Some("as … i want … so that".into())
            )
        );
        assert_eq!(
            parts("As an admin I can export users"),
            (Some("admin"), Some("export users"), None, Some("as … i can".into()))
        );
    }

    #[test]
    fn knows_the_usual_means_indicators_in_one_spelling_each() {
        let template = |text: &str| parse(text).template.unwrap();
        assert_eq!(template("As the clerk, I want a receipt"), "as … i want");
        assert_eq!(template("As clerk, I want to be able to print a receipt"), "as … i want");
        assert_eq!(template("As a clerk, I only want paid receipts"), "as … i want");
        assert_eq!(template("As a clerk, I'd like a receipt"), "as … i would like");
        assert_eq!(template("As a clerk, I’m able to print a receipt"), "as … i am able");
        assert_eq!(template("As a clerk, I don't want to print twice"), "as … i do not want");
        assert_eq!(template("As a clerk, I would be able to print a receipt"), "as … i would be able");
        assert_eq!(template("As a clerk, I need a receipt"), "as … i need");
    }

    #[test]
    fn reads_the_reason_in_its_usual_phrasings() {
        let ends = |text: &str| {
            let s = parse(text);
            (s.ends.map(|r| text[r].to_string()), s.template.unwrap())
        };
        assert_eq!(ends("As a clerk, I want a receipt, because I claim expenses").1, "as … i want … because");
        assert_eq!(ends("As a clerk, I want a receipt, since I claim expenses").1, "as … i want … since");
        assert_eq!(ends("As a clerk, I want a receipt in order to claim expenses").1, "as … i want … in order to");
        assert_eq!(
            ends("As a clerk, I want a receipt so I can claim expenses"),
            (Some("I can claim expenses".into()), "as … i want … so that".into())
        );
        // "since" without a comma is about time, and stays in the means.
        assert_eq!(ends("As a clerk, I want every sale since Monday").0, None);
    }

    #[test]
    fn takes_the_means_only_before_the_reason() {
        // An unknown means indicator leaves the story without a means, rather than reading one
        // from "so that I can …".
        let s = parse("As a clerk, I hope for receipts, so that I can claim expenses");
        assert_eq!(s.means, None);
        assert_eq!(
            s.ends.map(|r| &"As a clerk, I hope for receipts, so that I can claim expenses"[r]),
            Some("I can claim expenses")
        );
        // "I want" inside the reason is part of the reason.
        assert_eq!(
            parts("As a tourist, I want to see thumbnails, so that I can pick the one I want").1,
            Some("see thumbnails")
        );
    }

    #[test]
    fn reports_missing_parts() {
        assert_eq!(parts("I want to export users").0, None);
        assert_eq!(parts("As a manager, reports").1, None);
        assert_eq!(parts("Export the invoice list"), (None, None, None, None));
    }

    #[test]
    fn similarity_ignores_case_punctuation_and_stop_words() {
        let a = tokens("Export the invoice list as CSV");
        let b = tokens("export invoice-list to csv!");
        assert_eq!(jaccard(&a, &b), 1.0);
        assert!(jaccard(&tokens("Pay by card"), &tokens("Refund an order")) < 0.2);
        assert_eq!(tokens("renew my loans"), tokens("renew the loan"));
        assert!(jaccard(&tokens("Add C language support"), &tokens("Add C++ language support")) < 0.8);
        assert_ne!(tokens("Add C# support"), tokens("Add C support"));
        assert_eq!(
            tokens("status class"),
            ["clas", "status"]
                .map(String::from)
                .to_vec()
                .into_iter()
                .map(|w| if w == "clas" { "class".to_string() } else { w })
                .collect::<Vec<_>>()
        );
    }
}
