//! What a page tells browsers, search engines and link previews about itself, in its `<head>`:
//! a description, its canonical address, the same page in the other languages, Open Graph and
//! Twitter card data with an absolute image, the feed it has, and schema.org JSON-LD.
//!
//! Every page gets sound defaults from the request ([`Head::new`]); a public page adds what it
//! knows through the builders on [`Layout`] (`layout.titled(…).image(…)`). Addresses here are
//! absolute, on the configured public URL, never the request's `Host` header.

use podium_domain::Lang;
use serde_json::json;

use crate::kit::context::Visitor;
use crate::kit::lang_path::in_lang;
use crate::kit::layout::{Layout, Opt};

/// Query parameters that choose how a page is shown, not which page it is: a canonical
/// address leaves them out.
const PRESENTATION: &[&str] = &["lang", "country", "currency", "variant"];

/// The longest description a search result shows in full, about.
const DESCRIPTION_CHARS: usize = 160;

/// The address of the same page in one language (`hreflang`).
pub struct Alternate {
    pub hreflang: &'static str,
    pub href: String,
}

/// A feed a page offers for autodiscovery.
pub struct FeedLink {
    pub title: String,
    pub href: String,
}

pub struct Head {
    pub origin: String,
    pub canonical: String,
    pub alternates: Vec<Alternate>,
    /// The footer's language links: this page at each language's address.
    pub lang_links: Vec<Opt>,
    pub site_name: String,
    /// The page's own title (Open Graph); the site's name when a page sets none.
    pub title: String,
    pub description: String,
    pub image: String,
    pub image_alt: String,
    /// Open Graph type: `website`, `product`, `article`.
    pub og_type: &'static str,
    pub og_locale: &'static str,
    /// The language the page is in.
    pub lang: Lang,
    pub feeds: Vec<FeedLink>,
    /// JSON-LD documents, serialised and safe inside a `<script>` element.
    pub json_ld: Vec<String>,
}

impl Head {
    pub fn new(v: &Visitor) -> Head {
        let tr = &v.tr;
        let origin = v.origin.trim_end_matches('/').to_string();
        let canonical_query = query_without(&v.query, PRESENTATION);
        let same_query = query_without(&v.query, &["lang"]);
        let canonical = match v.path_lang {
            Some(l) => format!("{origin}{}{canonical_query}", in_lang(l, &v.path)),
            None => format!("{origin}{}{canonical_query}", v.path),
        };
        let mut alternates: Vec<Alternate> = Lang::ALL
            .iter()
            .map(|l| Alternate {
                hreflang: l.tag(),
                href: format!("{origin}{}{canonical_query}", in_lang(*l, &v.path)),
            })
            .collect();
        alternates.push(Alternate { hreflang: "x-default", href: format!("{origin}{}{canonical_query}", v.path) });
        let lang_links = Lang::ALL
            .iter()
            .map(|l| Opt {
                value: l.tag().to_string(),
                label: l.native_name().to_string(),
                selected: *l == v.prefs.lang,
                extra: format!("{}{same_query}", in_lang(*l, &v.path)),
            })
            .collect();
        let site_name = tr.t("site-name");
        Head {
            image: format!("{origin}/static/og.png"),
            image_alt: site_name.clone(),
            title: site_name.clone(),
            site_name,
            description: tr.t("site-tagline"),
            og_type: "website",
            og_locale: og_locale(v.prefs.lang),
            lang: v.prefs.lang,
            canonical,
            alternates,
            lang_links,
            feeds: Vec::new(),
            json_ld: Vec::new(),
            origin,
        }
    }

    /// An absolute address on this marketplace for a path (`/products/x`); absolute ones pass.
    pub fn absolute(&self, path: &str) -> String {
        absolute(&self.origin, path)
    }
}

/// An absolute address on `origin` for a path; an address that is already absolute passes.
pub fn absolute(origin: &str, path: &str) -> String {
    if path.starts_with("http://") || path.starts_with("https://") {
        path.to_string()
    } else {
        format!("{}{path}", origin.trim_end_matches('/'))
    }
}

/// `?a=1&b=2` less the named keys (empty when nothing is left), in the order sent.
fn query_without(query: &str, drop: &[&str]) -> String {
    let kept: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| !drop.contains(&k.as_ref()) && !v.is_empty())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        return String::new();
    }
    let mut out = form_urlencoded::Serializer::for_suffix(String::from("?"), 1);
    out.extend_pairs(kept);
    out.finish()
}

fn og_locale(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en_US",
        Lang::Fr => "fr_FR",
        Lang::ZhHans => "zh_CN",
        Lang::Ja => "ja_JP",
        Lang::Ko => "ko_KR",
    }
}

/// A description as search results show it: one line, at most about 160 characters, cut at a
/// word where it must be cut.
pub fn summary(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= DESCRIPTION_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(DESCRIPTION_CHARS - 1).collect();
    // Languages written without spaces (Japanese, Chinese) are cut at the limit.
    let at_word = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", at_word.trim_end_matches([',', '.', ';', ':', ' ']))
}

/// JSON for a `<script type="application/ld+json">`: no string inside may close the element.
pub fn script_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// The marketplace itself, as schema.org sees it.
pub fn organization(head: &Head) -> serde_json::Value {
    json!({
        "@context": "https://schema.org",
        "@type": "Organization",
        "@id": format!("{}/#organization", head.origin),
        "name": head.site_name,
        "url": format!("{}/", head.origin),
        "logo": head.absolute("/static/favicon.svg"),
    })
}

/// A trail of (name, path) pairs as a schema.org `BreadcrumbList`; the last item is the page.
pub fn breadcrumbs(head: &Head, trail: &[(String, String)]) -> serde_json::Value {
    // A step with no page of its own ("Teams") is left out; the last step is this page.
    let last = trail.len().saturating_sub(1);
    let items: Vec<serde_json::Value> = trail
        .iter()
        .enumerate()
        .filter(|(i, (_, path))| *i == last || !path.is_empty())
        .enumerate()
        .map(|(n, (i, (name, path)))| {
            let item = if i == last { head.canonical.clone() } else { head.absolute(path) };
            json!({"@type": "ListItem", "position": n + 1, "name": name, "item": item})
        })
        .collect();
    json!({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items})
}

/// The home page: the marketplace as an organisation and a web site one can search, and the
/// feed of every story.
pub fn home(layout: Layout) -> Layout {
    let (title, description, stories) =
        (layout.tr.t("site-tagline"), layout.tr.t("home-hero-body"), layout.tr.t("stories-title"));
    let org = organization(&layout.head);
    let site = json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": layout.head.site_name,
        "url": layout.head.canonical,
        "inLanguage": layout.head.lang.tag(),
        "publisher": {"@id": format!("{}/#organization", layout.head.origin)},
        "potentialAction": {
            "@type": "SearchAction",
            "target": format!("{}/search?q={{search_term_string}}", layout.head.origin),
            "query-input": "required name=search_term_string",
        },
    });
    layout.titled(title, &description).ld(org).ld(site).feed(&stories, "/stories/feed.atom")
}

/// What a public page adds to the defaults.
impl Layout {
    /// The page's title and description, by message id.
    pub fn keyed(self, title: &str, description: &str) -> Layout {
        let (title, description) = (self.tr.t(title), self.tr.t(description));
        self.titled(title, &description)
    }

    /// The page's title and description (cut to what a search result shows).
    pub fn titled(mut self, title: impl Into<String>, description: &str) -> Layout {
        self.head.title = title.into();
        let description = summary(description);
        if !description.is_empty() {
            self.head.description = description;
        }
        self
    }

    /// The picture a link preview shows (a path on this marketplace or an absolute address).
    pub fn image(mut self, path: &str, alt: &str) -> Layout {
        self.head.image = self.head.absolute(path);
        self.head.image_alt = alt.to_string();
        self
    }

    pub fn og_type(mut self, kind: &'static str) -> Layout {
        self.head.og_type = kind;
        self
    }

    /// An Atom feed the page offers for autodiscovery, in the page's language.
    pub fn feed(mut self, title: &str, path: &str) -> Layout {
        let href = self.head.absolute(&in_lang(self.head.lang, path));
        self.head.feeds.push(FeedLink { title: title.to_string(), href });
        self
    }

    /// A schema.org document about the page.
    pub fn ld(mut self, value: serde_json::Value) -> Layout {
        self.head.json_ld.push(script_json(&value));
        self
    }

    /// The page's breadcrumb trail (home first, the page last with an empty path).
    pub fn crumbs(self, trail: &[(String, String)]) -> Layout {
        let value = breadcrumbs(&self.head, trail);
        self.ld(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_queries_keep_what_names_the_page() {
        assert_eq!(query_without("q=tee&lang=ko&country=KR&page=2", PRESENTATION), "?q=tee&page=2");
        assert_eq!(query_without("lang=ko&currency=", PRESENTATION), "");
        assert_eq!(query_without("q=%E2%80%9Cx%E2%80%9D", PRESENTATION), "?q=%E2%80%9Cx%E2%80%9D");
    }

    #[test]
    fn summaries_fit_a_search_result() {
        assert_eq!(summary("  Two\n lines  "), "Two lines");
        let long = "word ".repeat(60);
        let s = summary(&long);
        assert!(s.chars().count() <= DESCRIPTION_CHARS && s.ends_with("word…"), "{s}");
        let ja = "あ".repeat(300);
        assert_eq!(summary(&ja).chars().count(), DESCRIPTION_CHARS);
    }

    #[test]
    fn json_ld_cannot_close_its_script() {
        let s = script_json(&json!({"name": "</script><script>alert(1)</script>"}));
        assert!(!s.contains('<'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).expect("still JSON");
        assert_eq!(back["name"], "</script><script>alert(1)</script>");
    }
}
