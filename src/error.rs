//! Errors and diagnostics.
//!
//! Library code reports problems in user input as [`Diagnostic`]s: each names the file, the line
//! and column (when the problem has a place in a text file), the key or field, and what was
//! expected. A stage that can find several problems (strategy validation) collects them all in a
//! [`Diagnostics`] list before failing, so a user fixes a file in one pass, not one error at a time.

use std::fmt;
use std::path::PathBuf;

/// One problem in one input file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The key (`assets.small.column`), column name or field the problem is about.
    pub key: Option<String>,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Every problem found in one pass over the inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    /// `Ok(value)` when nothing was reported, else every diagnostic as an error.
    pub fn into_result<T>(self, value: T) -> Result<T, Error> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error::Input(self))
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {d}")?;
        }
        Ok(())
    }
}

/// The library's error type. Every variant maps to exit code 2 in the binary.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in user input (strategy or data file).
    #[error("{0}")]
    Input(Diagnostics),
    /// A filesystem operation failed; `context` says which file and what was being done.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// Anything else that stops a run (a chart could not be drawn, ...), with its context.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn input(d: Diagnostic) -> Self {
        Error::Input(Diagnostics(vec![d]))
    }
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl Error {
    /// The same error with the path `from` (a temporary folder) shown as `to` in its messages.
    pub fn with_path(self, from: &std::path::Path, to: &std::path::Path) -> Error {
        let (from, to) = (from.display().to_string(), to.display().to_string());
        let fix = |s: String| s.replace(&from, &to);
        match self {
            Error::Input(mut d) => {
                for x in &mut d.0 {
                    x.message = fix(std::mem::take(&mut x.message));
                    x.file = std::path::PathBuf::from(fix(x.file.display().to_string()));
                }
                Error::Input(d)
            }
            Error::Io { context, source } => Error::Io {
                context: fix(context),
                source,
            },
            Error::Other(m) => Error::Other(fix(m)),
        }
    }

    /// The message for stderr: every line starts with `error: `.
    pub fn user_message(&self) -> String {
        match self {
            // Diagnostics already prefix each line.
            Error::Input(d) => d.to_string(),
            other => format!("error: {other}"),
        }
    }
}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::input(d)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A text file being read (a strategy, an event file, a baseline): turns a byte span into a
/// line and column, and a problem at that span into a [`Diagnostic`].
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    pub path: &'a std::path::Path,
    pub text: &'a str,
}

impl<'a> SourceFile<'a> {
    pub fn new(path: &'a std::path::Path, text: &'a str) -> Self {
        SourceFile { path, text }
    }

    /// A problem at `offset` (a byte offset in the text).
    pub fn at(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let (l, c) = line_col(self.text, offset);
        Diagnostic::new(self.path, message).at(l, c)
    }

    /// A problem at `offset`, about `key`.
    pub fn diag(&self, offset: usize, key: &str, message: impl Into<String>) -> Diagnostic {
        self.at(offset, message).key(key)
    }
}

/// The most bytes rotor reads from one text file it is given (a strategy, an event study, a
/// baseline, `sources.toml`, a result folder's JSON): 16 MiB.
pub const MAX_TEXT_FILE: u64 = 16 << 20;
/// The most bytes rotor reads from one data file (CSV or Parquet): 2 GiB.
pub const MAX_DATA_FILE: u64 = 2 << 30;

/// The one reader of every file rotor is given: only a regular file (a FIFO, a device such as
/// `/dev/zero` or a folder is refused before it is opened, so nothing blocks or reads forever),
/// of at most `limit` bytes (checked on the size and again while reading), named in every
/// message with what it is (`what`: "strategy file", "data file"...).
pub fn read_file(path: &std::path::Path, what: &str, limit: u64) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let context = || format!("cannot read {what} {}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| Error::io(context(), e))?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a folder"
        } else {
            "not a regular file (a pipe, a device or a socket)"
        };
        return Err(Error::input(Diagnostic::new(
            path,
            format!("{what} is {kind}: rotor reads regular files only"),
        )));
    }
    let too_big = || {
        Error::input(Diagnostic::new(
            path,
            format!(
                "{what} is larger than {} MiB, the most rotor reads",
                limit >> 20
            ),
        ))
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(|e| Error::io(context(), e))?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// A JSON file rotor wrote (a result folder's `stats.json`, `summary.json`, a shard's
/// manifest), typed: [`read_text`], then the type's own checks, at the line they fail.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T, Error> {
    parse_json(path, &read_text(path, "result file")?)
}

/// The text of a JSON file rotor wrote (`path` names it), typed; see [`read_json`].
pub fn parse_json<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    text: &str,
) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| {
        Error::input(
            Diagnostic::new(path, format!("not the file rotor wrote: {e}")).line(e.line().max(1)),
        )
    })
}

/// [`read_file`] of a UTF-8 text file of at most [`MAX_TEXT_FILE`] bytes.
pub fn read_text(path: &std::path::Path, what: &str) -> Result<String, Error> {
    let bytes = read_file(path, what, MAX_TEXT_FILE)?;
    String::from_utf8(bytes).map_err(|e| {
        Error::input(Diagnostic::new(
            path,
            format!(
                "{what} is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })
}

/// `n` and a noun, singular for one ("1 bar", "2 bars", "1 strategy", "3 strategies").
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text read from a file, cut to a readable length for a message: at most 80 characters, the
/// rest counted ("... (12,345 more characters)"). A cell or an expression of 100 MB is never
/// echoed whole.
pub fn clip(text: &str) -> String {
    const MAX: usize = 80;
    let n = text.chars().count();
    if n <= MAX {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head}... ({} more characters)", n - MAX)
}

/// Maps a byte offset in `text` to a 1-based (line, column), column counted in characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let t = "ab\ncd\nef";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 1), (1, 2));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 7), (3, 2));
        assert_eq!(line_col(t, 100), (3, 3));
    }

    #[test]
    fn counts_and_clips() {
        assert_eq!(count(1, "bar", "bars"), "1 bar");
        assert_eq!(count(0, "strategy", "strategies"), "0 strategies");
        assert_eq!(count(3, "shard", "shards"), "3 shards");
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(
            clip(&long),
            format!("{}... (20 more characters)", "é".repeat(80))
        );
    }

    #[test]
    fn diagnostic_display_names_file_line_key() {
        let d = Diagnostic::new("s.toml", "expected a number")
            .at(3, 7)
            .key("execution.commission_bps");
        assert_eq!(
            d.to_string(),
            "s.toml:3:7: `execution.commission_bps`: expected a number"
        );
    }
}
