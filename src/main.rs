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
    /// Backfill customers and orders from a Bulk Operations result (JSONL).
    Import {
        /// The shop's permanent domain, e.g. my-shop.myshopify.com
        #[arg(long)]
        shop: String,
        /// The JSONL file the bulk operation produced.
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

async fn import(settings: Settings, shop: &str, file: &std::path::Path) -> anyhow::Result<()> {
    use flywheel::shopify::ShopDomain;
    use sea_orm::TransactionTrait;
    let domain = ShopDomain::parse(shop)?;
    if file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        anyhow::bail!(
            "CSV exports are not supported yet: run a Bulk Operations query and import its JSONL"
        );
    }
    let conn = db::connect(&settings.database_url).await?;
    db::migrate(&conn).await?;
    let Some(shop) = flywheel::shops::Shops::find(&conn, &domain).await? else {
        anyhow::bail!("{domain} has not installed the app");
    };
    let reader = std::io::BufReader::new(std::fs::File::open(file)?);
    // One transaction: a file that fails half-way leaves nothing behind, and can be run again.
    let txn = conn.begin().await?;
    let report =
        flywheel::commerce::import::import_jsonl(&txn, shop.id, reader, SystemClock.now()).await?;
    txn.commit().await?;
    println!(
        "imported {} customers, {} orders, {} line items into {domain}",
        report.customers, report.orders, report.line_items
    );
    Ok(())
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
