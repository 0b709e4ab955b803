//! The interface languages Podium speaks, and how a request's language is chosen.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
    ZhHans,
    Ja,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fr, Lang::ZhHans, Lang::Ja, Lang::Ko];

    /// The BCP 47 tag, as used in `?lang=` and `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::ZhHans => "zh-Hans",
            Lang::Ja => "ja",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, for the language selector.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::ZhHans => "简体中文",
            Lang::Ja => "日本語",
            Lang::Ko => "한국어",
        }
    }

    /// Matches a BCP 47 tag to a supported language: `fr-CA` → French, `zh`, `zh-CN` and
    /// `zh-Hans-SG` → Simplified Chinese; Traditional Chinese is not offered, so `zh-TW` and
    /// `zh-Hant` match nothing.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let lower = tag.trim().to_ascii_lowercase();
        let mut parts = lower.split(['-', '_']);
        let primary = parts.next()?;
        let rest: Vec<&str> = parts.collect();
        match primary {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "ja" => Some(Lang::Ja),
            "ko" => Some(Lang::Ko),
            "zh" => {
                let traditional = rest.iter().any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"));
                let simplified = rest.contains(&"hans");
                if traditional && !simplified {
                    None
                } else {
                    Some(Lang::ZhHans)
                }
            }
            _ => None,
        }
    }

    /// Picks the best supported language from an `Accept-Language` header, honouring q-values;
    /// `None` when nothing in it is supported.
    pub fn negotiate(accept_language: &str) -> Option<Lang> {
        let mut best: Option<(u16, usize, Lang)> = None;
        for (pos, item) in accept_language.split(',').enumerate() {
            let mut fields = item.split(';');
            let tag = fields.next().unwrap_or("").trim();
            let q = fields.filter_map(|f| f.trim().strip_prefix("q=")).next().map(parse_q).unwrap_or(1000);
            if q == 0 {
                continue;
            }
            if let Some(lang) = Lang::from_tag(tag) {
                // Higher q wins; on equal q the earlier entry wins.
                let better = match best {
                    None => true,
                    Some((bq, _, _)) => q > bq,
                };
                if better {
                    best = Some((q, pos, lang));
                }
            }
        }
        best.map(|(_, _, l)| l)
    }
}

/// A q-value in thousandths; malformed values count as 0 (ignored) rather than failing the request.
fn parse_q(s: &str) -> u16 {
    let s = s.trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    match int {
        "1" => 1000,
        "0" => {
            let digits: String = frac.chars().take(3).collect();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return 0;
            }
            let n: u16 = digits.parse().unwrap_or(0);
            n * 10u16.pow(3 - digits.len() as u32)
        }
        _ => 0,
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

impl Serialize for Lang {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_supported_languages() {
        for l in Lang::ALL {
            assert_eq!(Lang::from_tag(l.tag()), Some(l));
        }
        assert_eq!(Lang::from_tag("fr-CA"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::ZhHans));
        assert_eq!(Lang::from_tag("zh_Hans_SG"), Some(Lang::ZhHans));
        assert_eq!(Lang::from_tag("zh-TW"), None);
        assert_eq!(Lang::from_tag("zh-Hant"), None);
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(Lang::negotiate("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"), Some(Lang::Ko));
        assert_eq!(Lang::negotiate("de-DE, en;q=0.5, ja;q=0.8"), Some(Lang::Ja));
        assert_eq!(Lang::negotiate("de, es"), None);
        assert_eq!(Lang::negotiate("fr;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(Lang::negotiate("*"), None);
        assert_eq!(Lang::negotiate("ja;q=bogus, fr;q=0.2"), Some(Lang::Fr));
        assert_eq!(Lang::negotiate(""), None);
    }
}
