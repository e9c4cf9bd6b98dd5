//! The webhook inbox: each delivery is recorded by its webhook id in the same
//! transaction as its effects, then dispatched by topic.
pub mod service;
pub mod topic;

pub use service::{Delivery, Receipt, WebhookError, WebhookInbox};
pub use topic::Topic;
