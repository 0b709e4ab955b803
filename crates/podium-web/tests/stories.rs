//! Stories, follows and the feed through the pages: a shop writes a story about a licensor's
//! property, the licensor reviews it (another licensor cannot), fans see only what is
//! published and only the products they can buy; following needs a session and shapes the
//! feed; the Atom feeds read as Atom.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use podium_app::stories::StoryQuery;
use podium_domain::story::StoryStatus;
use podium_store::testing::Backend;

/// The fields of the story form with `title` and `body` in English and the given property.
fn story_form<'a>(csrf: &'a str, title: &'a str, body: &'a str, property: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("csrf_token", csrf), ("title_en", title), ("body_en", body), ("property", property)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shops_story_waits_for_its_licensor_and_fans_see_only_what_is_published() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    let kenya = store.property_by_slug("kenya-ice-lions").await.expect("read").expect("property");
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let page = merchant.get("/console/stories/hanok-threads?lang=en").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.csrf();
    // Bad input is refused with the reason and nothing is written.
    let bad = merchant
        .post_form(
            "/console/stories/hanok-threads",
            &story_form(&csrf, "Stitching for the Ice Lions", "![x](javascript:alert(1))", &kenya.id),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("only images uploaded to Podium"), "{}", bad.body);
    let untitled = merchant.post_form("/console/stories/hanok-threads", &story_form(&csrf, "", "", &kenya.id)).await;
    assert_eq!(untitled.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another shop's console is not the merchant's.
    assert_eq!(merchant.get("/console/stories/thames-pin").await.status, StatusCode::FORBIDDEN);
    let made = merchant
        .post_form(
            "/console/stories/hanok-threads",
            &story_form(
                &csrf,
                "Stitching for the Ice Lions",
                "## Why\n\nBecause they learnt on roller blades.",
                &kenya.id,
            ),
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let edit = made.header("location").split('?').next().expect("path").to_string();
    let id = edit.rsplit('/').next().expect("id").to_string();
    // A draft is not public; its author previews it.
    assert_eq!(app.get_anonymous("/stories/stitching-for-the-ice-lions").await.status, StatusCode::NOT_FOUND);
    assert_eq!(merchant.get("/stories/stitching-for-the-ice-lions").await.status, StatusCode::OK);
    // Publishing a shop's story about Team Kenya's team sends it to Team Kenya.
    let sent = merchant.post_form(&format!("{edit}/publish"), &[("csrf_token", &csrf)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert!(sent.header("location").ends_with("now=in_review"), "{}", sent.header("location"));
    assert_eq!(app.get_anonymous("/stories/stitching-for-the-ice-lions").await.status, StatusCode::NOT_FOUND);
    // Only Team Kenya's licensor reviews it; sending back needs a note.
    let mut licensor = app.clone_app();
    licensor.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let queue = licensor.get("/console/licensing/team-kenya/stories?lang=en").await;
    assert!(queue.body.contains("Stitching for the Ice Lions"), "{}", queue.body);
    let lcsrf = queue.csrf();
    let review = format!("/console/licensing/team-kenya/stories/{id}/review");
    let no_note = licensor.post_form(&review, &[("csrf_token", &lcsrf), ("decision", "reject")]).await;
    assert!(no_note.header("location").ends_with("done=note"));
    assert_eq!(merchant.get(&review).await.status, StatusCode::METHOD_NOT_ALLOWED);
    let stranger = merchant.post_form(&review, &[("csrf_token", &csrf), ("decision", "approve")]).await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "a shop cannot review");
    let sent_back = licensor
        .post_form(&review, &[("csrf_token", &lcsrf), ("decision", "reject"), ("note", "Name the team in full.")])
        .await;
    assert!(sent_back.header("location").ends_with("done=rejected"));
    let mine = merchant.get(&format!("{edit}?lang=en")).await;
    assert!(mine.body.contains("Name the team in full."), "the shop reads the note");
    let again = merchant.post_form(&format!("{edit}/publish"), &[("csrf_token", &csrf)]).await;
    assert!(again.header("location").ends_with("now=in_review"));
    let approved = licensor.post_form(&review, &[("csrf_token", &lcsrf), ("decision", "approve")]).await;
    assert!(approved.header("location").ends_with("done=published"));
    let public = app.get_anonymous("/stories/stitching-for-the-ice-lions?lang=en").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("<h2>Why</h2>"), "the body's heading");
    // The story is on the team's page and the stories index.
    assert!(app
        .get_anonymous("/properties/kenya-ice-lions?lang=en")
        .await
        .body
        .contains("Stitching for the Ice Lions"));
    assert!(app.get_anonymous("/stories?lang=en").await.body.contains("Stitching for the Ice Lions"));
    let published = store
        .stories(&StoryQuery { status: Some(StoryStatus::Published), limit: 50, ..StoryQuery::default() })
        .await
        .expect("stories");
    assert!(published.iter().any(|s| s.id == id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_products_show_only_where_the_fan_can_buy_them() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // Team Kenya's story features a Savannah Stitch tee (Kenya's licence does not reach Korea in
    // the demo) and a Hanok Threads tee (it does).
    let story = "/stories/ice-hockey-learnt-on-roller-blades";
    let kr = app.get_anonymous(&format!("{story}?country=KR&lang=en")).await;
    assert_eq!(kr.status, StatusCode::OK);
    assert!(kr.body.contains("Hanok Threads") && kr.body.contains("₩"), "priced in won for Korea");
    assert!(kr.body.contains("name=\"sku\" value=\"hanok-threads:"), "with an add-to-cart button");
    let ke = app.get_anonymous(&format!("{story}?country=KE&lang=en")).await;
    assert!(ke.body.contains("KES") || ke.body.contains("Ksh"), "priced in shillings for Kenya");
    // In another language, the story in that language.
    let ja = app.get_anonymous(&format!("{story}?lang=ja")).await;
    assert!(ja.body.contains("ローラーブレードで覚えたアイスホッケー"));
    assert_eq!(app.get_anonymous("/stories/no-such-story").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_shapes_the_feed_and_atom_feeds_read_as_atom() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    let shop = store.org_by_slug("savannah-stitch").await.expect("read").expect("shop");
    // Anonymous visitors are asked to sign in; a follow without the CSRF token is refused.
    let anon = app.get("/signin").await.csrf();
    let r = app
        .post_form(
            "/follow",
            &[("csrf_token", &anon), ("kind", "shop"), ("target", &shop.id), ("back", "/shops/savannah-stitch")],
        )
        .await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/signin?next=/shops/savannah-stitch"));
    // A new fan, who follows nothing yet.
    let r = app.sign_up("Wanjiru", "wanjiru@example.com", "a-long-password-1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/shops/savannah-stitch?lang=en").await;
    assert!(page.body.contains("0 followers"), "{}", page.body);
    let csrf = page.csrf();
    assert_eq!(app.post_form("/follow", &[("kind", "shop"), ("target", &shop.id)]).await.status, StatusCode::FORBIDDEN);
    let bogus = app.post_form("/follow", &[("csrf_token", &csrf), ("kind", "shop"), ("target", "nope")]).await;
    assert_eq!(bogus.status, StatusCode::NOT_FOUND);
    let ok = app
        .post_form(
            "/follow",
            &[("csrf_token", &csrf), ("kind", "shop"), ("target", &shop.id), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!((ok.status, ok.header("location")), (StatusCode::SEE_OTHER, "/feed"), "only same-site paths back");
    assert!(app.get("/shops/savannah-stitch?lang=en").await.body.contains("1 follower"));
    let follows = app.get("/account/follows?lang=en").await;
    assert!(follows.body.contains("Savannah Stitch"));
    // The shop's newly approved products reach the fan's feed (where they can be bought).
    let feed = app.get("/feed?lang=en&country=KE").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.body.contains("Savannah Stitch"), "{}", feed.body);
    // Unfollowing takes them away again.
    app.post_form("/follow", &[("csrf_token", &csrf), ("kind", "shop"), ("target", &shop.id), ("unfollow", "1")]).await;
    assert!(app.get("/shops/savannah-stitch?lang=en").await.body.contains("0 followers"));
    assert_eq!(app.get_anonymous("/feed").await.header("location"), "/signin?next=/feed");
    // A team's page also follows its licensor, apart.
    let kenya = store.org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let team = app.get("/properties/kenya-ice-lions?lang=en").await;
    assert!(team.body.contains("name=\"kind\" value=\"licensor\""));
    app.post_form("/follow", &[("csrf_token", &csrf), ("kind", "licensor"), ("target", &kenya.id)]).await;
    assert!(app.get("/account/follows?lang=en").await.body.contains("Rights holder"));
    let theirs = app.get_anonymous("/stories?licensor=team-kenya&lang=en").await;
    assert!(theirs.body.contains("Ice hockey, learnt on roller blades") && !theirs.body.contains("Forty pins"));
    assert_eq!(app.get_anonymous("/stories?licensor=hanok-threads").await.status, StatusCode::NOT_FOUND);
    // Atom.
    let atom = app.get_anonymous("/properties/kenya-ice-lions/feed.atom").await;
    assert_eq!(atom.header("content-type"), "application/atom+xml; charset=utf-8");
    assert!(atom.body.starts_with("<?xml") && atom.body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(atom.body.contains("/stories/ice-hockey-learnt-on-roller-blades"));
    assert!(app.get_anonymous("/shops/thames-pin/feed.atom").await.body.contains("Forty pins a day"));
    assert_eq!(app.get_anonymous("/shops/team-kenya/feed.atom").await.status, StatusCode::NOT_FOUND, "not a shop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_results_show_matching_stories() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let found = app.get_anonymous("/search?q=ducks&lang=en").await;
    assert!(found.body.contains("data-testid=\"story-results\""), "{}", found.body);
    assert!(found.body.contains("The sculler who let the ducks pass"));
    // In Japanese too, by the Japanese title.
    let ja = app.get_anonymous("/search?q=%E3%82%AB%E3%83%A2&lang=ja").await;
    assert!(ja.body.contains("カモに道を譲ったスカル選手"));
    let none = app.get_anonymous("/search?q=zeppelin&lang=en").await;
    assert!(!none.body.contains("data-testid=\"story-results\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_who_asked_get_a_new_story_by_mail_and_unsubscribe_in_one_click() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    // The demo fan follows the Kenya Ice Lions and asks for story e-mails, in French.
    let mut fan = app.clone_app();
    fan.sign_in("fan@podium.example", "fan-demo-2026").await;
    let page = fan.get("/account/follows?lang=fr").await;
    assert!(!page.body.contains("data-testid=\"story-mails\" checked"), "off until asked");
    let csrf = page.csrf();
    let saved = fan.post_form("/account/notifications?lang=fr", &[("csrf_token", &csrf), ("story_mails", "1")]).await;
    assert_eq!(saved.header("location"), "/account/follows?saved=1");
    // Team Kenya publishes a story about the team (its own property: live at once).
    let kenya = store.property_by_slug("kenya-ice-lions").await.expect("read").expect("property");
    let mut licensor = app.clone_app();
    licensor.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let lcsrf = licensor.get("/console/stories/team-kenya").await.csrf();
    let made = licensor
        .post_form(
            "/console/stories/team-kenya",
            &story_form(&lcsrf, "Our first away game", "We flew to Cape Town.", &kenya.id),
        )
        .await;
    let edit = made.header("location").split('?').next().expect("path").to_string();
    let live = licensor.post_form(&format!("{edit}/publish"), &[("csrf_token", &lcsrf)]).await;
    assert!(live.header("location").ends_with("now=published"), "{}", live.header("location"));
    // One mail to the fan, in French, with a signed one-click unsubscribe link.
    let dir = tempfile::tempdir().expect("dir");
    let transport = podium_outbound::FileMailer::new(dir.path());
    assert_eq!(podium_web::mail::send_due(&app.state, &transport, "http://shop.test").await, 1);
    let file = std::fs::read_dir(dir.path()).expect("dir").next().expect("a mail").expect("entry").path();
    let eml = std::fs::read_to_string(file).expect("read");
    assert!(eml.contains("To: fan@podium.example"), "{eml}");
    assert!(eml.contains("http://shop.test/stories/our-first-away-game?lang=fr"), "{eml}");
    let link = eml.lines().find(|l| l.contains("/unsubscribe?")).expect("unsubscribe link").trim().to_string();
    let path = link.trim_start_matches("http://shop.test");
    // A forged signature does nothing; the real link unsubscribes without signing in.
    let forged = path.replace("sig=", "sig=00");
    assert_eq!(app.get_anonymous(&forged).await.status, StatusCode::BAD_REQUEST);
    let fan_user = store.user_by_email("fan@podium.example").await.expect("read").expect("fan");
    assert!(store.story_mails(&fan_user.id).await.expect("read"));
    assert_eq!(app.get_anonymous(path).await.status, StatusCode::OK);
    assert!(!store.story_mails(&fan_user.id).await.expect("read"), "unsubscribed");
    // Each mail goes once.
    assert_eq!(podium_web::mail::send_due(&app.state, &transport, "http://shop.test").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authors_upload_images_checked_by_content_and_place_them_in_stories() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let page = app.get("/console/stories/team-kenya?lang=en").await;
    let csrf = page.csrf();
    // Not an image, whatever its name: refused with the reason, nothing stored.
    let r = common::post_multipart(
        &mut app,
        "/console/stories/team-kenya/images",
        &[("csrf_token", &csrf), ("alt", "x")],
        ("team.png", b"%PDF-1.7 not an image"),
    )
    .await;
    assert_eq!(r.header("location"), "/console/stories/team-kenya?image=error-type");
    let refused = app.get(&format!("{}&lang=en", r.header("location"))).await;
    assert!(refused.body.contains("not a PNG, JPEG, WebP or GIF"), "{}", refused.body);
    let png = common::png(64, 48);
    let r = common::post_multipart(
        &mut app,
        "/console/stories/team-kenya/images",
        &[("csrf_token", &csrf), ("alt", "The team on the ice")],
        ("team.png", &png),
    )
    .await;
    assert_eq!(r.header("location"), "/console/stories/team-kenya?image=saved");
    let form = app.get("/console/stories/team-kenya?image=saved&lang=en").await;
    let at = form.body.find("![The team on the ice](/media/").expect("the line to copy");
    let line: String = form.body[at..].chars().take_while(|c| *c != '<').collect();
    let id = line.trim_start_matches("![The team on the ice](/media/").trim_end_matches(')').to_string();
    assert_eq!(app.get_anonymous(&format!("/media/{id}")).await.status, StatusCode::OK);
    // A story with the line shows the image.
    let kenya = app.db.dyn_store().property_by_slug("kenya-ice-lions").await.expect("read").expect("team");
    let body = format!("First paragraph.\n\n{line}\n\nLast paragraph.");
    let mut fields = story_form(&csrf, "On the ice at last", &body, &kenya.id);
    fields.push(("video_url", "https://youtu.be/dQw4w9WgXcQ"));
    let made = app.post_form("/console/stories/team-kenya", &fields).await;
    let edit = made.header("location").split('?').next().expect("path").to_string();
    app.post_form(&format!("{edit}/publish"), &[("csrf_token", &csrf)]).await;
    let story = app.get_anonymous("/stories/on-the-ice-at-last?lang=en").await;
    assert!(story.body.contains(&format!("<img src=\"/media/{id}\" alt=\"The team on the ice\"")), "{}", story.body);
    // Its video loads nothing from the video site until asked: a button and a link, no frame.
    assert!(story.body.contains("data-embed=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ\""));
    assert!(story.body.contains("href=\"https://youtu.be/dQw4w9WgXcQ\"") && !story.body.contains("<iframe"));
    // Another organisation's console cannot upload for Team Kenya.
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let mcsrf = merchant.get("/console/stories/hanok-threads").await.csrf();
    let r = common::post_multipart(
        &mut merchant,
        "/console/stories/team-kenya/images",
        &[("csrf_token", &mcsrf)],
        ("a.png", &png),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_show_only_images_uploaded_to_podium() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let store = app.db.dyn_store();
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    let csrf = merchant.get("/console/stories/hanok-threads?lang=en").await.csrf();
    // Another site's image in the text (a tracking pixel) is refused beside the text.
    let body = "Made in Seoul.\n\n![](https://tracker.example/pixel.gif)";
    let r = merchant.post_form("/console/stories/hanok-threads", &story_form(&csrf, "Pixel story", body, "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = r.body.find("id=\"body_en-error\"").expect("an error beside the English text");
    assert!(r.body[beside..].contains("only images uploaded to Podium"), "{}", r.body);
    assert!(r.body.contains("aria-describedby=\"body_en-error\""), "the text field points to its error");
    let text = &r.body[r.body.find("name=\"body_en\"").expect("text field")..];
    assert!(text[..text.find("</textarea>").expect("end")].contains("tracker.example"), "what was written is kept");
    // So is another site's cover, beside the cover field.
    let mut fields = story_form(&csrf, "Pixel story", "Made in Seoul.", "");
    fields.push(("cover", "https://tracker.example/cover.jpg"));
    let r = merchant.post_form("/console/stories/hanok-threads", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let beside = r.body.find("id=\"cover-error\"").expect("an error beside the cover");
    assert!(r.body[beside..].contains("only images uploaded to Podium"), "{}", r.body);
    assert_eq!(merchant.get("/stories/pixel-story").await.status, StatusCode::NOT_FOUND, "nothing was saved");
    // A story saved before the rule with another site's image and cover shows neither ...
    let old = store.story_by_slug("ice-hockey-learnt-on-roller-blades").await.expect("read").expect("demo story");
    let mut draft = old.draft.clone();
    for t in &mut draft.texts {
        t.body.push_str("\n\n![](https://tracker.example/old.gif)");
    }
    draft.cover = "https://tracker.example/old-cover.jpg".into();
    assert!(store.update_story(&old.id, &draft, time::OffsetDateTime::now_utc()).await.expect("update"));
    for page in
        ["/stories/ice-hockey-learnt-on-roller-blades?lang=en", "/stories?lang=en", "/properties/kenya-ice-lions"]
    {
        let r = app.get_anonymous(page).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        assert!(!r.body.contains("tracker.example"), "{page} shows no foreign image");
    }
    let r = app.get_anonymous("/stories/ice-hockey-learnt-on-roller-blades?lang=en").await;
    assert!(r.body.contains("<p>"), "the rest of the story still reads");
    // ... and the browser would not load one from anywhere but Podium.
    let csp = r.header("content-security-policy").to_string();
    let img = csp.split(';').map(str::trim).find(|d| d.starts_with("img-src")).expect("img-src");
    assert_eq!(img, "img-src 'self' data:", "{csp}");
}
