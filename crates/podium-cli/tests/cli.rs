//! The `podium` binary as an operator meets it: help, one-line errors, migrate, import, serve.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{podium_command, Running};

use podium_app::Store;
use podium_store::testing::{Backend, TestDb};

fn podium() -> Command {
    let mut c = podium_command();
    c.env_remove("PODIUM_DATABASE_URL").env_remove("DATABASE_URL").env("PODIUM_LOG", "warn");
    c
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = podium().args(args).output().expect("podium runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["import", "--help"],
        vec!["import", "fx", "--help"],
        vec!["import", "products", "--help"],
        vec!["export", "products", "--help"],
        vec!["ledger", "verify", "--help"],
        vec!["roles", "add-member", "--help"],
        vec!["roles", "operator", "--help"],
    ] {
        let (code, out, _) = run(&args);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let (_, out, _) = run(&["serve", "--help"]);
    assert!(out.contains("--database-url") && out.contains("PODIUM_DATABASE_URL") && out.contains("--addr"));
}

#[test]
fn bad_input_exits_non_zero_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["migrate"], "no database given"),
        (&["migrate", "--database-url", "mysql://x"], "unsupported database URL"),
        (
            &["import", "fx", "/no/such/file.xml", "--database-url", "sqlite:///tmp/podium-cli-unused.db"],
            "cannot read /no/such/file.xml",
        ),
        (
            &["serve", "--database-url", "sqlite:///tmp/podium-cli-unused.db", "--default-country", "XX"],
            "--default-country",
        ),
        (
            &[
                "import",
                "products",
                "/no/such/products.csv",
                "--shop",
                "x",
                "--database-url",
                "sqlite:///tmp/podium-cli-unused.db",
            ],
            "cannot read /no/such/products.csv",
        ),
    ];
    for (args, expected) in cases {
        let (code, _, err) = run(args);
        assert_ne!(code, 0, "{args:?}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line, got {err:?}");
        assert!(lines[0].starts_with("podium: ") && lines[0].contains(expected), "{args:?}: {err}");
    }
    let (code, _, err) = run(&["serve", "--addr", "not-an-address", "--database-url", "sqlite://x.db"]);
    assert_eq!(code, 2, "clap refuses malformed flags");
    assert!(err.contains("invalid value 'not-an-address'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn import_fx_reads_ecb_files_and_refuses_bad_ones_whole() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("tmp");
    let xml = dir.path().join("eurofxref-daily.xml");
    std::fs::write(&xml, include_str!("fixtures/eurofxref-daily.xml")).expect("write");
    let (code, out, err) = run(&["import", "fx", xml.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "imported 30 rates for 30 currencies, dated 2026-11-27");

    let csv = dir.path().join("eurofxref-hist.csv");
    std::fs::write(&csv, include_str!("fixtures/eurofxref-hist.csv")).expect("write");
    let (code, out, err) = run(&["import", "fx", csv.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.trim() == "imported 11 rates for 4 currencies, dated 2026-11-25 to 2026-11-27; 4 cells were N/A; skipped retired currencies CYP", "{out}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "Date,USD,JPY\n2026-11-20,1.05,160\n2026-11-19,1.04,abc\n").expect("write");
    let (code, _, err) = run(&["import", "fx", bad.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_ne!(code, 0);
    assert!(err.contains("line 3") && err.contains("\"abc\""), "{err}");
    let on_20 = db.store.rates_on(time::macros::date!(2026 - 11 - 20)).await.expect("rates");
    assert!(
        on_20.iter().all(|r| r.date != time::macros::date!(2026 - 11 - 20)),
        "nothing from the bad file was stored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_trade_rules_checks_the_whole_file_and_refuses_bad_ones() {
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("rules.toml");
    std::fs::write(
        &bad,
        "[[country]]\ncode = \"XX\"\nvat_bp = 1900\nprices_include_tax = true\nduty_default_bp = 99999\n",
    )
    .expect("write");
    let (code, _, err) = run(&["import", "trade-rules", bad.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_ne!(code, 0);
    assert!(err.contains("line 2: country[1].code") && err.contains("line 5: country[1].duty_default_bp"), "{err}");
    assert!(err.trim_end().ends_with("2 problem(s); nothing was changed"), "{err}");
    assert!(db.store.latest_trade_rules().await.expect("read").is_none(), "nothing stored");
    let good = dir.path().join("default.toml");
    std::fs::write(&good, podium_app::trade_rules::DEFAULT_RULES).expect("write");
    let (code, out, err) = run(&["import", "trade-rules", good.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "imported trade rules for 12 countries (DE, FR, IT, ES, NL, GB, AU, US, JP, KR, CN, KE)");
    let (rules, source) = podium_app::trade_rules::current(db.store.as_ref()).await.expect("current");
    assert_eq!(rules, podium_domain::landed::default_rules());
    assert!(matches!(source, podium_app::trade_rules::RulesSource::Imported { .. }));
}

/// Quotes one Rocky Ridge hoodie delivered to `country` with the rules in force.
async fn hoodie_quote(store: &dyn Store, country: &str) -> podium_app::quote::Quote {
    use podium_app::quote::{quote, LineRequest, QuoteContext};
    let rates = podium_domain::RateTable::new(store.latest_rates().await.expect("rates"));
    let (rules, _) = podium_app::trade_rules::current(store).await.expect("rules");
    let cats = store.categories().await.expect("categories");
    let tree = podium_domain::catalogue::CategoryTree::new(cats.into_iter().map(|c| (c.slug, c.parent)));
    let ctx = QuoteContext {
        rates: &rates,
        rules: &rules,
        tree: &tree,
        at: time::OffsetDateTime::now_utc(),
        rounding: podium_app::display_rounding::DisplayRounding::none(),
    };
    let to = podium_domain::Country::parse(country).expect("country");
    let line = LineRequest { sku: "rocky-ridge:HOODIE-OH-S".into(), quantity: 1 };
    quote(store, to, to.default_currency(), &[line], &ctx).await.expect("quote")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_imported_rules_file_changes_the_next_quote_and_a_broken_one_changes_nothing() {
    use podium_domain::landed::Regime;
    let db = TestDb::demo(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("tmp");
    assert_eq!(hoodie_quote(db.store.as_ref(), "CA").await.consignments[0].cost.regime, Regime::Unmodelled);
    assert_eq!(hoodie_quote(db.store.as_ref(), "KE").await.consignments[0].cost.regime, Regime::Standard);
    // The operator adds Canada (5 % GST, 18 % on hoodies, no threshold) and gives Kenya a
    // 20,000 KES de minimis.
    // Kenya is the last country of the defaults, so a low-value table appended belongs to it.
    let mut text = podium_app::trade_rules::DEFAULT_RULES.to_string();
    text.push_str(
        "\n[[country.low_value]]\nfrom = \"2020-01-01\"\nthreshold = \"20000.00 KES\"\nkind = \"de_minimis\"\n",
    );
    text.push_str("\n[[country]]\ncode = \"CA\"\nvat_bp = 500\nprices_include_tax = false\nduty_default_bp = 800\n");
    text.push_str("duty = [ { hs = \"6110\", bp = 1800 } ]\n");
    let file = dir.path().join("custom.toml");
    std::fs::write(&file, &text).expect("write");
    let (code, out, err) = run(&["import", "trade-rules", file.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_eq!(code, 0, "{out}{err}");
    let ca = hoodie_quote(db.store.as_ref(), "CA").await;
    let c = &ca.consignments[0].cost;
    assert_eq!(c.regime, Regime::Standard);
    assert_eq!(c.duty.minor, (c.goods.minor * 1800 + 5000) / 10_000, "18 % duty on the hoodie");
    assert_eq!(hoodie_quote(db.store.as_ref(), "KE").await.consignments[0].cost.regime, Regime::DeMinimis);
    // A broken file is refused with line numbers and the custom rules stay in force.
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, text.replace("vat_bp = 500", "vat_bp = \"five\"")).expect("write");
    let (code, _, err) = run(&["import", "trade-rules", broken.to_str().expect("utf-8"), "--database-url", &db.url]);
    assert_ne!(code, 0);
    assert!(err.contains("line ") && err.contains("vat_bp") && err.contains("nothing was changed"), "{err}");
    assert_eq!(hoodie_quote(db.store.as_ref(), "CA").await.consignments[0].cost.regime, Regime::Standard);
}

fn wait_for_url(child: &mut std::process::Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("Podium is serving ") {
                    return rest.split_whitespace().next().expect("url").trim_end_matches('/').to_string();
                }
            }
            _ => break,
        }
    }
    panic!("podium did not report its address");
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_then_serve_on_a_new_postgres_database() {
    let db = TestDb::new(Backend::Postgres).await;
    let (code, out, err) = run(&["migrate", "--database-url", &db.url]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is migrated"));
    let mut server = Running::spawn(
        podium()
            .args(["serve", "--database-url", &db.url, "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(tempfile::tempdir().expect("tmp").path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )
    .expect("serve starts");
    let base = wait_for_url(&mut server);
    let get = |path: &str| {
        let url = format!("{base}{path}");
        async move { http_get(&url).await }
    };
    let (status, body) = get("/readyz").await;
    assert_eq!((status, body.contains("\"database\":\"postgres\"")), (200, true), "{body}");
    let (status, body) = get("/?lang=ko").await;
    assert_eq!(status, 200);
    assert!(body.contains("<html lang=\"ko\">"));
    let (status, _) = get("/metrics").await;
    assert_eq!(status, 200);
    // SIGTERM stops it cleanly.
    let pid = server.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.try_wait().expect("wait") {
            assert!(status.success(), "graceful shutdown exits 0, got {status}");
            break;
        }
        assert!(Instant::now() < deadline, "podium did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A minimal HTTP/1.1 GET over a raw socket (keeps the test free of an HTTP client dependency).
async fn http_get(url: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("http url");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut s = tokio::net::TcpStream::connect(host).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn reindex_rebuilds_the_search_index_from_the_database() {
    let db = TestDb::demo(Backend::Sqlite).await;
    let data = tempfile::tempdir().expect("tmp");
    let data_dir = data.path().to_str().expect("utf-8");
    let (code, out, err) = run(&["reindex", "--database-url", &db.url, "--data-dir", data_dir]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("indexed 231 products in "), "the approved demo products: {out}");
    assert!(data.path().join("search").join("meta.json").exists(), "the index lives in the data directory");
    // The marker a starting node checks names this database and format: it will not rebuild.
    let marker = std::fs::read_to_string(data.path().join("search-database")).expect("marker written");
    assert!(marker.contains(&format!("index-format {}", podium_search::INDEX_FORMAT)), "{marker}");
}

/// The shop's products in a comparable form (translation order is not part of the record's meaning).
async fn shop_state(store: &dyn Store, shop: &str) -> Vec<podium_app::catalogue::ProductRecord> {
    let mut all = podium_app::catalogue_csv::shop_products(store, shop).await.expect("products");
    for p in &mut all {
        p.translations.sort_by_key(|t| t.lang.tag());
    }
    all.sort_by(|a, b| a.handle.cmp(&b.handle));
    all
}

async fn csv_round_trip(backend: Backend) {
    let db = TestDb::demo(backend).await;
    let dir = tempfile::tempdir().expect("tmp");
    let first = dir.path().join("first.csv");
    let second = dir.path().join("second.csv");
    let export = |path: &std::path::Path| {
        run(&[
            "export",
            "products",
            "--shop",
            "hanok-threads",
            "--database-url",
            &db.url,
            "-o",
            path.to_str().expect("utf-8"),
        ])
    };
    let before = shop_state(db.store.as_ref(), "hanok-threads").await;
    assert!(before.len() >= 20, "the demo shop has a catalogue");
    let (code, _, err) = export(&first);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        "import",
        "products",
        first.to_str().expect("utf-8"),
        "--shop",
        "hanok-threads",
        "--database-url",
        &db.url,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("({} new", 0)) && out.contains(&format!("{} updated", before.len())), "{out}");
    let after = shop_state(db.store.as_ref(), "hanok-threads").await;
    assert_eq!(after, before, "export then import changes nothing");
    let (code, _, err) = export(&second);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&first).expect("read"), std::fs::read_to_string(&second).expect("read"));

    // A broken file: every bad row is named by its line, and nothing is imported.
    let text = std::fs::read_to_string(&first).expect("read");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let edit = |line: &mut String, column: usize, value: &str| {
        let mut rec: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(line.as_bytes())
            .records()
            .next()
            .expect("row")
            .expect("parses")
            .iter()
            .map(str::to_string)
            .collect();
        rec[column] = value.to_string();
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&rec).expect("write");
        *line = String::from_utf8(w.into_inner().expect("flush")).expect("utf-8").trim_end().to_string();
    };
    edit(&mut lines[1], col("Variant Price"), "twelve");
    edit(&mut lines[1], col("Title"), "Changed title that must not land");
    let third_product =
        lines.iter().enumerate().skip(2).find(|(_, l)| !l.split(',').nth(col("Property")).unwrap_or("").is_empty());
    let third = third_product.expect("another product row").0;
    edit(&mut lines[third], col("Property"), "no-such-games");
    let new_row = format!("brand-new-scarf{}", ",".repeat(header.len() - 1));
    lines.push(new_row);
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, lines.join("\n")).expect("write");
    let (code, _, err) = run(&[
        "import",
        "products",
        broken.to_str().expect("utf-8"),
        "--shop",
        "hanok-threads",
        "--database-url",
        &db.url,
    ]);
    assert_ne!(code, 0);
    assert!(err.contains("line 2: Variant Price \"twelve\" is not an amount in KRW"), "{err}");
    assert!(err.contains(&format!("line {}: Property \"no-such-games\" does not exist", third + 1)), "{err}");
    assert!(err.contains(&format!("line {}: ", lines.len())), "the new product's missing fields are reported: {err}");
    assert!(err.lines().last().unwrap_or("").starts_with("podium: ") && err.contains("nothing was changed"), "{err}");
    assert_eq!(shop_state(db.store.as_ref(), "hanok-threads").await, before, "a broken file changes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn product_csv_round_trips_and_broken_files_change_nothing_sqlite() {
    csv_round_trip(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn product_csv_round_trips_and_broken_files_change_nothing_postgres() {
    csv_round_trip(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_changes_are_made_from_the_command_line_and_audited() {
    let db = TestDb::demo(Backend::Postgres).await;
    let url = db.url.as_str();
    let (code, out, err) = run(&["roles", "add-member", "FAN@podium.example", "kumo-craft", "--database-url", url]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "fan@podium.example is now a member of Kumo Craft Tokyo");
    let (code, out, _) = run(&["roles", "operator", "fan@podium.example", "--database-url", url]);
    assert_eq!((code, out.trim()), (0, "fan@podium.example is now an operator"));
    let (code, _, err) = run(&["roles", "add-member", "nobody@podium.example", "kumo-craft", "--database-url", url]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no account uses nobody@podium.example"), "{err}");
    let fan = db.store.user_by_email("fan@podium.example").await.expect("read").expect("fan");
    assert!(fan.is_operator);
    assert!(db.store.memberships(&fan.id).await.expect("read").iter().any(|o| o.slug == "kumo-craft"));
    let operator = db.store.org_by_slug("podium-operations").await.expect("read").expect("operator org");
    let log = podium_app::licensing::LicensingStore::audit_log(db.store.as_ref(), &operator.id, 10).await.expect("log");
    let actions: Vec<(&str, &str, &str)> =
        log.iter().map(|r| (r.entry.action.as_str(), r.entry.subject.as_str(), r.entry.client.as_str())).collect();
    assert_eq!(
        actions,
        [("role.operator", "fan@podium.example", "cli"), ("role.member", "fan@podium.example", "cli")],
        "newest first, each from the command line"
    );
}
