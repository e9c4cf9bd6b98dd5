//! Reads the platform's admin CSV exports (orders and customers) into the same
//! payloads as webhooks, one record at a time, so they go through the usual upserts.
//!
//! The orders export writes one row per line item; the order's own fields are on
//! its first row and the rows that follow share its `Name`. Only the order being
//! assembled is held in memory.
//!
//! The CSV carries no line item ids and no customer ids, so both are derived:
//! see [`line_item_id`] and [`synthetic_customer_id`].
use super::payload::{
    AddressPayload, CustomerPayload, DiscountCodePayload, LineItemPayload, MarketingConsent,
    OrderPayload,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use csv::StringRecord;
use std::collections::{HashMap, VecDeque};
use std::io::Read;

/// Which export a file is, told by its header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvKind {
    Orders,
    Customers,
}

/// One thing to upsert.
// Records are moved out one at a time; boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum CsvRecord {
    Customer(CustomerPayload),
    Order(OrderPayload),
}

#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// `line` is the 1-based physical line where the row starts.
    #[error("line {line}: {reason}")]
    Row { line: u64, reason: String },
    #[error("{0}")]
    Header(String),
    #[error("reading the file: {0}")]
    Csv(#[from] csv::Error),
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0100_0000_01b3;

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(FNV_PRIME)
    })
}

/// A stable stand-in customer id for an order that only gives an email: FNV-1a 64
/// of the trimmed, lowercased email, kept to 63 bits and negated (never 0), so it
/// cannot clash with the platform's positive ids. A real id (customers export,
/// webhook) is better; the importer should look the customer up by email first.
pub fn synthetic_customer_id(email: &str) -> i64 {
    let hash = fnv1a64(email.trim().to_lowercase().as_bytes()) & (i64::MAX as u64);
    match hash as i64 {
        0 => -1,
        positive => -positive,
    }
}

/// A stable id for the line item at `position` (1-based, in file order) of an
/// order: FNV-1a 64 of `"{order_id}:{position}"`, kept to 63 bits, never 0.
/// Re-importing the same file gives the same ids.
pub fn line_item_id(order_id: i64, position: u32) -> i64 {
    let hash = fnv1a64(format!("{order_id}:{position}").as_bytes()) & (i64::MAX as u64);
    (hash as i64).max(1)
}

/// Header names compared trimmed, lowercased, inner spaces collapsed.
fn normalize(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

struct Headers(HashMap<String, usize>);

impl Headers {
    fn new(record: &StringRecord) -> Self {
        let mut map = HashMap::new();
        for (index, name) in record.iter().enumerate() {
            // The first of two same-named columns wins.
            map.entry(normalize(name)).or_insert(index);
        }
        Headers(map)
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// The first of `names` present in the header.
    fn col(&self, names: &[&str]) -> Option<usize> {
        names.iter().find_map(|n| self.0.get(*n).copied())
    }
}

struct OrderCols {
    name: usize,
    id: usize,
    currency: usize,
    email: Option<usize>,
    phone: Option<usize>,
    financial_status: Option<usize>,
    fulfillment_status: Option<usize>,
    accepts_marketing: Option<usize>,
    subtotal: Option<usize>,
    total: Option<usize>,
    discount_code: Option<usize>,
    discount_amount: Option<usize>,
    created_at: Option<usize>,
    cancelled_at: Option<usize>,
    tags: Option<usize>,
    source: Option<usize>,
    item_quantity: Option<usize>,
    item_name: Option<usize>,
    item_price: Option<usize>,
    item_sku: Option<usize>,
    vendor: Option<usize>,
    ship_name: Option<usize>,
    ship_address1: Option<usize>,
    ship_city: Option<usize>,
    ship_zip: Option<usize>,
    ship_country: Option<usize>,
}

struct CustomerCols {
    id: Option<usize>,
    email: usize,
    first_name: Option<usize>,
    last_name: Option<usize>,
    phone: Option<usize>,
    accepts_marketing: Option<usize>,
    tags: Option<usize>,
}

enum Columns {
    Orders(Box<OrderCols>),
    Customers(CustomerCols),
}

fn required(h: &Headers, kind: &str, name: &str, shown: &str) -> Result<usize, CsvError> {
    h.col(&[name]).ok_or_else(|| {
        CsvError::Header(format!(
            "this looks like a {kind} export but it has no `{shown}` column"
        ))
    })
}

fn detect(h: &Headers) -> Result<Columns, CsvError> {
    let is_orders = h.has("name") && (h.has("lineitem name") || h.has("lineitem quantity"));
    let is_customers = !is_orders
        && h.has("email")
        && (h.has("customer id") || (h.has("first name") && h.has("last name")));
    if is_orders {
        let c = |names: &[&str]| h.col(names);
        return Ok(Columns::Orders(Box::new(OrderCols {
            name: required(h, "orders", "name", "Name")?,
            id: required(h, "orders", "id", "Id")?,
            currency: required(h, "orders", "currency", "Currency")?,
            email: c(&["email"]),
            phone: c(&["phone"]),
            financial_status: c(&["financial status"]),
            fulfillment_status: c(&["fulfillment status"]),
            accepts_marketing: c(&["accepts marketing", "accepts email marketing"]),
            subtotal: c(&["subtotal"]),
            total: c(&["total"]),
            discount_code: c(&["discount code"]),
            discount_amount: c(&["discount amount"]),
            created_at: c(&["created at"]),
            cancelled_at: c(&["cancelled at"]),
            tags: c(&["tags"]),
            source: c(&["source"]),
            item_quantity: c(&["lineitem quantity"]),
            item_name: c(&["lineitem name"]),
            item_price: c(&["lineitem price"]),
            item_sku: c(&["lineitem sku"]),
            vendor: c(&["vendor"]),
            ship_name: c(&["shipping name"]),
            ship_address1: c(&["shipping address1", "shipping street"]),
            ship_city: c(&["shipping city"]),
            ship_zip: c(&["shipping zip"]),
            ship_country: c(&["shipping country", "shipping country code"]),
        })));
    }
    if is_customers {
        let c = |names: &[&str]| h.col(names);
        return Ok(Columns::Customers(CustomerCols {
            id: c(&["customer id"]),
            email: required(h, "customers", "email", "Email")?,
            first_name: c(&["first name"]),
            last_name: c(&["last name"]),
            phone: c(&["phone"]),
            accepts_marketing: c(&["accepts email marketing", "accepts marketing"]),
            tags: c(&["tags"]),
        }));
    }
    let mut found: Vec<&str> = h.0.keys().map(String::as_str).collect();
    found.sort_unstable();
    found.truncate(12);
    Err(CsvError::Header(format!(
        "this CSV is neither an orders export (expected columns like Name, Id, Currency, \
         Lineitem name, Lineitem quantity) nor a customers export (expected Customer ID or \
         First Name and Last Name, with Email); found: {}",
        found.join(", ")
    )))
}

/// The trimmed cell, `None` when absent or blank.
fn cell(record: &StringRecord, col: Option<usize>) -> Option<&str> {
    col.and_then(|i| record.get(i))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Spreadsheet-safe exports prefix ids, zips and phones with `'`.
fn unquote(value: &str) -> Option<&str> {
    let v = value.strip_prefix('\'').unwrap_or(value).trim();
    (!v.is_empty()).then_some(v)
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

/// Lowercased with spaces as underscores: "Partially Refunded" → "partially_refunded".
fn status(value: Option<&str>) -> Option<String> {
    value.map(|v| {
        v.split_whitespace()
            .collect::<Vec<_>>()
            .join("_")
            .to_lowercase()
    })
}

fn amount(value: Option<&str>, column: &str) -> Result<Option<String>, String> {
    let Some(v) = value else { return Ok(None) };
    let digits = v.strip_prefix('-').unwrap_or(v);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !(whole.is_empty() && frac.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(Some(v.to_owned()))
    } else {
        Err(format!("{column} `{v}` is not a decimal amount"))
    }
}

/// `2024-03-05 14:22:10 +0100`, `2024-03-05 14:22:10 UTC` or RFC 3339.
fn timestamp(value: Option<&str>, column: &str) -> Result<Option<DateTime<Utc>>, String> {
    let Some(v) = value else { return Ok(None) };
    let parsed = DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S %z")
        .or_else(|_| DateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S %:z"))
        .or_else(|_| DateTime::parse_from_rfc3339(v))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let naive = v.strip_suffix("UTC").or_else(|| v.strip_suffix("GMT"))?;
            NaiveDateTime::parse_from_str(naive.trim(), "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        });
    parsed
        .map(Some)
        .ok_or_else(|| format!("{column} `{v}` is not a date like 2024-03-05 14:22:10 +0100"))
}

fn consent(value: Option<&str>, column: &str) -> Result<Option<MarketingConsent>, String> {
    let Some(v) = value else { return Ok(None) };
    let state = match v.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "y" => "subscribed",
        "no" | "false" | "0" | "n" => "not_subscribed",
        _ => return Err(format!("{column} `{v}` is neither yes nor no")),
    };
    Ok(Some(MarketingConsent {
        state: Some(state.to_owned()),
    }))
}

/// A platform id, written plain, with a leading `'`, or as a gid.
fn platform_id(value: &str, column: &str) -> Result<i64, String> {
    let v = unquote(value).unwrap_or("");
    let digits = v.rsplit('/').next().unwrap_or(v);
    digits
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("{column} `{value}` is not a numeric id"))
}

fn customer_row(c: &CustomerCols, r: &StringRecord) -> Result<CustomerPayload, String> {
    let email = cell(r, Some(c.email));
    let id = match (cell(r, c.id).and_then(unquote), email) {
        (Some(id), _) => platform_id(id, "Customer ID")?,
        (None, Some(email)) => synthetic_customer_id(email),
        (None, None) => return Err("the row has neither a Customer ID nor an Email".into()),
    };
    Ok(CustomerPayload {
        id,
        email: owned(email),
        first_name: owned(cell(r, c.first_name)),
        last_name: owned(cell(r, c.last_name)),
        phone: owned(cell(r, c.phone).and_then(unquote)),
        locale: None,
        tags: owned(cell(r, c.tags)),
        created_at: None,
        updated_at: None,
        email_marketing_consent: consent(cell(r, c.accepts_marketing), "Accepts Email Marketing")?,
        state: None,
    })
}

/// The order's own fields, from its first row.
fn order_head(c: &OrderCols, r: &StringRecord, name: &str) -> Result<OrderPayload, String> {
    let id = match cell(r, Some(c.id)).and_then(unquote) {
        Some(id) => platform_id(id, "Id")?,
        None => {
            return Err(
                "Id is blank; the Id column is needed to import orders (export again with all columns)"
                    .into(),
            );
        }
    };
    let currency = cell(r, Some(c.currency))
        .map(str::to_ascii_uppercase)
        .ok_or("Currency is blank")?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(format!("Currency `{currency}` is not a 3-letter code"));
    }
    let email = cell(r, c.email);
    let created_at = timestamp(cell(r, c.created_at), "Created at")?;
    let customer_consent = consent(cell(r, c.accepts_marketing), "Accepts Marketing")?;
    let customer = email.map(|e| CustomerPayload {
        id: synthetic_customer_id(e),
        email: Some(e.to_owned()),
        first_name: None,
        last_name: None,
        phone: owned(cell(r, c.phone).and_then(unquote)),
        locale: None,
        tags: None,
        created_at: None,
        // As of this order, so a newer customer version is never overwritten.
        updated_at: created_at,
        email_marketing_consent: customer_consent,
        state: None,
    });
    let address = AddressPayload {
        name: owned(cell(r, c.ship_name)),
        first_name: None,
        last_name: None,
        address1: owned(cell(r, c.ship_address1)),
        city: owned(cell(r, c.ship_city)),
        zip: owned(cell(r, c.ship_zip).and_then(unquote)),
        country_code: cell(r, c.ship_country).map(str::to_ascii_uppercase),
    };
    let has_address = [
        &address.name,
        &address.address1,
        &address.city,
        &address.zip,
        &address.country_code,
    ]
    .iter()
    .any(|f| f.is_some());
    Ok(OrderPayload {
        id,
        name: Some(name.to_owned()),
        email: owned(email),
        contact_email: None,
        currency,
        subtotal_price: amount(cell(r, c.subtotal), "Subtotal")?,
        total_price: amount(cell(r, c.total), "Total")?,
        total_discounts: amount(cell(r, c.discount_amount), "Discount Amount")?,
        financial_status: status(cell(r, c.financial_status)),
        fulfillment_status: status(cell(r, c.fulfillment_status)),
        cancelled_at: timestamp(cell(r, c.cancelled_at), "Cancelled at")?,
        processed_at: created_at,
        created_at,
        // The export has no updated_at: a later webhook with a newer one wins.
        updated_at: created_at,
        customer,
        shipping_address: has_address.then_some(address),
        browser_ip: None,
        source_name: owned(cell(r, c.source)),
        referring_site: None,
        landing_site: None,
        customer_locale: None,
        tags: owned(cell(r, c.tags)),
        line_items: Vec::new(),
        discount_codes: cell(r, c.discount_code)
            .map(|codes| {
                codes
                    .split(',')
                    .map(str::trim)
                    .filter(|code| !code.is_empty())
                    .map(|code| DiscountCodePayload { code: code.into() })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// The row's line item, if it has one.
fn line_item(
    c: &OrderCols,
    r: &StringRecord,
    order_id: i64,
    position: u32,
) -> Result<Option<LineItemPayload>, String> {
    let title = cell(r, c.item_name);
    let quantity = cell(r, c.item_quantity);
    let price = cell(r, c.item_price);
    let sku = cell(r, c.item_sku);
    if title.is_none() && quantity.is_none() && price.is_none() && sku.is_none() {
        return Ok(None);
    }
    let quantity = quantity
        .ok_or("Lineitem quantity is blank")?
        .parse::<i32>()
        .map_err(|_| {
            format!(
                "Lineitem quantity `{}` is not a whole number",
                quantity.unwrap_or("")
            )
        })?;
    Ok(Some(LineItemPayload {
        id: line_item_id(order_id, position),
        product_id: None,
        variant_id: None,
        title: owned(title),
        variant_title: None,
        vendor: owned(cell(r, c.vendor)),
        sku: owned(sku),
        quantity,
        price: amount(price, "Lineitem price")?.unwrap_or_else(|| "0".into()),
    }))
}

enum Pending {
    None,
    /// The order being assembled, keyed by its `Name`.
    Building(Box<OrderPayload>),
    /// An order that failed on an earlier row: its remaining rows are passed over.
    Skipping(String),
}

/// Streams records out of an orders or customers export.
///
/// A row that cannot be read yields a [`CsvError::Row`] and reading goes on; in
/// the orders export such a row drops its whole order (reported once). A
/// [`CsvError::Csv`] (broken CSV, not UTF-8, I/O) ends the stream and drops the
/// order being assembled, which may have been incomplete.
pub struct CsvImport<R: Read> {
    reader: csv::Reader<R>,
    kind: CsvKind,
    columns: Columns,
    row: StringRecord,
    pending: Pending,
    ready: VecDeque<Result<CsvRecord, CsvError>>,
    done: bool,
}

impl<R: Read> CsvImport<R> {
    /// Reads the header row and tells which export this is.
    pub fn new(reader: R) -> Result<Self, CsvError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        let mut header = StringRecord::new();
        if !reader.read_record(&mut header)? {
            return Err(CsvError::Header("the file is empty".into()));
        }
        let columns = detect(&Headers::new(&header))?;
        let kind = match columns {
            Columns::Orders(_) => CsvKind::Orders,
            Columns::Customers(_) => CsvKind::Customers,
        };
        Ok(CsvImport {
            reader,
            kind,
            columns,
            row: StringRecord::new(),
            pending: Pending::None,
            ready: VecDeque::new(),
            done: false,
        })
    }

    pub fn kind(&self) -> CsvKind {
        self.kind
    }

    /// The next customer or complete order; `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<CsvRecord, CsvError>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.reader.read_record(&mut self.row) {
                Err(e) => {
                    self.done = true;
                    self.pending = Pending::None;
                    return Some(Err(e.into()));
                }
                Ok(false) => {
                    self.done = true;
                    if let Pending::Building(order) =
                        std::mem::replace(&mut self.pending, Pending::None)
                    {
                        self.ready.push_back(Ok(CsvRecord::Order(*order)));
                    }
                }
                Ok(true) => {
                    if self.row.iter().all(|f| f.trim().is_empty()) {
                        continue;
                    }
                    let line = self.row.position().map_or(0, |p| p.line());
                    self.take_row(line);
                }
            }
        }
    }

    fn take_row(&mut self, line: u64) {
        let bad = |reason: String| CsvError::Row { line, reason };
        let c = match &self.columns {
            Columns::Customers(c) => {
                let record = customer_row(c, &self.row)
                    .map(CsvRecord::Customer)
                    .map_err(bad);
                self.ready.push_back(record);
                return;
            }
            Columns::Orders(c) => c,
        };
        let Some(name) = cell(&self.row, Some(c.name)) else {
            self.ready.push_back(Err(bad("Name is blank".into())));
            return;
        };
        match &mut self.pending {
            Pending::Building(order) if order.name.as_deref() == Some(name) => {
                let position = order.line_items.len() as u32 + 1;
                match line_item(c, &self.row, order.id, position) {
                    Ok(Some(item)) => order.line_items.push(item),
                    Ok(None) => {}
                    Err(reason) => {
                        let reason = format!("order {name}: {reason}");
                        self.pending = Pending::Skipping(name.to_owned());
                        self.ready.push_back(Err(bad(reason)));
                    }
                }
            }
            Pending::Skipping(skipped) if skipped == name => {}
            _ => {
                if let Pending::Building(order) =
                    std::mem::replace(&mut self.pending, Pending::None)
                {
                    self.ready.push_back(Ok(CsvRecord::Order(*order)));
                }
                let started = order_head(c, &self.row, name).and_then(|mut order| {
                    if let Some(item) = line_item(c, &self.row, order.id, 1)? {
                        order.line_items.push(item);
                    }
                    Ok(order)
                });
                match started {
                    Ok(order) => self.pending = Pending::Building(Box::new(order)),
                    Err(reason) => {
                        let reason = format!("order {name}: {reason}");
                        self.pending = Pending::Skipping(name.to_owned());
                        self.ready.push_back(Err(bad(reason)));
                    }
                }
            }
        }
    }
}

impl<R: Read> Iterator for CsvImport<R> {
    type Item = Result<CsvRecord, CsvError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDERS_HEADER: &str = "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Billing Street,Billing Address1,Billing Address2,Billing Company,Billing City,Billing Zip,Billing Province,Billing Country,Billing Phone,Shipping Name,Shipping Street,Shipping Address1,Shipping Address2,Shipping Company,Shipping City,Shipping Zip,Shipping Province,Shipping Country,Shipping Phone,Notes,Note Attributes,Cancelled at,Payment Method,Payment Reference,Refunded Amount,Vendor,Outstanding Balance,Employee,Location,Device ID,Id,Tags,Risk Level,Source,Lineitem discount,Tax 1 Name,Tax 1 Value,Phone,Receipt Number";

    fn orders_csv() -> String {
        [
            ORDERS_HEADER,
            // #1001: three line items, a discount code, a +0100 offset.
            "#1001,Anna.Muster@Example.com ,paid,2024-03-05 14:25:02 +0100,fulfilled,2024-03-06 09:12:44 +0100,yes,eur,89.70,4.90,15.10,84.60,SPRING10,10.00,Standard,2024-03-05 14:22:10 +0100,2,Linen Shirt - M / Sand,29.90,,LS-M-SAND,true,true,fulfilled,Anna Muster,Hauptstr. 5,Hauptstr. 5,,,Berlin,'10115,BE,DE,,Anna Muster,Hauptstr. 5,Hauptstr. 5,,,Berlin,'10115,BE,DE,'+4930123456,,,,Shopify Payments,c2718281.1,0.00,Flywheel Apparel,0.00,,,,5678901234567,\"vip, spring\",Low,web,0.00,DE VAT 19%,13.51,'+4930123456,",
            "#1001,Anna.Muster@Example.com ,,,,,,,,,,,,,,2024-03-05 14:22:10 +0100,1,\"Canvas Tote, Natural\",19.90,24.90,TOTE-NAT,true,true,fulfilled,,,,,,,,,,,,,,,,,,,,,,,,,,,Acme Bags,,,,,,,,,0.00,,,,",
            "#1001,Anna.Muster@Example.com ,,,,,,,,,,,,,,2024-03-05 14:22:10 +0100,1,Gift Card,10.00,,,false,false,fulfilled,,,,,,,,,,,,,,,,,,,,,,,,,,,Flywheel Apparel,,,,,,,,,0.00,,,,",
            // #1002: one item, several codes, RFC 3339 date, partial refund.
            "#1002,bob@example.org,Partially Refunded,2024-03-07T08:00:00Z,unfulfilled,,no,USD,45.00,0.00,0.00,40.00,\"WELCOME5, FREESHIP\",5.00,,2024-03-07T08:00:00-05:00,3,Socks 3-pack,15.00,,SOCK-3,true,true,pending,Bob Stone,,1 Main St,,,Boston,'02134,MA,US,,Bob Stone,1 Main St,1 Main St,,,Boston,'02134,MA,us,,,,,paypal,,5.00,Sock Co,0.00,,,,5678901234568,,Low,web,0.00,,,,",
            // #1003: cancelled, no email, UTC date.
            "#1003,,voided,,unfulfilled,,no,EUR,12.00,0.00,0.00,12.00,,0.00,,2024-03-08 10:00:00 UTC,1,Enamel Mug,12.00,,MUG-1,true,true,pending,,,,,,,,,,,,,,,,,,,,,\"Customer asked to cancel,\nsee ticket 42\",,2024-03-08 11:30:00 +0000,manual,,0.00,Flywheel Apparel,0.00,,,,9007199254740993,,Low,pos,0.00,,,,",
        ]
        .join("\n")
    }

    fn collect(csv: &str) -> (CsvKind, Vec<Result<CsvRecord, CsvError>>) {
        let mut import = CsvImport::new(csv.as_bytes()).expect("header is understood");
        let kind = import.kind();
        let mut out = Vec::new();
        while let Some(record) = import.next_record() {
            out.push(record);
        }
        (kind, out)
    }

    fn orders(records: Vec<Result<CsvRecord, CsvError>>) -> Vec<OrderPayload> {
        records
            .into_iter()
            .map(|r| match r.expect("row reads") {
                CsvRecord::Order(o) => o,
                CsvRecord::Customer(c) => panic!("unexpected customer {c:?}"),
            })
            .collect()
    }

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).expect("test date").to_utc())
    }

    #[test]
    fn groups_line_items_into_orders() {
        let (kind, records) = collect(&orders_csv());
        assert_eq!(kind, CsvKind::Orders);
        let orders = orders(records);
        assert_eq!(orders.len(), 3);

        let first = &orders[0];
        assert_eq!(first.id, 5_678_901_234_567);
        assert_eq!(first.name.as_deref(), Some("#1001"));
        assert_eq!(first.currency, "EUR");
        assert_eq!(first.financial_status.as_deref(), Some("paid"));
        assert_eq!(first.fulfillment_status.as_deref(), Some("fulfilled"));
        assert_eq!(first.subtotal_price.as_deref(), Some("89.70"));
        assert_eq!(first.total_price.as_deref(), Some("84.60"));
        assert_eq!(first.total_discounts.as_deref(), Some("10.00"));
        assert_eq!(first.discount_codes.len(), 1);
        assert_eq!(first.discount_codes[0].code, "SPRING10");
        assert_eq!(first.tags.as_deref(), Some("vip, spring"));
        assert_eq!(first.source_name.as_deref(), Some("web"));
        assert_eq!(first.created_at, utc("2024-03-05T13:22:10Z"));
        assert_eq!(first.processed_at, first.created_at);
        assert_eq!(first.updated_at, first.created_at);
        assert_eq!(first.cancelled_at, None);

        let titles: Vec<_> = first
            .line_items
            .iter()
            .map(|li| (li.title.as_deref(), li.quantity, li.price.as_str()))
            .collect();
        assert_eq!(
            titles,
            [
                (Some("Linen Shirt - M / Sand"), 2, "29.90"),
                (Some("Canvas Tote, Natural"), 1, "19.90"),
                (Some("Gift Card"), 1, "10.00"),
            ]
        );
        assert_eq!(first.line_items[0].sku.as_deref(), Some("LS-M-SAND"));
        assert_eq!(first.line_items[1].vendor.as_deref(), Some("Acme Bags"));
        assert_eq!(first.line_items[2].sku, None);
        let ids: Vec<i64> = first.line_items.iter().map(|li| li.id).collect();
        assert!(ids.iter().all(|id| *id > 0));
        assert_eq!(ids[0], line_item_id(5_678_901_234_567, 1));
        assert_ne!(ids[0], ids[1]);
        assert_ne!(ids[1], ids[2]);

        let address = first.shipping_address.as_ref().expect("shipping address");
        assert_eq!(address.name.as_deref(), Some("Anna Muster"));
        assert_eq!(address.address1.as_deref(), Some("Hauptstr. 5"));
        assert_eq!(address.city.as_deref(), Some("Berlin"));
        assert_eq!(address.zip.as_deref(), Some("10115"));
        assert_eq!(address.country_code.as_deref(), Some("DE"));

        let customer = first.customer.as_ref().expect("customer from email");
        assert!(customer.id < 0);
        assert_eq!(
            customer.id,
            synthetic_customer_id("anna.muster@example.com")
        );
        assert_eq!(customer.email.as_deref(), Some("Anna.Muster@Example.com"));
        assert_eq!(customer.phone.as_deref(), Some("+4930123456"));
        assert_eq!(
            customer
                .email_marketing_consent
                .as_ref()
                .and_then(|m| m.state.as_deref()),
            Some("subscribed")
        );

        let second = &orders[1];
        assert_eq!(
            second.financial_status.as_deref(),
            Some("partially_refunded")
        );
        assert_eq!(second.fulfillment_status.as_deref(), Some("unfulfilled"));
        assert_eq!(second.currency, "USD");
        let codes: Vec<_> = second
            .discount_codes
            .iter()
            .map(|d| d.code.as_str())
            .collect();
        assert_eq!(codes, ["WELCOME5", "FREESHIP"]);
        assert_eq!(second.created_at, utc("2024-03-07T13:00:00Z"));
        assert_eq!(second.line_items.len(), 1);
        assert_eq!(second.line_items[0].quantity, 3);
        let address = second.shipping_address.as_ref().expect("shipping address");
        assert_eq!(address.zip.as_deref(), Some("02134"));
        assert_eq!(address.country_code.as_deref(), Some("US"));
        assert_eq!(
            second
                .customer
                .as_ref()
                .and_then(|c| c.email_marketing_consent.as_ref())
                .and_then(|m| m.state.as_deref()),
            Some("not_subscribed")
        );

        let third = &orders[2];
        assert_eq!(third.id, 9_007_199_254_740_993);
        assert_eq!(third.financial_status.as_deref(), Some("voided"));
        assert_eq!(third.cancelled_at, utc("2024-03-08T11:30:00Z"));
        assert_eq!(third.created_at, utc("2024-03-08T10:00:00Z"));
        assert!(third.customer.is_none());
        assert!(third.shipping_address.is_none());
        assert_eq!(third.source_name.as_deref(), Some("pos"));
        assert_eq!(third.line_items.len(), 1);
    }

    #[test]
    fn reimport_gives_the_same_ids() {
        let ids = |csv: &str| -> Vec<(i64, Vec<i64>, Option<i64>)> {
            orders(collect(csv).1)
                .into_iter()
                .map(|o| {
                    let items = o.line_items.iter().map(|li| li.id).collect();
                    (o.id, items, o.customer.map(|c| c.id))
                })
                .collect()
        };
        assert_eq!(ids(&orders_csv()), ids(&orders_csv()));
    }

    #[test]
    fn synthetic_customer_ids_are_stable_and_negative() {
        let a = synthetic_customer_id("anna.muster@example.com");
        assert_eq!(a, synthetic_customer_id("  Anna.Muster@EXAMPLE.com "));
        assert!(a < 0);
        assert_ne!(a, synthetic_customer_id("bob@example.org"));
        assert!(synthetic_customer_id("") < 0);
        // Pinned: changing the hash would orphan customers already imported.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn reads_customers_export_with_apostrophe_ids() {
        let csv = "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags\n\
'7012345678901,Anna,Muster,anna.muster@example.com,yes,,Hauptstr. 5,,Berlin,BE,DE,'10115,,'+4930123456,no,84.60,1,\"Likes linen, hates polyester\",no,\"vip, spring\"\n\
'7012345678902,Bob,Stone,bob@example.org,no,Stone & Sons,1 Main St,,Boston,MA,US,'02134,,,no,40.00,1,,no,\n\
,Cara,,cara@example.net,,,,,,,,,,,,0.00,0,,no,\n";
        let (kind, records) = collect(csv);
        assert_eq!(kind, CsvKind::Customers);
        let customers: Vec<CustomerPayload> = records
            .into_iter()
            .map(|r| match r.expect("row reads") {
                CsvRecord::Customer(c) => c,
                CsvRecord::Order(o) => panic!("unexpected order {o:?}"),
            })
            .collect();
        assert_eq!(customers.len(), 3);
        assert_eq!(customers[0].id, 7_012_345_678_901);
        assert_eq!(customers[0].phone.as_deref(), Some("+4930123456"));
        assert_eq!(customers[0].tags.as_deref(), Some("vip, spring"));
        assert_eq!(
            customers[0]
                .email_marketing_consent
                .as_ref()
                .and_then(|m| m.state.as_deref()),
            Some("subscribed")
        );
        assert_eq!(customers[1].id, 7_012_345_678_902);
        assert_eq!(customers[1].first_name.as_deref(), Some("Bob"));
        assert_eq!(
            customers[1]
                .email_marketing_consent
                .as_ref()
                .and_then(|m| m.state.as_deref()),
            Some("not_subscribed")
        );
        assert_eq!(customers[2].id, synthetic_customer_id("cara@example.net"));
        assert!(customers[2].email_marketing_consent.is_none());
        assert_eq!(customers[2].last_name, None);
    }

    #[test]
    fn reads_old_customers_export_without_customer_id() {
        let csv = "\u{feff}First Name,Last Name,Email,Company,Address1,Address2,City,Province,Province Code,Country,Country Code,Zip,Phone,Accepts Marketing,Total Spent,Total Orders,Tags,Note,Tax Exempt\n\
Anna,Muster,Anna.Muster@example.com,,Hauptstr. 5,,Berlin,Berlin,BE,Germany,DE,'10115,,yes,84.60,1,vip,,no\n\
,,,,,,,,,,,,,no,0.00,0,,,no\n";
        let (kind, records) = collect(csv);
        assert_eq!(kind, CsvKind::Customers);
        assert_eq!(records.len(), 2);
        match &records[0] {
            Ok(CsvRecord::Customer(c)) => {
                assert_eq!(c.id, synthetic_customer_id("anna.muster@example.com"));
                assert_eq!(c.email.as_deref(), Some("Anna.Muster@example.com"));
                assert_eq!(
                    c.email_marketing_consent
                        .as_ref()
                        .and_then(|m| m.state.as_deref()),
                    Some("subscribed")
                );
            }
            other => panic!("expected a customer, got {other:?}"),
        }
        match &records[1] {
            Err(CsvError::Row { line, reason }) => {
                assert_eq!(*line, 3);
                assert!(
                    reason.contains("neither a Customer ID nor an Email"),
                    "{reason}"
                );
            }
            other => panic!("expected a row error, got {other:?}"),
        }
    }

    #[test]
    fn headers_match_loosely_and_ignore_unknown_columns() {
        let csv = "  customer id ,EMAIL,first  name,Last Name,Loyalty Points\n'42,a@b.c,A,B,900\n";
        let (kind, records) = collect(csv);
        assert_eq!(kind, CsvKind::Customers);
        match &records[0] {
            Ok(CsvRecord::Customer(c)) => {
                assert_eq!(c.id, 42);
                assert_eq!(c.first_name.as_deref(), Some("A"));
            }
            other => panic!("expected a customer, got {other:?}"),
        }
    }

    #[test]
    fn unknown_header_is_a_header_error() {
        let csv = "Handle,Title,Body (HTML),Vendor,Variant SKU\nshirt,Linen Shirt,<p>Soft</p>,Flywheel,LS-M\n";
        match CsvImport::new(csv.as_bytes()) {
            Err(CsvError::Header(message)) => {
                assert!(message.contains("neither an orders export"), "{message}");
                assert!(message.contains("handle"), "{message}");
            }
            Err(other) => panic!("expected a header error, got {other:?}"),
            Ok(_) => panic!("expected a header error"),
        }
        assert!(matches!(
            CsvImport::new("".as_bytes()),
            Err(CsvError::Header(_))
        ));
        assert!(matches!(
            CsvImport::new("Name,Email,Lineitem name,Currency\n".as_bytes()),
            Err(CsvError::Header(m)) if m.contains("`Id`")
        ));
    }

    #[test]
    fn blank_id_is_a_row_error_and_skips_that_order() {
        let csv = "Name,Email,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Id\n\
#2001,a@example.com,EUR,10.00,2024-01-02 10:00:00 +0000,1,Mug,10.00,111\n\
#2002,b@example.com,EUR,20.00,2024-01-02 11:00:00 +0000,1,\"Poster\n(A2, matte)\",12.00,\n\
#2002,b@example.com,,,,1,Frame,8.00,\n\
#2003,c@example.com,EUR,5.00,2024-01-02 12:00:00 +0000,1,Sticker,5.00,333\n";
        let (_, records) = collect(csv);
        assert_eq!(records.len(), 3, "{records:?}");
        assert!(matches!(&records[0], Ok(CsvRecord::Order(o)) if o.id == 111));
        match &records[1] {
            Err(CsvError::Row { line, reason }) => {
                assert_eq!(*line, 3);
                assert!(reason.contains("#2002"), "{reason}");
                assert!(reason.contains("Id column is needed"), "{reason}");
            }
            other => panic!("expected a row error, got {other:?}"),
        }
        // The quoted newline in #2002 counts as a line: #2003 starts on line 6.
        assert!(matches!(&records[2], Ok(CsvRecord::Order(o)) if o.id == 333));
    }

    #[test]
    fn bad_line_item_drops_the_order_with_its_line() {
        let csv = "Name,Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price,Id\n\
#3001,EUR,2024-01-02 10:00:00 +0000,1,Mug,10.00,1\n\
#3001,,,two,Cup,5.00,\n\
#3001,,,1,Saucer,2.00,\n\
#3002,eur,nonsense,1,Cup,5.00,2\n\
#3003,EUR,,1,Cup,5.00,3\n";
        let (_, records) = collect(csv);
        assert_eq!(records.len(), 3, "{records:?}");
        assert!(
            matches!(&records[0], Err(CsvError::Row { line: 3, reason }) if reason.contains("`two`"))
        );
        assert!(
            matches!(&records[1], Err(CsvError::Row { line: 5, reason }) if reason.contains("Created at"))
        );
        match &records[2] {
            Ok(CsvRecord::Order(o)) => {
                assert_eq!(o.id, 3);
                assert_eq!(o.created_at, None);
                assert_eq!(o.line_items.len(), 1);
            }
            other => panic!("expected an order, got {other:?}"),
        }
    }

    #[test]
    fn quoted_fields_keep_commas_and_newlines() {
        let csv = "Name,Email,Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price,Shipping Name,Shipping Address1,Shipping City,Id,Tags\n\
\"#4001\",x@example.com,EUR,2024-05-01 09:00:00 +0200,1,\"Print \"\"Waves\"\", 30x40\",25.00,\"Muster, Anna\",\"Hof 2\nHinterhaus\",Köln,4001,\"a, b\"\n";
        let (_, records) = collect(csv);
        let order = match &records[..] {
            [Ok(CsvRecord::Order(o))] => o,
            other => panic!("expected one order, got {other:?}"),
        };
        assert_eq!(
            order.line_items[0].title.as_deref(),
            Some("Print \"Waves\", 30x40")
        );
        let address = order.shipping_address.as_ref().expect("address");
        assert_eq!(address.name.as_deref(), Some("Muster, Anna"));
        assert_eq!(address.address1.as_deref(), Some("Hof 2\nHinterhaus"));
        assert_eq!(address.city.as_deref(), Some("Köln"));
        assert_eq!(order.tags.as_deref(), Some("a, b"));
        assert_eq!(order.created_at, utc("2024-05-01T07:00:00Z"));
    }

    #[test]
    fn broken_csv_ends_the_stream() {
        let mut bytes = b"Name,Currency,Lineitem quantity,Lineitem name,Lineitem price,Id\n#1,EUR,1,Mug,1.00,1\n#2,EUR,1,".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b",1.00,2\n#3,EUR,1,Cup,1.00,3\n");
        let mut import = CsvImport::new(bytes.as_slice()).expect("header");
        // #1 might continue on the unreadable row, so it is dropped too.
        assert!(matches!(import.next_record(), Some(Err(CsvError::Csv(_)))));
        assert!(import.next_record().is_none());
    }

    #[test]
    fn dates_in_the_export_formats() {
        let at = |s: &str| timestamp(Some(s), "Created at");
        let expected = utc("2024-03-05T13:22:10Z");
        assert_eq!(at("2024-03-05 14:22:10 +0100"), Ok(expected));
        assert_eq!(at("2024-03-05 14:22:10 +01:00"), Ok(expected));
        assert_eq!(at("2024-03-05T14:22:10+01:00"), Ok(expected));
        assert_eq!(at("2024-03-05 13:22:10 UTC"), Ok(expected));
        assert!(at("05/03/2024").is_err());
    }
}
