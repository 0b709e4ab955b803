//! The consoles as their users expect them (issue 19): payouts previewed and confirmed before
//! money moves, licensor actions that cannot be undone confirmed, codes requested by merchants
//! and answered by licensors, a shop's debt shown as owed, the operator's whole audit log, the
//! fan console's orders.

mod common;

use axum::http::StatusCode;
use common::{as_pairs, shop, TestApp};
use podium_app::Store;
use podium_domain::ledger::{AccountKey, AccountKind, Transfer};
use podium_domain::Currency;
use podium_store::testing::Backend;

const PLUSH: &str = "hanok-threads-kenya-ice-lions-roller-blades-plush";

async fn signed_in(app: &TestApp, email: &str, password: &str) -> TestApp {
    let mut a = app.clone_app();
    assert_eq!(a.sign_in(email, password).await.status, StatusCode::SEE_OTHER);
    a
}

async fn operator(app: &TestApp) -> TestApp {
    signed_in(app, "operator@podium.example", "operator-demo-2026").await
}

async fn licensor(app: &TestApp) -> TestApp {
    signed_in(app, "licensor@podium.example", "licensor-demo-2026").await
}

async fn merchant(app: &TestApp) -> TestApp {
    signed_in(app, "merchant@podium.example", "merchant-demo-2026").await
}

#[tokio::test]
async fn payouts_move_only_after_the_operator_confirms_the_preview_it_read() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = shop::cart(&mut app, "KR", &[(shop::KR_TEE, 1)]).await;
    assert_eq!(shop::checkout(&mut app, &id, shop::body("4242424242424242"), None).await.status, StatusCode::CREATED);
    let mut op = operator(&app).await;
    let list = op.get("/console/operator/payouts?lang=en").await;
    assert!(list.body.contains("href=\"/console/operator/payouts/preview\""), "the run starts with a preview");
    assert!(!list.body.contains("method=\"post\" action=\"/console/operator/payouts\""), "no one-click run");

    let preview = op.get("/console/operator/payouts/preview?lang=en").await;
    assert_eq!(preview.status, StatusCode::OK);
    // Payees and amounts: the licensor's royalty and Korea's VAT, each in its currency.
    assert!(preview.body.contains("International Olympic Committee"), "{}", preview.body);
    assert!(preview.body.contains("Tax and customs authorities · South Korea"), "{}", preview.body);
    assert!(preview.body.contains("data-testid=\"preview-totals\""));
    assert!(op.db.dyn_store().payouts(None, 10).await.expect("payouts").is_empty(), "a preview moves nothing");

    // Without the ticked box, nothing is paid.
    let fields = preview.form_fields("/console/operator/payouts");
    let r = op.post_form("/console/operator/payouts", &as_pairs(&fields)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Tick the box"), "{}", r.body);
    assert!(op.db.dyn_store().payouts(None, 10).await.expect("payouts").is_empty());

    // A confirmation of a preview that no longer holds (another sale since) moves nothing.
    let mut stale = fields.clone();
    stale.push(("confirm".into(), "yes".into()));
    let id = shop::cart(&mut app, "KR", &[(shop::KR_TEE, 1)]).await;
    assert_eq!(shop::checkout(&mut app, &id, shop::body("4242424242424242"), None).await.status, StatusCode::CREATED);
    let r = op.post_form("/console/operator/payouts", &as_pairs(&stale)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("The balances changed since you looked"), "{}", r.body);
    assert!(op.db.dyn_store().payouts(None, 10).await.expect("payouts").is_empty());

    // The preview now shown, confirmed: paid.
    let mut fresh = r.form_fields("/console/operator/payouts");
    fresh.push(("confirm".into(), "yes".into()));
    let r = op.post_form("/console/operator/payouts", &as_pairs(&fresh)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let paid = op.db.dyn_store().payouts(None, 10).await.expect("payouts");
    assert!(paid.iter().any(|p| p.payee_name == "International Olympic Committee"), "{paid:?}");
}

#[tokio::test]
async fn agreement_changes_and_code_batches_need_their_box_ticked() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut lic = licensor(&app).await;
    let kenya = app.db.dyn_store().org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let agreements = app.db.dyn_store().agreements_of(&kenya.id).await.expect("agreements");
    let a = agreements.iter().find(|a| a.licensee.slug == "savannah-stitch").expect("Savannah Stitch's agreement");
    let uri = format!("/console/licensing/team-kenya/agreements/{}?lang=en", a.terms.id);
    let page = lic.get(&uri).await;
    assert!(page.body.contains("every product under this agreement goes off sale now"), "the consequence is said");
    let csrf = page.csrf();
    let status = format!("/console/licensing/team-kenya/agreements/{}/status", a.terms.id);
    let r = lic.post_form(&status, &[("csrf_token", &csrf), ("to", "terminated")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let again = app.db.dyn_store().agreement(&a.terms.id).await.expect("read").expect("agreement");
    assert_eq!(again.terms.status, a.terms.status, "not terminated without the box ticked");

    let p = app.db.dyn_store().product_by_slug(PLUSH).await.expect("read").expect("plush");
    let variant = format!("{PLUSH}|{}", p.variants[0].sku);
    let before = app.db.dyn_store().code_batches(&kenya.id).await.expect("batches").len();
    let r = lic
        .post_form(
            "/console/licensing/team-kenya/codes",
            &[("csrf_token", &csrf), ("variant", &variant), ("quantity", "3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db.dyn_store().code_batches(&kenya.id).await.expect("batches").len(), before, "no codes issued");

    // The issue form finds variants by any words of their name.
    let found = lic.get("/console/licensing/team-kenya/codes?q=roller+plush").await;
    assert!(found.body.contains(&variant), "{}", found.body);
    let none = lic.get("/console/licensing/team-kenya/codes?q=no-such-thing-anywhere").await;
    assert!(!none.body.contains(&variant));
    assert!(none.body.contains("data-testid=\"codes-no-variant\""));
}

#[tokio::test]
async fn a_merchant_asks_for_missing_codes_and_the_licensor_answers_from_its_queue() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut m = merchant(&app).await;
    let p = app.db.dyn_store().product_by_slug(PLUSH).await.expect("read").expect("plush");
    let sku = p.variants[0].sku.clone();
    // The product's page says codes are missing before any fan buys one.
    let page = m.get(&format!("/console/shops/hanok-threads/products/{}?lang=en", p.handle)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Authenticity codes missing"), "{}", page.body);
    assert!(page.body.contains("Request codes from"), "{}", page.body);
    let mut form = page.form_fields("/console/shops/hanok-threads/code-requests");
    form.retain(|(k, _)| k != "quantity");
    form.push(("quantity".into(), "6".into()));
    let r = m.post_form("/console/shops/hanok-threads/code-requests", &as_pairs(&form)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let codes = m.get(&format!("{}&lang=en", r.header("location"))).await;
    assert!(codes.body.contains("Your licensor has been asked for 6 code(s)"), "{}", codes.body);
    assert!(codes.body.contains("Waiting for the licensor"));
    // A nonsense quantity is refused in words, nothing asked.
    let mut bad = form.clone();
    bad.retain(|(k, _)| k != "quantity");
    bad.push(("quantity".into(), "0".into()));
    let r = m.post_form("/console/shops/hanok-threads/code-requests", &as_pairs(&bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The licensor's queue lists it with the quantity, and answers it in one form.
    let mut lic = licensor(&app).await;
    let queue = lic.get("/console/licensing/team-kenya/codes?lang=en").await;
    assert!(queue.body.contains("Hanok Threads needs 6 code(s)"), "{}", queue.body);
    let start = queue.body.find("data-testid=\"code-request\"").expect("a request");
    let form_at = queue.body[start..].find("<form").expect("its form") + start;
    let end = queue.body[form_at..].find("</form>").expect("end") + form_at;
    let request_form = &queue.body[form_at..end];
    assert!(request_form.contains(&format!("{PLUSH}|{sku}")) && request_form.contains("value=\"6\""));
    let variant = format!("{PLUSH}|{sku}");
    let csrf = queue.csrf();
    let r = lic
        .post_form(
            "/console/licensing/team-kenya/codes",
            &[("csrf_token", &csrf), ("variant", &variant), ("quantity", "6"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let queue = lic.get("/console/licensing/team-kenya/codes?lang=en").await;
    assert!(!queue.body.contains("Hanok Threads needs 6 code(s)"));
    let codes = m.get("/console/shops/hanok-threads/codes?lang=en").await;
    assert!(codes.body.contains("Codes issued"), "{}", codes.body);

    // The operator's audit log reads the licensor's entry, with whose it is.
    let mut op = operator(&app).await;
    let audit = op.get("/console/operator/audit?lang=en").await;
    assert!(audit.body.contains("National Olympic Committee of Kenya"), "{}", audit.body);
    assert!(audit.body.contains("6 codes to Hanok Threads"), "{}", audit.body);
}

#[tokio::test]
async fn a_shops_debt_reads_as_owed_with_its_reason_never_as_money_available() {
    let app = TestApp::new(Backend::Sqlite).await;
    let store: &dyn Store = app.db.store.as_ref();
    let shop = store.org_by_slug("hanok-threads").await.expect("read").expect("shop");
    let kenya = store.org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let agreement = store
        .agreements_of(&kenya.id)
        .await
        .expect("agreements")
        .into_iter()
        .find(|a| a.licensee.id == shop.id)
        .expect("Team Kenya licenses Hanok Threads");
    let kes = Currency::parse("KES").expect("KES");
    let shortfall = Transfer {
        id: format!("minimum:{}:2026-03-01", agreement.terms.id),
        debit: AccountKey::new(shop.id.clone(), AccountKind::MerchantAvailable, kes),
        credit: AccountKey::new(kenya.id.clone(), AccountKind::RoyaltyPayable, kes),
        amount: 5_898_105,
        code: "minimum_guarantee",
        reference: agreement.terms.id.clone(),
    };
    store.post_batch("minimum:test", &[shortfall], time::OffsetDateTime::now_utc()).await.expect("post");
    let mut m = merchant(&app).await;
    let page = m.get("/console/shops/hanok-threads/money?lang=en").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("-KSh"), "a debt is never a negative amount available: {}", page.body);
    assert!(!page.body.contains("Available in KES"), "{}", page.body);
    // An English reader outside Kenya reads the shilling by its code (CLDR).
    assert!(page.body.contains("You owe KES\u{a0}58,981.05"), "{}", page.body);
    assert!(page.body.contains("minimum-guarantee shortfall"), "{}", page.body);
    assert!(page.body.contains(&agreement.terms.reference), "the agreement is named");
    assert!(page.body.contains("2026-03-01"), "the contract year is named");
    // In Korean too, in words.
    let ko = m.get("/console/shops/hanok-threads/money?lang=ko").await;
    assert!(ko.body.contains("최소 보장액 부족분"), "{}", ko.body);
}

#[tokio::test]
async fn the_fan_console_lists_the_fans_orders() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut fan = signed_in(&app, "fan@podium.example", "fan-demo-2026").await;
    let csrf = fan.get("/").await.csrf();
    let cart = shop::cart(&mut fan, "KR", &[(shop::KR_TEE, 1)]).await;
    let placed = fan
        .post_json(
            &format!("/api/v1/carts/{cart}/checkout"),
            shop::body("4242424242424242"),
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(placed.status, StatusCode::CREATED, "{}", placed.body);
    let number = placed.json()["order"]["number"].as_str().expect("number").to_string();
    let console = fan.get("/console/fan?lang=en").await;
    assert!(!console.body.contains("You have no orders yet"), "{}", console.body);
    assert!(console.body.contains(&number), "{}", console.body);
    assert!(console.body.contains("href=\"/account/orders\""));
}

#[tokio::test]
async fn the_shop_home_says_what_needs_doing_and_orders_filter_and_search() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    let id = shop::cart(&mut app, "KR", &[(shop::KR_TEE, 1)]).await;
    let placed = shop::checkout(&mut app, &id, shop::body("4242424242424242"), None).await;
    assert_eq!(placed.status, StatusCode::CREATED);
    let number = placed.json()["order"]["number"].as_str().expect("number").to_string();
    let mut m = merchant(&app).await;
    let home = m.get("/console/shops/hanok-threads?lang=en").await;
    assert!(home.body.contains("What needs doing"), "{}", home.body);
    assert!(home.body.contains("Parcels to fulfil:"), "{}", home.body);
    assert!(home.body.contains("href=\"/console/shops/hanok-threads/orders?show=open\""));
    assert!(home.body.contains("Authenticity codes missing:"));
    assert!(home.body.contains("href=\"/console/shops/hanok-threads/codes\""));

    let open = m.get("/console/shops/hanok-threads/orders?show=open&lang=en").await;
    assert!(open.body.contains(&number), "{}", open.body);
    let closed = m.get("/console/shops/hanok-threads/orders?show=closed&lang=en").await;
    assert!(!closed.body.contains(&number));
    let found = m.get(&format!("/console/shops/hanok-threads/orders?q={}&lang=en", number.to_lowercase())).await;
    assert!(found.body.contains(&number));
    let none = m.get("/console/shops/hanok-threads/orders?q=no-such-fan-anywhere&lang=en").await;
    assert!(!none.body.contains(&number));
    assert!(none.body.contains("No parcel matches these filters."), "{}", none.body);
    // An unknown filter shows everything rather than failing.
    assert_eq!(m.get("/console/shops/hanok-threads/orders?show=%3Cx%3E").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_failed_decision_keeps_the_licensors_choice_and_words() {
    use podium_app::licensing::SubmissionFilter;
    use podium_domain::approval::Status;
    let app = TestApp::new(Backend::Sqlite).await;
    let kenya = app.db.dyn_store().org_by_slug("team-kenya").await.expect("read").expect("licensor");
    let filter = SubmissionFilter { licensor_id: Some(kenya.id.clone()), open_only: true, ..Default::default() };
    let subs = app.db.dyn_store().submissions(&filter).await.expect("queue");
    let s = subs.iter().find(|s| s.state.status == Status::Submitted).expect("a submission to decide");
    let mut lic = licensor(&app).await;
    let page = lic.get(&format!("/console/licensing/team-kenya/submissions/{}", s.id)).await;
    let csrf = page.csrf();
    let uri = format!("/console/licensing/team-kenya/submissions/{}/decide", s.id);
    // Rejecting needs a reason: refused, and the page comes back with "reject" still chosen.
    let r = common::post_multipart(
        &mut lic,
        &uri,
        &[("csrf_token", &csrf), ("decision", "reject"), ("comment", "")],
        ("", &[]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("value=\"reject\" checked"), "{}", r.body);
    assert!(!r.body.contains("value=\"approve\" checked"));
}

#[tokio::test]
async fn a_licensor_reads_and_downloads_royalties_over_a_period() {
    let mut app = TestApp::new(Backend::Sqlite).await;
    // A sale under one of Team Kenya's licences, today.
    let tee = app.get("/api/v1/products/savannah-stitch-team-kenya-savannah-sunrise-tee?country=KE").await.json();
    let sku = tee["variants"][0]["sku"].as_str().expect("a variant").to_string();
    let cart = shop::cart(&mut app, "KE", &[(&sku, 1)]).await;
    let mut body = shop::body("4242424242424242");
    body["shipping_address"] = shop::address("KE");
    assert_eq!(shop::checkout(&mut app, &cart, body, None).await.status, StatusCode::CREATED);
    let mut lic = licensor(&app).await;
    let all = lic.get("/console/licensing/team-kenya/royalties?lang=en").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("data-testid=\"period\""));
    let csv = lic.get("/console/licensing/team-kenya/royalties?format=csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "date,agreement,licensee,territory,rights_set,kind,net,royalty,currency");
    // A period long ago holds none of it.
    let old = lic.get("/console/licensing/team-kenya/royalties?from=2001-01-01&to=2001-12-31&format=csv").await;
    assert_eq!(old.body.lines().count(), 1, "{}", old.body);
    let page = lic.get("/console/licensing/team-kenya/royalties?from=2001-01-01&to=2001-12-31&lang=en").await;
    assert!(page.body.contains("value=\"2001-01-01\""));
    let at = page.body.find("data-testid=\"royalties-csv\"").expect("the export link");
    let link = &page.body[page.body[..at].rfind("<a ").expect("its tag")..at];
    assert!(link.contains("from=2001-01-01") && link.contains("to=2001-12-31"), "the export keeps the period: {link}");
    // Dates the wrong way round: said, and everything shown.
    let bad = lic.get("/console/licensing/team-kenya/royalties?from=2026-12-31&to=2026-01-01&lang=en").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(bad.body.contains("Give the period as two dates"), "{}", bad.body);
    assert!(lines.len() > 1, "the demo's sales under Team Kenya's licences");
    assert!(lines[1..].iter().all(|l| l.ends_with(",KES") || l.split(',').count() >= 9), "{}", csv.body);
}
