//! Stories (the fan-engagement issue), the pure part: the body's small markup, the video link
//! and the review states. A story's body is plain text with three kinds of block, separated by
//! blank lines — `## A heading`, `![what it shows](/media/…)` alone on its lines, and
//! paragraphs — so that shops and licensors can write without HTML and nothing they write is
//! ever rendered as markup.

/// The longest title and body a story may have, in characters.
pub const MAX_TITLE: usize = 120;
pub const MAX_BODY: usize = 20_000;
pub const MAX_SUMMARY: usize = 300;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    Image { src: String, alt: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoryError {
    #[error("give the story a title of 1 to {MAX_TITLE} characters")]
    Title,
    #[error("the story's text is empty or longer than {MAX_BODY} characters")]
    Body,
    #[error("the summary may be at most {MAX_SUMMARY} characters")]
    Summary,
    #[error("a story shows only images uploaded to Podium: upload it under Images and paste the line it gives (/media/…) instead of {0}")]
    Image(String),
    #[error("the video link must be an https address")]
    Video,
    #[error("a story cannot go from {from} to {to}")]
    Transition { from: &'static str, to: &'static str },
}

/// Reads a body into blocks; refuses an empty or overlong body and any image not uploaded to
/// Podium (another site's image would tell it who reads the story).
pub fn parse_body(text: &str) -> Result<Vec<Block>, StoryError> {
    if text.trim().is_empty() || text.chars().count() > MAX_BODY {
        return Err(StoryError::Body);
    }
    let blocks = blocks(text);
    for b in &blocks {
        if let Block::Image { src, .. } = b {
            if !is_own_image(src) {
                return Err(StoryError::Image(src.clone()));
            }
        }
    }
    Ok(blocks)
}

/// Reads a stored body for showing: as [`parse_body`], but an image from elsewhere (saved before
/// stories were limited to Podium's own images) is left out rather than refusing the story.
pub fn read_body(text: &str) -> Vec<Block> {
    blocks(text).into_iter().filter(|b| !matches!(b, Block::Image { src, .. } if !is_own_image(src))).collect()
}

/// Whether an image address is one of Podium's own uploaded images (`/media/…`).
pub fn is_own_image(src: &str) -> bool {
    src.strip_prefix("/media/").is_some_and(|rest| {
        !rest.is_empty()
            && !rest.starts_with('/')
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    })
}

fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(paragraph.join(" ")));
            paragraph.clear();
        }
    };
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else if let Some(h) = line.strip_prefix("## ").or_else(|| line.strip_prefix("# ")) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(h.trim().to_string()));
        } else if let Some((alt, src)) = image(line) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Image { src: src.to_string(), alt: alt.to_string() });
        } else {
            paragraph.push(line);
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// `![alt](src)` filling the whole line.
fn image(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("![")?;
    let (alt, rest) = rest.split_once("](")?;
    let src = rest.strip_suffix(')')?;
    Some((alt.trim(), src.trim()))
}

/// The first paragraph, cut to `max` characters at a word boundary: a card's teaser when the
/// author gave no summary.
pub fn teaser(blocks: &[Block], max: usize) -> String {
    let Some(text) = blocks.iter().find_map(|b| match b {
        Block::Paragraph(p) => Some(p.as_str()),
        _ => None,
    }) else {
        return String::new();
    };
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    // CJK text has no spaces: cut at the limit; otherwise at the last space.
    let at = cut.rfind(' ').filter(|&i| i > max / 2).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

/// A video the story links to: where to watch it, and where to embed it when the fan asks
/// (nothing is loaded from the video site before that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Video {
    pub watch: String,
    pub embed: Option<String>,
}

impl Video {
    pub fn parse(url: &str) -> Result<Video, StoryError> {
        let url = url.trim();
        let rest = url.strip_prefix("https://").ok_or(StoryError::Video)?;
        if rest.is_empty() || url.len() > 500 || url.contains(['"', '<', '>', ' ']) {
            return Err(StoryError::Video);
        }
        let rest = rest.strip_prefix("www.").unwrap_or(rest);
        let id_ok = |id: &str| {
            !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let embed = if let Some(q) = rest.strip_prefix("youtube.com/watch?") {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("v="))
                .filter(|id| id_ok(id))
                .map(|id| format!("https://www.youtube-nocookie.com/embed/{id}"))
        } else if let Some(id) = rest.strip_prefix("youtu.be/") {
            let id = id.split(['?', '&']).next().unwrap_or("");
            id_ok(id).then(|| format!("https://www.youtube-nocookie.com/embed/{id}"))
        } else if let Some(id) = rest.strip_prefix("vimeo.com/") {
            (!id.is_empty() && id.len() <= 12 && id.chars().all(|c| c.is_ascii_digit()))
                .then(|| format!("https://player.vimeo.com/video/{id}"))
        } else {
            None
        };
        Ok(Video { watch: url.to_string(), embed })
    }
}

/// Where a story is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoryStatus {
    Draft,
    /// A shop's story about a licensor's property, waiting for the licensor.
    InReview,
    Published,
    /// Sent back by the licensor with a note; the shop may edit and submit again.
    Rejected,
    /// Taken down by its author.
    Withdrawn,
}

impl StoryStatus {
    pub const ALL: [StoryStatus; 5] = [
        StoryStatus::Draft,
        StoryStatus::InReview,
        StoryStatus::Published,
        StoryStatus::Rejected,
        StoryStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StoryStatus::Draft => "draft",
            StoryStatus::InReview => "in_review",
            StoryStatus::Published => "published",
            StoryStatus::Rejected => "rejected",
            StoryStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<StoryStatus> {
        StoryStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The status a story goes to when its author publishes it: live at once when the author
    /// owns the property (or the story features no property), otherwise to the licensor.
    pub fn on_publish(author_owns_property: bool) -> StoryStatus {
        if author_owns_property {
            StoryStatus::Published
        } else {
            StoryStatus::InReview
        }
    }

    /// Whether the change is allowed.
    pub fn check(self, to: StoryStatus) -> Result<(), StoryError> {
        use StoryStatus::*;
        let ok = matches!(
            (self, to),
            (Draft | Rejected | Withdrawn, InReview | Published)
                | (InReview, Published | Rejected | Draft)
                | (Published, Withdrawn)
                | (Draft | Rejected, Draft)
        );
        if ok {
            Ok(())
        } else {
            Err(StoryError::Transition { from: self.as_str(), to: to.as_str() })
        }
    }
}

/// Checks a title and summary.
pub fn check_text(title: &str, summary: &str) -> Result<(), StoryError> {
    let n = title.trim().chars().count();
    if n == 0 || n > MAX_TITLE {
        return Err(StoryError::Title);
    }
    if summary.chars().count() > MAX_SUMMARY {
        return Err(StoryError::Summary);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_reads_as_headings_images_and_paragraphs() {
        let body = "They learnt on roller blades\nin a Nairobi car park.\n\n## The first ice\n\n![The team on the ice](/media/abc.jpg)\nNot an image: ![x](y) inside text.";
        let blocks = parse_body(body).expect("body");
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph("They learnt on roller blades in a Nairobi car park.".into()),
                Block::Heading("The first ice".into()),
                Block::Image { src: "/media/abc.jpg".into(), alt: "The team on the ice".into() },
                Block::Paragraph("Not an image: ![x](y) inside text.".into()),
            ]
        );
        assert_eq!(parse_body("  \n "), Err(StoryError::Body));
        assert!(matches!(parse_body("![x](javascript:alert(1))"), Err(StoryError::Image(_))));
        assert!(matches!(parse_body("![x](http://example.com/a.jpg)"), Err(StoryError::Image(_))));
        // Another site's image, even over https, is a tracking pixel waiting to happen.
        let pixel = "Hello.\n\n![x](https://tracker.example/p.gif)";
        assert_eq!(parse_body(pixel), Err(StoryError::Image("https://tracker.example/p.gif".into())));
        assert!(matches!(parse_body("![x](/media/a\"b)"), Err(StoryError::Image(_))));
        assert!(matches!(parse_body("![x](/media//tracker.example/p.gif)"), Err(StoryError::Image(_))));
        // A story stored before the rule still reads, without the foreign image.
        assert_eq!(read_body(pixel), vec![Block::Paragraph("Hello.".into())]);
        assert!(parse_body(&"a".repeat(MAX_BODY + 1)).is_err());
    }

    #[test]
    fn teasers_cut_at_a_word_or_at_the_limit_for_cjk() {
        let blocks = parse_body("## Title\n\nOne two three four five six").expect("body");
        assert_eq!(teaser(&blocks, 14), "One two three…");
        assert_eq!(teaser(&blocks, 100), "One two three four five six");
        let cjk = parse_body("冬季オリンピックを夢見たケニアのチーム").expect("body");
        assert_eq!(teaser(&cjk, 5), "冬季オリン…");
        assert_eq!(teaser(&[Block::Heading("h".into())], 10), "");
    }

    #[test]
    fn videos_embed_only_from_known_players() {
        let yt = Video::parse("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1").expect("video");
        assert_eq!(yt.embed.as_deref(), Some("https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"));
        let short = Video::parse("https://youtu.be/dQw4w9WgXcQ?si=x").expect("video");
        assert_eq!(short.embed, yt.embed);
        let vimeo = Video::parse("https://vimeo.com/76979871").expect("video");
        assert_eq!(vimeo.embed.as_deref(), Some("https://player.vimeo.com/video/76979871"));
        let other = Video::parse("https://example.org/film").expect("a link");
        assert_eq!((other.watch.as_str(), other.embed), ("https://example.org/film", None));
        assert_eq!(Video::parse("http://youtu.be/x"), Err(StoryError::Video));
        assert_eq!(Video::parse("https://youtu.be/\"><script>"), Err(StoryError::Video));
    }

    #[test]
    fn stories_move_through_review() {
        use StoryStatus::*;
        assert_eq!(StoryStatus::on_publish(true), Published);
        assert_eq!(StoryStatus::on_publish(false), InReview);
        assert!(InReview.check(Published).is_ok());
        assert!(InReview.check(Rejected).is_ok());
        assert!(Rejected.check(InReview).is_ok());
        assert!(Published.check(Withdrawn).is_ok());
        assert!(Published.check(Rejected).is_err());
        assert!(Draft.check(Rejected).is_err());
        for s in StoryStatus::ALL {
            assert_eq!(StoryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(check_text(" ", ""), Err(StoryError::Title));
        assert_eq!(check_text("A title", &"x".repeat(MAX_SUMMARY + 1)), Err(StoryError::Summary));
    }
}
