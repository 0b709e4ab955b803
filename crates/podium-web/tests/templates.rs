//! Templates carry no prose: every visible word comes from the message files, and every
//! message a template asks for exists in all five languages.

use podium_domain::Lang;
use podium_web::i18n::I18n;

fn templates() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    std::fs::read_dir(dir)
        .expect("templates dir")
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).expect("readable")))
        .collect()
}

/// Removes `{{ … }}`, `{% … %}` and `<…>` so only literal text remains.
fn literal_text(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while !rest.is_empty() {
        let next = ["{{", "{%", "<"].iter().filter_map(|m| rest.find(m).map(|i| (i, *m))).min();
        match next {
            Some((i, m)) => {
                out.push_str(&rest[..i]);
                let close = match m {
                    "{{" => "}}",
                    "{%" => "%}",
                    _ => ">",
                };
                let after = &rest[i + m.len()..];
                rest = match after.find(close) {
                    Some(j) => &after[j + close.len()..],
                    None => "",
                };
            }
            None => {
                out.push_str(rest);
                rest = "";
            }
        }
    }
    out
}

#[test]
fn templates_hold_no_literal_words() {
    for (name, src) in templates() {
        let text = literal_text(&src);
        let words: Vec<&str> = text.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).collect();
        assert!(words.is_empty(), "{name} has literal text {words:?}; put it in locales/*.ftl");
    }
}

#[test]
fn every_message_templates_use_exists_in_every_language() {
    let i18n = I18n::load().expect("messages load");
    for (name, src) in templates() {
        for call in ["t(\"", "t1(\""] {
            for (i, _) in src.match_indices(call) {
                let start = i + call.len();
                let key = &src[start..start + src[start..].find('"').expect("closing quote")];
                for lang in Lang::ALL {
                    assert!(i18n.has(lang, key), "{name}: message {key} missing in {}", lang.tag());
                }
            }
        }
    }
}
