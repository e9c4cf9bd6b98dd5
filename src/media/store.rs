//! Where photos live: a local directory by default, any S3-compatible bucket
//! (AWS, MinIO, R2…) when `FLYWHEEL_MEDIA_URL` says so. Keys are checked here,
//! so nothing built from a request can step outside the store.
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, PutOptions, PutPayload};
use std::sync::Arc;

const MAX_KEY_LEN: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid media key {0:?}")]
    BadKey(String),
    #[error("invalid media url {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("media directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Backend(#[from] object_store::Error),
}

/// Photo storage: cheap to clone, shared by every worker.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    prefix: Path,
    /// Local files cannot carry a Content-Type; it is inferred from the key instead.
    keeps_content_type: bool,
    description: String,
}

impl MediaStore {
    /// Opens `file:///abs/dir` or a plain path (created if missing),
    /// `s3://bucket/optional/prefix` (credentials, region and endpoint from the
    /// usual `AWS_*` variables, or as query parameters:
    /// `?endpoint=http://minio:9000&region=eu-west-1&allow_http=true`), or
    /// `memory://` for tests.
    pub fn from_url(url: &str) -> Result<MediaStore, StoreError> {
        let bad = |reason: &str| StoreError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        if url.starts_with("memory:") {
            return Ok(MediaStore {
                inner: Arc::new(InMemory::new()),
                prefix: Path::default(),
                keeps_content_type: true,
                description: "in-memory store".into(),
            });
        }
        if url.starts_with("s3://") {
            let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
            let bucket = parsed.host_str().unwrap_or_default();
            if bucket.is_empty() {
                return Err(bad("no bucket"));
            }
            let prefix =
                Path::parse(parsed.path().trim_matches('/')).map_err(|e| bad(&e.to_string()))?;
            // Settings may ride on the URL (`?endpoint=…&region=…&allow_http=true`,
            // any key object_store knows); the rest come from the AWS_* variables.
            let mut builder = AmazonS3Builder::from_env()
                .with_url(format!("s3://{bucket}"))
                .with_bucket_name(bucket);
            for (key, value) in parsed.query_pairs() {
                let key: object_store::aws::AmazonS3ConfigKey = key
                    .parse()
                    .map_err(|_| bad(&format!("unknown S3 setting `{key}`")))?;
                builder = builder.with_config(key, value.into_owned());
            }
            let s3 = builder.build()?;
            let description = if prefix.as_ref().is_empty() {
                format!("s3://{bucket}")
            } else {
                format!("s3://{bucket}/{prefix}")
            };
            return Ok(MediaStore {
                inner: Arc::new(s3),
                prefix,
                keeps_content_type: true,
                description,
            });
        }
        let dir = if url.starts_with("file:") {
            url::Url::parse(url)
                .ok()
                .and_then(|u| u.to_file_path().ok())
                .ok_or_else(|| bad("expected file:///absolute/directory"))?
        } else if url.contains("://") {
            return Err(bad("expected a directory, file://, s3:// or memory://"));
        } else if url.is_empty() {
            return Err(bad("empty"));
        } else {
            std::path::PathBuf::from(url)
        };
        std::fs::create_dir_all(&dir).map_err(|source| StoreError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
        let local = LocalFileSystem::new_with_prefix(&dir)?;
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        Ok(MediaStore {
            inner: Arc::new(local),
            prefix: Path::default(),
            keeps_content_type: false,
            description: format!("local directory {}", dir.display()),
        })
    }

    /// Stores `bytes` under `key`, replacing whatever was there.
    pub async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let path = self.path(key)?;
        let mut attributes = Attributes::new();
        if self.keeps_content_type {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        }
        let options = PutOptions {
            attributes,
            ..PutOptions::default()
        };
        self.inner
            .put_opts(&path, PutPayload::from(bytes), options)
            .await?;
        Ok(())
    }

    /// The bytes under `key` and their content type, or `None` when there are none.
    pub async fn get(&self, key: &str) -> Result<Option<(bytes::Bytes, String)>, StoreError> {
        let path = self.path(key)?;
        let found = match self.inner.get(&path).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let content_type = found
            .attributes
            .get(&Attribute::ContentType)
            .map(|value| value.to_string())
            .unwrap_or_else(|| content_type_of(key).to_owned());
        Ok(Some((found.bytes().await?, content_type)))
    }

    /// Removes `key`; removing something already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        match self.inner.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let path = self.path(key)?;
        match self.inner.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Where photos go, for the start-up log; never includes credentials.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    fn path(&self, key: &str) -> Result<Path, StoreError> {
        let bad = || StoreError::BadKey(key.to_owned());
        let well_formed = !key.is_empty()
            && key.len() <= MAX_KEY_LEN
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'.' | b'-'))
            && !key.contains("..")
            && key.split('/').all(|part| !part.is_empty() && part != ".");
        if !well_formed {
            return Err(bad());
        }
        let full = if self.prefix.as_ref().is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        };
        Path::parse(full).map_err(|_| bad())
    }
}

// By hand so a backend's configuration (credentials included) never reaches a log.
impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("MediaStore")
            .field(&self.description)
            .finish()
    }
}

/// Content type from a key's extension, for backends that do not store one.
fn content_type_of(key: &str) -> &'static str {
    let extension = key
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    match extension.as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

/// Where photos go when `FLYWHEEL_MEDIA_URL` is unset: a `media` directory
/// beside a SQLite database file, otherwise `./media`; always an absolute `file://` URL.
pub fn default_url(database_url: &str) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let dir = sqlite_file(database_url)
        .map(|file| {
            let parent = file.parent().map(std::path::Path::to_path_buf);
            cwd.join(parent.unwrap_or_default()).join("media")
        })
        .unwrap_or_else(|| cwd.join("media"));
    match url::Url::from_file_path(&dir) {
        Ok(url) => url.to_string(),
        Err(()) => dir.display().to_string(),
    }
}

/// The database file behind a SQLite URL; `None` for PostgreSQL or in-memory SQLite.
fn sqlite_file(database_url: &str) -> Option<std::path::PathBuf> {
    let rest = database_url.strip_prefix("sqlite:")?;
    let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
    let file = file.strip_prefix("//").unwrap_or(file);
    let in_memory =
        file.is_empty() || file == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    (!in_memory).then(|| std::path::PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("flywheel-media-{}", uuid::Uuid::new_v4()))
    }

    #[tokio::test]
    async fn local_directory_round_trip() {
        let dir = temp_dir();
        let store = MediaStore::from_url(dir.to_str().unwrap()).unwrap();
        assert!(dir.is_dir(), "the directory is created");
        assert!(store.describe().starts_with("local directory "));

        let key = "reviews/42/0b6e-display.jpg";
        assert!(!store.exists(key).await.unwrap());
        assert_eq!(store.get(key).await.unwrap(), None);

        store.put(key, vec![1, 2, 3], "image/jpeg").await.unwrap();
        assert!(store.exists(key).await.unwrap());
        assert!(dir.join("reviews/42/0b6e-display.jpg").is_file());
        let (bytes, content_type) = store.get(key).await.unwrap().unwrap();
        assert_eq!(&bytes[..], &[1, 2, 3]);
        assert_eq!(content_type, "image/jpeg");

        store.delete(key).await.unwrap();
        assert!(!store.exists(key).await.unwrap());
        store.delete(key).await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn file_url_opens_the_same_directory() {
        let dir = temp_dir();
        let url = url::Url::from_directory_path(&dir).unwrap().to_string();
        let store = MediaStore::from_url(&url).unwrap();
        store.put("a/b.png", vec![9], "image/png").await.unwrap();
        assert!(dir.join("a/b.png").is_file());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_store() {
        let store = MediaStore::from_url("memory://").unwrap();
        for key in [
            "",
            "/etc/passwd",
            "../secrets",
            "reviews/../../x.jpg",
            "reviews//x.jpg",
            "reviews/./x.jpg",
            "reviews/x.jpg/",
            "reviews/x y.jpg",
            "reviews/%2e%2e/x.jpg",
            "reviews\\x.jpg",
        ] {
            let error = store.put(key, vec![1], "image/jpeg").await.unwrap_err();
            assert!(matches!(error, StoreError::BadKey(_)), "{key:?}: {error:?}");
            assert!(matches!(store.get(key).await, Err(StoreError::BadKey(_))));
        }
    }

    #[tokio::test]
    async fn memory_store_keeps_the_content_type() {
        let store = MediaStore::from_url("memory://").unwrap();
        store
            .put("x/photo.bin", vec![7, 7], "image/webp")
            .await
            .unwrap();
        let (bytes, content_type) = store.get("x/photo.bin").await.unwrap().unwrap();
        assert_eq!(&bytes[..], &[7, 7]);
        assert_eq!(content_type, "image/webp");
        let clone = store.clone();
        assert!(clone.exists("x/photo.bin").await.unwrap());
    }

    #[test]
    fn s3_url_keeps_its_prefix() {
        let store = MediaStore::from_url("s3://shop-photos/flywheel/prod/").unwrap();
        assert_eq!(store.describe(), "s3://shop-photos/flywheel/prod");
        let path = store.path("reviews/7/a-thumb.jpg").unwrap();
        assert_eq!(path.as_ref(), "flywheel/prod/reviews/7/a-thumb.jpg");

        let bare = MediaStore::from_url("s3://shop-photos").unwrap();
        assert_eq!(bare.describe(), "s3://shop-photos");
        assert_eq!(bare.path("x.jpg").unwrap().as_ref(), "x.jpg");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(matches!(
            MediaStore::from_url("ftp://example.com/photos"),
            Err(StoreError::BadUrl { .. })
        ));
        assert!(matches!(
            MediaStore::from_url("s3://"),
            Err(StoreError::BadUrl { .. })
        ));
    }

    #[test]
    fn media_sits_beside_the_sqlite_file() {
        let cwd = std::env::current_dir().unwrap();
        let here = url::Url::from_file_path(cwd.join("media"))
            .unwrap()
            .to_string();
        assert_eq!(default_url("sqlite://flywheel.db?mode=rwc"), here);
        assert_eq!(default_url("sqlite:flywheel.db"), here);
        assert_eq!(
            default_url("sqlite:///var/lib/flywheel/app.db"),
            "file:///var/lib/flywheel/media"
        );
        let nested = url::Url::from_file_path(cwd.join("data/media"))
            .unwrap()
            .to_string();
        assert_eq!(default_url("sqlite://data/app.db?mode=rwc"), nested);
    }

    #[test]
    fn postgres_and_in_memory_sqlite_use_local_media() {
        let cwd = std::env::current_dir().unwrap();
        let here = url::Url::from_file_path(cwd.join("media"))
            .unwrap()
            .to_string();
        assert_eq!(default_url("postgres://u:p@db/flywheel"), here);
        assert_eq!(default_url("sqlite::memory:"), here);
        assert_eq!(default_url("sqlite://file?mode=memory&cache=shared"), here);
    }
}
