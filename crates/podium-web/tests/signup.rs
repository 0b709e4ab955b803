//! Signing up tells no one which addresses have accounts: the page answers the same, the owner
//! of the address learns the rest by mail. Look-alike addresses and names are refused.

mod common;

use axum::http::StatusCode;
use common::{mailed_link, TestApp};
use podium_app::signup::SignupStore;
use podium_app::Store;
use podium_store::testing::Backend;

const SENT: &str = "We sent a link to confirm your address.";

async fn post_signup(app: &mut TestApp, name: &str, email: &str, password: &str) -> common::Reply {
    let csrf = app.get("/signup").await.csrf();
    app.post_form("/signup", &[("csrf_token", &csrf), ("display_name", name), ("email", email), ("password", password)])
        .await
}

/// The page as a visitor reads it: its main part, without the form's per-request token.
fn main_text(body: &str) -> String {
    let start = body.find("<main").unwrap_or(0);
    let end = body.find("</main>").unwrap_or(body.len());
    body[start..end].to_string()
}

async fn the_answer_is_the_same_for_every_address(backend: Backend) {
    let app = TestApp::new(backend).await;
    let new = post_signup(&mut app.clone_app(), "Aiko", "aiko@example.jp", "long enough pw").await;
    let taken = post_signup(&mut app.clone_app(), "Aiko", "fan@podium.example", "long enough pw").await;
    assert_eq!((new.status, taken.status), (StatusCode::OK, StatusCode::OK));
    assert!(new.body.contains(SENT));
    let strip = |b: &str, email: &str| main_text(b).replace(email, "ADDRESS");
    assert_eq!(strip(&new.body, "aiko@example.jp"), strip(&taken.body, "fan@podium.example"), "the same page");

    // The owner of each address learns what happened, by mail.
    let mails = app.sent_mails().await;
    assert_eq!(mails.len(), 2, "one mail each");
    let link = mailed_link(&mails, "aiko@example.jp", "/signup/confirm?token=").expect("a confirmation link");
    let notice = mails.iter().find(|m| m.contains("To: fan@podium.example")).expect("a mail to the owner");
    assert!(notice.contains("Subject: Someone tried to sign up to Podium with your address"), "{notice}");
    assert!(notice.contains("/password/forgot") && notice.contains("/signin"), "sign in or reset: {notice}");
    assert_eq!(
        mailed_link(&mails, "fan@podium.example", "/signup/confirm?token="),
        None,
        "no link for a taken address"
    );
    // Only the link's hash is kept.
    let token = link.split("token=").nth(1).and_then(|t| t.split('&').next()).expect("token").to_string();
    let stored = app.db.store.signup_confirmation_by_hash(&podium_app::accounts::token_hash(&token)).await;
    assert!(stored.expect("read").is_some_and(|c| c.token_hash != token));

    // Unconfirmed, the account does not sign in; only the right password hears why.
    let r = app.clone_app().sign_in("aiko@example.jp", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("The email or password is not right."));
    let r = app.clone_app().sign_in("aiko@example.jp", "long enough pw").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Confirm your email address first"), "{}", r.body);
    let api = app
        .clone_app()
        .post_json(
            "/api/v1/sessions",
            serde_json::json!({"email": "aiko@example.jp", "password": "long enough pw"}),
            &[],
        )
        .await;
    assert_eq!(
        (api.status, api.json()["type"].as_str()),
        (StatusCode::FORBIDDEN, Some("urn:podium:problem:unconfirmed"))
    );

    // The link confirms and signs in, once.
    let mut browser = app.clone_app();
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Confirm and sign in"));
    let csrf = page.csrf();
    let r = browser.post_form("/signup/confirm", &[("csrf_token", &csrf), ("token", &token)]).await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/console"));
    assert!(browser.get("/console/fan?lang=en").await.body.contains("Welcome, Aiko"));
    assert_eq!(app.clone_app().sign_in("aiko@example.jp", "long enough pw").await.status, StatusCode::SEE_OTHER);
    let again = app.clone_app().get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("This link has expired or was already used."));
    let r = app.clone_app().post_form("/signup/confirm", &[("csrf_token", &csrf), ("token", &token)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another browser's form");
    let csrf = browser.get("/account/security").await.csrf();
    let r = browser.post_form("/signup/confirm", &[("csrf_token", &csrf), ("token", &token)]).await;
    assert_eq!(r.status, StatusCode::GONE);
    // Now taken, the address answers as before and its owner is told.
    let r = post_signup(&mut app.clone_app(), "Someone", "AIKO@example.jp", "another password").await;
    assert!(r.body.contains(SENT));
    let mails = app.sent_mails().await;
    assert!(mails.iter().any(|m| m.contains("To: aiko@example.jp") && m.contains("Someone tried")));
}

#[tokio::test]
async fn the_answer_is_the_same_for_every_address_sqlite() {
    the_answer_is_the_same_for_every_address(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_answer_is_the_same_for_every_address_postgres() {
    the_answer_is_the_same_for_every_address(Backend::Postgres).await;
}

#[tokio::test]
async fn whoever_signed_up_first_with_someone_elses_address_gains_nothing() {
    let app = TestApp::new(Backend::Sqlite).await;
    // An attacker signs up with the victim's address and a password of their own.
    let r = post_signup(&mut app.clone_app(), "Mallory", "victim@example.com", "attacker password").await;
    assert!(r.body.contains(SENT));
    let first = mailed_link(&app.sent_mails().await, "victim@example.com", "/signup/confirm?token=").expect("link");
    // The victim signs up too, and follows the newest link.
    let r = post_signup(&mut app.clone_app(), "Victim", "victim@example.com", "victim password 1").await;
    assert!(r.body.contains(SENT));
    let newest = mailed_link(&app.sent_mails().await, "victim@example.com", "/signup/confirm?token=").expect("link");
    assert_ne!(first, newest, "each sign-up of an unconfirmed address mails a link");
    let mut browser = app.clone_app();
    let page = browser.get(&newest).await;
    let token = newest.split("token=").nth(1).and_then(|t| t.split('&').next()).expect("token").to_string();
    let r = browser.post_form("/signup/confirm", &[("csrf_token", &page.csrf()), ("token", &token)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(browser.get("/console/fan?lang=en").await.body.contains("Welcome, Victim"));
    assert_eq!(
        app.clone_app().sign_in("victim@example.com", "attacker password").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.clone_app().get(&first).await.status, StatusCode::GONE, "the other link died");
}

#[tokio::test]
async fn sign_ups_are_limited_per_client() {
    let app = TestApp::new(Backend::Postgres).await;
    for i in 0..podium_app::signup::SIGNUPS_PER_CLIENT {
        let r = post_signup(&mut app.clone_app(), "Fan", "fan@podium.example", "long enough pw").await;
        assert_eq!(r.status, StatusCode::OK, "sign-up {i}");
    }
    let r = post_signup(&mut app.clone_app(), "Fan", &format!("new-{}@example.com", 99), "long enough pw").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Too many sign-ups from here. Try again in"), "{}", r.body);
    assert!(r.header("content-type").starts_with("text/html"));
    // The owner of the taken address was told at most three times, not ten.
    let told = app.sent_mails().await.iter().filter(|m| m.contains("To: fan@podium.example")).count();
    assert_eq!(told, podium_app::signup::SIGNUP_MAILS_PER_ADDRESS as usize);
    assert_eq!(app.db.store.user_by_email("new-99@example.com").await.expect("read"), None);
}

#[tokio::test]
async fn look_alike_addresses_and_names_are_refused_beside_their_fields() {
    let app = TestApp::new(Backend::Sqlite).await;
    let before = app.db.store.count_users().await.expect("count");
    for email in ["fan@podium.example\u{200B}", "f\u{0430}n@podium.example", "\u{FEFF}fan@podium.example"] {
        let r = post_signup(&mut app.clone_app(), "Aiko", email, "long enough pw").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
        assert!(r.body.contains("id=\"email-error\">Type the address as it is"), "{email:?}");
    }
    let r = post_signup(&mut app.clone_app(), "P\u{043E}dium Support", "aiko@example.jp", "long enough pw").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"display_name-error\">Write the name in one alphabet"));
    for (lang, words) in [
        ("fr", "Écrivez le nom dans un seul alphabet"),
        ("ja", "名前は一つの文字体系で書いてください"),
        ("ko", "이름은 한 가지 문자 체계로 쓰세요"),
        ("zh-Hans", "请用一种文字书写名称"),
    ] {
        let mut browser = app.clone_app();
        browser.get(&format!("/signup?lang={lang}")).await;
        let r = post_signup(&mut browser, "P\u{043E}dium", "aiko@example.jp", "long enough pw").await;
        assert!(r.body.contains(words), "{lang}");
    }
    // Nothing was made of them; a bidirectional override is taken out of a name, and a name in
    // one script is welcome.
    assert_eq!(app.db.store.count_users().await.expect("count"), before);
    let mut browser = app.clone_app();
    let r = browser.sign_up("Aiko\u{202E}gpj.exe", "aiko@example.jp", "long enough pw").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let user = app.db.store.user_by_email("aiko@example.jp").await.expect("read").expect("user");
    assert_eq!(user.display_name, "Aikogpj.exe");
    let r = app.clone_app().sign_up("Москва", "moskva@example.ru", "long enough pw").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}
