//! A TOML document as a tree of values that each keep their byte span.
//!
//! serde + toml parse the file; every value, at every depth, is wrapped in
//! [`serde_spanned::Spanned`] so that validation, which runs after parsing, can still point at the
//! line the user wrote (the approach ruff takes with `toml::Spanned`). Keys keep their file order.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;
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

/// The name toml uses to hand a datetime through serde.
const DATETIME_FIELD: &str = "$__toml_private_datetime";

// The protocol between toml and serde_spanned (serde_spanned 0.6 `__unstable`): a spanned value
// is a struct with these fields. Keys are read through it so that a key with no span (the
// datetime marker above) can be read too.
const SPANNED: &str = "$__serde_spanned_private_Spanned";
const START: &str = "$__serde_spanned_private_start";
const END: &str = "$__serde_spanned_private_end";
const VALUE: &str = "$__serde_spanned_private_value";

/// A table key with its span (an empty span when the deserializer has none).
struct Key(Spanned<String>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct K;
        impl<'de> Visitor<'de> for K {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(Spanned::new(0..0, v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Key, A::Error> {
                let (mut start, mut end, mut value) = (0usize, 0usize, None);
                while let Some(field) = map.next_key::<String>()? {
                    match field.as_str() {
                        START => start = map.next_value()?,
                        END => end = map.next_value()?,
                        VALUE => value = Some(map.next_value::<String>()?),
                        _ => return Err(de::Error::custom("unexpected field in a spanned key")),
                    }
                }
                let value =
                    value.ok_or_else(|| de::Error::custom("a spanned key without its value"))?;
                Ok(Key(Spanned::new(start..end, value)))
            }
        }
        deserializer.deserialize_struct(SPANNED, &[START, END, VALUE], K)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Boolean(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::Integer(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                i64::try_from(v)
                    .map(Value::Integer)
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(Value::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Value, E> {
                Ok(Value::String(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
                seq_value(seq)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
                let first = map.next_key::<Key>()?;
                table_value(first, map)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A table's entries, keys and values spanned, in file order.
pub type Entries = Vec<(Spanned<String>, Node)>;

fn seq_value<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Value, A::Error> {
    let mut items = Vec::new();
    while let Some(SpannedValue(item)) = seq.next_element::<SpannedValue>()? {
        items.push(item);
    }
    Ok(Value::Array(items))
}

/// The rest of a map whose first key has been read: a datetime or a table.
fn table_value<'de, A: MapAccess<'de>>(first: Option<Key>, mut map: A) -> Result<Value, A::Error> {
    let mut entries: Vec<(Spanned<String>, Node)> = Vec::new();
    let mut key = first;
    while let Some(Key(k)) = key {
        if k.get_ref() == DATETIME_FIELD {
            let text: String = map.next_value::<String>()?;
            return Ok(Value::Datetime(text));
        }
        let SpannedValue(value) = map.next_value::<SpannedValue>()?;
        entries.push((k, value));
        key = map.next_key::<Key>()?;
    }
    Ok(Value::Table(entries))
}

/// A value with its span when the deserializer has one. Unlike `serde_spanned::Spanned`, it
/// also accepts a value without a span (the implicit table of a dotted key such as
/// `params.fast = ...` has none), which then gets an empty span.
struct SpannedValue(Node);

impl<'de> Deserialize<'de> for SpannedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct S;
        fn plain(v: Value) -> SpannedValue {
            SpannedValue(Spanned::new(0..0, v))
        }
        impl<'de> Visitor<'de> for S {
            type Value = SpannedValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<SpannedValue, E> {
                Ok(plain(Value::Boolean(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<SpannedValue, E> {
                Ok(plain(Value::Integer(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SpannedValue, E> {
                i64::try_from(v)
                    .map(|i| plain(Value::Integer(i)))
                    .map_err(|_| E::custom("integer out of range"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<SpannedValue, E> {
                Ok(plain(Value::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<SpannedValue, E> {
                Ok(plain(Value::String(v.to_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<SpannedValue, A::Error> {
                seq_value(seq).map(plain)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpannedValue, A::Error> {
                let first = map.next_key::<Key>()?;
                if first.as_ref().is_some_and(|Key(k)| k.get_ref() == START) {
                    // The spanned form: start, end, value.
                    let (mut start, mut end, mut value) =
                        (map.next_value::<usize>()?, 0usize, None);
                    while let Some(Key(k)) = map.next_key::<Key>()? {
                        match k.get_ref().as_str() {
                            START => start = map.next_value()?,
                            END => end = map.next_value()?,
                            VALUE => value = Some(map.next_value::<Value>()?),
                            _ => {
                                return Err(de::Error::custom(
                                    "unexpected field in a spanned value",
                                ))
                            }
                        }
                    }
                    let value = value
                        .ok_or_else(|| de::Error::custom("a spanned value without its value"))?;
                    return Ok(SpannedValue(Spanned::new(start..end, value)));
                }
                table_value(first, map).map(plain)
            }
        }
        deserializer.deserialize_struct(SPANNED, &[START, END, VALUE], S)
    }
}

/// Parses a whole document. A syntax error is returned with its message and byte span.
pub fn parse_document(text: &str) -> Result<Entries, (String, Option<Range<usize>>)> {
    match toml::from_str::<Value>(text) {
        Ok(Value::Table(entries)) => Ok(entries),
        Ok(_) => Err(("a strategy file must be a TOML table".into(), None)),
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
