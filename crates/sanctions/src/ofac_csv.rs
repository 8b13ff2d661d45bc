//! OFAC's legacy delimited format: no header row, `,` between fields, `"` around text
//! fields (which may then hold commas and line breaks), CRLF between records, `-0-` (OFAC
//! pads it to `-0- `) for null, and an end-of-file byte 0x1A after the last record.

use crate::LoadError;

/// DOS end-of-file marker OFAC still appends to its files.
const EOF_MARKER: u8 = 0x1A;

/// One record: the line it starts on (1-based, as an editor shows it) and its fields,
/// trimmed, with null markers turned into `None`.
pub(crate) struct Record {
    pub line: u64,
    pub fields: Vec<Option<String>>,
}

impl Record {
    pub fn field(&self, i: usize) -> Option<&str> {
        self.fields.get(i).and_then(|f| f.as_deref())
    }

    /// Moves a field out, leaving null behind.
    pub fn take(&mut self, i: usize) -> Option<String> {
        self.fields.get_mut(i).and_then(Option::take)
    }
}

/// Reads every record of `bytes`, refusing any whose number of fields is not `columns`.
pub(crate) fn read_records(
    file: &str,
    bytes: &[u8],
    columns: usize,
) -> Result<Vec<Record>, LoadError> {
    let end = bytes
        .iter()
        .rposition(|b| *b != EOF_MARKER)
        .map_or(0, |last| last + 1);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[..end]);
    let bytes = &bytes[..end];
    // csv starts a record right after the CR of a CRLF, so its own line counter (and the
    // raw offset) is one line short; lines are counted here, past the line break.
    let mut lines = LineCounter::default();
    let mut records = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = lines.line_at(bytes, e.position().map_or(0, csv::Position::byte));
                return Err(malformed(file, line, format!("unreadable record: {e}")));
            }
        }
        let line = lines.line_at(bytes, record.position().map_or(0, csv::Position::byte));
        if record.len() != columns {
            return Err(malformed(
                file,
                line,
                format!("expected {columns} fields, found {}", record.len()),
            ));
        }
        let fields = record.iter().map(field_value).collect();
        records.push(Record { line, fields });
    }
    Ok(records)
}

/// 1-based line of a byte offset, for offsets that only grow.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        while matches!(bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.offset {
            let seen = bytes.get(self.offset..offset).unwrap_or_default();
            self.newlines += seen.iter().filter(|b| **b == b'\n').count() as u64;
            self.offset = offset;
        }
        self.newlines + 1
    }
}

fn field_value(raw: &[u8]) -> Option<String> {
    let trimmed = raw.trim_ascii();
    if trimmed.is_empty() || trimmed == b"-0-" {
        None
    } else {
        Some(decode(trimmed))
    }
}

/// OFAC documents the files as ASCII; should a release ever carry a stray byte of a legacy
/// code page, reading it as Latin-1 keeps the row instead of failing the whole list.
fn decode(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => raw.iter().map(|b| char::from(*b)).collect(),
    }
}

pub(crate) fn malformed(file: &str, line: u64, reason: impl Into<String>) -> LoadError {
    LoadError::Malformed {
        file: file.to_owned(),
        line,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], columns: usize) -> Result<Vec<Record>, LoadError> {
        read_records("t.csv", bytes, columns)
    }

    #[test]
    fn trims_nulls_crlf_and_the_eof_byte() {
        let r = read(b"1,\"A, B\",-0- \r\n2, -0- ,\"x\"\r\n\x1a", 3).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].field(1), Some("A, B"));
        assert_eq!(r[0].field(2), None);
        assert_eq!(r[1].field(1), None);
        assert_eq!(r[1].line, 2);
    }

    #[test]
    fn keeps_line_breaks_inside_quotes_and_counts_lines() {
        let r = read(b"1,\"a\r\nb\"\r\n2,\"c\"\r\n", 2).unwrap();
        assert_eq!(r[0].field(1), Some("a\r\nb"));
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn empty_and_eof_only_inputs_have_no_records() {
        assert!(read(b"", 2).unwrap().is_empty());
        assert!(read(b"\x1a", 2).unwrap().is_empty());
        assert!(read(b"\r\n\x1a", 2).unwrap().is_empty());
    }

    #[test]
    fn wrong_field_count_names_file_and_line() {
        let err = read(b"1,\"a\"\r\n2\r\n", 2).err().unwrap();
        assert_eq!(
            err.to_string(),
            "t.csv line 2: malformed record: expected 2 fields, found 1"
        );
    }

    #[test]
    fn latin1_bytes_survive() {
        let r = read(b"1,\"M\xfcller\"\r\n", 2).unwrap();
        assert_eq!(r[0].field(1), Some("M\u{fc}ller"));
    }
}
