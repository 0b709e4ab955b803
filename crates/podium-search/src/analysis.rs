//! Text analysis: English and French stemming, and a CJK tokenizer that splits runs of Han,
//! kana and Hangul into overlapping bigrams (so a Japanese, Chinese or Korean query finds
//! products titled in that language without a dictionary download), lower-casing other words.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

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
        .filter(Stemmer::new(Language::English))
        .build()
}

/// French words, lower-cased, without accents, and stemmed.
pub fn french() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::French))
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

pub struct VecStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for VecStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecStream {
        VecStream { tokens: bigrams(text), index: 0 }
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
    let mut tokens = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut position = 0;
    let mut push = |tokens: &mut Vec<Token>, from: usize, to: usize, text: String| {
        tokens.push(Token { offset_from: from, offset_to: to, position, text, position_length: 1 });
        position += 1;
    };
    while i < chars.len() {
        let (start, c) = chars[i];
        if is_cjk(c) {
            let mut j = i;
            while j < chars.len() && is_cjk(chars[j].1) {
                j += 1;
            }
            let end_of = |k: usize| chars.get(k).map(|(o, _)| *o).unwrap_or(text.len());
            if j - i == 1 {
                push(&mut tokens, start, end_of(j), c.to_string());
            } else {
                for k in i..j - 1 {
                    let s: String = [chars[k].1, chars[k + 1].1].iter().collect();
                    push(&mut tokens, chars[k].0, end_of(k + 2), s);
                }
            }
            i = j;
        } else if c.is_alphanumeric() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_alphanumeric() && !is_cjk(chars[j].1) {
                j += 1;
            }
            let end = chars.get(j).map(|(o, _)| *o).unwrap_or(text.len());
            push(&mut tokens, start, end, text[start..end].to_lowercase());
            i = j;
        } else {
            i += 1;
        }
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
