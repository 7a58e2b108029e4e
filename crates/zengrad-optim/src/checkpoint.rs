//! The checkpoint format: an optimizer's or a schedule's state as bytes,
//! written whole or not at all, and read back bit for bit.
//!
//! A checkpoint is, in little-endian byte order:
//!
//! | bytes | holds |
//! |---|---|
//! | 8 | the magic bytes `ZGRADCKP` |
//! | 4 | the format version, 1 |
//! | 8 | the length `n` of the payload |
//! | `n` | the payload |
//! | 4 | the CRC-32 (IEEE) of everything before it |
//!
//! The payload is a sequence of fields, each written by [`Writer`] and read
//! back in the same order by [`Reader`]: integers, strings (a `u32` length,
//! then UTF-8) and floats (their bits: 4 bytes for `f32`, 8 for `f64`). What
//! the fields are is up to the optimizer or schedule that writes them.
//!
//! A reader checks the header, the length and the checksum before it reads
//! a field, so a truncated or corrupt file is rejected before anything is
//! decoded; the callers then decode into new values and replace their state
//! only once all of it has been read and checked.

use std::any::Any;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use zengrad_core::{Error, Float};

/// The first eight bytes of every checkpoint.
const MAGIC: [u8; 8] = *b"ZGRADCKP";

/// The version of the layout above. A reader rejects any other.
const VERSION: u32 = 1;

/// The bytes before the payload: magic, version and length.
const HEADER_LEN: usize = 8 + 4 + 8;

/// The bytes after the payload: the checksum.
const TRAILER_LEN: usize = 4;

/// The operation that reads a checkpoint, as errors name it.
const LOAD: &str = "load";

/// Builds a checkpoint's payload, field by field.
#[derive(Default)]
pub(crate) struct Writer {
    payload: Vec<u8>,
}

impl Writer {
    pub(crate) fn u8(&mut self, value: u8) {
        self.payload.push(value);
    }

    pub(crate) fn bool(&mut self, value: bool) {
        self.u8(u8::from(value));
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.payload.extend_from_slice(&value.to_le_bytes());
    }

    /// Writes a count or an index, which always fits in 64 bits.
    pub(crate) fn usize(&mut self, value: usize) {
        self.u64(value as u64);
    }

    pub(crate) fn f64(&mut self, value: f64) {
        self.u64(value.to_bits());
    }

    pub(crate) fn str(&mut self, value: &str) {
        self.usize(value.len());
        self.payload.extend_from_slice(value.as_bytes());
    }

    /// Writes a length, then the values' bits.
    pub(crate) fn values<F: Float>(&mut self, values: &[F]) {
        self.usize(values.len());
        self.payload.reserve(size_of_val(values));
        for &value in values {
            let value: &dyn Any = &value;
            if let Some(v) = value.downcast_ref::<f32>() {
                self.payload.extend_from_slice(&v.to_bits().to_le_bytes());
            } else if let Some(v) = value.downcast_ref::<f64>() {
                self.payload.extend_from_slice(&v.to_bits().to_le_bytes());
            } else {
                unreachable!("internal error: Float is implemented for f32 and f64 only");
            }
        }
    }

    /// Returns the whole checkpoint: header, payload and checksum.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + self.payload.len() + TRAILER_LEN);
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.extend_from_slice(&(self.payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&self.payload);
        let checksum = crc32(&bytes);
        bytes.extend_from_slice(&checksum.to_le_bytes());
        bytes
    }
}

/// Reads the fields of a checkpoint's payload, in the order they were
/// written.
pub(crate) struct Reader<'a> {
    payload: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Checks the magic bytes, version, length and checksum of `bytes`, and
    /// returns a reader of its payload.
    pub(crate) fn open(bytes: &'a [u8]) -> Result<Reader<'a>, Error> {
        if bytes.len() < HEADER_LEN + TRAILER_LEN {
            return Err(corrupt(
                "a length of at least",
                format!("{} bytes", HEADER_LEN + TRAILER_LEN),
                format!("{} bytes", bytes.len()),
            ));
        }

        let magic = &bytes[..8];
        if magic != MAGIC {
            return Err(corrupt(
                "magic bytes",
                format!("\"{}\"", MAGIC.escape_ascii()),
                format!("\"{}\"", magic.escape_ascii()),
            ));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(corrupt("version", VERSION.to_string(), version.to_string()));
        }

        // The length is checked before the checksum, so that a truncated
        // file says so rather than that its checksum is wrong.
        let payload_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let expected = (HEADER_LEN + TRAILER_LEN) as u64 + payload_len;
        if bytes.len() as u64 != expected {
            return Err(corrupt(
                "a length of",
                format!("{expected} bytes"),
                format!("{} bytes", bytes.len()),
            ));
        }

        let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_LEN);
        let stored = u32::from_le_bytes(trailer.try_into().expect("4 bytes"));
        let computed = crc32(body);
        if stored != computed {
            return Err(corrupt(
                "checksum",
                format!("{computed:#010x}"),
                format!("{stored:#010x}"),
            ));
        }

        Ok(Reader {
            payload: &body[HEADER_LEN..],
        })
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], Error> {
        if self.payload.len() < count {
            return Err(corrupt(
                "a payload with at least",
                format!("{count} more bytes"),
                format!("{} more", self.payload.len()),
            ));
        }
        let (head, rest) = self.payload.split_at(count);
        self.payload = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(corrupt("a flag of", "0 or 1".into(), other.to_string())),
        }
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Error> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }

    pub(crate) fn usize(&mut self) -> Result<usize, Error> {
        let value = self.u64()?;
        usize::try_from(value).map_err(|_| {
            corrupt(
                "a count of at most",
                usize::MAX.to_string(),
                value.to_string(),
            )
        })
    }

    pub(crate) fn f64(&mut self) -> Result<f64, Error> {
        Ok(f64::from_bits(self.u64()?))
    }

    pub(crate) fn str(&mut self) -> Result<String, Error> {
        let len = self.usize()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| {
            corrupt(
                "a string in",
                "UTF-8".into(),
                format!("\"{}\"", bytes.escape_ascii()),
            )
        })
    }

    /// Reads values written by [`Writer::values`], which must number
    /// `expected`.
    pub(crate) fn values<F: Float>(&mut self, expected: usize) -> Result<Vec<F>, Error> {
        let len = self.usize()?;
        if len != expected {
            return Err(corrupt(
                "a buffer of",
                format!("{expected} values"),
                format!("{len} values"),
            ));
        }
        let bytes = self.take(len.saturating_mul(size_of::<F>()))?;

        // F is f32 or f64: decode into the concrete type, then hand the
        // vector back as Vec<F>, which it is.
        let values: Box<dyn Any> = if F::NAME == "f32" {
            let values: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|b| f32::from_bits(u32::from_le_bytes(b.try_into().expect("4 bytes"))))
                .collect();
            Box::new(values)
        } else {
            let values: Vec<f64> = bytes
                .chunks_exact(8)
                .map(|b| f64::from_bits(u64::from_le_bytes(b.try_into().expect("8 bytes"))))
                .collect();
            Box::new(values)
        };
        let values = values
            .downcast::<Vec<F>>()
            .expect("internal error: Float is implemented for f32 and f64 only");
        Ok(*values)
    }

    /// Checks that every byte of the payload was read.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if !self.payload.is_empty() {
            return Err(corrupt(
                "the end of the payload, with",
                "0 bytes left".into(),
                format!("{} bytes left", self.payload.len()),
            ));
        }
        Ok(())
    }
}

/// Returns the error for a checkpoint whose `what` is not as expected.
pub(crate) fn corrupt(what: &'static str, expected: String, got: String) -> Error {
    Error::Checkpoint {
        op: LOAD,
        what,
        expected,
        got,
    }
}

/// Checks that a field read from a checkpoint is the one expected.
pub(crate) fn expect<T: PartialEq + std::fmt::Display>(
    what: &'static str,
    expected: T,
    got: T,
) -> Result<(), Error> {
    if expected != got {
        return Err(corrupt(what, expected.to_string(), got.to_string()));
    }
    Ok(())
}

/// Writes `bytes` to `path` whole or not at all: first to `<path>.tmp`,
/// flushed to the disk, then renamed over `path`.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = tmp_path(path);
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |err: std::io::Error| Error::Io {
            op: "save",
            action,
            path,
            kind: err.kind(),
        }
    };

    let written = fs::File::create(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(io("write", &tmp));
    if let Err(err) = written {
        // The half-written file is of no use; if it cannot be removed the
        // error that matters is still the write's.
        let _ = fs::remove_file(&tmp);
        return Err(err);
    }

    if let Err(err) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(io("rename", &tmp)(err));
    }
    Ok(())
}

/// Reads a whole file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|err| Error::Io {
        op: LOAD,
        action: "read",
        path: path.to_path_buf(),
        kind: err.kind(),
    })
}

/// Returns `<path>.tmp`, the file that [`write_file`] writes first.
fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// The CRC-32 of `bytes`, with the IEEE polynomial (as zlib, PNG and
/// Ethernet compute it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The remainders of each byte by the reversed IEEE polynomial.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                0xedb8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The check value of CRC-32/IEEE, from the catalogue of CRC
        // parameters: the CRC of the ASCII digits "123456789".
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn fields_read_back_bit_for_bit() -> Result<(), Error> {
        let mut w = Writer::default();
        w.str("adam");
        w.bool(true);
        w.usize(7);
        w.f64(-0.0);
        w.values(&[1.5f32, f32::MIN_POSITIVE / 2.0, f32::NAN]);
        w.values(&[0.1f64, f64::INFINITY]);
        let bytes = w.finish();

        let mut r = Reader::open(&bytes)?;
        assert_eq!(r.str()?, "adam");
        assert!(r.bool()?);
        assert_eq!(r.usize()?, 7);
        assert_eq!(r.f64()?.to_bits(), (-0.0f64).to_bits());
        let singles = r.values::<f32>(3)?;
        assert_eq!(singles[0], 1.5);
        assert_eq!(singles[1].to_bits(), (f32::MIN_POSITIVE / 2.0).to_bits());
        assert_eq!(singles[2].to_bits(), f32::NAN.to_bits());
        assert_eq!(r.values::<f64>(2)?, [0.1, f64::INFINITY]);
        r.finish()
    }

    #[test]
    fn open_rejects_a_truncated_checkpoint() {
        let mut w = Writer::default();
        w.u64(1);
        let bytes = w.finish();

        let err = Reader::open(&bytes[..bytes.len() - 1]).err();

        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("load: expected a length of 32 bytes, got 31 bytes")
        );
    }

    #[test]
    fn open_rejects_a_flipped_bit() {
        let mut w = Writer::default();
        w.u64(1);
        let mut bytes = w.finish();
        bytes[HEADER_LEN] ^= 0x10;

        let err = Reader::open(&bytes).err();

        assert!(
            matches!(
                err,
                Some(Error::Checkpoint {
                    what: "checksum",
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn reading_past_the_payload_fails() -> Result<(), Error> {
        let mut w = Writer::default();
        w.u8(3);
        let bytes = w.finish();
        let mut r = Reader::open(&bytes)?;

        let err = r.u64().unwrap_err();

        assert_eq!(
            err.to_string(),
            "load: expected a payload with at least 8 more bytes, got 1 more"
        );
        Ok(())
    }
}
