//! Decoding the `linux_dirent64` records that `getdents64(2)` writes.
//!
//! ```text
//! offset  size  field
//!      0     8  d_ino     inode number
//!      8     8  d_off     offset of the next record (opaque to userspace)
//!     16     2  d_reclen  size of this record, including padding
//!     18     1  d_type    DT_DIR, DT_LNK, ...
//!     19     …  d_name    NUL-terminated name, then padding to 8 bytes
//! ```
//!
//! Fields are read with `from_ne_bytes` from checked sub-slices, never through pointer casts, so
//! any byte string is safe to decode: a record that does not fit the buffer, or whose name has no
//! NUL inside the record, ends the iteration with an error.

use crate::error::Error;

/// Size of the fixed part of a record, up to the first byte of the name.
pub const HEADER_LEN: usize = 19;

/// One decoded directory entry, borrowing its name from the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent<'a> {
    /// Inode number.
    pub ino: u64,
    /// The `d_type` byte (`DT_DIR`, `DT_LNK`, … as in `dirent.h`).
    pub kind: u8,
    /// The name, without its terminating NUL.
    pub name: &'a [u8],
}

impl Dirent<'_> {
    /// True for the `.` and `..` entries every directory lists.
    pub fn is_dot(&self) -> bool {
        self.name == b"." || self.name == b".."
    }
}

/// Iterator over the records in the filled part of a getdents64 buffer.
///
/// Yields `Ok(entry)` per record; on a malformed record yields one `Err` and then stops.
#[derive(Clone, Debug)]
pub struct Dirents<'a> {
    rest: &'a [u8],
}

/// Decodes the records in `filled`, the bytes a `getdents64` call reported as written.
pub fn dirents(filled: &[u8]) -> Dirents<'_> {
    Dirents { rest: filled }
}

const MALFORMED: Error = Error::parse("getdents64", "d_reclen");

impl<'a> Iterator for Dirents<'a> {
    type Item = Result<Dirent<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let decoded = decode_one(self.rest);
        match decoded {
            Some((entry, reclen)) => {
                self.rest = self.rest.get(reclen..).unwrap_or_default();
                Some(Ok(entry))
            }
            None => {
                self.rest = &[];
                Some(Err(MALFORMED))
            }
        }
    }
}

fn decode_one(buf: &[u8]) -> Option<(Dirent<'_>, usize)> {
    let ino = u64::from_ne_bytes(buf.get(0..8)?.try_into().ok()?);
    let reclen = usize::from(u16::from_ne_bytes(buf.get(16..18)?.try_into().ok()?));
    let kind = *buf.get(18)?;
    if reclen <= HEADER_LEN {
        return None;
    }
    let name_and_padding = buf.get(HEADER_LEN..reclen)?;
    let len = memchr::memchr(0, name_and_padding)?;
    let name = name_and_padding.get(..len)?;
    Some((Dirent { ino, kind, name }, reclen))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Encodes entries the way the kernel does: header, name, NUL, padding to 8 bytes.
    pub(crate) fn encode(entries: &[(u64, u8, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, &(ino, kind, name)) in entries.iter().enumerate() {
            let reclen = (HEADER_LEN + name.len() + 1 + 7) & !7;
            out.extend_from_slice(&ino.to_ne_bytes());
            out.extend_from_slice(&(i as i64 + 1).to_ne_bytes());
            out.extend_from_slice(&(reclen as u16).to_ne_bytes());
            out.push(kind);
            out.extend_from_slice(name);
            out.resize(out.len() + reclen - HEADER_LEN - name.len(), 0);
        }
        out
    }

    #[test]
    fn decodes_what_it_encodes() {
        let buf = encode(&[(1, 4, b"."), (2, 4, b".."), (77, 10, b"12345")]);
        let got: Vec<_> = dirents(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 3);
        assert!(got[0].is_dot() && got[1].is_dot() && !got[2].is_dot());
        assert_eq!(
            got[2],
            Dirent {
                ino: 77,
                kind: 10,
                name: b"12345"
            }
        );
    }

    #[test]
    fn malformed_stops_with_an_error() {
        let mut buf = encode(&[(1, 4, b"0"), (2, 4, b"1")]);
        // A reclen running past the end of the buffer.
        buf[24 + 16] = 200;
        let got: Vec<_> = dirents(&buf).collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert_eq!(got[1], Err(MALFORMED));
        // A reclen of zero would loop forever if trusted.
        let zero = [0u8; 24];
        assert_eq!(dirents(&zero).collect::<Vec<_>>(), vec![Err(MALFORMED)]);
        // A truncated header.
        assert_eq!(
            dirents(&[1, 2, 3]).collect::<Vec<_>>(),
            vec![Err(MALFORMED)]
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let n = dirents(&bytes).count();
            // Every record is at least HEADER_LEN + 1 bytes, plus at most one error.
            prop_assert!(n <= bytes.len() / (HEADER_LEN + 1) + 1);
        }

        #[test]
        fn round_trips(names in proptest::collection::vec("[0-9a-z.]{1,40}", 0..50)) {
            let entries: Vec<(u64, u8, &[u8])> =
                names.iter().enumerate().map(|(i, n)| (i as u64, 8, n.as_bytes())).collect();
            let buf = encode(&entries);
            let got: Vec<_> = dirents(&buf).collect::<Result<_, _>>().unwrap();
            prop_assert_eq!(got.len(), names.len());
            for (g, n) in got.iter().zip(&names) {
                prop_assert_eq!(g.name, n.as_bytes());
            }
        }
    }
}
