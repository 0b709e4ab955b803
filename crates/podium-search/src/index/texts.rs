//! Each product's id, slug and titles, packed end to end in an arena of 1 MiB chunks: one
//! entry of a few hundred bytes per product instead of a dozen heap strings, up to a byte
//! budget. A product beyond the budget keeps no entry; its page hits read these texts from
//! the index's stored document instead (`SearchIndex::fill_texts`).

use podium_domain::Lang;
use tantivy::schema::Value;
use tantivy::{TantivyDocument, Term};

use crate::index::{decode_summary, key_of, SearchError, SearchIndex, Summary};

/// Where an entry starts: chunk number × [`CHUNK`] + offset in the chunk.
pub(crate) type At = u32;
/// No entry: the product's texts are read from its stored document.
pub(crate) const NONE: At = u32::MAX;
const CHUNK: usize = 1 << 20;

/// The texts of one product, as a hit needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) id: String,
    pub(crate) slug: String,
    pub(crate) titles: Vec<(Lang, String)>,
    pub(crate) fallback: Lang,
}

pub(crate) struct Texts {
    chunks: Vec<Vec<u8>>,
    /// Bytes held by entries that were replaced or removed since the last compaction.
    dead: usize,
    budget: usize,
}

impl Default for Texts {
    fn default() -> Self {
        Texts::with_budget(crate::index::TEXT_BUDGET)
    }
}

fn lang_index(l: Lang) -> u8 {
    Lang::ALL.iter().position(|x| *x == l).unwrap_or(0) as u8
}

fn put_len(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take_len(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut n = 0usize;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// A UUID in its lowercase hyphenated form (Podium's ids) as 16 bytes; `None` for anything
/// that would not print back identically.
fn uuid_bytes(id: &str) -> Option<[u8; 16]> {
    let b = id.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|i| b[*i] != b'-') {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b.iter().filter(|c| **c != b'-');
    for byte in &mut out {
        let mut v = 0u8;
        for _ in 0..2 {
            let d = match *digits.next()? {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                _ => return None,
            };
            v = v << 4 | d;
        }
        *byte = v;
    }
    Some(out)
}

fn uuid_string(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push(HEX[usize::from(b & 15)] as char);
    }
    s
}

/// The encoded entry: a flags byte (fallback language, whether the id is a packed UUID), the
/// title count and languages, the lengths, then the bytes.
fn encode(e: &Entry) -> Vec<u8> {
    let uuid = uuid_bytes(&e.id);
    let text: usize = e.slug.len() + e.titles.iter().map(|t| t.1.len()).sum::<usize>();
    let mut out = Vec::with_capacity(12 + e.titles.len() * 3 + e.id.len() + text);
    out.push(lang_index(e.fallback) | if uuid.is_some() { 0x80 } else { 0 });
    out.push(e.titles.len().min(255) as u8);
    for (l, _) in e.titles.iter().take(255) {
        out.push(lang_index(*l));
    }
    if uuid.is_none() {
        put_len(&mut out, e.id.len());
    }
    put_len(&mut out, e.slug.len());
    for (_, t) in e.titles.iter().take(255) {
        put_len(&mut out, t.len());
    }
    match uuid {
        Some(u) => out.extend_from_slice(&u),
        None => out.extend_from_slice(e.id.as_bytes()),
    }
    out.extend_from_slice(e.slug.as_bytes());
    for (_, t) in e.titles.iter().take(255) {
        out.extend_from_slice(t.as_bytes());
    }
    out
}

/// The entry at the start of `bytes`, and its length.
fn decode(bytes: &[u8]) -> Option<(Entry, usize)> {
    let flags = *bytes.first()?;
    let n = usize::from(*bytes.get(1)?);
    let langs = bytes.get(2..2 + n)?;
    let mut at = 2 + n;
    let id_len = if flags & 0x80 != 0 { 16 } else { take_len(bytes, &mut at)? };
    let slug_len = take_len(bytes, &mut at)?;
    let mut title_lens = [0usize; 255];
    for len in title_lens.iter_mut().take(n) {
        *len = take_len(bytes, &mut at)?;
    }
    let mut field = |len: usize| -> Option<&[u8]> {
        let b = bytes.get(at..at + len)?;
        at += len;
        Some(b)
    };
    let id_bytes = field(id_len)?;
    let id = if flags & 0x80 != 0 { uuid_string(id_bytes) } else { String::from_utf8(id_bytes.to_vec()).ok()? };
    let slug = String::from_utf8(field(slug_len)?.to_vec()).ok()?;
    let mut titles = Vec::with_capacity(n);
    for (l, len) in langs.iter().zip(title_lens) {
        let lang = *Lang::ALL.get(usize::from(*l))?;
        titles.push((lang, String::from_utf8(field(len)?.to_vec()).ok()?));
    }
    let fallback = *Lang::ALL.get(usize::from(flags & 0x7))?;
    Some((Entry { id, slug, titles, fallback }, at))
}

impl Texts {
    pub(crate) fn with_budget(budget: usize) -> Texts {
        Texts { chunks: Vec::new(), dead: 0, budget }
    }

    /// Bytes held, live and dead.
    pub(crate) fn bytes(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// Stores an entry, or returns [`NONE`] when it would pass the budget.
    pub(crate) fn put(&mut self, e: &Entry) -> At {
        let bytes = encode(e);
        if bytes.len() > CHUNK || self.bytes() - self.dead + bytes.len() > self.budget {
            return NONE;
        }
        let fits = self.chunks.last().is_some_and(|c| c.len() + bytes.len() <= CHUNK);
        if !fits {
            if self.chunks.len() >= (NONE as usize) / CHUNK {
                return NONE;
            }
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let n = self.chunks.len() - 1;
        let chunk = &mut self.chunks[n];
        let at = (n * CHUNK + chunk.len()) as At;
        chunk.extend_from_slice(&bytes);
        at
    }

    pub(crate) fn get(&self, at: At) -> Option<Entry> {
        if at == NONE {
            return None;
        }
        let (chunk, offset) = (at as usize / CHUNK, at as usize % CHUNK);
        decode(self.chunks.get(chunk)?.get(offset..)?).map(|(e, _)| e)
    }

    /// Marks the entry at `at` as no longer used; its bytes are reclaimed by [`Self::compact`].
    pub(crate) fn forget(&mut self, at: At) {
        if at == NONE {
            return;
        }
        let (chunk, offset) = (at as usize / CHUNK, at as usize % CHUNK);
        if let Some((_, len)) = self.chunks.get(chunk).and_then(|c| c.get(offset..)).and_then(decode) {
            self.dead += len;
        }
    }

    /// Whether enough of the arena is dead to be worth [`Self::compact`]: half of it, or a
    /// chunk's worth once it holds more than its budget, so it never holds more than the
    /// budget and a chunk.
    pub(crate) fn wasteful(&self) -> bool {
        let bytes = self.bytes();
        self.dead > CHUNK && (self.dead * 2 > bytes || bytes > self.budget)
    }

    /// Rewrites the live entries (those `ats` point at) into fresh chunks, updating `ats`.
    pub(crate) fn compact(&mut self, ats: &mut [At]) {
        let old = std::mem::take(&mut self.chunks);
        self.dead = 0;
        for at in ats.iter_mut().filter(|a| **a != NONE) {
            let (chunk, offset) = (*at as usize / CHUNK, *at as usize % CHUNK);
            *at = match old.get(chunk).and_then(|c| c.get(offset..)).and_then(decode) {
                Some((e, _)) => self.put(&e),
                None => NONE,
            };
        }
    }
}

impl SearchIndex {
    /// Reads the id, slug and titles of the hits at the given positions (with their product
    /// keys) from their stored documents: each key's live document found in the term
    /// dictionary of each segment (a lookup, not a walk of the dictionary as a term-set query
    /// makes, which at a million keys cost a millisecond a page), then read.
    pub(crate) fn fill_texts(&self, hits: &mut [Summary], missing: &[(usize, u64)]) -> Result<(), SearchError> {
        use tantivy::{DocSet, TERMINATED};
        let searcher = self.reader.searcher();
        let mut dictionaries = Vec::with_capacity(searcher.segment_readers().len());
        for segment in searcher.segment_readers() {
            dictionaries.push((segment.inverted_index(self.fields.key)?, segment.alive_bitset()));
        }
        for (i, key) in missing {
            let term = Term::from_field_u64(self.fields.key, *key);
            // A changed product has deleted documents in older segments and one live document.
            let mut live = None;
            for (ord, (keys, alive)) in dictionaries.iter().enumerate() {
                let postings = keys
                    .read_postings(&term, tantivy::schema::IndexRecordOption::Basic)
                    .map_err(|e| SearchError::Directory(e.to_string()))?;
                let Some(mut postings) = postings else { continue };
                let mut doc = postings.doc();
                while doc != TERMINATED && alive.is_some_and(|a| a.is_deleted(doc)) {
                    doc = postings.advance();
                }
                if doc != TERMINATED {
                    live = Some(tantivy::DocAddress::new(ord as u32, doc));
                    break;
                }
            }
            let Some(address) = live else { continue };
            let stored: TantivyDocument = searcher.doc(address)?;
            let Some((stored, _)) =
                stored.get_first(self.fields.summary).and_then(|v| v.as_str()).and_then(decode_summary)
            else {
                continue;
            };
            if let Some(hit) = hits.get_mut(*i).filter(|_| key_of(&stored.id) == *key) {
                hit.id = stored.id;
                hit.slug = stored.slug;
                hit.titles = stored.titles;
                hit.fallback = stored.fallback;
            }
        }
        Ok(())
    }

    /// The hits with their texts filled in; a hit whose document went away meanwhile (the
    /// product was removed between the two reads) is left out rather than shown without a
    /// name or link.
    pub(crate) fn filled(&self, mut hits: Vec<Summary>, missing: &[(usize, u64)]) -> Result<Vec<Summary>, SearchError> {
        if !missing.is_empty() {
            self.fill_texts(&mut hits, missing)?;
            hits.retain(|h| !h.id.is_empty());
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: usize) -> Entry {
        Entry {
            id: if n.is_multiple_of(2) { format!("0190a3b2-7c4d-7e8f-9a0b-{n:012x}") } else { format!("legacy-{n}") },
            slug: format!("kumo-craft-snowflake-tee-{n:04}"),
            titles: vec![(Lang::En, format!("Snowflake tee {n:04}")), (Lang::Ja, format!("雪の結晶Tシャツ {n:04}"))],
            fallback: if n.is_multiple_of(3) { Lang::Ja } else { Lang::En },
        }
    }

    #[test]
    fn entries_read_back_as_they_were_put() {
        let mut t = Texts::default();
        let ats: Vec<At> = (0..1000).map(|n| t.put(&entry(n))).collect();
        for (n, at) in ats.iter().enumerate() {
            assert_eq!(t.get(*at), Some(entry(n)));
        }
        let odd = Entry { id: "0190A3B2-7C4D-7E8F-9A0B-000000000001".into(), titles: vec![], ..entry(2) };
        let at = t.put(&odd);
        assert_eq!(t.get(at), Some(odd), "an id that is not lowercase is kept as written");
    }

    #[test]
    fn a_uuid_id_takes_sixteen_bytes() {
        let e = entry(0);
        let mut plain = e.clone();
        plain.id = "x".repeat(36);
        assert_eq!(encode(&plain).len() - encode(&e).len(), 36 + 1 - 16);
    }

    #[test]
    fn the_budget_is_kept_and_compaction_reclaims_dead_entries() {
        let one = encode(&entry(0)).len();
        let mut t = Texts::with_budget(one * 10);
        let mut ats: Vec<At> = (0..10).map(|n| t.put(&entry(n * 2))).collect();
        assert!(ats.iter().all(|a| *a != NONE));
        assert_eq!(t.put(&entry(100)), NONE, "past the budget nothing is stored");
        t.forget(ats[3]);
        ats[3] = t.put(&entry(6));
        assert_ne!(ats[3], NONE, "a forgotten entry frees its share of the budget");
        t.compact(&mut ats);
        assert_eq!(t.bytes(), one * 10);
        for (n, at) in ats.iter().enumerate() {
            assert_eq!(t.get(*at), Some(entry(n * 2)));
        }
    }

    #[test]
    fn replacing_entries_again_and_again_keeps_the_arena_near_its_budget() {
        let budget = 4 * CHUNK;
        let mut t = Texts::with_budget(budget);
        let mut ats: Vec<At> = (0..40_000).map(|n| t.put(&entry(n))).collect();
        assert!(ats.iter().all(|a| *a != NONE), "{} bytes", t.bytes());
        for round in 0..4 {
            // As the catalogue does: compaction moves entries, so each is read from `ats` anew.
            let mut n = 0;
            while n < ats.len() {
                t.forget(ats[n]);
                ats[n] = t.put(&entry(n));
                if t.wasteful() {
                    t.compact(&mut ats);
                }
                assert!(t.bytes() <= budget + 2 * CHUNK, "round {round}: {} bytes", t.bytes());
                n += 1;
            }
        }
        assert!(ats.iter().enumerate().all(|(n, at)| t.get(*at) == Some(entry(n))));
    }

    #[test]
    fn entries_fill_chunks_without_spanning_them() {
        let mut t = Texts::with_budget(usize::MAX);
        let big = Entry { slug: "s".repeat(CHUNK / 2), ..entry(0) };
        let ats: Vec<At> = (0..3).map(|_| t.put(&big)).collect();
        assert_eq!(ats, [0, CHUNK as At, 2 * CHUNK as At], "two halves and a bit do not share a chunk");
        assert!(ats.iter().all(|a| t.get(*a).as_ref() == Some(&big)));
    }
}
