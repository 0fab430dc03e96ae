//! `qcompany`: a retailer's sales transactions with offers, agents, branches and
//! shipping addresses (SPEC §2).
//!
//! `transaction_id,transaction_date,customer_id,customer_name,customer_email,
//! sales_agent_id,branch_id,product_id,product_name,product_category,offer_1..offer_5,
//! units,unit_price,is_online,payment_method,shipping_address`, matched by header name.
//! Every row is an [`OrderLine`].
//!
//! Where the SPEC leaves the reading open:
//! - offer and `is_online` flags read `true/false`, `1/0`, `yes/no`, `t/f`, `y/n` in any
//!   case; an empty flag is false, any other text rejects the row;
//! - offers do not stack: the line's discount is that of the largest true offer;
//! - an online line's location is the city of its shipping address, the
//!   second-to-last comma- or line-separated part (`12 High St, Leeds, LS1 4AP` →
//!   `Leeds`), or the only part; an offline line's location is its branch's, from the
//!   branch dimension (its id where the dimension does not locate it).

use super::fields::{parse_flag, parse_quantity, parse_time};
use super::{Columns, Row, RowError};
use crate::records::{OrderId, OrderLine};

#[derive(Clone, Debug)]
pub struct QcompanyLayout {
    transaction_id: usize,
    transaction_date: usize,
    product_id: usize,
    units: usize,
    unit_price: usize,
    customer_id: Option<usize>,
    sales_agent_id: Option<usize>,
    branch_id: Option<usize>,
    product_name: Option<usize>,
    product_category: Option<usize>,
    offers: [Option<usize>; 5],
    is_online: Option<usize>,
    payment_method: Option<usize>,
    shipping_address: Option<usize>,
}

impl QcompanyLayout {
    pub fn from_header(columns: &Columns) -> Result<Self, String> {
        Ok(QcompanyLayout {
            transaction_id: columns.required("transaction_id")?,
            transaction_date: columns.required("transaction_date")?,
            product_id: columns.required("product_id")?,
            units: columns.required("units")?,
            unit_price: columns.required("unit_price")?,
            customer_id: columns.optional("customer_id"),
            sales_agent_id: columns.optional("sales_agent_id"),
            branch_id: columns.optional("branch_id"),
            product_name: columns.optional("product_name"),
            product_category: columns.optional("product_category"),
            offers: ["offer_1", "offer_2", "offer_3", "offer_4", "offer_5"].map(|name| columns.optional(name)),
            is_online: columns.optional("is_online"),
            payment_method: columns.optional("payment_method"),
            shipping_address: columns.optional("shipping_address"),
        })
    }

    pub fn parse<'r>(&self, row: &Row<'r>) -> Result<OrderLine<'r>, RowError> {
        let order = row.required(self.transaction_id, "transaction_id")?;
        let time_text = row.required(self.transaction_date, "transaction_date")?;
        let time = parse_time(time_text).map_err(|why| RowError::field("transaction_date", why, time_text))?;
        let product = row.required(self.product_id, "product_id")?;
        let units_text = row.required(self.units, "units")?;
        let quantity = parse_quantity(units_text).map_err(|why| RowError::field("quantity", why, units_text))?;
        let price_text = row.required(self.unit_price, "unit_price")?;
        let unit_cents = RowError::price(price_text)?;
        let mut discount_pct = 0;
        for (k, column) in self.offers.iter().enumerate() {
            if flag(row, *column, "offer")? {
                discount_pct = 5 * (k as u8 + 1);
            }
        }
        let online = flag(row, self.is_online, "is_online")?;
        // An offline sale is located by its branch, through the branch dimension.
        let (location, branch) = if online {
            (city_of(row.optional(self.shipping_address)?), "")
        } else {
            ("", row.optional(self.branch_id)?)
        };
        Ok(OrderLine {
            time,
            order: OrderId::Id(order),
            cancelled: false,
            customer: row.optional(self.customer_id)?,
            product,
            product_name: row.optional(self.product_name)?,
            category: row.optional(self.product_category)?,
            quantity,
            unit_cents,
            discount_pct,
            location,
            online,
            payment_method: row.optional(self.payment_method)?,
            agent: row.optional(self.sales_agent_id)?,
            branch,
            priced_by_dimension: false,
            stated_total_cents: None,
        })
    }
}

/// A yes/no column; absent or empty is no.
fn flag(row: &Row<'_>, column: Option<usize>, name: &'static str) -> Result<bool, RowError> {
    let text = row.optional(column)?;
    parse_flag(text).ok_or_else(|| RowError::new("unparsable flag", format!("{name}: {text:?} is not true or false")))
}

/// The city of a postal address: its second-to-last part, parts being separated by
/// commas or line breaks; the only part of a one-part address.
pub fn city_of(address: &str) -> &str {
    let mut parts = address.split([',', '\n', '\r']).map(str::trim).filter(|part| !part.is_empty());
    let (mut last, mut before_last) = (None, None);
    for part in &mut parts {
        before_last = last;
        last = Some(part);
    }
    before_last.or(last).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use super::city_of;
    use crate::formats::{scan_file, Format};
    use crate::records::Record;

    const HEADER: &str = "transaction_id,transaction_date,customer_id,customer_name,customer_email,\
sales_agent_id,branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,\
units,unit_price,is_online,payment_method,shipping_address\n";

    /// (discount, online, location or branch, payment, agent, amount) of every accepted line, and
    /// (line, reason kind) of every rejected one.
    type Lines = Vec<(u8, bool, String, String, String, i64)>;

    fn read(text: &str) -> (Lines, Vec<(u64, &'static str)>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sales.csv");
        std::fs::write(&path, text).unwrap();
        let mut lines = Vec::new();
        let scan = scan_file(&path, Format::Qcompany, None, &AtomicU64::new(0), |record| {
            let Record::OrderLine(l) = record else { panic!("qcompany yields order lines") };
            let amount = l.amount_cents();
            let location = if l.online { l.location } else { l.branch };
            lines.push((l.discount_pct, l.online, location.into(), l.payment_method.into(), l.agent.into(), amount));
        })
        .unwrap();
        (lines, scan.rejects.iter().map(|r| (r.line, r.error.kind)).collect())
    }

    #[test]
    fn offers_channels_and_locations() {
        let text = format!(
            "{HEADER}\
T1,2023-01-05 10:00:00,C1,Ann,a@x,A7,B2,P1,Mug,Home,False,True,False,True,False,3,2.50,False,Cash,\"1 Main St, Leeds, LS1\"
T2,2023-01-05 10:00:00,C1,Ann,a@x,A7,B2,P1,Mug,Home,,,,,,1,2.50,TRUE,Card,\"1 Main St\nYork, YO1 7\"
T3,2023-01-05 10:00:00,,,,,B2,P1,Mug,Home,0,0,0,0,1,2,1.00,yes,,Bath
T4,2023-01-05 10:00:00,C2,,,A7,B2,P1,Mug,Home,maybe,0,0,0,0,1,1.00,0,Cash,
T5,2023-01-05 10:00:00,C2,,,A7,B2,P1,Mug,Home,0,0,0,0,0,1,-1.00,0,Cash,
"
        );
        let (lines, rejects) = read(&text);
        assert_eq!(
            lines,
            vec![
                // The largest true offer (4 → 20%): 750 × 0.8.
                (20, false, "B2".into(), "Cash".into(), "A7".into(), 600),
                (0, true, "York".into(), "Card".into(), "A7".into(), 250),
                // 25% of 200.
                (25, true, "Bath".into(), "".into(), "".into(), 150),
            ]
        );
        // T2's address spans two physical lines.
        assert_eq!(rejects, vec![(6, "unparsable flag"), (7, "negative price")]);
    }

    #[test]
    fn the_city_is_the_second_to_last_part() {
        assert_eq!(city_of("12 High St, Leeds, LS1 4AP"), "Leeds");
        assert_eq!(city_of("0487 Hopkins Ports\nNorth Justinberg, MS 43152"), "North Justinberg");
        assert_eq!(city_of(" Bath "), "Bath");
        assert_eq!(city_of("Leeds,, "), "Leeds");
        assert_eq!(city_of(" , "), "");
    }
}
