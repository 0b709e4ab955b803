//! An in-process Podium for HTTP tests: a fresh database with the demo seeded, driven through
//! `Router::oneshot`, with a tiny cookie jar so journeys span requests like a browser's.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use podium_app::catalogue::CatalogueStore;
use podium_app::SystemClock;
use podium_store::testing::{Backend, TestDb};
use podium_web::{AppState, WebConfig};
use tower::ServiceExt;

pub struct TestApp {
    pub db: TestDb,
    pub router: Router,
    pub cookies: BTreeMap<String, String>,
    /// This node's search index; tests call `step` where a node would catch up in the background.
    pub search: Arc<podium_search::Follower>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of a hidden `csrf_token` input in an HTML page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).map(|i| i + marker.len()).expect("page has a CSRF field");
        let end = self.body[start..].find('"').expect("closing quote") + start;
        self.body[start..end].to_string()
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        let db = TestDb::demo(backend).await;
        let index = podium_search::SearchIndex::in_memory().expect("index");
        let position = podium_search::rebuild(&index, db.store.as_ref(), &|_, _| {}).await.expect("index the demo");
        let search = podium_search::Follower::new(Arc::new(index), position);
        let state =
            AppState::new(db.dyn_store(), Arc::new(SystemClock), WebConfig::default(), search.clone()).expect("state");
        TestApp { router: podium_web::router(state), db, cookies: BTreeMap::new(), search }
    }

    /// Brings this node's search index up to date with the database.
    pub async fn catch_up(&self) {
        self.search.step(self.db.store.as_ref()).await.expect("catch up");
    }

    /// A GET from someone who is not signed in (this client's cookies are kept for later).
    pub async fn get_anonymous(&mut self, uri: &str) -> Reply {
        let saved = std::mem::take(&mut self.cookies);
        let reply = self.get(uri).await;
        self.cookies = saved;
        reply
    }

    /// Submits a shop's product and has its licensor approve it through every stage, as the
    /// use cases do it for the consoles.
    pub async fn approve_through_final(&self, product_slug: &str) {
        use podium_app::licensing::{self, ActingUser};
        use podium_domain::approval::Action;
        let store = self.db.store.as_ref();
        let product = store.product_by_slug(product_slug).await.expect("read").expect("product exists");
        let merchant = ActingUser { name: "Ji-woo Han".into() };
        let sub = licensing::submit_product(store, &merchant, &product.shop.id, &product, "").await.expect("submit");
        let licensor = ActingUser { name: "A licensor".into() };
        for _ in 0..sub.stages.names().len() {
            licensing::decide(
                store,
                &licensor,
                &product.property.licensor_id,
                &sub.id,
                Action::Approve,
                "",
                Vec::new(),
            )
            .await
            .expect("approve");
        }
    }

    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        let mut req = req;
        if !self.cookies.is_empty() && !req.headers().contains_key(header::COOKIE) {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie header"));
        }
        let response = self.router.clone().oneshot(req).await.expect("router answers");
        for sc in response.headers().get_all(header::SET_COOKIE) {
            let sc = sc.to_str().expect("ascii cookie");
            let pair = sc.split(';').next().unwrap_or("");
            if let Some((k, v)) = pair.split_once('=') {
                let removed = sc.contains("Max-Age=0") || v.is_empty();
                if removed {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&mut self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).expect("request")).await
    }

    pub async fn get_with(&mut self, uri: &str, headers: &[(&str, &str)]) -> Reply {
        let mut b = Request::get(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn post_json(&mut self, uri: &str, json: serde_json::Value, headers: &[(&str, &str)]) -> Reply {
        let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(json.to_string())).expect("request")).await
    }

    /// Signs in through the page, as a browser would.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        let page = self.get("/signin").await;
        let csrf = page.csrf();
        self.post_form(
            "/signin",
            &[("csrf_token", &csrf), ("email", email), ("password", password), ("next", "/console")],
        )
        .await
    }
}
