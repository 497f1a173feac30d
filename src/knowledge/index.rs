//! Ranking over the knowledge base: a BM25 index of each entry's words (title, keywords, message patterns and
//! codes weighted above cause and fix), plus exact signals that outrank words: an error code or finding rule
//! named in the text (exactly, or one edit away for codes of five characters or more: `PGRST310` finds
//! `PGRST301`, `invalid_credential` finds `invalid_credentials`) and a known message fragment it contains.

use super::Entry;
use std::collections::HashMap;

const K1: f64 = 1.2;
const B: f64 = 0.75;
/// Added per signal: a code or rule named exactly, a code one edit away, a message fragment found.
const EXACT_CODE: f64 = 30.0;
const FUZZY_CODE: f64 = 12.0;
const PATTERN: f64 = 20.0;

/// Why an entry matched.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// The entry's id, exactly (the `knowledge` field of a finding or alert).
    Id,
    /// An error code of the entry, exactly.
    Code,
    /// A code one edit away (a typo).
    CodeTypo,
    /// A finding rule id of the entry.
    Rule,
    /// A known message fragment.
    Message,
    /// Shared words (BM25).
    Words,
}

/// One ranked entry: its position in the base, score and the signals behind it.
#[derive(Clone, Debug)]
pub struct Hit {
    pub entry: usize,
    pub score: f64,
    pub signals: Vec<Signal>,
    /// The codes of the entry the text named (exactly or with a typo).
    pub codes: Vec<String>,
}

pub struct Index {
    /// term -> (entry, weighted term frequency)
    postings: HashMap<String, Vec<(usize, f64)>>,
    lengths: Vec<f64>,
    average_length: f64,
    /// Lowercase codes and rule ids of each entry.
    codes: Vec<Vec<(String, String)>>,
    patterns: Vec<Vec<String>>,
}

/// Lowercase words: letters, digits and '_' (so `error_code`s and SQLSTATEs stay whole), with a crude plural
/// and -ing/-ed strip so "connections" meets "connection".
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.len() > 1)
        .map(|w| stem(&w.to_lowercase()))
        .filter(|w| !STOP.contains(&w.as_str()))
        .collect()
}

const STOP: &[&str] = &[
    "the", "a", "an", "and", "or", "of", "to", "in", "is", "it", "for", "on", "with", "as", "at", "by", "be", "this",
    "that", "from", "not", "no", "are", "was", "its", "if", "when", "how", "what", "why", "error", "i", "my", "me",
];

fn stem(word: &str) -> String {
    let cut = |suffix: &str| word.len() > suffix.len() + 3 && word.ends_with(suffix);
    if word.contains('_') || word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    for suffix in ["ing", "ies", "ed", "es", "s"] {
        if cut(suffix) {
            let base = &word[..word.len() - suffix.len()];
            return if suffix == "ies" { format!("{base}y") } else { base.to_owned() };
        }
    }
    word.to_owned()
}

/// Restricted Damerau-Levenshtein distance (adjacent swaps count one), for short strings.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Tokens of a text that may be codes: runs of letters, digits and '_', lowercased, whole.
fn code_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| w.len() >= 3)
        .map(str::to_lowercase)
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens
}

impl Index {
    pub fn build(entries: &[Entry]) -> Index {
        let mut postings: HashMap<String, Vec<(usize, f64)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(entries.len());
        let mut codes = Vec::with_capacity(entries.len());
        let mut patterns = Vec::with_capacity(entries.len());
        for (n, entry) in entries.iter().enumerate() {
            let mut counts: HashMap<String, f64> = HashMap::new();
            let mut add = |text: &str, weight: f64| {
                for word in words(text) {
                    *counts.entry(word).or_default() += weight;
                }
            };
            add(&entry.title, 3.0);
            add(&entry.keywords.join(" "), 2.0);
            add(&entry.patterns.join(" "), 2.0);
            add(&entry.codes.join(" "), 2.0);
            add(&entry.service, 1.0);
            add(&entry.cause, 1.0);
            add(&entry.fix, 0.5);
            lengths.push(counts.values().sum());
            for (word, tf) in counts {
                postings.entry(word).or_default().push((n, tf));
            }
            let mut named: Vec<(String, String)> = entry.codes.iter().map(|c| (c.to_lowercase(), c.clone())).collect();
            for rule in &entry.rules {
                let bare = rule.split_once(':').map_or(rule.as_str(), |(_, id)| id);
                named.push((bare.to_lowercase(), rule.clone()));
            }
            codes.push(named);
            patterns.push(entry.patterns.iter().map(|p| p.to_lowercase()).collect());
        }
        let average_length = if lengths.is_empty() { 1.0 } else { lengths.iter().sum::<f64>() / lengths.len() as f64 };
        Index { postings, lengths, average_length, codes, patterns }
    }

    /// The entries for `text`, best first, at most `limit`; entries with no signal at all are left out.
    pub fn rank(&self, text: &str, limit: usize) -> Vec<Hit> {
        let count = self.lengths.len();
        let mut hits: Vec<Hit> =
            (0..count).map(|entry| Hit { entry, score: 0.0, signals: Vec::new(), codes: Vec::new() }).collect();
        let mut query_words = words(text);
        query_words.sort();
        query_words.dedup();
        for word in &query_words {
            let Some(list) = self.postings.get(word) else { continue };
            let idf = ((count as f64 - list.len() as f64 + 0.5) / (list.len() as f64 + 0.5) + 1.0).ln();
            for &(n, tf) in list {
                let norm = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * self.lengths[n] / self.average_length));
                hits[n].score += idf * norm;
                if !hits[n].signals.contains(&Signal::Words) {
                    hits[n].signals.push(Signal::Words);
                }
            }
        }
        let lower = text.to_lowercase();
        let tokens = code_tokens(text);
        for (n, hit) in hits.iter_mut().enumerate() {
            let mut typo = None;
            for (code, original) in &self.codes[n] {
                let is_rule = original.contains(':');
                if tokens.iter().any(|t| t == code) {
                    hit.score += EXACT_CODE;
                    hit.signals.push(if is_rule { Signal::Rule } else { Signal::Code });
                    if !is_rule {
                        hit.codes.push(original.clone());
                    }
                } else if !is_rule
                    && typo.is_none()
                    && code.len() >= 5
                    && tokens
                        .iter()
                        .any(|t| t.len() >= 5 && t.len().abs_diff(code.len()) <= 1 && edit_distance(t, code) == 1)
                {
                    typo = Some(original.clone());
                }
            }
            // one typo counts once, and only when the text named none of the entry's codes exactly
            if let Some(original) = typo.filter(|_| hit.codes.is_empty()) {
                hit.score += FUZZY_CODE;
                hit.signals.push(Signal::CodeTypo);
                hit.codes.push(original);
            }
            let found = self.patterns[n].iter().filter(|p| lower.contains(p.as_str())).map(String::len).max();
            if let Some(longest) = found {
                // a longer fragment is the more specific match
                hit.score += PATTERN + (longest as f64).min(80.0) / 8.0;
                hit.signals.push(Signal::Message);
            }
        }
        hits.retain(|h| h.score > 0.0);
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_swaps_once() {
        assert_eq!(edit_distance("pgrst301", "pgrst310"), 1);
        assert_eq!(edit_distance("28p01", "28p01"), 0);
        assert_eq!(edit_distance("abc", "abd"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn words_keep_codes_whole() {
        assert_eq!(words("The invalid_credentials error, 28P01!"), ["invalid_credentials", "28p01"]);
        assert_eq!(words("connections refused"), ["connection", "refus"]);
    }
}
