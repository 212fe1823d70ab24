//! User-story anatomy, after the Quality User Story framework (Lucassen et al., 2016) and its AQUSA
//! tool: a story has a role ("As a …"), a means ("I want …") and optionally an end ("so that …").
//! Parts are byte ranges into the text, so findings can point at the part at fault.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Story {
    pub role: Option<Range<usize>>,
    pub means: Option<Range<usize>>,
    pub ends: Option<Range<usize>>,
    /// The indicators used, lowercased, e.g. `as a … i want to … so that`; None when not a story.
    pub template: Option<String>,
}

impl Story {
    /// A story in the sense of the framework's well-formedness: it has a role and a means.
    pub fn is_story(&self) -> bool {
        self.role.is_some() && self.means.is_some()
    }
}

static ROLE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^\s*(as)\s+(an?\b|the\b)?\s*").unwrap());
static MEANS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(i\s+want\s+to|i\s+want|i'd\s+like\s+to|i\s+would\s+like\s+to|i\s+need\s+to|i\s+need|i\s+can|i\s+am\s+able\s+to|i'm\s+able\s+to)\b\s*").unwrap()
});
static ENDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(so\s+that|in\s+order\s+to|so\s+i\s+can)\b\s*").unwrap());

/// One spelling per indicator, so "I want to save" and "I want a code" share a template.
fn normalise(indicator: &str) -> String {
    let words = indicator.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let words = words.strip_suffix(" to").unwrap_or(&words);
    match words {
        "i'd like" => "i would like".to_string(),
        "i'm able" => "i am able".to_string(),
        "so i can" => "so that".to_string(),
        other => other.to_string(),
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
    let role = ROLE.captures(text);
    let means = MEANS.find(text);
    let Some(role_or_means_start) = role.as_ref().map(|r| r.get(0).unwrap().end()).or(means.map(|m| m.start())) else {
        return Story::default();
    };
    let mut template = Vec::new();
    let mut story = Story::default();
    if let Some(r) = &role {
        let article = r.get(2).map_or(String::new(), |a| format!(" {}", a.as_str().to_lowercase()));
        let article = if article == " an" { " a".to_string() } else { article };
        template.push(format!("as{article}"));
        let role_end = means.map_or(text.len(), |m| m.start());
        story.role = part(text, role_or_means_start..role_end.max(role_or_means_start));
    }
    if let Some(m) = means {
        template.push(normalise(m.as_str()));
        let ends = ENDS.find_at(text, m.end());
        story.means = part(text, m.end()..ends.map_or(text.len(), |e| e.start()));
        if let Some(e) = ends {
            template.push(normalise(e.as_str()));
            story.ends = part(text, e.end()..text.len());
        }
    }
    story.template = Some(template.join(" … "));
    story
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "to", "of", "for", "and", "or", "in", "on", "with", "as", "i", "we", "be", "is", "are", "so",
    "that", "can", "want", "from", "by", "at", "it", "my", "our", "me", "us", "this",
];

/// The words that carry meaning, lowercased, without punctuation or stop words; sorted and unique.
pub fn tokens(text: &str) -> Vec<String> {
    let mut words: Vec<String> = text
        // `+` and `#` belong to words like C++ and C#, which are not the language C.
        .split(|c: char| !(c.is_alphanumeric() || c == '+' || c == '#'))
        .map(|w| w.trim_start_matches(['+', '#']))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| singular(&w).to_string())
        .collect();
    words.sort();
    words.dedup();
    words
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
    use super::*;

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
                Some("as a … i want … so that".into())
            )
        );
        assert_eq!(
            parts("As an admin I can export users"),
            (Some("admin"), Some("export users"), None, Some("as a … i can".into()))
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
