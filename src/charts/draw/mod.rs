//! The drawing of each chart, for any plotters backend: what they share in
//! `common`, then one file per chart or family of charts.

mod areas;
mod common;
mod contracts;
mod economics;
mod map;
mod maturity;
mod money;
mod pathways;
mod people;
mod sensitivity;
mod supply;

pub use areas::areas;
pub use contracts::cash_flows;
pub use economics::{ce_plane, ceac, evppi, thousands};
pub use map::system_map;
pub use maturity::maturity;
pub use money::{break_even, net_saving, spend, who_pays_who_saves};
pub use pathways::pathway_map;
pub use people::{demand_difference, people_by_age};
pub use sensitivity::bars;
pub use supply::{demand_capacity, places, waiting_list};
