//! A TOML document as a tree of values that each keep their byte span.
//!
//! `toml_edit` (the parser under `toml`) parses the file into a document that keeps every key's
//! and value's byte range (its public `span()`); that document becomes a tree whose every
//! value, at every depth, is a [`toml::Spanned`], so that validation, which runs after parsing,
//! can still point at the line the user wrote (the approach ruff takes with `toml::Spanned`).
//! Keys keep their file order.

use std::ops::Range;
use toml::Spanned;

/// A TOML value whose children carry spans.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    /// A TOML date or datetime, kept as the text the user wrote.
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Spanned<String>, Node)>),
}

/// A value with the byte range it occupies in the file.
pub type Node = Spanned<Value>;

impl Value {
    /// The name of this value's type, as used in "expected ..., found ..." messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A table's entries, keys and values spanned, in file order.
pub type Entries = Vec<(Spanned<String>, Node)>;

/// A value's span, or an empty one where the parser has none (the implicit table of a dotted
/// key such as `params.fast = ...`, or of `[a.b]` for `a`).
fn spanned<T>(span: Option<Range<usize>>, v: T) -> Spanned<T> {
    Spanned::new(span.unwrap_or(0..0), v)
}

fn item(i: &toml_edit::Item) -> Node {
    use toml_edit::Item;
    match i {
        Item::Value(v) => value(v),
        Item::Table(t) => spanned(t.span(), Value::Table(table(t.iter(), |k| t.key(k)))),
        Item::ArrayOfTables(a) => spanned(
            a.span(),
            Value::Array(
                a.iter()
                    .map(|t| spanned(t.span(), Value::Table(table(t.iter(), |k| t.key(k)))))
                    .collect(),
            ),
        ),
        // Not produced by parsing.
        Item::None => spanned(None, Value::Table(vec![])),
    }
}

fn value(v: &toml_edit::Value) -> Node {
    use toml_edit::Value as V;
    let inner = match v {
        V::String(s) => Value::String(s.value().clone()),
        V::Integer(i) => Value::Integer(*i.value()),
        V::Float(f) => Value::Float(*f.value()),
        V::Boolean(b) => Value::Boolean(*b.value()),
        V::Datetime(d) => Value::Datetime(d.value().to_string()),
        V::Array(a) => Value::Array(a.iter().map(value).collect()),
        V::InlineTable(t) => Value::Table(table(t.iter(), |k| t.key(k))),
    };
    spanned(v.span(), inner)
}

/// The entries of a table (or an inline table), in file order, each key with its span.
fn table<'a, V: Into<Entry<'a>>>(
    entries: impl Iterator<Item = (&'a str, V)>,
    key: impl Fn(&str) -> Option<&'a toml_edit::Key>,
) -> Entries {
    entries
        .map(|(k, v)| {
            let span = key(k).and_then(|k| k.span());
            let node = match v.into() {
                Entry::Item(i) => item(i),
                Entry::Value(v) => value(v),
            };
            (spanned(span, k.to_owned()), node)
        })
        .collect()
}

/// What a table's entry holds: an item (a table's entries) or a value (an inline table's).
enum Entry<'a> {
    Item(&'a toml_edit::Item),
    Value(&'a toml_edit::Value),
}

impl<'a> From<&'a toml_edit::Item> for Entry<'a> {
    fn from(i: &'a toml_edit::Item) -> Self {
        Entry::Item(i)
    }
}

impl<'a> From<&'a toml_edit::Value> for Entry<'a> {
    fn from(v: &'a toml_edit::Value) -> Self {
        Entry::Value(v)
    }
}

/// Parses a whole document. A syntax error is returned with its message and byte span.
pub fn parse_document(text: &str) -> Result<Entries, (String, Option<Range<usize>>)> {
    match toml_edit::ImDocument::parse(text) {
        Ok(doc) => {
            let root = doc.as_table();
            Ok(table(root.iter(), |k| root.key(k)))
        }
        Err(e) => Err((e.message().to_owned(), e.span())),
    }
}

/// Parses a whole document from `path`; a syntax error becomes a diagnostic with its line and
/// column (strategy, baseline and event files all come through here).
pub fn parse_file(path: &std::path::Path, text: &str) -> crate::error::Result<Entries> {
    parse_document(text).map_err(|(msg, span)| {
        let msg = format!("invalid TOML: {}", msg.trim());
        crate::error::Error::input(match span {
            Some(span) => crate::error::SourceFile::new(path, text).at(span.start, msg),
            None => crate::error::Diagnostic::new(path, msg),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_spans_and_order_at_depth() {
        let text = "b = 1\na = { x = \"s\", y = [1.5, true] }\n[t]\nd = 1927-01-01\n";
        let doc = parse_document(text).unwrap();
        let keys: Vec<_> = doc.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(keys, ["b", "a", "t"]);
        let Value::Table(inner) = doc[1].1.get_ref() else {
            panic!()
        };
        let (k, v) = &inner[1];
        assert_eq!(k.get_ref(), "y");
        assert_eq!(&text[v.span()], "[1.5, true]");
        let Value::Table(t) = doc[2].1.get_ref() else {
            panic!()
        };
        assert_eq!(t[0].1.get_ref(), &Value::Datetime("1927-01-01".into()));
        assert_eq!(&text[t[0].1.span()], "1927-01-01");
    }

    #[test]
    fn syntax_error_has_span() {
        let err = parse_document("a = \n").unwrap_err();
        assert!(err.1.is_some());
    }
}
