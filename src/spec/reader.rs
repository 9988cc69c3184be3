//! A reader over spanned TOML tables that collects every problem instead of stopping at the
//! first: typed getters record a diagnostic (file, line, column, key, what was expected) and
//! `finish` reports keys nobody asked for. Used for strategy files and baselines.

use super::value::{Node, Value};
use crate::date::{self, Date};
use crate::error::{Diagnostics, SourceFile};
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

// ---------------------------------------------------------------------------------------------
// A small reader over spanned tables that collects every problem.

pub(crate) struct Cx<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub diags: Diagnostics,
}

impl Cx<'_> {
    pub fn err(&mut self, span: &Range<usize>, key: &str, message: impl Into<String>) {
        let d = SourceFile::new(self.path, self.text).diag(span.start, key, message);
        self.diags.push(d);
    }
}

pub(crate) struct Table<'a> {
    prefix: String,
    pub entries: &'a [(Spanned<String>, Node)],
    used: Vec<bool>,
    pub span: Range<usize>,
}

pub(crate) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

impl<'a> Table<'a> {
    pub fn new(prefix: &str, entries: &'a [(Spanned<String>, Node)], span: Range<usize>) -> Self {
        Table {
            prefix: prefix.to_owned(),
            entries,
            used: vec![false; entries.len()],
            span,
        }
    }

    pub fn path(&self, key: &str) -> String {
        join(&self.prefix, key)
    }

    pub fn get(&mut self, key: &str) -> Option<&'a Node> {
        let i = self.entries.iter().position(|(k, _)| k.get_ref() == key)?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    /// Reports every key that was never asked for.
    pub fn finish(self, cx: &mut Cx, allowed: &[&str]) {
        for (i, (k, _)) in self.entries.iter().enumerate() {
            if !self.used[i] {
                let hint = suggest(k.get_ref(), allowed)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                cx.err(
                    &k.span(),
                    &self.path(k.get_ref()),
                    format!("unknown key{hint}; expected one of: {}", allowed.join(", ")),
                );
            }
        }
    }

    pub fn string(&mut self, cx: &mut Cx, key: &str) -> Option<(String, Range<usize>)> {
        let node = self.get(key)?;
        match node.get_ref() {
            Value::String(s) => Some((s.clone(), node.span())),
            other => {
                cx.err(
                    &node.span(),
                    &self.path(key),
                    format!("expected a string, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn req_string(&mut self, cx: &mut Cx, key: &str) -> Option<(String, Range<usize>)> {
        if self.entries.iter().all(|(k, _)| k.get_ref() != key) {
            let span = self.span.clone();
            cx.err(
                &span,
                &self.path(key),
                "missing required key (expected a string)",
            );
            return None;
        }
        self.string(cx, key)
    }

    pub fn number(&mut self, cx: &mut Cx, key: &str) -> Option<(f64, Range<usize>)> {
        let node = self.get(key)?;
        number_of(cx, node, &self.path(key)).map(|v| (v, node.span()))
    }

    pub fn non_negative(&mut self, cx: &mut Cx, key: &str, default: f64) -> f64 {
        match self.number(cx, key) {
            Some((v, span)) if v < 0.0 => {
                cx.err(
                    &span,
                    &self.path(key),
                    format!("expected a number >= 0, found {v}"),
                );
                default
            }
            Some((v, _)) => v,
            None => default,
        }
    }

    /// An integer from `min` to `max` (every size a user sets has a bound, checked here where it
    /// is read, so no later arithmetic or allocation can overflow).
    pub fn integer(
        &mut self,
        cx: &mut Cx,
        key: &str,
        min: i64,
        max: i64,
    ) -> Option<(i64, Range<usize>)> {
        let node = self.get(key)?;
        let expected = if max == i64::MAX {
            format!("expected an integer >= {min}")
        } else {
            format!("expected an integer from {min} to {max}")
        };
        match node.get_ref() {
            Value::Integer(i) if (min..=max).contains(i) => Some((*i, node.span())),
            Value::Integer(i) => {
                cx.err(
                    &node.span(),
                    &self.path(key),
                    format!("{expected}, found {i}"),
                );
                None
            }
            other => {
                cx.err(
                    &node.span(),
                    &self.path(key),
                    format!("{expected}, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn boolean(&mut self, cx: &mut Cx, key: &str) -> Option<(bool, Range<usize>)> {
        let node = self.get(key)?;
        match node.get_ref() {
            Value::Boolean(b) => Some((*b, node.span())),
            other => {
                cx.err(
                    &node.span(),
                    &self.path(key),
                    format!("expected true or false, found {}", other.type_name()),
                );
                None
            }
        }
    }

    pub fn date(&mut self, cx: &mut Cx, key: &str) -> Option<Date> {
        let node = self.get(key)?;
        let text = match node.get_ref() {
            Value::String(s) | Value::Datetime(s) => s.clone(),
            other => {
                cx.err(
                    &node.span(),
                    &self.path(key),
                    format!("expected a date YYYY-MM-DD, found {}", other.type_name()),
                );
                return None;
            }
        };
        match date::parse(&text) {
            Some(d) => Some(d),
            None => {
                cx.err(
                    &node.span(),
                    &self.path(key),
                    format!("expected a date YYYY-MM-DD, found \"{text}\""),
                );
                None
            }
        }
    }

    /// Every entry of this table as (key, string); an entry of another type is an error saying
    /// `what` was expected (`"a sha256 string"`).
    pub fn strings(&self, cx: &mut Cx, what: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, node) in self.entries {
            match node.get_ref() {
                Value::String(v) => out.push((k.get_ref().clone(), v.clone())),
                other => cx.err(
                    &node.span(),
                    &self.path(k.get_ref()),
                    format!("expected {what}, found {}", other.type_name()),
                ),
            }
        }
        out
    }

    pub fn table(&mut self, cx: &mut Cx, key: &str) -> Option<Table<'a>> {
        let node = self.get(key)?;
        let path = self.path(key);
        table_of(cx, node, &path)
    }

    /// A string that must be one of `choices` (spelling, value); returns its value.
    pub fn choice<T: Copy>(&mut self, cx: &mut Cx, key: &str, choices: &[(&str, T)]) -> Option<T> {
        let (s, span) = self.string(cx, key)?;
        match choices.iter().find(|(c, _)| *c == s) {
            Some((_, v)) => Some(*v),
            None => {
                let names: Vec<&str> = choices.iter().map(|(c, _)| *c).collect();
                cx.err(
                    &span,
                    &self.path(key),
                    format!("expected one of {}, found \"{s}\"", quoted(&names)),
                );
                None
            }
        }
    }
}

pub(crate) fn quoted(choices: &[&str]) -> String {
    choices
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn number_of(cx: &mut Cx, node: &Node, path: &str) -> Option<f64> {
    match node.get_ref() {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) if f.is_finite() => Some(*f),
        Value::Float(f) => {
            cx.err(
                &node.span(),
                path,
                format!("expected a finite number, found {f}"),
            );
            None
        }
        other => {
            cx.err(
                &node.span(),
                path,
                format!("expected a number, found {}", other.type_name()),
            );
            None
        }
    }
}

pub(crate) fn table_of<'a>(cx: &mut Cx, node: &'a Node, path: &str) -> Option<Table<'a>> {
    match node.get_ref() {
        Value::Table(entries) => Some(Table::new(path, entries, node.span())),
        other => {
            cx.err(
                &node.span(),
                path,
                format!("expected a table, found {}", other.type_name()),
            );
            None
        }
    }
}

/// The closest allowed key, for "did you mean" hints (edit distance at most 2).
pub(crate) fn suggest<'b>(key: &str, allowed: &[&'b str]) -> Option<&'b str> {
    allowed
        .iter()
        .map(|a| (levenshtein(key, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Names usable in expressions and weight tables.
pub(crate) fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
