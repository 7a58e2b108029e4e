//! The checkpoint format: an optimizer's or a schedule's state as bytes,
//! written whole or not at all, and read back bit for bit.
//!
//! A checkpoint is:
//!
//! | bytes | holds |
//! |---|---|
//! | 8 | the magic bytes `ZGRADCKP` |
//! | 4 | the format version, 2, a little-endian `u32` |
//! | 8 | the length `n` of the payload, a little-endian `u64` |
//! | `n` | the payload, in postcard's wire format |
//! | 4 | the CRC-32 (IEEE) of everything before it, a little-endian `u32` |
//!
//! The header is the serde struct [`Header`], and the payload a tuple of
//! serde values, encoded by `postcard`, whose wire format is stable across
//! its 1.x versions: integers are varints, a sequence or string is its
//! length then its items, a tuple or struct its fields in order, and a
//! float its bits (4 bytes for `f32`, 8 for `f64`), so that every value
//! reads back bit for bit. The checksum is `crc32fast`'s.
//!
//! A reader checks the header, the length and the checksum before it
//! decodes the payload, so a truncated or corrupt file is rejected before
//! anything is decoded. As a tuple's encoding is that of each item in
//! turn, [`Payload`] then decodes the items one by one: a caller takes and
//! checks the kind of state first (which optimizer or schedule, over which
//! element type), and only then the state, which only a reader of the same
//! kind can decode. The callers replace their state only once all of it
//! has been decoded and checked.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zengrad_core::Error;

/// The first eight bytes of every checkpoint.
const MAGIC: [u8; 8] = *b"ZGRADCKP";

/// The version of the layout above. A reader rejects any other; version 1
/// encoded the payload field by field, by hand.
const VERSION: u32 = 2;

/// The bytes before the payload: magic, version and length.
const HEADER_LEN: usize = 8 + 4 + 8;

/// The bytes after the payload: the checksum.
const TRAILER_LEN: usize = 4;

/// The operation that reads a checkpoint, as errors name it.
const LOAD: &str = "load";

/// What comes before the payload: fixed-width, so that a reader can check
/// it in a file of any content.
#[derive(Serialize, Deserialize)]
struct Header {
    magic: [u8; 8],
    #[serde(with = "postcard::fixint::le")]
    version: u32,
    /// The length of the payload, in bytes.
    #[serde(with = "postcard::fixint::le")]
    len: u64,
}

/// Returns the checkpoint of `payload`, a tuple whose items
/// [`Payload::take`] reads back one by one: header, payload and checksum.
pub(crate) fn encode<T: Serialize>(payload: &T) -> Vec<u8> {
    let payload = postcard::to_allocvec(payload)
        .expect("internal error: a state encodes, as its sequences have a length");

    // The payload is encoded first to know its length, then copied behind
    // the header: beside the write to disk, the copy is cheap.
    let header = Header {
        magic: MAGIC,
        version: VERSION,
        len: payload.len() as u64,
    };
    let bytes = Vec::with_capacity(HEADER_LEN + payload.len() + TRAILER_LEN);
    let mut bytes =
        postcard::to_extend(&header, bytes).expect("internal error: a header always encodes");
    bytes.extend_from_slice(&payload);

    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}

/// The payload of a checkpoint, whose items are decoded in the order they
/// were encoded.
pub(crate) struct Payload<'a> {
    rest: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Decodes the next item.
    pub(crate) fn take<T: Deserialize<'a>>(&mut self) -> Result<T, Error> {
        let (item, rest) = postcard::take_from_bytes(self.rest).map_err(undecodable)?;
        self.rest = rest;
        Ok(item)
    }

    /// Checks that every item was decoded.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if !self.rest.is_empty() {
            return Err(corrupt(
                "the end of the payload, with",
                "0 bytes left".into(),
                format!("{} bytes left", self.rest.len()),
            ));
        }
        Ok(())
    }
}

/// Checks the magic bytes, version, length and checksum of `bytes`, and
/// returns its payload.
pub(crate) fn open(bytes: &[u8]) -> Result<Payload<'_>, Error> {
    if bytes.len() < HEADER_LEN + TRAILER_LEN {
        return Err(corrupt(
            "a length of at least",
            format!("{} bytes", HEADER_LEN + TRAILER_LEN),
            format!("{} bytes", bytes.len()),
        ));
    }

    let (header, _) = postcard::take_from_bytes::<Header>(bytes).map_err(undecodable)?;
    if header.magic != MAGIC {
        return Err(corrupt(
            "magic bytes",
            format!("\"{}\"", MAGIC.escape_ascii()),
            format!("\"{}\"", header.magic.escape_ascii()),
        ));
    }
    if header.version != VERSION {
        return Err(corrupt(
            "version",
            VERSION.to_string(),
            header.version.to_string(),
        ));
    }

    // The length is checked before the checksum, so that a truncated file
    // says so rather than that its checksum is wrong.
    let expected = (HEADER_LEN + TRAILER_LEN) as u64 + header.len;
    if bytes.len() as u64 != expected {
        return Err(corrupt(
            "a length of",
            format!("{expected} bytes"),
            format!("{} bytes", bytes.len()),
        ));
    }

    let (body, trailer) = bytes.split_at(bytes.len() - TRAILER_LEN);
    let stored = u32::from_le_bytes(trailer.try_into().expect("4 bytes"));
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(corrupt(
            "checksum",
            format!("{computed:#010x}"),
            format!("{stored:#010x}"),
        ));
    }
    Ok(Payload {
        rest: &body[HEADER_LEN..],
    })
}

/// Returns the error for a payload that postcard cannot decode. Past the
/// checksum, only bytes made to pass it, or a bug, get here.
fn undecodable(err: postcard::Error) -> Error {
    use postcard::Error as E;

    let got = match err {
        E::DeserializeUnexpectedEnd => "its end too soon",
        E::DeserializeBadVarint => "an integer too large",
        E::DeserializeBadBool => "a flag neither 0 nor 1",
        E::DeserializeBadOption => "an option tag neither 0 nor 1",
        E::DeserializeBadUtf8 | E::DeserializeBadChar => "text that is not UTF-8",
        _ => "bytes that do not decode",
    };
    corrupt(
        "a payload in format version",
        VERSION.to_string(),
        got.into(),
    )
}

/// Returns the error for a checkpoint whose `what` is not as expected.
fn corrupt(what: &'static str, expected: String, got: String) -> Error {
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

/// Checks that a buffer read from a checkpoint holds `numel` values.
pub(crate) fn expect_values<F>(values: &[F], numel: usize) -> Result<(), Error> {
    if values.len() != numel {
        return Err(corrupt(
            "a buffer of",
            format!("{numel} values"),
            format!("{} values", values.len()),
        ));
    }
    Ok(())
}

/// Encodes a buffer of `f32` or `f64` values as a sequence of them, for
/// `#[serde(with = "checkpoint::values")]` on a `Vec<F>` field.
///
/// Serde knows `f32` and `f64` but not `Float`; as `Float` is sealed and
/// implemented for those two only, the buffer is viewed as the one it is.
pub(crate) mod values {
    use std::any::Any;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use zengrad_core::Float;

    /// The message of the impossible case: `F` is neither `f32` nor `f64`.
    const SEALED: &str = "internal error: Float is implemented for f32 and f64 only";

    /// Encodes `values` as `Vec<f32>` or `Vec<f64>` encodes itself.
    // Serde's `with` passes the field itself, a `Vec`; and `Any` needs
    // the owned type, which a slice is not.
    #[expect(clippy::ptr_arg)]
    pub(crate) fn serialize<F: Float, S: Serializer>(
        values: &Vec<F>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let values: &dyn Any = values;
        if let Some(values) = values.downcast_ref::<Vec<f32>>() {
            values.serialize(serializer)
        } else if let Some(values) = values.downcast_ref::<Vec<f64>>() {
            values.serialize(serializer)
        } else {
            unreachable!("{SEALED}")
        }
    }

    /// Decodes what [`serialize`] encoded, as a `Vec<f32>` or `Vec<f64>`.
    pub(crate) fn deserialize<'de, F: Float, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<F>, D::Error> {
        let mut values: Option<Vec<F>> = None;
        let slot: &mut dyn Any = &mut values;
        if let Some(slot) = slot.downcast_mut::<Option<Vec<f32>>>() {
            *slot = Some(Vec::deserialize(deserializer)?);
        } else if let Some(slot) = slot.downcast_mut::<Option<Vec<f64>>>() {
            *slot = Some(Vec::deserialize(deserializer)?);
        }
        Ok(values.expect(SEALED))
    }
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

#[cfg(test)]
mod tests {
    use zengrad_core::Float;

    use super::*;

    /// A state with a field of each kind a checkpoint holds.
    #[derive(Serialize, Deserialize)]
    #[serde(bound = "F: Float")]
    struct Sample<F> {
        name: String,
        flag: bool,
        count: usize,
        rate: f64,
        #[serde(with = "values")]
        values: Vec<F>,
    }

    /// Returns a sample with `values`.
    fn sample<F>(values: Vec<F>) -> Sample<F> {
        Sample {
            name: "adam".into(),
            flag: true,
            count: 7,
            rate: -0.0,
            values,
        }
    }

    /// Decodes a checkpoint of kind "sample" and a `Sample`.
    fn decode_sample<F: Float>(bytes: &[u8]) -> Result<Sample<F>, Error> {
        let mut payload = open(bytes)?;
        expect("kind", "sample", payload.take::<&str>()?)?;
        let state = payload.take()?;
        payload.finish()?;
        Ok(state)
    }

    /// Returns the bits of `values`.
    fn bits<F: Float>(values: &[F]) -> Vec<u64> {
        values.iter().map(|v| v.as_f64().to_bits()).collect()
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The check value of CRC-32/IEEE, from the catalogue of CRC
        // parameters: the CRC of the ASCII digits "123456789".
        assert_eq!(crc32fast::hash(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32fast::hash(b""), 0);
    }

    #[test]
    fn the_header_is_magic_version_and_length_then_the_payload() {
        let bytes = encode(&("k", 0x0102u16));

        // The payload is "k" (its length 1, then "k"), then 0x0102 as a
        // varint: 7 bits at a time, low first, 0x80 on all but the last.
        assert_eq!(&bytes[..8], b"ZGRADCKP");
        assert_eq!(&bytes[8..12], [2, 0, 0, 0]);
        assert_eq!(&bytes[12..20], [4, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&bytes[20..24], [1, b'k', 0x82, 0x02]);
        let checksum = crc32fast::hash(&bytes[..24]).to_le_bytes();
        assert_eq!(&bytes[24..], checksum);
    }

    #[test]
    fn fields_read_back_bit_for_bit() -> Result<(), Error> {
        let singles = vec![1.5f32, f32::MIN_POSITIVE / 2.0, f32::NAN];
        let bytes = encode(&("sample", sample(singles.clone())));

        let state = decode_sample::<f32>(&bytes)?;

        assert_eq!(state.name, "adam");
        assert!(state.flag);
        assert_eq!(state.count, 7);
        assert_eq!(state.rate.to_bits(), (-0.0f64).to_bits());
        let single_bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(single_bits(&state.values), single_bits(&singles));

        let doubles = vec![0.1f64, f64::INFINITY, -f64::NAN];
        let bytes = encode(&("sample", sample(doubles.clone())));
        let state = decode_sample::<f64>(&bytes)?;
        assert_eq!(bits(&state.values), bits(&doubles));
        Ok(())
    }

    #[test]
    fn open_rejects_a_truncated_checkpoint() {
        // 20 bytes of header, 8 of payload ("sample" in 7, 1 in 1) and 4
        // of checksum.
        let bytes = encode(&("sample", 1u64));

        let err = open(&bytes[..bytes.len() - 1]).err();

        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("load: expected a length of 32 bytes, got 31 bytes")
        );
    }

    #[test]
    fn open_rejects_a_flipped_bit() {
        let mut bytes = encode(&("sample", sample(vec![1.0f64])));
        bytes[HEADER_LEN] ^= 0x10;

        let err = open(&bytes).err();

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
    fn open_rejects_a_version_1_checkpoint() {
        let mut bytes = encode(&("sample", 1u8));
        bytes[8] = 1;

        let err = open(&bytes).err();

        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("load: expected version 2, got 1")
        );
    }

    #[test]
    fn take_rejects_a_payload_that_ends_too_soon() {
        let bytes = encode(&("sample", "adam"));

        let err = decode_sample::<f32>(&bytes).err();

        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("load: expected a payload in format version 2, got its end too soon")
        );
    }

    #[test]
    fn take_rejects_a_flag_that_is_not_0_or_1() {
        let bytes = encode(&("sample", "adam", 2u8));

        let err = decode_sample::<f32>(&bytes).err();

        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("load: expected a payload in format version 2, got a flag neither 0 nor 1")
        );
    }

    #[test]
    fn finish_rejects_bytes_left_after_the_last_item() -> Result<(), Error> {
        let bytes = encode(&(1u8, 2u8, 3u8));
        let mut payload = open(&bytes)?;
        assert_eq!(payload.take::<u8>()?, 1);

        let err = payload.finish().err();

        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("load: expected the end of the payload, with 0 bytes left, got 2 bytes left")
        );
        Ok(())
    }
}
