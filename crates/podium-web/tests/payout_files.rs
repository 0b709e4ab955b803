//! Payouts by bank file, on SQLite and PostgreSQL: payees keep their bank details in their
//! console (IBAN check digits and BIC shape checked), a run writes one ISO 20022 pain.001 file
//! per currency that validates against the published XSD, the payouts stay "sending" until the
//! bank's camt.054 is imported (booked: paid; returned: reversed, paid by a later run) or the
//! operator marks the file accepted; the ledger balances after every step.

mod common;

use std::path::PathBuf;

use axum::http::StatusCode;
use common::shop::*;
use common::TestApp;
use podium_app::payouts;
use podium_domain::role::OrgKind;
use podium_store::testing::Backend;

/// The published pain.001.001.09 schema: `PODIUM_PAIN001_XSD`, else the copy in the `sepaxml`
/// package that scripts/setup installs into the test virtualenv.
fn xsd() -> PathBuf {
    if let Ok(p) = std::env::var("PODIUM_PAIN001_XSD") {
        return PathBuf::from(p);
    }
    let venv = std::env::var("PODIUM_VENV").map(PathBuf::from).unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        PathBuf::from(home).join(".cache/podium/venv")
    });
    let lib = venv.join("lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|d| {
        d.filter_map(Result::ok)
            .map(|e| e.path().join("site-packages/sepaxml/schemas/pain.001.001.09.xsd"))
            .find(|p| p.exists())
    });
    found.unwrap_or_else(|| {
        panic!(
            "the pain.001.001.09 XSD was not found under {}: run scripts/setup (it installs sepaxml, which ships the \
             published schemas) or set PODIUM_PAIN001_XSD",
            lib.display()
        )
    })
}

/// Validates a document against the XSD with xmllint (libxml2); answers its complaints.
fn validate(xml: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("pain001.xml");
    std::fs::write(&file, xml).expect("write");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd())
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("xmllint (Debian: libxml2-utils; scripts/setup installs it) could not run: {e}"));
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A camt.054 as a bank sends it after executing a file: each transfer booked, or returned.
fn camt054(entries: &[(&str, &str, bool)]) -> String {
    let mut ntry = String::new();
    for (id, amount, returned) in entries {
        let (ind, rvsl, rtr) = if *returned {
            ("CRDT", "<RvslInd>true</RvslInd>", "<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>")
        } else {
            ("DBIT", "", "")
        };
        ntry.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>{rvsl}<Sts><Cd>BOOK</Cd></Sts><BkTxCd/>\
             <NtryDtls><TxDtls><Refs><EndToEndId>{id}</EndToEndId></Refs>{rtr}</TxDtls></NtryDtls></Ntry>"
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.08\">\
         <BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-12-07T09:00:00Z</CreDtTm></GrpHdr>\
         <Ntfctn><Id>N1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{ntry}</Ntfctn>\
         </BkToCstmrDbtCdtNtfctn></Document>"
    )
}

async fn bank_files_are_written_validated_and_settled(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    let store = app.db.dyn_store();
    // Fans buy: royalties become payable to licensors, taxes to Korea.
    for _ in 0..2 {
        let id = cart(&mut app, "KR", &[("hanok-threads:TEE-KIL-L", 1), (GB_PIN, 2)]).await;
        let r = checkout(&mut app, &id, body("4242424242424242"), None).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    // Team Kenya keeps its bank details in its console: a mistyped IBAN is refused.
    let mut licensor = app.clone_app();
    licensor.sign_in("licensor@podium.example", "licensor-demo-2026").await;
    let page = licensor.get("/console/licensing/team-kenya/bank-account").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.csrf();
    let form = |iban: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("holder", "Team Kenya".into()),
            ("iban", iban.into()),
            ("bic", "COBADEFFXXX".into()),
        ]
    };
    let refused = licensor
        .post_form("/console/licensing/team-kenya/bank-account", &pairs(&form("DE89 3704 0044 0532 0130 01")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("data-field=\"iban\""), "{}", refused.body);
    let saved = licensor
        .post_form("/console/licensing/team-kenya/bank-account", &pairs(&form("DE89 3704 0044 0532 0130 00")))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let shown = licensor.get("/console/licensing/team-kenya/bank-account?saved=1").await;
    assert!(shown.body.contains("DE89 •••• 013000"), "masked: {}", shown.body);
    assert!(!shown.body.contains("DE89370400440532013000"), "never shown whole");
    // Another org's members cannot see or change it.
    let mut merchant = app.clone_app();
    merchant.sign_in("merchant@podium.example", "merchant-demo-2026").await;
    assert_eq!(merchant.get("/console/licensing/team-kenya/bank-account").await.status, StatusCode::FORBIDDEN);

    // Every other licensor gets an account (one domestic); the tax authorities have none.
    let team_kenya = store.org_by_slug("team-kenya").await.expect("read").expect("org");
    let now = app.state.clock.now();
    for (i, org) in store.orgs_of_kind(OrgKind::Licensor).await.expect("orgs").into_iter().enumerate() {
        if org.id == team_kenya.id {
            continue;
        }
        let account = if i % 2 == 0 {
            let typed = podium_app::payout_files::BankDetails {
                holder: &org.name,
                iban: "FR14 2004 1010 0505 0001 3M02 606",
                bic: "PSSTFRPPPAR",
                ..Default::default()
            };
            podium_app::payout_files::check_account(&org.id, &typed, "test", now)
        } else {
            let typed = podium_app::payout_files::BankDetails {
                holder: &org.name,
                country: "JP",
                account_number: "1234567",
                bank_code: "0001",
                ..Default::default()
            };
            podium_app::payout_files::check_account(&org.id, &typed, "test", now)
        };
        store.save_payee_account(&account.expect("valid")).await.expect("save");
    }

    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let debtor = podium_domain::iso20022::Debtor {
        name: "Podium Marketplace".into(),
        iban: "GB29 NWBK 6016 1331 9268 19".into(),
        bic: "NWBKGB2L".into(),
    };
    let files = podium_app::payout_files::Iso20022Payouts::new(store.clone(), debtor.clone(), "Podium", now.date())
        .expect("provider");
    let run = payouts::run(store.as_ref(), &files, &rates, "test", now).await.expect("run");
    assert!(run.pending >= 1, "sent in files: {run:?}");
    let kenya = run.payouts.iter().find(|p| p.payee_id == team_kenya.id).expect("Team Kenya in the run");
    assert_eq!(kenya.status, "sending", "waits for the bank");
    let to_korea = run.payouts.iter().find(|p| p.payee_id == "KR").expect("Korea's taxes");
    assert_eq!(to_korea.status, "failed", "no bank account for the authority: reversed");
    assert!(to_korea.failure.as_deref().is_some_and(|f| f.contains("no bank account")), "{to_korea:?}");
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());

    // One file per currency, each valid against the published schema.
    let written: Vec<_> =
        store.payout_files(50).await.expect("files").into_iter().filter(|f| f.run_id == run.run_id).collect();
    assert!(!written.is_empty());
    let mut currencies: Vec<&str> = written.iter().map(|f| f.currency.as_str()).collect();
    currencies.dedup();
    assert_eq!(currencies.len(), written.len(), "one file per currency");
    for f in &written {
        if let Err(why) = validate(&f.body) {
            panic!("{} does not validate against pain.001.001.09:\n{why}\n{}", f.id, f.body);
        }
        assert_eq!(f.transfers as usize, f.body.matches("<CdtTrfTxInf>").count());
    }
    assert!(
        validate("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"/>").is_err(),
        "the check can fail"
    );
    // A second run does not send them again.
    let again = payouts::run(store.as_ref(), &files, &rates, "test", now).await.expect("run");
    assert!(again.payouts.iter().all(|p| p.payee_id != team_kenya.id), "{again:?}");
    let kenya_file =
        written.iter().find(|f| f.body.contains(&format!("<EndToEndId>{}</EndToEndId>", kenya.id))).expect("file");
    let still = store.payout(&kenya.id).await.expect("read").expect("payout");
    assert_eq!(still.status, "sending");

    // The bank's notification: Team Kenya's transfer returned (account closed), the others booked.
    let others: Vec<_> = store
        .payouts_with_ref(&format!("pain001:{}", kenya_file.id))
        .await
        .expect("payouts")
        .into_iter()
        .filter(|p| p.id != kenya.id)
        .collect();
    let mut entries = vec![(kenya.id.as_str(), "1.00", true)];
    entries.extend(others.iter().map(|p| (p.id.as_str(), "1.00", false)));
    let xml = camt054(&entries);
    let summary = podium_app::payout_files::import_camt054(store.as_ref(), &xml, now).await.expect("import");
    assert_eq!((summary.paid, summary.returned), (others.len(), 1), "{summary:?}");
    let returned = store.payout(&kenya.id).await.expect("read").expect("payout");
    assert_eq!(returned.status, "failed");
    assert!(returned.failure.as_deref().is_some_and(|f| f.contains("AC04")), "{returned:?}");
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
    // Importing it twice changes nothing.
    let twice = podium_app::payout_files::import_camt054(store.as_ref(), &xml, now).await.expect("import");
    assert_eq!((twice.paid, twice.returned, twice.ignored), (0, 0, entries.len()));
    assert!(podium_app::payout_files::import_camt054(store.as_ref(), "<Document/>", now).await.is_err());

    // The operator marks the other files accepted from the console: their payouts are paid.
    let mut operator = app.clone_app();
    operator.sign_in("operator@podium.example", "operator-demo-2026").await;
    let list = operator.get("/console/operator/payouts").await;
    assert!(list.body.contains("data-testid=\"payout-files\""), "{}", list.body);
    let download = operator.get(&format!("/console/operator/payout-files/{}", kenya_file.id)).await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(download.header("content-type").starts_with("application/xml"));
    assert_eq!(download.body, kenya_file.body);
    let csrf = list.csrf();
    for f in written.iter().filter(|f| f.id != kenya_file.id) {
        let r = operator
            .post_form(&format!("/console/operator/payout-files/{}/accept", f.id), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(store.payouts_with_ref(&format!("pain001:{}", f.id)).await.expect("read").is_empty(), "all paid");
    }
    assert_eq!(
        merchant
            .post_form(&format!("/console/operator/payout-files/{}/accept", kenya_file.id), &[("csrf_token", &csrf)])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The operator keeps Korea's tax authorities' account (a domestic one) from the payouts page.
    let list = operator.get("/console/operator/payouts").await;
    assert!(list.body.contains("/console/operator/tax-authorities/KR/bank-account"), "linked from the remittance");
    let page = operator.get("/console/operator/tax-authorities/KR/bank-account").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.csrf();
    let authority = [
        ("csrf_token", csrf.as_str()),
        ("holder", "National Tax Service"),
        ("country", "KR"),
        ("account_number", "0012345678901"),
        ("bank_code", "BOKRKRSE"),
    ];
    let saved = operator.post_form("/console/operator/tax-authorities/KR/bank-account", &authority).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(store.payee_account("KR").await.expect("read").is_some_and(|a| a.holder == "National Tax Service"));
    assert_eq!(
        merchant.get("/console/operator/tax-authorities/KR/bank-account").await.status,
        StatusCode::FORBIDDEN,
        "only the operator keeps an authority's account"
    );
    assert_eq!(operator.get("/console/operator/tax-authorities/XX/bank-account").await.status, StatusCode::NOT_FOUND);
    // Team Kenya's returned money is paid by the next run, in a new file, and so are Korea's
    // taxes now that its authorities have an account.
    let next = payouts::run(store.as_ref(), &files, &rates, "test", now).await.expect("run");
    assert!(next.payouts.iter().any(|p| p.payee_id == team_kenya.id && p.status == "sending"), "{next:?}");
    assert!(next.payouts.iter().any(|p| p.payee_id == "KR" && p.status == "sending"), "{next:?}");
    for f in store.payout_files(50).await.expect("files").iter().filter(|f| f.run_id == next.run_id) {
        if let Err(why) = validate(&f.body) {
            panic!("{} does not validate:\n{why}", f.id);
        }
    }
    assert!(podium_app::ledger::verify(store.as_ref()).await.expect("verify").is_ok());
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, s)| (*k, s.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_files_are_written_validated_and_settled_sqlite() {
    bank_files_are_written_validated_and_settled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_files_are_written_validated_and_settled_postgres() {
    bank_files_are_written_validated_and_settled(Backend::Postgres).await;
}
