//! The licensing programme as its users meet it: what fans may see and buy where, the licensor's
//! queue and decisions, the merchant's licences and resubmissions, revisions of approved
//! products, exclusivity, suspension, authenticity codes and their verification, the audit log.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{as_pairs, Reply, TestApp};
use podium_app::catalogue::CatalogueStore;
use podium_app::licensing::{LicensingStore, SubmissionFilter};
use podium_app::Store;
use podium_domain::approval::Status;
use podium_store::testing::Backend;

async fn multipart(app: &mut TestApp, uri: &str, fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Reply {
    let boundary = "podiumlicensingboundary42";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    for (name, filename, bytes) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                 Content-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .expect("request");
    app.send(req).await
}

async fn as_user(app: &mut TestApp, email: &str, password: &str) {
    app.cookies.clear();
    let r = app.sign_in(email, password).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sign in as {email}");
}

async fn licensor(app: &mut TestApp) {
    as_user(app, "licensor@podium.example", "licensor-demo-2026").await;
}

async fn merchant(app: &mut TestApp) {
    as_user(app, "merchant@podium.example", "merchant-demo-2026").await;
}

async fn org_id(app: &TestApp, slug: &str) -> String {
    app.db.store.org_by_slug(slug).await.expect("find").expect("org").id
}

/// Records a decision through the console, as the licensor's browser posts it.
async fn decide(app: &mut TestApp, submission: &str, decision: &str, comment: &str) -> Reply {
    let page = app.get(&format!("/console/licensing/team-kenya/submissions/{submission}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.csrf();
    let uri = format!("/console/licensing/team-kenya/submissions/{submission}/decide");
    multipart(app, &uri, &[("csrf_token", &csrf), ("decision", decision), ("comment", comment)], &[]).await
}

#[tokio::test]
async fn products_whose_licence_excludes_japan_are_not_offered_there_and_say_why() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let jp = app.get("/api/v1/products?country=JP&per_page=100&shop=jade-lantern").await.json();
    let fr = app.get("/api/v1/products?country=FR&per_page=100&shop=jade-lantern").await.json();
    let props = |j: &serde_json::Value| -> Vec<String> {
        j["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| i["property"]["slug"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(fr["total"], 30, "Jade Lantern's whole range sells in France");
    assert_eq!(jp["total"], 20, "its Team Kenya licence excludes Japan");
    assert!(!props(&jp).contains(&"team-kenya".to_string()));
    let facet_sum: u64 =
        jp["facets"]["property"].as_array().into_iter().flatten().filter_map(|f| f["count"].as_u64()).sum();
    assert_eq!(facet_sum, 20, "facets are counted after the licence filter");
    let slug = fr["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["property"]["slug"] == "team-kenya")
        .and_then(|i| i["slug"].as_str())
        .expect("a Team Kenya product")
        .to_string();
    let api = app.get(&format!("/api/v1/products/{slug}?country=JP")).await.json();
    assert_eq!(
        (api["sellable"].as_bool(), api["not_sellable_reason"].as_str()),
        (Some(false), Some("Not available for delivery to Japan."))
    );
    let api = app.get(&format!("/api/v1/products/{slug}?country=KE")).await.json();
    assert_eq!(api["sellable"], true);
    assert!(api.get("not_sellable_reason").is_none());
    let page = app.get(&format!("/products/{slug}?country=JP&lang=en")).await;
    assert_eq!(page.status, StatusCode::OK, "the page explains rather than vanishing");
    assert!(page.body.contains("Not available for delivery to Japan."));
    let page = app.get(&format!("/products/{slug}?country=JP&lang=fr")).await;
    assert!(page.body.contains("Non disponible pour une livraison vers : Japon."));
    // Search pages and suggestions apply the same rule for the fan's country.
    let search = app.get("/search?q=kenya&country=JP&lang=en&shop=jade-lantern").await;
    assert!(!search.body.contains(&slug));
    let title = api["title"].as_str().expect("title").to_string();
    let typed: String = title.chars().take(title.len() - 2).collect();
    let q: String = form_urlencoded::byte_serialize(typed.as_bytes()).collect();
    let in_jp = app.get(&format!("/api/v1/suggest?q={q}&lang=en&country=JP")).await.json();
    let in_ke = app.get(&format!("/api/v1/suggest?q={q}&lang=en&country=KE")).await.json();
    let slugs = |j: &serde_json::Value| -> Vec<String> {
        j["suggestions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s["slug"].as_str().map(str::to_string))
            .collect()
    };
    assert!(slugs(&in_ke).contains(&slug), "{in_ke}");
    assert!(!slugs(&in_jp).contains(&slug), "{in_jp}");
}

#[tokio::test]
async fn products_short_of_final_approval_are_invisible_to_fans() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let licensor_id = org_id(&app, "team-kenya").await;
    let waiting = app
        .db
        .store
        .submissions(&SubmissionFilter { licensor_id: Some(licensor_id), open_only: true, ..Default::default() })
        .await
        .expect("queue");
    let new: Vec<_> = waiting.iter().filter(|s| s.kind == podium_app::licensing::SubmissionKind::New).collect();
    assert!(new.len() >= 8, "the demo has submissions at every stage");
    let stages: std::collections::BTreeSet<usize> = new.iter().map(|s| s.state.stage).collect();
    assert_eq!(stages.len(), 4, "concept, pre-production, production and final");
    for s in new {
        assert_eq!(app.get(&format!("/products/{}", s.product_slug)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/products/{}/art.svg", s.product_slug)).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/v1/products/{}", s.product_slug)).await.status, StatusCode::NOT_FOUND);
        let listing = app.get(&format!("/shops/{}?country=KE", s.shop.slug)).await;
        assert!(!listing.body.contains(&s.product_slug), "{} listed", s.product_slug);
        let api = app.get(&format!("/api/v1/products?shop={}&per_page=100", s.shop.slug)).await;
        assert!(!api.body.contains(&s.product_slug));
    }
}

#[tokio::test]
async fn a_licensor_sends_back_a_submission_and_the_merchant_resubmits_until_final_approval() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let licensor_id = org_id(&app, "team-kenya").await;
    // The poster Hanok Threads submitted at the concept stage.
    let slug = "hanok-threads-kenya-ice-lions-roller-blades-poster";
    let sub = app
        .db
        .store
        .submissions(&SubmissionFilter {
            licensor_id: Some(licensor_id.clone()),
            open_only: true,
            ..Default::default()
        })
        .await
        .expect("queue")
        .into_iter()
        .find(|s| s.product_slug == slug)
        .expect("waiting");
    licensor(&mut app).await;
    let console = app.get("/console/licensor").await;
    assert!(console.body.contains("href=\"/console/licensing/team-kenya\""), "the queue is one click away");
    let queue = app.get("/console/licensing/team-kenya").await;
    assert!(queue.body.contains(&sub.id) && queue.body.contains("Roller Blades Poster"));
    let page = app.get(&format!("/console/licensing/team-kenya/submissions/{}", sub.id)).await;
    assert!(page.body.contains("Concept") && page.body.contains("Giclée print"), "the product as the merchant sees it");
    // Asking for a revision needs a comment.
    let r = decide(&mut app, &sub.id, "needs_revision", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("say what must change"));
    // With a comment and a marked-up file.
    let page = app.get(&format!("/console/licensing/team-kenya/submissions/{}", sub.id)).await;
    let csrf = page.csrf();
    let uri = format!("/console/licensing/team-kenya/submissions/{}/decide", sub.id);
    let fields =
        [("csrf_token", csrf.as_str()), ("decision", "needs_revision"), ("comment", "Move the crest off the fold.")];
    let r = multipart(&mut app, &uri, &fields, &[("files", "markup.png", b"\x89PNG fake")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = app.db.store.submission(&sub.id).await.expect("read").expect("exists");
    assert_eq!(after.state.status, Status::NeedsRevision);
    let file = after.events.last().and_then(|e| e.attachments.first()).expect("the attachment").id.clone();
    assert_eq!(app.get(&format!("/console/attachments/{file}")).await.status, StatusCode::OK);
    // No decision form while it waits for the merchant; a stale post is refused with the reason.
    let page = app.get(&format!("/console/licensing/team-kenya/submissions/{}", sub.id)).await;
    assert!(!page.body.contains("name=\"decision\""));
    let r = decide(&mut app, &sub.id, "approve", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("waiting for the licensee to revise and resubmit"), "{}", r.body);
    // The merchant reads the comment, then resubmits.
    merchant(&mut app).await;
    assert_eq!(
        app.get(&format!("/console/attachments/{file}")).await.status,
        StatusCode::OK,
        "the licensee reads it too"
    );
    let licences = app.get("/console/shops/hanok-threads/licences").await;
    assert!(licences.body.contains("Move the crest off the fold."));
    assert!(licences.body.contains("Kenya, South Korea"), "where the licence sells");
    let action = format!("/console/shops/hanok-threads/submissions/{}/resubmit", sub.id);
    let mut fields = licences.form_fields(&action);
    fields.retain(|(k, _)| k != "comment");
    fields.push(("comment".into(), "Crest moved.".into()));
    let pairs = as_pairs(&fields);
    let r = app.post_form(&action, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Approved through every stage.
    licensor(&mut app).await;
    for _ in 0..4 {
        let r = decide(&mut app, &sub.id, "approve", "").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let done = app.db.store.submission(&sub.id).await.expect("read").expect("exists");
    assert_eq!((done.state.stage, done.state.status), (3, Status::Approved));
    // Fans in Kenya find it now; in the United States the licence does not reach.
    app.catch_up().await;
    app.cookies.clear();
    let ke = app.get("/api/v1/products?q=roller%20blades%20poster&country=KE").await.json();
    assert!(ke["items"].as_array().into_iter().flatten().any(|i| i["slug"] == slug));
    let us = app.get("/api/v1/products?q=roller%20blades%20poster&country=US").await.json();
    assert!(!us["items"].as_array().into_iter().flatten().any(|i| i["slug"] == slug));
    // Every decision is in the licensor's audit log.
    let log = app.db.store.audit_log(&licensor_id, 50).await.expect("log");
    let mine: Vec<&str> = log
        .iter()
        .filter(|r| r.entry.subject.contains("roller-blades-poster"))
        .map(|r| r.entry.action.as_str())
        .collect();
    assert_eq!(mine.len(), 5, "{mine:?}");
    assert_eq!(mine.last(), Some(&"submission.needs_revision"));
    licensor(&mut app).await;
    let audit = app.get("/console/licensing/team-kenya/audit").await;
    assert!(audit.body.contains("Revision requested") && audit.body.contains("Move the crest off the fold."));
}

#[tokio::test]
async fn editing_an_approved_product_is_reviewed_while_the_approved_version_stays_on_sale() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    merchant(&mut app).await;
    let uri = "/console/shops/hanok-threads/products/kenya-ice-lions-face-off-tee";
    let edit = app.get(uri).await;
    let mut fields = edit.form_fields(uri);
    let old = fields.iter().find(|(k, _)| k == "Title (en)").map(|(_, v)| v.clone()).expect("title");
    for (k, v) in &mut fields {
        match k.as_str() {
            "Title (en)" => *v = format!("{old} — Nairobi edition"),
            "Variant Price.0" => *v = "39000".into(),
            _ => {}
        }
    }
    let pairs = as_pairs(&fields);
    let r = app.post_form(uri, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.header("location").ends_with("saved=revision"));
    let slug = "hanok-threads-kenya-ice-lions-face-off-tee";
    let p = app.db.store.product_by_slug(slug).await.expect("read").expect("exists");
    let title = |p: &podium_app::catalogue::ProductRecord| {
        p.translations.iter().find(|t| t.lang == podium_domain::Lang::En).map(|t| t.title.clone()).unwrap_or_default()
    };
    assert_eq!(title(&p), old, "the approved title stays on sale");
    assert_eq!(p.variants[0].price.minor, 39000, "prices need no approval");
    let fan = app.get_anonymous(&format!("/products/{slug}?country=KR&lang=en")).await;
    assert!(fan.body.contains(&old) && !fan.body.contains("Nairobi edition"));
    // Meanwhile the shop changes the price again: no review needed, the revision keeps its place.
    let edit = app.get(uri).await;
    let mut fields = edit.form_fields(uri);
    for (k, v) in &mut fields {
        if k == "Variant Price.0" {
            *v = "41000".into();
        }
    }
    let pairs = as_pairs(&fields);
    let r = app.post_form(uri, &pairs).await;
    assert!(r.header("location").ends_with("saved=product"), "{}", r.header("location"));
    // The licensor reviews the change at production, then final.
    let licensor_id = org_id(&app, "team-kenya").await;
    let revision = app
        .db
        .store
        .submissions(&SubmissionFilter { product_id: Some(p.id.clone()), open_only: true, ..Default::default() })
        .await
        .expect("open")
        .pop()
        .expect("a revision");
    assert_eq!(revision.stage_name(), "production");
    licensor(&mut app).await;
    let page = app.get(&format!("/console/licensing/team-kenya/submissions/{}", revision.id)).await;
    assert!(page.body.contains("Nairobi edition"), "the change is shown beside what is on sale");
    for _ in 0..2 {
        assert_eq!(decide(&mut app, &revision.id, "approve", "").await.status, StatusCode::SEE_OTHER);
    }
    let p = app.db.store.product_by_slug(slug).await.expect("read").expect("exists");
    assert_eq!(title(&p), format!("{old} — Nairobi edition"), "applied once approved at Final");
    assert_eq!(p.variants[0].price.minor, 41000, "with the price set since, not the one proposed");
    assert!(app
        .db
        .store
        .audit_log(&licensor_id, 5)
        .await
        .expect("log")
        .iter()
        .any(|r| r.entry.action == "submission.approve"));
}

#[tokio::test]
async fn a_merchant_submits_only_what_a_licence_covers() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    merchant(&mut app).await;
    // A new Hanok Threads product under Team Kenya, which Hanok Threads holds no licence for.
    let shop = app.db.store.org_by_slug("hanok-threads").await.expect("find").expect("shop");
    let existing =
        app.db.store.product_by_slug("hanok-threads-kenya-ice-lions-face-off-tee").await.expect("r").expect("p");
    let team_kenya = app.db.store.property_by_slug("team-kenya").await.expect("find").expect("property");
    let mut product = podium_app::catalogue::NewProduct {
        shop_id: shop.id.clone(),
        property_id: team_kenya.id.clone(),
        category_slug: "posters".into(),
        handle: "unlicensed-poster".into(),
        fallback_lang: podium_domain::Lang::En,
        tags: vec![],
        hs_code: "491191".into(),
        origin_country: "KR".into(),
        weight_grams: 100,
        status: podium_app::catalogue::ProductStatus::Live,
        translations: vec![podium_app::catalogue::Translation {
            lang: podium_domain::Lang::En,
            title: "Unlicensed poster".into(),
            description: "No".into(),
        }],
        variants: vec![podium_app::catalogue::NewVariant {
            sku: "UNL-1".into(),
            options: vec![],
            gtin: None,
            price: existing.variants[0].price,
            explicit_prices: vec![],
            stock: vec![],
        }],
        created_at: time::OffsetDateTime::now_utc(),
    };
    app.db.store.create_product(product.clone()).await.expect("create");
    let licences = app.get("/console/shops/hanok-threads/licences").await;
    let action = "/console/shops/hanok-threads/products/unlicensed-poster/submit";
    let fields = licences.form_fields(action);
    let pairs = as_pairs(&fields);
    let r = app.post_form(action, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("none of your active licences covers Team Kenya"), "{}", r.body);
    // Under a property its licence covers, the same product goes to the licensor's queue.
    product.property_id = existing.property.id.clone();
    product.handle = "licensed-poster".into();
    product.variants[0].sku = "LIC-1".into();
    app.db.store.create_product(product).await.expect("create");
    let licences = app.get("/console/shops/hanok-threads/licences").await;
    let action = "/console/shops/hanok-threads/products/licensed-poster/submit";
    let fields = licences.form_fields(action);
    let pairs = as_pairs(&fields);
    let r = app.post_form(action, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let twice = app.post_form(action, &pairs).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "one open submission per product");
    // Another shop's merchant cannot submit Hanok Threads' products.
    let r = app.post_form("/console/shops/kumo-craft/products/licensed-poster/submit", &pairs).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_overlapping_exclusive_grant_is_refused_and_names_the_conflict() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    licensor(&mut app).await;
    let licensor_id = org_id(&app, "team-kenya").await;
    let agreements = app.db.store.agreements_of(&licensor_id).await.expect("agreements");
    let target = agreements.iter().find(|a| a.terms.reference.starts_with("TK-SC")).expect("Southern Cross");
    let uri = format!("/console/licensing/team-kenya/agreements/{}", target.terms.id);
    let page = app.get(&uri).await;
    let action = format!("{uri}/rights");
    let mut fields = page.form_fields(&action);
    let property = app.db.store.property_by_slug("team-kenya").await.expect("find").expect("property").id;
    fields.push(("property".into(), property));
    fields.push(("category".into(), "apparel".into()));
    fields.push(("exclusive".into(), "1".into()));
    let pairs = as_pairs(&fields);
    let r = app.post_form(&action, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("Refused: an exclusive grant cannot overlap agreement TK-"), "{}", r.body);
    assert!(r.body.contains("value=\"worldwide\""), "the form keeps what was typed");
    let after = app.db.store.agreement(&target.terms.id).await.expect("read").expect("exists");
    assert_eq!(after.terms.rights.len(), 1, "nothing granted");
    // A non-exclusive grant for Japan only is fine, and audited.
    for (k, v) in &mut fields {
        if k == "territory" {
            *v = "JP".into();
        }
    }
    fields.retain(|(k, _)| k != "exclusive");
    let pairs = as_pairs(&fields);
    let r = app.post_form(&action, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let log = app.db.store.audit_log(&licensor_id, 1).await.expect("log");
    assert_eq!(log[0].entry.action, "agreement.rights");
    // A rights set of another agreement cannot be edited through this one.
    let other = agreements.iter().find(|a| a.terms.id != target.terms.id).expect("another").terms.rights[0].id.clone();
    let mut tampered = fields.clone();
    tampered.retain(|(k, _)| k != "rights_id");
    tampered.push(("rights_id".into(), other));
    let pairs = as_pairs(&tampered);
    assert_eq!(app.post_form(&action, &pairs).await.status, StatusCode::NOT_FOUND);
    // Bad input is explained, not a crash.
    for (k, v) in &mut fields {
        if k == "rate" {
            *v = "150".into();
        }
    }
    let pairs = as_pairs(&fields);
    let r = app.post_form(&action, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("between 0 and 100"));
}

#[tokio::test]
async fn suspending_an_agreement_in_the_console_takes_its_products_off_sale() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    licensor(&mut app).await;
    let licensor_id = org_id(&app, "team-kenya").await;
    let agreements = app.db.store.agreements_of(&licensor_id).await.expect("agreements");
    let ss = agreements.iter().find(|a| a.licensee.slug == "savannah-stitch").expect("Savannah Stitch");
    let uri = format!("/console/licensing/team-kenya/agreements/{}", ss.terms.id);
    let page = app.get(&uri).await;
    let csrf = page.csrf();
    let r = app
        .post_form(&format!("{uri}/status"), &[("csrf_token", &csrf), ("to", "suspended"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.catch_up().await;
    let j = app.get("/api/v1/products?shop=savannah-stitch&property=team-kenya&country=KE").await.json();
    assert_eq!(j["total"], 0);
    let page = app.get_anonymous("/products/savannah-stitch-team-kenya-savannah-sunrise-tee?country=KE&lang=en").await;
    assert!(page.body.contains("the rights holder has paused this licence"));
    // Terminating is final; reactivating a terminated agreement is refused with a reason.
    let r = app
        .post_form(&format!("{uri}/status"), &[("csrf_token", &csrf), ("to", "terminated"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r =
        app.post_form(&format!("{uri}/status"), &[("csrf_token", &csrf), ("to", "active"), ("confirm", "yes")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("a terminated agreement is closed"));
    // Another licensor's agreement is not found from this console.
    let other =
        app.db.store.agreements_of(&org_id(&app, "olympic-committee").await).await.expect("a")[0].terms.id.clone();
    let r = app
        .post_form(
            &format!("/console/licensing/team-kenya/agreements/{other}/status"),
            &[("csrf_token", &csrf), ("to", "suspended"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A merchant cannot open the licensor's console.
    merchant(&mut app).await;
    assert_eq!(app.get("/console/licensing/team-kenya").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn codes_are_issued_after_production_approval_and_print_as_qr_labels() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    licensor(&mut app).await;
    let page = app.get("/console/licensing/team-kenya/codes").await;
    assert_eq!(page.status, StatusCode::OK);
    // Products still at concept are not offered; the final-stage plush is (production approved).
    assert!(!page.body.contains("Roller Blades Poster"));
    assert!(page.body.contains("Roller Blades Plush toy"));
    let product = "hanok-threads-kenya-ice-lions-roller-blades-plush";
    let p = app.db.store.product_by_slug(product).await.expect("read").expect("exists");
    let csrf = page.csrf();
    let variant = format!("{product}|{}", p.variants[0].sku);
    let r = app
        .post_form(
            "/console/licensing/team-kenya/codes",
            &[("csrf_token", &csrf), ("variant", &variant), ("quantity", "25"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let concept = "hanok-threads-kenya-ice-lions-roller-blades-poster|POSTER-KIL-A3";
    let r = app
        .post_form(
            "/console/licensing/team-kenya/codes",
            &[("csrf_token", &csrf), ("variant", concept), ("quantity", "5"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("production stage is approved"));
    let r = app
        .post_form(
            "/console/licensing/team-kenya/codes",
            &[("csrf_token", &csrf), ("variant", &variant), ("quantity", "0"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let licensor_id = org_id(&app, "team-kenya").await;
    let batch = app
        .db
        .store
        .code_batches(&licensor_id)
        .await
        .expect("batches")
        .into_iter()
        .find(|b| b.product_slug == product)
        .expect("issued");
    assert_eq!(batch.quantity, 25);
    let csv = app.get(&format!("/console/licensing/team-kenya/codes/{}/codes.csv", batch.id)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 26);
    let code = lines[1].split(',').next().expect("code");
    assert!(podium_domain::authenticity::Code::parse(code).is_ok(), "{code}");
    assert!(lines[1].contains(&format!("/verify/{code}")));
    let svg = app.get(&format!("/console/licensing/team-kenya/codes/{}/labels.svg", batch.id)).await;
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    assert_eq!(svg.body.matches("<path").count(), 25, "one QR code per label");
    // The licensee may download its codes; another shop may not.
    merchant(&mut app).await;
    assert_eq!(
        app.get(&format!("/console/licensing/hanok-threads/codes/{}/codes.csv", batch.id)).await.status,
        StatusCode::OK
    );
    as_user(&mut app, "fan@podium.example", "fan-demo-2026").await;
    assert_ne!(
        app.get(&format!("/console/licensing/team-kenya/codes/{}/codes.csv", batch.id)).await.status,
        StatusCode::OK
    );
    let log = app.db.store.audit_log(&licensor_id, 1).await.expect("log");
    assert_eq!(
        (log[0].entry.action.as_str(), log[0].entry.detail.as_str()),
        ("codes.issue", "25 codes to Hanok Threads")
    );
}

#[tokio::test]
async fn verification_answers_genuine_suspicious_unknown_malformed_and_rate_limited() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let licensor_id = org_id(&app, "team-kenya").await;
    let batches = app.db.store.code_batches(&licensor_id).await.expect("batches");
    let savannah = batches.iter().find(|b| b.shop.slug == "savannah-stitch").expect("demo batch");
    let codes = app.db.store.batch_codes(&savannah.id).await.expect("codes");
    let suspicious = codes.iter().find(|c| c.countries > 1).expect("seen from two countries").code.clone();
    let fresh = codes.iter().find(|c| c.verifications == 0).expect("never checked").code.clone();
    let j = app.get(&format!("/api/v1/authenticity/{fresh}")).await.json();
    assert_eq!(j["status"], "genuine");
    assert_eq!(j["licensee"], "Savannah Stitch Nairobi");
    assert_eq!(j["licensor"], "National Olympic Committee of Kenya");
    assert_eq!(j["property"], "Team Kenya");
    assert_eq!(j["verifications"], 1, "this look-up counts");
    assert_eq!(j["first_verified"]["country"], "unknown", "no trusted country header is configured");
    let j = app.get(&format!("/api/v1/authenticity/{suspicious}")).await.json();
    assert_eq!(j["status"], "suspicious");
    assert_eq!(j["first_verified"]["country"], "KE");
    // Typed forgivingly on the page: lower case and hyphens.
    let grouped = podium_domain::authenticity::Code::parse(&fresh).expect("code").grouped().to_lowercase();
    let page = app.get(&format!("/verify/{grouped}?lang=en")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("data-status=\"genuine\"") && page.body.contains("Savannah Stitch Nairobi"));
    let page = app.get(&format!("/verify/{suspicious}?lang=ja")).await;
    assert!(page.body.contains("data-status=\"suspicious\"") && page.body.contains("不審な点"));
    // Unknown and malformed codes get clear answers.
    let unknown = podium_domain::authenticity::Code::from_random(42).as_str().to_string();
    let r = app.get(&format!("/api/v1/authenticity/{unknown}")).await;
    assert_eq!((r.status, r.header("content-type")), (StatusCode::NOT_FOUND, "application/problem+json"));
    let page = app.get(&format!("/verify/{unknown}?lang=en")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("data-status=\"unknown\""));
    let r = app.get("/api/v1/authenticity/NOT-A-CODE").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get("/verify/%3Cscript%3E?lang=en").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("data-status=\"malformed\"") && !page.body.contains("<script>"));
    let mut typo = fresh.clone().into_bytes();
    typo[3] = if typo[3] == b'A' { b'B' } else { b'A' };
    let page = app.get(&format!("/verify/{}?lang=en", String::from_utf8(typo).expect("ascii"))).await;
    assert!(page.body.contains("typing mistake"));
    // The GS1 Digital Link: the GTIN is checked and must be the code's product.
    let product =
        app.db.store.products_by_ids(std::slice::from_ref(&savannah.product_id)).await.expect("read").remove(0);
    let gtin =
        product.variants.iter().find(|v| v.id == savannah.variant_id).and_then(|v| v.gtin.clone()).expect("gtin");
    let page = app.get(&format!("/01/{gtin}/21/{fresh}?lang=en")).await;
    assert!(page.body.contains("data-status=\"genuine\""), "{}", page.body);
    let mut bad = gtin.clone().into_bytes();
    bad[13] = if bad[13] == b'9' { b'0' } else { bad[13] + 1 };
    let page = app.get(&format!("/01/{}/21/{fresh}", String::from_utf8(bad).expect("ascii"))).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other =
        product.variants.iter().find(|v| v.id != savannah.variant_id).and_then(|v| v.gtin.clone()).expect("gtin");
    assert_eq!(app.get(&format!("/01/{other}/21/{fresh}")).await.status, StatusCode::NOT_FOUND);
    // Enumeration is cut off per client with 429 and Retry-After.
    let mut limited = None;
    for _ in 0..40 {
        let r = app.get(&format!("/api/v1/authenticity/{unknown}")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("rate limited within 40 look-ups");
    assert!(r.header("retry-after").parse::<i64>().is_ok_and(|s| (1..=60).contains(&s)));
    let page = app.get(&format!("/verify/{fresh}")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.header("retry-after").parse::<i64>().is_ok());
}

#[tokio::test]
async fn a_licensor_drafts_an_agreement_grants_and_edits_rights_and_activates_it() {
    let mut app = TestApp::new(Backend::Postgres).await;
    licensor(&mut app).await;
    let page = app.get("/console/licensing/team-kenya/agreements").await;
    let action = "/console/licensing/team-kenya/agreements";
    let shop = org_id(&app, "atelier-chamonix").await;
    let mut fields = page.form_fields(action);
    for (k, v) in &mut fields {
        match k.as_str() {
            "reference" => *v = "TK-AC-2026".into(),
            "licensee" => *v = shop.clone(),
            "currency" => *v = "EUR".into(),
            "advance" => *v = "5,000".into(),
            "minimum" => *v = "12000.50".into(),
            _ => {}
        }
    }
    let pairs = as_pairs(&fields);
    let r = app.post_form(action, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let uri = r.header("location").to_string();
    let id = uri.rsplit('/').next().expect("id").to_string();
    let a = app.db.store.agreement(&id).await.expect("read").expect("created");
    assert_eq!((a.advance_minor, a.minimum_guarantee_minor, a.royalty_currency.code()), (500_000, 1_200_050, "EUR"));
    let page = app.get(&uri).await;
    assert!(page.body.contains("€5,000.00") && page.body.contains("€12,000.50"));
    // A draft without rights cannot be activated.
    let csrf = page.csrf();
    let r =
        app.post_form(&format!("{uri}/status"), &[("csrf_token", &csrf), ("to", "active"), ("confirm", "yes")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("add a rights set before activating"));
    // Grant Team Kenya apparel in France, then widen it to France and Belgium.
    let property = app.db.store.property_by_slug("team-kenya").await.expect("find").expect("property").id;
    let mut rights = page.form_fields(&format!("{uri}/rights"));
    for (k, v) in &mut rights {
        if k == "territory" {
            *v = "FR".into();
        }
    }
    rights.push(("property".into(), property.clone()));
    rights.push(("category".into(), "apparel".into()));
    let pairs = as_pairs(&rights);
    assert_eq!(app.post_form(&format!("{uri}/rights"), &pairs).await.status, StatusCode::SEE_OTHER);
    let set = app.db.store.agreement(&id).await.expect("read").expect("exists").terms.rights[0].id.clone();
    let edit = app.get(&format!("{uri}?edit={set}")).await;
    let mut rights = edit.form_fields(&format!("{uri}/rights"));
    assert!(rights.iter().any(|(k, v)| k == "rights_id" && v == &set), "the form edits that rights set");
    assert!(rights.iter().any(|(k, v)| k == "property" && v == &property), "its properties stay ticked");
    for (k, v) in &mut rights {
        if k == "territory" {
            *v = "FR, BE".into();
        }
    }
    let pairs = as_pairs(&rights);
    assert_eq!(app.post_form(&format!("{uri}/rights"), &pairs).await.status, StatusCode::SEE_OTHER);
    let a = app.db.store.agreement(&id).await.expect("read").expect("exists");
    assert_eq!(a.terms.rights.len(), 1);
    assert_eq!(a.terms.rights[0].territory.to_string(), "BE, FR");
    let r =
        app.post_form(&format!("{uri}/status"), &[("csrf_token", &csrf), ("to", "active"), ("confirm", "yes")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let licensor_id = org_id(&app, "team-kenya").await;
    let actions: Vec<String> =
        app.db.store.audit_log(&licensor_id, 4).await.expect("log").into_iter().map(|r| r.entry.action).collect();
    assert_eq!(actions, ["agreement.activate", "agreement.rights", "agreement.rights", "agreement.create"]);
    // The licensee sees it among its licences.
    as_user(&mut app, "merchant@podium.example", "merchant-demo-2026").await;
    assert_eq!(app.get("/console/shops/atelier-chamonix/licences").await.status, StatusCode::FORBIDDEN, "not its shop");
}

#[tokio::test]
async fn a_licensor_adds_a_property_to_its_portfolio() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    licensor(&mut app).await;
    let console = app.get("/console/licensor").await;
    let action = "/console/licensing/team-kenya/properties";
    let mut fields = console.form_fields(action);
    for (k, v) in &mut fields {
        match k.as_str() {
            "name" => *v = "Kenya Sevens".into(),
            "sport" => *v = "rugby sevens".into(),
            _ => {}
        }
    }
    let pairs = as_pairs(&fields);
    let r = app.post_form(action, &pairs).await;
    assert_eq!(r.header("location"), "/console/licensor?property=added");
    let p = app.db.store.property_by_slug("kenya-sevens").await.expect("read").expect("created");
    assert_eq!(
        (p.name.as_str(), p.licensor_slug.as_str(), p.sport.as_str()),
        ("Kenya Sevens", "team-kenya", "rugby sevens")
    );
    assert_eq!(app.post_form(action, &pairs).await.header("location"), "/console/licensor?property=taken");
    let page = app.get("/console/licensor?property=taken").await;
    assert!(page.body.contains("already exists"));
    let blank: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, if *k == "name" { "   " } else { *v })).collect();
    assert_eq!(app.post_form(action, &blank).await.header("location"), "/console/licensor?property=invalid");
    // It can be granted at once.
    let agreement = app.db.store.agreements_of(&org_id(&app, "team-kenya").await).await.expect("a")[0].terms.id.clone();
    let page = app.get(&format!("/console/licensing/team-kenya/agreements/{agreement}")).await;
    assert!(page.body.contains("Kenya Sevens"));
    merchant(&mut app).await;
    assert_eq!(app.post_form(action, &pairs).await.status, StatusCode::FORBIDDEN);
}

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, 90, (y % 256) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encode");
    out.into_inner()
}

#[tokio::test]
async fn an_image_added_to_an_approved_product_waits_for_the_licensor() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    merchant(&mut app).await;
    let uri = "/console/shops/hanok-threads/products/kenya-ice-lions-face-off-tee";
    let edit = app.get(uri).await;
    let csrf = edit.csrf();
    let bytes = png(640, 480);
    let r = multipart(
        &mut app,
        &format!("{uri}/images"),
        &[("csrf_token", &csrf), ("alt", "On the ice")],
        &[("file", "ice.png", &bytes)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.header("location").ends_with("saved=image-review"));
    let slug = "hanok-threads-kenya-ice-lions-face-off-tee";
    let p = app.db.store.product_by_slug(slug).await.expect("read").expect("exists");
    assert_eq!(p.images.len(), 1);
    assert!(p.images[0].pending);
    let image = p.images[0].id.clone();
    let fan = app.get_anonymous(&format!("/products/{slug}?country=KR")).await;
    assert!(!fan.body.contains(&image), "fans do not see it yet");
    let own = app.get(&format!("/products/{slug}?country=KR")).await;
    assert!(own.body.contains(&image), "the shop sees it in its preview");
    assert!(app.get(uri).await.body.contains("data-testid=\"image-pending\""));
    // The licensor sees it with the revision, and approving at Final puts it on show.
    let revision = app
        .db
        .store
        .submissions(&SubmissionFilter { product_id: Some(p.id.clone()), open_only: true, ..Default::default() })
        .await
        .expect("open")
        .pop()
        .expect("a revision");
    licensor(&mut app).await;
    let page = app.get(&format!("/console/licensing/team-kenya/submissions/{}", revision.id)).await;
    assert!(page.body.contains("data-testid=\"new-images\"") && page.body.contains(&image));
    for _ in 0..2 {
        assert_eq!(decide(&mut app, &revision.id, "approve", "").await.status, StatusCode::SEE_OTHER);
    }
    let p = app.db.store.product_by_slug(slug).await.expect("read").expect("exists");
    assert!(!p.images[0].pending);
    let fan = app.get_anonymous(&format!("/products/{slug}?country=KR")).await;
    assert!(fan.body.contains(&format!("/media/{image}")));
}

#[tokio::test]
async fn a_licensor_sets_its_own_approval_stages() {
    let mut app = TestApp::new(Backend::Postgres).await;
    licensor(&mut app).await;
    let queue = app.get("/console/licensing/team-kenya").await;
    let action = "/console/licensing/team-kenya/stages";
    let fields = queue.form_fields(action);
    assert!(fields.iter().any(|(k, v)| k == "stages" && v == "concept, pre-production, production, final"));
    let csrf = queue.csrf();
    let r = app.post_form(action, &[("csrf_token", &csrf), ("stages", "Design!, final")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("cannot be a stage"), "{}", r.body);
    let r = app.post_form(action, &[("csrf_token", &csrf), ("stages", "final, final")]).await;
    assert!(r.body.contains("only once"));
    let r = app.post_form(action, &[("csrf_token", &csrf), ("stages", "colour-proof, final")]).await;
    assert_eq!(r.header("location"), "/console/licensing/team-kenya?stages=saved");
    let queue = app.get("/console/licensing/team-kenya?stages=saved").await;
    assert!(queue.body.contains("Colour proof") && queue.body.contains("new submissions follow them"));
    // Submissions already open keep their four stages; a new one follows the two.
    merchant(&mut app).await;
    let shop = app.db.store.org_by_slug("hanok-threads").await.expect("find").expect("shop");
    let mut product = podium_app::licensing::proposal_from(
        &app.db.store.product_by_slug("hanok-threads-kenya-ice-lions-face-off-tee").await.expect("r").expect("p"),
    );
    product.handle = "two-stage-scarf".into();
    product.shop_id = shop.id;
    for (i, v) in product.variants.iter_mut().enumerate() {
        v.sku = format!("TWO-{i}");
    }
    app.db.store.create_product(product).await.expect("create");
    let licences = app.get("/console/shops/hanok-threads/licences").await;
    let submit = "/console/shops/hanok-threads/products/two-stage-scarf/submit";
    let fields = licences.form_fields(submit);
    let pairs = as_pairs(&fields);
    assert_eq!(app.post_form(submit, &pairs).await.status, StatusCode::SEE_OTHER);
    let licensor_id = org_id(&app, "team-kenya").await;
    let subs = app
        .db
        .store
        .submissions(&SubmissionFilter {
            licensor_id: Some(licensor_id.clone()),
            open_only: true,
            ..Default::default()
        })
        .await
        .expect("queue");
    let new = subs.iter().find(|s| s.product_handle == "two-stage-scarf").expect("submitted");
    assert_eq!(new.stages.names(), ["colour-proof", "final"]);
    assert!(subs.iter().filter(|s| s.product_handle != "two-stage-scarf").all(|s| s.stages.names().len() == 4));
    licensor(&mut app).await;
    for _ in 0..2 {
        assert_eq!(decide(&mut app, &new.id, "approve", "").await.status, StatusCode::SEE_OTHER);
    }
    let p = app.db.store.product_by_slug("hanok-threads-two-stage-scarf").await.expect("read").expect("exists");
    assert!(p.approved_at.is_some(), "approved after its two stages");
    let log = app.db.store.audit_log(&licensor_id, 10).await.expect("log");
    assert!(log.iter().any(|r| r.entry.action == "approval.stages" && r.entry.detail == "colour-proof → final"));
}
