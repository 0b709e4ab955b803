//! The HTML part of an e-mail, sent beside the plain text each composer writes (the transport
//! puts the two in a `multipart/alternative`): the brand's header, paragraphs, and every
//! address a link. The HTML is made from the text, so the two can never say different things.

/// The HTML part of a mail whose plain text is `body`.
pub fn html(subject: &str, body: &str, lang: &str, site_name: &str) -> String {
    let mut paragraphs = String::new();
    for block in body.split("\n\n").map(|b| b.trim_matches('\n')).filter(|b| !b.trim().is_empty()) {
        let lines: Vec<String> = block.lines().map(line).collect();
        paragraphs.push_str("<p style=\"margin:0 0 16px;line-height:1.5\">");
        paragraphs.push_str(&lines.join("<br>\n"));
        paragraphs.push_str("</p>\n");
    }
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{subject}</title>\n</head>\n\
         <body style=\"margin:0;padding:0;background:#fbfaf7;color:#17202a;\
         font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;font-size:16px\">\n\
         <div style=\"max-width:600px;margin:0 auto;padding:24px\">\n\
         <p style=\"margin:0 0 24px;font-size:20px;font-weight:800;color:#17202a\">\
         <span style=\"color:#8f5d0a\" aria-hidden=\"true\">◆</span> {site}</p>\n\
         <div style=\"background:#ffffff;border:1px solid #dfe3e8;border-radius:10px;padding:24px\">\n\
         {paragraphs}</div>\n</div>\n</body>\n</html>\n",
        lang = esc(lang),
        subject = esc(subject),
        site = esc(site_name),
    )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// One line of text as HTML: escaped, indentation kept, addresses made links.
fn line(text: &str) -> String {
    let indent = text.len() - text.trim_start().len();
    let mut out = "&nbsp;".repeat(indent);
    let words: Vec<String> = text
        .trim_start()
        .split(' ')
        .map(|word| {
            if word.starts_with("https://") || word.starts_with("http://") {
                format!("<a href=\"{0}\" style=\"color:#0b5d4b;word-break:break-all\">{0}</a>", esc(word))
            } else {
                esc(word)
            }
        })
        .collect();
    out.push_str(&words.join(" "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_paragraphs_with_links_and_nothing_unescaped() {
        let h = html(
            "Order <1>",
            "Thanks & welcome.\n\nSee it here:\nhttps://p.example/orders/1?token=a&lang=ko\n",
            "ko",
            "Podium",
        );
        assert!(h.contains("<html lang=\"ko\">"));
        assert!(h.contains("<title>Order &lt;1&gt;</title>"));
        assert!(h.contains("Thanks &amp; welcome."));
        assert!(h.contains("<a href=\"https://p.example/orders/1?token=a&amp;lang=ko\""), "{h}");
        assert_eq!(h.matches("<p style").count(), 3, "the brand line and two paragraphs");
    }
}
