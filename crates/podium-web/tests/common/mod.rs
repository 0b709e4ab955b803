//! An in-process Podium for HTTP tests: a fresh database with the demo seeded, driven through
//! `Router::oneshot`, with a tiny cookie jar so journeys span requests like a browser's.

#![allow(dead_code)]

pub mod shop;
pub mod stripe;

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
    pub db: Arc<TestDb>,
    pub router: Router,
    pub cookies: BTreeMap<String, String>,
    /// This node's search index; tests call `step` where a node would catch up in the background.
    pub search: Arc<podium_search::Follower>,
    /// The state the router serves, for the background work a node runs (webhooks, mail).
    pub state: AppState,
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
        TestApp { router: podium_web::router(state.clone()), state, db: Arc::new(db), cookies: BTreeMap::new(), search }
    }

    /// Another node on the same database, with its own settings (and cookies).
    pub fn with_config(&self, config: WebConfig) -> TestApp {
        let state =
            AppState::new(self.db.dyn_store(), Arc::new(SystemClock), config, self.search.clone()).expect("state");
        TestApp {
            router: podium_web::router(state.clone()),
            state,
            db: self.db.clone(),
            cookies: BTreeMap::new(),
            search: self.search.clone(),
        }
    }

    /// Another browser on the same node and database (its own cookies).
    pub fn clone_app(&self) -> TestApp {
        TestApp {
            db: self.db.clone(),
            router: self.router.clone(),
            cookies: BTreeMap::new(),
            search: self.search.clone(),
            state: self.state.clone(),
        }
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
        let merchant = ActingUser { name: "Ji-woo Han".into(), ..Default::default() };
        let sub = licensing::submit_product(store, &merchant, &product.shop.id, &product, "").await.expect("submit");
        let licensor = ActingUser { name: "A licensor".into(), ..Default::default() };
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

    /// Sends what is queued through a mail folder, as `podium demo` does, and returns each
    /// message (RFC 5322 text).
    pub async fn sent_mails(&self) -> Vec<String> {
        let dir = tempfile::tempdir().expect("dir");
        let transport = podium_outbound::FileMailer::new(dir.path());
        podium_web::mail::send_due(&self.state, &transport, "http://shop.test").await;
        let mut names: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").map(|f| f.expect("file").path()).collect();
        names.sort();
        names.iter().map(|p| std::fs::read_to_string(p).expect("read")).collect()
    }

    /// Signs up through the page and follows the confirmation link mailed to `email`, as a
    /// browser would; returns the answer to confirming (signed in, off to the console).
    pub async fn sign_up(&mut self, name: &str, email: &str, password: &str) -> Reply {
        let csrf = self.get("/signup").await.csrf();
        let r = self
            .post_form(
                "/signup",
                &[("csrf_token", &csrf), ("display_name", name), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let mails = self.sent_mails().await;
        let link = mailed_link(&mails, email, "/signup/confirm?token=").expect("a confirmation link");
        let page = self.get(&link).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let token = link.split("token=").nth(1).and_then(|t| t.split('&').next()).expect("token").to_string();
        self.post_form("/signup/confirm", &[("csrf_token", &page.csrf()), ("token", &token)]).await
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

/// The site path of the link starting with `prefix` in the one mail to `to` holding such a
/// link; `None` when there is none (more than one is a failure).
pub fn mailed_link(mails: &[String], to: &str, prefix: &str) -> Option<String> {
    let marker = format!("http://shop.test{prefix}");
    let mut links: Vec<String> = mails
        .iter()
        .filter(|m| m.contains(&format!("To: {to}\r\n")))
        .filter_map(|m| {
            let at = m.find(&marker)?;
            let link: String = m[at..].chars().take_while(|c| !c.is_whitespace()).collect();
            Some(link.trim_start_matches("http://shop.test").to_string())
        })
        .collect();
    assert!(links.len() <= 1, "one mail with such a link to {to}, not {}", links.len());
    links.pop()
}

/// Form fields as `post_form` takes them.
pub fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

impl Reply {
    /// The fields a browser would submit from the POST form to `action`, as the page filled
    /// them in: inputs with their values (checked boxes only), textareas, and each select's
    /// selected (else first) option.
    pub fn form_fields(&self, action: &str) -> Vec<(String, String)> {
        let start = self
            .body
            .find(&format!("method=\"post\" action=\"{action}\""))
            .unwrap_or_else(|| panic!("no form posting to {action}"));
        let end = self.body[start..].find("</form>").map(|e| e + start).expect("form ends");
        let form = &self.body[start..end];
        let mut out = Vec::new();
        let mut rest = form;
        while let Some(i) = rest.find('<') {
            rest = &rest[i..];
            let tag_end = rest.find('>').unwrap_or(rest.len());
            let tag = &rest[..tag_end];
            if tag.starts_with("<input") {
                let kind = attr(tag, "type").unwrap_or_default();
                let checked = tag.contains(" checked");
                if let Some(name) = attr(tag, "name") {
                    let unchecked = matches!(kind.as_str(), "checkbox" | "radio") && !checked;
                    if !unchecked && kind != "file" {
                        out.push((name, attr(tag, "value").unwrap_or_default()));
                    }
                }
            } else if tag.starts_with("<textarea") {
                if let Some(name) = attr(tag, "name") {
                    let body = &rest[tag_end + 1..];
                    let close = body.find("</textarea>").unwrap_or(0);
                    out.push((name, unescape(&body[..close])));
                }
            } else if tag.starts_with("<select") {
                if let Some(name) = attr(tag, "name") {
                    let body = &rest[tag_end..];
                    let close = body.find("</select>").unwrap_or(body.len());
                    let options = &body[..close];
                    let mut first = None;
                    let mut chosen = None;
                    for opt in options.split("<option").skip(1) {
                        let value = attr(&format!(" {opt}"), "value").unwrap_or_default();
                        first.get_or_insert(value.clone());
                        if opt.split('>').next().unwrap_or("").contains(" selected") {
                            chosen = Some(value);
                        }
                    }
                    out.push((name, chosen.or(first).unwrap_or_default()));
                }
            }
            rest = &rest[1..];
        }
        out
    }
}

/// A PNG of `w` × `h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
    out.into_inner()
}

/// A multipart form with text fields and one file.
pub async fn post_multipart(app: &mut TestApp, uri: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Reply {
    let boundary = "podiumboundary7MA4YWxkTrZu0gW";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend(file.1);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request");
    app.send(req).await
}
