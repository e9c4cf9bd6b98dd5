//! What customers tell the shop after an order: the delivery check-in ("did
//! everything go well?"), NPS (0–10, would they recommend the shop) and CSAT
//! (1–5, how satisfied with the order). Answers come from one click in an
//! email, each through a signed link naming the shop and the order; the last
//! click wins, and a comment can follow. The scores feed the dashboard.
pub mod link;
pub mod score;
pub mod service;

pub use link::FeedbackLink;
pub use score::{Question, csat, nps};
pub use service::{SurveySummary, Surveys};
