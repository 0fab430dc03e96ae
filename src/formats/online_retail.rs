//! `online-retail`: invoice-line exports such as the UCI "Online Retail" data sets (SPEC §2).
//!
//! `Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country`, also
//! spelled `InvoiceNo`/`UnitPrice`/`CustomerID` or in snake_case, matched by header name.
//! Every row is an [`OrderLine`]; an invoice starting with `C` is a cancellation.

use super::fields::{parse_quantity, parse_time};
use super::{Columns, Row, RowError};
use crate::records::{OrderId, OrderLine};

#[derive(Clone, Debug)]
pub struct OnlineRetailLayout {
    invoice: usize,
    stock_code: usize,
    quantity: usize,
    invoice_date: usize,
    price: usize,
    description: Option<usize>,
    customer_id: Option<usize>,
    country: Option<usize>,
}

impl OnlineRetailLayout {
    pub fn from_header(columns: &Columns) -> Result<Self, String> {
        Ok(OnlineRetailLayout {
            invoice: columns.required_any(&["invoice", "invoiceno", "invoice_no"])?,
            stock_code: columns.required_any(&["stockcode", "stock_code"])?,
            quantity: columns.required("quantity")?,
            invoice_date: columns.required_any(&["invoicedate", "invoice_date"])?,
            price: columns.required_any(&["price", "unitprice", "unit_price"])?,
            description: columns.optional("description"),
            customer_id: columns.optional_any(&["customer id", "customerid", "customer_id"]),
            country: columns.optional("country"),
        })
    }

    pub fn parse<'r>(&self, row: &Row<'r>) -> Result<OrderLine<'r>, RowError> {
        let invoice = row.required(self.invoice, "invoice")?;
        let product = row.required(self.stock_code, "stock_code")?;
        let quantity_text = row.required(self.quantity, "quantity")?;
        let quantity = parse_quantity(quantity_text).map_err(|why| RowError::field("quantity", why, quantity_text))?;
        let time_text = row.required(self.invoice_date, "invoice_date")?;
        let time = parse_time(time_text).map_err(|why| RowError::field("invoice_date", why, time_text))?;
        let price_text = row.required(self.price, "price")?;
        // Cancellations carry negative quantities, never negative prices (SPEC §9).
        let unit_cents = RowError::price(price_text)?;
        Ok(OrderLine {
            time,
            order: OrderId::Id(invoice),
            cancelled: invoice.starts_with('C'),
            customer: row.optional(self.customer_id)?,
            product,
            product_name: row.optional(self.description)?,
            category: "",
            quantity,
            unit_cents,
            discount_pct: 0,
            location: row.optional(self.country)?,
            online: true,
            payment_method: "",
            agent: "",
            branch: "",
            priced_by_dimension: false,
            stated_total_cents: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use crate::formats::{scan_file, Format};
    use crate::records::Record;

    /// (invoice, cancelled, customer, product, name, quantity, cents, country) of every
    /// accepted line, and (line, reason kind) of every rejected one.
    type Lines = Vec<(String, bool, String, String, String, i64, i64, String)>;

    fn read(text: &str) -> (Lines, Vec<(u64, &'static str)>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.csv");
        std::fs::write(&path, text).unwrap();
        let mut lines = Vec::new();
        let scan = scan_file(&path, Format::OnlineRetail, None, &AtomicU64::new(0), |record| {
            let Record::OrderLine(l) = record else { panic!("online-retail yields order lines") };
            lines.push((
                l.order.to_string(),
                l.cancelled,
                l.customer.to_string(),
                l.product.to_string(),
                l.product_name.to_string(),
                l.quantity,
                l.unit_cents,
                l.location.to_string(),
            ));
        })
        .unwrap();
        (lines, scan.rejects.iter().map(|r| (r.line, r.error.kind)).collect())
    }

    #[test]
    fn every_header_spelling_reads_the_same_line() {
        for header in [
            "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country",
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            "invoice_no,stock_code,description,quantity,invoice_date,unit_price,customer_id,country",
            " INVOICE , stockcode,DESCRIPTION,quantity,invoicedate,price,customer id,country",
        ] {
            let (lines, rejects) =
                read(&format!("{header}\n536365,85123A,\"HEART, WHITE\",6,12/1/2010 8:26,2.55,17850,United Kingdom\n"));
            assert!(rejects.is_empty(), "{header}");
            let expected = (
                "536365".into(),
                false,
                "17850".into(),
                "85123A".into(),
                "HEART, WHITE".into(),
                6,
                255,
                "United Kingdom".into(),
            );
            assert_eq!(lines, vec![expected], "{header}");
        }
    }

    #[test]
    fn cancellations_guests_and_bad_rows() {
        let text = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n\
                    C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527,United Kingdom\n\
                    c536380,22423,,2,2010-12-01 09:41:00,12.75,,\n\
                    536381,22423,REGENCY CAKESTAND,1.5,2010-12-01 09:41:00,12.75,1,UK\n\
                    536382,22423,REGENCY CAKESTAND,1,2010-12-01 09:41:00,-12.75,1,UK\n\
                    ,22423,REGENCY CAKESTAND,1,2010-12-01 09:41:00,12.75,1,UK\n\
                    536383,22423,REGENCY CAKESTAND,1,2010-12-01,1e3,1,UK\n\
                    536384,22423,REGENCY CAKESTAND,1,31/12/2010 9:41,12.75,1,UK\n";
        let (lines, rejects) = read(text);
        assert_eq!(lines.len(), 2);
        assert!(lines[0].1 && lines[0].5 == -1, "C marks a cancellation: {:?}", lines[0]);
        assert!(
            !lines[1].1 && lines[1].2.is_empty(),
            "a lower-case c is not a cancellation; empty customer is a guest"
        );
        let kinds: Vec<(u64, &str)> = rejects;
        assert_eq!(
            kinds,
            vec![
                (4, "unparsable quantity"),
                (5, "negative price"),
                (6, "missing required field"),
                (7, "unparsable price"),
                (8, "unparsable time")
            ]
        );
    }
}
