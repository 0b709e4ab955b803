//! A stemmer that remembers the words it has stemmed.
//!
//! Stemming with the snowball algorithms was a quarter of the index writer's time in a rebuild
//! (each word of every English and French title and description, most of them seen thousands
//! of times before). Each analyzer keeps its own map from word to stem, filled as it goes and
//! emptied when it reaches [`CAPACITY`] words: no lock, bounded memory, and the same stems as
//! the algorithm's (a word's stem does not depend on what came before it).

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Word to stem. Shops write the words, so the hash is seeded per process (foldhash's), not one
/// whose collisions can be made in advance; it is still several times cheaper than SipHash.
type Stems = HashMap<Box<str>, Box<str>, foldhash::fast::RandomState>;

/// Words remembered per analyzer before its map is emptied (2–3 MiB at most).
const CAPACITY: usize = 32_768;

/// The filter; see the module's documentation.
#[derive(Clone, Copy)]
pub struct CachedStemmer {
    algorithm: Algorithm,
}

impl CachedStemmer {
    pub fn english() -> CachedStemmer {
        CachedStemmer { algorithm: Algorithm::English }
    }

    pub fn french() -> CachedStemmer {
        CachedStemmer { algorithm: Algorithm::French }
    }
}

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemmerFilter<T> {
        CachedStemmerFilter { algorithm: self.algorithm, inner, stems: Stems::default() }
    }
}

pub struct CachedStemmerFilter<T> {
    algorithm: Algorithm,
    inner: T,
    stems: Stems,
}

/// A copy starts with an empty map: analyzers are copied for each query, and copying the map
/// would cost more than it saves there.
impl<T: Clone> Clone for CachedStemmerFilter<T> {
    fn clone(&self) -> Self {
        CachedStemmerFilter { algorithm: self.algorithm, inner: self.inner.clone(), stems: Stems::default() }
    }
}

impl<T: Tokenizer> Tokenizer for CachedStemmerFilter<T> {
    type TokenStream<'a> = CachedStemmerStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CachedStemmerStream {
            tail: self.inner.token_stream(text),
            stemmer: Stemmer::create(self.algorithm),
            stems: &mut self.stems,
        }
    }
}

pub struct CachedStemmerStream<'a, T> {
    tail: T,
    stemmer: Stemmer,
    stems: &'a mut Stems,
}

impl<T: TokenStream> TokenStream for CachedStemmerStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.stems.get(token.text.as_str()) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem: Box<str> = self.stemmer.stem(&token.text).into();
        if self.stems.len() >= CAPACITY {
            self.stems.clear();
        }
        let word: Box<str> = token.text.as_str().into();
        token.text.clear();
        token.text.push_str(&stem);
        self.stems.insert(word, stem);
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    use super::*;

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn remembered_stems_are_the_algorithms_stems() {
        let text = "Running runners ran; the jerseys and the jersey, les maillots et le maillot, \
                    running again and again, officially licensed officially";
        for (cached, plain) in [
            (CachedStemmer::english(), Stemmer::new(Language::English)),
            (CachedStemmer::french(), Stemmer::new(Language::French)),
        ] {
            let mut a = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(cached).build();
            let mut b = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(plain).build();
            // Twice: the second pass reads every stem from the map.
            for _ in 0..2 {
                assert_eq!(tokens(&mut a, text), tokens(&mut b, text));
            }
        }
        let mut en = TextAnalyzer::builder(SimpleTokenizer::default()).filter(CachedStemmer::english()).build();
        assert_eq!(tokens(&mut en, "jerseys running"), ["jersey", "run"]);
    }

    #[test]
    fn a_full_map_starts_again_and_stems_stay_right() {
        let mut a = TextAnalyzer::builder(SimpleTokenizer::default()).filter(CachedStemmer::english()).build();
        let mut b = TextAnalyzer::builder(SimpleTokenizer::default()).filter(Stemmer::new(Language::English)).build();
        let text: String = (0..CAPACITY + 500).map(|i| format!("jersey{i}s running{i} ")).collect();
        assert_eq!(tokens(&mut a, &text), tokens(&mut b, &text));
        assert_eq!(tokens(&mut a, "jerseys running"), ["jersey", "run"]);
    }
}
