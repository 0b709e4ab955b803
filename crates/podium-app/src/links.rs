//! Where a form may send the browser next (`next` after signing in, `back` after following):
//! only somewhere on this site.
//!
//! A browser reads a `Location` by the URL standard, which drops tabs and line breaks and takes
//! a backslash for a slash, so `/\t/evil.example` and `/\evil.example` both mean
//! `//evil.example`, another site. The target is therefore read the same way, against a fixed
//! base, and kept only when it stays on that base's origin; what is followed is the normalised
//! path, query and fragment, never the text as sent.

use url::{Position, Url};

/// A base no real site uses: a target that leaves it would leave Podium.
const BASE: &str = "http://podium.invalid/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the link holds a line break or control character")]
pub struct UnsafeTarget;

/// The same-site path `raw` leads to, normalised; `None` when it is empty or leads elsewhere
/// (the caller then uses its own default). A line break, DEL or other control character (a tab
/// aside, which the URL standard drops) is refused: nothing a link of ours would hold.
pub fn same_site_path(raw: &str) -> Result<Option<String>, UnsafeTarget> {
    if raw.chars().any(|c| (c.is_ascii_control() && c != '\t') || ('\u{80}'..='\u{9F}').contains(&c)) {
        return Err(UnsafeTarget);
    }
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let Ok(base) = Url::parse(BASE) else { return Ok(None) };
    let Ok(url) = base.join(raw) else { return Ok(None) };
    if url.origin() != base.origin() || url.username() != "" || url.password().is_some() {
        return Ok(None);
    }
    Ok(Some(url[Position::BeforePath..].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_on_this_site_are_kept_normalised() {
        assert_eq!(same_site_path("/console"), Ok(Some("/console".into())));
        assert_eq!(
            same_site_path("/shops/hanok-threads?lang=ko#top"),
            Ok(Some("/shops/hanok-threads?lang=ko#top".into()))
        );
        assert_eq!(same_site_path("/con\tsole"), Ok(Some("/console".into())), "a tab is dropped, as browsers do");
        assert_eq!(same_site_path("/a/../b c"), Ok(Some("/b%20c".into())));
        assert_eq!(same_site_path("/검색?q=한옥"), Ok(Some("/%EA%B2%80%EC%83%89?q=%ED%95%9C%EC%98%A5".into())));
        assert_eq!(same_site_path(""), Ok(None));
    }

    #[test]
    fn targets_a_browser_reads_as_another_site_are_dropped() {
        for elsewhere in [
            "//evil.example",
            "/\t/evil.example",
            "\t//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "https:evil.example",
            "javascript:alert(1)",
            "http://podium.invalid@evil.example/",
            "http://user@podium.invalid/",
            "data:text/html,hi",
            "///evil.example",
        ] {
            assert_eq!(same_site_path(elsewhere), Ok(None), "{elsewhere:?}");
        }
    }

    #[test]
    fn line_breaks_and_controls_are_refused() {
        for bad in
            ["/console\r\nSet-Cookie: x=1", "/\n/evil.example", "/\r/evil.example", "/a\u{7f}", "/a\0", "/\u{85}"]
        {
            assert_eq!(same_site_path(bad), Err(UnsafeTarget), "{bad:?}");
        }
    }
}
