//! "Did you mean": when a query finds nothing, the words of it that find nothing on their own
//! are replaced by the closest words the catalogue (or the synonyms) knows, and the corrected
//! query is offered only if it finds something under the same filters.
//!
//! This runs only for a query with no results, so it may walk the vocabulary; it must never
//! run per hit.

use std::collections::HashMap;

use tantivy::collector::Count;
use tantivy::Searcher;

use super::{SearchError, SearchIndex, SearchQuery, Sort};
use crate::analysis::{self, WORDS};
use crate::synonyms;

/// How many corrections of each word are tried before giving up.
const TRIES: usize = 3;

/// How far a correction may be from the word typed: further than the search's own typo
/// tolerance, since this is offered, not applied.
fn reach(word: &str) -> usize {
    match word.chars().count() {
        0..=2 => 0,
        3 => 1,
        4..=8 => 2,
        _ => 3,
    }
}

/// The optimal-string-alignment distance (insertions, deletions, substitutions and swaps of
/// neighbours), or `None` when it is over `max`.
pub fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * width] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v =
                (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
    }
    Some(d[a.len() * width + b.len()]).filter(|n| *n <= max)
}

impl SearchIndex {
    /// A corrected query for `q` when it finds nothing, or `None` when no correction of its
    /// words finds anything either. Words are corrected to lower case, without accents.
    pub fn did_you_mean(&self, q: &SearchQuery) -> Result<Option<String>, SearchError> {
        let text = q.q.trim();
        let searcher = self.reader.searcher();
        let mut fixes: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
        for range in analysis::runs(text) {
            let run = &text[range.clone()];
            let Some(query) = self.text_query(run, false) else { continue };
            if searcher.search(&query, &Count)? > 0 {
                continue;
            }
            // A CJK word or a number has no spelling to correct.
            let word = analysis::terms(&self.index, WORDS, run).into_iter().next().unwrap_or_default();
            if run.chars().any(analysis::is_cjk) || word.chars().all(|c| c.is_ascii_digit()) {
                return Ok(None);
            }
            let near = self.vocabulary_near(&searcher, &word)?;
            if near.is_empty() {
                return Ok(None);
            }
            fixes.push((range, near));
        }
        if fixes.is_empty() {
            return Ok(None);
        }
        for k in 0..TRIES {
            if k > 0 && fixes.iter().all(|(_, near)| near.len() <= k) {
                break;
            }
            let mut corrected = String::with_capacity(text.len());
            let mut at = 0;
            for (range, near) in &fixes {
                corrected.push_str(&text[at..range.start]);
                corrected.push_str(&near[k.min(near.len() - 1)]);
                at = range.end;
            }
            corrected.push_str(&text[at..]);
            let probe = SearchQuery {
                q: corrected.clone(),
                offset: 0,
                limit: 0,
                // A sort that neither scores nor re-ranks: only the count is read.
                sort: Some(Sort::PriceAsc),
                price_edges: Vec::new(),
                ..q.clone()
            };
            if self.search(&probe)?.total > 0 {
                return Ok(Some(corrected));
            }
        }
        Ok(None)
    }

    /// The words of the catalogue (and the synonyms' words) within reach of `word`, closest
    /// first, then the most used.
    fn vocabulary_near(&self, searcher: &Searcher, word: &str) -> Result<Vec<String>, SearchError> {
        let max = reach(word);
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut near: HashMap<String, (usize, u64)> = HashMap::new();
        let mut consider = |term: &str, docs: u64| {
            if term == word || term.chars().count() < 2 || term.chars().all(|c| c.is_ascii_digit()) {
                return;
            }
            if let Some(d) = distance(word, term, max) {
                let entry = near.entry(term.to_string()).or_insert((d, 0));
                entry.1 += docs;
            }
        };
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.words)?;
            let mut terms = inverted.terms().stream().map_err(|e| SearchError::Directory(e.to_string()))?;
            while terms.advance() {
                if let Ok(term) = std::str::from_utf8(terms.key()) {
                    consider(term, u64::from(terms.value().doc_freq));
                }
            }
        }
        for term in synonyms::all().words() {
            consider(term, 1);
        }
        let mut near: Vec<(String, (usize, u64))> = near.into_iter().collect();
        near.sort_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)).then(a.0.cmp(&b.0)));
        Ok(near.into_iter().take(TRIES).map(|(t, _)| t).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_each_kind_of_edit_once() {
        assert_eq!(distance("plush", "plush", 2), Some(0));
        assert_eq!(distance("plsh", "plush", 2), Some(1), "a letter left out");
        assert_eq!(distance("pluhs", "plush", 2), Some(1), "two letters swapped");
        assert_eq!(distance("plusj", "plush", 2), Some(1), "a letter mistyped");
        assert_eq!(distance("pluush", "plush", 2), Some(1), "a letter doubled");
        assert_eq!(distance("plhsu", "plush", 2), Some(2));
        assert_eq!(distance("cat", "plush", 2), None);
        assert_eq!(distance("écharpe", "echarpe", 1), Some(1), "characters, not bytes");
    }
}
