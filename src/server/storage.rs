//! Where uploaded videos and key frames live: an `object_store` (the local filesystem under the
//! data dir by default). Keys are built only from our own ids and fixed names, never from what a
//! user typed or how their file was called.

use bytes::Bytes;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::{
    local::LocalFileSystem, path::Path as Key, GetOptions, GetRange, ObjectStore, ObjectStoreExt,
    PutPayload, WriteMultipart,
};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};
use tokio::io::AsyncReadExt;

/// Pieces of a file sent to the store at a time.
const CHUNK_BYTES: usize = 8 << 20;
/// Temporary files older than this are left-overs of a crashed process.
const STALE_TEMP_AGE: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("invalid storage key {0:?}")]
    InvalidKey(String),
    #[error("storage i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("not found")]
    NotFound,
}

impl StorageError {
    fn from_store(error: object_store::Error) -> Self {
        match error {
            object_store::Error::NotFound { .. } => Self::NotFound,
            other => Self::Store(other),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Set when the store is the local filesystem: the engine then reads files in place.
    local: Option<Arc<LocalFileSystem>>,
    temp_dir: PathBuf,
}

/// Part of an object, ready to stream.
pub struct StoredRange {
    pub total_size: u64,
    pub start: u64,
    pub end_exclusive: u64,
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>,
}

/// A store file as a local path (the file itself, or a temporary copy removed on drop).
pub struct LocalFile {
    pub path: PathBuf,
    _temp: Option<TempFile>,
}

/// A path under the temporary directory (a file or a directory), deleted when dropped, also on
/// error paths.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
}

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let removed = if self.path.is_dir() {
            std::fs::remove_dir_all(&self.path)
        } else {
            std::fs::remove_file(&self.path)
        };
        match removed {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(error = %e, "could not remove a temporary file"),
        }
    }
}

impl Storage {
    /// Objects under `<data_dir>/objects`, temporary files under `<data_dir>/tmp`.
    pub fn local(data_dir: &Path) -> Result<Self, StorageError> {
        let root = data_dir.join("objects");
        let temp_dir = data_dir.join("tmp");
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&temp_dir)?;
        // At start nothing in the folder is in use: it is what a killed process left.
        remove_stale_temp_files(&temp_dir, Duration::ZERO);
        let local = Arc::new(LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true));
        Ok(Self {
            store: local.clone(),
            local: Some(local),
            temp_dir,
        })
    }

    /// Removes temporary files and folders older than any upload or analysis can be (the
    /// leftovers of a crash); run at start and by the sweeper.
    pub fn remove_stale_temp_files(&self) {
        remove_stale_temp_files(&self.temp_dir, STALE_TEMP_AGE);
    }

    /// A fresh temporary path (nothing is created yet).
    pub fn temp_file(&self, suffix: &str) -> TempFile {
        TempFile {
            path: self
                .temp_dir
                .join(format!("{}{suffix}", uuid::Uuid::new_v4())),
        }
    }

    /// Copies a local file into the store, streaming; nothing is left at `key` on failure.
    pub async fn put_file(&self, key: &str, file: &Path) -> Result<(), StorageError> {
        let key = parse_key(key)?;
        let upload = self.store.put_multipart(&key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, CHUNK_BYTES);
        let copied = async {
            let mut source = tokio::fs::File::open(file).await?;
            let mut buffer = vec![0u8; CHUNK_BYTES];
            loop {
                let n = source.read(&mut buffer).await?;
                if n == 0 {
                    break;
                }
                writer.wait_for_capacity(2).await?;
                writer.write(&buffer[..n]);
            }
            Ok::<_, StorageError>(())
        }
        .await;
        match copied {
            Ok(()) => {
                writer.finish().await?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.store
            .put(&parse_key(key)?, PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The object as a local file for tools that need a path (ffmpeg).
    pub async fn local_file(&self, key: &str) -> Result<LocalFile, StorageError> {
        let key = parse_key(key)?;
        if let Some(local) = &self.local {
            let path = local.path_to_filesystem(&key)?;
            if !tokio::fs::try_exists(&path).await? {
                return Err(StorageError::NotFound);
            }
            return Ok(LocalFile { path, _temp: None });
        }
        let temp = self.temp_file(".download");
        let mut stream = self
            .store
            .get(&key)
            .await
            .map_err(StorageError::from_store)?
            .into_stream();
        let mut out = tokio::fs::File::create(temp.path()).await?;
        while let Some(chunk) = stream.next().await {
            tokio::io::AsyncWriteExt::write_all(&mut out, &chunk?).await?;
        }
        Ok(LocalFile {
            path: temp.path().to_path_buf(),
            _temp: Some(temp),
        })
    }

    /// An object's bytes, all of them or `range`, which must lie inside the object.
    pub async fn get_range(
        &self,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<StoredRange, StorageError> {
        let key = parse_key(key)?;
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self
            .store
            .get_opts(&key, options)
            .await
            .map_err(StorageError::from_store)?;
        let total_size = result.meta.size;
        let span = result.range.clone();
        let body = result
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .boxed();
        Ok(StoredRange {
            total_size,
            start: span.start,
            end_exclusive: span.end,
            body,
        })
    }

    pub async fn size(&self, key: &str) -> Result<u64, StorageError> {
        self.store
            .head(&parse_key(key)?)
            .await
            .map(|meta| meta.size)
            .map_err(StorageError::from_store)
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self.store.head(&parse_key(key)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Moves every object under `from` to the same place under `to`. Safe to run again after
    /// an interruption: what was moved already is simply not found under `from` any more.
    pub async fn move_prefix(&self, from: &str, to: &str) -> Result<usize, StorageError> {
        let (from_key, to_key) = (parse_key(from)?, parse_key(to)?);
        let keys: Vec<_> = self
            .store
            .list(Some(&from_key))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for key in &keys {
            let rest = key
                .prefix_match(&from_key)
                .ok_or_else(|| StorageError::InvalidKey(key.to_string()))?;
            let target = Key::from_iter(to_key.parts().chain(rest));
            self.store.rename(key, &target).await?;
        }
        Ok(keys.len())
    }

    /// Deletes every object under `prefix` (an analysis' directory).
    pub async fn delete_prefix(&self, prefix: &str) -> Result<(), StorageError> {
        let prefix = parse_key(prefix)?;
        let keys: Vec<_> = self
            .store
            .list(Some(&prefix))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for key in keys {
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

fn parse_key(key: &str) -> Result<Key, StorageError> {
    let valid = !key.is_empty()
        && key.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if !valid {
        return Err(StorageError::InvalidKey(key.to_string()));
    }
    Key::parse(key).map_err(|_| StorageError::InvalidKey(key.to_string()))
}

fn remove_stale_temp_files(dir: &Path, older_than: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age >= older_than);
        if stale {
            // Key-frame folders of analyses a crash interrupted, as well as uploads.
            let path = entry.path();
            let _ = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_our_own_names_only() {
        assert!(parse_key("anonymous/0b7c/video").is_ok());
        assert!(parse_key("users/u1/a1/frames/takeoff.png").is_ok());
        for bad in ["", "../etc/passwd", "a//b", "a/./b", "a/b c", "a/é", "/abs"] {
            assert!(parse_key(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[tokio::test]
    async fn files_round_trip_with_ranges_and_prefix_delete() {
        let dir = std::env::temp_dir().join(format!("airtime-storage-{}", uuid::Uuid::new_v4()));
        let storage = Storage::local(&dir).unwrap();
        let temp = storage.temp_file(".bin");
        std::fs::write(temp.path(), b"0123456789").unwrap();
        storage
            .put_file("anonymous/a1/video", temp.path())
            .await
            .unwrap();
        storage
            .put_bytes("anonymous/a1/frames/peak.png", b"png".to_vec())
            .await
            .unwrap();

        let part = storage
            .get_range("anonymous/a1/video", Some(2..5))
            .await
            .unwrap();
        assert_eq!(
            (part.total_size, part.start, part.end_exclusive),
            (10, 2, 5)
        );
        let bytes: Vec<u8> = part
            .body
            .try_fold(Vec::new(), |mut all, chunk| async move {
                all.extend_from_slice(&chunk);
                Ok(all)
            })
            .await
            .unwrap();
        assert_eq!(bytes, b"234");
        assert_eq!(storage.size("anonymous/a1/video").await.unwrap(), 10);
        let local = storage.local_file("anonymous/a1/video").await.unwrap();
        assert_eq!(std::fs::read(&local.path).unwrap(), b"0123456789");

        assert_eq!(
            storage
                .move_prefix("anonymous/a1", "users/u1/a1")
                .await
                .unwrap(),
            2
        );
        assert!(storage.exists("users/u1/a1/frames/peak.png").await.unwrap());
        assert!(!storage.exists("anonymous/a1/video").await.unwrap());
        assert_eq!(
            storage
                .move_prefix("anonymous/a1", "users/u1/a1")
                .await
                .unwrap(),
            0
        );
        storage
            .move_prefix("users/u1/a1", "anonymous/a1")
            .await
            .unwrap();
        storage.delete_prefix("anonymous/a1").await.unwrap();
        assert!(!storage.exists("anonymous/a1/video").await.unwrap());
        assert!(matches!(
            storage.local_file("anonymous/a1/video").await,
            Err(StorageError::NotFound)
        ));
        drop(temp);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
