//! Reads the two `.tflite` files out of a MediaPipe `.task` bundle.
//!
//! A `.task` file is a plain zip whose entries MediaPipe stores uncompressed (it memory-maps
//! them), so a small reader for stored entries is enough and keeps the `zip` crate and its
//! compression backends out of the build. Compressed entries are rejected with a clear error.

use super::error::PoseError;

pub(crate) const DETECTOR_ENTRY: &str = "pose_detector.tflite";
pub(crate) const LANDMARKS_ENTRY: &str = "pose_landmarks_detector.tflite";

const EOCD_SIG: u32 = 0x0605_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;

/// One stored entry of the bundle, borrowed from the file bytes.
#[derive(Debug)]
pub(crate) struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

/// Little-endian reads that stop at the end of the buffer (also used by `prune.rs`).
pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn bad(msg: impl Into<String>) -> PoseError {
    PoseError::ModelInvalid(format!("model bundle: {}", msg.into()))
}

/// Lists the entries of a zip held in memory. Only stored (method 0) entries are accepted.
pub(crate) fn entries(zip: &[u8]) -> Result<Vec<Entry<'_>>, PoseError> {
    // The end record sits in the last 22 + 65535 bytes; the last match wins because MediaPipe's
    // bundles carry an earlier, empty end record from a previous archive step.
    if zip.len() < EOCD_LEN {
        return Err(bad("too short to be a zip file"));
    }
    let floor = zip.len().saturating_sub(EOCD_LEN + 0xffff);
    let eocd = (floor..=zip.len() - EOCD_LEN)
        .rev()
        .find(|&i| u32_at(zip, i) == Some(EOCD_SIG))
        .ok_or_else(|| bad("no zip end-of-central-directory record"))?;
    let count = u16_at(zip, eocd + 10).unwrap_or(0) as usize;
    let mut at = u32_at(zip, eocd + 16).unwrap_or(u32::MAX) as usize;

    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(zip, at) != Some(CENTRAL_SIG) {
            return Err(bad("corrupt central directory"));
        }
        let field = |off: usize| u16_at(zip, at + off).ok_or_else(|| bad("truncated"));
        let method = field(10)?;
        let crc = u32_at(zip, at + 16).ok_or_else(|| bad("truncated"))?;
        let csize = u32_at(zip, at + 20).ok_or_else(|| bad("truncated"))? as usize;
        let size = u32_at(zip, at + 24).ok_or_else(|| bad("truncated"))? as usize;
        let name_len = field(28)? as usize;
        let extra_len = field(30)? as usize;
        let comment_len = field(32)? as usize;
        let local = u32_at(zip, at + 42).ok_or_else(|| bad("truncated"))? as usize;
        let name = zip
            .get(at + 46..at + 46 + name_len)
            .and_then(|n| std::str::from_utf8(n).ok())
            .ok_or_else(|| bad("bad entry name"))?;
        if method != 0 || csize != size {
            return Err(bad(format!(
                "entry {name} is compressed; expected stored entries"
            )));
        }
        if u32_at(zip, local) != Some(LOCAL_SIG) {
            return Err(bad(format!("entry {name}: bad local header")));
        }
        // The local header's own name/extra lengths decide where data starts; they may differ
        // from the central directory's (alignment padding lives in the local extra field).
        let local_name = u16_at(zip, local + 26).unwrap_or(0) as usize;
        let local_extra = u16_at(zip, local + 28).unwrap_or(0) as usize;
        let start = local + 30 + local_name + local_extra;
        let data = zip
            .get(start..start + size)
            .ok_or_else(|| bad(format!("entry {name} runs past the end of the file")))?;
        if crc32(data) != crc {
            return Err(bad(format!("entry {name} fails its CRC check")));
        }
        out.push(Entry { name, data });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(out)
}

/// Finds one entry by name.
pub(crate) fn entry<'a>(entries: &[Entry<'a>], name: &str) -> Result<&'a [u8], PoseError> {
    entries
        .iter()
        .find(|e| e.name == name)
        .map(|e| e.data)
        .ok_or_else(|| bad(format!("missing {name}")))
}

/// CRC-32 (IEEE), as zip uses it, eight bytes per step ("slicing-by-8"): one byte at a time,
/// checking the two 3 MB entries took 12 ms, before either model could start loading.
fn crc32(data: &[u8]) -> u32 {
    let t = crc_tables();
    let mut crc = !0u32;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let lo = crc ^ u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        let byte = |v: u32, k: u32| ((v >> (8 * k)) & 0xff) as usize;
        crc = t[7][byte(lo, 0)]
            ^ t[6][byte(lo, 1)]
            ^ t[5][byte(lo, 2)]
            ^ t[4][byte(lo, 3)]
            ^ t[3][byte(hi, 0)]
            ^ t[2][byte(hi, 1)]
            ^ t[1][byte(hi, 2)]
            ^ t[0][byte(hi, 3)];
    }
    for &b in words.remainder() {
        crc = t[0][((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// `t[0]` is the byte-at-a-time table; `t[k]` advances a byte's contribution by `k` more bytes.
fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    for (i, slot) in t[0].iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *slot = c;
    }
    for k in 1..8 {
        for i in 0..256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a one-entry stored zip by hand, with a padding byte before the local header as
    /// MediaPipe's bundler writes.
    fn tiny_zip(name: &str, data: &[u8]) -> Vec<u8> {
        let mut z = vec![0u8, 0u8];
        let local = z.len() as u32;
        z.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&crc32(data).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(data);
        let cd = z.len() as u32;
        z.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        z.extend_from_slice(&[20, 3, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&crc32(data).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0u8; 12]);
        z.extend_from_slice(&local.to_le_bytes());
        z.extend_from_slice(name.as_bytes());
        let cd_len = z.len() as u32 - cd;
        z.extend_from_slice(&EOCD_SIG.to_le_bytes());
        z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&cd_len.to_le_bytes());
        z.extend_from_slice(&cd.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z
    }

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn crc32_matches_the_byte_at_a_time_definition_at_every_length() {
        let t = crc_tables()[0];
        let bytewise = |data: &[u8]| {
            !data.iter().fold(!0u32, |crc, &b| {
                t[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8)
            })
        };
        let data: Vec<u8> = (0..40u32).map(|i| (i * 151 + 7) as u8).collect();
        for len in 0..=data.len() {
            assert_eq!(crc32(&data[..len]), bytewise(&data[..len]), "{len} bytes");
        }
    }

    #[test]
    fn reads_stored_entry() {
        let z = tiny_zip("a.tflite", b"hello model");
        let e = entries(&z).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(entry(&e, "a.tflite").unwrap(), b"hello model");
        assert!(entry(&e, "b.tflite").is_err());
    }

    #[test]
    fn rejects_corruption() {
        let mut z = tiny_zip("a.tflite", b"hello model");
        z[2 + 30 + 8] ^= 1;
        assert!(entries(&z).is_err());
        assert!(entries(b"not a zip at all, no").is_err());
    }
}
