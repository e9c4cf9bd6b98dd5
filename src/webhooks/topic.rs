//! The topics Flywheel acts on.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    AppUninstalled,
    CustomersCreate,
    CustomersUpdate,
    OrdersCreate,
    OrdersUpdated,
    OrdersPaid,
    OrdersCancelled,
    RefundsCreate,
    FulfillmentsCreate,
    FulfillmentsUpdate,
    ProductsCreate,
    ProductsUpdate,
    CustomersDataRequest,
    CustomersRedact,
    ShopRedact,
    Other(String),
}

impl Topic {
    pub fn parse(raw: &str) -> Topic {
        match raw.trim().to_ascii_lowercase().as_str() {
            "app/uninstalled" => Topic::AppUninstalled,
            "customers/create" => Topic::CustomersCreate,
            "customers/update" => Topic::CustomersUpdate,
            "orders/create" => Topic::OrdersCreate,
            "orders/updated" => Topic::OrdersUpdated,
            "orders/paid" => Topic::OrdersPaid,
            "orders/cancelled" => Topic::OrdersCancelled,
            "refunds/create" => Topic::RefundsCreate,
            "fulfillments/create" => Topic::FulfillmentsCreate,
            "fulfillments/update" => Topic::FulfillmentsUpdate,
            "products/create" => Topic::ProductsCreate,
            "products/update" => Topic::ProductsUpdate,
            "customers/data_request" => Topic::CustomersDataRequest,
            "customers/redact" => Topic::CustomersRedact,
            "shop/redact" => Topic::ShopRedact,
            other => Topic::Other(other.to_owned()),
        }
    }
}
