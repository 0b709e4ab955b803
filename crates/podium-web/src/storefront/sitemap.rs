//! The sitemap (sitemaps.org 0.9): every public page at each language's address and at the
//! unprefixed `x-default` one, each `<url>` naming all its alternates with `xhtml:link` (as
//! search engines read language versions). A sitemap holds at most 50,000 addresses; past that
//! `/sitemap.xml` becomes an index of numbered parts, `/sitemaps/{n}.xml`.
//!
//! Everything here is pure text building; the handler in `discovery` gathers the pages.

use podium_domain::Lang;
use time::OffsetDateTime;

/// The most addresses one sitemap file may hold.
pub const MAX_URLS: usize = 50_000;

/// A page to list, by its unprefixed path (`/products/x`), with when it last changed.
#[derive(Debug, Clone)]
pub struct Entry {
    pub path: String,
    pub updated: Option<OffsetDateTime>,
}

/// What `/sitemap.xml` answers.
#[derive(Debug, PartialEq, Eq)]
pub enum Document {
    /// Every address fits in one sitemap.
    Urls(String),
    /// An index of this many parts.
    Index { xml: String, parts: usize },
}

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// The addresses of one page: unprefixed (`x-default`) and one per language.
fn addresses(origin: &str, path: &str) -> Vec<(&'static str, String)> {
    let mut out = vec![("x-default", format!("{origin}{path}"))];
    out.extend(Lang::ALL.iter().map(|l| (l.tag(), format!("{origin}{}", crate::kit::lang_path::in_lang(*l, path)))));
    out
}

/// How many addresses the entries make (each page has one per language and the default).
pub fn url_count(entries: usize) -> usize {
    entries * (Lang::ALL.len() + 1)
}

/// The `<url>` elements of the addresses numbered `from..to` (in page order).
fn urls(origin: &str, entries: &[Entry], from: usize, to: usize) -> String {
    let per_page = Lang::ALL.len() + 1;
    let mut out = String::new();
    for n in from..to {
        let Some(entry) = entries.get(n / per_page) else { break };
        let all = addresses(origin, &entry.path);
        let (_, loc) = &all[n % per_page];
        out.push_str("<url><loc>");
        out.push_str(&esc(loc));
        out.push_str("</loc>");
        if let Some(at) = entry.updated {
            out.push_str(&format!("<lastmod>{}</lastmod>", date(at)));
        }
        for (hreflang, href) in &all {
            out.push_str(&format!("<xhtml:link rel=\"alternate\" hreflang=\"{hreflang}\" href=\"{}\"/>", esc(href)));
        }
        out.push_str("</url>\n");
    }
    out
}

fn date(at: OffsetDateTime) -> String {
    let d = at.date();
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn urlset(body: &str) -> String {
    format!(
        "{HEADER}<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
         xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n{body}</urlset>\n"
    )
}

/// `/sitemap.xml`: the addresses themselves, or, past `limit`, an index of the parts.
pub fn document(origin: &str, entries: &[Entry], limit: usize) -> Document {
    let limit = limit.max(1);
    let total = url_count(entries.len());
    if total <= limit {
        return Document::Urls(urlset(&urls(origin, entries, 0, total)));
    }
    let parts = total.div_ceil(limit);
    let mut xml = format!("{HEADER}<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for n in 1..=parts {
        xml.push_str(&format!("<sitemap><loc>{}</loc></sitemap>\n", esc(&format!("{origin}/sitemaps/{n}.xml"))));
    }
    xml.push_str("</sitemapindex>\n");
    Document::Index { xml, parts }
}

/// Part `n` (from 1) of a split sitemap, or `None` past the last part.
pub fn part(origin: &str, entries: &[Entry], limit: usize, n: usize) -> Option<String> {
    let limit = limit.max(1);
    let total = url_count(entries.len());
    let from = n.checked_sub(1)?.checked_mul(limit)?;
    (n >= 1 && from < total).then(|| urlset(&urls(origin, entries, from, (from + limit).min(total))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: usize) -> Vec<Entry> {
        (0..n).map(|i| Entry { path: format!("/products/p{i}"), updated: None }).collect()
    }

    #[test]
    fn one_sitemap_while_it_fits() {
        let Document::Urls(xml) = document("https://p.example", &entries(2), 12) else { panic!("one sitemap") };
        assert_eq!(xml.matches("<url>").count(), 12, "2 pages × (5 languages + x-default)");
        assert!(xml.contains("<loc>https://p.example/ko/products/p1</loc>"));
        assert!(xml
            .contains("<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"https://p.example/products/p0\"/>"));
        assert_eq!(xml.matches("hreflang=\"zh-Hans\"").count(), 12, "every address names every alternate");
    }

    #[test]
    fn past_the_limit_an_index_of_parts_covers_every_address_once() {
        let all = entries(5); // 30 addresses
        let Document::Index { xml, parts } = document("https://p.example", &all, 7) else { panic!("an index") };
        assert_eq!(parts, 5, "30 addresses, 7 a part");
        assert!(xml.contains("<sitemapindex") && xml.contains("<loc>https://p.example/sitemaps/5.xml</loc>"));
        let mut seen = Vec::new();
        for n in 1..=parts {
            let p = part("https://p.example", &all, 7, n).expect("part");
            let count = p.matches("<url>").count();
            assert!(count <= 7 && count > 0);
            seen.extend(p.split("<loc>").skip(1).map(|s| s.split("</loc>").next().unwrap_or("").to_string()));
        }
        assert_eq!(seen.len(), 30);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 30, "no address twice");
        assert_eq!(part("https://p.example", &all, 7, 6), None);
        assert_eq!(part("https://p.example", &all, 7, 0), None);
    }

    #[test]
    fn addresses_are_escaped_and_dated() {
        let e =
            vec![Entry { path: "/search?q=a&b".into(), updated: Some(time::macros::datetime!(2026-03-04 10:00 UTC)) }];
        let Document::Urls(xml) = document("https://p.example", &e, MAX_URLS) else { panic!() };
        assert!(xml.contains("q=a&amp;b") && !xml.contains("q=a&b"));
        assert!(xml.contains("<lastmod>2026-03-04</lastmod>"));
    }
}
