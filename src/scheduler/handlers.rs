//! The job kinds this build handles, and the handler for each. A worker only
//! claims what it is given here; a job of a kind no handler knows ends as a
//! dead letter rather than vanishing.
use super::Registry;
use crate::app::AppState;
use crate::emails::mailer::SendHandler;
use crate::emails::{Mailer, SEND_JOB};
use crate::flows::FlowDeps;
use crate::shopify::admin_api::AdminApi;
use crate::shops::TokenCipher;
use actix_web::web::Data;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// What the handlers need: the database, the clock, the app secret and
/// public URL (for signed links), the platform (discount codes), and the
/// mailer (None: emails cannot be sent).
pub struct Deps {
    pub db: sea_orm::DatabaseConnection,
    pub clock: Arc<dyn crate::clock::Clock>,
    pub secret: Vec<u8>,
    pub app_url: url::Url,
    pub admin: Arc<AdminApi>,
    pub cipher: TokenCipher,
    pub mailer: Option<Mailer>,
}

/// Every job kind this build handles.
pub fn handlers(deps: Deps) -> Registry {
    let standards = crate::support::standards::PublishStandards {
        db: deps.db.clone(),
        admin: deps.admin.clone(),
        cipher: deps.cipher.clone(),
    };
    let history = crate::commerce::history::ImportHandler {
        db: deps.db.clone(),
        admin: deps.admin.clone(),
        cipher: deps.cipher.clone(),
        clock: deps.clock.clone(),
    };
    let flows = Arc::new(FlowDeps {
        db: deps.db.clone(),
        clock: deps.clock.clone(),
        secret: deps.secret,
        app_url: deps.app_url,
        admin: deps.admin,
        cipher: deps.cipher,
    });
    let registry = crate::flows::handlers(flows)
        .into_iter()
        .fold(Registry::default(), |registry, (kind, handler)| {
            registry.with_shared(&kind, handler)
        })
        .with(crate::support::standards::PUBLISH_JOB, standards)
        .with(crate::commerce::history::IMPORT_JOB, history);
    match deps.mailer {
        Some(mailer) => registry.with(
            SEND_JOB,
            SendHandler {
                db: deps.db,
                mailer,
                clock: deps.clock,
            },
        ),
        None => registry,
    }
}

/// The handlers, with the mailer the settings describe.
pub fn registry(state: &Data<AppState>) -> Registry {
    let from = state.settings.mail_from.clone().unwrap_or_else(|| {
        // A host name makes a valid sender; an address (local runs) does not.
        let host = state
            .app_url
            .host_str()
            .filter(|h| h.contains('.') && h.chars().any(|c| c.is_ascii_alphabetic()))
            .unwrap_or("flywheel.invalid");
        format!("Flywheel <no-reply@{host}>")
    });
    let smtp = state
        .settings
        .smtp_url
        .as_ref()
        .map(|url| url.expose_secret().to_owned());
    let mailer = Mailer::new(smtp.as_deref(), &from)
        .inspect_err(|e| {
            tracing::error!(error = %e, "emails cannot be sent; they wait as dead letters");
        })
        .ok();
    handlers(Deps {
        db: state.db.clone(),
        clock: state.clock.clone(),
        secret: state.api_secret().to_vec(),
        app_url: state.app_url.clone(),
        admin: state.admin.clone(),
        cipher: state.cipher.clone(),
        mailer,
    })
}
