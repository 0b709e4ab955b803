//! How a fan's text becomes a tantivy query: every word must be found, in any language's
//! fields, as typed, as stemmed, with a typo, or through a synonym, and what matches the word as
//! typed scores above what matches a typo or a synonym of it.

use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use super::SearchIndex;
use crate::analysis::{self, EN, FR, WORDS};
use crate::synonyms::{self, Forms};

/// What a synonym's match is worth next to the word's own (a typo's is worth 0.5 flat).
const SYNONYM_BOOST: f32 = 0.5;

/// Edit distance allowed for a query word: 1 (an insertion, deletion, substitution or
/// transposition) for 4–8 letters, 2 for 9 or more, none below 4, where one edit turns most
/// words into other words ("cap", "cup").
pub fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=8 => 1,
        _ => 2,
    }
}

type Clause = (Occur, Box<dyn Query>);

fn term(field: Field, text: &str, boost: f32) -> Clause {
    let q: Box<dyn Query> = Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs));
    (Occur::Should, Box::new(BoostQuery::new(q, boost)))
}

/// One query token (a word, or a CJK bigram) in the forms the fields hold it.
struct Token {
    text: String,
    cjk: bool,
    en: Vec<String>,
    fr: Vec<String>,
    words: Vec<String>,
}

impl SearchIndex {
    fn token(&self, text: String) -> Token {
        let cjk = text.chars().any(analysis::is_cjk);
        let (en, fr, words) = if cjk {
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            (
                analysis::terms(&self.index, EN, &text),
                analysis::terms(&self.index, FR, &text),
                analysis::terms(&self.index, WORDS, &text),
            )
        };
        Token { text, cjk, en, fr, words }
    }

    /// The token as typed or stemmed, in every field that could hold it.
    fn exact(&self, t: &Token) -> Vec<Clause> {
        let f = self.fields;
        let mut should = vec![term(f.title_cjk, &t.text, 3.0), term(f.desc_cjk, &t.text, 1.0)];
        for stem in &t.en {
            should.push(term(f.title_en, stem, 3.0));
            should.push(term(f.desc_en, stem, 1.0));
        }
        for stem in &t.fr {
            should.push(term(f.title_fr, stem, 3.0));
            should.push(term(f.desc_fr, stem, 1.0));
        }
        for w in &t.words {
            should.push(term(f.words, w, 2.0));
        }
        should
    }

    /// Whether some product has the token as typed (or its stem), so a short word is not also
    /// read as a typo of another ("gold" is not "cold").
    fn known(&self, searcher: &Searcher, t: &Token) -> bool {
        let f = self.fields;
        let has =
            |field: Field, text: &str| searcher.doc_freq(&Term::from_field_text(field, text)).is_ok_and(|n| n > 0);
        t.words.iter().any(|w| has(f.words, w))
            || t.en.iter().any(|s| has(f.title_en, s) || has(f.desc_en, s))
            || t.fr.iter().any(|s| has(f.title_fr, s) || has(f.desc_fr, s))
    }

    /// Every token of a phrase (a synonym such as "soft toy" or "봉제 인형"), as typed or stemmed.
    fn phrase(&self, phrase: &str) -> Option<Box<dyn Query>> {
        let must: Vec<Clause> = analysis::bigrams(phrase)
            .into_iter()
            .map(|t| {
                let should = self.exact(&self.token(t.text));
                (Occur::Must, Box::new(BooleanQuery::new(should)) as Box<dyn Query>)
            })
            .collect();
        (!must.is_empty()).then(|| Box::new(BooleanQuery::new(must)) as Box<dyn Query>)
    }

    /// The query for a fan's text; with `prefix_last`, the last word may be unfinished (as
    /// typed into a search box). `None` when the text has no words.
    pub(super) fn text_query(&self, q: &str, prefix_last: bool) -> Option<Box<dyn Query>> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let runs = analysis::runs(q);
        let mut must: Vec<Clause> = Vec::new();
        for (r, range) in runs.iter().enumerate() {
            let run = &q[range.clone()];
            let tokens = analysis::bigrams(run);
            let last_run = r + 1 == runs.len();
            let mut run_must: Vec<Clause> = Vec::new();
            let mut forms: Option<(String, Vec<String>, Vec<String>)> = None;
            for (i, bigram) in tokens.iter().enumerate() {
                let t = self.token(bigram.text.clone());
                let last = last_run && i + 1 == tokens.len();
                let mut should = self.exact(&t);
                if !t.cjk {
                    for w in &t.words {
                        let at = Term::from_field_text(f.words, w);
                        if prefix_last && last {
                            should.push((Occur::Should, Box::new(FuzzyTermQuery::new_prefix(at.clone(), 0, true))));
                        }
                        // A four-letter word is read as a typo only if no product has it.
                        let d = typo_distance(w);
                        if d > 0 && (w.chars().count() > 4 || !self.known(&searcher, &t)) {
                            let fuzzy: Box<dyn Query> = Box::new(FuzzyTermQuery::new(at, d, true));
                            should.push((Occur::Should, Box::new(BoostQuery::new(fuzzy, 0.5))));
                        }
                    }
                    forms = Some((t.words.first().cloned().unwrap_or_default(), t.en, t.fr));
                } else if prefix_last && last {
                    should.push((
                        Occur::Should,
                        Box::new(FuzzyTermQuery::new_prefix(Term::from_field_text(f.title_cjk, &t.text), 0, true)),
                    ));
                }
                run_must.push((Occur::Must, Box::new(BooleanQuery::new(should))));
            }
            // A CJK run is looked up whole (it is one word to the fan), a Latin run is one token.
            let (word, en, fr) = forms.unwrap_or_else(|| (run.to_string(), Vec::new(), Vec::new()));
            let alternatives = synonyms::all().of(&Forms { word: &word, en_stems: &en, fr_stems: &fr });
            if alternatives.is_empty() {
                must.extend(run_must);
                continue;
            }
            let mut either: Vec<Clause> = vec![(Occur::Should, Box::new(BooleanQuery::new(run_must)))];
            for alt in alternatives {
                if let Some(p) = self.phrase(alt) {
                    either.push((Occur::Should, Box::new(BoostQuery::new(p, SYNONYM_BOOST))));
                }
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(either))));
        }
        if must.is_empty() {
            None
        } else {
            Some(Box::new(BooleanQuery::new(must)))
        }
    }
}
