//! Email delivery. Every email is first written to the outbox (`emails`)
//! together with the job that delivers it, in one transaction, so nothing is
//! lost between deciding to send and sending. With `SMTP_URL` set the
//! `email.send` job hands it to the SMTP server (with `lettre`), retrying with
//! backoff while the server is down; without it the email stays in the
//! outbox for the merchant to read — the embedded default.
pub mod mailer;
pub mod outbox;
pub mod pacing;
pub mod unsubscribe;

pub use mailer::{Mailer, SendError};
pub use outbox::{Outbox, OutgoingEmail};

/// The job kind that delivers one outbox email.
pub const SEND_JOB: &str = "email.send";

pub const QUEUED: &str = "queued";
pub const SENT: &str = "sent";
/// Kept in the outbox: no SMTP server is configured.
pub const OUTBOX: &str = "outbox";
pub const SKIPPED: &str = "skipped";
