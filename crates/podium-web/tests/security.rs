//! Sessions, passwords and API tokens as users meet them: a new session id at sign-in, signing
//! out everywhere, changing a password, resetting a forgotten one by the e-mailed link (once,
//! with attempt limits counted in the database), and organisations' API tokens with scopes that
//! stop working on every node when revoked. The operator's sensitive actions reach the audit log.

mod common;

use axum::http::StatusCode;
use common::{shop, TestApp};
use podium_app::security::SecurityStore;
use podium_app::Store;
use podium_store::testing::Backend;

const FAN: (&str, &str) = ("fan@podium.example", "fan-demo-2026");

fn session_of(app: &TestApp) -> String {
    app.cookies.get("podium_session").cloned().expect("a session cookie")
}

/// Whether a browser holding only this session cookie is signed in.
async fn signed_in_with(app: &TestApp, session: &str) -> bool {
    let mut probe = app.clone_app();
    probe.cookies.insert("podium_session".into(), session.to_string());
    probe.get("/account/security").await.status == StatusCode::OK
}

async fn change(app: &mut TestApp, csrf: &str, current: &str, new: &str, confirm: &str) -> common::Reply {
    app.post_form(
        "/account/password",
        &[("csrf_token", csrf), ("current", current), ("password", new), ("confirm", confirm)],
    )
    .await
}

async fn sessions_and_passwords(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    // A new session id at every sign-in; the one it replaces ends.
    assert_eq!(app.sign_in(FAN.0, FAN.1).await.status, StatusCode::SEE_OTHER);
    let first = session_of(&app);
    // Signing in again from the same browser (its form carries this session's token).
    let csrf = app.get("/account/security").await.csrf();
    let again = app.post_form("/signin", &[("csrf_token", &csrf), ("email", FAN.0), ("password", FAN.1)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second = session_of(&app);
    assert_ne!(first, second, "the session id is renewed at sign-in");
    assert!(!signed_in_with(&app, &first).await, "the replaced session no longer works");
    assert!(signed_in_with(&app, &second).await);

    // Another device of the same fan, and an API session.
    let mut phone = app.clone_app();
    assert_eq!(phone.sign_in(FAN.0, FAN.1).await.status, StatusCode::SEE_OTHER);
    let bearer = shop::bearer(&mut app.clone_app(), FAN.0, FAN.1).await;

    // Changing the password: the current one is checked, the new one too; other sessions end.
    let page = app.get("/account/security").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let r = change(&mut app, &csrf, "not my password", "a brand new password", "a brand new password").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The current password is not right."), "{}", r.body);
    let r = change(&mut app, &csrf, FAN.1, "short", "short").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Use 10 to 1024 characters."));
    let r = change(&mut app, &csrf, FAN.1, "a brand new password", "a brand new passw0rd").await;
    assert!(r.body.contains("The two new passwords differ."));
    let r = change(&mut app, &csrf, FAN.1, "a brand new password", "a brand new password").await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/account/security?saved=password"));
    assert!(signed_in_with(&app, &session_of(&app)).await, "this session stays");
    assert!(!signed_in_with(&app, &session_of(&phone)).await, "the other device is signed out");
    let me = app.get_with("/api/v1/me", &[("authorization", &bearer)]).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "the API session ended too");
    assert_eq!(app.clone_app().sign_in(FAN.0, FAN.1).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.clone_app().sign_in(FAN.0, "a brand new password").await.status, StatusCode::SEE_OTHER);

    // Signing out everywhere ends every session, this one included.
    let mut tablet = app.clone_app();
    assert_eq!(tablet.sign_in(FAN.0, "a brand new password").await.status, StatusCode::SEE_OTHER);
    let csrf = app.get("/account/security").await.csrf();
    let r = app.post_form("/account/sessions/end", &[("csrf_token", &csrf)]).await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/signin?ended=1"));
    assert!(!signed_in_with(&app, &session_of(&tablet)).await);
    let page = app.get("/account/security").await;
    assert_eq!(page.header("location"), "/signin?next=/account/security", "this browser is signed out too");
    assert!(app.get("/signin?ended=1").await.body.contains("You are signed out on every device."));
}

#[tokio::test]
async fn sessions_and_passwords_sqlite() {
    sessions_and_passwords(Backend::Sqlite).await;
}

#[tokio::test]
async fn sessions_and_passwords_postgres() {
    sessions_and_passwords(Backend::Postgres).await;
}

/// Sends what is queued and returns the reset link of the one reset mail among them.
async fn mailed_reset_link(app: &TestApp) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let transport = podium_outbound::FileMailer::new(dir.path());
    podium_web::mail::send_due(&app.state, &transport, "http://shop.test").await;
    let mut links = Vec::new();
    for file in std::fs::read_dir(dir.path()).expect("dir") {
        let eml = std::fs::read_to_string(file.expect("file").path()).expect("read");
        if let Some(at) = eml.find("http://shop.test/password/reset?token=") {
            assert!(eml.contains("To: fan@podium.example"), "{eml}");
            let link: String = eml[at..].chars().take_while(|c| !c.is_whitespace()).collect();
            links.push(link.trim_start_matches("http://shop.test").to_string());
        }
    }
    assert_eq!(links.len(), 1, "one reset mail");
    links.remove(0)
}

async fn a_forgotten_password_is_reset_by_the_mailed_link(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let mut signed_in = app.clone_app();
    assert_eq!(signed_in.sign_in(FAN.0, FAN.1).await.status, StatusCode::SEE_OTHER);

    let page = app.get("/signin").await;
    assert!(page.body.contains("href=\"/password/forgot\""), "the sign-in page offers the reset");
    let csrf = app.get("/password/forgot").await.csrf();
    // The same answer for an account that exists and one that does not.
    let unknown = app.post_form("/password/forgot", &[("csrf_token", &csrf), ("email", "nobody@podium.example")]).await;
    let known = app.post_form("/password/forgot", &[("csrf_token", &csrf), ("email", "FAN@podium.example ")]).await;
    assert_eq!((unknown.status, known.status), (StatusCode::OK, StatusCode::OK));
    assert!(known.body.contains("If an account uses this address, a link is on its way."));
    assert!(unknown.body.contains("If an account uses this address, a link is on its way."));

    let link = mailed_reset_link(&app).await;
    let token = link.split("token=").nth(1).and_then(|t| t.split('&').next()).expect("token").to_string();
    // Only the token's hash is stored.
    let hash = podium_app::accounts::token_hash(&token);
    let stored = app.db.store.password_reset_by_hash(&hash).await.expect("read").expect("the reset");
    assert_ne!(stored.token_hash, token);

    let form = app.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    // A typo keeps the link usable.
    let r = app
        .post_form(
            "/password/reset",
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("password", "chosen anew 2026"),
                ("confirm", "chosen anew 2027"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The two new passwords differ."));
    let r = app
        .post_form(
            "/password/reset",
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("password", "chosen anew 2026"),
                ("confirm", "chosen anew 2026"),
            ],
        )
        .await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/signin?reset=1"));
    assert!(!signed_in_with(&app, &session_of(&signed_in)).await, "a reset ends every session");
    // Once only.
    let again = app.get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("This link has expired or was already used."));
    let r = app
        .post_form(
            "/password/reset",
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("password", "chosen again 2026"),
                ("confirm", "chosen again 2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(app.clone_app().sign_in(FAN.0, FAN.1).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.clone_app().sign_in(FAN.0, "chosen anew 2026").await.status, StatusCode::SEE_OTHER);
    // A made-up link.
    assert_eq!(app.get(&format!("/password/reset?token={}", "ab".repeat(32))).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_the_mailed_link_sqlite() {
    a_forgotten_password_is_reset_by_the_mailed_link(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_the_mailed_link_postgres() {
    a_forgotten_password_is_reset_by_the_mailed_link(Backend::Postgres).await;
}

#[tokio::test]
async fn reset_requests_are_limited_across_nodes() {
    let mut a = TestApp::new(Backend::Postgres).await;
    let mut b = a.with_config(podium_web::WebConfig {
        shared_secret: a.state.config.shared_secret.clone(),
        ..Default::default()
    });
    let csrf_a = a.get("/password/forgot").await.csrf();
    let csrf_b = b.get("/password/forgot").await.csrf();
    // Ten requests from one client, split over two nodes: the eleventh is refused on either.
    for i in 0..10 {
        let (node, csrf) = if i % 2 == 0 { (&mut a, &csrf_a) } else { (&mut b, &csrf_b) };
        let r = node.post_form("/password/forgot", &[("csrf_token", csrf), ("email", FAN.0)]).await;
        assert_eq!(r.status, StatusCode::OK, "request {i}");
    }
    let r = b.post_form("/password/forgot", &[("csrf_token", &csrf_b), ("email", FAN.0)]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Too many attempts. Try again in"), "{}", r.body);
    // And the account was sent three links, not ten.
    let dir = tempfile::tempdir().expect("dir");
    let transport = podium_outbound::FileMailer::new(dir.path());
    assert_eq!(podium_web::mail::send_due(&a.state, &transport, "http://shop.test").await, 3);
}

/// The token a page shows once, just after it was made.
fn shown_token(body: &str) -> String {
    let marker = "data-testid=\"token-secret\">";
    let at = body.find(marker).expect("the token, shown once") + marker.len();
    body[at..].chars().take_while(|c| *c != '<').collect()
}

async fn api_tokens(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let mut other_node = app.with_config(podium_web::WebConfig::default());
    assert_eq!(app.sign_in("merchant@podium.example", "merchant-demo-2026").await.status, StatusCode::SEE_OTHER);
    let console = app.get("/console/shops/hanok-threads").await;
    assert!(console.body.contains("href=\"/console/tokens/hanok-threads\""), "one click from the shop console");
    let page = app.get("/console/tokens/hanok-threads").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    // A name and at least one scope are needed.
    let r = app.post_form("/console/tokens/hanok-threads", &[("csrf_token", &csrf), ("name", "Till")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tick at least one thing the token may do."));
    let r = app
        .post_form(
            "/console/tokens/hanok-threads",
            &[("csrf_token", &csrf), ("name", "Warehouse"), ("scope", "orders:read"), ("scope", "catalogue:read")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret = shown_token(&r.body);
    assert!(secret.starts_with("pdm_") && secret.len() > 40, "{secret}");
    let list = app.get("/console/tokens/hanok-threads").await;
    assert!(list.body.contains("Warehouse") && !list.body.contains(&secret), "listed, never shown again");
    // Stored as a hash.
    let shop_a = app.db.store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    let tokens = app.db.store.api_tokens_of(&shop_a.id).await.expect("tokens");
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].token_hash, podium_app::accounts::token_hash(&secret));

    let bearer = format!("Bearer {secret}");
    let auth = [("authorization", bearer.as_str())];
    let mut robot = app.clone_app();
    // What its scopes allow, for its own shop.
    assert_eq!(robot.get_with("/api/v1/shops/hanok-threads/consignments", &auth).await.status, StatusCode::OK);
    let csv = robot.get_with("/api/v1/shops/hanok-threads/products.csv", &auth).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("Handle,Title"), "{}", &csv.body[..80.min(csv.body.len())]);
    // Nothing else.
    let r = robot.post_json("/api/v1/consignments/x/accept", serde_json::json!({}), &auth).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("orders:fulfil"), "{}", r.body);
    let r = robot.post_json("/api/v1/shops/hanok-threads/products.csv", serde_json::json!("x"), &auth).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(robot.get_with("/api/v1/shops/thames-pin/consignments", &auth).await.status, StatusCode::FORBIDDEN);
    assert_eq!(robot.get_with("/api/v1/me", &auth).await.status, StatusCode::FORBIDDEN);
    assert_eq!(robot.get_with("/api/v1/orders", &auth).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        robot.get_with("/console/shops/hanok-threads", &auth).await.header("location"),
        "/signin?next=/console/shops/hanok-threads",
        "not a session for the pages"
    );

    // Revoked on one node: refused on the other at once.
    assert_eq!(other_node.get_with("/api/v1/shops/hanok-threads/consignments", &auth).await.status, StatusCode::OK);
    let csrf = app.get("/console/tokens/hanok-threads").await.csrf();
    let r = app
        .post_form(&format!("/console/tokens/hanok-threads/{}/revoke", tokens[0].id), &[("csrf_token", &csrf)])
        .await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/console/tokens/hanok-threads?revoked=1"));
    let r = other_node.get_with("/api/v1/shops/hanok-threads/consignments", &auth).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("revoked"), "{}", r.body);
    // Both are in the shop's audit log, with where they came from.
    let log =
        podium_app::licensing::LicensingStore::audit_log(app.db.store.as_ref(), &shop_a.id, 10).await.expect("log");
    let actions: Vec<&str> = log.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(actions, ["token.revoke", "token.create"]);
    assert!(log.iter().all(|r| r.entry.actor_name == "Ji-woo Han" && !r.entry.client.is_empty()));
}

#[tokio::test]
async fn api_tokens_sqlite() {
    api_tokens(Backend::Sqlite).await;
}

#[tokio::test]
async fn api_tokens_postgres() {
    api_tokens(Backend::Postgres).await;
}

#[tokio::test]
async fn a_licensor_token_reads_its_submissions() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.sign_in("licensor@podium.example", "licensor-demo-2026").await.status, StatusCode::SEE_OTHER);
    let page = app.get("/console/tokens/team-kenya").await;
    assert!(!page.body.contains("orders:fulfil"), "a licensor's tokens only read");
    let csrf = page.csrf();
    let r = app
        .post_form(
            "/console/tokens/team-kenya",
            &[("csrf_token", &csrf), ("name", "Brand desk"), ("scope", "catalogue:read"), ("scope", "orders:fulfil")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let bearer = format!("Bearer {}", shown_token(&r.body));
    let list =
        app.clone_app().get_with("/api/v1/licensors/team-kenya/submissions", &[("authorization", &bearer)]).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(!list.json()["items"].as_array().expect("items").is_empty(), "the demo has submissions waiting");
    let other = app
        .clone_app()
        .get_with("/api/v1/licensors/olympic-committee/submissions", &[("authorization", &bearer)])
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_operators_payout_runs_and_imports_are_audited() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.sign_in("operator@podium.example", "operator-demo-2026").await.status, StatusCode::SEE_OTHER);
    let preview = app.get("/console/operator/payouts/preview").await;
    let csrf = preview.csrf();
    let mut fields = preview.form_fields("/console/operator/payouts");
    fields.push(("confirm".into(), "yes".into()));
    let r = app
        .post_form(
            "/console/operator/payouts",
            &fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let rules = include_str!("../../podium-app/trade-rules/default.toml");
    let r = common::post_multipart(
        &mut app,
        "/console/operator/trade-rules",
        &[("csrf_token", &csrf)],
        ("rules.toml", rules.as_bytes()),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let console = app.get("/console/operator").await;
    assert!(console.body.contains("href=\"/console/operator/audit\""));
    let log = app.get("/console/operator/audit").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("Payout run") && log.body.contains("Trade rules imported"), "{}", log.body);
    assert!(log.body.contains("operator@podium.example"), "who");
    assert_eq!(
        app.clone_app().get("/console/operator/audit").await.header("location"),
        "/signin?next=/console/operator/audit"
    );
}

#[tokio::test]
async fn every_text_field_has_a_length_limit() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.sign_in("merchant@podium.example", "merchant-demo-2026").await.status, StatusCode::SEE_OTHER);
    let csrf = app.get("/console/shops/hanok-threads").await.csrf();
    let huge = "가".repeat(podium_web::ops::MAX_TEXT_FIELD + 1);
    // A form: refused before any handler reads it, and nothing saved.
    let r = app.post_form("/console/shops/hanok-threads/story", &[("csrf_token", &csrf), ("story", &huge)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Too much text"), "{}", &r.body[..200.min(r.body.len())]);
    let shop = app.db.store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    assert!(!shop.story.contains('가'));
    // JSON: a problem naming the field.
    let r = app
        .post_json("/api/v1/carts", serde_json::json!({"country": "KR", "note": {"lines": [huge.clone()]}}), &[])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["field"], "note.lines[0]");
    // Just under the cap passes the guard and meets the field's own limit: a product title.
    let long_title = "T".repeat(podium_app::catalogue_csv::MAX_TITLE + 1);
    let r = app
        .post_form(
            "/console/shops/hanok-threads/products",
            &[("csrf_token", &csrf), ("Handle", "long-title"), ("Title", &long_title), ("Language", "en")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Give a title of at most 200 characters"), "shown beside the field");
    // A body over the cap.
    let big = "x".repeat(podium_web::ops::MAX_TEXT_BODY + 10);
    let r = app.post_form("/signin", &[("csrf_token", &csrf), ("email", &big)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn made_up_methods_share_one_metrics_label() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    for method in ["FOOX1", "FOOX2", "FOOX3"] {
        let req = axum::http::Request::builder().method(method).uri("/").body(axum::body::Body::empty());
        let r = app.send(req.expect("request")).await;
        assert!(r.status.is_client_error(), "{method}: {}", r.status);
    }
    let metrics = app.get("/metrics").await.body;
    assert!(!metrics.contains("FOOX"), "no series named after a made-up method");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    assert!(metrics.contains("method=\"GET\""), "standard methods keep their names");
}

#[tokio::test]
async fn metrics_need_the_token_when_one_is_set() {
    let mut open = TestApp::new(Backend::Sqlite).await;
    assert_eq!(open.get("/metrics").await.status, StatusCode::OK, "without a token /metrics is public");
    let config = podium_web::WebConfig {
        metrics_token: Some(podium_web::Secret(b"s3cret-metrics".to_vec())),
        ..Default::default()
    };
    let mut app = open.with_config(config);
    let r = app.get("/metrics").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("www-authenticate").starts_with("Bearer"), "{:?}", r.headers);
    assert!(!r.body.contains("podium_http_requests_total"));
    for wrong in ["Bearer s3cret", "Bearer s3cret-metrics-and-more", "Basic czNjcmV0LW1ldHJpY3M="] {
        let r = app.get_with("/metrics", &[("authorization", wrong)]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{wrong}");
    }
    for right in ["Bearer s3cret-metrics", "bearer s3cret-metrics"] {
        let r = app.get_with("/metrics", &[("authorization", right)]).await;
        assert_eq!(r.status, StatusCode::OK, "{right}");
        assert!(r.body.contains("podium_http_requests_total"), "{}", r.body);
    }
}

#[tokio::test]
async fn the_bearer_scheme_is_read_in_any_case() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.post_json("/api/v1/sessions", serde_json::json!({"email": FAN.0, "password": FAN.1}), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_string();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app.get_with("/api/v1/me", &[("authorization", &format!("{scheme} {token}"))]).await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}: {}", r.body);
        assert_eq!(r.json()["email"], FAN.0, "{scheme}");
    }
    let r = app.get_with("/api/v1/me", &[("authorization", &format!("Token {token}"))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "another scheme is not a bearer token");
}

#[tokio::test]
async fn every_response_carries_a_permissions_policy() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for path in ["/", "/api/v1/products", "/no-such-page", "/healthz", "/api/docs/"] {
        let r = app.get(path).await;
        let policy = r.header("permissions-policy").to_string();
        for feature in ["camera=()", "microphone=()", "geolocation=()", "payment=(self)"] {
            assert!(policy.split(", ").any(|f| f == feature), "{path}: {feature} in {policy:?}");
        }
    }
}
