//! Synonyms: words fans type that the catalogue spells another way ("mascot" for a plush toy,
//! "hat" for a cap), one data file per language in `synonyms/` (see its README), compiled into
//! the binary and read once.
//!
//! They are applied at query time only: the index holds no synonyms, so a change to the files
//! takes effect without rebuilding any index. This module never touches the index.

use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::tokenizer::TextAnalyzer;

use crate::analysis;

/// The data files, by language tag.
const FILES: [(&str, &str); 5] = [
    ("en", include_str!("../synonyms/en.txt")),
    ("fr", include_str!("../synonyms/fr.txt")),
    ("ja", include_str!("../synonyms/ja.txt")),
    ("ko", include_str!("../synonyms/ko.txt")),
    ("zh-Hans", include_str!("../synonyms/zh-Hans.txt")),
];

/// What a word leads to, found by the word as written (lower-cased, without accents; a CJK run
/// as it is), by its English stem and by its French stem.
#[derive(Default)]
pub struct Synonyms {
    by_word: HashMap<String, Vec<&'static str>>,
    by_en_stem: HashMap<String, Vec<&'static str>>,
    by_fr_stem: HashMap<String, Vec<&'static str>>,
}

/// How a query word is looked up: the forms the query builder has already made of it.
pub struct Forms<'a> {
    /// The word lower-cased and without accents (a CJK run as typed).
    pub word: &'a str,
    pub en_stems: &'a [String],
    pub fr_stems: &'a [String],
}

/// A line of a file that the parser could not use, for the tests that keep the files clean.
#[derive(Debug, PartialEq, Eq)]
pub struct BadLine {
    pub file: &'static str,
    pub line: usize,
    pub reason: String,
}

/// The synonyms of every language, parsed on first use.
pub fn all() -> &'static Synonyms {
    static SYNONYMS: OnceLock<Synonyms> = OnceLock::new();
    SYNONYMS.get_or_init(|| Synonyms::parse().0)
}

/// The rules of one line: the words that are looked up, and what each leads to.
fn rule(line: &'static str) -> Option<(Vec<&'static str>, Vec<&'static str>)> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() {
        return None;
    }
    let list = |s: &'static str| s.split(',').map(str::trim).filter(|w| !w.is_empty()).collect::<Vec<_>>();
    Some(match line.split_once("=>") {
        Some((from, to)) => (list(from), list(to)),
        None => (list(line), list(line)),
    })
}

impl Synonyms {
    /// Parses every file, returning the synonyms and the lines that were left out.
    pub fn parse() -> (Synonyms, Vec<BadLine>) {
        let mut out = Synonyms::default();
        let mut bad = Vec::new();
        let (mut en, mut fr, mut words) = (analysis::english(), analysis::french(), analysis::words());
        for (file, text) in FILES {
            for (n, line) in text.lines().enumerate() {
                let Some((from, to)) = rule(line) else { continue };
                if from.is_empty() || to.is_empty() || line.matches("=>").count() > 1 {
                    bad.push(BadLine { file, line: n + 1, reason: "expected `a, b` or `a, b => c, d`".into() });
                    continue;
                }
                for key in from {
                    if analysis::runs(key).len() != 1 {
                        bad.push(BadLine { file, line: n + 1, reason: format!("{key:?} is not one word") });
                        continue;
                    }
                    let targets: Vec<&'static str> = to.iter().copied().filter(|t| *t != key).collect();
                    let add = |map: &mut HashMap<String, Vec<&'static str>>, k: String| {
                        let entry = map.entry(k).or_default();
                        for t in &targets {
                            if !entry.contains(t) {
                                entry.push(t);
                            }
                        }
                    };
                    for w in analysis::terms_of(&mut words, key) {
                        add(&mut out.by_word, w);
                    }
                    // A CJK word has no stem; a Latin one is matched by its stem in the file's
                    // language, so plurals and feminines need no line of their own.
                    if !key.chars().any(analysis::is_cjk) {
                        match file {
                            "en" => {
                                analysis::terms_of(&mut en, key).into_iter().for_each(|s| add(&mut out.by_en_stem, s))
                            }
                            "fr" => {
                                analysis::terms_of(&mut fr, key).into_iter().for_each(|s| add(&mut out.by_fr_stem, s))
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        (out, bad)
    }

    /// What a query word also finds, without the word itself; empty for most words.
    pub fn of(&self, forms: &Forms) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        let found = self
            .by_word
            .get(forms.word)
            .into_iter()
            .chain(forms.en_stems.iter().filter_map(|s| self.by_en_stem.get(s)))
            .chain(forms.fr_stems.iter().filter_map(|s| self.by_fr_stem.get(s)))
            .flatten();
        for t in found {
            // Two keys can share a stem ("hoody", "hoodie"): the word never leads to itself.
            if !out.contains(t) && !t.eq_ignore_ascii_case(forms.word) {
                out.push(t);
            }
        }
        out
    }

    /// Every word that leads somewhere, as looked up (lower-cased, without accents): a fan's
    /// misspelling of one of them can be corrected to it.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.by_word.keys().map(String::as_str)
    }
}

/// A word's lookup forms (folded, English stems, French stems), made without an index.
pub fn forms_of(word: &str) -> (String, Vec<String>, Vec<String>) {
    let first = |mut a: TextAnalyzer| analysis::terms_of(&mut a, word);
    let folded = first(analysis::words()).into_iter().next().unwrap_or_else(|| word.to_string());
    (folded, first(analysis::english()), first(analysis::french()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(word: &str) -> Vec<&'static str> {
        let (folded, en, fr) = forms_of(word);
        all().of(&Forms { word: &folded, en_stems: &en, fr_stems: &fr })
    }

    #[test]
    fn every_line_of_every_file_is_used() {
        let (_, bad) = Synonyms::parse();
        assert_eq!(bad, []);
    }

    #[test]
    fn words_lead_to_what_the_catalogue_calls_them_in_each_language() {
        assert!(of("mascot").contains(&"plush"));
        assert!(of("Mascots").contains(&"plush"), "a plural, capitalised");
        assert!(of("mascottes").contains(&"peluche"), "a French plural");
        assert!(of("hat").contains(&"cap"));
        assert!(of("chapeau").contains(&"casquette"));
        assert!(of("マスコット").contains(&"ぬいぐるみ"));
        assert!(of("마스코트").contains(&"봉제 인형"));
        assert!(of("吉祥物").contains(&"毛绒玩具"));
        // A group leads every way, without the word itself.
        assert!(of("sweatshirt").contains(&"hoodie"));
        assert!(of("hoodie").contains(&"sweatshirt"));
        assert!(!of("hoodie").contains(&"hoodie"));
        // A one-way rule does not lead back.
        assert!(!of("plush").contains(&"mascot"));
        assert!(of("snowflake").is_empty());
    }
}
