//! Statements sent together. A SQLite connection runs on a thread of its own, and every
//! statement is a round trip to it: two thread switches, which cost more than the statement
//! itself when the pages it touches are in memory. A [`Chain`] of statements whose outcome the
//! caller needs no answer from in between goes as one command on SQLite (its `$n` parameters
//! renumbered into one argument list, which SQLite's driver binds statement by statement); on
//! PostgreSQL, whose server takes one statement per prepared query, they run one after another.
//!
//! [`RunChain::fetch_chain`] does the same for reads: each statement's rows come back as a list
//! of their own.
//!
//! sqlx 0.8 marks several statements in one prepared query as deprecated (only its SQLite driver
//! runs them); should a later version drop them, the SQLite side runs the parts one by one as
//! the PostgreSQL side does, and only the speed changes.

use std::borrow::Cow;
use std::fmt::Write as _;

use futures_util::TryStreamExt;
use sqlx::{Either, PgConnection, SqliteConnection};

/// One parameter of a chained statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_string()))
    }
}

impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(Some(v.clone()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(v))
    }
}

impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Self {
        Value::Text(v.map(str::to_string))
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Self {
        Value::Text(v.clone())
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

struct Part {
    sql: Cow<'static, str>,
    first: usize,
    count: usize,
}

/// Statements to run in order in one round trip (on SQLite).
#[derive(Default)]
pub(crate) struct Chain {
    parts: Vec<Part>,
    values: Vec<Value>,
}

impl Chain {
    pub(crate) fn new() -> Self {
        Chain::default()
    }

    /// Appends a statement whose parameters are `$1` … `$n`, `values` in that order.
    pub(crate) fn push(&mut self, sql: impl Into<Cow<'static, str>>, values: impl IntoIterator<Item = Value>) {
        let first = self.values.len();
        self.values.extend(values);
        self.parts.push(Part { sql: sql.into(), first, count: self.values.len() - first });
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The statements as one SQLite command: each `$k` becomes `$(k + first)`.
    fn joined(&self) -> String {
        let mut out = String::with_capacity(self.parts.iter().map(|p| p.sql.len() + 8).sum());
        for part in &self.parts {
            renumber(&part.sql, part.first, &mut out);
            out.push_str(";\n");
        }
        out
    }
}

/// Copies `sql` to `out` with every parameter `$k` moved up by `offset`.
fn renumber(sql: &str, offset: usize, out: &mut String) {
    if offset == 0 {
        out.push_str(sql);
        return;
    }
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(k) if digits > 0 => {
                let _ = write!(out, "{}", k + offset);
                rest = &rest[digits..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
}

/// A connection that runs a [`Chain`].
pub(crate) trait RunChain {
    type Row: sqlx::Row;
    /// Runs every statement; the rows they changed, all told (count only from a chain of
    /// INSERT, UPDATE and DELETE: SQLite repeats the last figure for any other statement).
    async fn run_chain(&mut self, chain: &Chain) -> Result<u64, sqlx::Error>;
    /// Runs every statement (each a query); each one's rows, in order.
    async fn fetch_chain(&mut self, chain: &Chain) -> Result<Vec<Vec<Self::Row>>, sqlx::Error>;
}

macro_rules! bind_all {
    ($q:expr, $values:expr) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                Value::Text(t) => q.bind(t.as_deref()),
                Value::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

impl RunChain for SqliteConnection {
    type Row = sqlx::sqlite::SqliteRow;

    async fn run_chain(&mut self, chain: &Chain) -> Result<u64, sqlx::Error> {
        if chain.is_empty() {
            return Ok(0);
        }
        let sql = chain.joined();
        let done = bind_all!(sqlx::query(&sql), &chain.values).execute(&mut *self).await?;
        Ok(done.rows_affected())
    }

    // `fetch_many` is how a query of several statements reads each one's rows (see above).
    #[allow(deprecated)]
    async fn fetch_chain(&mut self, chain: &Chain) -> Result<Vec<Vec<Self::Row>>, sqlx::Error> {
        let mut out = Vec::with_capacity(chain.parts.len());
        if chain.is_empty() {
            return Ok(out);
        }
        let sql = chain.joined();
        let mut current = Vec::new();
        let mut stream = bind_all!(sqlx::query(&sql), &chain.values).fetch_many(&mut *self);
        while let Some(step) = stream.try_next().await? {
            match step {
                Either::Right(row) => current.push(row),
                Either::Left(_) => out.push(std::mem::take(&mut current)),
            }
        }
        Ok(out)
    }
}

impl RunChain for PgConnection {
    type Row = sqlx::postgres::PgRow;

    async fn run_chain(&mut self, chain: &Chain) -> Result<u64, sqlx::Error> {
        let mut changed = 0;
        for part in &chain.parts {
            let values = &chain.values[part.first..part.first + part.count];
            changed += bind_all!(sqlx::query(&part.sql), values).execute(&mut *self).await?.rows_affected();
        }
        Ok(changed)
    }

    async fn fetch_chain(&mut self, chain: &Chain) -> Result<Vec<Vec<Self::Row>>, sqlx::Error> {
        let mut out = Vec::with_capacity(chain.parts.len());
        for part in &chain.parts {
            let values = &chain.values[part.first..part.first + part.count];
            out.push(bind_all!(sqlx::query(&part.sql), values).fetch_all(&mut *self).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_moved_past_the_statements_before() {
        let mut out = String::new();
        renumber("INSERT INTO t (a, b) VALUES ($1, $2) -- $ alone, $x", 3, &mut out);
        assert_eq!(out, "INSERT INTO t (a, b) VALUES ($4, $5) -- $ alone, $x");
        let mut chain = Chain::new();
        chain.push("UPDATE a SET x = $2 WHERE id = $1", [Value::from("a"), Value::from(1)]);
        chain.push("DELETE FROM b WHERE id = $1 AND n = $1", [Value::from("b")]);
        assert_eq!(chain.joined(), "UPDATE a SET x = $2 WHERE id = $1;\nDELETE FROM b WHERE id = $3 AND n = $3;\n");
    }
}
