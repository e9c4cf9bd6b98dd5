//! Builds the HTTP server from settings: connects and migrates the database,
//! binds the listener (port 0 picks a free one) and wires the routes. Tests
//! and benches call the same `Application::build` as `main`.
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::shopify::admin_api::{AdminApi, RetryPolicy};
use crate::shops::TokenCipher;
use crate::{db, telemetry, web};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web::Data};
use sea_orm::DatabaseConnection;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;
use url::Url;

/// What every handler can reach.
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    /// The public URL the platform and browsers reach us at.
    pub app_url: Url,
    pub cipher: TokenCipher,
    pub http: reqwest::Client,
    pub admin: Arc<AdminApi>,
    pub clock: Arc<dyn Clock>,
    /// Review photos: a local directory or an S3-compatible bucket.
    pub media: crate::media::MediaStore,
    /// Run timed jobs and post-webhook platform syncs in the background.
    pub background_jobs: bool,
    /// Dashboards computed in the last minute.
    pub dashboards: Arc<crate::metrics::cache::DashboardCache>,
}

impl AppState {
    /// Everything the handlers and the workers share, over an open database.
    pub fn new(
        settings: Settings,
        db: DatabaseConnection,
        options: &Options,
        app_url: Url,
    ) -> Result<AppState, StartError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("flywheel/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let admin = Arc::new(AdminApi::new(
            http.clone(),
            settings.shopify_base_url.clone(),
            settings.api_version.clone(),
            options.admin_retry.clone(),
        ));
        let cipher = TokenCipher::new(settings.encryption_key.bytes());
        let media = crate::media::MediaStore::from_url(&settings.media_url)?;
        tracing::info!(media = %media.describe(), "review photos store");
        Ok(AppState {
            db,
            settings: Arc::new(settings),
            app_url,
            cipher,
            http,
            admin,
            clock: options.clock.clone(),
            media,
            background_jobs: options.background_jobs,
            dashboards: Arc::default(),
        })
    }

    pub fn api_secret(&self) -> &[u8] {
        self.settings.api_secret.expose_secret().as_bytes()
    }

    pub fn oauth(&self) -> crate::shopify::oauth::OAuthClient<'_> {
        crate::shopify::oauth::OAuthClient {
            http: &self.http,
            base_override: self.settings.shopify_base_url.as_ref(),
            api_key: &self.settings.api_key,
            api_secret: self.settings.api_secret.expose_secret(),
        }
    }
}

/// Knobs tests turn; production uses the defaults.
pub struct Options {
    pub clock: Arc<dyn Clock>,
    pub admin_retry: RetryPolicy,
    pub demo_routes: bool,
    /// Timed jobs (points expiry, referral rewards, tier tags…) every minute.
    /// Tests turn this off and run the jobs themselves at the instant they choose.
    pub background_jobs: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: Arc::new(SystemClock),
            admin_retry: RetryPolicy::default(),
            demo_routes: false,
            background_jobs: true,
        }
    }
}

pub struct Application {
    local_addr: std::net::SocketAddr,
    port: u16,
    app_url: Url,
    state: Data<AppState>,
    server: Server,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("app url: {0}")]
    Url(#[from] url::ParseError),
    #[error("media store: {0}")]
    Media(#[from] crate::media::StoreError),
}

/// The platform allows 5 s for a webhook answer; stay well inside it.
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(4);

impl Application {
    pub async fn build(settings: Settings, options: Options) -> Result<Application, StartError> {
        let db = db::connect(&settings.database_url).await?;
        db::migrate(&db).await?;
        Self::build_with_db(settings, db, options).await
    }

    pub async fn build_with_db(
        settings: Settings,
        db: DatabaseConnection,
        options: Options,
    ) -> Result<Application, StartError> {
        let addr = settings.addr.replace("localhost:", "127.0.0.1:");
        let addr = if addr.starts_with(':') {
            format!("127.0.0.1{addr}")
        } else {
            addr
        };
        let listener = TcpListener::bind(&addr).map_err(|source| StartError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let local = listener.local_addr().map_err(|source| StartError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let app_url = match &settings.app_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{local}"))?,
        };
        let state = Data::new(AppState::new(settings, db, &options, app_url.clone())?);
        let demo_routes = options.demo_routes;
        let server_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(TracingLogger::<telemetry::RequestSpan>::new())
                .app_data(server_state.clone())
                .configure(|cfg| web::routes(cfg, demo_routes))
        })
        .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
        .listen(listener)
        .map_err(|source| StartError::Bind { addr, source })?
        .run();
        Ok(Application {
            local_addr: local,
            port: local.port(),
            app_url,
            state,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address the listener is bound to (`FLYWHEEL_ADDR` with `:0` resolved).
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }

    pub fn app_url(&self) -> &Url {
        &self.app_url
    }

    pub fn state(&self) -> Data<AppState> {
        self.state.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if self.state.background_jobs {
            tokio::spawn(background(self.state.clone(), std::future::pending()));
        }
        self.server.await
    }
}

/// The background work of one process — `serve` runs it beside the HTTP
/// server, `flywheel worker` on its own, and any number may run at once: the
/// timed jobs (each step keyed or leased) and a queue worker (leased claims).
pub async fn background(state: Data<AppState>, stop: impl std::future::Future<Output = ()>) {
    let worker = crate::scheduler::Worker::new(
        state.db.clone(),
        crate::scheduler::handlers::registry(&state),
        state.clock.clone(),
    );
    tokio::select! {
        () = worker.run(stop) => {}
        () = run_jobs(state.clone()) => {}
    }
}

/// How often the timed jobs run.
const JOB_INTERVAL: Duration = Duration::from_secs(60);

/// The timed jobs, forever; a failed round is logged and the next one tries again.
async fn run_jobs(state: Data<AppState>) {
    let mut tick = tokio::time::interval(JOB_INTERVAL);
    loop {
        tick.tick().await;
        let now = state.clock.now();
        match crate::loyalty::jobs::LoyaltyJobs::run_due(
            &state.db,
            &state.admin,
            &state.cipher,
            now,
        )
        .await
        {
            Ok(report) => tracing::debug!(?report, "loyalty jobs ran"),
            Err(e) => tracing::warn!(error = %e, "loyalty jobs failed; retrying next round"),
        }
        match crate::reviews::jobs::ReviewJobs::run_due(
            &state.db,
            &state.admin,
            &state.cipher,
            &state.media,
            &crate::reviews::media_base(&state.app_url),
            now,
        )
        .await
        {
            Ok(report) => tracing::debug!(?report, "review jobs ran"),
            Err(e) => tracing::warn!(error = %e, "review jobs failed; retrying next round"),
        }
        match crate::flows::daily::FlowJobs::run_due(&state.db, now).await {
            Ok(report) => tracing::debug!(?report, "flow jobs ran"),
            Err(e) => tracing::warn!(error = %e, "flow jobs failed; retrying next round"),
        }
    }
}
