//! Sign-in limits count failures: many fans signing in from one address (an office, a campus)
//! lock nobody out, while guessing from one address, or at one account, is still stopped.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use podium_app::accounts::{ATTEMPTS_PER_ACCOUNT, ATTEMPTS_PER_CLIENT};
use podium_store::testing::Backend;

const FAN: (&str, &str) = ("fan@podium.example", "fan-demo-2026");
const MERCHANT: (&str, &str) = ("merchant@podium.example", "merchant-demo-2026");

async fn successes_do_not_count_toward_the_client_limit(backend: Backend) {
    let app = TestApp::new(backend).await;
    // One office address: a fan signs in again and again, more often than the client limit.
    for i in 0..ATTEMPTS_PER_CLIENT + 10 {
        let r = app.clone_app().sign_in(FAN.0, FAN.1).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "sign-in {i} of the same fan");
    }
    // A colleague at the same address still signs in.
    assert_eq!(app.clone_app().sign_in(MERCHANT.0, MERCHANT.1).await.status, StatusCode::SEE_OTHER);

    // Failures still count: a guesser at one account is stopped at the account's limit …
    for _ in 0..ATTEMPTS_PER_ACCOUNT {
        assert_eq!(app.clone_app().sign_in(FAN.0, "not the password").await.status, StatusCode::UNAUTHORIZED);
    }
    let r = app.clone_app().sign_in(FAN.0, FAN.1).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the account is throttled, even for the right password");
    assert!(r.body.contains("Too many sign-in attempts"));
    // … and a guesser trying many accounts is stopped at the client's limit, whoever signs in next
    // (the throttled attempt above counted too: its password was never checked).
    for i in ATTEMPTS_PER_ACCOUNT + 1..ATTEMPTS_PER_CLIENT {
        let r = app.clone_app().sign_in(&format!("guess-{i}@podium.example"), "not the password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let r = app.clone_app().sign_in(MERCHANT.0, MERCHANT.1).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "the address has used its failures");
}

#[tokio::test]
async fn successes_do_not_count_toward_the_client_limit_sqlite() {
    successes_do_not_count_toward_the_client_limit(Backend::Sqlite).await;
}

#[tokio::test]
async fn successes_do_not_count_toward_the_client_limit_postgres() {
    successes_do_not_count_toward_the_client_limit(Backend::Postgres).await;
}
