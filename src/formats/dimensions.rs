//! Dimension files (SPEC §2, §3): products, sales agents and branches, each a CSV
//! keyed by its id. One layout per kind covers the spellings the sources use:
//!
//! - products: `product_id` and any of `product_name`, `category` / `fc_number` /
//!   `product_category`, `brand`, `price` / `cost` / `unit_price` (kiosk's
//!   `product_id,product_name,fc_number,brand,onqi,cost,margins` and techco's
//!   `product_id,product_name,category,price`); other columns are ignored;
//! - agents: `sales_person_id` (or `agent_id`, `sales_agent_id`) and `name`;
//! - branches: `branch_id` and `location`.

use super::{Columns, Row, RowError};
use crate::records::DimensionRow;

/// The kinds of dimension a job can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum DimensionKind {
    Products,
    Agents,
    Branches,
}

impl DimensionKind {
    pub fn name(self) -> &'static str {
        match self {
            DimensionKind::Products => "products",
            DimensionKind::Agents => "agents",
            DimensionKind::Branches => "branches",
        }
    }
}

#[derive(Clone, Debug)]
pub enum DimensionLayout {
    Products { id: usize, name: Option<usize>, category: Option<usize>, brand: Option<usize>, price: Option<usize> },
    Agents { id: usize, name: Option<usize> },
    Branches { id: usize, location: Option<usize> },
}

impl DimensionLayout {
    pub fn from_header(kind: DimensionKind, columns: &Columns) -> Result<Self, String> {
        Ok(match kind {
            DimensionKind::Products => DimensionLayout::Products {
                id: columns.required("product_id")?,
                name: columns.optional("product_name"),
                category: columns.optional_any(&["category", "fc_number", "product_category"]),
                brand: columns.optional("brand"),
                price: columns.optional_any(&["price", "cost", "unit_price"]),
            },
            DimensionKind::Agents => DimensionLayout::Agents {
                id: columns.required_any(&["sales_person_id", "agent_id", "sales_agent_id"])?,
                name: columns.optional("name"),
            },
            DimensionKind::Branches => {
                DimensionLayout::Branches { id: columns.required("branch_id")?, location: columns.optional("location") }
            }
        })
    }

    pub fn parse<'r>(&self, row: &Row<'r>) -> Result<DimensionRow<'r>, RowError> {
        Ok(match *self {
            DimensionLayout::Products { id, name, category, brand, price } => {
                let price_text = row.optional(price)?;
                let price_cents = if price_text.is_empty() { None } else { Some(RowError::price(price_text)?) };
                DimensionRow::Product {
                    id: row.required(id, "product_id")?,
                    name: row.optional(name)?,
                    category: row.optional(category)?,
                    brand: row.optional(brand)?,
                    price_cents,
                }
            }
            DimensionLayout::Agents { id, name } => {
                DimensionRow::Agent { id: row.required(id, "sales_person_id")?, name: row.optional(name)? }
            }
            DimensionLayout::Branches { id, location } => {
                DimensionRow::Branch { id: row.required(id, "branch_id")?, location: row.optional(location)? }
            }
        })
    }
}
