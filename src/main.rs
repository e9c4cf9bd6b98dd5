//! The `flywheel` binary: reads configuration, sets up tracing, runs a command.
use clap::{Parser, Subcommand};
use flywheel::app::{Application, Options};
use flywheel::clock::{Clock, SystemClock};
use flywheel::config::{Mode, Settings};
use flywheel::shops::TokenCipher;
use flywheel::{db, demo, telemetry};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "flywheel",
    version,
    about = "Retention for dropshipping stores"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate if needed, then serve HTTP.
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Only the background work (scheduled jobs, timed jobs, retries): run several for scale.
    Worker,
    /// Migrate, seed the demo shop, serve, and print the links to try it.
    Demo,
    /// Backfill customers and orders from a Bulk Operations result (JSONL)
    /// or the platform's orders or customers CSV export (by extension).
    Import {
        /// The shop's permanent domain, e.g. my-shop.myshopify.com
        #[arg(long)]
        shop: String,
        /// The .jsonl file a bulk operation produced, or a .csv export.
        file: std::path::PathBuf,
    },
}

fn settings(mode: Mode) -> Result<Settings, ExitCode> {
    Settings::from_env(mode).map_err(|e| {
        eprintln!("flywheel: configuration error: {e}");
        ExitCode::from(2)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    let result = match cli.command {
        Command::Serve => match settings(Mode::Production) {
            Ok(s) => serve(s).await,
            Err(code) => return code,
        },
        Command::Migrate => match settings(Mode::Production) {
            Ok(s) => migrate(s).await,
            Err(code) => return code,
        },
        Command::Worker => match settings(Mode::Production) {
            Ok(s) => worker(s).await,
            Err(code) => return code,
        },
        Command::Demo => match settings(Mode::Demo) {
            Ok(s) => run_demo(s).await,
            Err(code) => return code,
        },
        Command::Import { shop, file } => match settings(Mode::Production) {
            Ok(s) => import(s, &shop, &file).await,
            Err(code) => return code,
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flywheel: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings, Options::default()).await?;
    println!("listening on http://{}", app.local_addr());
    app.run_until_stopped().await?;
    Ok(())
}

/// The background work without the HTTP server, until Ctrl-C or SIGTERM.
/// Expects a migrated database (`flywheel migrate`, or a `serve` instance).
async fn worker(settings: Settings) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database_url).await?;
    let app_url = match &settings.app_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{}", settings.addr))?,
    };
    let state = actix_web::web::Data::new(flywheel::app::AppState::new(
        settings,
        conn,
        &Options::default(),
        app_url,
    )?);
    println!("worker started");
    flywheel::app::background(state, async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    })
    .await;
    println!("worker stopped");
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database_url).await?;
    db::migrate(&conn).await?;
    println!("migrations applied");
    Ok(())
}

/// Counts the bytes read, for the progress bar.
struct Counting<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

async fn import(settings: Settings, shop: &str, file: &std::path::Path) -> anyhow::Result<()> {
    use flywheel::commerce::history::Imports;
    use flywheel::commerce::import::{import_csv, import_jsonl};
    use flywheel::shopify::ShopDomain;
    use std::sync::atomic::{AtomicU64, Ordering};
    let domain = ShopDomain::parse(shop)?;
    let csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let conn = db::connect(&settings.database_url).await?;
    db::migrate(&conn).await?;
    let Some(shop) = flywheel::shops::Shops::find(&conn, &domain).await? else {
        anyhow::bail!("{domain} has not installed the app");
    };
    let opened = std::fs::File::open(file)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
    let size = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let read = std::sync::Arc::new(AtomicU64::new(0));
    let reader = std::io::BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: opened,
            read: read.clone(),
        },
    );
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {percent:>3}% {bytes}/{total_bytes} · {msg} · {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let now = SystemClock.now();
    let record = Imports::start(
        &conn,
        shop.id,
        if csv { "csv" } else { "jsonl" },
        "file",
        now,
    )
    .await?;
    let progress = |report: &flywheel::commerce::import::ImportReport, _: usize| {
        bar.set_position(read.load(Ordering::Relaxed));
        bar.set_message(format!(
            "{} customers, {} orders, {} line items",
            report.customers, report.orders, report.line_items
        ));
    };
    // Each batch is its own transaction: a file that fails half-way keeps what
    // was written, and running it again changes nothing already there.
    let result = if csv {
        import_csv(&conn, shop.id, &shop.currency, reader, now, progress).await
    } else {
        import_jsonl(&conn, shop.id, &shop.currency, reader, now, progress).await
    };
    bar.finish_and_clear();
    let done = SystemClock.now();
    match result {
        Ok(report) => {
            let record = Imports::save_progress(&conn, &record, &report, 0, done).await?;
            Imports::finish(&conn, &record, None, done).await?;
            if report.skipped > 0 {
                eprintln!(
                    "skipped {} rows that could not be read (each is named above)",
                    report.skipped
                );
            }
            println!(
                "imported {} customers, {} orders, {} line items into {domain} in {:.1} s",
                report.customers,
                report.orders,
                report.line_items,
                (done - now).num_milliseconds() as f64 / 1000.0
            );
            Ok(())
        }
        Err(e) => {
            Imports::finish(&conn, &record, Some(e.to_string()), done).await?;
            Err(e.into())
        }
    }
}

async fn run_demo(settings: Settings) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database_url).await?;
    db::migrate(&conn).await?;
    let cipher = TokenCipher::new(settings.encryption_key.bytes());
    let seeded = demo::seed(&conn, &cipher, SystemClock.now()).await?;
    if seeded > 0 {
        println!("seeded the demo shop with {seeded} orders");
    }
    let media = flywheel::media::MediaStore::from_url(&settings.media_url)?;
    let reviews = demo::reviews::seed_reviews(&conn, &media, SystemClock.now()).await?;
    if reviews > 0 {
        println!("seeded {reviews} reviews (photos in {})", media.describe());
    }
    demo::flows::seed_flows(&conn, SystemClock.now()).await?;
    demo::support::seed_support(&conn, SystemClock.now()).await?;
    demo::metrics::seed_metrics(&conn, SystemClock.now()).await?;
    let secret = secrecy::ExposeSecret::expose_secret(&settings.api_secret)
        .as_bytes()
        .to_vec();
    demo::returns::seed_returns(&conn, &cipher, &secret, SystemClock.now()).await?;
    let options = Options {
        demo_routes: true,
        ..Options::default()
    };
    let app = Application::build_with_db(settings, conn, options).await?;
    let base = app.app_url().as_str().trim_end_matches('/').to_owned();
    println!("listening on http://{}", app.local_addr());
    println!("dashboard:          {base}/demo");
    println!("storefront preview: {base}/demo/storefront   (add ?locale=it or ?locale=fr)");
    println!("returns portal:     {base}/apps/flywheel/returns?locale=en");
    app.run_until_stopped().await?;
    Ok(())
}
