//! Who someone says they are: e-mail addresses, display names and organisation names, checked so
//! that one cannot pass for another.
//!
//! Everything is first brought to Unicode's compatibility form (NFKC: a full-width "Ａ" is an
//! "A"). Characters that show nothing or reorder what follows (zero-width spaces, joiners, byte
//! order marks, bidirectional controls) are refused in an e-mail address and removed from a name.
//! A name whose letters mix scripts the way look-alikes do (a Cyrillic "а" among Latin letters) is
//! refused, following the restriction levels of Unicode Technical Standard #39: one script, or
//! Latin with Han and Kana, Han and Hangul, or one other common script that is not Cyrillic or
//! Greek. A name entirely in one script ("Москва", "서울", "東京") is fine.

use unicode_normalization::UnicodeNormalization;
use unicode_security::{skeleton, RestrictionLevel, RestrictionLevelDetection};

/// The longest e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("enter a name of 1 to {0} characters")]
    Length(usize),
    #[error("the name mixes alphabets the way look-alike names do")]
    MixedScripts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter a valid email address")]
    Invalid,
    #[error("the address mixes alphabets or holds invisible characters")]
    LookAlike,
}

/// Characters that show nothing or change the direction of what follows: format characters
/// (zero-width space and joiners, word joiner, invisible operators, byte order mark, soft
/// hyphen, bidirectional marks, embeddings, overrides and isolates) and controls.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Whether the letters of `s` keep to scripts that are written together (at most UTS #39's
/// "moderately restrictive" level). Digits, spaces, punctuation and symbols do not count.
pub fn letters_agree(s: &str) -> bool {
    let letters: String = s.chars().filter(|c| c.is_alphabetic()).collect();
    letters.is_empty() || letters.as_str().detect_restriction_level() <= RestrictionLevel::ModeratelyRestrictive
}

/// A name as shown to others (a display name, a shop's or licensor's name): NFKC, invisible and
/// bidirectional characters removed, runs of spaces made one, 1 to `max_chars` characters, and
/// letters that keep to scripts written together.
pub fn clean_name(raw: &str, max_chars: usize) -> Result<String, NameError> {
    let visible: String = raw.nfkc().filter(|c| !is_invisible(*c) || *c == '\t' || *c == '\n').collect();
    let name = visible.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > max_chars {
        return Err(NameError::Length(max_chars));
    }
    if !letters_agree(&name) {
        return Err(NameError::MixedScripts);
    }
    Ok(name)
}

/// The form an address is looked up by: NFKC, trimmed, lower case. It checks nothing (an address
/// that [`clean_email`] refuses was never stored, so it finds nothing).
pub fn email_key(raw: &str) -> String {
    raw.nfkc().collect::<String>().trim().to_lowercase()
}

/// Whether one part of an address (the local part, or a label of the domain) could pass for
/// another: letters of scripts that are not written together, or letters of another script that
/// all look Latin ("раураl" in Cyrillic).
fn part_looks_alike(part: &str) -> bool {
    !letters_agree(part) || (!part.is_ascii() && skeleton(part).all(|c| c.is_ascii()))
}

/// An e-mail address as stored: NFKC, trimmed, lower case, in the shape `local@domain.tld`, with
/// no invisible characters and no part that could pass for another address.
pub fn clean_email(raw: &str) -> Result<String, EmailError> {
    let email = email_key(raw);
    if email.chars().any(is_invisible) {
        return Err(EmailError::LookAlike);
    }
    let Some((local, domain)) = email.split_once('@') else { return Err(EmailError::Invalid) };
    let shaped = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(char::is_whitespace)
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.');
    if !shaped {
        return Err(EmailError::Invalid);
    }
    if part_looks_alike(local) || domain.split('.').any(part_looks_alike) {
        return Err(EmailError::LookAlike);
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_one_script_or_scripts_written_together_are_kept() {
        for ok in [
            "Aiko",
            "Ji-woo Han",
            "Zoë O'Brien",
            "Москва",
            "Αθήνα",
            "서울 굿즈",
            "東京グッズ",
            "Hanok Threads 한옥",
            "Tokyo 東京 ショップ",
            "Cairo القاهرة",
            "Team Kenya 2026 ⚽",
        ] {
            assert_eq!(clean_name(ok, 80).as_deref(), Ok(ok), "{ok}");
        }
    }

    #[test]
    fn look_alike_names_are_refused() {
        // A Cyrillic "а" (U+0430) among Latin letters; a Greek omicron in "Podium".
        assert_eq!(clean_name("Fаn Shop", 80), Err(NameError::MixedScripts));
        assert_eq!(clean_name("Pοdium", 80), Err(NameError::MixedScripts));
        assert_eq!(clean_name("Москва Moscow", 80), Err(NameError::MixedScripts));
    }

    #[test]
    fn invisible_and_bidirectional_characters_are_removed_from_names() {
        assert_eq!(clean_name("Aiko\u{202E}txt.exe", 80).as_deref(), Ok("Aikotxt.exe"));
        assert_eq!(clean_name("\u{2066}Ai\u{200B}ko\u{2069}\u{FEFF}", 80).as_deref(), Ok("Aiko"));
        assert_eq!(clean_name("  Ａｉｋｏ   Ｓａｔｏ ", 80).as_deref(), Ok("Aiko Sato"), "NFKC, one space");
        assert_eq!(clean_name("\u{200B}\u{202E}", 80), Err(NameError::Length(80)), "nothing visible left");
        assert_eq!(clean_name(&"a".repeat(81), 80), Err(NameError::Length(80)));
        assert!(clean_name(&"가".repeat(80), 80).is_ok());
    }

    #[test]
    fn emails_are_normalised_and_look_alikes_refused() {
        assert_eq!(clean_email("  Fan@Example.COM ").as_deref(), Ok("fan@example.com"));
        assert_eq!(clean_email("ｆａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ").as_deref(), Ok("fan@example.com"), "NFKC");
        assert_eq!(clean_email("用户@例子.广告").as_deref(), Ok("用户@例子.广告"), "internationalised");
        for bad in ["", "fan", "fan@", "@example.com", "fan@example", "f an@example.com", "a@b@c.com", "fan@.com"] {
            assert_eq!(clean_email(bad), Err(EmailError::Invalid), "{bad}");
        }
        for look_alike in [
            "fan@podium.example\u{200B}",
            "f\u{200D}an@podium.example",
            "\u{FEFF}fan@podium.example",
            "fan\u{202E}@podium.example",
            "fаn@podium.example",
            "fan@pоdium.example",
            "раураl@example.com",
        ] {
            assert_eq!(clean_email(look_alike), Err(EmailError::LookAlike), "{look_alike:?}");
        }
    }

    #[test]
    fn lookups_use_the_same_form() {
        assert_eq!(email_key(" ＦＡＮ@podium.example "), "fan@podium.example");
    }
}
