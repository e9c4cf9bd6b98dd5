//! sea-orm entities, one file per table. Behaviour lives in the app's service
//! layer, not here.
pub mod customers;
pub mod fulfillments;
pub mod oauth_states;
pub mod order_line_items;
pub mod orders;
pub mod privacy_exports;
pub mod refunds;
pub mod shops;
pub mod webhook_events;

pub mod prelude {
    pub use super::customers::Entity as Customers;
    pub use super::fulfillments::Entity as Fulfillments;
    pub use super::oauth_states::Entity as OauthStates;
    pub use super::order_line_items::Entity as OrderLineItems;
    pub use super::orders::Entity as Orders;
    pub use super::privacy_exports::Entity as PrivacyExports;
    pub use super::refunds::Entity as Refunds;
    pub use super::shops::Entity as Shops;
    pub use super::webhook_events::Entity as WebhookEvents;
}
