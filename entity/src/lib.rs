//! sea-orm entities, one file per table. Behaviour lives in the app's service
//! layer, not here.
pub mod customers;
pub mod delivery_promises;
pub mod delivery_settings;
pub mod emails;
pub mod fulfillments;
pub mod jobs;
pub mod loyalty_events;
pub mod loyalty_members;
pub mod loyalty_programs;
pub mod loyalty_redemptions;
pub mod loyalty_referrals;
pub mod loyalty_rewards;
pub mod loyalty_tier_changes;
pub mod media_trash;
pub mod oauth_states;
pub mod order_line_items;
pub mod orders;
pub mod points_ledger;
pub mod privacy_exports;
pub mod refunds;
pub mod review_photos;
pub mod review_products;
pub mod review_settings;
pub mod review_votes;
pub mod reviews;
pub mod shops;
pub mod webhook_events;

pub mod prelude {
    pub use super::customers::Entity as Customers;
    pub use super::delivery_promises::Entity as DeliveryPromises;
    pub use super::delivery_settings::Entity as DeliverySettings;
    pub use super::emails::Entity as Emails;
    pub use super::fulfillments::Entity as Fulfillments;
    pub use super::jobs::Entity as Jobs;
    pub use super::loyalty_events::Entity as LoyaltyEvents;
    pub use super::loyalty_members::Entity as LoyaltyMembers;
    pub use super::loyalty_programs::Entity as LoyaltyPrograms;
    pub use super::loyalty_redemptions::Entity as LoyaltyRedemptions;
    pub use super::loyalty_referrals::Entity as LoyaltyReferrals;
    pub use super::loyalty_rewards::Entity as LoyaltyRewards;
    pub use super::loyalty_tier_changes::Entity as LoyaltyTierChanges;
    pub use super::media_trash::Entity as MediaTrash;
    pub use super::oauth_states::Entity as OauthStates;
    pub use super::order_line_items::Entity as OrderLineItems;
    pub use super::orders::Entity as Orders;
    pub use super::points_ledger::Entity as PointsLedger;
    pub use super::privacy_exports::Entity as PrivacyExports;
    pub use super::refunds::Entity as Refunds;
    pub use super::review_photos::Entity as ReviewPhotos;
    pub use super::review_products::Entity as ReviewProducts;
    pub use super::review_settings::Entity as ReviewSettings;
    pub use super::review_votes::Entity as ReviewVotes;
    pub use super::reviews::Entity as Reviews;
    pub use super::shops::Entity as Shops;
    pub use super::webhook_events::Entity as WebhookEvents;
}
