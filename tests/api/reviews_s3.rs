//! Review photos in an S3-compatible bucket: a real S3 server (s3s-fs, the
//! S3 protocol over a local directory, with signature checks) on a random
//! port; the app stores, serves and deletes photos there as it would on AWS,
//! MinIO or R2.
use crate::helpers::{Backend, now, order_json, spawn_installed_with_media};
use chrono::Utc;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use reqwest::multipart::{Form, Part};
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const ACCESS_KEY: &str = "AKFLYWHEELTEST";
const SECRET_KEY: &str = "SKflywheel-test-secret";
const BUCKET: &str = "review-photos";

/// An S3 server on 127.0.0.1 over `root` (one directory per bucket).
async fn s3_server(root: &Path) -> String {
    std::fs::create_dir_all(root.join(BUCKET)).expect("bucket directory");
    let fs = s3s_fs::FileSystem::new(root).expect("s3s-fs root");
    let service = {
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        builder.build().into_shared()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        while let Ok((socket, _)) = listener.accept().await {
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(conn);
        }
    });
    format!("http://{addr}")
}

/// Every object under the bucket, as paths relative to it.
fn objects(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                walk(&path, base, out);
            } else if !name.starts_with('.') && !name.ends_with(".json") {
                // s3s-fs keeps metadata beside the objects; count the objects only.
                out.push(
                    path.strip_prefix(base)
                        .unwrap_or(&path)
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    let bucket: PathBuf = root.join(BUCKET);
    walk(&bucket, &bucket, &mut out);
    out.sort();
    out
}

crate::on_both_databases!(photos_live_in_an_s3_bucket);

async fn photos_live_in_an_s3_bucket(backend: Backend) {
    let root = std::env::temp_dir().join(format!("fw-s3-{}", uuid::Uuid::new_v4().simple()));
    let endpoint = s3_server(&root).await;
    let media_url = format!(
        "s3://{BUCKET}/flywheel?endpoint={endpoint}&allow_http=true&region=eu-west-1\
         &access_key_id={ACCESS_KEY}&secret_access_key={SECRET_KEY}"
    );
    let (app, s) = spawn_installed_with_media(backend, "rv-s3", &media_url).await;
    let customer = 5_600_000_000_001;
    let order = order_json(
        5_600_000_100_001,
        customer,
        "lea@example.com",
        "2026-11-02T10:00:00Z",
        "paid",
    );
    app.deliver("orders/paid", &s, "s3-order", &order).await;

    let form = Form::new()
        .text("product_id", "9007199254740993")
        .text("rating", "5")
        .text("body", "Photo from my phone")
        .part(
            "photos",
            Part::bytes(flywheel::media::photos::jpeg_with_gps_exif(900, 600))
                .file_name("IMG.jpg")
                .mime_str("image/jpeg")
                .expect("mime"),
        );
    let url = app.proxy_url("/reviews", &s, Some(customer), now());
    let res = app
        .client
        .post(url)
        .header("Accept", "application/json")
        .multipart(form)
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["photos"], 1);

    // Two objects in the bucket, under the configured prefix; nothing on local disk.
    let stored = objects(&root);
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(
        stored.iter().all(|k| k.starts_with("flywheel/reviews/")),
        "{stored:?}"
    );
    assert!(app.media_files().is_empty());

    // Served from the bucket, with the type S3 kept.
    let page: Value = app
        .proxy_get("/reviews?product_id=9007199254740993", &s, None, now())
        .await
        .json()
        .await
        .expect("page");
    let thumb = page["reviews"][0]["photos"][0]["thumb"]
        .as_str()
        .expect("thumb url")
        .to_owned();
    let res = app.client.get(&thumb).send().await.expect("photo");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let bytes = res.bytes().await.expect("bytes");
    assert!(image::load_from_memory(&bytes).is_ok());

    // Redaction deletes them from the bucket.
    app.deliver(
        "customers/redact",
        &s,
        "s3-redact",
        &json!({"shop_id": 1, "shop_domain": s.as_str(),
            "customer": {"id": customer, "email": "lea@example.com", "phone": null},
            "orders_to_redact": []}),
    )
    .await;
    let report = app.run_review_jobs(Utc::now()).await;
    assert_eq!(report.files_deleted, 2);
    assert!(objects(&root).is_empty(), "{:?}", objects(&root));
    assert_eq!(
        app.client.get(&thumb).send().await.expect("photo").status(),
        404
    );
    let _ = std::fs::remove_dir_all(&root);
}
