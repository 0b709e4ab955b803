//! A story as a card shows it, on pages, in feeds and in mail.

use crate::kit::format::day;
use crate::kit::i18n::Tr;
use podium_app::stories::StoryRecord;
use podium_domain::story::{self};

/// A story as a card shows it.
pub struct StoryCard {
    pub slug: String,
    pub title: String,
    pub teaser: String,
    pub lang: &'static str,
    pub is_fallback: bool,
    pub byline: String,
    pub date: String,
    pub cover: String,
}

pub fn story_card(tr: &Tr, s: &StoryRecord) -> StoryCard {
    let text = s.text(tr.lang);
    let teaser = text
        .map(|t| if t.summary.is_empty() { story::teaser(&story::read_body(&t.body), 180) } else { t.summary.clone() })
        .unwrap_or_default();
    StoryCard {
        slug: s.slug.clone(),
        title: text.map(|t| t.title.clone()).unwrap_or_default(),
        teaser,
        lang: text.map(|t| t.lang.tag()).unwrap_or("en"),
        is_fallback: text.is_some_and(|t| t.lang != tr.lang),
        byline: match &s.property {
            Some(p) if p.id != s.author.id => {
                tr.tn("story-by-about", &[("author", &s.author.name), ("property", &p.name)])
            }
            _ => tr.t1("story-by", "author", &s.author.name),
        },
        date: s.published_at.map(day).unwrap_or_default(),
        cover: own_cover(s),
    }
}

/// The story's cover when it is one of Podium's own images (an older story may name another
/// site's, which is not shown).
pub(crate) fn own_cover(s: &StoryRecord) -> String {
    if story::is_own_image(&s.draft.cover) {
        s.draft.cover.clone()
    } else {
        String::new()
    }
}
