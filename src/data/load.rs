//! Reading one data file with polars (CSV or Parquet) and turning the columns a strategy names
//! into checked vectors. This module is the only place that touches a DataFrame.

use crate::date::{self, Date};
use crate::error::{Diagnostic, Error, Result};
use polars::prelude::*;
use sha2::{Digest, Sha256};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// One input file, read once and shared by every series that names it.
pub struct Frame {
    pub path: PathBuf,
    /// Date columns already read and checked, by name: a file named by several series (or
    /// assets) has its dates parsed once.
    dates: std::cell::RefCell<std::collections::BTreeMap<String, std::rc::Rc<[Date]>>>,
    pub sha256: String,
    pub bytes: u64,
    df: DataFrame,
    /// True for CSV, where data row i sits on file line i + 2.
    csv: bool,
}

/// Runs `f`, turning a panic inside it into `None` without printing it (the panic hook is
/// swapped under a lock, so concurrent callers do not undo each other's).
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    r.ok()
}

/// Checks a CSV file's shape before polars reads it, so its problems are told by line: every
/// record has the header's number of fields (a comma-decimal number such as `1,5` adds one), no
/// blank line inside the data. Blank lines at the end are dropped. Quoted fields may hold
/// commas and line breaks.
fn csv_shape(path: &Path, mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    // Records: (first line number, fields, blank, end offset after its line break).
    let mut records: Vec<(usize, usize, bool, usize)> = vec![];
    let (mut quoted, mut fields, mut blank, mut line, mut first_line) = (false, 1, true, 1, 1);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => {
                quoted = !quoted;
                blank = false;
            }
            b',' if !quoted => {
                fields += 1;
                blank = false;
            }
            b'\n' => {
                line += 1;
                if !quoted {
                    records.push((first_line, fields, blank, i + 1));
                    (fields, blank, first_line) = (1, true, line);
                }
            }
            b if !b.is_ascii_whitespace() => blank = false,
            _ => {}
        }
    }
    if !blank {
        records.push((first_line, fields, blank, bytes.len()));
    }
    let Some(&(_, want, header_blank, _)) = records.first() else {
        return Ok(bytes);
    };
    if header_blank {
        return Err(Error::input(
            Diagnostic::new(
                path,
                "a blank line where the header (the column names) should be",
            )
            .line(1),
        ));
    }
    let mut end = records[0].3;
    let mut blank_at: Option<usize> = None;
    for &(no, got, is_blank, stop) in &records[1..] {
        if is_blank {
            blank_at.get_or_insert(no);
            continue;
        }
        if let Some(b) = blank_at {
            return Err(Error::input(
                Diagnostic::new(
                    path,
                    format!("a blank line inside the data (they go on at line {no})"),
                )
                .line(b),
            ));
        }
        if got != want {
            let hint = if got > want {
                " (a decimal comma? numbers are written with a '.', fields separated by ',')"
            } else {
                ""
            };
            return Err(Error::input(
                Diagnostic::new(
                    path,
                    format!(
                        "{}, but the header has {want}{hint}",
                        crate::error::count(got, "field", "fields")
                    ),
                )
                .line(no),
            ));
        }
        end = stop;
    }
    bytes.truncate(end);
    Ok(bytes)
}

/// Decodes a Parquet file's bytes, or says why not (polars' own words).
///
/// polars' reader panics on some damaged metadata (caught here) and, on some damaged pages,
/// aborts the process on an absurd allocation (a run of definition levels read as 2^61 values,
/// found by tests/fuzz.rs): no error can be caught then. A process that must survive any file
/// installs a [`ParquetProbe`] ([`set_parquet_probe`]): the `rotor` binary decodes every Parquet
/// input it has not written itself in a child process first.
pub fn decode_parquet(bytes: Vec<u8>) -> std::result::Result<DataFrame, String> {
    match quietly(|| ParquetReader::new(Cursor::new(bytes)).finish()) {
        None => Err("a damaged Parquet file (its metadata cannot be read)".into()),
        Some(Err(e)) => Err(e.to_string()),
        Some(Ok(df)) => Ok(df),
    }
}

/// Decodes Parquet bytes where a crash of the decoder cannot end the caller (a child process):
/// `Ok` when [`decode_parquet`] succeeded there, else its message (or why the child failed).
pub type ParquetProbe = fn(&[u8]) -> std::result::Result<(), String>;

static PARQUET_PROBE: std::sync::OnceLock<ParquetProbe> = std::sync::OnceLock::new();

/// Installs the probe every Parquet data file goes through before it is decoded in this
/// process (once per process; a second call is ignored). Without one (a library user reading
/// trusted files), files are decoded in-process only.
pub fn set_parquet_probe(probe: ParquetProbe) {
    let _ = PARQUET_PROBE.set(probe);
}

impl Frame {
    pub fn read(path: &Path) -> Result<Frame> {
        let bytes = crate::error::read_file(path, "data file", crate::error::MAX_DATA_FILE)?;
        Frame::from_bytes(path, bytes)
    }

    /// The bytes of a file rotor wrote itself and has verified (a shard's rows, checked against
    /// the sha256 its manifest holds): decoded in-process, with no probe.
    pub fn from_verified_bytes(path: &Path, bytes: Vec<u8>) -> Result<Frame> {
        Frame::decode(path, bytes, false)
    }

    /// A file's bytes, already read (`path` names it in messages).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Frame> {
        Frame::decode(path, bytes, true)
    }

    fn decode(path: &Path, bytes: Vec<u8>, probe: bool) -> Result<Frame> {
        let sha256 = sha256_hex(&bytes);
        let len = bytes.len() as u64;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let polars_err = |e: PolarsError| {
            Error::input(Diagnostic::new(
                path,
                format!("cannot parse data file: {e}"),
            ))
        };
        let (df, csv) = match ext.as_str() {
            "csv" => {
                let bytes = csv_shape(path, bytes)?;
                // Every column is read as text (no schema inference) and converted below, so a
                // bad cell is reported with its row instead of failing the whole file.
                let df = CsvReadOptions::default()
                    .with_has_header(true)
                    .with_infer_schema_length(Some(0))
                    .into_reader_with_file_handle(Cursor::new(bytes))
                    .finish()
                    .map_err(polars_err)?;
                (df, true)
            }
            "parquet" | "pq" => {
                let unreadable = |why: String| {
                    Error::input(Diagnostic::new(
                        path,
                        format!("cannot parse data file: {why}"),
                    ))
                };
                if let Some(probe) = PARQUET_PROBE.get().filter(|_| probe) {
                    probe(&bytes).map_err(unreadable)?;
                }
                (decode_parquet(bytes).map_err(unreadable)?, false)
            }
            _ => {
                return Err(Error::input(Diagnostic::new(
                    path,
                    "unsupported data file type: expected a .csv or .parquet file",
                )))
            }
        };
        Ok(Frame {
            dates: Default::default(),
            path: path.to_path_buf(),
            sha256,
            bytes: len,
            df,
            csv,
        })
    }

    pub fn rows(&self) -> usize {
        self.df.height()
    }

    /// The names of the file's columns, in order.
    pub fn column_names(&self) -> Vec<String> {
        self.df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// A text column (empty cells are empty strings).
    pub fn text(&self, name: &str) -> Result<Vec<String>> {
        let col = self.column(name)?;
        let fail =
            |e: PolarsError| Error::input(Diagnostic::new(&self.path, e.to_string()).key(name));
        let as_text = col.cast(&DataType::String).map_err(fail)?;
        Ok(as_text
            .str()
            .map_err(fail)?
            .iter()
            .map(|v| v.unwrap_or("").to_owned())
            .collect())
    }

    /// First and last date of the date column read (`None` before one is read; with several,
    /// the first by name).
    pub fn date_range(&self) -> Option<(Date, Date)> {
        let read = self.dates.borrow();
        let d = read.values().next()?;
        Some((d[0], d[d.len() - 1]))
    }

    /// How a data row is named in messages: its file line for CSV, its row number for Parquet.
    pub fn locate(&self, row: usize, d: Diagnostic) -> Diagnostic {
        if self.csv {
            d.line(row + 2)
        } else {
            let msg = format!("row {}: {}", row + 1, d.message);
            Diagnostic { message: msg, ..d }
        }
    }

    /// Ok when the file has a column `name`; else the error naming the columns it has.
    pub fn require(&self, name: &str) -> Result<()> {
        self.column(name).map(|_| ())
    }

    fn column(&self, name: &str) -> Result<&Column> {
        self.df.column(name).map_err(|_| {
            let names: Vec<String> = self
                .df
                .get_column_names()
                .iter()
                .map(|s| s.to_string())
                .collect();
            Error::input(
                Diagnostic::new(
                    &self.path,
                    format!(
                        "no column named `{}`; the file has: {}",
                        crate::error::clip(name),
                        crate::error::clip(&names.join(", "))
                    ),
                )
                .key(name),
            )
        })
    }

    /// The date column, checked: every cell a valid date, strictly ascending (sorted, no
    /// duplicates).
    pub fn dates(&self, name: &str) -> Result<std::rc::Rc<[Date]>> {
        if let Some(d) = self.dates.borrow().get(name) {
            return Ok(d.clone());
        }
        let d: std::rc::Rc<[Date]> = self.parse_dates(name)?.into();
        self.dates.borrow_mut().insert(name.to_owned(), d.clone());
        Ok(d)
    }

    fn parse_dates(&self, name: &str) -> Result<Vec<Date>> {
        let col = self.column(name)?;
        let mut out = Vec::with_capacity(col.len());
        let bad = |row: usize, msg: String| {
            Error::input(self.locate(row, Diagnostic::new(&self.path, msg).key(name)))
        };
        match col.dtype() {
            DataType::String => {
                for (row, cell) in col
                    .str()
                    .map_err(|e| bad(0, e.to_string()))?
                    .iter()
                    .enumerate()
                {
                    let cell = cell.unwrap_or("");
                    match date::parse(cell) {
                        Some(d) => out.push(d),
                        None => {
                            return Err(bad(
                                row,
                                format!(
                                    "expected a date YYYY-MM-DD, found \"{}\"",
                                    crate::error::clip(cell)
                                ),
                            ))
                        }
                    }
                }
            }
            DataType::Date => {
                let phys = col
                    .cast(&DataType::Int32)
                    .map_err(|e| bad(0, e.to_string()))?;
                for (row, cell) in phys
                    .i32()
                    .map_err(|e| bad(0, e.to_string()))?
                    .iter()
                    .enumerate()
                {
                    match cell {
                        Some(d) => out.push(d),
                        None => return Err(bad(row, "empty date".into())),
                    }
                }
            }
            other => {
                return Err(bad(
                    0,
                    format!("expected a date column (text YYYY-MM-DD or a Date), found {other}"),
                ))
            }
        }
        for row in 1..out.len() {
            if out[row] <= out[row - 1] {
                let what = if out[row] == out[row - 1] {
                    "duplicate date"
                } else {
                    "dates out of order"
                };
                return Err(bad(
                    row,
                    format!(
                        "{what}: {} follows {} (rows must be sorted by date, each date once)",
                        date::format(out[row]),
                        date::format(out[row - 1])
                    ),
                ));
            }
        }
        if out.is_empty() {
            return Err(Error::input(Diagnostic::new(
                &self.path,
                "the file has no data rows",
            )));
        }
        Ok(out)
    }

    /// A numeric column, every row checked: empty cells (and Parquet nulls) become NaN, the
    /// marker of a missing value; a cell that is not a number, or is not finite (`nan`, `inf`,
    /// `1e400`), is an error naming its row, wherever it is in the file.
    /// A numeric column of a file rotor wrote (a sweep shard's rows), where an undefined metric
    /// is a legitimate value: NaN and infinities are kept, an empty cell is NaN.
    pub fn metric_values(&self, name: &str) -> Result<Vec<f64>> {
        let col = self.numeric(name, false)?;
        let fail =
            |e: PolarsError| Error::input(Diagnostic::new(&self.path, e.to_string()).key(name));
        let as_f64 = col.cast(&DataType::Float64).map_err(fail)?;
        Ok(as_f64
            .f64()
            .map_err(fail)?
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    }

    /// A column that holds numbers (or, with `text`, text to be read as numbers).
    fn numeric(&self, name: &str, text: bool) -> Result<&Column> {
        let col = self.column(name)?;
        if !(col.dtype().is_primitive_numeric() || text && col.dtype() == &DataType::String) {
            return Err(Error::input(
                Diagnostic::new(
                    &self.path,
                    format!("expected a numeric column, found {}", col.dtype()),
                )
                .key(name),
            ));
        }
        Ok(col)
    }

    pub fn numbers(&self, name: &str) -> Result<Vec<f64>> {
        let col = self.numeric(name, true)?;
        let fail =
            |e: PolarsError| Error::input(Diagnostic::new(&self.path, e.to_string()).key(name));
        let bad = |row: usize, msg: String| {
            Error::input(self.locate(row, Diagnostic::new(&self.path, msg).key(name)))
        };
        let as_f64 = col.cast(&DataType::Float64).map_err(fail)?;
        let values = as_f64.f64().map_err(fail)?;
        let text = if col.dtype() == &DataType::String {
            Some(col.str().map_err(fail)?)
        } else {
            None
        };
        let mut out = Vec::with_capacity(values.len());
        let cells = text
            .map(|t| Box::new(t.iter()) as Box<dyn Iterator<Item = Option<&str>>>)
            .unwrap_or_else(|| Box::new(std::iter::repeat(None)));
        for (row, (v, cell)) in values.iter().zip(cells).enumerate() {
            let empty = cell.is_none_or(|t| t.trim().is_empty());
            match v {
                Some(v) if v.is_finite() => out.push(v),
                Some(v) => {
                    let shown = cell.map_or_else(|| v.to_string(), crate::error::clip);
                    return Err(bad(
                        row,
                        format!(
                            "expected a finite number, found \"{shown}\" (not a finite number)"
                        ),
                    ));
                }
                None if text.is_some() && !empty => {
                    let t = crate::error::clip(cell.unwrap_or_default());
                    return Err(bad(row, format!("expected a number, found \"{t}\"")));
                }
                None => out.push(f64::NAN),
            }
        }
        Ok(out)
    }
}

/// The sha256 of some bytes, in lowercase hex: how rotor fingerprints input files, baselines'
/// curves and sweep shards' strategies.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A column for [`write_parquet`].
pub enum OutColumn {
    F64(Vec<f64>),
    U64(Vec<u64>),
    Str(Vec<String>),
}

/// Writes named columns as a Parquet file (polars stays inside this module).
/// A Parquet file written a row group at a time: rows stream through, the file never holds
/// more than one group in memory.
pub struct ParquetStream {
    path: PathBuf,
    writer: Option<polars::io::parquet::write::BatchedWriter<std::fs::File>>,
}

impl ParquetStream {
    pub fn create(path: &Path) -> ParquetStream {
        ParquetStream {
            path: path.to_path_buf(),
            writer: None,
        }
    }

    fn fail(&self, e: PolarsError) -> Error {
        Error::Other(format!("cannot write {}: {e}", self.path.display()))
    }

    /// Appends one row group (every call with the same column names and types).
    pub fn write(&mut self, columns: Vec<(String, OutColumn)>) -> Result<()> {
        let mut df = frame_of(columns).map_err(|e| self.fail(e))?;
        df.rechunk_mut();
        if self.writer.is_none() {
            let file = std::fs::File::create(&self.path)
                .map_err(|e| Error::io(format!("cannot write {}", self.path.display()), e))?;
            let w = ParquetWriter::new(file)
                .batched(df.schema())
                .map_err(|e| self.fail(e))?;
            self.writer = Some(w);
        }
        let r = self.writer.as_mut().map(|w| w.write_batch(&df));
        match r {
            Some(Err(e)) => Err(self.fail(e)),
            _ => Ok(()),
        }
    }

    /// Writes the footer; with no row group at all, an empty file of these columns.
    pub fn finish(self, empty: Vec<(String, OutColumn)>) -> Result<()> {
        match &self.writer {
            Some(w) => w.finish().map(|_| ()).map_err(|e| self.fail(e)),
            None => write_parquet(&self.path, empty),
        }
    }
}

fn frame_of(columns: Vec<(String, OutColumn)>) -> PolarsResult<DataFrame> {
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|(name, c)| match c {
            OutColumn::F64(v) => Column::new(name.into(), v),
            OutColumn::U64(v) => Column::new(name.into(), v),
            OutColumn::Str(v) => Column::new(name.into(), v),
        })
        .collect();
    DataFrame::new_infer_height(cols)
}

pub fn write_parquet(path: &Path, columns: Vec<(String, OutColumn)>) -> Result<()> {
    let fail = |e: PolarsError| Error::Other(format!("cannot write {}: {e}", path.display()));
    let mut df = frame_of(columns).map_err(fail)?;
    let file = std::fs::File::create(path)
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    ParquetWriter::new(file).finish(&mut df).map_err(fail)?;
    Ok(())
}
