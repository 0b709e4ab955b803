//! HTTP behaviour a visitor or API client would notice, in-process.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use podium_store::testing::Backend;
use serde_json::json;

#[tokio::test]
async fn home_speaks_each_language_with_the_right_lang_attribute() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for (lang, phrase) in [
        ("en", "Official merchandise, made by small businesses"),
        ("fr", "Des produits officiels, faits par de petites entreprises"),
        ("zh-Hans", "官方商品，由小型企业制作"),
        ("ja", "小さなつくり手の公式グッズ"),
        ("ko", "작은 기업이 만든 공식 상품"),
    ] {
        let r = app.get(&format!("/?lang={lang}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(&format!("<html lang=\"{lang}\">")), "{lang}: html lang");
        assert!(r.body.contains(phrase), "{lang}: translated hero");
    }
    // The choice sticks in a cookie.
    let r = app.get("/").await;
    assert!(r.body.contains("<html lang=\"ko\">"), "the last chosen language is remembered");
}

#[tokio::test]
async fn accept_language_chooses_language_and_country() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get_with("/", &[("accept-language", "ja-JP,ja;q=0.9,en;q=0.8")]).await;
    assert!(r.body.contains("<html lang=\"ja\">"));
    assert!(r.body.contains("日本へのお届け価格を JPY で表示しています。"), "country and currency from the region");
}

#[tokio::test]
async fn home_lists_demo_licensors_and_shops_with_their_countries() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/?lang=en").await;
    for name in ["National Olympic Committee of Kenya", "Hanok Threads", "Savannah Stitch Nairobi", "Atelier Chamonix"]
    {
        assert!(r.body.contains(name), "{name}");
    }
    assert!(r.body.contains("Based in Kenya"));
    let r = app.get("/?lang=fr").await;
    assert!(r.body.contains("Établie en Corée du Sud"), "country names are translated");
}

#[tokio::test]
async fn changing_country_changes_the_presentment_currency() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/?country=JP&lang=en").await;
    assert!(r.body.contains("Showing prices in JPY for delivery to Japan."), "{}", r.body);
    assert!(r.body.contains("<option value=\"JP\" selected>Japan</option>"));
    let r = app.get("/?currency=EUR").await;
    assert!(r.body.contains("Showing prices in EUR for delivery to Japan."), "an explicit currency wins");
    let r = app.get("/?country=KE&currency=").await;
    assert!(r.body.contains("Showing prices in KES for delivery to Kenya."), "automatic follows the country again");
}

#[tokio::test]
async fn pages_fall_back_politely_on_unknown_values() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/?lang=tlh&country=ZZ&currency=DOGE").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<html lang=\"en\">"));
    assert!(r.body.contains("This page is not available in “tlh”"));
    assert!(r.body.contains("We do not recognise the country “ZZ”"));
    assert!(r.body.contains("We do not recognise the currency “DOGE”"));
    assert!(r.body.contains("role=\"status\""), "notices are announced");
}

#[tokio::test]
async fn the_api_refuses_unknown_values_with_problem_json() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for (query, field) in [("country=ZZ", "country"), ("currency=DOGE", "currency"), ("lang=tlh", "lang")] {
        let r = app.get(&format!("/api/v1/context?{query}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(r.header("content-type"), "application/problem+json");
        let p = r.json();
        assert_eq!((p["status"].as_u64(), p["field"].as_str()), (Some(422), Some(field)));
        assert!(p["type"].as_str().is_some_and(|t| !t.is_empty()) && p["title"].is_string() && p["detail"].is_string());
    }
    let r = app.get("/api/v1/context?country=jp").await;
    assert_eq!(r.json(), json!({"country": "JP", "currency": "JPY", "currency_exponent": 0, "lang": "en"}));
    let r = app.get("/api/v1/no-such-thing").await;
    assert_eq!((r.status, r.header("content-type")), (StatusCode::NOT_FOUND, "application/problem+json"));
}

#[tokio::test]
async fn fx_conversion_uses_stored_rates_and_the_money_shape() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/api/v1/fx/convert?amount=35000&from=KRW&to=EUR").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["from"], json!({"amount": "35000", "currency": "KRW", "minor": 35000, "formatted": "₩35,000"}));
    // 35000 / 1478.94 = 23.6656… EUR
    assert_eq!(j["to"]["amount"], "23.67");
    let r = app.get("/api/v1/fx/convert?amount=12.345&from=EUR&to=USD").await;
    assert_eq!((r.status, r.json()["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount")));
    let r = app.get("/api/v1/fx/convert?amount=1&from=EUR&to=BHD").await;
    assert!(r.json()["detail"].as_str().is_some_and(|d| d.contains("no exchange rate for BHD")));
    let r = app.get("/api/v1/fx/convert?amount=1").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    app.get("/signin").await;
    let r = app.post_form("/signin", &[("email", "fan@podium.example"), ("password", "fan-demo-2026")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Form expired"));
    let r = app
        .post_form(
            "/signin",
            &[("csrf_token", "forged"), ("email", "fan@podium.example"), ("password", "fan-demo-2026")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!app.cookies.contains_key("podium_session"), "no session was created");
    // Signed in, the session's own token is required for sign-out.
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    let r = app.post_form("/signout", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app.cookies.contains_key("podium_session"));
}

async fn each_role_reaches_its_console(backend: Backend) {
    for (email, password, role, heading) in [
        ("fan@podium.example", "fan-demo-2026", "fan", "Your orders and follows"),
        ("merchant@podium.example", "merchant-demo-2026", "merchant", "Hanok Threads"),
        ("licensor@podium.example", "licensor-demo-2026", "licensor", "National Olympic Committee of Kenya"),
        ("operator@podium.example", "operator-demo-2026", "operator", "Exchange rates"),
    ] {
        let mut app = TestApp::new(backend).await;
        let r = app.sign_in(email, password).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{email}: {}", r.body);
        assert_eq!(r.header("location"), "/console");
        let r = app.get("/console").await;
        assert_eq!(r.header("location"), format!("/console/{role}"));
        let r = app.get(&format!("/console/{role}?lang=en")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains(heading), "{role} console shows {heading}");
        assert!(r.body.contains(&format!("data-role=\"{role}\"")));
        // Sign out ends the session.
        let csrf = r.csrf();
        let r = app.post_form("/signout", &[("csrf_token", &csrf)]).await;
        assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/"));
        let r = app.get(&format!("/console/{role}")).await;
        assert!(r.header("location").starts_with("/signin"), "signed out");
    }
}

#[tokio::test]
async fn each_role_reaches_its_console_sqlite() {
    each_role_reaches_its_console(Backend::Sqlite).await;
}

#[tokio::test]
async fn each_role_reaches_its_console_postgres() {
    each_role_reaches_its_console(Backend::Postgres).await;
}

#[tokio::test]
async fn consoles_check_roles() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/console/operator").await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/signin?next=/console/operator"));
    app.sign_in("fan@podium.example", "fan-demo-2026").await;
    for role in ["merchant", "licensor", "operator"] {
        let r = app.get(&format!("/console/{role}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "a fan cannot open the {role} console");
        assert!(r.body.contains("Not allowed"));
    }
    assert_eq!(app.get("/console/root").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_in_failures_are_explained_and_limited() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let page = app.get("/signin").await;
    let csrf = page.csrf();
    let mut last = None;
    for _ in 0..11 {
        let r = app
            .post_form(
                "/signin",
                &[("csrf_token", &csrf), ("email", "fan@podium.example"), ("password", "wrong password")],
            )
            .await;
        last = Some(r);
    }
    let r = last.expect("attempts made");
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Too many sign-in attempts"));
    assert!(r.body.contains("value=\"fan@podium.example\""), "what was typed is kept");
    // Even the right password is refused while the account is throttled.
    let r = app
        .post_form("/signin", &[("csrf_token", &csrf), ("email", "fan@podium.example"), ("password", "fan-demo-2026")])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);

    let mut other = TestApp::new(Backend::Sqlite).await;
    let r = other.sign_in("fan@podium.example", "not the password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("The email or password is not right."));
}

#[tokio::test]
async fn sign_up_creates_a_fan_and_explains_errors_beside_fields() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let csrf = app.get("/signup").await.csrf();
    let r = app
        .post_form(
            "/signup",
            &[("csrf_token", &csrf), ("display_name", "Aiko"), ("email", "aiko@example"), ("password", "short")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"email-error\">Enter a valid email address."));
    assert!(r.body.contains("value=\"Aiko\"") && r.body.contains("value=\"aiko@example\""), "input kept");
    let r = app
        .post_form(
            "/signup",
            &[("csrf_token", &csrf), ("display_name", "Aiko"), ("email", "aiko@example.jp"), ("password", "short")],
        )
        .await;
    assert!(r.body.contains("id=\"password-error\">Use at least 10 characters."));
    // A taken address and a new one get the same answer; the new one is confirmed by mail.
    let taken = app
        .post_form(
            "/signup",
            &[
                ("csrf_token", &csrf),
                ("display_name", "Aiko"),
                ("email", "fan@podium.example"),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::OK);
    assert!(taken.body.contains("We sent a link to confirm your address."));
    assert!(!app.cookies.contains_key("podium_session"), "not signed in by signing up");
    let r = app.sign_up("Aiko", "aiko@example.jp", "long enough pw").await;
    assert_eq!((r.status, r.header("location")), (StatusCode::SEE_OTHER, "/console"));
    let r = app.get("/console/fan?lang=en").await;
    assert!(r.body.contains("Welcome, Aiko"));
}

#[tokio::test]
async fn sign_in_redirects_only_within_the_site() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let csrf = app.get("/signin").await.csrf();
    let r = app
        .post_form(
            "/signin",
            &[
                ("csrf_token", &csrf),
                ("email", "fan@podium.example"),
                ("password", "fan-demo-2026"),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.header("location"), "/console");
}

#[tokio::test]
async fn session_cookie_is_httponly_and_samesite() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let page = app.get("/signin").await;
    let csrf = page.csrf();
    let r = app
        .post_form("/signin", &[("csrf_token", &csrf), ("email", "fan@podium.example"), ("password", "fan-demo-2026")])
        .await;
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("podium_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn api_sessions_bearer_tokens_and_cookie_csrf() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app
        .post_json(
            "/api/v1/sessions",
            json!({"email": "merchant@podium.example", "password": "merchant-demo-2026"}),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_string();
    let bearer = format!("Bearer {token}");
    let r = app.get_with("/api/v1/me", &[("authorization", &bearer)]).await;
    let me = r.json();
    assert_eq!(me["roles"], json!(["fan", "merchant"]));
    assert_eq!(me["organisations"], json!(["hanok-threads"]));
    let r = app.get_with("/api/v1/me", &[("authorization", "Bearer nonsense")]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    let r =
        app.post_json("/api/v1/sessions", json!({"email": "merchant@podium.example", "password": "nope"}), &[]).await;
    assert_eq!(
        (r.status, r.json()["type"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("urn:podium:problem:invalid-credentials"))
    );
    let r = app.post_json("/api/v1/sessions", json!({"email": 5}), &[]).await;
    assert_eq!((r.status, r.header("content-type")), (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"));

    // A browser session calling the API: unsafe methods need the X-CSRF-Token header.
    let page = app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let console = app.get("/console/merchant").await;
    let csrf = console.csrf();
    let req = axum::http::Request::delete("/api/v1/sessions/current").body(axum::body::Body::empty()).expect("request");
    let r = app.send(req).await;
    assert_eq!((r.status, r.json()["type"].as_str()), (StatusCode::FORBIDDEN, Some("urn:podium:problem:csrf")));
    let req = axum::http::Request::delete("/api/v1/sessions/current")
        .header("x-csrf-token", &csrf)
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(app.send(req).await.status, StatusCode::NO_CONTENT);
    let req = axum::http::Request::delete("/api/v1/sessions/current")
        .header("authorization", &bearer)
        .body(axum::body::Body::empty())
        .expect("request");
    assert_eq!(app.send(req).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_with("/api/v1/me", &[("authorization", &bearer)]).await.status,
        StatusCode::UNAUTHORIZED,
        "token ended"
    );
}

#[tokio::test]
async fn api_sign_in_throttling_sends_retry_after() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let mut last = None;
    for _ in 0..11 {
        last = Some(
            app.post_json("/api/v1/sessions", json!({"email": "fan@podium.example", "password": "wrong"}), &[]).await,
        );
    }
    let r = last.expect("attempts made");
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let secs: i64 = r.header("retry-after").parse().expect("Retry-After seconds");
    assert!((1..=900).contains(&secs));
}

#[tokio::test]
async fn openapi_document_and_viewer_are_served() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/api/v1/openapi.json").await;
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/sessions",
        "/api/v1/me",
        "/api/v1/context",
        "/api/v1/fx/rates",
        "/api/v1/fx/convert",
        "/api/v1/carts",
        "/api/v1/carts/{id}/checkout",
        "/api/v1/orders",
        "/api/v1/orders/{number}",
        "/api/v1/orders/{number}/returns",
        "/api/v1/shops/{shop}/consignments",
        "/api/v1/consignments/{id}/ship",
        "/api/v1/consignments/{id}/returns/{rid}/accept",
        "/api/v1/webhooks/sandbox",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Every path parameter appears in its path template; everything else is a query parameter.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (_, op) in item.as_object().expect("operations") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let (name, place) = (p["name"].as_str().expect("name"), p["in"].as_str().expect("in"));
                match place {
                    "path" => {
                        assert!(path.contains(&format!("{{{name}}}")), "{path}: path parameter {name} not in template")
                    }
                    "query" | "header" => {}
                    other => panic!("{path}: parameter {name} in {other}"),
                }
            }
        }
    }
    let convert = &doc["paths"]["/api/v1/fx/convert"]["get"]["parameters"];
    assert_eq!(convert.as_array().map(|a| a.len()), Some(3));
    let r = app.get("/api/docs/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("swagger-ui"), "the viewer page");
    let r = app.get("/api/docs/swagger-ui-bundle.js").await;
    assert_eq!(r.status, StatusCode::OK, "viewer assets are served by Podium itself");
    assert!(r.body.len() > 100_000);
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.get("/healthz").await.json()["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.json(), json!({"status": "ready", "database": "sqlite"}));
    app.get("/?lang=fr").await;
    let r = app.get("/metrics").await;
    assert!(r.header("content-type").starts_with("text/plain"));
    assert!(r.body.contains("podium_http_requests_total{method=\"GET\",route=\"/\",status=\"200\"}"), "{}", r.body);
    assert!(r.body.contains("podium_http_request_duration_seconds_bucket"));
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for path in ["/", "/api/v1/context", "/no-such-page"] {
        let r = app.get(path).await;
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("x-frame-options"), "DENY", "{path}");
    }
}

#[tokio::test]
async fn unknown_pages_get_a_friendly_translated_404() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/no/such/page?lang=ja").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("ページが見つかりません") && r.body.contains("<html lang=\"ja\">"));
}

#[tokio::test]
async fn search_box_keeps_the_query_and_escapes_it() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&lang=en").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("<script>alert(1)</script>"));
    assert!(r.body.contains("&#60;script&#62;") || r.body.contains("&lt;script&gt;"));
    assert!(r.body.contains("type=\"hidden\" name=\"q\""), "changing preferences keeps the search");
    assert!(r.body.contains("Nothing matches"), "an honest empty result");
}

#[tokio::test]
async fn product_pages_show_translated_content_prices_and_variants() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let slug = "/products/hanok-threads-kenya-ice-lions-face-off-tee";
    let r = app.get(&format!("{slug}?lang=ko&country=KR")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("케냐 아이스 라이언스 페이스오프 티셔츠"), "Korean title");
    assert!(r.body.contains("서울의 작은 공방 Hanok Threads에서 만든 티셔츠입니다."), "Korean description");
    // KRW is the shop's own currency: the stored net price 43,000 shows with Korea's 10 % VAT,
    // as Korean prices are shown (a domestic sale: Hanok Threads is in Seoul).
    assert!(
        r.body.contains("data-testid=\"price\">₩47,300<"),
        "{}",
        &r.body[r.body.find("data-testid").unwrap_or(0)..][..80]
    );
    // Choosing another variant without JavaScript: "Show price" comes back with ?variant=.
    let r = app.get(&format!("{slug}?variant=TEE-KIL-XL&country=KR")).await;
    assert!(r.body.contains("value=\"hanok-threads:TEE-KIL-XL\" checked"));
    assert!(
        r.body.contains("<input type=\"hidden\" name=\"variant\" value=\"TEE-KIL-XL\">"),
        "currency changes keep the variant"
    );
    assert!(r.body.contains("data-testid=\"price\">₩61,600<"), "56,000 + 10 %");
    // Hanok Threads set an explicit USD price for its T-shirts: it wins over conversion.
    let r = app.get(&format!("{slug}?currency=USD&variant=TEE-KIL-S&country=KR")).await;
    // (Written as English readers outside the United States write dollars: US$.)
    assert!(r.body.contains("data-testid=\"price\">US$34.10<"), "explicit 31.00 USD + 10 % VAT");
    let r = app.get(&format!("{slug}?currency=EUR&variant=TEE-KIL-S&country=KR")).await;
    // 43,000 KRW at 1478.94 per EUR = 29.0748… → €29.07, plus 10 % (2.907 → 2.91) = €31.98
    assert!(r.body.contains("data-testid=\"price\">€31.98<"));
    // Breadcrumbs through the category tree, and schema.org JSON-LD.
    assert!(r.body.contains("href=\"/categories/apparel\"") && r.body.contains("href=\"/categories/t-shirts\""));
    let ld_start = r.body.find("application/ld+json\">").expect("json-ld") + "application/ld+json\">".len();
    let ld_end = r.body[ld_start..].find("</script>").expect("end") + ld_start;
    let ld: serde_json::Value = serde_json::from_str(&r.body[ld_start..ld_end]).expect("valid JSON-LD");
    assert_eq!(
        (ld["@type"].as_str(), ld["offers"]["priceCurrency"].as_str(), ld["offers"]["price"].as_str()),
        (Some("Product"), Some("EUR"), Some("31.98"))
    );
    assert_eq!(ld["sku"], "hanok-threads:TEE-KIL-S");
    let r = app.get(&format!("{slug}/art.svg")).await;
    assert_eq!((r.status, r.header("content-type")), (StatusCode::OK, "image/svg+xml"));
    assert_eq!(app.get("/products/no-such-product").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listings_browse_by_property_category_and_shop() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // Listings show what fans in their country may buy: 231 approved demo products, less Thames
    // Pin's suspended Team Kenya range (10) and, outside Korea and Kenya, Hanok Threads' Kenya
    // Ice Lions range (6).
    let r = app.get("/products?lang=en&country=US").await;
    assert!(r.body.contains("215 products"), "{}", r.body);
    let r = app.get("/products?lang=en&country=KE").await;
    assert!(r.body.contains("221 products"));
    let r = app.get("/categories/apparel?lang=en&country=US").await;
    assert!(r.body.contains("88 products"), "apparel covers t-shirts, hoodies, headwear and scarves");
    assert!(r.body.contains("Page 1 of 4") && r.body.contains("rel=\"next\" href=\"?page=2\""));
    let r = app.get("/categories/apparel?page=4&lang=en&country=US").await;
    assert_eq!(r.body.matches("class=\"card\"").count(), 16);
    assert_eq!(app.get("/categories/apparel?page=5&country=US").await.status, StatusCode::NOT_FOUND);
    let r = app.get("/properties/team-kenya?lang=fr&country=FR").await;
    assert!(r.body.contains("Sous licence de National Olympic Committee of Kenya"));
    assert!(
        r.body.contains("26 produits"),
        "four shops × ten items, less the suspended ten and four awaiting approval"
    );
    let r = app.get("/shops/savannah-stitch?lang=ja").await;
    assert!(
        r.body.contains("Savannah Stitch Nairobi（ケニア）") && r.body.contains("25 点の商品"),
        "five await approval"
    );
    assert_eq!(app.get("/shops/olympic-committee").await.status, StatusCode::NOT_FOUND, "a licensor is not a shop");
    assert_eq!(app.get("/categories/nope").await.status, StatusCode::NOT_FOUND);
    // The newest products on the home page come from several shops.
    let r = app.get("/?lang=en").await;
    let shops: std::collections::BTreeSet<&str> = r
        .body
        .match_indices("class=\"card-shop\">")
        .map(|(i, m)| {
            let rest = &r.body[i + m.len()..];
            &rest[..rest.find('<').unwrap_or(0)]
        })
        .collect();
    assert!(shops.len() >= 4, "{shops:?}");
}

#[tokio::test]
async fn api_products_search_facets_and_pages() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/api/v1/products?q=%E9%9B%AA%E3%81%AE%E7%B5%90%E6%99%B6&lang=ja&country=JP&per_page=5").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert!(j["total"].as_u64().unwrap_or(0) >= 10);
    assert_eq!(j["items"].as_array().map(|a| a.len()), Some(5));
    for item in j["items"].as_array().into_iter().flatten() {
        assert!(item["title"].as_str().is_some_and(|t| t.contains("雪の結晶")), "Japanese titles: {item}");
        assert_eq!(item["price"]["currency"], "JPY");
        assert_eq!(item["sellable"], true);
    }
    let facets = &j["facets"];
    let prop_total: u64 = facets["property"].as_array().into_iter().flatten().filter_map(|f| f["count"].as_u64()).sum();
    assert_eq!(prop_total, j["total"].as_u64().unwrap_or(0), "facet counts cover every result");
    assert!(facets["price"].as_array().is_some_and(|a| a.len() == 4));

    // Filters narrow, and facet counts follow them.
    let r = app.get("/api/v1/products?property=team-kenya&category=apparel&per_page=100").await;
    let j = r.json();
    assert_eq!(j["total"], 12, "four shops × four apparel items, less the suspended licence's four");
    assert_eq!(j["facets"]["property"].as_array().map(|a| a.len()), Some(1));

    // Sorting by price, both ways.
    let r = app.get("/api/v1/products?sort=price_asc&currency=EUR&per_page=100").await;
    let prices: Vec<i64> =
        r.json()["items"].as_array().into_iter().flatten().filter_map(|i| i["price"]["minor"].as_i64()).collect();
    assert_eq!(prices.len(), 100);
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");

    // The shop-diversity rule holds on the first pages of a relevance-ranked query.
    let r = app.get("/api/v1/products?q=tiger&per_page=40").await;
    let shops: Vec<String> = r.json()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["shop"]["slug"].as_str().map(str::to_string))
        .collect();
    for w in shops.windows(10) {
        let most = w.iter().map(|s| w.iter().filter(|x| *x == s).count()).max().unwrap_or(0);
        assert!(most <= 3, "{w:?}");
    }

    // Price bands and availability filter too; the band values come from the facet.
    let band = j["facets"]["price"][0]["value"].as_str().unwrap_or("").to_string();
    let r = app.get("/api/v1/products?sort=price_asc&currency=EUR&per_page=100").await;
    let all_total = r.json()["total"].as_u64().unwrap_or(0);
    let r = app.get(&format!("/api/v1/products?price={band}&currency=EUR&per_page=100")).await;
    let cheap = r.json();
    assert!(cheap["total"].as_u64().unwrap_or(0) > 0 && cheap["total"].as_u64() < Some(all_total), "{band}: {cheap}");
    assert!(
        cheap["items"].as_array().into_iter().flatten().all(|i| i["price"]["minor"].as_i64() < Some(2000)),
        "under €20"
    );
    let r = app.get("/api/v1/products?in_stock=true&per_page=100").await;
    let stocked = r.json();
    assert!(stocked["items"].as_array().into_iter().flatten().all(|i| i["in_stock"] == true));
    assert_eq!(stocked["total"], stocked["facets"]["in_stock"]);

    for bad in
        ["sort=cheapest", "page=0", "per_page=1000", "country=XX", "currency=ABC", "price=cheap", "in_stock=maybe"]
    {
        let r = app.get(&format!("/api/v1/products?{bad}")).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn api_product_detail_and_suggestions() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/api/v1/products/hanok-threads-kenya-ice-lions-face-off-tee?lang=ko&currency=USD").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["title"], "케냐 아이스 라이언스 페이스오프 티셔츠");
    assert_eq!(j["licence"]["licensor"], "National Olympic Committee of Kenya");
    let variants = j["variants"].as_array().expect("variants");
    assert_eq!(variants.len(), 4);
    assert_eq!(variants[0]["sku"], "hanok-threads:TEE-KIL-S");
    assert_eq!(variants[0]["options"]["Size"], "S");
    assert_eq!(
        variants[0]["price"],
        json!({"amount": "31.00", "currency": "USD", "minor": 3100, "formatted": "$31.00"})
    );
    assert!(variants[0]["gtin"].as_str().is_some_and(|g| g.len() == 14));
    assert_eq!(app.get("/api/v1/products/nope").await.status, StatusCode::NOT_FOUND);

    let r = app.get("/api/v1/suggest?q=snowfl&lang=en").await;
    let s = r.json();
    let list = s["suggestions"].as_array().expect("suggestions");
    assert!(
        !list.is_empty() && list.iter().all(|x| x["text"].as_str().is_some_and(|t| t.contains("Snowflake"))),
        "{s}"
    );
    let r = app.get("/api/v1/suggest?q=%ED%8F%89%EC%B0%BD&lang=ko").await;
    assert!(r.json()["suggestions"].as_array().is_some_and(|a| !a.is_empty()), "Korean prefix");
    assert_eq!(app.get("/api/v1/suggest?q=").await.json(), json!({"suggestions": []}));
}

#[tokio::test]
async fn the_search_page_filters_by_facet_links() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let r = app.get("/search?q=%EB%88%88%EA%BD%83&lang=ko").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("평창 2018 눈꽃"), "Korean results");
    let link = "/search?q=%EB%88%88%EA%BD%83&#38;property=pyeongchang-2018";
    assert!(r.body.contains(link), "a property facet link");
    let r = app.get("/search?q=%EB%88%88%EA%BD%83&property=pyeongchang-2018&shop=kumo-craft&lang=en").await;
    assert!(r.body.contains("aria-current=\"true\">Kumo Craft Tokyo"));
    assert!(r.body.matches("class=\"card\"").count() >= 1);
    assert!(r.body.contains("Clear filters"));
    let r = app.get("/search?in_stock=true&price=-2000&lang=en").await;
    assert!(r.body.contains("aria-current=\"true\">In stock") && r.body.contains("aria-current=\"true\">Under "));
    assert!(!r.body.contains("Sold out"), "only products in stock are listed");
    let r = app.get("/search?q=hodie&lang=en").await;
    assert!(r.body.contains("Hoodie"), "a misspelt query still finds hoodies");
    // The price and stock links do filter (each one adds its own parameter and keeps the others).
    let r = app.get("/search?q=hoodie&shop=kumo-craft&lang=en").await;
    assert!(r.body.contains("/search?q=hoodie&#38;shop=kumo-craft&#38;in_stock=true\">In stock"), "in-stock link");
    let band = r.body.find("&#38;price=").expect("a price band link");
    assert!(r.body[..band].ends_with("/search?q=hoodie&#38;shop=kumo-craft"), "the band keeps the shop");
    let r = app.get("/search?q=hoodie&in_stock=true&lang=en").await;
    let band = r.body.find("&#38;price=").expect("a price band link");
    assert!(
        r.body[band..].split('"').next().is_some_and(|rest| rest.contains("&#38;in_stock=true")),
        "a band keeps the in-stock filter"
    );
}

#[tokio::test]
async fn the_operator_imports_trade_rules_and_bad_files_change_nothing() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.get("/console/operator/trade-rules").await.status, StatusCode::SEE_OTHER, "sign in first");
    app.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    assert_eq!(app.get("/console/operator/trade-rules").await.status, StatusCode::FORBIDDEN);
    app.cookies.clear();
    app.sign_in("operator@podium.example", "operator-demo-2026").await;
    let console = app.get("/console/operator").await;
    assert!(console.body.contains("href=\"/console/operator/trade-rules\""));
    let page = app.get("/console/operator/trade-rules?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Podium&#39;s shipped defaults") || page.body.contains("Podium's shipped defaults"));
    assert!(page.body.contains("verify them with your customs advisor"));
    assert!(page.body.contains("Germany (DE)") && page.body.contains("19.00 %") && page.body.contains("€150.00"));
    let csrf = page.csrf();
    let upload = |text: &'static str| {
        let boundary = "rulesboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rules.toml\"\r\nContent-Type: text/plain\r\n\r\n{text}\r\n--{boundary}--\r\n"
        );
        axum::http::Request::post("/console/operator/trade-rules?lang=en")
            .header(axum::http::header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(axum::body::Body::from(body))
            .expect("request")
    };
    let bad = app.send(upload("[[country]]\ncode = \"KE\"\nvat_bp = 1600\nprices_include_tax = true\nduty_default_bp = 2500\nduty = [ { hs = \"abc\", bp = 10 } ]\n")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("line 6: country[1].duty[1].hs"), "{}", bad.body);
    let store: &dyn podium_app::Store = app.db.store.as_ref();
    assert!(store.latest_trade_rules().await.expect("read").is_none(), "nothing changed");
    let good = app
        .send(upload("[[country]]\ncode = \"KE\"\nvat_bp = 1600\nprices_include_tax = true\nduty_default_bp = 2500\n"))
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let page = app.get("/console/operator/trade-rules?imported=1&lang=en").await;
    assert!(page.body.contains("imported by operator@podium.example"));
    assert!(page.body.contains("Kenya (KE)") && !page.body.contains("Germany (DE)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers_and_tls_adds_hsts_and_secure_cookies() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    for path in ["/", "/products/hanok-threads-kenya-ice-lions-face-off-tee", "/api/v1/products", "/no-such-page"] {
        let r = app.get(path).await;
        let csp = r.header("content-security-policy").to_string();
        let script = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src").to_string();
        assert!(!script.contains("unsafe-inline") && script.contains("'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("referrer-policy"), "strict-origin-when-cross-origin", "{path}");
        assert_eq!(r.header("strict-transport-security"), "", "{path}: no HSTS over plain HTTP");
    }
    // Cookies are HttpOnly and SameSite, and Secure only under TLS.
    let cookies = |r: &common::Reply| -> Vec<String> {
        r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    };
    let mut fresh = app.clone_app();
    fresh.get("/signin").await;
    let signed = fresh.sign_in("fan@podium.example", "fan-demo-2026").await;
    let set = cookies(&signed);
    assert!(!set.is_empty(), "signing in sets the session cookie");
    for c in &set {
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"), "{c}");
    }
    let mut tls = app.with_config(podium_web::WebConfig { secure_cookies: true, ..podium_web::WebConfig::default() });
    let r = tls.get("/signin").await;
    assert_eq!(r.header("strict-transport-security"), "max-age=31536000; includeSubDomains");
    let signed = tls.sign_in("fan@podium.example", "fan-demo-2026").await;
    let set = cookies(&signed);
    assert!(!set.is_empty() && set.iter().all(|c| c.contains("Secure") && c.contains("HttpOnly")), "{set:?}");
}
