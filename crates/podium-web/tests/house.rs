//! The house rules of Podium's source, checked on every test run:
//! - in `podium-web`, an area (`api`, `storefront`, `checkout`, `account`, and each folder or file
//!   directly under `console/`) never imports another area, and `kit` imports no area;
//! - `podium-web` neither depends on nor names `podium-search` or `podium-store` (only its tests may);
//! - `podium-web` reads the time from the `Clock`, never from `now_utc()`;
//! - no source file in the workspace passes 600 lines (a trailing `#[cfg(test)]` module aside).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn web_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The area a module path (`["console", "shop", "orders"]`) belongs to; `None` for the crate's
/// frame (`lib.rs`, `routes`, `server`, …) that every area may use.
fn area_of(path: &[&str]) -> Option<String> {
    match path {
        [] => None,
        ["console", sub, ..] => Some(format!("console::{sub}")),
        ["console"] => None,
        [top, ..] if ["kit", "api", "storefront", "checkout", "account", "mail"].contains(top) => Some(top.to_string()),
        _ => None,
    }
}

/// The module path of a file under `src/` (`console/shop/orders.rs` → console, shop, orders).
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(web_src()).expect("under src");
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// Every `crate::a::b` path a source names (in `use` lines, grouped imports and inline paths).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if rest.starts_with('{') {
            // `use crate::{a::b, c}`: each first segment.
            let inner = &rest[1..rest.find('}').unwrap_or(rest.len())];
            for item in inner.split(',') {
                let segs: Vec<String> = item.trim().split("::").map(|s| s.trim().to_string()).collect();
                if !segs[0].is_empty() {
                    out.push(segs);
                }
            }
            continue;
        }
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
        out.push(rest[..end].split("::").filter(|s| !s.is_empty()).map(str::to_string).collect());
    }
    out
}

#[test]
fn areas_of_the_web_layer_never_import_one_another() {
    let mut files = Vec::new();
    rust_files(&web_src(), &mut files);
    assert!(files.len() > 20, "found the web sources");
    let mut broken = BTreeSet::new();
    for file in &files {
        let module = module_of(file);
        let module: Vec<&str> = module.iter().map(String::as_str).collect();
        let Some(own) = area_of(&module) else { continue };
        let text = std::fs::read_to_string(file).expect("readable");
        for path in crate_paths(&text) {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some(theirs) = area_of(&path) else { continue };
            let allowed = theirs == own || (theirs == "kit" && own != "kit");
            if !allowed {
                broken.insert(format!("{} ({own}) imports crate::{} ({theirs})", file.display(), path.join("::")));
            }
        }
    }
    assert!(broken.is_empty(), "areas import one another:\n{}", broken.into_iter().collect::<Vec<_>>().join("\n"));
}

#[test]
fn the_web_layer_leaves_search_and_storage_to_the_ports() {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).expect("manifest");
    let normal = manifest.split("[dev-dependencies]").next().unwrap_or_default();
    for forbidden in ["podium-search", "podium-store"] {
        assert!(!normal.contains(forbidden), "podium-web depends on {forbidden} outside dev-dependencies");
    }
    let mut files = Vec::new();
    rust_files(&web_src(), &mut files);
    let mut named = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        for forbidden in ["podium_search", "podium_store", "now_utc()"] {
            if text.contains(forbidden) {
                named.push(format!("{} names {forbidden}", file.display()));
            }
        }
    }
    assert!(named.is_empty(), "{}", named.join("\n"));
}

#[test]
fn no_source_file_passes_six_hundred_lines() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates folder");
    let mut files = Vec::new();
    for c in std::fs::read_dir(crates).expect("crates").flatten() {
        rust_files(&c.path().join("src"), &mut files);
    }
    assert!(files.len() > 100, "found the workspace's sources");
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            // A trailing unit-test module is test code, not the file's own size.
            let code = text.split("\n#[cfg(test)]\nmod tests {").next().unwrap_or(&text);
            let n = code.lines().count();
            (n > MAX_LINES).then(|| format!("{} has {n} lines", f.display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "source files over {MAX_LINES} lines:\n{}", long.join("\n"));
}
