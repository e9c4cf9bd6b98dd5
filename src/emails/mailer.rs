//! Hands outbox emails to an SMTP server, and the `email.send` job handler.
use super::{OUTBOX, QUEUED, SENT};
use crate::clock::Clock;
use crate::scheduler::{Handler, HandlerFuture, Outcome};
use entity::{emails, jobs};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the email cannot be built: {0}")]
    Build(String),
    #[error("the SMTP server refused or could not be reached: {0}")]
    Smtp(String),
}

/// Sends through SMTP when configured; `None` keeps emails in the outbox.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp_url` as lettre reads it (`smtp://user:pass@host:587?tls=required`,
    /// `smtps://…`); `from` the sender (`Flywheel <no-reply@example.com>`).
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Mailer, SendError> {
        let transport = smtp_url
            .map(|url| {
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map(|b| b.timeout(Some(std::time::Duration::from_secs(20))).build())
                    .map_err(|e| SendError::Build(format!("SMTP_URL: {e}")))
            })
            .transpose()?;
        let from = from
            .parse()
            .map_err(|e| SendError::Build(format!("sender `{from}`: {e}")))?;
        Ok(Mailer { transport, from })
    }

    pub fn delivers(&self) -> bool {
        self.transport.is_some()
    }

    /// The message as it goes on the wire: text and HTML alternatives, the
    /// language, and the stored headers (unsubscribe, reply-to).
    pub fn message(&self, email: &emails::Model, sender_name: &str) -> Result<Message, SendError> {
        let to: Mailbox = email
            .to_address
            .parse()
            .map_err(|e| SendError::Build(format!("recipient: {e}")))?;
        let from = Mailbox::new(Some(sender_name.to_owned()), self.from.email.clone());
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                email.locale.clone(),
            ))
            .message_id(None);
        if let Some(headers) = email.headers.as_object() {
            for (name, value) in headers {
                let Some(value) = value.as_str() else {
                    continue;
                };
                if name.eq_ignore_ascii_case("Reply-To") {
                    if let Ok(mailbox) = value.parse::<Mailbox>() {
                        builder = builder.reply_to(mailbox);
                    }
                    continue;
                }
                let name = HeaderName::new_from_ascii(name.clone())
                    .map_err(|e| SendError::Build(format!("header {name}: {e}")))?;
                builder = builder.raw_header(HeaderValue::new(name, value.to_owned()));
            }
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::Build(e.to_string()))
    }

    /// Sends one email; returns the server's answer.
    pub async fn send(
        &self,
        email: &emails::Model,
        sender_name: &str,
    ) -> Result<String, SendError> {
        let Some(transport) = &self.transport else {
            return Err(SendError::Smtp("no SMTP server is configured".into()));
        };
        let message = self.message(email, sender_name)?;
        let response = transport
            .send(message)
            .await
            .map_err(|e| SendError::Smtp(e.to_string()))?;
        Ok(response.message().collect::<Vec<_>>().join(" "))
    }
}

/// `email.send`: delivers one outbox email, once.
pub struct SendHandler {
    pub db: DatabaseConnection,
    pub mailer: Mailer,
    pub clock: Arc<dyn Clock>,
}

impl Handler for SendHandler {
    fn run<'a>(&'a self, job: &'a jobs::Model) -> HandlerFuture<'a> {
        Box::pin(async move {
            let Some(id) = job.payload["email_id"].as_i64() else {
                return Outcome::Skip("the job names no email".into());
            };
            let email = match emails::Entity::find_by_id(id).one(&self.db).await {
                Ok(Some(email)) => email,
                Ok(None) => return Outcome::Skip("the email is gone (redacted)".into()),
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            if email.status != QUEUED {
                // Already sent or cancelled: a repeat of the job changes nothing.
                return Outcome::Skip(format!("the email is {}", email.status));
            }
            let now = self.clock.now();
            let shop = match entity::shops::Entity::find_by_id(email.shop_id)
                .one(&self.db)
                .await
            {
                Ok(shop) => shop,
                Err(e) => return Outcome::Retry(e.to_string()),
            };
            match super::pacing::pace(&self.db, &email, shop.as_ref(), now).await {
                Ok(super::pacing::Pace::Now) => {}
                Ok(super::pacing::Pace::Later(at, why)) => return Outcome::Defer(at, why.into()),
                Ok(super::pacing::Pace::Never(why)) => {
                    let _ = emails::Entity::update_many()
                        .col_expr(emails::Column::Status, Expr::value(super::SKIPPED))
                        .col_expr(emails::Column::LastError, Expr::value(why))
                        .filter(emails::Column::Id.eq(id))
                        .exec(&self.db)
                        .await;
                    return Outcome::Skip(why.into());
                }
                Err(e) => return Outcome::Retry(e.to_string()),
            }
            if !self.mailer.delivers() {
                return settle(&self.db, id, OUTBOX, None, now).await;
            }
            let shop_name = shop
                .and_then(|s| s.name)
                .unwrap_or_else(|| "Flywheel".into());
            match self.mailer.send(&email, &shop_name).await {
                Ok(answer) => settle(&self.db, id, SENT, Some(answer), now).await,
                Err(e) => {
                    let _ = emails::Entity::update_many()
                        .col_expr(emails::Column::LastError, Expr::value(e.to_string()))
                        .filter(emails::Column::Id.eq(id))
                        .exec(&self.db)
                        .await;
                    Outcome::Retry(e.to_string())
                }
            }
        })
    }
}

async fn settle(
    db: &DatabaseConnection,
    id: i64,
    status: &str,
    answer: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Outcome {
    let result = emails::Entity::update_many()
        .col_expr(emails::Column::Status, Expr::value(status))
        .col_expr(emails::Column::MessageId, Expr::value(answer))
        .col_expr(
            emails::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(emails::Column::SentAt, Expr::value(now))
        .filter(emails::Column::Id.eq(id))
        .filter(emails::Column::Status.eq(QUEUED))
        .exec(db)
        .await;
    match result {
        Ok(_) => Outcome::Done,
        // Sent but not recorded: the retry finds it still queued and sends
        // again — rare, and better than losing it.
        Err(e) => Outcome::Retry(e.to_string()),
    }
}
