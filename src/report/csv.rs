//! The one writer of every CSV file rotor writes (the `csv` crate): a field holding a comma, a
//! quote or a line break is quoted, so a name read from a file can never add or shift a column.
//! Rows are `\n`-terminated; every row must have the header's number of fields.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Csv<W: Write> {
    w: csv::Writer<W>,
    /// Where the text goes, for messages (empty for text in memory).
    path: PathBuf,
}

fn builder() -> csv::WriterBuilder {
    let mut b = csv::WriterBuilder::new();
    b.terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary);
    b
}

impl Csv<Vec<u8>> {
    /// A CSV text in memory, starting with `header`.
    pub fn text<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut c = Csv {
            w: builder().from_writer(Vec::new()),
            path: PathBuf::new(),
        };
        c.put(header);
        c
    }

    /// Adds a row (writing into memory cannot fail; the field count is checked by the tests
    /// that read every file back).
    pub fn put<I, S>(&mut self, fields: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let _ = self.w.write_record(fields);
    }

    pub fn into_string(self) -> String {
        let bytes = self.w.into_inner().unwrap_or_default();
        // Every field is a `&str` or a number's text: the bytes are UTF-8.
        String::from_utf8(bytes).unwrap_or_default()
    }
}

impl Csv<std::io::BufWriter<std::fs::File>> {
    /// A CSV file written as rows come, starting with `header`.
    pub fn create<I, S>(path: &Path, header: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let file = std::fs::File::create(path)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        let mut c = Csv {
            w: builder().from_writer(std::io::BufWriter::new(file)),
            path: path.to_path_buf(),
        };
        c.row(header)?;
        Ok(c)
    }

    pub fn row<I, S>(&mut self, fields: I) -> Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        self.w.write_record(fields).map_err(|e| self.error(e))
    }

    pub fn finish(mut self) -> Result<()> {
        let path = self.path.clone();
        self.w
            .flush()
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    }

    fn error(&self, e: csv::Error) -> Error {
        let context = format!("cannot write {}", self.path.display());
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(context, io),
            _ => Error::Other(format!("{context}: {text}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        let mut c = Csv::text(["date", "half, half", "say \"hi\"", "two\nlines"]);
        c.put(["2020-01-02", "1.5", "", "x"]);
        assert_eq!(
            c.into_string(),
            "date,\"half, half\",\"say \"\"hi\"\"\",\"two\nlines\"\n2020-01-02,1.5,,x\n"
        );
    }
}
