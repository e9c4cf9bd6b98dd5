//! "Make it right": when something goes wrong with an order (a "something
//! went wrong" answer to the delivery check-in, a message from the shop's
//! contact form, a return), a case opens with its response timers against
//! the shop's standards (first reply within 2 hours, resolved within 24 by
//! default). The merchant answers, judges it minor or major, and gives a
//! remedy from the shop's menu with one click: points or store credit for a
//! minor issue, a replacement or part of the money back for a major one.
pub mod privacy;
pub mod remedies;
pub mod rules;
pub mod service;
pub mod standards;

pub use rules::{RemedyKind, Severity, SupportSettings};
pub use service::{CaseCounts, CaseView, Cases, NewCase};
