//! A ZIP archive of stored (uncompressed) entries, as PKWARE's APPNOTE describes it: each
//! entry a local file header and its bytes, then the central directory and its end record.
//! Nothing else: no compression, no ZIP64 (an archive of 4 GiB or 65,535 entries is refused),
//! no encryption. The CRC-32 is the one ZIP uses (ISO-HDLC, the `crc` crate already in the
//! dependency tree through sqlx).

use crc::{CRC_32_ISO_HDLC, Crc};
use time::OffsetDateTime;

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// 2.0: what every reader supports.
const VERSION: u16 = 20;
/// Made on Unix (so that the external attributes below are a file mode), version 2.0.
const MADE_BY: u16 = (3 << 8) | VERSION;
/// General purpose flag bit 11: the names are UTF-8.
const UTF8_NAMES: u16 = 1 << 11;
const STORED: u16 = 0;
/// A regular file, `rw-r--r--`.
const FILE_MODE: u32 = 0o100_644 << 16;

/// The archive would need ZIP64 (an entry or the whole over 4 GiB, or 65,535 entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the archive would need ZIP64, which this writer does not write")
    }
}

impl std::error::Error for TooLarge {}

/// The archive of `entries` (path, bytes), in that order, each dated `modified` (UTC, to the
/// two seconds MS-DOS time keeps; dates before 1980 are written as 1980-01-01).
pub fn stored(entries: &[(&str, &[u8])], modified: OffsetDateTime) -> Result<Vec<u8>, TooLarge> {
    let (time, date) = dos_time(modified);
    let count = u16::try_from(entries.len())
        .ok()
        .filter(|n| *n < u16::MAX)
        .ok_or(TooLarge)?;
    let size: usize = entries.iter().map(|(n, b)| 30 + n.len() + b.len()).sum();
    let mut out = Vec::with_capacity(size + entries.len() * 80 + 22);
    let mut central = Vec::new();
    for (name, bytes) in entries {
        let offset = u32_of(out.len())?;
        let len = u32_of(bytes.len())?;
        let name_len = u16::try_from(name.len()).map_err(|_| TooLarge)?;
        let crc = CRC32.checksum(bytes);

        put32(&mut out, LOCAL_HEADER);
        put16(&mut out, VERSION);
        put16(&mut out, UTF8_NAMES);
        put16(&mut out, STORED);
        put16(&mut out, time);
        put16(&mut out, date);
        put32(&mut out, crc);
        put32(&mut out, len); // compressed size
        put32(&mut out, len); // uncompressed size
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);

        put32(&mut central, CENTRAL_HEADER);
        put16(&mut central, MADE_BY);
        put16(&mut central, VERSION);
        put16(&mut central, UTF8_NAMES);
        put16(&mut central, STORED);
        put16(&mut central, time);
        put16(&mut central, date);
        put32(&mut central, crc);
        put32(&mut central, len);
        put32(&mut central, len);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra field length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number start
        put16(&mut central, 0); // internal attributes
        put32(&mut central, FILE_MODE);
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let central_offset = u32_of(out.len())?;
    let central_size = u32_of(central.len())?;
    out.extend_from_slice(&central);
    put32(&mut out, END_OF_CENTRAL_DIRECTORY);
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // the disk where the central directory starts
    put16(&mut out, count); // entries on this disk
    put16(&mut out, count); // entries in all
    put32(&mut out, central_size);
    put32(&mut out, central_offset);
    put16(&mut out, 0); // comment length
    Ok(out)
}

/// A size or offset as the 32 bits ZIP gives it (0xFFFFFFFF means "see ZIP64").
fn u32_of(n: usize) -> Result<u32, TooLarge> {
    u32::try_from(n)
        .ok()
        .filter(|n| *n < u32::MAX)
        .ok_or(TooLarge)
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// MS-DOS time and date: seconds / 2, minutes, hours; day, month, years since 1980.
fn dos_time(t: OffsetDateTime) -> (u16, u16) {
    let t = t.to_offset(time::UtcOffset::UTC);
    let Ok(year) = u16::try_from(t.year() - 1980) else {
        return (0, (1 << 5) | 1);
    };
    if year > 127 {
        return (0xBF7D, (127 << 9) | (12 << 5) | 31);
    }
    let time =
        (u16::from(t.hour()) << 11) | (u16::from(t.minute()) << 5) | u16::from(t.second() / 2);
    let date = (year << 9) | (u16::from(u8::from(t.month())) << 5) | u16::from(t.day());
    (time, date)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use time::macros::datetime;

    use super::*;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// Reads an archive back by its central directory, checking each local header against
    /// it: (name, bytes) in order.
    fn read(zip: &[u8]) -> Vec<(String, Vec<u8>)> {
        let end = zip.len() - 22;
        assert_eq!(u32_at(zip, end), END_OF_CENTRAL_DIRECTORY);
        let count = usize::from(u16_at(zip, end + 10));
        let size = u32_at(zip, end + 12) as usize;
        let mut at = u32_at(zip, end + 16) as usize;
        assert_eq!(
            at + size,
            end,
            "the central directory ends where its end record starts"
        );
        let mut entries = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(zip, at), CENTRAL_HEADER);
            let crc = u32_at(zip, at + 16);
            let len = u32_at(zip, at + 20) as usize;
            let name_len = usize::from(u16_at(zip, at + 28));
            let local = u32_at(zip, at + 42) as usize;
            let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).unwrap();
            assert_eq!(u32_at(zip, local), LOCAL_HEADER);
            assert_eq!(u32_at(zip, local + 14), crc);
            assert_eq!(u32_at(zip, local + 18) as usize, len);
            assert_eq!(&zip[local + 30..local + 30 + name_len], name.as_bytes());
            let data = zip[local + 30 + name_len..local + 30 + name_len + len].to_vec();
            assert_eq!(CRC32.checksum(&data), crc, "{name}");
            entries.push((name, data));
            at += 46 + name_len;
        }
        entries
    }

    #[test]
    fn the_crc_is_zips() {
        // The check value of CRC-32/ISO-HDLC, the CRC of ZIP, gzip and PNG.
        assert_eq!(CRC32.checksum(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn entries_read_back_in_order() {
        let zip = stored(
            &[
                ("Manifest.ocf.json", b"{\"a\":1}"),
                ("empty.json", b""),
                ("d\u{e9}j\u{e0}.json", "ünïcödé".as_bytes()),
            ],
            datetime!(2026-03-02 13:45:31 UTC),
        )
        .unwrap();
        let entries = read(&zip);
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[0],
            ("Manifest.ocf.json".to_owned(), b"{\"a\":1}".to_vec())
        );
        assert_eq!(entries[1], ("empty.json".to_owned(), Vec::new()));
        assert_eq!(entries[2].1, "ünïcödé".as_bytes());
        // 13:45:30 (two-second resolution) on 2026-03-02.
        assert_eq!(u16_at(&zip, 10), (13 << 11) | (45 << 5) | 15);
        assert_eq!(u16_at(&zip, 12), (46 << 9) | (3 << 5) | 2);
    }

    #[test]
    fn an_empty_archive_is_its_end_record() {
        let zip = stored(&[], datetime!(2026-03-02 0:00 UTC)).unwrap();
        assert_eq!(zip.len(), 22);
        assert!(read(&zip).is_empty());
    }

    #[test]
    fn dates_outside_ms_dos_time_are_clamped() {
        assert_eq!(dos_time(datetime!(1970-01-01 0:00 UTC)), (0, (1 << 5) | 1));
        assert_eq!(dos_time(datetime!(2200-01-01 0:00 UTC)).1 >> 9, 127);
    }

    #[test]
    fn too_many_entries_is_refused() {
        let many: Vec<(&str, &[u8])> = vec![("x", b""); 65_536];
        assert_eq!(stored(&many, datetime!(2026-03-02 0:00 UTC)), Err(TooLarge));
    }
}
