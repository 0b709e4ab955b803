//! Text analysis: English and French stemming, and a CJK tokenizer that splits runs of Han,
//! kana and Hangul into overlapping bigrams (so a Japanese, Chinese or Korean query finds
//! products titled in that language without a dictionary download), lower-casing other words.

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenStream, Tokenizer,
};

use crate::stem::CachedStemmer;

pub const EN: &str = "podium_en";
pub const FR: &str = "podium_fr";
pub const CJK: &str = "podium_cjk";
pub const WORDS: &str = "podium_words";

pub fn register(index: &tantivy::Index) {
    let t = index.tokenizers();
    t.register(EN, english());
    t.register(FR, french());
    t.register(CJK, TextAnalyzer::builder(BigramTokenizer).filter(RemoveLongFilter::limit(40)).build());
    t.register(WORDS, words());
}

/// English words, lower-cased and stemmed.
pub fn english() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(CachedStemmer::english())
        .build()
}

/// French words, lower-cased, without accents, and stemmed.
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(CachedStemmer::french())
        .build()
}

/// Words as written, lower-cased and without accents: what typo tolerance compares against.
pub fn words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK Extension A
        | 0x4E00..=0x9FFF    // CJK Unified Ideographs
        | 0xF900..=0xFAFF    // CJK Compatibility Ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul Jamo
        | 0x3130..=0x318F    // Hangul compatibility Jamo
        | 0xFF66..=0xFF9F) // half-width Katakana
}

#[derive(Clone, Default)]
pub struct BigramTokenizer;

/// The tokens of [`bigrams`], one at a time in one reused [`Token`] (an indexed description
/// makes thousands: none of them allocates).
pub struct BigramStream<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    text: &'a str,
    /// Inside a CJK run: the character that begins the next bigram.
    held: Option<(usize, char)>,
    token: Token,
    started: bool,
}

impl<'a> BigramStream<'a> {
    pub fn new(text: &'a str) -> BigramStream<'a> {
        BigramStream {
            chars: text.char_indices().peekable(),
            text,
            held: None,
            token: Token::default(),
            started: false,
        }
    }

    fn emit(&mut self, from: usize, to: usize) {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = if self.started { self.token.position + 1 } else { 0 };
        self.token.position_length = 1;
        self.started = true;
    }

    /// The bigram of `first` and the next character if that is CJK too (holding it for the
    /// next one), else `first` alone.
    fn cjk(&mut self, start: usize, first: char) {
        self.token.text.clear();
        self.token.text.push(first);
        match self.chars.peek().copied() {
            Some((at, next)) if is_cjk(next) => {
                self.chars.next();
                self.token.text.push(next);
                self.held = Some((at, next));
                self.emit(start, at + next.len_utf8());
            }
            _ => self.emit(start, start + first.len_utf8()),
        }
    }
}

impl TokenStream for BigramStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some((start, c)) = self.held.take() {
            if self.chars.peek().is_some_and(|(_, next)| is_cjk(*next)) {
                self.cjk(start, c);
                return true;
            }
        }
        while let Some((start, c)) = self.chars.next() {
            if is_cjk(c) {
                self.cjk(start, c);
                return true;
            }
            if c.is_alphanumeric() {
                let mut end = start + c.len_utf8();
                while let Some((at, next)) = self.chars.peek().copied() {
                    if !next.is_alphanumeric() || is_cjk(next) {
                        break;
                    }
                    end = at + next.len_utf8();
                    self.chars.next();
                }
                let word = &self.text[start..end];
                self.token.text.clear();
                if word.is_ascii() {
                    self.token.text.push_str(word);
                    self.token.text.make_ascii_lowercase();
                } else {
                    self.token.text.push_str(&word.to_lowercase());
                }
                self.emit(start, end);
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = BigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramStream<'a> {
        BigramStream::new(text)
    }
}

/// The byte ranges of a text's words: runs of CJK characters, and runs of other letters and
/// digits; what lies between (spaces, punctuation) is left out. [`bigrams`] of a run are that
/// run's tokens.
pub fn runs(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut current: Option<(usize, bool)> = None;
    for (i, c) in text.char_indices() {
        let kind = if is_cjk(c) {
            Some(true)
        } else if c.is_alphanumeric() {
            Some(false)
        } else {
            None
        };
        match (current, kind) {
            (Some((_, was)), Some(now)) if was == now => {}
            (Some((start, _)), _) => {
                out.push(start..i);
                current = kind.map(|k| (i, k));
            }
            (None, _) => current = kind.map(|k| (i, k)),
        }
    }
    if let Some((start, _)) = current {
        out.push(start..text.len());
    }
    out
}

/// CJK runs as overlapping bigrams (a lone character as itself); other alphanumeric runs as
/// lower-cased words.
pub fn bigrams(text: &str) -> Vec<Token> {
    let mut stream = BigramStream::new(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().clone());
    }
    tokens
}

/// The terms an analyzer makes of `text`.
pub fn terms(index: &tantivy::Index, analyzer: &str, text: &str) -> Vec<String> {
    match index.tokenizers().get(analyzer) {
        Some(mut a) => terms_of(&mut a, text),
        None => Vec::new(),
    }
}

/// The terms `analyzer` makes of `text`.
pub fn terms_of(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        bigrams(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn cjk_runs_become_bigrams_and_words_stay_words() {
        assert_eq!(texts("平昌2018雪花T恤"), ["平昌", "2018", "雪花", "t", "恤"]);
        assert_eq!(texts("雪の結晶"), ["雪の", "の結", "結晶"]);
        assert_eq!(texts("평창 2018 눈꽃 티셔츠"), ["평창", "2018", "눈꽃", "티셔", "셔츠"]);
        assert_eq!(texts("Kenya Ice-Lions"), ["kenya", "ice", "lions"]);
        assert_eq!(texts(""), Vec::<String>::new());
        assert_eq!(texts("雪 の"), ["雪", "の"]);
        assert_eq!(texts("ÉCHARPE Ωmega"), ["écharpe", "ωmega"]);
    }

    #[test]
    fn tokens_know_where_they_came_from() {
        let at = |s: &str| bigrams(s).into_iter().map(|t| (t.offset_from, t.offset_to, t.position)).collect::<Vec<_>>();
        // "平昌" is 6 bytes; "2018" follows; each token one position further.
        assert_eq!(at("平昌2018 雪"), [(0, 6, 0), (6, 10, 1), (11, 14, 2)]);
        assert_eq!(at("雪の結晶"), [(0, 6, 0), (3, 9, 1), (6, 12, 2)]);
    }

    #[test]
    fn runs_split_scripts_and_drop_punctuation() {
        let words = |s: &'static str| runs(s).into_iter().map(|r| &s[r]).collect::<Vec<_>>();
        assert_eq!(words("T-shirt 눈꽃티셔츠, 平昌2018"), ["T", "shirt", "눈꽃티셔츠", "平昌", "2018"]);
        assert_eq!(words("  écharpe  "), ["écharpe"]);
        assert_eq!(words("Tシャツ"), ["T", "シャツ"]);
        assert!(runs("—  !").is_empty());
    }
}
